import Foundation
import Testing
@testable import EVSECore

@Suite("Session state machine")
struct SessionStateMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let id = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
    func auth(_ tag: String = "04567DAA5F3580", at: Date? = nil) -> Authorization {
        Authorization(idTag: tag, method: .rfid, authorizedAt: at ?? t0)
    }

    @Test("card first: waits for the vehicle until the vehicle connection timeout (default 45 s, seeds/004 §5.1)")
    func cardFirstTimeout() {
        var m = SessionStateMachine(connector: 1)
        let a = m.authorize(auth(), vehicleConnected: false, meterWh: 0, newID: id)
        #expect(a == [.awaitVehicle(auth(), deadline: t0.addingTimeInterval(45))])
        #expect(m.tick(now: t0.addingTimeInterval(44.9)) == [])
        #expect(m.tick(now: t0.addingTimeInterval(45)) == [.authorizationExpired(auth())])
        #expect(m.state == .idle)
    }

    @Test("card first, vehicle within the timeout: the session starts at plug-in with the meter then")
    func cardFirstPlug() {
        var m = SessionStateMachine(connector: 2, vehicleConnectionTimeout: .seconds(10))
        _ = m.authorize(auth(), vehicleConnected: false, meterWh: 100, newID: id)
        let plugAt = t0.addingTimeInterval(9)
        let a = m.vehicleConnected(now: plugAt, meterWh: 120, newID: id)
        let expected = ChargingSession(id: id, connector: 2, idTag: "04567DAA5F3580", method: .rfid, startedAt: plugAt, meterStartWh: 120)
        #expect(a == [.start(expected)])
        #expect(m.activeSession == expected)
        #expect(m.tick(now: t0.addingTimeInterval(100)) == [])
    }

    @Test("plug first: authorization starts the session at once")
    func plugFirst() {
        var m = SessionStateMachine(connector: 1)
        #expect(m.vehicleConnected(now: t0, meterWh: 5, newID: id) == [])
        let a = m.authorize(auth(), vehicleConnected: true, meterWh: 5, newID: id)
        #expect(a == [.start(ChargingSession(id: id, connector: 1, idTag: "04567DAA5F3580", method: .rfid, startedAt: t0, meterStartWh: 5))])
    }

    @Test("a second authorization while active is ignored; a new card while waiting replaces the first")
    func reauthorize() {
        var m = SessionStateMachine(connector: 1)
        _ = m.authorize(auth("AA"), vehicleConnected: false, meterWh: 0, newID: id)
        let later = t0.addingTimeInterval(30)
        #expect(m.authorize(auth("BB", at: later), vehicleConnected: false, meterWh: 0, newID: id)
                == [.awaitVehicle(auth("BB", at: later), deadline: later.addingTimeInterval(45))])
        _ = m.vehicleConnected(now: later, meterWh: 0, newID: id)
        #expect(m.authorize(auth("CC"), vehicleConnected: true, meterWh: 0, newID: id) == [])
        #expect(m.activeSession?.idTag == "BB")
    }

    @Test("stop reports meter and reason; the meter never goes below the start value")
    func stop() {
        var m = SessionStateMachine(connector: 1)
        _ = m.authorize(auth(), vehicleConnected: true, meterWh: 1000, newID: id)
        let s = m.activeSession!
        let end = t0.addingTimeInterval(3600)
        #expect(m.stop(reason: .evDisconnected, now: end, meterWh: 12_000) == [.stop(s, reason: .evDisconnected, at: end, meterStopWh: 12_000)])
        #expect(m.stop(reason: .local, now: end, meterWh: 12_000) == [])
        var m2 = SessionStateMachine(connector: 1)
        _ = m2.authorize(auth(), vehicleConnected: true, meterWh: 1000, newID: id)
        let s2 = m2.activeSession!
        #expect(m2.stop(reason: .other, now: end, meterWh: 0) == [.stop(s2, reason: .other, at: end, meterStopWh: 1000)])
    }

    @Test("stop while waiting for a vehicle withdraws the authorization")
    func stopWaiting() {
        var m = SessionStateMachine(connector: 1)
        _ = m.authorize(auth(), vehicleConnected: false, meterWh: 0, newID: id)
        #expect(m.stop(reason: .local, now: t0, meterWh: 0) == [.authorizationExpired(auth())])
        #expect(m.state == .idle)
    }

    @Test("resume restores a session after restart")
    func resume() {
        var m = SessionStateMachine(connector: 1)
        let s = ChargingSession(id: id, connector: 1, idTag: "X", method: .remote, startedAt: t0, meterStartWh: 7)
        m.resume(s)
        #expect(m.activeSession == s)
    }
}

@Suite("Error catalogue")
struct ErrorCatalogueTests {
    @Test("every error of seeds/004 §9 and seeds/002 §3 that something can raise is catalogued once, with seeds/002's blink counts")
    func complete() {
        #expect(Set(ErrorCatalogue.all.map(\.id)).count == ErrorCatalogue.all.count)
        #expect(ErrorCatalogue.all.filter { $0.source.hasPrefix("seeds/004 §9") }.count == 14)
        #expect(ErrorCatalogue.all.filter { $0.source == "seeds/002 §3" }.count == 3)
        let bender = Set(ErrorCatalogue.all.filter { $0.source.hasPrefix("seeds/004 §9") }.map(\.activationMessage))
        for (id, blinks) in [("vehicleError", 1), ("contactorWelded", 2), ("mcbType2Triggered", 3), ("overCurrentProtection", 3),
                             ("rcdFault", 4), ("plugLockingFailed", 5), ("meterNotCommunicating", 6), ("signedMeterValuesUnavailable", 7)] {
            #expect(ErrorCatalogue.definition(id)?.ledBlinks == blinks, "\(id)")
        }
        for message in ["Residual current detected via sensor", "Vehicle signals error", "Vehicle diode check failed - tamper detection",
                        "MCB of type 2 socket triggered", "RCD-Fault",
                        "Surge Protection Device (SPD) tripped. Replace.", "Contactor welded", "Backend disconnected",
                        "Plug locking failed", "Type 2 actuator stuck, cannot unlock", "Could not detect type 2 locking actuator",
                        "OCPP meter not communicating", "External meter not communicating", "RFID reader not communicating"] {
            #expect(bender.contains(message), "\(message)")
        }
    }

    @Test("stop-charging and scope as the seeds give them", arguments: [
        ("rcmbResidualCurrent", true, ErrorScope.connector), ("vehicleError", false, .connector),
        ("contactorWelded", true, .connector), ("plugLockingFailed", false, .connector),
        ("meterNotCommunicating", true, .connector), ("externalMeterNotCommunicating", false, .station),
        ("rfidReaderNotCommunicating", false, .station), ("underVoltage", true, .station), ("weakSignal", false, .station),
    ])
    func flags(id: String, stops: Bool, scope: ErrorScope) {
        let d = ErrorCatalogue.definition(id)
        #expect(d?.stopsCharging == stops)
        #expect(d?.scope == scope)
    }

    @Test("active errors: raise and resolve report a change only once; station errors stop every connector")
    func activeErrors() {
        var e = ActiveErrors()
        let t = Date(timeIntervalSince1970: 0)
        #expect(e.raise("vehicleError", connector: 1, now: t) != nil)
        #expect(e.raise("vehicleError", connector: 1, now: t) == nil)
        #expect(!e.stopsCharging(connector: 1))
        #expect(e.raise("underVoltage", connector: 0, now: t) != nil)
        #expect(e.stopsCharging(connector: 1) && e.stopsCharging(connector: 2))
        #expect(e.resolve("underVoltage", connector: 0) != nil)
        #expect(e.resolve("underVoltage", connector: 0) == nil)
        #expect(e.errors.map(\.id) == ["vehicleError"])
    }
}

/// Transition table of the session state machine (timeout 45 s, card `C1`, meter 100 Wh).
@Suite("Session state machine transition table")
struct SessionTransitionTableTests {
    enum Step: Sendable, CustomStringConvertible {
        case card(vehicle: Bool)
        case plug
        case stop(StopReason)
        case wait(Double)
        var description: String {
            switch self {
            case .card(let v): v ? "card(vehicle)" : "card"
            case .plug: "plug"
            case .stop(let r): "stop(\(r.rawValue))"
            case .wait(let s): "wait \(s)s"
            }
        }
    }

    enum Kind: String, Sendable { case idle, awaiting, active }
    enum ActionKind: String, Sendable { case start, stop, await, expired }

    struct Row: Sendable, CustomTestStringConvertible {
        var given: [Step]
        var when: Step
        var then: Kind
        var actions: [ActionKind]
        var testDescription: String { "\(given) + \(when) → \(then.rawValue) \(actions.map(\.rawValue))" }
    }

    static let rows: [Row] = [
        Row(given: [], when: .card(vehicle: false), then: .awaiting, actions: [.await]),
        Row(given: [], when: .card(vehicle: true), then: .active, actions: [.start]),
        Row(given: [], when: .plug, then: .idle, actions: []),
        Row(given: [], when: .stop(.local), then: .idle, actions: []),
        Row(given: [], when: .wait(100), then: .idle, actions: []),
        Row(given: [.card(vehicle: false)], when: .plug, then: .active, actions: [.start]),
        Row(given: [.card(vehicle: false)], when: .wait(44), then: .awaiting, actions: []),
        Row(given: [.card(vehicle: false)], when: .wait(45), then: .idle, actions: [.expired]),
        Row(given: [.card(vehicle: false)], when: .card(vehicle: false), then: .awaiting, actions: [.await]),
        Row(given: [.card(vehicle: false)], when: .stop(.local), then: .idle, actions: [.expired]),
        Row(given: [.card(vehicle: true)], when: .card(vehicle: true), then: .active, actions: []),
        Row(given: [.card(vehicle: true)], when: .plug, then: .active, actions: []),
        Row(given: [.card(vehicle: true)], when: .wait(3600), then: .active, actions: []),
        Row(given: [.card(vehicle: true)], when: .stop(.evDisconnected), then: .idle, actions: [.stop]),
        Row(given: [.card(vehicle: true), .stop(.local)], when: .stop(.local), then: .idle, actions: []),
    ]

    @Test("transitions", arguments: rows)
    func transition(row: Row) {
        var m = SessionStateMachine(connector: 1)
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        func apply(_ step: Step) -> [SessionAction] {
            switch step {
            case .card(let v): return m.authorize(Authorization(idTag: "C1", method: .rfid, authorizedAt: now), vehicleConnected: v,
                                                  meterWh: 100, newID: UUID())
            case .plug: return m.vehicleConnected(now: now, meterWh: 100, newID: UUID())
            case .stop(let r): return m.stop(reason: r, now: now, meterWh: 100)
            case .wait(let s): now = now.addingTimeInterval(s); return m.tick(now: now)
            }
        }
        for step in row.given { _ = apply(step) }
        let actions = apply(row.when).map { a -> ActionKind in
            switch a {
            case .start: .start
            case .stop: .stop
            case .awaitVehicle: .await
            case .authorizationExpired: .expired
            }
        }
        let kind: Kind = switch m.state {
        case .idle: .idle
        case .awaitingVehicle: .awaiting
        case .active: .active
        }
        #expect(kind == row.then)
        #expect(actions == row.actions)
    }
}

@Suite("Session stop after a clock step back (issue 20 item 9)")
struct SessionClockStepTests {
    @Test("a session stopped after the wall clock went back before its start ends at its start, not before")
    func neverBeforeStart() {
        var machine = SessionStateMachine(connector: 1, vehicleConnectionTimeout: .seconds(45))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let session = ChargingSession(id: UUID(), connector: 1, idTag: "a", method: .rfid, startedAt: start, meterStartWh: 100)
        machine.resume(session)
        let actions = machine.stop(reason: .local, now: start.addingTimeInterval(-25 * 365 * 86_400), meterWh: 90)
        guard case .stop(_, _, let at, let meterStopWh)? = actions.first else { Issue.record("\(actions)"); return }
        #expect(at == start && meterStopWh == 100)
    }
}
