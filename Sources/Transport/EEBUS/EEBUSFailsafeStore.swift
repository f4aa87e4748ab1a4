import EEBUS
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The LPC failsafe values an energy guard wrote (failsafe consumption active power limit, failsafe duration minimum),
/// kept in `eebus/lpc-failsafe.json` of the data directory: EEBUS UC TS LimitationOfPowerConsumption 1.0.0 requires
/// the Controllable System to keep them through a power loss, so that the failsafe holds even when the guard is gone
/// after a restart. Written atomically (``SHIPIdentity/writeAtomically(_:to:mode:)``) before the write is
/// acknowledged; a file that cannot be read is reported and ignored (the defaults apply until the guard writes again).
public struct EEBUSFailsafeStore: Sendable {
    public let path: String

    public init(directory: String) { path = directory + "/lpc-failsafe.json" }

    /// The stored values; the defaults when there is no file, and the defaults with the problem when it is damaged.
    public func load() -> (values: LPCControllableSystem.StoredValues, problem: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { return (.init(), nil) }
        do {
            return (try JSONDecoder().decode(LPCControllableSystem.StoredValues.self, from: data), nil)
        } catch {
            return (.init(), "\(path) is damaged (\(error)); the failsafe defaults apply until the energy guard writes its values again")
        }
    }

    public func save(_ values: LPCControllableSystem.StoredValues) throws {
        let data = try JSONEncoder().encode(values)
        try SHIPIdentity.writeAtomically(String(decoding: data, as: UTF8.self), to: path, mode: 0o600)
    }
}
