#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// A CALL on its way through the bridge: the frame as it arrived (relayed unchanged) and what the bridge needs of it.
/// The parsed payload is kept only where an answer needs it (StartTransaction: the transaction's registers), so a held
/// CALL costs about its text.
struct RelayedCall: Sendable {
    var messageID: String
    var action: String
    /// Tells a retry (same action and payload, a new message id) from a new CALL without keeping the payload.
    var payloadHash: Int
    /// The payload, for StartTransaction only.
    var payload: JSONValue?
    var text: String
    /// When it was sent on; nil while it is held.
    var sentAt: Date?

    init(messageID: String, action: String, payload: JSONValue, text: String) {
        self.messageID = messageID; self.action = action; self.payloadHash = payload.hashValue; self.text = text
        self.payload = action == StartTransactionRequest.action ? payload : nil
    }

    /// What the CALL costs while it waits: its text.
    var bytes: Int { text.utf8.count }

    /// Whether `payload` is this CALL's (a hash match confirmed by the held text, so a collision never merges two CALLs).
    func carries(_ action: String, _ payload: JSONValue) -> Bool {
        guard action == self.action, payload.hashValue == payloadHash else { return false }
        guard case .call(_, _, let held)? = try? OCPPFrame.parse(text) else { return false }
        return held == payload
    }
}

/// The CALLs waiting in one direction, in arrival order, with the bytes of their text kept up to date.
struct CallQueue: RandomAccessCollection, Sendable {
    private var calls: [RelayedCall] = []
    /// The bytes of every CALL's text.
    private(set) var bytes = 0

    var startIndex: Int { calls.startIndex }
    var endIndex: Int { calls.endIndex }

    subscript(i: Int) -> RelayedCall {
        get { calls[i] }
        set { bytes += newValue.bytes - calls[i].bytes; calls[i] = newValue }
    }

    mutating func append(_ call: RelayedCall) { calls.append(call); bytes += call.bytes }

    @discardableResult
    mutating func remove(at i: Int) -> RelayedCall {
        let call = calls.remove(at: i)
        bytes -= call.bytes
        return call
    }

    @discardableResult
    mutating func removeFirst() -> RelayedCall { remove(at: 0) }
}

/// What the bridge keeps per charger (External mode).
struct RelayState: Sendable {
    /// The charger's upstream connection to the external central system is open.
    var upstreamOpen = false
    /// The charger's CALLs in arrival order; the first is on the wire when it has `sentAt`, the rest are held.
    var toCentral = CallQueue()
    /// The external central system's CALLs in arrival order; the first is on the wire when it has `sentAt`.
    var toCharger = CallQueue()
    /// StartTransaction CALLs whose answer did not come while they were on the wire (timed out, or the connection
    /// closed), so that a late StartTransaction.conf still opens the transaction (the newest few, without their text).
    var late: [RelayedCall] = []
    /// CALLs dropped by the bounds since the upstream connection last opened (logged once, then counted).
    var dropped = 0
    /// Why the last attempt to open the upstream connection failed (logged when it changes).
    var lastFailure: String?

    /// The bytes held for this charger in both directions.
    var bytes: Int { toCentral.bytes + toCharger.bytes }
}

/// The chargers the central system knows, by ChargerID, with the bytes the bridge holds for all of them kept up to
/// date on every write, so that the gateway-wide bound (``CentralSystem/maximumHeldBytesTotal``) costs nothing to check,
/// and the ChargerIDs of the chargers with something that can time out (``ChargerState/waits``), so that
/// ``CentralSystem/tick(now:)`` visits those and not every charger.
///
/// Why: the tick runs every 250 ms on the runtime's actor, and a sweep over every charger (sorting the ChargerIDs,
/// copying each state three times) took about 8 ms at 10,000 connected chargers and 15–17 ms at 19,400 on the 2-core
/// machine (`perf record` of the gateway benchmark, issue 31 item 5). Every CALL that arrived meanwhile waited for it:
/// the gateway's p99 on the wire was 15–17 ms whatever the message rate. Most chargers wait for nothing between their
/// messages, so the set is small.
///
/// For the same reason the table keeps the ChargerIDs of the chargers accepted without configuration in order: the MQTT
/// state (every 500 ms) and the diagnostics list them, and sorting up to 50,000 ChargerIDs each time took tens of
/// milliseconds on the runtime's actor.
struct ChargerTable: Sendable {
    private var states: [String: ChargerState] = [:]
    /// The bytes held by the bridge for every charger.
    private(set) var relayBytes = 0
    /// The chargers whose ``ChargerState/waits`` is true, kept up to date on every write.
    private(set) var waiting: Set<String> = []
    /// The ChargerIDs of the chargers without configuration (``ChargerEntry/noSlot``), in ascending order, kept up to date
    /// on every write. The table holds such a charger only while it is connected: it is forgotten with its connection.
    private(set) var unconfigured: [String] = []

    subscript(id: String) -> ChargerState? {
        get { states[id] }
        set {
            relayBytes += (newValue?.relay.bytes ?? 0) - (states[id]?.relay.bytes ?? 0)
            if newValue?.waits == true {
                waiting.insert(id)
            } else if !waiting.isEmpty {
                waiting.remove(id)
            }
            let wasUnconfigured = states[id]?.entry.slot == ChargerEntry.noSlot, isUnconfigured = newValue?.entry.slot == ChargerEntry.noSlot
            if wasUnconfigured != isUnconfigured {
                let i = unconfigured.sortedInsertionIndex(of: id)
                if isUnconfigured { unconfigured.insert(id, at: i) } else { unconfigured.remove(at: i) }
            }
            states[id] = newValue
        }
    }

    var keys: Dictionary<String, ChargerState>.Keys { states.keys }
    var values: Dictionary<String, ChargerState>.Values { states.values }
}

/// ChargerIDs in ascending order (``ChargerTable/unconfigured``, ``GatewayMQTTState/unconfigured``).
extension [String] {
    /// The first index whose ChargerID is not less than `id` (binary search): where `id` is or would go.
    func sortedInsertionIndex(of id: String) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Whether this list holds `id` (binary search).
    func containsSorted(_ id: String) -> Bool {
        let i = sortedInsertionIndex(of: id)
        return i < count && self[i] == id
    }
}
