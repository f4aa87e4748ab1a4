#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig

/// The mobile modem's part of the station (issue 24 item 3): WeakSignal of the error catalogue (seeds/002 §3 "Schlechter
/// Empfang über das Mobilfunknetz"; the station keeps charging) as the modem service's planner decides it.
extension StationController {
    public mutating func setWeakSignal(_ weak: Bool, now: Date) {
        setError("weakSignal", connector: 0, active: weak, now: now)
    }
}

/// The Mobile section's status (Network page, `GET /api/network/modem`): whether ModemManager answers, the modem with
/// its SIM, the settings' connection type, the problem the user must act on, and whether WeakSignal is raised.
public struct MobileStatusView: Sendable, Equatable {
    /// False while ModemManager is not on the system bus (not installed, or no bus): the station then runs on the LAN.
    public var managerAvailable: Bool
    /// Why ModemManager cannot be asked, when it cannot.
    public var managerProblem: String?
    public var modem: ModemStatus?
    public var connectionType: MobileSettings.ConnectionType
    public var problem: String?
    public var weakSignal: Bool

    public init(managerAvailable: Bool = false, managerProblem: String? = nil, modem: ModemStatus? = nil,
                connectionType: MobileSettings.ConnectionType = .lan, problem: String? = nil, weakSignal: Bool = false) {
        self.managerAvailable = managerAvailable; self.managerProblem = managerProblem; self.modem = modem
        self.connectionType = connectionType; self.problem = problem; self.weakSignal = weakSignal
    }
}
