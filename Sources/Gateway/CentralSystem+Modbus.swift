#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP
import OCPP16

/// The BMS side: Modbus reads and writes of the register map (seeds/003 Appendix 2).
///
/// Exceptions: 02 for addresses outside the map or registers the BMS may not write (the seed's R signals), whole or
/// any register of them — ILLEGAL DATA ADDRESS, "not an allowable address for the server" (Modbus Application Protocol
/// Specification V1.1b3 §7), as the station answers; 03 for values outside what the signal allows, writable strings
/// or numbers written only in part, or a handshake step out of order;
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
            let time = timeRegisters(gatewayTime(now))
            for s in SystemSignal.allCases where s != .heartbeat && range.contains(s.rawValue) { out[s.rawValue - address] = UInt16(time[s]!) }
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
        var writes: [(SignalAddress, [UInt16])] = []
        for (i, bit) in values.enumerated() {
            guard let s = layout.booleanSignal(at: address + i) else {
                return .failure(ModbusRefusal(.illegalDataAddress, "register \(address + i) is not a 0/1 signal"))
            }
            writes.append((s, [bit ? 1 : 0]))
        }
        return apply(writes, now: now)
    }

    /// Function 6/16: registers of the map.
    public mutating func modbusWrite(address: Int, values: [UInt16], now: Date) -> Result<[GatewayAction], ModbusRefusal> {
        if settings.mode == .external { return .failure(Self.externalRefusal) }
        switch layout.map.writes(address: UInt16(address), values: values) {
        case .failure(let code):
            let why = code == .illegalDataValue ? "the write covers only part of a multi-register value" : "register \(address) is not in the map"
            return .failure(ModbusRefusal(code, why))
        case .success(let pieces):
            var writes: [(SignalAddress, [UInt16])] = []
            for (d, regs) in pieces {
                guard let s = layout.signal(at: Int(d.address)) else { return .failure(ModbusRefusal(.illegalDataAddress, "register \(d.address) is not in the map")) }
                writes.append((s, regs))
            }
            return apply(writes, now: now)
        }
    }

    static var externalRefusal: ModbusRefusal {
        ModbusRefusal(.illegalFunction, "writes are refused in External mode: the external central system operates the chargers")
    }

    /// Validates every piece, stores the parameters, then runs the handshakes in address order; all or nothing.
    private mutating func apply(_ writes: [(SignalAddress, [UInt16])], now: Date) -> Result<[GatewayAction], ModbusRefusal> {
        var next = self
        var triggers: [(SignalAddress, Int)] = []
        for (s, regs) in writes {
            guard s.spec.access.writable else {
                return .failure(ModbusRefusal(.illegalDataAddress, "\(s.spec.name) (\(s.address)) is read-only"))
            }
            if let problem = problem(s, regs) {
                return .failure(ModbusRefusal(.illegalDataValue, "\(s.spec.name) (\(s.address)): \(problem)"))
            }
            if isTrigger(s) { triggers.append((s, Int(regs[0]))) } else { next.image.store(s.address, regs) }
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
    private func problem(_ s: SignalAddress, _ regs: [UInt16]) -> String? {
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

    /// Registers 1…6: the date takes effect once all six were written with at most 15 s between the writes; a
    /// partial date is discarded (seeds/003 §2.3.1.1). An impossible date (31 April) is refused with exception 03.
    private mutating func writeTime(_ t: SystemSignal, _ v: Int, now: Date) throws(ModbusRefusal) -> [GatewayAction] {
        if let last = timeWrites.values.map(\.at).max(), now.timeIntervalSince(last) > Self.timeWriteWindowSeconds { timeWrites = [:] }
        timeWrites[t] = (v, now)
        let parts = SystemSignal.allCases.dropFirst().compactMap { timeWrites[$0]?.value }
        guard parts.count == 6 else { return [] }
        let (second, minute, hour, day, month, year) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        guard day <= OCPPDate.daysIn(month: month, year: year) else {
            timeWrites = [:]
            throw ModbusRefusal(.illegalDataValue, "\(year)-\(month)-\(day) (year-month-day) is not a date")
        }
        let seconds = OCPPDate.days(fromCivil: year, month, day) * 86400 + hour * 3600 + minute * 60 + second
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        timeWrites = [:]
        clockOffsetSeconds = date.timeIntervalSince(now)
        return [.clockOffsetChanged(seconds: clockOffsetSeconds),
                .log(.init(.info, nil, "BMS set the date and time to \(OCPPDate.format(date)) (UTC)"))]
    }

    /// The gateway clock as register values (UTC).
    func timeRegisters(_ date: Date) -> [SystemSignal: Int] {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondOfDay = total - days * 86400
        let civil = OCPPDate.civil(fromDays: days)
        return [.second: secondOfDay % 60, .minute: secondOfDay / 60 % 60, .hour: secondOfDay / 3600, .day: civil.day,
                .month: civil.month, .year: civil.year]
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
