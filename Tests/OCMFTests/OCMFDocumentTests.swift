import Foundation
import Testing
import Crypto
@testable import OCMF

/// Golden tests of the OCMF document (OCMF 1.2 of S.A.F.E. e.V.) and its P-256 signature.
@Suite struct OCMFDocumentTests {
    /// The private scalar of the golden key (a test vector, never a real meter's key).
    static let goldenScalar: [UInt8] = [0x1F, 0x2E, 0x3D, 0x4C, 0x5B, 0x6A, 0x79, 0x88, 0x1F, 0x2E, 0x3D, 0x4C, 0x5B, 0x6A, 0x79, 0x88,
                                        0x1F, 0x2E, 0x3D, 0x4C, 0x5B, 0x6A, 0x79, 0x88, 0x1F, 0x2E, 0x3D, 0x4C, 0x5B, 0x6A, 0x79, 0x88]
    /// The public key of that scalar as OpenSSL writes it (Python `cryptography`: DER SubjectPublicKeyInfo, hex).
    static let goldenPublicKey = "3059301306072A8648CE3D020106082A8648CE3D03010703420004BD7C73B88B2E9B4CEDA62022B2DA8BE13193A5B56EDC26E7DF7842E24CD0B5EB0605ADA7BDA83AC6A2B80D7E314040FA47FF16B83BAC85CEDB014451BB7CE71A"
    /// A payload and its signature made by OpenSSL (Python `cryptography`, ECDSA over SHA-256) with the golden key: an
    /// implementation independent of swift-crypto.
    static let goldenPayload = #"{"FV":"1.2","GI":"openssl-golden","GS":"G-1","PG":"T7","MS":"M-42","IS":true,"IL":"HEARSAY","IF":["RFID_PLAIN","OCPP_NONE"],"IT":"ISO14443","ID":"04567DAA5F3580","RD":[{"TM":"2026-12-05T12:00:00,000+0000 S","TX":"B","RV":12.34,"RI":"1-b:1.8.0","RU":"kWh","RT":"AC","EF":"","ST":"G"}]}"#
    static let goldenSignature = "3044022074FDFDD3BAB56B31B328865E0A4B8B6DB52799E323BD70A244497FA7CF12843102203C8A0D5CEDCD6B31108353D81F557855609ED0CD160BAFD88CC3EEC38E75B5C0"
    static var goldenDocument: String { "OCMF|\(goldenPayload)|{\"SA\":\"ECDSA-secp256r1-SHA256\",\"SD\":\"\(goldenSignature)\"}" }

    /// The example file of OCMF 1.2 ("Example", figure 1), white space as the specification prints it. Its `SD` is a
    /// placeholder of the specification, so only the parse is checked.
    static let specificationExample = """
        OCMF|{
            "FV": "1.0",
            "GI": "ABL SBC-301",
            "GS": "808829900001",
            "GV": "1.4p3",
            "PG": "T12345",
            "MV": "Phoenix Contact",
            "MM": "EEM-350-D-MCB",
            "MS": "BQ27400330016",
            "MF": "1.0",
            "IS": true,
            "IL": "VERIFIED",
            "IF": [
                "RFID_PLAIN",
                "OCPP_RS_TLS"
            ],
            "IT": "ISO14443",
            "ID": "1F2D3A4F5506C7",
            "TT": "Tarif 1",
            "LC": {
                "LN": "cable_name",
                "LI": 1,
                "LR": 2,
                "LU": "mOhm"
            },
            "RD": [
                {
                    "TM": "2018-07-24T13:22:04,000+0200 S",
                    "TX": "B",
                    "RV": 2935.6,
                    "RI": "1-b:1.8.0",
                    "RU": "kWh",
                    "RT": "DC",
                    "EF": "",
                    "ST": "G"
                },
                {
                    "TM": "2018-07-24T13:26:04,000+0200 S",
                    "TX": "E",
                    "RV": 2965.1,
                    "CL": 0.5,
                    "RI": "1-b:1.8.0",
                    "RU": "kWh",
                    "RT": "DC",
                    "EF": "",
                    "ST": "G"
                }
            ]
        }|{
            "SD": "887FABF407AC82782EEFFF2220C2F856AEB0BC22364BBCC6B55761911ED651D1A922BADA88818C9671AFEE7094D7F536"
        }
        """

    static var goldenKey: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: goldenScalar) }

    @Test func ocmf12_example_parsesWithItsReadings() throws {
        let doc = try OCMFDocument(parsing: Self.specificationExample)
        #expect(doc.payload.formatVersion == "1.0")
        #expect(doc.payload.pagination == "T12345")
        #expect(doc.payload.meterSerial == "BQ27400330016")
        #expect(doc.payload.identificationStatus == true)
        #expect(doc.payload.identificationFlags == ["RFID_PLAIN", "OCPP_RS_TLS"])
        #expect(doc.payload.identificationData == "1F2D3A4F5506C7")
        #expect(doc.payload.readings.map(\.transaction) == [.begin, .end])
        // The decimals are part of the signed statement: the literal is kept.
        #expect(doc.payload.readings.map(\.value) == ["2935.6", "2965.1"])
        #expect(doc.payload.readings[0].time == Date(timeIntervalSince1970: 1_532_431_324))
        #expect(doc.payload.readings[1].currentType == "DC")
        #expect(doc.signature.algorithm == nil)
        #expect(doc.signature.data.hasPrefix("887FABF4"))
        // The payload text is kept byte for byte (white space included) for the signature check.
        #expect(doc.payloadText.hasPrefix("{\n"))
    }

    @Test func ocmf12_payload_writtenDeterministicallyInTableOrder() throws {
        let payload = OCMFPayload(gatewayIdentification: "openssl-golden", gatewaySerial: "G-1", pagination: "T7", meterSerial: "M-42",
                                  identification: .forIDTag("04567daa5f3580", authorizedByBackend: false),
                                  readings: [OCMFReading(time: Date(timeIntervalSince1970: 1_796_472_000), transaction: .begin,
                                                         value: OCMFReading.kWhLiteral(wattHours: 12_340))])
        #expect(OCMFJSONWriter.payload(payload) == Self.goldenPayload)
    }

    @Test func ocmf12_signature_madeByOpenSSLVerifiesWithTheKnownKey() throws {
        let key = try OCMFPublicKey(text: Self.goldenPublicKey)
        #expect(OCMFPublicKey(Self.goldenKey.publicKey).hexDER == Self.goldenPublicKey)
        let doc = try OCMFDocument(parsing: Self.goldenDocument)
        #expect(doc.verify(with: key))
        // One changed digit of the reading, and the signature no longer holds.
        let tampered = try OCMFDocument(parsing: Self.goldenDocument.replacingOccurrences(of: "\"RV\":12.34", with: "\"RV\":12.35"))
        #expect(!tampered.verify(with: key))
        // Another key does not verify it either.
        #expect(!doc.verify(with: OCMFPublicKey(P256.Signing.PrivateKey().publicKey)))
    }

    @Test func ocmf12_signer_roundTripsAndKeyForms() throws {
        let signer = OCMFSigner(privateKey: Self.goldenKey)
        let payload = OCMFPayload(pagination: "T1", meterVendor: "ChargeKit", meterSerial: "SIM-1",
                                  identification: .forIDTag("CENTRAL-7", authorizedByBackend: true),
                                  readings: [OCMFReading(time: Date(timeIntervalSince1970: 1_796_472_000.5), transaction: .end, value: "0.00")])
        let doc = try signer.sign(payload)
        #expect(doc.text.hasPrefix("OCMF|{\"FV\":\"1.2\""))
        #expect(doc.text.contains("\"TM\":\"2026-12-05T12:00:00,500+0000 S\""))
        #expect(doc.text.contains("\"IT\":\"CENTRAL_1\""))
        let parsed = try OCMFDocument(parsing: doc.text)
        #expect(parsed.payloadText == doc.payloadText)
        #expect(parsed.verify(with: signer.publicKey))
        #expect(parsed.payload.readings[0].transaction == .end)
        #expect(try OCMFPublicKey(text: signer.publicKey.base64DER) == signer.publicKey)
        #expect(try OCMFPublicKey(text: signer.publicKey.ocaText) == signer.publicKey)
        #expect(signer.publicKey.hexDER.hasPrefix("3059301306072A8648CE3D0201"))
    }

    @Test func ocmf12_pipeInAFieldIsEscaped() throws {
        let payload = OCMFPayload(pagination: "T1", meterSerial: "A|B", readings: [OCMFReading(time: Date(timeIntervalSince1970: 0), transaction: .begin, value: "1.00")])
        let doc = try OCMFSigner(privateKey: Self.goldenKey).sign(payload)
        #expect(!doc.payloadText.contains("|"))
        #expect(try OCMFDocument(parsing: doc.text).payload.meterSerial == "A|B")
    }

    @Test(arguments: ["", "OCMF|{}", "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"RD\":[]}|{\"SD\":\"00\"}", "XXXX|{}|{}",
                      "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"RD\":[{\"TM\":\"yesterday\",\"RV\":1,\"RU\":\"kWh\",\"ST\":\"G\"}]}|{\"SD\":\"00\"}",
                      "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"RD\":[{\"TM\":\"2018-07-24T13:22:04,000+0200 S\",\"RV\":\"1\",\"RU\":\"kWh\",\"ST\":\"G\"}]}|{\"SD\":\"00\"}",
                      "OCMF|" + String(repeating: "[", count: 100) + "|{}", "OCMF|{\"a\":\"\\u00\"}|{}"])
    func ocmf12_malformedDocument_isRefusedWithAReason(_ text: String) {
        #expect(throws: OCMFError.self) { try OCMFDocument(parsing: text) }
    }

    @Test func ocmf12_time_formatAndParse() {
        #expect(OCMFTime.format(Date(timeIntervalSince1970: 1_532_431_324.007), status: .informative) == "2018-07-24T11:22:04,007+0000 I")
        #expect(OCMFTime.parse("2018-07-24T13:22:04,000+0200 S")?.date == Date(timeIntervalSince1970: 1_532_431_324))
        #expect(OCMFTime.parse("2018-02-30T13:22:04,000+0200 S") == nil)
        #expect(OCMFReading.kWhLiteral(wattHours: 2_935_604) == "2935.60")
        #expect(OCMFReading.kWhLiteral(wattHours: 5) == "0.01")
    }
}
