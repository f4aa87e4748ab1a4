#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP
import OCPP16

/// The BMS side: Modbus reads and writes of the register map (seeds/003 Appendix 2).
///
/// Exceptions: 02 for addresses outside the map, signals switched off, or registers the BMS may not write (the seed's
/// R signals), whole or any register of them — ILLEGAL DATA ADDRESS, "not an allowable address for the server" (Modbus
/// Application Protocol Specification V1.1b3 §7), as the station answers; 03 for values outside what the signal
/// allows (a multi-register value written in part is checked once complete, ``PartialValue``), or a handshake step
/// out of order;
/// 0x0A when the operation's charger is not connected; 01 for every write in External mode (the external central
/// system operates the chargers; the registers are read-only). A refused write changes nothing.
extension CentralSystem {
    /// Function 3/4: registers of the map. Registers 1…6 read the gateway clock (UTC).
    public func modbusRead(address: Int, quantity: Int, now: Date) -> Result<[UInt16], ModbusRefusal> {
        let range = address..<(address + quantity)
        guard layout.contains(range) else {
            return .failure(ModbusRefusal(.illegalDataAddress, "registers \(address)…\(address + quantity - 1) are not all in the map"))
        }
        var out = Array(image[range])
        if settings.mode == .bms, address <= SystemSignal.year.rawValue {
            let time = timeRegisterValues(now: now)
            for s in SystemSignal.allCases where s != .heartbeat && range.contains(s.rawValue) { out[s.rawValue - address] = UInt16(time[s]!) }
        }
        // A signal switched off answers as the seed's "Not used" registers: it reads 0 (seeds/003 §2.2 step 6).
        if !layout.offRegisters.isEmpty {
            for a in range where layout.offRegisters.contains(a) { out[a - address] = 0 }
        }
        return .success(out)
    }

    /// Function 1/2: the 0/1 signals (flags, processed, heartbeat, communication status, unlock, availability) as bits.
    public func modbusReadBits(address: Int, quantity: Int) -> Result<[Bool], ModbusRefusal> {
        var out: [Bool] = []
        out.reserveCapacity(quantity)
        for a in address..<(address + quantity) {
            guard layout.booleanSignal(at: a) != nil else {
                return .failure(ModbusRefusal(.illegalDataAddress, "register \(a) is not a 0/1 signal"))
            }
            out.append(image.words[a] != 0)
        }
        return .success(out)
    }

    /// Function 5/15: writes 0/1 signals as bits (each like a write of 0 or 1 to the register).
    public mutating func modbusWriteBits(address: Int, values: [Bool], now: Date) -> Result<[GatewayAction], ModbusRefusal> {
        if settings.mode == .external { return .failure(Self.externalRefusal) }
        var writes: [RegisterWrite] = []
        for (i, bit) in values.enumerated() {
            guard let s = layout.booleanSignal(at: address + i) else {
                return .failure(ModbusRefusal(.illegalDataAddress, "register \(address + i) is not a 0/1 signal"))
            }
            writes.append(.whole(s, [bit ? 1 : 0]))
        }
        return apply(writes, now: now)
    }

    /// Function 6/16: registers of the map. A multi-register value (an Id Tag, a Parent Id Tag, an Expiration Date) may
    /// be written whole or a register at a time — function 6 or a function 16 write covering part of it — as a BMS that
    /// writes its points one by one does (seeds/003 §2.3.1.7: "the BMS should write these registers one by one");
    /// see ``PartialValue``.
    public mutating func modbusWrite(address: Int, values: [UInt16], now: Date) -> Result<[GatewayAction], ModbusRefusal> {
        if settings.mode == .external { return .failure(Self.externalRefusal) }
        var writes: [RegisterWrite] = []
        var a = address
        let end = address + values.count
        while a < end {
            if layout.offRegisters.contains(a) {
                return .failure(ModbusRefusal(.illegalDataAddress, "register \(a) belongs to a signal that is switched off (\"Not used\")"))
            }
            guard let d = layout.map.definition(at: a), let s = layout.signal(at: Int(d.address)) else {
                return .failure(ModbusRefusal(.illegalDataAddress, "register \(a) is not in the map"))
            }
            guard d.access.writable else { return .failure(ModbusRefusal(.illegalDataAddress, "\(s.spec.name) (\(s.address)) is read-only")) }
            let first = Int(d.address), stop = min(end, d.addresses.upperBound + 1)
            let regs = Array(values[(a - address)..<(stop - address)])
            writes.append(a == first && stop == d.addresses.upperBound + 1 ? .whole(s, regs) : .part(s, offset: a - first, regs))
            a = stop
        }
        return apply(writes, now: now)
    }

    static var externalRefusal: ModbusRefusal {
        ModbusRefusal(.illegalFunction, "writes are refused in External mode: the external central system operates the chargers")
    }

    /// Validates every piece, stores the parameters, then runs the handshakes in address order; all or nothing.
    private mutating func apply(_ writes: [RegisterWrite], now: Date) -> Result<[GatewayAction], ModbusRefusal> {
        var next = self
        var triggers: [(SignalAddress, Int)] = []
        for w in writes {
            switch w {
            case .part(let s, let offset, let regs):
                if case .string = s.spec.format, let problem = RegisterImage.stringProblem(regs) {
                    return .failure(ModbusRefusal(.illegalDataValue, "\(s.spec.name) (\(s.address)): \(problem)"))
                }
                if let complete = next.writePart(s, offset: offset, regs, now: now) {
                    // The value's last register (or every register) was written: the value is complete.
                    if let problem = problem(s, complete) {
                        return .failure(ModbusRefusal(.illegalDataValue, "\(s.spec.name) (\(s.address)), written register by register: \(problem)"))
                    }
                    next.partialValues[s.address] = nil
                }
            case .whole(let s, let regs):
                if let problem = problem(s, regs) {
                    return .failure(ModbusRefusal(.illegalDataValue, "\(s.spec.name) (\(s.address)): \(problem)"))
                }
                if isTrigger(s) { triggers.append((s, Int(regs[0]))) } else {
                    next.image.store(s.address, regs)
                    next.partialValues[s.address] = nil
                }
            }
        }
        var actions: [GatewayAction] = []
        do {
            for (s, v) in triggers { actions += try next.trigger(s, v, now: now) }
        } catch {
            return .failure(error)
        }
        self = next
        return .success(actions)
    }

    private func isTrigger(_ s: SignalAddress) -> Bool {
        switch s {
        case .system: true
        case .connector(_, _, let c): c == .unlockConnector || c == .availability
        case .charger(_, let c): IncomingBlock(processed: c) != nil || Self.operationKind(c) != nil
        }
    }

    static func operationKind(_ flag: ChargerSignal) -> Operation.Kind? {
        switch flag {
        case .cancelReservationFlag: .cancelReservation
        case .clearCacheFlag: .clearCache
        case .clearChargingProfileFlag: .clearChargingProfile
        case .getLocalListVersionFlag: .getLocalListVersion
        case .reserveNowFlag: .reserveNow
        case .resetFlag: .reset
        case .sendLocalListFlag: .sendLocalList
        case .triggerMessageFlag: .triggerMessage
        case .remoteStartFlag: .remoteStart
        case .remoteStopFlag: .remoteStop
        default: nil
        }
    }

    /// Why the BMS may not write these registers to the signal, or nil.
    func problem(_ s: SignalAddress, _ regs: [UInt16]) -> String? {
        if case .string = s.spec.format { return RegisterImage.stringProblem(regs) }
        guard regs.count == 1 else { return nil }
        let v = Int(regs[0])
        func allow(_ r: ClosedRange<Int>, orNotSet: Bool = false) -> String? {
            r.contains(v) || (orNotSet && v == Self.notSet) ? nil : "\(v) is outside \(r.lowerBound)…\(r.upperBound)\(orNotSet ? " (or 65535 = not set)" : "")"
        }
        switch s {
        case .system(let t):
            return allow(t.allowed)
        case .connector:
            return allow(0...1)
        case .charger(let slot, let c):
            let connectors = settings.charger(slot: slot)?.connectors ?? 0
            switch c {
            case .authorizationResult, .startResult, .stopResult, .sendLocalListAuthorizationStatus:
                return allow(0...(AuthorizationResultCode.statuses.count - 1))
            case .resetFlag: return allow(0...2)
            case .sendLocalListOperation: return allow(1...3)
            case .triggerMessageRequestedMessage: return allow(0...(OperationResultCode.triggerMessages.count - 1))
            case .reserveNowConnectorId, .remoteStartConnectorId, .triggerMessageConnectorId: return allow(0...connectors)
            case .clearChargingProfileConnectorId: return allow(0...connectors, orNotSet: true)
            case .clearChargingProfilePurpose: return allow(0...(OperationResultCode.chargingProfilePurposes.count - 1), orNotSet: true)
            default:
                if c.isBoolean { return allow(0...1) }
                return nil
            }
        }
    }

    /// Runs the handshake step a write starts.
    private mutating func trigger(_ s: SignalAddress, _ v: Int, now: Date) throws(ModbusRefusal) -> [GatewayAction] {
        switch s {
        case .system(.heartbeat):
            image.set(s, v)
            if v == 1 { lastBMSHeartbeat = now; heartbeatRaisedAt = now }
            return []
        case .system(let t):
            return try writeTime(t, v, now: now)
        case .charger(let slot, let c):
            guard let id = settings.charger(slot: slot)?.id else { return [] }
            // Raising a Flag or Processed completes the values of its operation that the BMS is writing register by
            // register (seeds/003 §2.3.1.7); values of other operations go on waiting for their own.
            if v != 0 { try completePartialValues(slot: slot, block: c.blockOffsets) }
            if let block = IncomingBlock(processed: c) {
                if v == 0 { image.set(s, 0); return [] }
                return try processed(id, block, now: now)
            }
            guard let kind = Self.operationKind(c) else { return [] }
            if v == 0 {
                guard image.integer(s) == 0 else { throw ModbusRefusal(.illegalDataValue, "\(c.spec.name): the operation is still running") }
                return []
            }
            return try request(id, kind, flagValue: v, now: now)
        case .connector(let slot, let yy, let c):
            guard let id = settings.charger(slot: slot)?.id else { return [] }
            if c == .unlockConnector {
                if v == 0 {
                    guard image.integer(s) == 0 else { throw ModbusRefusal(.illegalDataValue, "Unlock Connector is still running") }
                    return []
                }
                return try request(id, .unlock(connector: yy), flagValue: 1, now: now)
            }
            return try request(id, .availability(connector: yy, previous: image.integer(s)), flagValue: v, now: now)
        }
    }
}

/// One Modbus request of the BMS answered, over TCP or RTU alike.
public struct ModbusAnswer: Sendable, Equatable {
    public var response: ModbusResponse
    /// Why the request was answered with an exception (for the log and the diagnostics page); nil when it was not.
    public var refusal: ModbusRefusal?
    /// What an accepted write set off, to be executed before the response is sent.
    public var actions: [GatewayAction]
}

extension CentralSystem {
    /// Answers one Modbus request from the register image: reads with function 1–4, writes with 5, 6, 15 and 16; a
    /// refusal is answered with its exception code. A unit id other than the gateway's is answered with exception 0x0B;
    /// unit id 0 is the serial line's broadcast (and "this device" for many TCP clients) and so is a gateway with
    /// unit id 0, which answers any.
    public mutating func modbus(_ request: ModbusRequest, unitID: UInt8, now: Date) -> ModbusAnswer {
        switch answer(request, unitID: unitID, now: now) {
        case .success(let (response, actions)): ModbusAnswer(response: response, refusal: nil, actions: actions)
        case .failure(let r): ModbusAnswer(response: .exception(function: request.function.rawValue, r.code), refusal: r, actions: [])
        }
    }

    private mutating func answer(_ request: ModbusRequest, unitID: UInt8, now: Date) -> Result<(ModbusResponse, [GatewayAction]), ModbusRefusal> {
        let unit = settings.modbusUnitID
        guard unit == 0 || unitID == 0 || Int(unitID) == unit else {
            return .failure(ModbusRefusal(.gatewayTargetDeviceFailedToRespond, "unit id \(unitID) is not the gateway's (\(unit))"))
        }
        switch request {
        case .readHoldingRegisters(let a, let q), .readInputRegisters(let a, let q):
            return modbusRead(address: Int(a), quantity: Int(q), now: now).map { (.registers(request.function, $0), []) }
        case .readCoils(let a, let q), .readDiscreteInputs(let a, let q):
            return modbusReadBits(address: Int(a), quantity: Int(q)).map { (.bits(request.function, $0), []) }
        case .writeSingleRegister(let a, let v):
            return modbusWrite(address: Int(a), values: [v], now: now).map { (.writeSingleRegister(address: a, value: v), $0) }
        case .writeMultipleRegisters(let a, let values):
            return modbusWrite(address: Int(a), values: values, now: now)
                .map { (.writeMultiple(.writeMultipleRegisters, address: a, quantity: UInt16(values.count)), $0) }
        case .writeSingleCoil(let a, let v):
            return modbusWriteBits(address: Int(a), values: [v], now: now).map { (.writeSingleCoil(address: a, value: v), $0) }
        case .writeMultipleCoils(let a, let values):
            return modbusWriteBits(address: Int(a), values: values, now: now)
                .map { (.writeMultiple(.writeMultipleCoils, address: a, quantity: UInt16(values.count)), $0) }
        }
    }
}
