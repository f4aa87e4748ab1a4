#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signing meters: a kind of meter of the hardware port that signs its readings for German calibration law
/// ("Eichrecht"), in the Open Charge Metering Format (OCMF) of S.A.F.E. e.V. (issue 28 item 6). The station asks for a
/// signed reading at the start and at the end of a transaction (``HardwareCommand/requestSignedReading(connector:_:)``)
/// and finds the signed document in a later ``ConnectorReading/signingMeter`` — a real meter takes its time to sign
/// (the OCA's signed meter values whitepaper: some meters take up to 30 s).
public enum SignedReadingContext: String, Sendable, Codable, CaseIterable {
    /// Transaction.Begin (OCMF `TX` "B").
    case transactionBegin = "Transaction.Begin"
    /// Transaction.End (OCMF `TX` "E").
    case transactionEnd = "Transaction.End"
    /// A reading during the transaction for a MeterValues (OCMF `TX` "C"), with the OCA whitepaper's
    /// `SampledDataSignReadings`.
    case samplePeriodic = "Sample.Periodic"
}

/// What the station asks a signing meter to sign.
public struct SignedReadingRequest: Sendable, Codable, Equatable {
    /// The session the reading belongs to; with the context it identifies the request.
    public var session: UUID
    public var context: SignedReadingContext
    /// The identifier of the session's user (OCPP idTag; empty: none), written into the signed user assignment.
    public var idTag: String
    /// Whether the central system authorised the identifier (the assignment's level).
    public var authorizedByBackend: Bool
    /// The station's wall-clock time of the request (a meter without a clock of its own signs it).
    public var at: Date

    public init(session: UUID, context: SignedReadingContext, idTag: String, authorizedByBackend: Bool, at: Date) {
        self.session = session; self.context = context; self.idTag = idTag; self.authorizedByBackend = authorizedByBackend
        self.at = at
    }
}

/// A signed reading the meter delivered for a request.
public struct SignedReading: Sendable, Codable, Equatable {
    public var session: UUID
    public var context: SignedReadingContext
    /// The OCMF document `OCMF|{payload}|{signature}` as the meter wrote it (never re-serialised: the signature covers its
    /// exact bytes).
    public var ocmf: String
    /// When the meter took the reading.
    public var at: Date

    public init(session: UUID, context: SignedReadingContext, ocmf: String, at: Date) {
        self.session = session; self.context = context; self.ocmf = ocmf; self.at = at
    }
}

/// What a signing meter reports with every reading.
public struct SigningMeterState: Sendable, Codable, Equatable {
    /// The meter's public key: hex of its DER SubjectPublicKeyInfo; nil while it cannot be read.
    public var publicKeyHex: String?
    /// The signed readings the meter holds (the latest few, oldest first).
    public var signed: [SignedReading]

    public init(publicKeyHex: String?, signed: [SignedReading] = []) {
        self.publicKeyHex = publicKeyHex; self.signed = signed
    }

    /// The signed reading of a request, once the meter delivered it (a periodic one by its time as well: a session has
    /// many).
    public func reading(for request: SignedReadingRequest) -> SignedReading? {
        signed.last { $0.session == request.session && $0.context == request.context
            && (request.context != .samplePeriodic || $0.at == request.at) }
    }
}
