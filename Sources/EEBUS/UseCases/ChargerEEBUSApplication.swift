#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// The charger's EEBUS application: the server side of LPC (Controllable System), EVSECC, EVCC, EVCEM, OPEV and
/// OSCEV, served by the SPINE engine (``SPINEApplication``). Pure: station values come in through
/// ``update(connectors:now:)``, time through `now` and ``tick(now:)``; what the energy managers ask for comes out as
/// ``output`` (for the limit chain) and ``status(now:)`` (for the web page and the API).
///
/// Write approval (LPC's "write approval" of EEBUS UC TS LimitationOfPowerConsumption V1.0.0 scenario 1): the engine
/// passes only writes from clients bound to the feature (SPINE TS 1.3.0 §7.4.2), and pairing (SHIP trust) decides
/// who may connect at all; so any bound client is accepted as the energy guard, and the last writer of LPC data is
/// the one whose heartbeat is monitored.
public struct ChargerEEBUSApplication: SPINEApplication {
    public let deviceAddress: String
    public let deviceType = "ChargingStation"
    public private(set) var station: EEBUSStationInfo
    public private(set) var settings: EEBUSSettings
    /// The connectors by number, in order.
    public private(set) var connectors: [EEBUSConnectorStatus]
    public private(set) var lpc: LPCControllableSystem
    /// The OPEV/OSCEV limits of the vehicle at each connector, by connector and limitId.
    public private(set) var vehicleLimits: [Int: [Int: LoadControlLimitEntry]] = [:]
    /// The station's heartbeat (LPC scenario 3: the Controllable System sends one too).
    public private(set) var heartbeatCounter: UInt64 = 0
    public private(set) var heartbeatTime: Date
    /// The remote devices connected now, by SKI, with their device type.
    public private(set) var remotes: [String: String] = [:]

    /// How often ``tick(now:)`` counts the heartbeat on: LPC wants one at least every 60 s; every 2 s, with a
    /// heartbeat timeout of 4 s, as eebus-go's devices send theirs (an energy guard with a short timeout is served).
    public static let heartbeatIntervalSeconds: Double = 2
    public static let heartbeatTimeoutSeconds: Double = 4
    /// The nominal voltage that turns current into power in EVCC's power limits (IEC 60038: 230 V).
    public static let nominalVoltageV: Double = 230

    /// `connectors`: the connectors' first status (none until ``update(connectors:now:)`` gives it); `stored`: the
    /// failsafe values the energy guard wrote before the last stop (``lpc``'s ``LPCControllableSystem/storedValues``;
    /// out-of-range values are ignored).
    public init(deviceAddress: String, station: EEBUSStationInfo, settings: EEBUSSettings = EEBUSSettings(),
                connectors: [EEBUSConnectorStatus] = [], stored: LPCControllableSystem.StoredValues = .init(), now: Date) {
        self.deviceAddress = deviceAddress
        self.station = station
        self.settings = settings
        self.connectors = connectors.sorted { $0.connector < $1.connector }
        lpc = LPCControllableSystem(now: now, stored: stored)
        heartbeatTime = now
    }

    // MARK: Inputs

    /// New station values. A vehicle that left takes its OPEV/OSCEV limits with it (EVCC scenario 8: the EV
    /// entity is removed); the next one starts without any.
    public mutating func update(connectors new: [EEBUSConnectorStatus], now: Date) {
        let sorted = new.sorted { $0.connector < $1.connector }
        for status in sorted where !status.pluggedIn { vehicleLimits[status.connector] = nil }
        connectors = sorted
        tickLimits(now: now)
    }

    public mutating func update(settings new: EEBUSSettings, now: Date) {
        settings = new
        lpc.evaluate(now: now, timeoutSeconds: settings.connectionTimeoutSeconds)
    }

    public mutating func update(station new: EEBUSStationInfo) { station = new }

    /// Time passes: the own heartbeat counts on every ``heartbeatIntervalSeconds`` (the engine's refresh notifies
    /// it to the subscribers), limits end, the LPC machine moves on. Call it every second.
    public mutating func tick(now: Date) {
        if now.timeIntervalSince(heartbeatTime) >= Self.heartbeatIntervalSeconds || heartbeatCounter == 0 {
            heartbeatCounter &+= 1
            heartbeatTime = now
        }
        tickLimits(now: now)
    }

    private mutating func tickLimits(now: Date) {
        lpc.evaluate(now: now, timeoutSeconds: settings.connectionTimeoutSeconds)
        for (connector, limits) in vehicleLimits {
            var changed = limits
            for id in limits.keys { _ = changed[id]?.expire(now: now) }
            vehicleLimits[connector] = changed
        }
    }

    // MARK: SPINEApplication

    /// The station has the connector whose EVSE entity carries LPC.
    var hasLPCEntity: Bool { connectors.contains { [$0.connector] == ChargerEEBUSModel.lpcEntity } }

    /// Entity [0] with the station's DeviceClassification (the engine adds NodeManagement), then per connector its
    /// EVSE and, while a vehicle is plugged in, its EV.
    public var entities: [SPINEEntityDescription] {
        [SPINEEntityDescription(address: [0], type: "DeviceInformation", features: ChargerEEBUSModel.deviceInformationFeatures)]
            + connectors.flatMap { status in
            [ChargerEEBUSModel.evseEntity(connector: status.connector)]
                + (status.pluggedIn ? [ChargerEEBUSModel.evEntity(connector: status.connector)] : [])
        }
    }

    public var useCases: [SPINEUseCaseDescription] {
        (hasLPCEntity ? [ChargerEEBUSModel.lpcUseCase] : [])
            + connectors.flatMap { ChargerEEBUSModel.useCases(connector: $0.connector, vehiclePresent: $0.pluggedIn) }
    }

    public func data(_ function: SPINEFunction, of feature: SPINEFeatureAddress) -> JSONValue? {
        ChargerEEBUSData(application: self).data(function, of: feature)
    }

    public mutating func write(_ request: SPINEWriteRequest, now: Date) -> SPINEWriteOutcome {
        tickLimits(now: now)
        let entity = request.feature.entity
        let feature = request.feature.feature
        do throws(SPINEValueCoding.Refusal) {
            if entity == ChargerEEBUSModel.lpcEntity, hasLPCEntity {
                if feature == ChargerEEBUSModel.Feature.lpcLoadControl, request.function == "loadControlLimitListData" {
                    try writeLPCLimit(request, now: now)
                    return .accepted
                }
                if feature == ChargerEEBUSModel.Feature.lpcDeviceConfiguration, request.function == "deviceConfigurationKeyValueListData" {
                    try writeFailsafeValues(request, now: now)
                    return .accepted
                }
            }
            if entity.count == 2, entity[1] == 1, feature == ChargerEEBUSModel.Feature.evLoadControl,
               request.function == "loadControlLimitListData",
               let status = connectors.first(where: { $0.connector == entity[0] }), status.pluggedIn {
                let rules = Self.vehicleLimitRules(status)
                let limits = vehicleLimits[status.connector] ?? [:]
                vehicleLimits[status.connector] = try applyLimitWrite(request, to: limits, rules: rules, now: now)
                return .accepted
            }
        } catch {
            return .refused(errorNumber: 7, description: error.description)
        }
        return .refused(errorNumber: 6, description: "\(request.function) cannot be written at entity \(entity), feature \(feature)")
    }

    public mutating func received(_ received: SPINEReceivedData, now: Date) {
        // The energy guard's heartbeat (LPC scenario 3), a notify of its DeviceDiagnosis server or the reply to
        // the engine's first read. Data that is not a heartbeat object is no sign of life.
        guard received.localFeature.entity == ChargerEEBUSModel.lpcEntity,
              received.localFeature.feature == ChargerEEBUSModel.Feature.lpcHeartbeatClient,
              received.function == "deviceDiagnosisHeartbeatData",
              received.classifier == .notify || received.classifier == .reply,
              case .object(let heartbeat) = received.data, case .integer? = heartbeat["heartbeatCounter"] else { return }
        lpc.heartbeat(from: received.from.ski, now: now, timeoutSeconds: settings.connectionTimeoutSeconds)
    }

    public mutating func remoteChanged(ski: String, deviceType: String?, now: Date) {
        remotes[ski] = deviceType
        // A connection loss is not yet a missing heartbeat: the failsafe follows once "Zeit bis Verbindungsausfall"
        // has passed since the last one (tick).
        lpc.evaluate(now: now, timeoutSeconds: settings.connectionTimeoutSeconds)
    }

    // MARK: LPC writes

    /// The LPC limit (limitId 0): active power, W, at least 0 (LPC 1.0.0: a consumption limit is not negative).
    static let lpcLimitId = 0
    static let lpcRules = [lpcLimitId: LoadControlLimitRule(name: "active power consumption limit", unit: "W", range: 0...1e9)]

    private mutating func writeLPCLimit(_ request: SPINEWriteRequest, now: Date) throws(SPINEValueCoding.Refusal) {
        let current = LoadControlLimitEntry(isActive: lpc.limit.isActive, value: lpc.limit.valueW, endTime: lpc.limit.endTime)
        let written = try applyLimitWrite(request, to: [Self.lpcLimitId: current], rules: Self.lpcRules, now: now)
        let entry = written[Self.lpcLimitId] ?? LoadControlLimitEntry()
        lpc.limitWritten(.init(isActive: entry.isActive, valueW: entry.value ?? 0, endTime: entry.endTime),
                         by: request.from.ski, now: now, timeoutSeconds: settings.connectionTimeoutSeconds)
    }

    /// The failsafe values (LPC scenario 2): keyId 0 failsafeConsumptionActivePowerLimit (scaled number, W, ≥ 0),
    /// keyId 1 failsafeDurationMinimum (duration, 2 h … 24 h). Partial writes merge by keyId; a full write
    /// replaces the listed values (the list itself is fixed). `isValueChangeable` is the server's.
    private mutating func writeFailsafeValues(_ request: SPINEWriteRequest, now: Date) throws(SPINEValueCoding.Refusal) {
        let filters = try UseCaseWriteFilters(request.filters, selectorsKey: "deviceConfigurationKeyValueListDataSelectors",
                                            elementsKey: "deviceConfigurationKeyValueDataElements")
        guard filters.deletes.isEmpty else {
            throw SPINEValueCoding.Refusal("the failsafe values cannot be deleted, only overwritten")
        }
        let items = try SPINEValueCoding.list(request.data, function: request.function, listKey: "deviceConfigurationKeyValueData")
        var limitW: Double?
        var durationSeconds: Double?
        for (i, item) in items.enumerated() {
            let field = "deviceConfigurationKeyValueData[\(i)]"
            let keyId = try SPINEValueCoding.integer(item["keyId"], field: "\(field).keyId")
            guard keyId == 0 || keyId == 1 else { throw SPINEValueCoding.Refusal("\(field).keyId \(keyId) is unknown (known: 0, 1)") }
            for key in item.keys where !["keyId", "value", "isValueChangeable"].contains(key) {
                throw SPINEValueCoding.Refusal("\(field).\(key) is not a member of deviceConfigurationKeyValueData (allowed: keyId, value, isValueChangeable)")
            }
            if item["isValueChangeable"] != nil { _ = try SPINEValueCoding.bool(item["isValueChangeable"], field: "\(field).isValueChangeable") }
            guard item["value"] != nil else {
                if filters.partial { continue }
                throw SPINEValueCoding.Refusal("\(field).value is required (keyId \(keyId))")
            }
            let value = try SPINEValueCoding.object(item["value"], field: "\(field).value")
            if keyId == 0 {
                guard value.keys == ["scaledNumber"] else {
                    throw SPINEValueCoding.Refusal("\(field).value must hold a scaledNumber (keyId 0, failsafeConsumptionActivePowerLimit in W)")
                }
                let watts = try SPINEValueCoding.scaledNumber(value["scaledNumber"], field: "\(field).value.scaledNumber")
                guard watts >= 0, watts <= 1e9 else {
                    throw SPINEValueCoding.Refusal("\(field).value.scaledNumber \(SPINEValueCoding.text(watts)) W is outside 0…1000000000 W (failsafeConsumptionActivePowerLimit)")
                }
                limitW = watts
            } else {
                guard value.keys == ["duration"], case .string(let text)? = value["duration"] else {
                    throw SPINEValueCoding.Refusal("\(field).value must hold a duration text (keyId 1, failsafeDurationMinimum)")
                }
                let seconds = try SPINEValueCoding.duration(text, field: "\(field).value.duration")
                guard LPCControllableSystem.failsafeDurationRangeSeconds.contains(seconds) else {
                    throw SPINEValueCoding.Refusal("\(field).value.duration \(text) is outside PT2H…PT24H (failsafeDurationMinimum)")
                }
                durationSeconds = seconds
            }
        }
        lpc.failsafeWritten(limitW: limitW, durationMinimumSeconds: durationSeconds, by: request.from.ski, now: now,
                            timeoutSeconds: settings.connectionTimeoutSeconds)
    }

    // MARK: OPEV and OSCEV

    /// OPEV's limit ids are 1, 2, 3 (phases a, b, c), OSCEV's 4, 5, 6; each refers to the current measurement of
    /// its phase (measurementId 1, 2, 3).
    static func limitId(_ phase: EEBUSPhase, recommendation: Bool) -> Int { phase.index + (recommendation ? 4 : 1) }

    /// The limits of the connected phases: values from 0 A to the connector's maximum (a value below the minimum
    /// current pauses the charge, as IEC 61851 has no lower current).
    static func vehicleLimitRules(_ status: EEBUSConnectorStatus) -> [Int: LoadControlLimitRule] {
        var rules: [Int: LoadControlLimitRule] = [:]
        for phase in status.connectedPhases {
            rules[limitId(phase, recommendation: false)] = LoadControlLimitRule(
                name: "overload protection obligation of phase \(phase.rawValue)", unit: "A", range: 0...status.maximumCurrentA)
            rules[limitId(phase, recommendation: true)] = LoadControlLimitRule(
                name: "self-consumption recommendation of phase \(phase.rawValue)", unit: "A", range: 0...status.maximumCurrentA)
        }
        return rules
    }

    // MARK: Outputs

    /// What the limit chain applies: the station-wide LPC limit and each connector's OPEV/OSCEV currents.
    public var output: EEBUSChargerOutput {
        EEBUSChargerOutput(stationLimit: stationLimit, connectors: connectors.map(connectorLimits))
    }

    var stationLimit: EEBUSStationLimit? {
        switch lpc.state {
        case .limited:
            return EEBUSStationLimit(reason: .activePowerLimit, powerW: lpc.limit.valueW, endTime: lpc.limit.endTime)
        case .failsafe:
            if let watts = lpc.failsafeLimitW { return EEBUSStationLimit(reason: .failsafePowerLimit, powerW: watts) }
            return EEBUSStationLimit(reason: .fallbackCurrent, currentPerConnectorA: settings.fallbackCurrentA)
        case .initial, .unlimitedControlled, .unlimitedAutonomous:
            return nil
        }
    }

    func connectorLimits(_ status: EEBUSConnectorStatus) -> EEBUSConnectorLimits {
        var obligation = EEBUSPhaseCurrents()
        var recommendation = EEBUSPhaseCurrents()
        if status.pluggedIn, let limits = vehicleLimits[status.connector] {
            for phase in status.connectedPhases {
                if let o = limits[Self.limitId(phase, recommendation: false)], o.isActive { obligation[phase] = o.value }
                if let r = limits[Self.limitId(phase, recommendation: true)], r.isActive { recommendation[phase] = r.value }
            }
        }
        return EEBUSConnectorLimits(connector: status.connector, obligationA: obligation, recommendationA: recommendation)
    }

    /// The state for the web page and the API.
    public func status(now: Date) -> EEBUSStatus {
        EEBUSStatus(
            lpcState: lpc.state, lpcStateSince: lpc.stateSince, limit: lpc.limit, failsafeLimitW: lpc.failsafeLimitW,
            failsafeDurationMinimumSeconds: lpc.failsafeDurationMinimumSeconds, fallbackCurrentA: settings.fallbackCurrentA,
            connectionTimeoutSeconds: settings.connectionTimeoutSeconds, energyGuard: lpc.energyGuard,
            heartbeatAgeSeconds: lpc.lastGuardHeartbeat.map { now.timeIntervalSince($0) }, stationLimit: stationLimit,
            heartbeatCounter: heartbeatCounter, remotes: remotes,
            connectors: connectors.map { status in
                let limits = vehicleLimits[status.connector] ?? [:]
                let written = status.connectedPhases.flatMap { phase in
                    [false, true].compactMap { recommendation -> EEBUSWrittenLimit? in
                        let id = Self.limitId(phase, recommendation: recommendation)
                        guard let entry = limits[id] else { return nil }
                        return EEBUSWrittenLimit(limitId: id, phase: phase, category: recommendation ? "recommendation" : "obligation",
                                                 isActive: entry.isActive, valueA: entry.value, endTime: entry.endTime)
                    }
                }
                return EEBUSStatus.Connector(connector: status.connector, vehiclePresent: status.pluggedIn,
                                             limits: connectorLimits(status), written: written)
            })
    }
}
