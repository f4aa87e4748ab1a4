#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import ModbusTCP
import OCPP16
import SEMP
import StationModbus

/// Meter readings, the Modbus register set (seeds/000 MODBUS-REGISTERSATZ), availability, persistence and the
/// status snapshot.
extension StationController {
    // MARK: Meters

    /// The result of one poll of a Modbus meter (`reading`, or nil and the error). A failure counts; after "Failed polls
    /// before a meter error" in a row the meter is not communicating; the next good poll clears it. A grid meter's
    /// reading makes the DLM master reallocate at once (its grants go out now, not with the next poll).
    public mutating func meterPolled(_ target: MeterTarget, _ reading: MeterReading?, error: String? = nil, now: Date) {
        let limit = settings.meterFailedPolls
        let failures = reading == nil ? (meterFailures[target] ?? 0) + 1 : 0
        if reading != nil, (meterFailures[target] ?? 0) >= limit { notice(.meterCommunication("\(target) communicating again", communicating: true)) }
        meterFailures[target] = failures
        if failures == limit {
            notice(.meterCommunication("\(target) not communicating after \(failures) failed polls: \(error ?? "no reading")", communicating: false))
        }
        guard reading != nil || failures >= limit else { return }
        switch target {
        case .grid:
            gridMeterUpdate(reading, communicating: reading != nil, now: now)
            dlmInputChanged(now: now)
        case .connector(let n):
            chargeMeterUpdate(connector: n, reading, communicating: reading != nil)
        }
    }

    /// A poll of the grid meter: a reading, or a failure after the configured number of failed polls.
    /// Raises or resolves "External meter not communicating" (seeds/004 §9; charging continues).
    public mutating func gridMeterUpdate(_ reading: MeterReading?, communicating: Bool, now: Date) {
        let model = settings.gridMeter?.model
        gridMeter = GridMeterState(model: model, communicating: communicating, reading: reading ?? gridMeter?.reading, updatedAt: now)
        setError("externalMeterNotCommunicating", connector: 0, active: !communicating, now: now)
    }

    /// A poll of connector `n`'s Modbus charge meter. A failure marks the meter as not communicating, which
    /// raises "OCPP meter not communicating" and stops charging (seeds/004 §9).
    public mutating func chargeMeterUpdate(connector n: Int, _ reading: MeterReading?, communicating: Bool) {
        guard connectors.indices.contains(n - 1) else { return }
        if var r = reading ?? connectors[n - 1].chargeMeter {
            r.communicating = communicating
            connectors[n - 1].chargeMeter = r
        } else {
            connectors[n - 1].chargeMeter = MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: communicating)
        }
    }

    // MARK: Modbus (seeds/000 MODBUS-REGISTERSATZ)

    /// Any Modbus request arrived on connector `n`'s port (feeds the communication watchdog).
    public mutating func modbusRequest(connector n: Int, now: Date) { modbus.requested(connector: n, now: now) }

    /// What a Modbus request on connector `n`'s port needs: its answer, and the parameters a write stores first (through
    /// the registry, with their audit trail; the answer holds only if they are stored). The OMCCI set has holding
    /// registers only: any other function is answered 01.
    public mutating func modbus(_ request: ModbusRequest, connector n: Int, now: Date)
        -> (parameters: [(key: String, value: ParameterValue)], answer: ModbusResponse) {
        modbusRequest(connector: n, now: now)
        let written: Result<[(key: String, value: ParameterValue)], ExceptionCode>
        let ok: ModbusResponse
        switch request {
        case .readHoldingRegisters(let address, let quantity):
            return ([], OMCCI.readAnswer(address: address, quantity: quantity, omcciState(connector: n, now: now)))
        case .writeSingleRegister(let address, let value):
            written = modbusWrite(address: address, values: [value], connector: n, now: now)
            ok = .writeSingleRegister(address: address, value: value)
        case .writeMultipleRegisters(let address, let values):
            written = modbusWrite(address: address, values: values, connector: n, now: now)
            ok = .writeMultiple(.writeMultipleRegisters, address: address, quantity: UInt16(values.count))
        case .readCoils, .readDiscreteInputs, .readInputRegisters, .writeSingleCoil, .writeMultipleCoils:
            return ([], .exception(function: request.function.rawValue, .illegalFunction))
        }
        switch written {
        case .success(let parameters): return (parameters, ok)
        case .failure(let code): return ([], .exception(function: request.function.rawValue, code))
        }
    }

    /// A Modbus write request on connector `n`'s port, validated completely before anything changes (see
    /// ``ModbusControl/write(address:values:connector:_:now:)``). The station's own changes happen here; the parameter
    /// changes are returned for the registry, which stores them with their audit trail.
    private mutating func modbusWrite(address: UInt16, values: [UInt16], connector n: Int,
                                     now: Date) -> Result<[(key: String, value: ParameterValue)], ExceptionCode> {
        let actions: [ModbusControl.Action]
        switch modbus.write(address: address, values: values, connector: n, settings, now: now) {
        case .failure(let code): return .failure(code)
        case .success(let a): actions = a
        }
        var parameters: [(key: String, value: ParameterValue)] = []
        for action in actions {
            switch action {
            case .setParameter(let key, let value): parameters.append((key, value))
            case .setOperative(let n, let on): setOperative(connector: n, on, now: now)
            case .present(let id, let n): present(PresentedIdentifier(idTag: id, kind: .rfid, secure: true), method: .modbus, now: now, connector: n)
            case .limitChanged: applyLimits(now: now)
            }
        }
        return .success(parameters)
    }

    /// Makes connector `n` operative or inoperative (a running transaction finishes first).
    public mutating func setOperative(connector n: Int, _ on: Bool, now: Date) {
        guard connectors.indices.contains(n - 1), connectors[n - 1].machine.isOperative != on else { return }
        run(n, connectors[n - 1].machine.handle(.setOperative(on)))
        log(now, .parameterChanged, n, "Connector \(n) made \(on ? "operative" : "inoperative")")
    }

    /// What the OMCCI registers of connector `n` show.
    public func omcciState(connector n: Int, now: Date) -> OMCCIState {
        let c = connectors[n - 1]
        let cs = settings.connectors[n - 1]
        let session = c.session.activeSession
        var state = OMCCIState(
            status: c.machine.status, activeErrorIDs: errors.errors.filter { $0.connector == n || $0.connector == 0 }.map(\.id),
            pilot: c.reading.pilot, operative: c.machine.isOperative, safeCurrentAmps: settings.modbus.safeCurrentAmps,
            commTimeoutSeconds: settings.modbus.commTimeoutSeconds, hardwareLimitAmps: cs.hardwareMaxCurrentAmps,
            operatorLimitAmps: cs.operatorCurrentLimitAmps, residualCurrent: c.reading.residualCurrent, relays: c.reading.relayFeedback,
            lockDetected: c.reading.lockDetected, meter: c.reading.meter, signaledCurrentAmps: c.machine.pilotSignal.signaledAmps,
            minimumCurrentAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps), sessionStart: session?.startedAt,
            sessionEnergyWh: session.map { max(0, c.reading.meter.energyWh - $0.meterStartWh) } ?? 0,
            sessionDurationSeconds: session.map { max(0, now.timeIntervalSince($0.startedAt)) } ?? 0,
            sessionIdTag: session?.idTag, lastSessionEnd: c.lastSessionEnd, evccid: c.reading.evccid, vehicle: c.reading.vehicle,
            hemsLimitAmps: modbus.hemsLimitAmps(connector: n), allowUIDDisclose: settings.modbus.allowUIDDisclose, model: "ChargeKit CK-\(connectors.count)",
            dlm: settings.dlm.mode == .off && settings.gridMeter == nil ? nil : dlmRegisters(now: now))
        state.chargeModeCode = ChargeMode.modbusOrder.firstIndex(of: cs.chargeMode) ?? 0
        return state
    }

    // MARK: Persistence

    mutating func persistIfDue(now: Date) {
        guard persistPending || now.timeIntervalSince(lastPersistAt) >= persistInterval.seconds else { return }
        persistNow(now: now)
    }

    /// Persists meter samples of running sessions and the hardware state at once (an effect: the board's state is the
    /// runtime's to read; a failed write is the runtime's to log, and the next sample follows at ``persistInterval``).
    public mutating func persistNow(now: Date) {
        let samples = connectors.indices.compactMap { i -> MeterSample? in
            guard let s = connectors[i].session.activeSession else { return nil }
            let m = connectors[i].reading.meter
            return MeterSample(connector: i + 1, sessionID: s.id, at: now, energyWh: m.energyWh, powerW: m.totalPowerW,
                               currentA: m.currentA, voltageV: m.voltageV, solarShare: solarShare(connector: i + 1, session: s.id))
        }
        effects.append(.recordSamples(samples))
        lastPersistAt = now
        persistPending = false
        applyRetention(now: now)
    }

    /// Persists everything before the process exits (sessions stay open and are recovered on start).
    public mutating func shutdown(now: Date) {
        persistNow(now: now)
        log(now, .stationStopped, 0, "Station stopped")
    }

    /// Records an event of the station as a whole (connector 0) in the event log.
    public mutating func record(_ kind: EventKind, _ message: String, now: Date) { log(now, kind, 0, message) }

    mutating func log(_ at: Date, _ kind: EventKind, _ connector: Int, _ message: String, code: String? = nil) {
        let entry = EventLogEntry(at: at, kind: kind, connector: connector, code: code, message: message)
        do { try store.append(entry) } catch { notice(.storeFailed(what: "append", error: "\(error)")) }
        notice(.logged(entry))
    }

    // MARK: Status

    /// The state of the station for the status API.
    public func snapshot(now: Date) -> StationSnapshot {
        StationSnapshot(
            chargeBoxIdentity: settings.chargeBoxIdentity, serialNumber: settings.serialNumber, time: now,
            startedAt: startedAt,
            activeErrors: errors.errors.map(ActiveErrorView.init),
            inputs: Dictionary(uniqueKeysWithValues: DigitalInput.allCases.map { ($0.rawValue, board.input($0)) }),
            gridMeter: gridMeter.map { var g = $0; g.availableAmps = houseConnectionAvailableAmps; return g },
            dlm: dlmStatus(now: now),
            connectors: connectors.indices.map { i in
                let c = connectors[i]
                let r = c.reading
                var auth: AuthorizationView?
                if case .awaitingVehicle(let a, let deadline) = c.session.state {
                    auth = AuthorizationView(idTag: a.idTag, method: a.method, expiresAt: deadline)
                }
                return ConnectorSnapshot(
                    id: i + 1, status: c.machine.status, pilotState: r.pilot, pilotSignal: PilotSignalView(c.machine.pilotSignal),
                    relays: c.machine.relays, relayFeedback: r.relayFeedback, lockCommanded: c.machine.lockCommanded,
                    lockDetected: r.lockDetected, currentLimit: c.limit, meter: r.meter, residualCurrent: r.residualCurrent,
                    evccid: r.evccid, awaitingVehicle: auth,
                    session: c.session.activeSession.map { s in
                        ActiveSessionView(id: s.id, idTag: s.idTag, method: s.method, source: s.source,
                                          presentedIdTag: s.presentedIdTag == s.idTag ? nil : s.presentedIdTag,
                                          provisional: s.provisional, startedAt: s.startedAt,
                                          meterStartWh: s.meterStartWh, energyWh: max(0, r.meter.energyWh - s.meterStartWh),
                                          durationSeconds: max(0, now.timeIntervalSince(s.startedAt)))
                    },
                    pvSurplus: surplusDecisions[i + 1], semp: sempDecisions[i + 1],
                    eebus: eebusLimits[i + 1].map { EEBUSLimitView(gridPhaseAmps: $0.gridPhaseAmps, reason: $0.reason) }, phaseSwitch: phaseSwitchView(i + 1, now: now),
                    meterPublicKey: r.signingMeter?.publicKeyHex, leds: c.leds)
            })
    }
}
