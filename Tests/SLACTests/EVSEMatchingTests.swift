import Testing
@testable import SLAC

/// A deterministic random source: each call continues one counter, so every session's NMK differs.
final class CountingRandom: @unchecked Sendable {
    private var counter: UInt8 = 0
    func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in counter &+= 1; return counter } }
}

/// The machine on a manual clock: timers are deadlines, `advance` fires the due ones in order.
struct Bench {
    var machine: EVSEMatching
    var nowMs = 0
    var deadlines: [SLACTimer: Int] = [:]
    var sent: [MMEFrame] = []
    var outcomes: [SLACAction] = []
    var logs: [String] = []

    init(thresholdDB: Double = 60) {
        let random = CountingRandom()
        let configuration = try! SLACConfiguration(evseMAC: evseMAC, attenuationThresholdDB: thresholdDB)
        machine = EVSEMatching(configuration: configuration, randomBytes: { random.bytes($0) })
    }

    mutating func apply(_ actions: [SLACAction]) {
        for action in actions {
            switch action {
            case .send(let frame): sent.append(frame)
            case .startTimer(let timer, let ms): deadlines[timer] = nowMs + ms
            case .stopTimer(let timer): deadlines[timer] = nil
            case .matched, .failed: outcomes.append(action)
            case .log(let line), .ignored(let line): logs.append(line)
            }
        }
    }

    mutating func start() { apply(machine.start()) }
    mutating func deliver(_ frame: MMEFrame) { apply(machine.receive(frame)) }
    mutating func deliver(_ source: MACAddress, _ message: SLACMessage, to destination: MACAddress = evseMAC) {
        deliver(MMEFrame(destination: destination, source: source, message: message))
    }

    mutating func advance(_ ms: Int) {
        let end = nowMs + ms
        while let (timer, due) = deadlines.filter({ $0.value <= end }).min(by: { $0.value < $1.value }) {
            nowMs = due
            deadlines[timer] = nil
            apply(machine.timerExpired(timer))
        }
        nowMs = end
    }

    /// The frames sent since `from`, and `from` moved past them.
    mutating func take(_ from: inout Int) -> [MMEFrame] {
        defer { from = sent.count }
        return Array(sent[from...])
    }

    var lastSetKey: SetKeyRequest? {
        for frame in sent.reversed() { if case .setKeyRequest(let m) = frame.message { return m } }
        return nil
    }

    mutating func confirmKey() { deliver(.localModem, .setKeyConfirm(SetKeyConfirm(result: 0))) }

    /// One EV's run up to the EVSE's CM_ATTEN_CHAR.IND: PARM.REQ, 3 × START_ATTEN_CHAR.IND, `sounds` sounds each with
    /// the modem's profile of `attenuation` dB in every group.
    mutating func sound(_ ev: MACAddress, _ run: RunID, attenuation: UInt8, sounds: Int = 10) {
        deliver(ev, .slacParmRequest(SlacParmRequest(runID: run)), to: .broadcast)
        for _ in 0..<3 {
            deliver(ev, .startAttenCharIndication(StartAttenCharIndication(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: ev, runID: run)),
                    to: .broadcast)
        }
        for i in 0..<sounds {
            deliver(ev, .mnbcSoundIndication(MNBCSoundIndication(remainingSounds: UInt8(9 - i), runID: run, random: [])), to: .broadcast)
            deliver(.localModem, .attenProfileIndication(AttenProfileIndication(pevMAC: ev, groups: [UInt8](repeating: attenuation, count: 58))))
        }
    }

    mutating func respondAndRequest(_ ev: MACAddress, _ run: RunID) {
        deliver(ev, .attenCharResponse(AttenCharResponse(sourceAddress: ev, runID: run)))
        deliver(ev, .slacMatchRequest(SlacMatchRequest(pevMAC: ev, evseMAC: evseMAC, runID: run)))
    }

    var failure: SLACFailure? {
        for case .failed(let f) in outcomes { return f }
        return nil
    }

    var match: SLACMatch? {
        for case .matched(let m) in outcomes { return m }
        return nil
    }
}

let evB = MACAddress("02:00:00:00:00:02")!
let runB = RunID(bytes: [9, 9, 9, 9, 9, 9, 9, 9])!
let runC = RunID(bytes: [3, 3, 3, 3, 3, 3, 3, 3])!

@Suite struct EVSEMatchingTests {
    @Test func fullMatchCarriesTheKeySetOnTheModem() throws {
        var bench = Bench()
        var seen = 0
        bench.start()
        var frames = bench.take(&seen)
        #expect(frames.count == 1 && frames[0].destination == .localModem)
        let setKey = try #require(bench.lastSetKey)
        #expect(setKey.nid == NetworkID.derived(from: setKey.newKey))
        #expect(bench.deadlines[.setKey] == 500 && bench.deadlines[.slacInit] == 40_000)
        bench.confirmKey()
        #expect(bench.deadlines[.setKey] == nil)

        bench.deliver(evMAC, .slacParmRequest(SlacParmRequest(runID: runA)), to: .broadcast)
        frames = bench.take(&seen)
        #expect(frames == [MMEFrame(destination: evMAC, source: evseMAC, message: .slacParmConfirm(
            SlacParmConfirm(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: evMAC, runID: runA)))])
        #expect(bench.deadlines[.slacInit] == nil && bench.deadlines[.matchSequence(runA)] == 400)

        for _ in 0..<3 {
            bench.deliver(evMAC, .startAttenCharIndication(StartAttenCharIndication(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: evMAC,
                                                                                    runID: runA)), to: .broadcast)
        }
        #expect(bench.deadlines[.matchSequence(runA)] == nil && bench.deadlines[.evseMatchMNBC(runA)] == 600)
        // Ten profiles, group g attenuated 20 + (g + sound) % 3 dB: per group the rounded mean.
        for s in 0..<10 {
            let groups = (0..<58).map { UInt8(20 + ($0 + s) % 3) }
            bench.deliver(.localModem, .attenProfileIndication(AttenProfileIndication(pevMAC: evMAC, groups: groups)))
        }
        frames = bench.take(&seen)
        guard case .attenCharIndication(let characterization) = frames.first?.message else { Issue.record("no CM_ATTEN_CHAR.IND"); return }
        #expect(characterization.numberOfSounds == 10 && characterization.groups.count == 58)
        #expect(characterization.groups.allSatisfy { $0 == 21 })
        #expect(bench.deadlines[.evseMatchMNBC(runA)] == nil && bench.deadlines[.matchResponse(runA)] != nil)

        bench.respondAndRequest(evMAC, runA)
        frames = bench.take(&seen)
        guard case .slacMatchConfirm(let confirm) = frames.first?.message else { Issue.record("no CM_SLAC_MATCH.CNF"); return }
        #expect(confirm.nmk == setKey.newKey && confirm.nid == setKey.nid && confirm.runID == runA && confirm.pevMAC == evMAC)
        let match = try #require(bench.match)
        #expect(match.evMAC == evMAC && match.nmk == setKey.newKey && match.averageAttenuationDB == 21 && match.soundsReceived == 10)
        #expect(bench.machine.runningTimers == [.matchJoin])
        // A repeated request (the EV missed the CNF) is answered again; the link ends TT_match_join.
        bench.deliver(evMAC, .slacMatchRequest(SlacMatchRequest(pevMAC: evMAC, evseMAC: evseMAC, runID: runA)))
        #expect(bench.take(&seen).count == 1)
        bench.apply(bench.machine.linkEstablished())
        #expect(bench.deadlines.isEmpty && bench.outcomes.count == 1)
    }

    @Test func slacInitExpires() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.advance(39_999)
        #expect(bench.failure == nil)
        bench.advance(1)
        #expect(bench.failure == .noSlacParmRequest)
        #expect(bench.deadlines.isEmpty)
    }

    @Test func modemThatNeverConfirmsTheKey() {
        var bench = Bench()
        bench.start()
        bench.advance(5_000)
        #expect(bench.failure == .modemKeyNotConfirmed(attempts: 10))
        #expect(bench.sent.filter { if case .setKeyRequest = $0.message { true } else { false } }.count == 10)
        #expect(bench.sent.allSatisfy { $0 == bench.sent[0] })
    }

    @Test func refusedKeyIsRepeated() {
        var bench = Bench()
        bench.start()
        bench.deliver(.localModem, .setKeyConfirm(SetKeyConfirm(result: 1)))
        #expect(bench.deadlines[.setKey] != nil)
        bench.advance(500)
        #expect(bench.sent.count == 2)
        bench.confirmKey()
        #expect(bench.deadlines[.setKey] == nil)
    }

    @Test func matchSequenceExpiresThenRepetitionWindowEnds() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.deliver(evMAC, .slacParmRequest(SlacParmRequest(runID: runA)), to: .broadcast)
        bench.advance(400)
        #expect(bench.machine.phase == .waitingForRetry)
        #expect(bench.deadlines[.matchingRepetition] == 10_400)
        bench.advance(10_000)
        #expect(bench.failure == .noResponse(expected: "CM_START_ATTEN_CHAR.IND"))
    }

    /// The EV falls silent after 4 sounds: TT_EVSE_match_MNBC closes the window with 4 sounds, CM_ATTEN_CHAR.IND is
    /// repeated C_EV_match_retry times every TT_match_response, the attempt fails, the EV repeats the matching with a
    /// new run within TT_matching_repetition and is matched.
    @Test func silentEVThenRetryMatches() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 30, sounds: 4)
        #expect(bench.sent.count == 2)
        bench.advance(600)
        guard case .attenCharIndication(let first) = bench.sent.last?.message else { Issue.record("no CM_ATTEN_CHAR.IND"); return }
        #expect(first.numberOfSounds == 4)
        bench.advance(200); bench.advance(200)
        #expect(bench.sent.filter { if case .attenCharIndication = $0.message { true } else { false } }.count == 3)
        bench.advance(200)
        #expect(bench.machine.phase == .waitingForRetry)
        #expect(bench.failure == nil)
        bench.advance(3_000)
        bench.sound(evMAC, runB, attenuation: 30)
        bench.respondAndRequest(evMAC, runB)
        #expect(bench.match?.runID == runB)
    }

    @Test func retriesAreBounded() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        for (i, run) in [runA, runB, runC].enumerated() {
            #expect(bench.failure == nil, "attempt \(i)")
            bench.deliver(evMAC, .slacParmRequest(SlacParmRequest(runID: run)), to: .broadcast)
            bench.advance(400)
        }
        #expect(bench.failure == .noResponse(expected: "CM_START_ATTEN_CHAR.IND"))
        #expect(bench.deadlines.isEmpty)
    }

    @Test func matchSessionExpires() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 30)
        bench.deliver(evMAC, .attenCharResponse(AttenCharResponse(sourceAddress: evMAC, runID: runA)))
        #expect(bench.deadlines[.evseMatchSession(runA)] == 10_000)
        bench.advance(10_000)
        #expect(bench.machine.phase == .waitingForRetry)
        bench.advance(10_000)
        #expect(bench.failure == .noResponse(expected: "CM_SLAC_MATCH.REQ"))
    }

    @Test func matchJoinExpires() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 30)
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match != nil)
        bench.advance(12_000)
        #expect(bench.failure == .joinTimeout)
    }

    @Test func attenuationAboveThresholdIsRefused() {
        var bench = Bench(thresholdDB: 40)
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 41)
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match == nil)
        #expect(!bench.sent.contains { if case .slacMatchConfirm = $0.message { true } else { false } })
        bench.advance(10_000)
        #expect(bench.failure == .attenuationAboveThreshold(averageDB: 41, thresholdDB: 40))
    }

    /// Two EVs on the line: the one heard with less attenuation is matched, even when the other asks first; a request
    /// that arrives while the other run is still sounding waits for it.
    @Test func twoEVsTheBetterOneMatches() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 20)
        bench.sound(evB, runB, attenuation: 45)
        bench.respondAndRequest(evB, runB)
        #expect(bench.match == nil)
        #expect(bench.logs.contains { $0.contains("another EV was heard better") })
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match?.evMAC == evMAC)
    }

    @Test func requestWaitsForARunStillSounding() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evB, runB, attenuation: 45)
        bench.sound(evMAC, runA, attenuation: 20, sounds: 3)
        bench.respondAndRequest(evB, runB)
        #expect(bench.match == nil)
        for _ in 0..<7 {
            bench.deliver(.localModem, .attenProfileIndication(AttenProfileIndication(pevMAC: evMAC, groups: [UInt8](repeating: 20, count: 58))))
        }
        // Run A is characterized now: B is refused, A proceeds.
        #expect(bench.match == nil)
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match?.evMAC == evMAC)
    }

    @Test func framesOfOtherRunsAndGarbageAreIgnored() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 30, sounds: 2)
        let before = bench.sent.count
        bench.deliver(evMAC, .mnbcSoundIndication(MNBCSoundIndication(remainingSounds: 1, runID: runC, random: [])), to: .broadcast)
        bench.deliver(evB, .startAttenCharIndication(StartAttenCharIndication(numberOfSounds: 10, timeOut100ms: 6, forwardingStation: evB, runID: runA)))
        bench.deliver(evMAC, .attenCharResponse(AttenCharResponse(sourceAddress: evMAC, runID: runC)))
        bench.deliver(evMAC, .slacMatchRequest(SlacMatchRequest(pevMAC: evMAC, evseMAC: evseMAC, runID: runC)))
        bench.deliver(evMAC, .slacMatchRequest(SlacMatchRequest(pevMAC: evMAC, evseMAC: evseMAC, runID: runA)))
        bench.deliver(evMAC, .slacParmRequest(SlacParmRequest(runID: runC)), to: MACAddress("02:00:00:00:00:77")!)
        bench.apply(bench.machine.receive(bytes: [0x01, 0x02, 0x03]))
        bench.apply(bench.machine.receive(bytes: Array(goldens[11].bytes.prefix(40))))
        #expect(bench.sent.count == before)
        #expect(bench.logs.filter { $0.contains("ignored") }.count == 8)
        #expect(bench.logs.contains { $0.contains("unknown run 0303030303030303") })
        #expect(bench.logs.contains { $0.contains("SLAC frame: PEV MAC") })
        for _ in 0..<8 { bench.deliver(.localModem, .attenProfileIndication(AttenProfileIndication(pevMAC: evMAC, groups: [UInt8](repeating: 30, count: 58)))) }
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match?.runID == runA)
    }

    @Test func matchRequestMustNameThisEVSE() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.sound(evMAC, runA, attenuation: 30)
        bench.deliver(evMAC, .attenCharResponse(AttenCharResponse(sourceAddress: evMAC, runID: runA)))
        bench.deliver(evMAC, .slacMatchRequest(SlacMatchRequest(pevMAC: evMAC, evseMAC: evB, runID: runA)))
        #expect(bench.match == nil)
        bench.deliver(evMAC, .slacMatchRequest(SlacMatchRequest(pevMAC: evMAC, evseMAC: evseMAC, runID: runA)))
        #expect(bench.match != nil)
    }

    @Test func matchWaitsForTheModemsKey() {
        var bench = Bench()
        bench.start()
        bench.sound(evMAC, runA, attenuation: 30)
        bench.respondAndRequest(evMAC, runA)
        #expect(bench.match == nil)
        bench.confirmKey()
        #expect(bench.match?.evMAC == evMAC)
    }

    @Test func validateIsAnsweredNotRequired() {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        bench.deliver(evB, .validateRequest(ValidateRequest(timer: 0, result: 1)))
        #expect(bench.sent.count == 1)
        bench.sound(evMAC, runA, attenuation: 30)
        bench.deliver(evMAC, .validateRequest(ValidateRequest(timer: 0, result: 1)))
        #expect(bench.sent.last == MMEFrame(destination: evMAC, source: evseMAC,
                                            message: .validateConfirm(ValidateConfirm(toggleCount: 0, result: .notRequired))))
    }

    @Test func stopReplacesTheKeyAndEachSessionHasItsOwn() throws {
        var bench = Bench()
        bench.start(); bench.confirmKey()
        let first = try #require(bench.lastSetKey)
        bench.sound(evMAC, runA, attenuation: 30, sounds: 3)
        bench.apply(bench.machine.stop())
        #expect(bench.deadlines.isEmpty && bench.machine.phase == .idle)
        let afterStop = try #require(bench.lastSetKey)
        #expect(afterStop.newKey != first.newKey)
        bench.deliver(evMAC, .slacParmRequest(SlacParmRequest(runID: runB)), to: .broadcast)
        #expect(bench.sent.count == 3)
        bench.start()
        let second = try #require(bench.lastSetKey)
        #expect(second.newKey != first.newKey && second.newKey != afterStop.newKey)
        #expect(bench.machine.stop().isEmpty == false)
        #expect(bench.machine.stop().isEmpty)
    }

    @Test func configurationIsValidated() {
        #expect(throws: SLACConfigurationError.self) { try SLACConfiguration(evseMAC: evseMAC, attenuationThresholdDB: 0) }
        #expect(throws: SLACConfigurationError.self) { try SLACConfiguration(evseMAC: evseMAC, slacInitMilliseconds: 10_000) }
        do {
            _ = try SLACConfiguration(evseMAC: evseMAC, slacInitMilliseconds: 60_000)
        } catch {
            #expect(error.field == "slacInitMilliseconds" && error.description.contains("20000 to 50000"))
        }
    }

    @Test func runsHeldAtOnceAreBounded() throws {
        var bench = Bench()
        bench.start()
        bench.confirmKey()
        func ev(_ i: Int) throws -> MACAddress { try #require(MACAddress(bytes: [0x02, 0, 0, 0, 1, UInt8(i)])) }
        func run(_ i: Int) throws -> RunID { try #require(RunID(bytes: [0, 0, 0, 0, 0, 0, 1, UInt8(i)])) }
        for i in 0..<EVSEMatching.maximumRuns {
            bench.deliver(try ev(i), .slacParmRequest(SlacParmRequest(runID: try run(i))), to: .broadcast)
        }
        let confirms = bench.sent.filter { if case .slacParmConfirm = $0.message { true } else { false } }.count
        bench.deliver(try ev(99), .slacParmRequest(SlacParmRequest(runID: try run(99))), to: .broadcast)
        #expect(bench.sent.filter { if case .slacParmConfirm = $0.message { true } else { false } }.count == confirms,
                "the ninth run is not opened")
        #expect(bench.logs.last?.contains("8 runs are in progress") == true)
        // Runs that failed (no START_ATTEN_CHAR within TT_match_sequence) give way to a new one.
        bench.advance(SLACTiming.matchSequenceMilliseconds + 1)
        bench.deliver(try ev(99), .slacParmRequest(SlacParmRequest(runID: try run(99))), to: .broadcast)
        let last = try #require(bench.sent.last)
        #expect(last.destination == (try ev(99)))
        if case .slacParmConfirm = last.message {} else { Issue.record("the new run is confirmed once failed runs give way") }
    }
}
