/// The timers and constants of the EVSE's matching, ISO 15118-3:2015 Table A.1 ("SLAC timing and constants"), plus the
/// two values HomePlug leaves to the implementation (how long the host waits for its own modem's CM_SET_KEY.CNF).
public enum SLACTiming {
    /// TT_EVSE_SLAC_init (Table A.1: 20 s to 50 s): from the start of the matching (state B with 5 % PWM) until the
    /// first CM_SLAC_PARM.REQ; when it expires the EVSE assumes the EV does no SLAC.
    public static let slacInitRangeMilliseconds = 20_000...50_000
    public static let slacInitDefaultMilliseconds = 40_000
    /// TT_match_sequence (Table A.1: 400 ms): between the EVSE's CM_SLAC_PARM.CNF and the EV's next message of the
    /// sequence, CM_START_ATTEN_CHAR.IND.
    public static let matchSequenceMilliseconds = 400
    /// TT_EVSE_match_MNBC (Table A.1: 600 ms): the sounding window after the first CM_START_ATTEN_CHAR.IND; it is also
    /// the Time_Out the EVSE announces in CM_SLAC_PARM.CNF, in units of 100 ms.
    public static let evseMatchMNBCMilliseconds = 600
    /// TT_match_response (Table A.1: 200 ms): how long a sender waits for the answer to its message (here: the EV's
    /// CM_ATTEN_CHAR.RSP to the EVSE's CM_ATTEN_CHAR.IND) before repeating it.
    public static let matchResponseMilliseconds = 200
    /// TT_EVSE_match_session (Table A.1: 10 s): from the EV's CM_ATTEN_CHAR.RSP until its CM_SLAC_MATCH.REQ.
    public static let evseMatchSessionMilliseconds = 10_000
    /// TT_match_join (Table A.1: 12 s): after CM_SLAC_MATCH.CNF the EV joins the logical network within this time.
    public static let matchJoinMilliseconds = 12_000
    /// TT_matching_repetition (Table A.1: 10 s): the time within which an EV repeats a failed matching process; the EVSE
    /// waits this long for the EV's new CM_SLAC_PARM.REQ after an attempt failed.
    public static let matchingRepetitionMilliseconds = 10_000
    /// C_EV_match_retry (Table A.1: 2): how often a message without answer is repeated (the EVSE repeats
    /// CM_ATTEN_CHAR.IND this many times), and here also how many failed attempts the EVSE lets the EV repeat.
    public static let matchRetries = 2
    /// C_EV_match_MNBC (Table A.1: 10): the number of sounds the EVSE asks for in CM_SLAC_PARM.CNF.
    public static let soundCount: UInt8 = 10
    /// ChargeKit's wait for the local modem's CM_SET_KEY.CNF and the number of attempts (HomePlug AV and ISO 15118-3
    /// set no value; a QCA7000 answers within a few milliseconds).
    public static let setKeyTimeoutMilliseconds = 500
    public static let setKeyAttempts = 10
}

/// What the EVSE's matching needs to know: its own MAC (the modem interface's), whom to give the key to, and the
/// attenuation above which it refuses an EV (an EV plugged into a neighbouring charger is heard through crosstalk with
/// far higher attenuation than the one on its own cable).
public struct SLACConfiguration: Sendable, Equatable {
    public var evseMAC: MACAddress
    /// The modem's management address for CM_SET_KEY.REQ: Qualcomm's local management address by default.
    public var modemMAC: MACAddress
    /// The highest average attenuation, in dB over the 58 carrier groups, at which the EVSE still matches an EV.
    public var attenuationThresholdDB: Double
    /// TT_EVSE_SLAC_init, ISO 15118-3:2015 Table A.1 (20 s to 50 s).
    public var slacInitMilliseconds: Int

    public static let attenuationThresholdRangeDB: ClosedRange<Double> = 1...120
    /// ChargeKit's default: generous, a direct cable is far below it; sites with many chargers side by side set it lower.
    public static let defaultAttenuationThresholdDB = 60.0

    public init(evseMAC: MACAddress, modemMAC: MACAddress = .localModem, attenuationThresholdDB: Double = defaultAttenuationThresholdDB,
                slacInitMilliseconds: Int = SLACTiming.slacInitDefaultMilliseconds) throws(SLACConfigurationError) {
        guard Self.attenuationThresholdRangeDB.contains(attenuationThresholdDB) else {
            throw SLACConfigurationError(field: "attenuationThresholdDB", reason: "\(attenuationThresholdDB) dB, allowed 1 to 120 dB")
        }
        guard SLACTiming.slacInitRangeMilliseconds.contains(slacInitMilliseconds) else {
            throw SLACConfigurationError(field: "slacInitMilliseconds",
                                         reason: "\(slacInitMilliseconds) ms, ISO 15118-3 Table A.1 allows 20000 to 50000 ms (TT_EVSE_SLAC_init)")
        }
        self.evseMAC = evseMAC; self.modemMAC = modemMAC
        self.attenuationThresholdDB = attenuationThresholdDB; self.slacInitMilliseconds = slacInitMilliseconds
    }
}

public struct SLACConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public var description: String { "SLAC configuration: \(field): \(reason)" }
}

/// The timers the machine asks its runtime to run; each run-bound timer names its run.
public enum SLACTimer: Hashable, Sendable, CustomStringConvertible {
    case setKey
    case slacInit
    case matchSequence(RunID)
    case evseMatchMNBC(RunID)
    case matchResponse(RunID)
    case evseMatchSession(RunID)
    case matchingRepetition
    case matchJoin

    public var description: String {
        switch self {
        case .setKey: "CM_SET_KEY.CNF wait"
        case .slacInit: "TT_EVSE_SLAC_init"
        case .matchSequence(let r): "TT_match_sequence(\(r))"
        case .evseMatchMNBC(let r): "TT_EVSE_match_MNBC(\(r))"
        case .matchResponse(let r): "TT_match_response(\(r))"
        case .evseMatchSession(let r): "TT_EVSE_match_session(\(r))"
        case .matchingRepetition: "TT_matching_repetition"
        case .matchJoin: "TT_match_join"
        }
    }
}

/// A successful match: the EV, the run, and the logical network it was given.
public struct SLACMatch: Equatable, Sendable {
    public var evMAC: MACAddress
    public var runID: RunID
    public var nmk: NetworkMembershipKey
    public var nid: NetworkID
    /// The average over the 58 groups of the per-group averages of the sounds, in dB.
    public var averageAttenuationDB: Double
    public var soundsReceived: Int
}

/// Why a matching (or one EV's run) failed.
public enum SLACFailure: Equatable, Sendable, CustomStringConvertible {
    /// The local modem did not confirm CM_SET_KEY.REQ.
    case modemKeyNotConfirmed(attempts: Int)
    /// TT_EVSE_SLAC_init expired without CM_SLAC_PARM.REQ.
    case noSlacParmRequest
    /// A timer of the sequence expired before the EV's next message (named).
    case noResponse(expected: String)
    /// The sounding window closed without a single attenuation profile.
    case noSounds
    case attenuationAboveThreshold(averageDB: Double, thresholdDB: Double)
    /// Another EV heard in the same window was heard better: that one is on this charger's cable.
    case notBestCandidate(averageDB: Double, bestDB: Double)
    case attenuationProfileRejected(result: UInt8)
    /// TT_match_join expired before the runtime reported the EV on the network.
    case joinTimeout

    /// A stable identifier for logs and JSON.
    public var code: String {
        switch self {
        case .modemKeyNotConfirmed: "modem_key_not_confirmed"
        case .noSlacParmRequest: "no_slac_parm_request"
        case .noResponse: "no_response"
        case .noSounds: "no_sounds"
        case .attenuationAboveThreshold: "attenuation_above_threshold"
        case .notBestCandidate: "not_best_candidate"
        case .attenuationProfileRejected: "attenuation_profile_rejected"
        case .joinTimeout: "join_timeout"
        }
    }

    public var description: String {
        switch self {
        case .modemKeyNotConfirmed(let n): "the powerline modem did not confirm CM_SET_KEY.REQ (\(n) attempts)"
        case .noSlacParmRequest: "no CM_SLAC_PARM.REQ within TT_EVSE_SLAC_init"
        case .noResponse(let expected): "no \(expected) in time"
        case .noSounds: "no attenuation profile received in the sounding window"
        case .attenuationAboveThreshold(let a, let t): "average attenuation \(dB(a)) dB above the threshold of \(dB(t)) dB"
        case .notBestCandidate(let a, let b): "another EV was heard better (\(dB(b)) dB against \(dB(a)) dB)"
        case .attenuationProfileRejected(let r): "the EV rejected the attenuation profile (result \(r))"
        case .joinTimeout: "the EV did not join the network within TT_match_join"
        }
    }
}

func dB(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

/// What the machine asks its runtime to do.
public enum SLACAction: Equatable, Sendable {
    case send(MMEFrame)
    case startTimer(SLACTimer, milliseconds: Int)
    case stopTimer(SLACTimer)
    case matched(SLACMatch)
    case failed(SLACFailure)
    /// A line for the log: a step of the sequence (never a key).
    case log(String)
    /// A received frame the machine did not act on, and why (malformed, another run, not addressed to this EVSE).
    case ignored(String)
}
