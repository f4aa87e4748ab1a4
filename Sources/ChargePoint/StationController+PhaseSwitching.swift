#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16

/// One connector's automatic phase switching: the PV side's wish and the switch sequence.
public struct PhaseSwitchState: Sendable, Equatable {
    public internal(set) var switcher = PhaseSwitcher()
    var choice = PhaseChoice()
    /// Why the connector is wished to another phase count, or is about to be (nil: nothing pending).
    public internal(set) var reason: String?
    /// The phases the board reported in the previous step (to notice a switch).
    var lastSwitchedPhases: Int?
}

/// The phase switch as `/api/status` shows it per connector whose board has a phase-switching contactor.
public struct PhaseSwitchView: Sendable, Codable, Equatable {
    /// The phases the board's phase contactor feeds now (1 or 3).
    public var switchedPhases: Int
    /// Automatic phase switching (PhaseSwitching.<n>) is On.
    public var automatic: Bool
    /// idle, stopping, opening, switching or pausing.
    public var stage: PhaseSwitchStage
    /// The phases a running switch goes to.
    public var targetPhases: Int?
    /// Why a switch is pending or running, in words.
    public var reason: String?
    /// Switches started in the last hour (at most PhaseSwitchesPerHour).
    public var switchesLastHour: Int
}

/// Automatic 1-phase/3-phase switching on the station (issue 25 item 3). A connector wired for three phases whose board
/// reports a phase-switching contactor (``ConnectorReading/switchedPhases``) is switched by LoadManagement's
/// ``PhaseSwitcher``; what it is switched to comes from two places:
/// - PV surplus (PhaseSwitching.<n> On, Min+PV or PV mode, a session): ``PhaseChoice`` on the connector's share of the
///   surplus (not for a vehicle seen drawing on one phase of three: it gains nothing); in Fast mode, or with
///   PhaseSwitching Off, the connector goes back to its three phases;
/// - the Sunny Home Manager (SMA interface in surplus charging, the connector in Fast mode): its recommended power, the
///   same way as a share of the surplus;
/// - OCPP charging profiles: a running period with `numberPhases` 1 (OCPP 1.6 §7.7) asks for one phase whatever PV wants.
/// While a switch runs, the chain holds the connector at 0 A as source ``LimitSource/phaseSwitch``; the current returns
/// through the chain like after any pause, so a vehicle that fell asleep is woken by the wake-up rule (Allow EV Wakeup).
extension StationController {
    mutating func runPhaseSwitching(now: Date) {
        for i in connectors.indices where i < settings.connectors.count {
            let n = i + 1
            let cs = settings.connectors[i]
            guard cs.phasesConnected.phaseCount == 3, let switched = connectors[i].reading.switchedPhases else {
                if phaseSwitching[n] != nil {
                    phaseSwitching[n] = nil
                    externalLimits[n]?[.phaseSwitch] = nil
                    if connectors[i].machine.holdingContactors { run(n, connectors[i].machine.handle(.holdContactors(false))) }
                }
                continue
            }
            var state = phaseSwitching[n] ?? PhaseSwitchState()
            if let last = state.lastSwitchedPhases, last != switched { surplus.forgetPhases(connector: n) }
            state.lastSwitchedPhases = switched
            var (wanted, reason) = phaseWish(n, cs, switched: switched, state: &state, now: now)
            if let asked = profilePhases(n, now: now), asked < (wanted ?? switched) {
                (wanted, reason) = (asked, "the charging profile allows \(PhaseSwitcher.phases(asked))")
            }
            let input = PhaseSwitchInput(wantedPhases: wanted, switchedPhases: switched, vehicleRequestsEnergy: connectors[i].pilot.requestsEnergy,
                                         contactorsOpen: !connectors[i].reading.relayFeedback.isClosed)
            for action in state.switcher.step(input, settings.phaseSwitching, now: now) {
                switch action {
                case .switchPhases(let phases): effects.append(.hardware(.setPhases(connector: n, phases: phases)))
                case .log(let line): log(now, .currentLimitChanged, n, "Connector \(n): \(line)")
                }
            }
            state.reason = state.switcher.stage == .idle ? reason : reason ?? state.reason
            if state.switcher.holdsContactors != connectors[i].machine.holdingContactors {
                run(n, connectors[i].machine.handle(.holdContactors(state.switcher.holdsContactors)))
            }
            externalLimits[n, default: [:]][.phaseSwitch] = state.switcher.holdsCurrent ? ExternalLimit(.phaseSwitch, amps: 0) : nil
            phaseSwitching[n] = state
        }
    }

    /// What PV surplus (or its absence) wants for connector `n`: nil keeps what is switched.
    private func phaseWish(_ n: Int, _ cs: StationSettings.ConnectorSettings, switched: Int, state: inout PhaseSwitchState,
                           now: Date) -> (Int?, String?) {
        guard cs.phaseSwitching else {
            state.choice = PhaseChoice()
            return (3, switched == 3 ? nil : "automatic phase switching is off")
        }
        if cs.chargeMode == .fast {
            // The Sunny Home Manager's recommended power stands for the surplus when it controls the connector.
            if connectors[n - 1].session.activeSession != nil, let w = sempRecommendedW(n) {
                return state.choice.wanted(shareW: w, switchedPhases: switched, settings.phaseSwitching, now: now)
            }
            state.choice = PhaseChoice()
            return (3, switched == 3 ? nil : "Fast mode charges on three phases")
        }
        guard connectors[n - 1].session.activeSession != nil else {
            state.choice = PhaseChoice()
            return (nil, nil)
        }
        // A vehicle that draws on one phase of three gains nothing from a switch (its charger is single-phase).
        if switched == 3, let used = vehiclePhases[n], used.count == 1 {
            state.choice = PhaseChoice()
            return (nil, nil)
        }
        return state.choice.wanted(shareW: surplusDecisions[n]?.shareW, switchedPhases: switched, settings.phaseSwitching, now: now)
    }

    /// The `numberPhases` the charging profiles give connector `n` now (nil: none).
    func profilePhases(_ n: Int, now: Date) -> Int? {
        guard !chargingProfiles.installed.isEmpty else { return nil }
        return chargingProfiles.phases(connector: n, at: now, transaction: profileTransaction(n, transactionID: nil))
    }

    /// Whether a connector can switch between 3 phases and 1: wired for three on a board with a phase-switching
    /// contactor (OCPP 1.6 §9.4 ConnectorSwitch3to1PhaseSupported).
    public var phaseSwitchSupported: Bool {
        connectors.indices.contains { i in
            i < settings.connectors.count && settings.connectors[i].phasesConnected.phaseCount == 3 && connectors[i].reading.switchedPhases != nil
        }
    }

    /// Connector `n`'s phase switch for the status API (nil without a phase-switching contactor).
    func phaseSwitchView(_ n: Int, now: Date) -> PhaseSwitchView? {
        guard let state = phaseSwitching[n], let switched = connectors[n - 1].reading.switchedPhases else { return nil }
        return PhaseSwitchView(switchedPhases: switched, automatic: settings.connectors[n - 1].phaseSwitching, stage: state.switcher.stage,
                               targetPhases: state.switcher.targetPhases, reason: state.reason,
                               switchesLastHour: state.switcher.switchesInLastHour(now: now))
    }
}
