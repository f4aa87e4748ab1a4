#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// The station's side of a firmware installation, which the firmware machine (``FirmwareManagement``) asks for with
/// `holdConnectors`, whether the OCPP charge point or, without a backend, the runtime carries it out.
extension StationController {
    /// Keeps idle connectors Unavailable while an installation waits and runs (`hold`), so that no new session starts
    /// and the installation is not put off for ever (OCPP 1.6 §5.19: the charge point may wait until no transaction
    /// runs); releasing restores the availability the backend set (`persistedInoperative`, ChangeAvailability §5.2).
    public mutating func holdForFirmware(_ hold: Bool, persistedInoperative: (Int) -> Bool, now: Date) {
        firmwareHold = hold
        for n in 1...connectorCount {
            if hold {
                guard backendView(connector: n)?.session == nil else { continue }
                setOperative(connector: n, false, now: now)
            } else if !persistedInoperative(n) {
                setOperative(connector: n, true, now: now)
            }
        }
    }

    /// A transaction runs on some connector (a firmware installation waits for none to run).
    public var transactionsRunning: Bool { (1...connectorCount).contains { backendView(connector: $0)?.session != nil } }
}
