#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A current per phase where each phase may have none (nil: no limit active on that phase).
public struct EEBUSPhaseCurrents: Sendable, Equatable, Codable {
    public var a: Double?
    public var b: Double?
    public var c: Double?
    public init(a: Double? = nil, b: Double? = nil, c: Double? = nil) {
        self.a = a
        self.b = b
        self.c = c
    }

    public subscript(phase: EEBUSPhase) -> Double? {
        get { phase == .a ? a : phase == .b ? b : c }
        set {
            switch phase {
            case .a: a = newValue
            case .b: b = newValue
            case .c: c = newValue
            }
        }
    }

    /// No phase has a value.
    public var isEmpty: Bool { a == nil && b == nil && c == nil }
    /// The lowest value of the phases that have one: the current a connector that sets one current for all its
    /// phases (IEC 61851 PWM) may offer.
    public var lowest: Double? { [a, b, c].compactMap { $0 }.min() }

    /// Obligation below recommendation, per phase: where both are active the lower one applies (a recommendation
    /// never lifts an obligation: EEBUS UC TS OPEV V1.0.1 and OSCEV V1.0.1, an obligation is a hard limit and a
    /// recommendation the manager's wish within it); where only one is active, that one.
    public static func combining(obligation: EEBUSPhaseCurrents, recommendation: EEBUSPhaseCurrents) -> EEBUSPhaseCurrents {
        var result = EEBUSPhaseCurrents()
        for phase in EEBUSPhase.allCases {
            switch (obligation[phase], recommendation[phase]) {
            case let (o?, r?): result[phase] = min(o, r)
            case let (o?, nil): result[phase] = o
            case let (nil, r?): result[phase] = r
            case (nil, nil): break
            }
        }
        return result
    }
}

/// What the energy manager asks of one connector (OPEV and OSCEV on its vehicle entity).
public struct EEBUSConnectorLimits: Sendable, Equatable, Codable {
    public var connector: Int
    /// The active overload protection obligations per phase (OPEV, A).
    public var obligationA: EEBUSPhaseCurrents
    /// The active self-consumption recommendations per phase (OSCEV, A).
    public var recommendationA: EEBUSPhaseCurrents
    /// Obligation below recommendation: ``EEBUSPhaseCurrents/combining(obligation:recommendation:)``.
    public var appliedA: EEBUSPhaseCurrents
    public init(connector: Int, obligationA: EEBUSPhaseCurrents, recommendationA: EEBUSPhaseCurrents) {
        self.connector = connector
        self.obligationA = obligationA
        self.recommendationA = recommendationA
        appliedA = .combining(obligation: obligationA, recommendation: recommendationA)
    }
}

/// The station-wide limit EEBUS asks for, and why (LPC).
public struct EEBUSStationLimit: Sendable, Equatable, Codable {
    public enum Reason: String, Sendable, Codable {
        /// The energy guard's active power consumption limit (LPC state limited).
        case activePowerLimit
        /// The failsafe consumption active power limit the energy guard wrote (LPC state failsafe).
        case failsafePowerLimit
        /// Failsafe, and the energy guard never wrote a failsafe limit: the station's own "Strom bei
        /// Verbindungsausfall [A]" per connector (seeds/000 §3).
        case fallbackCurrent
    }
    public var reason: Reason
    /// The power the whole station may draw (activePowerLimit, failsafePowerLimit); the lead splits it among the
    /// connectors and converts it to current over the phases in use.
    public var powerW: Double?
    /// The current each connector may draw (fallbackCurrent).
    public var currentPerConnectorA: Double?
    /// When the active power limit ends (nil: until changed).
    public var endTime: Date?
    public init(reason: Reason, powerW: Double? = nil, currentPerConnectorA: Double? = nil, endTime: Date? = nil) {
        self.reason = reason
        self.powerW = powerW
        self.currentPerConnectorA = currentPerConnectorA
        self.endTime = endTime
    }
}

/// What the lead feeds into the limit chain (source `eebus`).
public struct EEBUSChargerOutput: Sendable, Equatable {
    /// nil: no LPC limit applies (init, unlimited/controlled, unlimited/autonomous).
    public var stationLimit: EEBUSStationLimit?
    public var connectors: [EEBUSConnectorLimits]
}

/// One written OPEV or OSCEV limit, for the status.
public struct EEBUSWrittenLimit: Sendable, Equatable, Codable {
    public var limitId: Int
    public var phase: EEBUSPhase
    /// `obligation` (OPEV) or `recommendation` (OSCEV).
    public var category: String
    public var isActive: Bool
    public var valueA: Double?
    public var endTime: Date?
}

/// The EEBUS state for the web page and the API.
public struct EEBUSStatus: Sendable, Equatable, Codable {
    public struct Connector: Sendable, Equatable, Codable {
        public var connector: Int
        public var vehiclePresent: Bool
        public var limits: EEBUSConnectorLimits
        public var written: [EEBUSWrittenLimit]
    }
    public var lpcState: LPCState
    public var lpcStateSince: Date
    public var limit: LPCControllableSystem.Limit
    public var failsafeLimitW: Double?
    public var failsafeDurationMinimumSeconds: Double
    public var fallbackCurrentA: Double
    public var connectionTimeoutSeconds: Double
    /// The SKI of the energy guard (the remote that last wrote LPC data).
    public var energyGuard: String?
    /// Seconds since the energy guard's last heartbeat, nil when none arrived.
    public var heartbeatAgeSeconds: Double?
    public var stationLimit: EEBUSStationLimit?
    /// The station's own heartbeat counter.
    public var heartbeatCounter: UInt64
    /// The connected remote devices by SKI with their device type.
    public var remotes: [String: String]
    public var connectors: [Connector]
}
