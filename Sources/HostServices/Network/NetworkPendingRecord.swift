#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig

/// A change waiting for its confirmation, on disk in the data directory (`network-pending.json`), so that the rollback
/// promise holds when the ChargeKit process itself stops within the window (a crash, a power cut of the process, an
/// upgrade): at the next start the change is still pending for its remaining time, or taken back at once when that has
/// passed. Written before the change is applied (what is acknowledged is persisted first), removed when it is confirmed
/// or taken back. The configurations are kept as systemd-networkd files (``NetworkdFile``), whose round trip is tested.
struct NetworkPendingRecord: Codable, Equatable {
    var interface: String
    var previous: String
    var applied: String
    var removedAddresses: [String]
    var newAddresses: [String]
    /// The previous configuration was none of ChargeKit's: the way back removes ours.
    var revertRemoves: Bool
    /// Wall-clock seconds since 1970: the monotonic clock does not survive the process.
    var deadlineUnixSeconds: Double

    init(_ p: NetworkChangeGuard.Pending, revertRemoves: Bool, deadlineUnixSeconds: Double) {
        interface = p.interface
        previous = NetworkdFile.render(p.previous)
        applied = NetworkdFile.render(p.applied)
        removedAddresses = p.removedAddresses.map(\.description)
        newAddresses = p.newAddresses.map(\.description)
        self.revertRemoves = revertRemoves
        self.deadlineUnixSeconds = deadlineUnixSeconds
    }

    /// The pending change on the new process's monotonic base; nil when the record does not read back.
    func pending(nowSeconds: Double, wallSeconds: Double) -> NetworkChangeGuard.Pending? {
        guard let previous = NetworkdFile.parse(previous)?.config, let applied = NetworkdFile.parse(applied)?.config else { return nil }
        return NetworkChangeGuard.Pending(previous: previous, applied: applied, deadlineSeconds: nowSeconds + max(0, deadlineUnixSeconds - wallSeconds),
                                          removedAddresses: removedAddresses.compactMap(IPAddress.init), newAddresses: newAddresses.compactMap(IPAddress.init))
    }

    static func load(_ path: String) -> NetworkPendingRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Self.self, from: data)
    }

    /// Atomically, private to the station's user (the data directory's rule).
    func save(_ path: String) throws {
        do { try SystemFile.write(Array(try JSONEncoder().encode(self)), to: path, mode: 0o600) } catch let failure as SystemFile.Failure {
            throw NetworkConfigureError.serviceFailed("writing \(failure) failed")
        }
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
}
