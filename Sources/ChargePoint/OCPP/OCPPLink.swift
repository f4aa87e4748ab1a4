#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16

/// The charge point's side of an OCPP-J 1.6 connection as a state machine: registration (BootNotification
/// Accepted/Pending/Rejected with its retry interval), one outstanding CALL at a time with a response timeout,
/// message priorities, heartbeats, and validation of everything received. It does no I/O: frames come in as
/// text, time as `now`, and it returns the frames to send and what the station must act on.
///
/// Order of outgoing CALLs when several wait: StatusNotifications (latest status per connector), other
/// non-transaction messages, then the head of the persistent transaction queue (which the owner passes in),
/// then a Heartbeat when one is due.
///
/// - SeeAlso: OCPP-J 1.6 §4 (RPC framework, one outstanding CALL per direction), OCPP 1.6 §4.2 (boot),
///   §4.6 (heartbeat), §4.10 (transaction messages); the OCA OCPP 1.6 compliance test cases (OCTT).
public struct OCPPLink: Sendable {
    public enum Registration: String, Sendable, Equatable {
        /// No BootNotification answered yet.
        case unknown
        case pending
        case accepted
        case rejected
    }

    /// Why a CALL was sent, so that its answer can be routed.
    public enum Purpose: Sendable, Equatable {
        case boot
        case heartbeat
        case status(connector: Int)
        case authorize(idTag: String)
        /// A message of the persistent transaction queue, by its sequence number.
        case transaction(sequence: Int64)
        /// A DataTransfer of ISO 15118 Plug & Charge (OCA application note), routed back by what it asked.
        case iso15118(ISO15118Call)
        /// Anything else (DataTransfer, firmware/diagnostics status, triggered MeterValues).
        case other
    }

    /// A CALL to send.
    public struct Call: Sendable, Equatable {
        public var id: String
        public var action: String
        public var payload: JSONValue
        public var purpose: Purpose
        /// Sent while the registration is Pending (TriggerMessage answers).
        public var allowedWhilePending: Bool

        public init(id: String, action: String, payload: JSONValue, purpose: Purpose, allowedWhilePending: Bool = false) {
            self.id = id; self.action = action; self.payload = payload; self.purpose = purpose; self.allowedWhilePending = allowedWhilePending
        }
    }

    /// What the owner must do.
    public enum Output: Sendable, Equatable {
        /// Send this text frame.
        case send(String)
        /// A validated CALL from the central system; answer it with ``respond(to:payload:)`` or ``fail(_:_:)``.
        case request(id: String, action: String, payload: JSONValue)
        /// A validated answer to one of our CALLs.
        case answered(Purpose, action: String, payload: JSONValue)
        /// A CALL failed: a CALLERROR (`code`), an invalid answer, or no answer in time (`timedOut`).
        case failed(Purpose, action: String, code: String, description: String, timedOut: Bool)
        /// The registration changed (BootNotification answered).
        case registered(Registration, interval: Int, currentTime: Date)
        /// A frame could not be understood and could not be answered (no readable message id).
        case dropped(reason: String)
        /// A frame of the central system was malformed (not OCPP-J, or a payload against its schema); it was answered
        /// with a CALLERROR or dropped as well. The charge point raises the security event InvalidMessages (OCPP 1.6
        /// security whitepaper ed. 3 §8).
        case invalid(reason: String)
    }

    public struct Configuration: Sendable, Equatable {
        public var bootNotification: BootNotificationRequest
        public var heartbeatInterval: Duration
        /// Heartbeats at every interval, not only after silence (seeds/004 "Force Heartbeat request messages").
        public var forceHeartbeat: Bool
        public var messageTimeout: Duration
        /// The retry interval when the backend gives none (Pending/Rejected with interval 0, or no answer).
        public var bootRetryDefault: Duration
        public var supportedProfiles: Set<FeatureProfile>

        public init(bootNotification: BootNotificationRequest, heartbeatInterval: Duration = .seconds(300), forceHeartbeat: Bool = true,
                    messageTimeout: Duration = .seconds(60), bootRetryDefault: Duration = .seconds(30),
                    supportedProfiles: Set<FeatureProfile>) {
            self.bootNotification = bootNotification; self.heartbeatInterval = heartbeatInterval; self.forceHeartbeat = forceHeartbeat
            self.messageTimeout = messageTimeout; self.bootRetryDefault = bootRetryDefault; self.supportedProfiles = supportedProfiles
        }
    }

    public var configuration: Configuration
    public private(set) var registration: Registration = .unknown
    public private(set) var connected = false
    /// The CALL waiting for its answer.
    public private(set) var inFlight: (call: Call, sentAt: Date)?
    /// Latest status per connector not yet sent, in the order they changed.
    public private(set) var pendingStatus: [(connector: Int, call: Call)] = []
    /// Other non-transaction CALLs, first in first out.
    public private(set) var pendingCalls: [Call] = []
    /// When the next BootNotification may go out.
    public private(set) var nextBootAt: Date?
    /// Transaction messages wait until then after a failure (TransactionMessageRetryInterval).
    public var transactionsNotBefore: Date?
    /// When the last CALL was sent, and the last Heartbeat.
    public private(set) var lastSentAt: Date?
    public private(set) var lastHeartbeatAt: Date?
    /// Whether a BootNotification was accepted since the process started (reconnects do not boot again, OCPP-J §5.4).
    public private(set) var acceptedOnce = false
    /// Whether a BootNotification was accepted on the current connection: until the next reconnect (or restart) a
    /// TriggerMessage(BootNotification) is Rejected (OCPP 1.6 errata 3.35); on a new connection it is sent again.
    public private(set) var acceptedOnThisConnection = false
    private let makeID: @Sendable () -> String

    public init(configuration: Configuration, makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.configuration = configuration
        self.makeID = makeID
    }

    /// A new message id (unique across restarts: random UUIDs).
    public func newID() -> String { makeID() }

    // MARK: Connection

    /// The WebSocket is open: boot (first time) or carry on where the registration left off.
    public mutating func connected(now: Date) -> [Output] {
        connected = true
        inFlight = nil
        // A transaction message lost with the old connection is no failure of the backend: the queue goes out at once on
        // the new one (OCPP 1.6 §4.10; TC_036), not after TransactionMessageRetryInterval.
        transactionsNotBefore = nil
        acceptedOnThisConnection = false
        if !acceptedOnce { registration = .unknown; nextBootAt = now } else if registration == .accepted { nextBootAt = nil }
        return poll(now: now, transaction: nil)
    }

    /// The WebSocket closed. The CALL in flight is lost; transaction messages stay in their queue.
    public mutating func disconnected() -> [Output] {
        connected = false
        acceptedOnThisConnection = false
        defer { inFlight = nil }
        guard let (call, _) = inFlight else { return [] }
        return [.failed(call.purpose, action: call.action, code: "ConnectionLost", description: "the connection closed before the answer", timedOut: true)]
    }

    // MARK: Sending

    /// Queues the current status of a connector; an unsent older status of the same connector is replaced
    /// (StatusNotifications are not queued for guaranteed delivery; checklist §1.4.3).
    public mutating func enqueueStatus(connector: Int, _ request: StatusNotificationRequest) {
        let call = Call(id: makeID(), action: StatusNotificationRequest.action, payload: OCPPCoding.encode(request), purpose: .status(connector: connector))
        pendingStatus.removeAll { $0.connector == connector }
        pendingStatus.append((connector, call))
    }

    /// Non-transaction CALLs kept while they cannot be sent (clock-aligned MeterValues of a backend away for days):
    /// beyond this the oldest is dropped, so the queue cannot grow without bound (issue #20 item 6). Transaction
    /// messages have their own persistent queue.
    public static let maximumPendingCalls = 100

    /// Queues a non-transaction CALL.
    public mutating func enqueue(_ call: Call) {
        pendingCalls.append(call)
        if pendingCalls.count > Self.maximumPendingCalls { pendingCalls.removeFirst(pendingCalls.count - Self.maximumPendingCalls) }
    }

    /// TriggerMessage(BootNotification) (OCPP 1.6 §5.17, errata 3.35): whether it is accepted, and if so the
    /// BootNotification goes out as the next CALL — at once, not when a Pending or Rejected interval ends (a central
    /// system that answered Pending with an interval of an hour triggers the boot to accept the station now). After a
    /// BootNotification was Accepted on this connection it is Rejected until the next reconnect or restart; on a new
    /// connection it is accepted again, and the station then follows the answer like any BootNotification's.
    public mutating func triggerBoot(now: Date) -> Bool {
        guard !acceptedOnThisConnection else { return false }
        if inFlight?.call.purpose != .boot { nextBootAt = now }
        return true
    }

    /// Advances timers and sends the next CALL if the line is free. `transaction` is the head of the persistent
    /// transaction queue, if any.
    public mutating func poll(now: Date, transaction: Call?) -> [Output] {
        guard connected else { return [] }
        var out: [Output] = []
        if let (call, sentAt) = inFlight, now.timeIntervalSince(sentAt) >= configuration.messageTimeout.seconds {
            inFlight = nil
            out.append(.failed(call.purpose, action: call.action, code: "Timeout",
                               description: "no answer within \(Int(configuration.messageTimeout.seconds)) s", timedOut: true))
            if call.purpose == .boot { bootFailed(now: now) }
        }
        guard inFlight == nil, let next = nextCall(now: now, transaction: transaction) else { return out }
        inFlight = (next, now)
        lastSentAt = now
        if next.purpose == .heartbeat { lastHeartbeatAt = now }
        out.append(.send(OCPPFrame.call(id: next.id, action: next.action, payload: next.payload).serialized()))
        return out
    }

    private mutating func nextCall(now: Date, transaction: Call?) -> Call? {
        switch registration {
        case .unknown, .rejected, .pending:
            if let at = nextBootAt, now >= at {
                nextBootAt = nil
                return Call(id: makeID(), action: BootNotificationRequest.action, payload: OCPPCoding.encode(configuration.bootNotification),
                            purpose: .boot)
            }
            if registration == .pending, let i = pendingCalls.firstIndex(where: \.allowedWhilePending) {
                return pendingCalls.remove(at: i)
            }
            return nil
        case .accepted:
            if let at = nextBootAt, now >= at {
                // A triggered BootNotification (a reconnect without a reboot does not boot on its own, OCPP-J §5.4).
                nextBootAt = nil
                return Call(id: makeID(), action: BootNotificationRequest.action, payload: OCPPCoding.encode(configuration.bootNotification),
                            purpose: .boot)
            }
            if !pendingStatus.isEmpty { return pendingStatus.removeFirst().call }
            if !pendingCalls.isEmpty { return pendingCalls.removeFirst() }
            if let transaction, transactionsNotBefore.map({ now >= $0 }) ?? true { return transaction }
            if now >= nextHeartbeatAt ?? .distantPast {
                return Call(id: makeID(), action: HeartbeatRequest.action, payload: .object([:]), purpose: .heartbeat)
            }
            return nil
        }
    }

    /// When the next Heartbeat is due while the registration is accepted: an interval after the last Heartbeat
    /// (Force Heartbeat) or after the last CALL; interval 0 still sends one a day for time sync (checklist §1.2).
    public var nextHeartbeatAt: Date? {
        guard registration == .accepted else { return nil }
        let interval = configuration.heartbeatInterval.seconds
        let effective = interval > 0 ? interval : 86_400
        let reference = configuration.forceHeartbeat ? lastHeartbeatAt : lastSentAt
        return reference.map { $0.addingTimeInterval(effective) } ?? .distantPast
    }

    /// The wall clock was stepped by `seconds`: every timer keeps its remaining duration.
    public mutating func shiftTimers(by seconds: Double) {
        func shift(_ d: Date?) -> Date? { d?.addingTimeInterval(seconds) }
        if let (call, sentAt) = inFlight { inFlight = (call, sentAt.addingTimeInterval(seconds)) }
        nextBootAt = shift(nextBootAt)
        transactionsNotBefore = shift(transactionsNotBefore)
        lastSentAt = shift(lastSentAt)
        lastHeartbeatAt = shift(lastHeartbeatAt)
    }

    // MARK: Receiving

    /// Handles a received text frame.
    public mutating func received(_ text: String, now: Date) -> [Output] {
        let frame: OCPPFrame
        do { frame = try OCPPFrame.parse(text) } catch {
            if let id = error.messageID {
                return registration == .rejected ? [.invalid(reason: error.description)]
                    : [.send(OCPPFrame.error(error, id: id).serialized()), .invalid(reason: error.description)]
            }
            return [.dropped(reason: error.description), .invalid(reason: error.description)]
        }
        switch frame {
        case .call(let id, let action, let payload):
            // Rejected: the charge point does not answer the central system (OCPP 1.6 §4.2.1).
            guard registration != .rejected else { return [.dropped(reason: "\(action) while the registration is Rejected")] }
            do {
                try OCPP16Catalog.validateCall(action: action, payload: payload, supported: configuration.supportedProfiles)
            } catch {
                let unknown = error.code == .notImplemented || error.code == .notSupported
                return [.send(OCPPFrame.error(error, id: id).serialized())]
                    + (unknown ? [] : [.invalid(reason: "\(action): \(error.description)")])
            }
            if let entry = OCPP16Catalog.entries[action], entry.direction == .chargePointToCentralSystem {
                return [.send(OCPPFrame.error(OCPPError(.notSupported, "\(action) is sent by charge points, not to them"), id: id).serialized())]
            }
            return [.request(id: id, action: action, payload: payload)]
        case .callResult(let id, let payload):
            guard let (call, _) = inFlight, call.id == id else { return [.dropped(reason: "CALLRESULT \(id) answers no outstanding CALL")] }
            inFlight = nil
            if let schema = OCPP16Catalog.entries[call.action]?.request.responseSchema {
                do { try schema.validate(payload) } catch {
                    if call.purpose == .boot { bootFailed(now: now) }
                    return [.failed(call.purpose, action: call.action, code: error.code.rawValue,
                                    description: "invalid \(call.action).conf: \(error.description)", timedOut: false),
                            .invalid(reason: "invalid \(call.action).conf: \(error.description)")]
                }
            }
            if call.purpose == .boot { return bootAnswered(payload, now: now) }
            return [.answered(call.purpose, action: call.action, payload: payload)]
        case .callError(let id, let code, let description, _):
            guard let (call, _) = inFlight, call.id == id else { return [.dropped(reason: "CALLERROR \(id) answers no outstanding CALL")] }
            inFlight = nil
            if call.purpose == .boot { bootFailed(now: now) }
            return [.failed(call.purpose, action: call.action, code: code, description: description, timedOut: false)]
        }
    }

    /// A BootNotification got no usable answer: it is sent again after the default interval — unless the station is
    /// Accepted already (a triggered BootNotification is not repeated on its own).
    private mutating func bootFailed(now: Date) {
        guard registration != .accepted else { return }
        nextBootAt = now.addingTimeInterval(configuration.bootRetryDefault.seconds)
    }

    private mutating func bootAnswered(_ payload: JSONValue, now: Date) -> [Output] {
        guard let r = try? BootNotificationResponse(json: payload), let status = Registration(rawValue: r.status.rawValue.lowercased()) else {
            bootFailed(now: now)
            return []
        }
        registration = status
        switch status {
        case .accepted:
            acceptedOnce = true
            acceptedOnThisConnection = true
            nextBootAt = nil
            if r.interval > 0 { configuration.heartbeatInterval = .seconds(r.interval) }
            lastHeartbeatAt = now
        case .pending, .rejected:
            let wait = r.interval > 0 ? Double(r.interval) : configuration.bootRetryDefault.seconds
            nextBootAt = now.addingTimeInterval(wait)
            // Rejected: nothing may be sent until the interval has passed; queued CALLs wait for acceptance.
        case .unknown:
            break
        }
        return [.registered(status, interval: r.interval, currentTime: r.currentTime)]
    }

    // MARK: Answering

    /// The CALLRESULT frame answering a request.
    public static func respond<P: OCPPPayload>(to id: String, _ payload: P) -> String {
        OCPPFrame.callResult(id: id, payload: OCPPCoding.encode(payload)).serialized()
    }

    /// The CALLERROR frame answering a request.
    public static func fail(_ id: String, _ error: OCPPError) -> String {
        OCPPFrame.error(error, id: id).serialized()
    }
}
