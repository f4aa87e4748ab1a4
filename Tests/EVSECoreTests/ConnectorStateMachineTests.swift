import Testing
import TestSupport
@testable import EVSECore

/// Transition table of the connector state machine: from a state reached by `given` events, `when`
/// produces `then` status and exactly the listed hardware actions.
@Suite("Connector state machine")
struct ConnectorStateMachineTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var configuration = ConnectorStateMachine.Configuration()
        var given: [ConnectorEvent]
        var lockConfirmed = true
        var when: ConnectorEvent
        var then: ConnectorStatus
        var actions: [ConnectorAction]
        var testDescription: String { name }
    }

    static let limit32 = ConnectorEvent.currentLimitChanged(amps: 32)

    static let rows: [Row] = [
        Row(name: "Available → Preparing on plug-in, plug locked at once (Lock only if authorized Off)",
            given: [limit32], when: .pilotChanged(.b), then: .preparing,
            actions: [.setLock(locked: true), .statusChanged(from: .available, to: .preparing)]),
        Row(name: "plug-in with Lock only if authorized On: no lock yet",
            configuration: .init(lockOnlyIfAuthorized: true), given: [limit32], when: .pilotChanged(.b), then: .preparing,
            actions: [.statusChanged(from: .available, to: .preparing)]),
        Row(name: "Lock only if authorized On: authorization locks",
            configuration: .init(lockOnlyIfAuthorized: true), given: [limit32, .pilotChanged(.b)], when: .authorized, then: .preparing,
            actions: [.setLock(locked: true)]),
        Row(name: "card first: Available → Preparing without vehicle",
            given: [limit32], when: .authorized, then: .preparing,
            actions: [.statusChanged(from: .available, to: .preparing)]),
        Row(name: "authorization expires → Available",
            given: [limit32, .authorized], when: .authorizationEnded, then: .available,
            actions: [.statusChanged(from: .preparing, to: .available)]),
        Row(name: "transaction in state B: PWM offered, still Preparing until the EV asks",
            given: [limit32, .pilotChanged(.b)], when: .transactionStarted, then: .preparing,
            actions: [.setPilot(.pwm(amps: 32))]),
        Row(name: "EV asks (C): contactors close → Charging",
            given: [limit32, .pilotChanged(.b), .transactionStarted], when: .pilotChanged(.c), then: .charging,
            actions: [.setRelays(.threePhase), .statusChanged(from: .preparing, to: .charging)]),
        Row(name: "single-phase connector closes one contactor",
            configuration: .init(chargingRelays: .onePhase), given: [limit32, .pilotChanged(.b), .transactionStarted],
            when: .pilotChanged(.c), then: .charging, actions: [.setRelays(.onePhase), .statusChanged(from: .preparing, to: .charging)]),
        Row(name: "ventilation request (D) charges too",
            given: [limit32, .pilotChanged(.b), .transactionStarted], when: .pilotChanged(.d), then: .charging,
            actions: [.setRelays(.threePhase), .statusChanged(from: .preparing, to: .charging)]),
        Row(name: "no lock confirmation: contactors stay open",
            given: [limit32, .pilotChanged(.b), .transactionStarted], lockConfirmed: false, when: .pilotChanged(.c), then: .preparing,
            actions: []),
        Row(name: "EV stops asking (B) → SuspendedEV, contactors open",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .pilotChanged(.b), then: .suspendedEV,
            actions: [.setRelays(.open), .statusChanged(from: .charging, to: .suspendedEV)]),
        Row(name: "limit below 6 A → SuspendedEVSE: contactors open, pilot constant",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .currentLimitChanged(amps: 5),
            then: .suspendedEVSE, actions: [.setRelays(.open), .setPilot(.off), .statusChanged(from: .charging, to: .suspendedEVSE)]),
        Row(name: "limit back above 6 A → Charging again",
            given: [.currentLimitChanged(amps: 0), .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: limit32,
            then: .charging, actions: [.setPilot(.pwm(amps: 32)), .setRelays(.threePhase), .statusChanged(from: .suspendedEVSE, to: .charging)]),
        Row(name: "limit change while charging only changes PWM",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .currentLimitChanged(amps: 16),
            then: .charging, actions: [.setPilot(.pwm(amps: 16))]),
        Row(name: "transaction stops while plugged → Finishing, unlock",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .transactionStopped, then: .finishing,
            actions: [.setRelays(.open), .setLock(locked: false), .setPilot(.off), .statusChanged(from: .charging, to: .finishing)]),
        Row(name: "Finishing → Available on unplug",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .transactionStopped], when: .pilotChanged(.a), then: .available,
            actions: [.statusChanged(from: .finishing, to: .available)]),
        Row(name: "fault while charging → Faulted: contactors open, state F",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .faulted(true), then: .faulted,
            actions: [.setRelays(.open), .setPilot(.stateF), .statusChanged(from: .charging, to: .faulted)]),
        Row(name: "fault cleared with nothing plugged → Available",
            given: [limit32, .faulted(true)], when: .faulted(false), then: .available,
            actions: [.setPilot(.off), .statusChanged(from: .faulted, to: .available)]),
        Row(name: "inoperative → Unavailable",
            given: [limit32], when: .setOperative(false), then: .unavailable,
            actions: [.statusChanged(from: .available, to: .unavailable)]),
        Row(name: "inoperative during a transaction keeps charging until it ends",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c)], when: .setOperative(false), then: .charging,
            actions: []),
        Row(name: "reservation → Reserved",
            given: [limit32], when: .reserved(true), then: .reserved,
            actions: [.statusChanged(from: .available, to: .reserved)]),
        Row(name: "after a finished session the EV resuming C does not restart charging",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .pilotChanged(.c), .transactionStopped, .pilotChanged(.b)],
            when: .pilotChanged(.c), then: .finishing, actions: []),
        Row(name: "pilot E (vehicle error) while plugged keeps status",
            given: [limit32, .pilotChanged(.b)], when: .pilotChanged(.e), then: .available,
            actions: [.setLock(locked: false), .statusChanged(from: .preparing, to: .available)]),
        Row(name: "HLC: 5 % duty cycle, offered current communicated digitally",
            given: [limit32, .pilotChanged(.b), .transactionStarted], when: .highLevelCommunication(true), then: .preparing,
            actions: [.setPilot(.highLevelCommunication(amps: 32))]),
        Row(name: "HLC requested before a transaction: 5 % with nothing offered (ISO 15118-3), the relays stay open",
            given: [limit32, .pilotChanged(.b)], when: .highLevelCommunication(true), then: .preparing,
            actions: [.setPilot(.highLevelCommunication(amps: 0))]),
        Row(name: "HLC requested without a vehicle: no signal",
            given: [limit32], when: .highLevelCommunication(true), then: .available, actions: []),
        Row(name: "HLC vehicle in state C before a transaction: still no current, no relays",
            given: [limit32, .pilotChanged(.b), .highLevelCommunication(true)], when: .pilotChanged(.c), then: .preparing, actions: []),
        Row(name: "HLC vehicle charges under the 5 % signal",
            given: [limit32, .pilotChanged(.b), .transactionStarted, .highLevelCommunication(true)], when: .pilotChanged(.c),
            then: .charging, actions: [.setRelays(.threePhase), .statusChanged(from: .preparing, to: .charging)]),
    ]

    @Test("transition table", arguments: rows)
    func transition(row: Row) {
        var m = ConnectorStateMachine(configuration: row.configuration)
        m.lockConfirmed = row.lockConfirmed
        for e in row.given { _ = m.handle(e) }
        let actions = m.handle(row.when)
        #expect(m.status == row.then)
        #expect(actions == row.actions)
    }

    @Test("contactors never close without a transaction, PWM or lock, whatever the event order")
    func safetyInvariant() {
        let events: [ConnectorEvent] = [
            .pilotChanged(.b), .pilotChanged(.c), .pilotChanged(.a), .pilotChanged(.d), .authorized, .authorizationEnded,
            .transactionStarted, .transactionStopped, .currentLimitChanged(amps: 0), .currentLimitChanged(amps: 16),
            .faulted(true), .faulted(false), .setOperative(false), .setOperative(true), .highLevelCommunication(true),
            .highLevelCommunication(false),
        ]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var m = ConnectorStateMachine()
            m.lockConfirmed = generator.next() % 2 == 0
            for _ in 0..<30 {
                _ = m.handle(events[Int(generator.next() % UInt64(events.count))])
                if m.relays.isClosed {
                    #expect(m.hasTransaction && m.pilot.requestsEnergy && !m.isFaulted && m.offeredAmps >= 6 && m.lockConfirmed)
                    #expect(m.status == .charging)
                }
                if m.isFaulted { #expect(m.pilotSignal == .stateF && m.status == .faulted) }
                if m.pilotSignal.signaledAmps > 0 { #expect(m.hasTransaction && !m.isFaulted) }
            }
        }
    }
}

