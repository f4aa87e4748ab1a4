#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Firmware

/// One message of the persistent OCPP transaction queue (StartTransaction, StopTransaction, MeterValues).
public struct QueuedTransactionMessage: Sendable, Equatable {
    public var sequence: Int64
    /// Stable across retransmissions and restarts, so that a central system can recognise a repeated message.
    public var messageID: String
    public var action: String
    public var sessionID: UUID?
    /// The stored payload (MeterValues); Start/StopTransaction are built from the session when sent.
    public var payload: String?
    /// The session with its OCPP transactionId, when the message belongs to one.
    public var session: SessionRecord?
    public var transactionID: Int?

    public init(sequence: Int64, messageID: String, action: String, sessionID: UUID?, payload: String?, session: SessionRecord?,
                transactionID: Int?) {
        self.sequence = sequence; self.messageID = messageID; self.action = action; self.sessionID = sessionID
        self.payload = payload; self.session = session; self.transactionID = transactionID
    }
}

/// The persistence port of the station's OCPP charge point (``OCPPChargePoint``): the persistent transaction queue
/// and what must survive a restart. Every call returns only after the data is durable. Start and StopTransaction are
/// queued by the ``StationStore`` in the same write as the session change (``StationStore/sessionStarted(_:queueForBackend:)``);
/// this port reads and retires them.
///
/// - SeeAlso: OCPP 1.6 §3.7 and §4.10 (transaction-related messages are delivered in order, retried, never lost),
///   errata 3.18 (transactionId −1 for a transaction the backend never answered).
public protocol OCPPStore: SecurityLogStore {
    /// The oldest queued message with its session.
    func transactionQueueHead() throws -> QueuedTransactionMessage?
    func transactionQueueCount() throws -> Int
    /// Empties the queue (no backend is configured any more).
    func clearTransactionQueue() throws
    /// Queues a MeterValues payload (JSON text) of a session; beyond `capacity` queued MeterValues the oldest are
    /// dropped in the same write. Returns how many were dropped.
    @discardableResult
    func enqueueMeterValues(session: UUID, payload: String, at: Date, capacity: Int) throws -> Int
    /// Keeps a meter value (JSON) for the session's StopTransaction.transactionData.
    func appendTransactionData(session: UUID, payload: String) throws
    /// The meter values kept for a session's StopTransaction, oldest first.
    func transactionData(session: UUID) throws -> [String]
    /// The central system answered message `sequence`: a StartTransaction answer maps the session to its
    /// transactionId, a StopTransaction answer (`finished`) forgets its transactionData, in one write.
    func transactionMessageDelivered(_ sequence: Int64, session: UUID?, transactionID: Int?, finished: Bool) throws
    /// The central system failed to process message `sequence`: counts the attempt and drops the message once
    /// `maxAttempts` is reached.
    func transactionMessageFailed(_ sequence: Int64, maxAttempts: Int) throws -> (attempts: Int, dropped: Bool)
    /// The running session with OCPP transactionId `id`.
    func openSession(transactionID id: Int) throws -> SessionRecord?
    /// The OCPP transactionId of a session, once the central system assigned one.
    func transactionID(session id: UUID) throws -> Int?
    /// Whether ChangeAvailability made connector `connector` Inoperative (persistent, OCPP 1.6 §5.2).
    func persistedInoperative(connector: Int) throws -> Bool
    func setPersistedAvailability(connector: Int, operative: Bool) throws
    /// A firmware update that must survive the restart that installs it.
    func firmwareJob() throws -> FirmwareUpdateJob?
    func saveFirmwareJob(_ job: FirmwareUpdateJob?) throws
    /// The version of the last installed firmware package (BootNotification's firmwareVersion).
    func installedFirmwareVersion() throws -> String?
    func setInstalledFirmwareVersion(_ version: String) throws
    /// A security profile raised by the central system and not yet connected with (OCPP 1.6 security whitepaper ed. 3
    /// A05), so that the station can return to the previous one.
    func securityProfileFallback() throws -> SecurityProfileFallback?
    func setSecurityProfileFallback(_ fallback: SecurityProfileFallback?) throws
}

/// One entry of the station's security log (OCPP 1.6 security whitepaper ed. 3 §8, A04.FR.04).
public struct SecurityLogEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    /// The event's name (``OCPP16/SecurityEventType``'s raw value; a free string of at most 50 characters).
    public var type: String
    public var techInfo: String?
    public var critical: Bool
    /// A local event (``LocalSecurityEvent``: logins, configuration changes …), never sent to the central system.
    public var local: Bool

    public init(id: Int64, at: Date, type: String, techInfo: String?, critical: Bool, local: Bool = false) {
        self.id = id; self.at = at; self.type = type; self.techInfo = techInfo; self.critical = critical; self.local = local
    }
}

/// The station's security log and the durable queueing of its SecurityEventNotifications (OCPP 1.6 security whitepaper
/// ed. 3 §8, use case A04). An adapter that keeps a security log implements it beside ``OCPPStore``.
public protocol SecurityLogStore: Sendable {
    /// Appends an event to the rolling security log (beyond ``SecurityLogPolicy/maxEntries`` the oldest go, A04.FR.04)
    /// and, when `notification` is given (the SecurityEventNotification payload as JSON text), queues it in the
    /// persistent OCPP queue in the same write: a `kill -9` leaves both or neither.
    func recordSecurityEvent(type: String, techInfo: String?, critical: Bool, at: Date, notification: String?) throws
    /// The security log's entries from `from` to `to` (inclusive, nil: open), oldest first, at most `limit`.
    func securityLog(from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry]
}

/// The bounds of the security log and of the SecurityEventNotifications waiting for the central system.
public enum SecurityLogPolicy {
    /// Entries kept in the security log; the oldest are dropped first ("rolling", whitepaper A04.FR.04).
    public static let maxEntries = 10_000
    /// Local events kept (``LocalSecurityEvent``): a flood of failed logins from the network rolls away older local
    /// events, never the whitepaper's events, which always keep the other half of the log.
    public static let maxLocalEntries = 5_000
    /// SecurityEventNotifications kept while the central system is away; the oldest go first, so a station offline for
    /// months cannot fill its disk with one kind of event.
    public static let maxQueued = 1_000
    /// Characters of techInfo (the message's CiString255).
    public static let techInfoMaxCharacters = 255
}
