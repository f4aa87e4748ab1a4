/// The SLAC messages the EVSE sends or receives, field by field in wire order (multi-octet numbers little endian, as
/// HomePlug AV 1.1 §11.1 defines for MME entries). Layouts: ISO 15118-3:2015 Annex A (CM_SLAC_PARM Table A.2,
/// CM_START_ATTEN_CHAR, CM_MNBC_SOUND, CM_ATTEN_CHAR Table A.4, CM_ATTEN_PROFILE, CM_VALIDATE, CM_SLAC_MATCH) and HomePlug
/// AV 1.1 §11.5.4/§11.5.5 for CM_SET_KEY, which only passes between the charger's host and its own modem.
public enum SLACMessage: Equatable, Sendable {
    case setKeyRequest(SetKeyRequest)
    case setKeyConfirm(SetKeyConfirm)
    case slacParmRequest(SlacParmRequest)
    case slacParmConfirm(SlacParmConfirm)
    case startAttenCharIndication(StartAttenCharIndication)
    case mnbcSoundIndication(MNBCSoundIndication)
    case attenProfileIndication(AttenProfileIndication)
    case attenCharIndication(AttenCharIndication)
    case attenCharResponse(AttenCharResponse)
    case validateRequest(ValidateRequest)
    case validateConfirm(ValidateConfirm)
    case slacMatchRequest(SlacMatchRequest)
    case slacMatchConfirm(SlacMatchConfirm)

    public var mmType: MMType {
        switch self {
        case .setKeyRequest: MMType(base: MMType.setKey, .request)
        case .setKeyConfirm: MMType(base: MMType.setKey, .confirm)
        case .slacParmRequest: MMType(base: MMType.slacParm, .request)
        case .slacParmConfirm: MMType(base: MMType.slacParm, .confirm)
        case .startAttenCharIndication: MMType(base: MMType.startAttenChar, .indication)
        case .mnbcSoundIndication: MMType(base: MMType.mnbcSound, .indication)
        case .attenProfileIndication: MMType(base: MMType.attenProfile, .indication)
        case .attenCharIndication: MMType(base: MMType.attenChar, .indication)
        case .attenCharResponse: MMType(base: MMType.attenChar, .response)
        case .validateRequest: MMType(base: MMType.validate, .request)
        case .validateConfirm: MMType(base: MMType.validate, .confirm)
        case .slacMatchRequest: MMType(base: MMType.slacMatch, .request)
        case .slacMatchConfirm: MMType(base: MMType.slacMatch, .confirm)
        }
    }

    func encodeEntry(into w: inout ByteWriter) {
        switch self {
        case .setKeyRequest(let m): m.encode(into: &w)
        case .setKeyConfirm(let m): m.encode(into: &w)
        case .slacParmRequest(let m): m.encode(into: &w)
        case .slacParmConfirm(let m): m.encode(into: &w)
        case .startAttenCharIndication(let m): m.encode(into: &w)
        case .mnbcSoundIndication(let m): m.encode(into: &w)
        case .attenProfileIndication(let m): m.encode(into: &w)
        case .attenCharIndication(let m): m.encode(into: &w)
        case .attenCharResponse(let m): m.encode(into: &w)
        case .validateRequest(let m): m.encode(into: &w)
        case .validateConfirm(let m): m.encode(into: &w)
        case .slacMatchRequest(let m): m.encode(into: &w)
        case .slacMatchConfirm(let m): m.encode(into: &w)
        }
    }

    static func decodeEntry(_ type: MMType, from r: inout ByteReader) throws(SLACFrameError) -> SLACMessage {
        switch (type.base, type.variant) {
        case (MMType.setKey, .request): .setKeyRequest(try SetKeyRequest(&r))
        case (MMType.setKey, .confirm): .setKeyConfirm(try SetKeyConfirm(&r))
        case (MMType.slacParm, .request): .slacParmRequest(try SlacParmRequest(&r))
        case (MMType.slacParm, .confirm): .slacParmConfirm(try SlacParmConfirm(&r))
        case (MMType.startAttenChar, .indication): .startAttenCharIndication(try StartAttenCharIndication(&r))
        case (MMType.mnbcSound, .indication): .mnbcSoundIndication(try MNBCSoundIndication(&r))
        case (MMType.attenProfile, .indication): .attenProfileIndication(try AttenProfileIndication(&r))
        case (MMType.attenChar, .indication): .attenCharIndication(try AttenCharIndication(&r))
        case (MMType.attenChar, .response): .attenCharResponse(try AttenCharResponse(&r))
        case (MMType.validate, .request): .validateRequest(try ValidateRequest(&r))
        case (MMType.validate, .confirm): .validateConfirm(try ValidateConfirm(&r))
        case (MMType.slacMatch, .request): .slacMatchRequest(try SlacMatchRequest(&r))
        case (MMType.slacMatch, .confirm): .slacMatchConfirm(try SlacMatchConfirm(&r))
        default: throw SLACFrameError(field: "MMTYPE", reason: "\(type) is not a SLAC message this station handles")
        }
    }
}

/// The 8-octet identifier an EV picks for one matching run (ISO 15118-3:2015 Table A.2, "RunID"); every later message
/// of the run repeats it, which is how the EVSE tells runs (and EVs) apart.
public struct RunID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init?(bytes: [UInt8]) {
        guard bytes.count == 8 else { return nil }
        self.bytes = bytes
    }
    init(trusted: [UInt8]) { bytes = trusted }
    public var description: String { bytes.map(hex8).joined() }
}

/// Application type 0x00 "PEV-EVSE matching" and security type 0x00 "no security": the only values ISO 15118-3:2015
/// Table A.2 defines for SLAC.
public enum SLACConstants {
    public static let applicationType: UInt8 = 0x00
    public static let securityType: UInt8 = 0x00
    /// RESP_TYPE 0x01: "other Green PHY station" (the EVSE's host answers through its modem).
    public static let responseType: UInt8 = 0x01
    /// Station identifiers (PEV ID, EVSE ID, SenderID, SOURCE_ID, RESP_ID) are 17 octets.
    public static let stationIDLength = 17
    /// Green PHY reports the attenuation in 58 carrier groups (AAG, ISO 15118-3:2015 Annex A, CM_ATTEN_CHAR.IND).
    public static let groupCount = 58
    /// MVFLength of CM_SLAC_MATCH.REQ (62) and .CNF (86).
    public static let matchRequestMVFLength: UInt16 = 0x3E
    public static let matchConfirmMVFLength: UInt16 = 0x56
}

private func fixed(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
    bytes.count >= count ? Array(bytes.prefix(count)) : bytes + [UInt8](repeating: 0, count: count - bytes.count)
}

/// CM_SET_KEY.REQ: the host gives its modem the network membership key (NMK) and network identifier (NID) of the logical
/// network the EV will join (HomePlug AV 1.1 §11.5.4). Key type 0x01 (NMK), PID 0x04 (HLE protocol), NewEKS 0x01.
public struct SetKeyRequest: Equatable, Sendable {
    public var keyType: UInt8 = 0x01
    public var myNonce: UInt32 = 0
    public var yourNonce: UInt32 = 0
    public var protocolID: UInt8 = 0x04
    public var protocolRunNumber: UInt16 = 0
    public var protocolMessageNumber: UInt8 = 0
    public var ccoCapability: UInt8 = 0
    public var nid: NetworkID
    public var newEKS: UInt8 = 0x01
    public var newKey: NetworkMembershipKey

    public init(nid: NetworkID, nmk: NetworkMembershipKey) { self.nid = nid; self.newKey = nmk }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        keyType = try r.u8(field: "KeyType")
        guard keyType == 0x01 else { throw SLACFrameError(field: "KeyType", reason: "0x\(hex8(keyType)), only 0x01 (NMK) is used") }
        myNonce = try r.u32le(field: "MyNonce"); yourNonce = try r.u32le(field: "YourNonce")
        protocolID = try r.u8(field: "PID"); protocolRunNumber = try r.u16le(field: "PRN"); protocolMessageNumber = try r.u8(field: "PMN")
        ccoCapability = try r.u8(field: "CCo Capability")
        nid = NetworkID(trusted: try r.take(7, field: "NID"))
        newEKS = try r.u8(field: "NewEKS")
        newKey = NetworkMembershipKey(trusted: try r.take(16, field: "NewKey"))
    }

    func encode(into w: inout ByteWriter) {
        w.u8(keyType); w.u32le(myNonce); w.u32le(yourNonce); w.u8(protocolID); w.u16le(protocolRunNumber)
        w.u8(protocolMessageNumber); w.u8(ccoCapability); w.put(nid.bytes); w.u8(newEKS); w.put(newKey.bytes)
    }
}

/// CM_SET_KEY.CNF: the modem's answer; result 0x00 is success (HomePlug AV 1.1 §11.5.5).
public struct SetKeyConfirm: Equatable, Sendable {
    public var result: UInt8
    public var myNonce: UInt32 = 0
    public var yourNonce: UInt32 = 0
    public var protocolID: UInt8 = 0x04
    public var protocolRunNumber: UInt16 = 0
    public var protocolMessageNumber: UInt8 = 0
    public var ccoCapability: UInt8 = 0

    public init(result: UInt8) { self.result = result }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        result = try r.u8(field: "Result")
        myNonce = try r.u32le(field: "MyNonce"); yourNonce = try r.u32le(field: "YourNonce")
        protocolID = try r.u8(field: "PID"); protocolRunNumber = try r.u16le(field: "PRN"); protocolMessageNumber = try r.u8(field: "PMN")
        ccoCapability = try r.u8(field: "CCo Capability")
    }

    func encode(into w: inout ByteWriter) {
        w.u8(result); w.u32le(myNonce); w.u32le(yourNonce); w.u8(protocolID); w.u16le(protocolRunNumber)
        w.u8(protocolMessageNumber); w.u8(ccoCapability)
    }
}

/// CM_SLAC_PARM.REQ: the EV opens a run (broadcast). ISO 15118-3:2015 Table A.2.
public struct SlacParmRequest: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var runID: RunID

    public init(runID: RunID) { self.runID = runID }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        runID = RunID(trusted: try r.take(8, field: "RunID"))
    }

    func encode(into w: inout ByteWriter) { w.u8(applicationType); w.u8(securityType); w.put(runID.bytes) }
}

/// CM_SLAC_PARM.CNF: the EVSE's parameters for the sounding — target, number of sounds, the time-out in units of
/// 100 ms and the EV as forwarding station. ISO 15118-3:2015 Table A.2.
public struct SlacParmConfirm: Equatable, Sendable {
    public var soundTarget: MACAddress = .broadcast
    public var numberOfSounds: UInt8
    public var timeOut100ms: UInt8
    public var responseType: UInt8 = SLACConstants.responseType
    public var forwardingStation: MACAddress
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var runID: RunID

    public init(numberOfSounds: UInt8, timeOut100ms: UInt8, forwardingStation: MACAddress, runID: RunID) {
        self.numberOfSounds = numberOfSounds; self.timeOut100ms = timeOut100ms; self.forwardingStation = forwardingStation; self.runID = runID
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        soundTarget = try r.mac(field: "M-SOUND_TARGET"); numberOfSounds = try r.u8(field: "NUM_SOUNDS")
        timeOut100ms = try r.u8(field: "Time_Out"); responseType = try r.u8(field: "RESP_TYPE")
        forwardingStation = try r.mac(field: "FORWARDING_STA")
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        runID = RunID(trusted: try r.take(8, field: "RunID"))
    }

    func encode(into w: inout ByteWriter) {
        w.put(soundTarget.bytes); w.u8(numberOfSounds); w.u8(timeOut100ms); w.u8(responseType); w.put(forwardingStation.bytes)
        w.u8(applicationType); w.u8(securityType); w.put(runID.bytes)
    }
}

/// CM_START_ATTEN_CHAR.IND: the EV announces the sounding (sent C_EV_start_atten_char_inds = 3 times).
public struct StartAttenCharIndication: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var numberOfSounds: UInt8
    public var timeOut100ms: UInt8
    public var responseType: UInt8 = SLACConstants.responseType
    public var forwardingStation: MACAddress
    public var runID: RunID

    public init(numberOfSounds: UInt8, timeOut100ms: UInt8, forwardingStation: MACAddress, runID: RunID) {
        self.numberOfSounds = numberOfSounds; self.timeOut100ms = timeOut100ms; self.forwardingStation = forwardingStation; self.runID = runID
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        numberOfSounds = try r.u8(field: "NUM_SOUNDS"); timeOut100ms = try r.u8(field: "Time_Out")
        responseType = try r.u8(field: "RESP_TYPE"); forwardingStation = try r.mac(field: "FORWARDING_STA")
        runID = RunID(trusted: try r.take(8, field: "RunID"))
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.u8(numberOfSounds); w.u8(timeOut100ms); w.u8(responseType)
        w.put(forwardingStation.bytes); w.put(runID.bytes)
    }
}

/// CM_MNBC_SOUND.IND: one sound of the EV (Cnt counts down the sounds still to come).
public struct MNBCSoundIndication: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var senderID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var remainingSounds: UInt8
    public var runID: RunID
    public var reserved: [UInt8] = [UInt8](repeating: 0, count: 8)
    public var random: [UInt8]

    public init(remainingSounds: UInt8, runID: RunID, random: [UInt8]) {
        self.remainingSounds = remainingSounds; self.runID = runID; self.random = fixed(random, 16)
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        senderID = try r.take(SLACConstants.stationIDLength, field: "SenderID"); remainingSounds = try r.u8(field: "Cnt")
        runID = RunID(trusted: try r.take(8, field: "RunID")); reserved = try r.take(8, field: "RSVD")
        random = try r.take(16, field: "Rnd")
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.put(fixed(senderID, SLACConstants.stationIDLength)); w.u8(remainingSounds)
        w.put(runID.bytes); w.put(fixed(reserved, 8)); w.put(fixed(random, 16))
    }
}

/// CM_ATTEN_PROFILE.IND: the charger's own modem reports, for one received sound, the attenuation per carrier group
/// (AAG, in dB) and the EV it came from. It carries no run ID.
public struct AttenProfileIndication: Equatable, Sendable {
    public var pevMAC: MACAddress
    public var reserved: UInt8 = 0
    public var groups: [UInt8]

    public init(pevMAC: MACAddress, groups: [UInt8]) { self.pevMAC = pevMAC; self.groups = Array(groups.prefix(255)) }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        pevMAC = try r.mac(field: "PEV MAC")
        let count = try r.u8(field: "NumGroups")
        reserved = try r.u8(field: "RSVD")
        groups = try r.take(Int(count), field: "AAG")
    }

    func encode(into w: inout ByteWriter) { w.put(pevMAC.bytes); w.u8(UInt8(groups.count)); w.u8(reserved); w.put(groups) }
}

/// CM_ATTEN_CHAR.IND: the EVSE's averaged attenuation profile of a run, sent to the EV. ISO 15118-3:2015 Table A.4.
public struct AttenCharIndication: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var sourceAddress: MACAddress
    public var runID: RunID
    public var sourceID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var responseID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var numberOfSounds: UInt8
    public var groups: [UInt8]

    public init(sourceAddress: MACAddress, runID: RunID, numberOfSounds: UInt8, groups: [UInt8]) {
        self.sourceAddress = sourceAddress; self.runID = runID; self.numberOfSounds = numberOfSounds; self.groups = Array(groups.prefix(255))
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        sourceAddress = try r.mac(field: "SOURCE_ADDRESS"); runID = RunID(trusted: try r.take(8, field: "RunID"))
        sourceID = try r.take(SLACConstants.stationIDLength, field: "SOURCE_ID")
        responseID = try r.take(SLACConstants.stationIDLength, field: "RESP_ID")
        numberOfSounds = try r.u8(field: "NumSounds")
        let count = try r.u8(field: "NumGroups")
        groups = try r.take(Int(count), field: "AAG")
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.put(sourceAddress.bytes); w.put(runID.bytes)
        w.put(fixed(sourceID, SLACConstants.stationIDLength)); w.put(fixed(responseID, SLACConstants.stationIDLength))
        w.u8(numberOfSounds); w.u8(UInt8(groups.count)); w.put(groups)
    }
}

/// CM_ATTEN_CHAR.RSP: the EV acknowledges the profile; result 0x00 is success. ISO 15118-3:2015 Table A.4.
public struct AttenCharResponse: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var sourceAddress: MACAddress
    public var runID: RunID
    public var sourceID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var responseID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var result: UInt8 = 0

    public init(sourceAddress: MACAddress, runID: RunID, result: UInt8 = 0) {
        self.sourceAddress = sourceAddress; self.runID = runID; self.result = result
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        sourceAddress = try r.mac(field: "SOURCE_ADDRESS"); runID = RunID(trusted: try r.take(8, field: "RunID"))
        sourceID = try r.take(SLACConstants.stationIDLength, field: "SOURCE_ID")
        responseID = try r.take(SLACConstants.stationIDLength, field: "RESP_ID")
        result = try r.u8(field: "Result")
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.put(sourceAddress.bytes); w.put(runID.bytes)
        w.put(fixed(sourceID, SLACConstants.stationIDLength)); w.put(fixed(responseID, SLACConstants.stationIDLength)); w.u8(result)
    }
}

/// CM_VALIDATE result codes (ISO 15118-3:2015 §A.9.4): the EV asks whether the EVSE wants to confirm the match by
/// counting the EV's toggles of the control pilot (B↔C), and the EVSE answers.
public enum ValidateResult: UInt8, Sendable {
    case notReady = 0x00, ready = 0x01, success = 0x02, failure = 0x03, notRequired = 0x04
}

/// CM_VALIDATE.REQ: signal type 0x00 (pilot toggling), the toggle window (Timer, in units of 100 ms past 100 ms) and the
/// EV's result field.
public struct ValidateRequest: Equatable, Sendable {
    public var signalType: UInt8 = 0
    public var timer: UInt8
    public var result: UInt8

    public init(timer: UInt8, result: UInt8) { self.timer = timer; self.result = result }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        signalType = try r.u8(field: "SignalType"); timer = try r.u8(field: "Timer"); result = try r.u8(field: "Result")
    }

    func encode(into w: inout ByteWriter) { w.u8(signalType); w.u8(timer); w.u8(result) }
}

/// CM_VALIDATE.CNF: signal type, the number of toggles the EVSE counted and its result.
public struct ValidateConfirm: Equatable, Sendable {
    public var signalType: UInt8 = 0
    public var toggleCount: UInt8
    public var result: UInt8

    public init(toggleCount: UInt8, result: ValidateResult) { self.toggleCount = toggleCount; self.result = result.rawValue }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        signalType = try r.u8(field: "SignalType"); toggleCount = try r.u8(field: "ToggleNum"); result = try r.u8(field: "Result")
    }

    func encode(into w: inout ByteWriter) { w.u8(signalType); w.u8(toggleCount); w.u8(result) }
}

/// CM_SLAC_MATCH.REQ: the EV asks the EVSE it chose to be matched (MVFLength 0x3E).
public struct SlacMatchRequest: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var pevID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var pevMAC: MACAddress
    public var evseID: [UInt8] = [UInt8](repeating: 0, count: SLACConstants.stationIDLength)
    public var evseMAC: MACAddress
    public var runID: RunID
    public var reserved: [UInt8] = [UInt8](repeating: 0, count: 8)

    public init(pevMAC: MACAddress, evseMAC: MACAddress, runID: RunID) { self.pevMAC = pevMAC; self.evseMAC = evseMAC; self.runID = runID }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        let length = try r.u16le(field: "MVFLength")
        guard length == SLACConstants.matchRequestMVFLength else {
            throw SLACFrameError(field: "MVFLength", reason: "\(length), CM_SLAC_MATCH.REQ has 62")
        }
        pevID = try r.take(SLACConstants.stationIDLength, field: "PEV ID"); pevMAC = try r.mac(field: "PEV MAC")
        evseID = try r.take(SLACConstants.stationIDLength, field: "EVSE ID"); evseMAC = try r.mac(field: "EVSE MAC")
        runID = RunID(trusted: try r.take(8, field: "RunID")); reserved = try r.take(8, field: "RSVD")
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.u16le(SLACConstants.matchRequestMVFLength)
        w.put(fixed(pevID, SLACConstants.stationIDLength)); w.put(pevMAC.bytes)
        w.put(fixed(evseID, SLACConstants.stationIDLength)); w.put(evseMAC.bytes); w.put(runID.bytes); w.put(fixed(reserved, 8))
    }
}

/// CM_SLAC_MATCH.CNF: the match, with the NID and NMK of the logical network the EV joins (MVFLength 0x56).
public struct SlacMatchConfirm: Equatable, Sendable {
    public var applicationType: UInt8 = SLACConstants.applicationType
    public var securityType: UInt8 = SLACConstants.securityType
    public var pevID: [UInt8]
    public var pevMAC: MACAddress
    public var evseID: [UInt8]
    public var evseMAC: MACAddress
    public var runID: RunID
    public var reserved: [UInt8] = [UInt8](repeating: 0, count: 8)
    public var nid: NetworkID
    public var reserved2: UInt8 = 0
    public var nmk: NetworkMembershipKey

    /// The confirmation of `request`: its identities and run, the network's NID and NMK.
    public init(answering request: SlacMatchRequest, nid: NetworkID, nmk: NetworkMembershipKey) {
        pevID = request.pevID; pevMAC = request.pevMAC; evseID = request.evseID; evseMAC = request.evseMAC; runID = request.runID
        self.nid = nid; self.nmk = nmk
    }

    init(_ r: inout ByteReader) throws(SLACFrameError) {
        applicationType = try r.u8(field: "APPLICATION_TYPE"); securityType = try r.u8(field: "SECURITY_TYPE")
        let length = try r.u16le(field: "MVFLength")
        guard length == SLACConstants.matchConfirmMVFLength else {
            throw SLACFrameError(field: "MVFLength", reason: "\(length), CM_SLAC_MATCH.CNF has 86")
        }
        pevID = try r.take(SLACConstants.stationIDLength, field: "PEV ID"); pevMAC = try r.mac(field: "PEV MAC")
        evseID = try r.take(SLACConstants.stationIDLength, field: "EVSE ID"); evseMAC = try r.mac(field: "EVSE MAC")
        runID = RunID(trusted: try r.take(8, field: "RunID")); reserved = try r.take(8, field: "RSVD")
        nid = NetworkID(trusted: try r.take(7, field: "NID")); reserved2 = try r.u8(field: "RSVD")
        nmk = NetworkMembershipKey(trusted: try r.take(16, field: "NMK"))
    }

    func encode(into w: inout ByteWriter) {
        w.u8(applicationType); w.u8(securityType); w.u16le(SLACConstants.matchConfirmMVFLength)
        w.put(fixed(pevID, SLACConstants.stationIDLength)); w.put(pevMAC.bytes)
        w.put(fixed(evseID, SLACConstants.stationIDLength)); w.put(evseMAC.bytes); w.put(runID.bytes); w.put(fixed(reserved, 8))
        w.put(nid.bytes); w.u8(reserved2); w.put(nmk.bytes)
    }
}
