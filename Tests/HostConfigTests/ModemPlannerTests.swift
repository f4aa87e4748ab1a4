import Testing
@testable import HostConfig

@Suite("Mobile modem planner (seeds/004 §1.3, seeds/002 §1.4 and §3)")
struct ModemPlannerTests {
    func gsm(pin: String = "", apn: String = "m2m.services") -> MobileSettings {
        MobileSettings(connectionType: .gsm, apn: apn, user: "g2m", password: "secret", pin: pin, authentication: .chap)
    }

    func modem(_ state: ModemStatus.State, lock: ModemStatus.Lock = .none, retries: Int? = 3, signal: Int? = 70) -> ModemStatus {
        var s = ModemStatus(path: "/org/freedesktop/ModemManager1/Modem/0")
        s.state = state; s.lock = lock; s.pinRetries = retries; s.signalPercent = signal; s.signalRecent = true
        return s
    }

    @Test("a wrong PIN is sent once, reported, and never retried; a new PIN value is tried")
    func seeds004_1_3_wrongPinNotRetried() {
        var p = ModemPlanner()
        #expect(p.plan(gsm(pin: "1234"), status: modem(.locked, lock: .simPIN), nowSeconds: 0) == [.sendPIN("1234")])
        p.pinResult(accepted: false)
        #expect(p.problem == .pinRejected)
        for t in 1...10 {
            #expect(p.plan(gsm(pin: "1234"), status: modem(.locked, lock: .simPIN, retries: 2), nowSeconds: Double(t) * 5) == [])
        }
        #expect(p.problem == .pinRejected)
        #expect(p.plan(gsm(pin: "4321"), status: modem(.locked, lock: .simPIN, retries: 2), nowSeconds: 60) == [.sendPIN("4321")])
    }

    @Test("the last PIN attempt is never spent by the station; a PUK lock is reported")
    func lastAttemptAndPUK() {
        var p = ModemPlanner()
        #expect(p.plan(gsm(pin: "1234"), status: modem(.locked, lock: .simPIN, retries: 1), nowSeconds: 0) == [])
        #expect(p.problem == .pinLastAttempt)
        #expect(p.plan(gsm(pin: "1234"), status: modem(.locked, lock: .simPUK), nowSeconds: 5) == [])
        #expect(p.problem == .pukNeeded)
        #expect(p.plan(gsm(), status: modem(.locked, lock: .simPIN), nowSeconds: 10) == [])
        #expect(p.problem == .pinNeeded)
    }

    @Test("enable, then connect once registered with the APN's bearer properties; back-off after a failure")
    func connectWithBackoff() {
        var p = ModemPlanner()
        #expect(p.plan(gsm(), status: modem(.disabled), nowSeconds: 0) == [.enable])
        #expect(p.plan(gsm(), status: modem(.searching), nowSeconds: 5) == [])
        let request = ModemPlanner.ConnectRequest(apn: "m2m.services", user: "g2m", password: "secret", allowedAuth: 1 << 2)
        #expect(p.plan(gsm(), status: modem(.registered), nowSeconds: 10) == [.connect(request)])
        p.connectResult(succeeded: false, nowSeconds: 11)
        #expect(p.problem == .connectFailed)
        #expect(p.plan(gsm(), status: modem(.registered), nowSeconds: 30) == [], "within the first 30 s back-off")
        #expect(p.plan(gsm(), status: modem(.registered), nowSeconds: 41) == [.connect(request)])
        p.connectResult(succeeded: false, nowSeconds: 42)
        #expect(p.plan(gsm(), status: modem(.registered), nowSeconds: 80) == [], "the back-off doubled to 60 s")
        #expect(p.plan(gsm(), status: modem(.registered), nowSeconds: 102) == [.connect(request)])
        p.connectResult(succeeded: true, nowSeconds: 103)
        #expect(p.problem == nil)
        #expect(p.plan(gsm(), status: modem(.connected), nowSeconds: 110) == [])
        #expect(p.plan(MobileSettings(connectionType: .lan), status: modem(.connected), nowSeconds: 120) == [.disconnect],
                "back to LAN: the station's own connection closes")
    }

    @Test("no APN: nothing is connected and the problem says so")
    func apnMissing() {
        var p = ModemPlanner()
        #expect(p.plan(gsm(apn: ""), status: modem(.registered), nowSeconds: 0) == [])
        #expect(p.problem == .apnMissing)
    }

    @Test("access technology and manual operator selection are asked once per value; Manual/Auto falls back to automatic")
    func modesAndOperator() {
        var s = gsm()
        s.accessTechnology = .g4
        s.networkSelection = .manualThenAutomatic
        s.requestedOperator = "26201"
        var p = ModemPlanner()
        var status = modem(.enabled)
        status.allowedModes = (1 << 1) | (1 << 2) | (1 << 3)
        #expect(p.plan(s, status: status, nowSeconds: 0) == [.setModes(allowed: 1 << 3, preferred: 0), .register(operatorID: "26201")])
        #expect(p.plan(s, status: status, nowSeconds: 5) == [])
        p.registerResult(succeeded: false)
        #expect(p.plan(s, status: status, nowSeconds: 10) == [.register(operatorID: "")])
        s.accessTechnology = .automatic
        #expect(p.plan(s, status: status, nowSeconds: 15) == [.setModes(allowed: ModemPlanner.anyModeBits, preferred: 0)],
                "back to Auto after the station narrowed the modes")
    }

    @Test("WeakSignal (seeds/002 §3): raised after a minute below the threshold, cleared 5 points above it, off in LAN mode")
    func seeds002_3_weakSignal() {
        var p = ModemPlanner()
        _ = p.plan(gsm(), status: modem(.connected, signal: 15), nowSeconds: 0)
        #expect(!p.weakSignal)
        _ = p.plan(gsm(), status: modem(.connected, signal: 15), nowSeconds: 59)
        #expect(!p.weakSignal, "one short dip is no error")
        _ = p.plan(gsm(), status: modem(.connected, signal: 10), nowSeconds: 60)
        #expect(p.weakSignal)
        _ = p.plan(gsm(), status: modem(.connected, signal: 22), nowSeconds: 65)
        #expect(p.weakSignal, "between the threshold and its hysteresis it stays")
        _ = p.plan(gsm(), status: modem(.connected, signal: 25), nowSeconds: 70)
        #expect(!p.weakSignal)
        _ = p.plan(gsm(), status: modem(.connected, signal: 5), nowSeconds: 80)
        _ = p.plan(gsm(), status: modem(.connected, signal: 5), nowSeconds: 200)
        #expect(p.weakSignal)
        _ = p.plan(MobileSettings(connectionType: .lan), status: modem(.connected, signal: 5), nowSeconds: 205)
        #expect(!p.weakSignal)
    }

    @Test("PIN and operator id formats")
    func formats() {
        #expect(MobileSettings.isValidPIN("") && MobileSettings.isValidPIN("1234") && MobileSettings.isValidPIN("12345678"))
        #expect(!MobileSettings.isValidPIN("123") && !MobileSettings.isValidPIN("12a4") && !MobileSettings.isValidPIN("123456789"))
        #expect(MobileSettings.isValidOperatorID("26201") && MobileSettings.isValidOperatorID("310410"))
        #expect(!MobileSettings.isValidOperatorID("2620") && !MobileSettings.isValidOperatorID("Telekom"))
    }
}
