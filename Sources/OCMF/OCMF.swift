#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Open Charge Metering Format (OCMF) of S.A.F.E. e.V., revision 1.2 (format version "1.2"): signed meter readings
/// that a driver can check with the transparency software, carried in OCPP 1.6 as a `SignedData` sampled value
/// (issue 28 item 6).
///
/// A document is three sections separated by `|`: the header `OCMF`, the payload (a JSON object) and the signature
/// (a JSON object). The signature covers exactly the payload's bytes, so the payload is written once, deterministically,
/// and never re-serialised afterwards (OCMF 1.2 "JSON based OCMF Format": white space must not change between signing
/// and validation).
public enum OCMF {
    /// The header section (OCMF 1.2 "Header").
    public static let header = "OCMF"
    /// The format version written in `FV`: major.minor of the revision implemented (OCMF 1.2 table 1).
    public static let formatVersion = "1.2"
    /// The longest document parsed (a document carries a handful of readings; bounds what the network can make us parse).
    public static let maximumDocumentBytes = 16_384
}

/// Why a reading was taken (OCMF 1.2 table 7, `TX`).
public enum OCMFTransactionReason: String, Sendable, Codable, CaseIterable {
    case begin = "B", charging = "C", exception = "X", end = "E", local = "L", remote = "R", abort = "A", power = "P"
    case suspended = "S", tariff = "T"
}

/// The time's synchronisation state (OCMF 1.2 table 19).
public enum OCMFTimeStatus: String, Sendable, Codable, CaseIterable {
    case unknown = "U", informative = "I", synchronized = "S", relative = "R"
}

/// One reading of a document's `RD` array (OCMF 1.2 table 7).
public struct OCMFReading: Sendable, Equatable {
    /// `TM`: when the reading was taken, in milliseconds; written in UTC (`+0000`).
    public var time: Date
    public var timeStatus: OCMFTimeStatus
    /// `TX`: nil outside a transaction (fiscal metering).
    public var transaction: OCMFTransactionReason?
    /// `RV`: the value as its JSON number literal, e.g. "2935.60" — kept as text because the number of decimals is part
    /// of the signed statement (OCMF 1.2 table 7: the representation must not be transformed).
    public var value: String
    /// `RI`: the OBIS code of the quantity, e.g. "1-b:1.8.0" (imported active energy).
    public var identification: String?
    /// `RU`: the unit (table 20: kWh, Wh, mOhm, uOhm).
    public var unit: String
    /// `RT`: AC or DC (table 21).
    public var currentType: String?
    /// `EF`: error flags, "" when no quantity is affected ("E" energy, "t" time).
    public var errorFlags: String?
    /// `ST`: the meter's state (table 10; "G" = OK).
    public var status: String

    public init(time: Date, timeStatus: OCMFTimeStatus = .synchronized, transaction: OCMFTransactionReason?, value: String,
                identification: String? = "1-b:1.8.0", unit: String = "kWh", currentType: String? = "AC", errorFlags: String? = "",
                status: String = "G") {
        self.time = time; self.timeStatus = timeStatus; self.transaction = transaction; self.value = value
        self.identification = identification; self.unit = unit; self.currentType = currentType; self.errorFlags = errorFlags
        self.status = status
    }

    /// An energy register in Wh as the kWh literal with two decimals the application rule recommends (OCMF 1.2 table 7,
    /// `RV`): 2935600 Wh → "2935.60".
    public static func kWhLiteral(wattHours: Double) -> String {
        let centi = Int64((max(0, wattHours) / 10).rounded())
        let frac = centi % 100
        return "\(centi / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}

/// The payload section of a document (OCMF 1.2 tables 1–7). Fields the ChargeKit writer does not use (LC, CT/CI, vendor
/// extensions) are kept when parsed (`extra`) but not interpreted.
public struct OCMFPayload: Sendable, Equatable {
    public var formatVersion: String? = OCMF.formatVersion
    /// `GI`, `GS`, `GV`: the signing component ("gateway").
    public var gatewayIdentification: String?
    public var gatewaySerial: String?
    public var gatewayVersion: String?
    /// `PG`: pagination, e.g. "T12" (context letter and counter without leading zeros).
    public var pagination: String
    /// `MV`, `MM`, `MS`, `MF`: the meter.
    public var meterVendor: String?
    public var meterModel: String?
    public var meterSerial: String
    public var meterFirmware: String?
    /// `IS`, `IL`, `IF`, `IT`, `ID`, `TT`: the user assignment (present exactly when there is a transaction).
    public var identificationStatus: Bool?
    public var identificationLevel: String?
    public var identificationFlags: [String] = []
    public var identificationType: String?
    public var identificationData: String?
    public var tariffText: String?
    /// `RD`: one or more readings.
    public var readings: [OCMFReading]

    public init(gatewayIdentification: String? = nil, gatewaySerial: String? = nil, gatewayVersion: String? = nil, pagination: String,
                meterVendor: String? = nil, meterModel: String? = nil, meterSerial: String, meterFirmware: String? = nil,
                identification: OCMFIdentification? = nil, tariffText: String? = nil, readings: [OCMFReading]) {
        self.gatewayIdentification = gatewayIdentification; self.gatewaySerial = gatewaySerial; self.gatewayVersion = gatewayVersion
        self.pagination = pagination; self.meterVendor = meterVendor; self.meterModel = meterModel; self.meterSerial = meterSerial
        self.meterFirmware = meterFirmware; self.tariffText = tariffText; self.readings = readings
        if let identification {
            identificationStatus = identification.status; identificationLevel = identification.level
            identificationFlags = identification.flags; identificationType = identification.type; identificationData = identification.data
        }
    }
}

/// The user assignment fields of a payload (OCMF 1.2 table 4 with tables 11–17).
public struct OCMFIdentification: Sendable, Equatable {
    public var status: Bool
    public var level: String?
    public var flags: [String]
    public var type: String
    public var data: String?

    public init(status: Bool, level: String?, flags: [String], type: String, data: String?) {
        self.status = status; self.level = level; self.flags = flags; self.type = type; self.data = data
    }

    /// The assignment of an OCPP idTag: a card UID of 4 or 7 bytes in hex is an ISO 14443 card read by the station's
    /// reader ("RFID_PLAIN", level HEARSAY, table 11: an RFID UID is unsecured); any other idTag came from the central
    /// system ("CENTRAL_1", table 17: centrally generated IDs until OCPP 1.6; level TRUSTED: authorised by the backend).
    /// An empty idTag is no assignment (status false, type NONE).
    public static func forIDTag(_ idTag: String, authorizedByBackend: Bool) -> OCMFIdentification {
        if idTag.isEmpty { return OCMFIdentification(status: false, level: "NONE", flags: [], type: "NONE", data: nil) }
        let isUID = (idTag.count == 8 || idTag.count == 14) && idTag.allSatisfy(\.isHexDigit)
        let ocpp = authorizedByBackend ? "OCPP_AUTH" : "OCPP_NONE"
        if isUID {
            return OCMFIdentification(status: true, level: authorizedByBackend ? "TRUSTED" : "HEARSAY", flags: ["RFID_PLAIN", ocpp],
                                      type: "ISO14443", data: idTag.uppercased())
        }
        return OCMFIdentification(status: true, level: authorizedByBackend ? "TRUSTED" : "HEARSAY", flags: ["RFID_NONE", ocpp],
                                  type: "CENTRAL_1", data: idTag)
    }
}

/// The signature section (OCMF 1.2 table 8).
public struct OCMFSignature: Sendable, Equatable {
    /// `SA`: e.g. "ECDSA-secp256r1-SHA256" (table 22); nil = the default of the format version.
    public var algorithm: String?
    /// `SE`: "hex" (default) or "base64".
    public var encoding: String?
    /// `SM`: "application/x-der" (default).
    public var mimeType: String?
    /// `SD`: the signature as `SE` encodes it.
    public var data: String

    public init(algorithm: String? = OCMFSigner.algorithm, encoding: String? = nil, mimeType: String? = nil, data: String) {
        self.algorithm = algorithm; self.encoding = encoding; self.mimeType = mimeType; self.data = data
    }
}

/// A parsed or built OCMF document. `payloadText` is the payload exactly as signed.
public struct OCMFDocument: Sendable, Equatable {
    public var payload: OCMFPayload
    public var payloadText: String
    public var signature: OCMFSignature

    /// The document as transmitted: `OCMF|{payload}|{signature}`.
    public var text: String { "\(OCMF.header)|\(payloadText)|\(OCMFJSONWriter.signature(signature))" }
}

/// Why a document was refused.
public struct OCMFError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
