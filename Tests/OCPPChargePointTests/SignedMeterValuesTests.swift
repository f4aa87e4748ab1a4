import Foundation
import Testing
import ChargePoint
import EVSECore
import OCMF
import OCPP16
import Persistence
import Simulator

/// Signed meter values (issue 28 item 6): the simulated meter signs OCMF at transaction begin and end, StopTransaction
/// carries both as SignedData (the OCA's signed meter values whitepaper v1.0, OCPP 1.6 part, and OCMF 1.2 "Embedding in
/// OCPP"), waits for the final one at most 30 s — never without it when "Require signed meter values" is On — and a meter
/// that cannot sign raises RegulatoryComplianceFailure (seeds/002 §3).
@Suite("Signed meter values (OCMF), in process")
struct SignedMeterValuesTests {
    /// A fixed meter key, so that failures are reproducible (a test vector, never a real meter's key).
    static let signer = try! OCMFSigner(rawPrivateKey: [UInt8](repeating: 0x5A, count: 32))

    static func harness(config: [(String, String)] = [], signing: Bool = true) throws -> ChargePointHarness {
        var h = try ChargePointHarness(config: config)
        if signing { h.board.meterSigners = SimulatedMeterSigners([signer, OCMFSigner()]) }
        h.station.poll(h.board.readInputs(), now: h.now)
        return h
    }

    /// The OCMF document and the public key text of a SignedData value in the OCA whitepaper's `SignedMeterValueType`
    /// JSON (the factory setting): `signedMeterData` and `publicKey` are base64.
    static func unwrap(_ sv: SampledValue) throws -> (ocmf: String, publicKey: String) {
        let json = try JSONParser.parse(sv.value)
        guard case .object(let o) = json, case .string(let data)? = o["signedMeterData"], case .string(let key)? = o["publicKey"],
              o["encodingMethod"] == .string("OCMF"), let ocmf = Data(base64Encoded: data), let keyText = Data(base64Encoded: key) else {
            throw OCPPError(.formationViolation, "not a SignedMeterValueType: \(sv.value)")
        }
        return (String(decoding: ocmf, as: UTF8.self), String(decoding: keyText, as: UTF8.self))
    }

    static func ocmf(_ sv: SampledValue) throws -> String { try unwrap(sv).ocmf }

    /// The SignedData values of a StopTransaction, by context.
    static func signed(_ stop: StopTransactionRequest) -> [String: SampledValue] {
        var out: [String: SampledValue] = [:]
        for mv in stop.transactionData ?? [] { for sv in mv.sampledValue where sv.format == "SignedData" { out[sv.context ?? ""] = sv } }
        return out
    }

    @Test("OCA signed meter values: StopTransaction carries the signed begin and end readings as SignedData, each verifiable")
    func ocaSignedMeterValues_stopTransactionCarriesSignedBeginAndEnd() throws {
        var h = try Self.harness()
        h.connect()
        try h.charging()
        h.run(60)
        let mark = h.mark
        try h.card()
        h.run(3)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        let signed = Self.signed(stop)
        #expect(Set(signed.keys) == ["Transaction.Begin", "Transaction.End"])
        var values: [Double] = []
        for (context, sv) in signed {
            #expect(sv.measurand == "Energy.Active.Import.Register")
            let doc = try OCMFDocument(parsing: try Self.ocmf(sv))
            #expect(doc.verify(with: Self.signer.publicKey), "\(context) verifies with the meter's key")
            #expect(doc.payload.readings.first?.transaction == (context == "Transaction.Begin" ? .begin : .end))
            #expect(doc.payload.identificationData == ChargePointHarness.card)
            values.append(Double(try #require(doc.payload.readings.first?.value))!)
        }
        // The raw Begin container stays first, the signed end is the last container (timestamps in order).
        #expect(stop.transactionData?.first?.sampledValue.first?.format == "Raw")
        #expect(stop.transactionData?.last?.sampledValue.first?.format == "SignedData")
        let stamps = stop.transactionData?.map(\.timestamp) ?? []
        #expect(stamps == stamps.sorted())
        // The signed end reading is the register the session stopped at (kWh with two decimals).
        let record = try #require(try h.db.sessions(limit: 1).first)
        let end = try OCMFDocument(parsing: try Self.ocmf(try #require(signed["Transaction.End"])))
        #expect(end.payload.readings[0].value == OCMFReading.kWhLiteral(wattHours: try #require(record.meterStopWh)))
        #expect(abs(Double(end.payload.readings[0].value)! * 1000 - Double(stop.meterStop)) <= 5)
        // Kept with the session for the history.
        #expect(try record.signedMeter?.begin == Self.ocmf(try #require(signed["Transaction.Begin"])))
        #expect(try record.signedMeter?.end == Self.ocmf(try #require(signed["Transaction.End"])))
        #expect(record.signedMeter?.publicKeyHex == Self.signer.publicKey.hexDER)
    }

    @Test("OCA signed meter values: the value is the whitepaper's SignedMeterValueType; PublicKeyWithSignedMeterValue says which carry the key; OCMF keeps the document as it is",
          arguments: [("OCA", "OncePerTransaction", true, false), ("OCA", "EveryMeterValue", true, true), ("OCA", "Never", false, false),
                      ("OCMF", "OncePerTransaction", false, false)])
    func ocaSignedMeterValues_valueFormatAndPublicKey(format: String, publicKey: String, keyAtBegin: Bool, keyAtEnd: Bool) throws {
        var h = try Self.harness(config: [("SignedMeterValueFormat", format), ("PublicKeyWithSignedMeterValue", publicKey)])
        h.connect()
        try h.charging()
        h.run(30)
        let mark = h.mark
        try h.card()
        h.run(3)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        let signed = Self.signed(stop)
        let record = try #require(try h.db.sessions(limit: 1).first)
        let key = "oca:base16:asn1:" + Self.signer.publicKey.hexDER
        for (context, expected) in [("Transaction.Begin", keyAtBegin), ("Transaction.End", keyAtEnd)] {
            let sv = try #require(signed[context])
            let document = context == "Transaction.Begin" ? record.signedMeter?.begin : record.signedMeter?.end
            if format == "OCMF" {
                #expect(sv.value == document)
            } else {
                let (ocmf, publicKey) = try Self.unwrap(sv)
                #expect(ocmf == document)
                #expect(publicKey == (expected ? key : ""), "\(context)")
            }
        }
    }

    @Test("OCA signed meter values: SampledDataSignReadings adds a MeterValues with the signed reading after each sampled one")
    func ocaSignedMeterValues_sampledDataSignReadings() throws {
        var h = try Self.harness(config: [("MeterValueSampleInterval", "10"), ("SampledDataSignReadings", "true")])
        h.connect()
        try h.charging()
        let mark = h.mark
        h.run(25)
        let values = h.calls(MeterValuesRequest.action, since: mark).compactMap { try? MeterValuesRequest(json: $0) }
        let signed = values.flatMap { $0.meterValue.flatMap(\.sampledValue) }.filter { $0.format == "SignedData" }
        #expect(signed.count == 2, "one signed reading per sample")
        for sv in signed {
            #expect(sv.context == "Sample.Periodic" && sv.measurand == "Energy.Active.Import.Register")
            let doc = try OCMFDocument(parsing: try Self.ocmf(sv))
            #expect(doc.verify(with: Self.signer.publicKey))
            #expect(doc.payload.readings.first?.transaction == .charging)
        }
        #expect(values.allSatisfy { $0.transactionId == h.lastTransactionID })
        // Off (the default): none.
        var plain = try Self.harness(config: [("MeterValueSampleInterval", "10")])
        plain.connect()
        try plain.charging()
        plain.run(25)
        #expect(!plain.calls(MeterValuesRequest.action).isEmpty)
        #expect(plain.calls(MeterValuesRequest.action).compactMap { try? MeterValuesRequest(json: $0) }
            .flatMap { $0.meterValue.flatMap(\.sampledValue) }.allSatisfy { $0.format != "SignedData" })
    }

    @Test("OCA signed meter values: MeterPublicKey<N> is each connector's meter key, read-only")
    func ocaSignedMeterValues_meterPublicKeyConfigurationKey() throws {
        var h = try Self.harness()
        h.connect()
        let r = try h.call(GetConfigurationRequest(key: ["MeterPublicKey1", "MeterPublicKey2"]))
        #expect(r.configurationKey?.first { $0.key == "MeterPublicKey1" }?.value == Self.signer.publicKey.hexDER)
        #expect(r.configurationKey?.first { $0.key == "MeterPublicKey1" }?.readonly == true)
        #expect(r.configurationKey?.first { $0.key == "MeterPublicKey2" }?.value?.count == 182)
        #expect(try h.call(ChangeConfigurationRequest(key: "MeterPublicKey1", value: "00")).status == .rejected)
        var plain = try Self.harness(signing: false)
        plain.connect()
        #expect(try plain.call(GetConfigurationRequest(key: ["MeterPublicKey1"])).configurationKey?.first?.value == "")
    }

    @Test("OCA signed meter values: StopTransaction waits for the final signed reading at most 30 s when signing is not required")
    func ocaSignedMeterValues_stopTransactionWaitsAtMost30Seconds() throws {
        var h = try Self.harness()
        h.connect()
        try h.charging()
        // The meter stops signing during the session; not required, so the station keeps charging.
        try h.fault(.meterSignature, 1)
        #expect(h.statuses(1).last == "Charging")
        let mark = h.mark
        try h.card()
        h.run(28)
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty, "waits for the signed end reading")
        h.run(3)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        #expect(Set(Self.signed(stop).keys) == ["Transaction.Begin"], "goes without the end reading after the bound")
    }

    @Test("seeds/004 §4 a connector board without its USB link: the StopTransaction does not wait for a meter it cannot reach")
    func ocaSignedMeterValues_boardWithoutLinkDoesNotHoldStopTransaction() throws {
        var h = try Self.harness()
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.fault(.link, 1)
        h.run(1)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        #expect(Set(Self.signed(stop).keys) == ["Transaction.Begin"])
    }

    @Test("seeds/002 §3 RegulatoryComplianceFailure: with signing required, a meter that stops signing stops charging and StopTransaction never goes without the signed end")
    func seeds002_3_requiredSignature_stopsChargingAndWaitsForTheEndReading() throws {
        var h = try Self.harness(config: [("RequireSignedMeterValues", "On")])
        h.connect()
        try h.charging()
        #expect(h.statuses(1).last == "Charging")
        let mark = h.mark
        try h.fault(.meterSignature, 1)
        h.run(2)
        #expect(h.station.errors.isActive("signedMeterValuesUnavailable", connector: 1))
        let faulted = try #require(h.statusReports(1, since: mark).last)
        #expect(faulted.status == "Faulted")
        #expect(faulted.vendorErrorCode == "RegulatoryComplianceFailure")
        // The session stopped; its StopTransaction waits for the signed end reading, beyond the 30 s bound.
        h.run(90)
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty)
        #expect(try h.db.sessions(limit: 1).first?.stoppedAt != nil)
        // The meter signs again: the reading asked for again arrives and the StopTransaction carries it.
        try h.fault(.meterSignature, 1, clear: true)
        h.run(32)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        #expect(Set(Self.signed(stop).keys) == ["Transaction.Begin", "Transaction.End"])
        #expect(!h.station.errors.isActive("signedMeterValuesUnavailable", connector: 1))
    }

    @Test("seeds/002 §3 RegulatoryComplianceFailure: a held StopTransaction asks the meter again after kill -9 and goes with the signed end")
    func seeds002_3_requiredSignature_heldStopTransactionSurvivesKill9() throws {
        var h = try Self.harness(config: [("RequireSignedMeterValues", "On")])
        h.connect()
        try h.charging()
        try h.fault(.meterSignature, 1)
        h.run(5)
        let mark = h.mark
        #expect(h.calls(StopTransactionRequest.action).isEmpty)
        // The meter is repaired while the station is down; after the restart nothing in memory remembers the request.
        try h.board.setFault(.meterSignature, connector: 1, active: false)
        try h.kill9()
        h.run(5)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        #expect(Set(Self.signed(stop).keys) == ["Transaction.Begin", "Transaction.End"])
    }

    @Test("seeds/002 §3 RegulatoryComplianceFailure: with signing required, a meter that does not sign never starts a session")
    func seeds002_3_requiredSignature_unsignedMeterDoesNotStart() throws {
        var h = try Self.harness(config: [("RequireSignedMeterValues", "On")], signing: false)
        h.connect()
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).isEmpty)
        #expect(h.statusReports(1).last?.vendorErrorCode == "RegulatoryComplianceFailure")
        #expect(h.board.connectors[0].relays == .open)
    }

    @Test("Signed readings are persisted before StopTransaction goes: after kill -9 the StopTransaction carries them")
    func signedReadings_surviveKill9BeforeStopTransaction() throws {
        var h = try Self.harness()
        h.connect()
        try h.charging()
        h.unanswered = [StopTransactionRequest.action]
        try h.card()
        h.run(3)
        #expect(h.calls(StopTransactionRequest.action).count == 1)
        h.unanswered = []
        let mark = h.mark
        try h.kill9()
        h.run(15)
        let stop = try StopTransactionRequest(json: try #require(h.calls(StopTransactionRequest.action, since: mark).first))
        #expect(Set(Self.signed(stop).keys) == ["Transaction.Begin", "Transaction.End"])
    }
}
