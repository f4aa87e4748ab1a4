#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// "SMA Lademodus" (seeds/000 "SMA-Schnittstelle (Sunny Home Manager)"): how a connector's sessions are offered to the
/// Sunny Home Manager. SEMP lets a device state two kinds of need in a `PlanningRequest` timeframe (schema 1.3.0
/// `TimeframeType`): optional energy (`MinEnergy` 0 — the manager may deliver it when it is cheap, i.e. from surplus)
/// and required energy (`MinEnergy` = `MaxEnergy`). The two modes are exactly those two; a third "required by a
/// deadline" mode would need a departure time, which none of the seed's parameters provides.
public enum SEMPChargeMode: String, Sendable, Codable, CaseIterable {
    /// "Überschussladen": the manager switches the session on and off and sets its power from the PV surplus
    /// (`EMSignalsAccepted` true, the session's energy optional).
    case surplus = "Surplus"
    /// "Schnellladen": the session charges at once as the rest of the limit chain allows; the manager is told the
    /// energy is required now and sees the power, but its control is not followed (`EMSignalsAccepted` false).
    case fast = "Fast"
}

/// The SMA interface's settings (menu Load Management, section "SMA interface (Sunny Home Manager)").
public struct SEMPSettings: Sendable, Equatable {
    /// "SMA Schnittstelle": the SSDP announcement and the SEMP HTTP interface run only when On.
    public var enabled: Bool
    public var mode: SEMPChargeMode
    /// "SMA Strom bei Verbindungsausfall [A]": the current while the manager is silent (0 pauses).
    public var fallbackAmps: Double
    /// "SMA Zeit bis Verbindungsausfall [s]": how long the manager may be silent before the fallback applies.
    public var timeoutSeconds: Double
    /// "SMA Höchstbedarf Energie [kWh]", in Wh: the most one session asks the manager for.
    public var maxEnergyDemandWh: Double

    public init(enabled: Bool = false, mode: SEMPChargeMode = .surplus, fallbackAmps: Double = 6, timeoutSeconds: Double = 600,
                maxEnergyDemandWh: Double = 30_000) {
        self.enabled = enabled; self.mode = mode; self.fallbackAmps = fallbackAmps; self.timeoutSeconds = timeoutSeconds
        self.maxEnergyDemandWh = maxEnergyDemandWh
    }
}

/// One connector as the SEMP gateway reports and controls it.
public struct SEMPConnector: Sendable, Equatable {
    public var id: Int
    /// Not faulted or unavailable: else the device is reported `Offline`.
    public var available: Bool
    /// The first active error's code, 0 without one.
    public var errorCode: Int
    /// A session runs (a vehicle is plugged in and authorized).
    public var sessionActive: Bool
    /// Energy charged in the running session, Wh.
    public var sessionEnergyWh: Double
    /// What the connector draws now, W.
    public var powerW: Double
    /// The phases the vehicle draws on when known, else the connector's wiring.
    public var phases: Int
    public var phasesWired: Int
    public var minimumAmps: Double
    /// The highest current the connector may offer (operator, installation and hardware limits), A.
    public var maximumAmps: Double
    public var voltageV: Double

    public init(id: Int, available: Bool = true, errorCode: Int = 0, sessionActive: Bool, sessionEnergyWh: Double = 0, powerW: Double,
                phases: Int, phasesWired: Int, minimumAmps: Double = 6, maximumAmps: Double = 32, voltageV: Double = 230) {
        self.id = id; self.available = available; self.errorCode = errorCode; self.sessionActive = sessionActive
        self.sessionEnergyWh = sessionEnergyWh; self.powerW = powerW; self.phases = phases; self.phasesWired = phasesWired
        self.minimumAmps = minimumAmps; self.maximumAmps = maximumAmps; self.voltageV = voltageV
    }
}

/// The `semp` limit of one connector and why.
public struct SEMPDecision: Sendable, Equatable, Codable {
    public var connector: Int
    /// The current the manager allows, A (0 pauses).
    public var amps: Double
    public var reason: String
    /// The manager is silent and the fallback current applies.
    public var fallback: Bool
}

/// Why a control message was refused (answered 400; nothing of it is applied).
public struct SEMPControlError: Error, Equatable, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// The station as a SEMP gateway with one device per connector: the documents the manager reads, and its control
/// turned into a current limit. Pure: the manager's requests and the clock come in as arguments.
///
/// Silence: every request of the manager (a poll or a control) is contact. While the manager is silent longer than
/// ``SEMPSettings/timeoutSeconds`` — counted from the station's start until it is first heard — every connector gets
/// the fallback current; when it is heard again, its last control applies again.
public struct SEMPGateway: Sendable, Equatable {
    public struct Control: Sendable, Equatable {
        public var on: Bool
        public var recommendedPowerW: Double?
        public var at: Date
    }

    /// Ids per connector (1-based index into ``deviceIds``).
    public let deviceIds: [SEMPDeviceId]
    public private(set) var lastContact: Date
    public private(set) var everHeard = false
    public private(set) var controls: [Int: Control] = [:]
    private var power: [Int: PowerWindow] = [:]
    static let averagingSeconds = 60

    /// `serialDigest`: the SHA-256 of the station serial (the ids are derived from it, so they survive restarts and
    /// reinstallation: the Sunny Portal keys its devices by them).
    public init(connectorCount: Int, serialDigest: [UInt8], now: Date) {
        deviceIds = (1...max(1, connectorCount)).map { SEMPDeviceId.connector($0, serialDigest: serialDigest) }
        lastContact = now
    }

    public func connector(of id: SEMPDeviceId) -> Int? { deviceIds.firstIndex(of: id).map { $0 + 1 } }

    /// A request of the manager arrived (any poll).
    public mutating func heard(at now: Date) { lastContact = now; everHeard = true }

    /// Applies an `EM2Device` body: every control must name one of this station's devices, else none is applied.
    public mutating func control(_ body: [UInt8], now: Date) throws(SEMPControlError) -> [Int] {
        let parsed: [SEMPDeviceControl]
        do { parsed = try SEMPDeviceControl.parse(body) } catch { throw SEMPControlError(description: "malformed EM2Device: \(error)") }
        var applied: [(Int, Control)] = []
        for c in parsed {
            guard let n = connector(of: c.deviceId) else {
                throw SEMPControlError(description: "unknown DeviceId \(c.deviceId); this station's devices are "
                                       + deviceIds.map(\.description).joined(separator: ", "))
            }
            applied.append((n, Control(on: c.on, recommendedPowerW: c.recommendedPowerW, at: now)))
        }
        heard(at: now)
        for (n, c) in applied { controls[n] = c }
        return applied.map(\.0)
    }

    /// Records what the connectors draw, for the averaged power of `DeviceStatus`; call once per poll.
    public mutating func sample(_ connectors: [SEMPConnector], now: Date) {
        for c in connectors { power[c.id, default: PowerWindow()].add(c.powerW, at: now) }
    }

    public func silent(now: Date, settings: SEMPSettings) -> Bool { now.timeIntervalSince(lastContact) > settings.timeoutSeconds }

    /// The `semp` limit of each connector (none in Fast mode, where the manager's control is not followed).
    public func decisions(_ connectors: [SEMPConnector], settings: SEMPSettings, now: Date) -> [SEMPDecision] {
        guard settings.enabled, settings.mode == .surplus else { return [] }
        return connectors.map { c in
            if silent(now: now, settings: settings) {
                let since = Int(now.timeIntervalSince(lastContact))
                let what = everHeard ? "Sunny Home Manager silent for \(since) s" : "no Sunny Home Manager heard since the start (\(since) s)"
                return SEMPDecision(connector: c.id, amps: settings.fallbackAmps, reason: "\(what): fallback \(Self.amps(settings.fallbackAmps)) A", fallback: true)
            }
            guard let control = controls[c.id] else {
                return SEMPDecision(connector: c.id, amps: 0, reason: "waiting for the Sunny Home Manager to switch on", fallback: false)
            }
            guard control.on else { return SEMPDecision(connector: c.id, amps: 0, reason: "Sunny Home Manager: off", fallback: false) }
            guard let w = control.recommendedPowerW else {
                return SEMPDecision(connector: c.id, amps: c.maximumAmps, reason: "Sunny Home Manager: on", fallback: false)
            }
            let phases = max(1, c.phases)
            let raw = w / (c.voltageV * Double(phases))
            let amps = (min(max(raw, c.minimumAmps), c.maximumAmps) * 10).rounded(.down) / 10
            let kW = (w / 100).rounded() / 10
            return SEMPDecision(connector: c.id, amps: amps,
                                reason: "Sunny Home Manager: \(kW) kW → \(Self.amps(amps)) A on \(phases) phase\(phases == 1 ? "" : "s")", fallback: false)
        }
    }

    /// The `Device2EM` document of every connector (or of one device, for `?DeviceId=`).
    public func document(_ connectors: [SEMPConnector], settings: SEMPSettings, identity: String, serial: String, url: String?,
                         now: Date, only: SEMPDeviceId? = nil) -> SEMPDevice2EM {
        var doc = SEMPDevice2EM()
        for c in connectors where c.id >= 1 && c.id <= deviceIds.count {
            let id = deviceIds[c.id - 1]
            if let only, only != id { continue }
            let perPhaseMin = c.minimumAmps * c.voltageV, perPhaseMax = c.maximumAmps * c.voltageV
            doc.infos.append(SEMPDeviceInfo(deviceId: id, name: "\(identity) connector \(c.id)", serial: "\(serial)-\(c.id)", vendor: "ChargeKit",
                                            url: url, maxPowerW: Int(perPhaseMax * Double(c.phasesWired)), minPowerW: Int(perPhaseMin)))
            let window = power[c.id] ?? PowerWindow()
            let drawing = c.powerW > 50
            doc.statuses.append(SEMPDeviceStatus(
                deviceId: id, emSignalsAccepted: settings.mode == .surplus, status: !c.available ? .offline : drawing ? .on : .off,
                errorCode: c.errorCode, averagePowerW: Int(window.average(now: now, fallback: c.powerW).rounded()),
                minPowerW: Int(window.minimum(now: now, fallback: c.powerW).rounded()), maxPowerW: Int(window.maximum(now: now, fallback: c.powerW).rounded()),
                averagingIntervalSeconds: Self.averagingSeconds))
            let remaining = settings.maxEnergyDemandWh - c.sessionEnergyWh
            guard c.sessionActive, c.available, remaining >= 1 else { continue }
            let phases = Double(max(1, c.phases))
            let maxW = Int(perPhaseMax * phases), minW = Int(perPhaseMin * phases)
            switch settings.mode {
            case .surplus:
                // Optional energy over the next 24 h, as evcc and SMA's own charger announce it (no departure time).
                doc.requests.append([SEMPTimeframe(deviceId: id, earliestStartSeconds: 0, latestEndSeconds: 86_400, minEnergyWh: 0,
                                                   maxEnergyWh: remaining, maxPowerW: maxW, minPowerW: minW)])
            case .fast:
                // Required now: the end is when the session would have it at full power.
                let seconds = Int((remaining / Double(max(1, maxW)) * 3600).rounded(.up))
                doc.requests.append([SEMPTimeframe(deviceId: id, earliestStartSeconds: 0, latestEndSeconds: max(60, seconds),
                                                   minEnergyWh: remaining, maxEnergyWh: remaining, maxPowerW: maxW, minPowerW: maxW)])
            }
        }
        return doc
    }

    static func amps(_ a: Double) -> String { a == a.rounded() ? String(Int(a)) : String((a * 10).rounded() / 10) }
}

/// The power samples of the last ``SEMPGateway/averagingSeconds``, one per second at most.
struct PowerWindow: Sendable, Equatable {
    private var samples: [(at: Date, w: Double)] = []

    mutating func add(_ w: Double, at now: Date) {
        if let last = samples.last, now.timeIntervalSince(last.at) < 1 { return }
        samples.append((now, w.isFinite ? w : 0))
        let cutoff = now.addingTimeInterval(-Double(SEMPGateway.averagingSeconds))
        if let first = samples.firstIndex(where: { $0.at > cutoff }), first > 0 { samples.removeFirst(first) }
    }

    private func recent(_ now: Date) -> [Double] {
        let cutoff = now.addingTimeInterval(-Double(SEMPGateway.averagingSeconds))
        return samples.filter { $0.at > cutoff }.map(\.w)
    }
    func average(now: Date, fallback: Double) -> Double { let r = recent(now); return r.isEmpty ? fallback : r.reduce(0, +) / Double(r.count) }
    func minimum(now: Date, fallback: Double) -> Double { recent(now).min() ?? fallback }
    func maximum(now: Date, fallback: Double) -> Double { recent(now).max() ?? fallback }

    static func == (a: PowerWindow, b: PowerWindow) -> Bool { a.samples.elementsEqual(b.samples) { $0.at == $1.at && $0.w == $1.w } }
}
