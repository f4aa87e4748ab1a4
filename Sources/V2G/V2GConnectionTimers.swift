/// The SECC's timers on one vehicle connection (ISO 15118-2:2014, the timeouts of Table 109): when the station gives up waiting for the vehicle and closes the connection. Pure: monotonic time comes
/// in as nanoseconds, the adapter asks for the next deadline and reports events.
///
/// - V2G_SECC_CommunicationSetup_Timeout (20 s): from the vehicle's connection until the SECC has sent its
///   SessionSetupRes. The communication setup is complete when the session handler says so; until then a vehicle
///   (or anything else on the link) that connects and never gets that far holds the connector's server for at most
///   this long.
/// - V2G_SECC_Sequence_Timeout (60 s): from each response the SECC sends until the next complete request. While a
///   request is being answered no sequence timer runs (answering in time is the SECC's own performance time).
/// Only a whole V2GTP message counts as a request: a peer trickling bytes (slowloris) does not reset a timer.
public struct V2GConnectionTimers: Sendable {
    public struct Limits: Hashable, Sendable {
        public var communicationSetupNanoseconds: UInt64
        public var sequenceNanoseconds: UInt64

        public init(communicationSetupNanoseconds: UInt64 = 20_000_000_000, sequenceNanoseconds: UInt64 = 60_000_000_000) {
            self.communicationSetupNanoseconds = communicationSetupNanoseconds; self.sequenceNanoseconds = sequenceNanoseconds
        }

        /// ISO 15118-2:2014 Table 109: V2G_SECC_CommunicationSetup_Timeout 20 s, V2G_SECC_Sequence_Timeout 60 s.
        public static let standard = Limits()
    }

    public enum Expiry: String, Hashable, Sendable, CustomStringConvertible {
        case communicationSetup = "V2G_SECC_CommunicationSetup_Timeout"
        case sequence = "V2G_SECC_Sequence_Timeout"
        public var description: String { rawValue }
    }

    public let limits: Limits
    private var setupDeadline: UInt64?
    private var sequenceDeadline: UInt64?

    /// Starts the communication setup timer at the connection's acceptance.
    public init(limits: Limits = .standard, openedAtNanoseconds now: UInt64) {
        self.limits = limits
        setupDeadline = now &+ limits.communicationSetupNanoseconds
    }

    /// A complete request arrived: the sequence timer stops until the response.
    public mutating func requestReceived(atNanoseconds now: UInt64) {
        sequenceDeadline = nil
    }

    /// A response went out: the sequence timer starts; a response that completes the communication setup
    /// (SessionSetupRes) stops the setup timer.
    public mutating func responseSent(atNanoseconds now: UInt64, completesSetup: Bool) {
        if completesSetup { setupDeadline = nil }
        sequenceDeadline = now &+ limits.sequenceNanoseconds
    }

    /// The earliest running deadline and which timer it is, `nil` when none runs.
    public var nextDeadline: (atNanoseconds: UInt64, expiry: Expiry)? {
        switch (setupDeadline, sequenceDeadline) {
        case (nil, nil): nil
        case (let s?, nil): (s, .communicationSetup)
        case (nil, let q?): (q, .sequence)
        case (let s?, let q?): s <= q ? (s, .communicationSetup) : (q, .sequence)
        }
    }

    /// The timer that has run out at `now`, if any: the connection is then to be closed.
    public func expired(atNanoseconds now: UInt64) -> Expiry? {
        guard let next = nextDeadline, now >= next.atNanoseconds else { return nil }
        return next.expiry
    }
}
