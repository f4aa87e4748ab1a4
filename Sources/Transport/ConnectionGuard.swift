#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import Synchronization

/// A connection that was refused: the child channel initializer fails with it after the channel was closed (NIO then
/// drops the channel without handing it to the server).
public struct ConnectionRefused: Error, Equatable, CustomStringConvertible {
    public let reason: ConnectionRefusal
    public var description: String { "connection refused: \(reason.rawValue)" }
}

/// Admits or refuses the accepted connections of one listener: its ``ConnectionLimits`` and the process's
/// ``DescriptorBudget``. A refused connection is closed at once (the client sees the connection end instead of
/// waiting in a queue), and refusals are logged at most once a minute per listener with their count.
///
/// Every TCP listener uses one: the Modbus TCP servers, the OCPP-J server and the HTTP servers (through
/// `GuardedHTTPServer` in WebUI).
public final class ConnectionGuard: Sendable {
    /// One admitted connection: released when its channel closes.
    public final class Slot: Sendable {
        let address: String
        let owner: ConnectionGuard
        /// 0 pending, 1 established, 2 released: establishing and releasing each happen once, in either order.
        private let state = Atomic<Int>(0)
        init(address: String, owner: ConnectionGuard) { self.address = address; self.owner = owner }

        /// The connection proved itself (see ``ConnectionLedger/establish(_:)``); later calls do nothing.
        public func establish() {
            guard state.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged else { return }
            owner.ledger.withLock { $0.establish(address) }
        }

        func release() {
            let previous = state.exchange(2, ordering: .relaxed)
            guard previous != 2 else { return }
            owner.budget.release()
            owner.ledger.withLock { $0.release(address, established: previous == 1) }
        }
    }

    /// Names the listener in log lines ("Modbus TCP", "OCPP-J server", "HTTP").
    public let name: String
    let ledger: Mutex<ConnectionLedger>
    let budget: DescriptorBudget
    let logger: Logger
    private let refusals = Mutex<(lastLog: NIODeadline?, count: Int)>((nil, 0))
    /// Refusals are summed up and logged at most this often: a flood must not also flood the log.
    static let refusalLogInterval = TimeAmount.seconds(60)

    public init(name: String, limits: ConnectionLimits, budget: DescriptorBudget = .process, logger: Logger) {
        self.name = name; self.ledger = Mutex(ConnectionLedger(limits: limits)); self.budget = budget; self.logger = logger
    }

    /// The listener's counts now.
    public var snapshot: ConnectionLedger { ledger.withLock { $0 } }

    /// Admits `channel` (just accepted) or closes it. Call it first in the child channel initializer — a refusal as
    /// the initializer's failed future makes NIO drop the channel — and keep the slot where the connection may prove
    /// itself; an admitted connection gives its slot back when it closes.
    public func admit(_ channel: any Channel) -> Result<Slot, ConnectionRefused> {
        let address = Self.addressKey(channel.remoteAddress)
        var refusal = ledger.withLock { $0.admit(address) }
        if refusal == nil, !budget.acquire() {
            ledger.withLock { $0.release(address, established: false) }
            refusal = .descriptorsLow
        }
        if let refusal {
            channel.close(promise: nil)
            logRefusal(refusal, address: address)
            return .failure(ConnectionRefused(reason: refusal))
        }
        let slot = Slot(address: address, owner: self)
        channel.closeFuture.whenComplete { _ in slot.release() }
        return .success(slot)
    }

    private func logRefusal(_ refusal: ConnectionRefusal, address: String) {
        let now = NIODeadline.now()
        let count: Int? = refusals.withLock { state in
            state.count += 1
            guard state.lastLog.map({ now - $0 >= Self.refusalLogInterval }) ?? true else { return nil }
            defer { state = (now, 0) }
            return state.count
        }
        guard let count else { return }
        let counts = snapshot
        logger.warning("\(name): \(count) connection(s) refused since the last report, the latest from \(address) because \(refusal.rawValue)",
                       metadata: ["open": "\(counts.total)", "limit": "\(counts.limits.maxConnections)", "perAddress": "\(counts.limits.maxPerAddress)",
                                  "process.connections": "\(budget.inUse)", "process.capacity": "\(budget.capacity)"])
    }

    /// The key a remote address is counted under (``ConnectionLedger/addressKey(ipv6:)``).
    static func addressKey(_ address: SocketAddress?) -> String {
        switch address {
        case .v6?:
            var bytes = [UInt8](repeating: 0, count: 16)
            guard let text = address?.ipAddress, inet_pton(AF_INET6, text, &bytes) == 1 else { return address?.ipAddress ?? "?" }
            return ConnectionLedger.addressKey(ipv6: bytes)
        case let other?:
            return other.ipAddress ?? "local"
        case nil:
            return "?"
        }
    }
}
