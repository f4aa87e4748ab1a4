/// The EVSE's side of the SLAC matching process, ISO 15118-3:2015 §A.9, as a state machine: inputs are the start (the
/// vehicle is plugged and the pilot shows state B with 5 %), the stop (unplug), received frames and expired timers;
/// outputs are actions (send a frame, start or stop a timer, matched, failed, a log line). No clock and no socket:
/// `Transport/SLAC` runs the timers and the packet socket.
///
/// The sequence: a fresh random NMK and its NID go to the local modem (CM_SET_KEY.REQ, HomePlug AV 1.1 §11.5.4); each
/// CM_SLAC_PARM.REQ opens a run, answered by CM_SLAC_PARM.CNF; after CM_START_ATTEN_CHAR.IND the modem reports one
/// CM_ATTEN_PROFILE.IND per sound; when all sounds are in or TT_EVSE_match_MNBC ends, the EVSE sends the averaged profile
/// in CM_ATTEN_CHAR.IND (repeated up to C_EV_match_retry times without CM_ATTEN_CHAR.RSP); CM_SLAC_MATCH.REQ is answered
/// by CM_SLAC_MATCH.CNF with NMK and NID. Several EVs (runs) may be characterized at once: the EVSE matches only an EV
/// whose average attenuation is at most the threshold and lowest among the runs of the window — the same rule by which
/// an EV picks its EVSE (ISO 15118-3:2015 §A.9.3: the lowest attenuation); a request is held while another run's
/// sounding is still open. Frames of unknown runs, or whose sender is not the run's EV, are ignored and logged.
///
/// CM_VALIDATE (§A.9.4, the optional confirmation by pilot toggling): this EVSE answers Result 0x04 "not required" with
/// ToggleNum 0. It does not count toggles: ChargeKit's boards report pilot states by polling, too coarse for the 200 ms
/// toggles, and the attenuation threshold with the lowest-attenuation rule already tells a crosstalk EV apart.
public struct EVSEMatching: Sendable {
    public enum Phase: Equatable, Sendable {
        case idle
        /// Waiting for the first CM_SLAC_PARM.REQ (TT_EVSE_SLAC_init).
        case waitingForParm
        case matching
        /// An attempt failed; waiting TT_matching_repetition for the EV's next CM_SLAC_PARM.REQ.
        case waitingForRetry
        case matched(SLACMatch)
        case failed(SLACFailure)
    }

    enum RunState: Equatable, Sendable {
        case awaitingStart, sounding, awaitingResponse(sent: Int), awaitingMatch, matchRequested(SlacMatchRequest), failed(SLACFailure)
    }

    struct Run: Sendable {
        var evMAC: MACAddress
        var runID: RunID
        var state: RunState = .awaitingStart
        var sums = [Int](repeating: 0, count: SLACConstants.groupCount)
        var profiles = 0
        var sounds = 0
        var groupAverages: [UInt8] = []
        var averageDB: Double?

        var isOpen: Bool { state == .awaitingStart || state == .sounding }
        var isFailed: Bool { if case .failed = state { true } else { false } }
    }

    public let configuration: SLACConfiguration
    private let randomBytes: @Sendable (Int) -> [UInt8]
    public private(set) var phase: Phase = .idle
    private var nmk = NetworkMembershipKey(trusted: [UInt8](repeating: 0, count: 16))
    private var nid = NetworkID(trusted: [UInt8](repeating: 0, count: 7))
    private var keyConfirmed = false
    private var setKeyAttempts = 0
    private var runs: [RunID: Run] = [:]
    private var runOrder: [RunID] = []
    private var retriesUsed = 0
    private var lastFailure: SLACFailure?
    private var running: Set<SLACTimer> = []

    /// `randomBytes(n)` returns n random octets: the NMK of each session comes from it (a cryptographic source in
    /// production, a seeded one in tests).
    public init(configuration: SLACConfiguration, randomBytes: @escaping @Sendable (Int) -> [UInt8]) {
        self.configuration = configuration; self.randomBytes = randomBytes
    }

    /// The timers currently running (for tests and diagnostics).
    public var runningTimers: Set<SLACTimer> { running }

    /// Starts a matching: a fresh NMK on the modem and TT_EVSE_SLAC_init. Restarts a matching that is under way.
    public mutating func start() -> [SLACAction] {
        var actions = stopAll()
        resetState()
        nmk = NetworkMembershipKey.random(randomBytes)
        nid = NetworkID.derived(from: nmk)
        phase = .waitingForParm
        setKeyAttempts = 1
        actions.append(.log("SLAC: matching started, setting a new network key (NID \(nid)) on the modem"))
        actions.append(sendSetKey())
        actions.append(startTimer(.setKey, SLACTiming.setKeyTimeoutMilliseconds))
        actions.append(startTimer(.slacInit, configuration.slacInitMilliseconds))
        return actions
    }

    /// Stops the matching (unplug): timers off, and a fresh key on the modem so that an EV of this session can no longer
    /// use the logical network.
    public mutating func stop() -> [SLACAction] {
        guard phase != .idle else { return [] }
        var actions = stopAll()
        resetState()
        phase = .idle
        nmk = NetworkMembershipKey.random(randomBytes)
        nid = NetworkID.derived(from: nmk)
        actions.append(sendSetKey())
        actions.append(.log("SLAC: matching stopped, network key replaced"))
        return actions
    }

    /// The runtime saw the matched EV on the logical network (e.g. its first SECC discovery request): TT_match_join ends.
    public mutating func linkEstablished() -> [SLACAction] {
        guard case .matched = phase, running.contains(.matchJoin) else { return [] }
        return [stopTimer(.matchJoin), .log("SLAC: the EV joined the network")]
    }

    /// A received Ethernet frame; one that does not decode is logged and ignored.
    public mutating func receive(bytes: [UInt8]) -> [SLACAction] {
        do {
            return receive(try MMEFrame.decode(bytes))
        } catch {
            return [.ignored("SLAC: ignored frame (\(bytes.count) octets): \(error)")]
        }
    }

    public mutating func receive(_ frame: MMEFrame) -> [SLACAction] {
        switch phase {
        case .idle, .failed: return [.ignored("SLAC: ignored \(frame.message.mmType) from \(frame.source): no matching under way")]
        default: break
        }
        guard frame.destination == configuration.evseMAC || frame.destination == .broadcast else {
            return [.ignored("SLAC: ignored \(frame.message.mmType) from \(frame.source) to \(frame.destination): not addressed to this EVSE")]
        }
        if case .matched(let match) = phase {
            if case .slacMatchRequest(let request) = frame.message, request.runID == match.runID, frame.source == match.evMAC {
                return [.send(matchConfirm(request, to: frame.source)), .log("SLAC: repeated CM_SLAC_MATCH.CNF for run \(request.runID)")]
            }
            return [.ignored("SLAC: ignored \(frame.message.mmType) from \(frame.source): already matched")]
        }
        switch frame.message {
        case .setKeyConfirm(let m): return setKeyConfirmed(m)
        case .slacParmRequest(let m): return parmRequest(m, from: frame.source)
        case .startAttenCharIndication(let m): return startAttenChar(m, from: frame.source)
        case .mnbcSoundIndication(let m):
            guard var run = runs[m.runID], run.evMAC == frame.source, run.state == .sounding else {
                return [ignored(frame, "no run \(m.runID) of this EV is sounding")]
            }
            run.sounds += 1
            runs[m.runID] = run
            return []
        case .attenProfileIndication(let m): return attenProfile(m)
        case .attenCharResponse(let m): return attenCharResponse(m, from: frame.source)
        case .validateRequest: return validate(from: frame.source)
        case .slacMatchRequest(let m): return matchRequest(m, from: frame.source)
        case .setKeyRequest, .slacParmConfirm, .attenCharIndication, .validateConfirm, .slacMatchConfirm:
            return [ignored(frame, "the EVSE sends this message, it does not receive it")]
        }
    }

    public mutating func timerExpired(_ timer: SLACTimer) -> [SLACAction] {
        guard running.remove(timer) != nil else { return [] }
        switch timer {
        case .setKey:
            guard !keyConfirmed else { return [] }
            if setKeyAttempts < SLACTiming.setKeyAttempts {
                setKeyAttempts += 1
                return [sendSetKey(), startTimer(.setKey, SLACTiming.setKeyTimeoutMilliseconds)]
            }
            return fail(.modemKeyNotConfirmed(attempts: setKeyAttempts))
        case .slacInit:
            return fail(.noSlacParmRequest)
        case .matchSequence(let id):
            return runFailed(id, .noResponse(expected: "CM_START_ATTEN_CHAR.IND"))
        case .evseMatchMNBC(let id):
            return finalizeSounding(id)
        case .matchResponse(let id):
            guard let run = runs[id], case .awaitingResponse(let sent) = run.state else { return [] }
            if sent <= SLACTiming.matchRetries {
                runs[id]?.state = .awaitingResponse(sent: sent + 1)
                return [.send(attenChar(run)), startTimer(.matchResponse(id), SLACTiming.matchResponseMilliseconds),
                        .log("SLAC: run \(id): no CM_ATTEN_CHAR.RSP, CM_ATTEN_CHAR.IND repeated (\(sent) of \(SLACTiming.matchRetries))")]
            }
            return runFailed(id, .noResponse(expected: "CM_ATTEN_CHAR.RSP"))
        case .evseMatchSession(let id):
            return runFailed(id, .noResponse(expected: "CM_SLAC_MATCH.REQ"))
        case .matchingRepetition:
            return fail(lastFailure ?? .noSlacParmRequest)
        case .matchJoin:
            return fail(.joinTimeout)
        }
    }

    // MARK: - Steps

    private mutating func setKeyConfirmed(_ m: SetKeyConfirm) -> [SLACAction] {
        guard !keyConfirmed else { return [.ignored("SLAC: ignored a repeated CM_SET_KEY.CNF")] }
        guard m.result == 0 else {
            return [.log("SLAC: the modem refused the network key (CM_SET_KEY.CNF result \(m.result)); repeating")]
        }
        keyConfirmed = true
        var actions = [stopTimer(.setKey), .log("SLAC: the modem confirmed the network key")]
        actions += evaluatePending()
        return actions
    }

    /// The runs held at once: more vehicles than ever share one control pilot's coupling, and the bound on what
    /// frames with made-up source addresses and run IDs can make the station keep (each run holds its timers).
    static let maximumRuns = 8

    private mutating func parmRequest(_ m: SlacParmRequest, from ev: MACAddress) -> [SLACAction] {
        guard m.applicationType == SLACConstants.applicationType, m.securityType == SLACConstants.securityType else {
            return [.ignored("SLAC: ignored CM_SLAC_PARM.REQ from \(ev): application type \(m.applicationType), security type \(m.securityType) (both must be 0)")]
        }
        var actions: [SLACAction] = []
        // An EV that starts again (same or new run) replaces its earlier run.
        for (id, run) in runs where run.evMAC == ev || id == m.runID { actions += dropRun(id) }
        if runs.count >= Self.maximumRuns {
            // Full: a failed run gives way first; while every run is alive, the newcomer waits for its retry.
            guard let oldest = runOrder.first(where: { runs[$0]?.isFailed == true }) else {
                return actions + [.ignored("SLAC: ignored CM_SLAC_PARM.REQ from \(ev): \(Self.maximumRuns) runs are in progress")]
            }
            actions += dropRun(oldest)
        }
        switch phase {
        case .waitingForParm: actions.append(stopTimer(.slacInit))
        case .waitingForRetry: actions.append(stopTimer(.matchingRepetition))
        default: break
        }
        phase = .matching
        runs[m.runID] = Run(evMAC: ev, runID: m.runID)
        runOrder.append(m.runID)
        let confirm = SlacParmConfirm(numberOfSounds: SLACTiming.soundCount, timeOut100ms: UInt8(SLACTiming.evseMatchMNBCMilliseconds / 100),
                                      forwardingStation: ev, runID: m.runID)
        actions.append(.send(frame(to: ev, .slacParmConfirm(confirm))))
        actions.append(startTimer(.matchSequence(m.runID), SLACTiming.matchSequenceMilliseconds))
        actions.append(.log("SLAC: run \(m.runID) of EV \(ev) opened"))
        return actions
    }

    private mutating func startAttenChar(_ m: StartAttenCharIndication, from ev: MACAddress) -> [SLACAction] {
        guard let run = runs[m.runID], run.evMAC == ev else {
            return [.ignored("SLAC: ignored CM_START_ATTEN_CHAR.IND from \(ev): unknown run \(m.runID)")]
        }
        guard run.state == .awaitingStart else { return [] }  // the EV sends it C_EV_start_atten_char_inds (3) times
        guard m.applicationType == 0, m.securityType == 0, m.numberOfSounds > 0 else {
            return [.ignored("SLAC: ignored CM_START_ATTEN_CHAR.IND of run \(m.runID): invalid parameters")]
        }
        runs[m.runID]?.state = .sounding
        return [stopTimer(.matchSequence(m.runID)), startTimer(.evseMatchMNBC(m.runID), SLACTiming.evseMatchMNBCMilliseconds),
                .log("SLAC: run \(m.runID): sounding")]
    }

    private mutating func attenProfile(_ m: AttenProfileIndication) -> [SLACAction] {
        guard let id = runOrder.first(where: { runs[$0]?.evMAC == m.pevMAC && runs[$0]?.state == .sounding }), var run = runs[id] else {
            return [.ignored("SLAC: ignored CM_ATTEN_PROFILE.IND for \(m.pevMAC): no sounding run of that EV")]
        }
        guard m.groups.count == SLACConstants.groupCount else {
            return [.ignored("SLAC: ignored CM_ATTEN_PROFILE.IND for \(m.pevMAC): \(m.groups.count) groups, expected 58")]
        }
        for (i, value) in m.groups.enumerated() { run.sums[i] += Int(value) }
        run.profiles += 1
        runs[id] = run
        if run.profiles >= Int(SLACTiming.soundCount) {
            return [stopTimer(.evseMatchMNBC(id))] + finalizeSounding(id)
        }
        return []
    }

    private mutating func finalizeSounding(_ id: RunID) -> [SLACAction] {
        guard var run = runs[id], run.state == .sounding else { return [] }
        guard run.profiles > 0 else { return runFailed(id, .noSounds) }
        // Per group the rounded mean of the sounds' attenuations; the run's figure is the mean over the groups.
        let count = run.profiles
        run.groupAverages = run.sums.map { UInt8(clamping: ($0 + count / 2) / count) }
        run.averageDB = Double(run.groupAverages.reduce(0) { $0 + Int($1) }) / Double(SLACConstants.groupCount)
        run.state = .awaitingResponse(sent: 1)
        runs[id] = run
        var actions: [SLACAction] = [
            .send(attenChar(run)), startTimer(.matchResponse(id), SLACTiming.matchResponseMilliseconds),
            .log("SLAC: run \(id): \(run.profiles) sounds, average attenuation \(dB(run.averageDB ?? 0)) dB"),
        ]
        actions += evaluatePending()
        return actions
    }

    private mutating func attenCharResponse(_ m: AttenCharResponse, from ev: MACAddress) -> [SLACAction] {
        guard let run = runs[m.runID], run.evMAC == ev, case .awaitingResponse = run.state else {
            return [.ignored("SLAC: ignored CM_ATTEN_CHAR.RSP from \(ev): no run \(m.runID) awaits it")]
        }
        guard m.result == 0 else { return [stopTimer(.matchResponse(m.runID))] + runFailed(m.runID, .attenuationProfileRejected(result: m.result)) }
        runs[m.runID]?.state = .awaitingMatch
        return [stopTimer(.matchResponse(m.runID)), startTimer(.evseMatchSession(m.runID), SLACTiming.evseMatchSessionMilliseconds)]
    }

    private func validate(from ev: MACAddress) -> [SLACAction] {
        guard runs.values.contains(where: { $0.evMAC == ev && !$0.isFailed }) else {
            return [.ignored("SLAC: ignored CM_VALIDATE.REQ from \(ev): no run of that EV")]
        }
        return [.send(frame(to: ev, .validateConfirm(ValidateConfirm(toggleCount: 0, result: .notRequired)))),
                .log("SLAC: CM_VALIDATE.REQ from \(ev) answered \"not required\"")]
    }

    private mutating func matchRequest(_ m: SlacMatchRequest, from ev: MACAddress) -> [SLACAction] {
        guard let run = runs[m.runID], run.evMAC == ev else {
            return [.ignored("SLAC: ignored CM_SLAC_MATCH.REQ from \(ev): unknown run \(m.runID)")]
        }
        guard m.applicationType == 0, m.securityType == 0, m.evseMAC == configuration.evseMAC, m.pevMAC == ev else {
            return [.ignored("SLAC: ignored CM_SLAC_MATCH.REQ of run \(m.runID): its EVSE MAC \(m.evseMAC) or PEV MAC \(m.pevMAC) does not fit")]
        }
        switch run.state {
        case .awaitingMatch, .awaitingResponse: break
        default: return [.ignored("SLAC: ignored CM_SLAC_MATCH.REQ of run \(m.runID): the run is not characterized")]
        }
        var actions: [SLACAction] = []
        if case .awaitingResponse = run.state { actions.append(stopTimer(.matchResponse(m.runID))) }
        if !running.contains(.evseMatchSession(m.runID)) {
            actions.append(startTimer(.evseMatchSession(m.runID), SLACTiming.evseMatchSessionMilliseconds))
        }
        runs[m.runID]?.state = .matchRequested(m)
        return actions + evaluatePending()
    }

    /// Decides the held CM_SLAC_MATCH.REQs once the key is on the modem and no other run is still sounding.
    private mutating func evaluatePending() -> [SLACAction] {
        guard keyConfirmed, !runs.values.contains(where: { $0.isOpen }) else { return [] }
        var actions: [SLACAction] = []
        for id in runOrder {
            guard let run = runs[id], case .matchRequested(let request) = run.state, let average = run.averageDB else { continue }
            if average > configuration.attenuationThresholdDB {
                actions += runFailed(id, .attenuationAboveThreshold(averageDB: average, thresholdDB: configuration.attenuationThresholdDB))
                continue
            }
            let best = runs.values.filter { !$0.isFailed && $0.runID != id }.compactMap(\.averageDB).min()
            if let best, best < average {
                actions += runFailed(id, .notBestCandidate(averageDB: average, bestDB: best))
                continue
            }
            let match = SLACMatch(evMAC: run.evMAC, runID: id, nmk: nmk, nid: nid, averageAttenuationDB: average, soundsReceived: run.profiles)
            actions += stopAll()
            runs.removeAll(); runOrder.removeAll()
            phase = .matched(match)
            actions.append(.send(matchConfirm(request, to: run.evMAC)))
            actions.append(startTimer(.matchJoin, SLACTiming.matchJoinMilliseconds))
            actions.append(.matched(match))
            actions.append(.log("SLAC: matched EV \(run.evMAC) (run \(id), \(dB(average)) dB)"))
            return actions
        }
        return actions
    }

    private mutating func runFailed(_ id: RunID, _ reason: SLACFailure) -> [SLACAction] {
        guard let run = runs[id], !run.isFailed else { return [] }
        var actions = stopRunTimers(id)
        runs[id]?.state = .failed(reason)
        lastFailure = reason
        actions.append(.log("SLAC: run \(id) of EV \(run.evMAC) failed: \(reason)"))
        guard phase == .matching, runs.values.allSatisfy(\.isFailed) else { return actions + evaluatePending() }
        if retriesUsed < SLACTiming.matchRetries {
            retriesUsed += 1
            runs.removeAll(); runOrder.removeAll()
            phase = .waitingForRetry
            actions.append(startTimer(.matchingRepetition, SLACTiming.matchingRepetitionMilliseconds))
            actions.append(.log("SLAC: attempt failed, waiting for the EV to repeat the matching (\(retriesUsed) of \(SLACTiming.matchRetries))"))
            return actions
        }
        return actions + fail(reason)
    }

    private mutating func fail(_ reason: SLACFailure) -> [SLACAction] {
        var actions = stopAll()
        resetState()
        phase = .failed(reason)
        actions.append(.failed(reason))
        actions.append(.log("SLAC: matching failed: \(reason)"))
        return actions
    }

    // MARK: - Helpers

    private mutating func resetState() {
        runs.removeAll(); runOrder.removeAll()
        retriesUsed = 0; lastFailure = nil; keyConfirmed = false; setKeyAttempts = 0
    }

    private mutating func dropRun(_ id: RunID) -> [SLACAction] {
        let actions = stopRunTimers(id)
        runs[id] = nil
        runOrder.removeAll { $0 == id }
        return actions
    }

    private mutating func stopRunTimers(_ id: RunID) -> [SLACAction] {
        [SLACTimer.matchSequence(id), .evseMatchMNBC(id), .matchResponse(id), .evseMatchSession(id)]
            .filter { running.contains($0) }.map { stopTimer($0) }
    }

    private mutating func stopAll() -> [SLACAction] {
        let timers = running.sorted { $0.description < $1.description }
        running.removeAll()
        return timers.map { .stopTimer($0) }
    }

    private mutating func startTimer(_ timer: SLACTimer, _ milliseconds: Int) -> SLACAction {
        running.insert(timer)
        return .startTimer(timer, milliseconds: milliseconds)
    }

    private mutating func stopTimer(_ timer: SLACTimer) -> SLACAction {
        running.remove(timer)
        return .stopTimer(timer)
    }

    private func ignored(_ frame: MMEFrame, _ why: String) -> SLACAction {
        .ignored("SLAC: ignored \(frame.message.mmType) from \(frame.source): \(why)")
    }

    private func frame(to destination: MACAddress, _ message: SLACMessage) -> MMEFrame {
        MMEFrame(destination: destination, source: configuration.evseMAC, message: message)
    }

    private func sendSetKey() -> SLACAction {
        .send(frame(to: configuration.modemMAC, .setKeyRequest(SetKeyRequest(nid: nid, nmk: nmk))))
    }

    private func attenChar(_ run: Run) -> MMEFrame {
        frame(to: run.evMAC, .attenCharIndication(AttenCharIndication(sourceAddress: run.evMAC, runID: run.runID,
                                                                      numberOfSounds: UInt8(clamping: run.profiles), groups: run.groupAverages)))
    }

    private func matchConfirm(_ request: SlacMatchRequest, to ev: MACAddress) -> MMEFrame {
        frame(to: ev, .slacMatchConfirm(SlacMatchConfirm(answering: request, nid: nid, nmk: nmk)))
    }
}
