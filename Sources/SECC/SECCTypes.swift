#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import V2G
import X509

/// What the station tells the vehicle of a connector through its ISO 15118 session: the SECC's inputs, read at each
/// request (ISO 15118-2:2014 §8.4.3.7 AuthorizationRes EVSEProcessing, §8.5.3.3 AC_EVSEChargeParameter, §8.5.3.4
/// AC_EVSEStatus; ISO 15118-20:2022 §8.3.5.4 for the AC charge loop). The station controller computes it
/// (`StationController.hlcView(connector:)`); the SECC never reaches into the station.
public struct HLCConnectorView: Sendable, Equatable {
    /// A session may charge (a card, the backend, Autocharge, free charging, a remote start): EVSEProcessing Finished.
    /// False: Ongoing — the vehicle keeps asking while the driver presents a card.
    public var authorized: Bool
    /// The current per phase the vehicle may draw now (EVSEMaxCurrent): the limit chain's result, 0 while the
    /// connector pauses or before a session.
    public var maxCurrentAmps: Double
    /// The most the connector can ever give per phase (its hardware and cable limit): the ceiling of the schedule's
    /// PMax (ISO 15118-2:2014 §8.5.2.10 PMaxScheduleEntry), which must not fall and rise with the limit chain.
    public var ratedCurrentAmps: Double
    /// The phases the connector supplies now (1 or 3; after a phase switch, the switched ones).
    public var phases: Int
    /// EVSENominalVoltage: the supply's phase-to-neutral voltage.
    public var nominalVoltageV: Double
    /// The station ended the vehicle's session while it is still plugged in (a card, a remote stop, an error, the
    /// backend's refusal): EVSENotification StopCharging.
    public var stopRequested: Bool
    /// The pilot shows 5 %: the vehicle takes its limit from the session alone, never from the duty cycle.
    public var digitalOnly: Bool
    /// The residual current device tripped (AC_EVSEStatus RCD, ISO 15118-2:2014 §8.5.3.4).
    public var rcdTripped: Bool
    /// The contract the vehicle presented (Plug & Charge) was refused — by the backend, the local lists or an expired
    /// or revoked certificate: AuthorizationRes FAILED at once rather than Ongoing until the timeout.
    public var contractRejected: Bool
    /// The connector's limit over the next 24 hours as the backend's charging profiles and the station's static limits
    /// make it (OCPP 1.6 §3.13 composite schedule): periods from now, in ascending start, each the current per phase
    /// until the next. Empty: the rated current throughout. The SECC turns it into the PMax schedule it offers
    /// (ISO 15118-2 SAScheduleList, ISO 15118-20 PowerSchedule) and asks for renegotiation when it changes.
    public var schedule: [HLCSchedulePeriod]
    /// The connector's energy meter, for MeterInfo (ISO 15118-2:2014 §8.5.2.26 MeterInfoType: MeterID of at most 32
    /// characters, MeterReading in Wh; ISO 15118-20 ChargedEnergyReadingWh); nil while no reading is there.
    public var meter: HLCMeterReading?

    public init(authorized: Bool, maxCurrentAmps: Double, ratedCurrentAmps: Double, phases: Int, nominalVoltageV: Double,
                stopRequested: Bool, digitalOnly: Bool, rcdTripped: Bool = false, contractRejected: Bool = false,
                schedule: [HLCSchedulePeriod] = [], meter: HLCMeterReading? = nil) {
        self.authorized = authorized; self.maxCurrentAmps = maxCurrentAmps; self.ratedCurrentAmps = ratedCurrentAmps
        self.phases = phases; self.nominalVoltageV = nominalVoltageV; self.stopRequested = stopRequested
        self.digitalOnly = digitalOnly; self.rcdTripped = rcdTripped; self.contractRejected = contractRejected
        self.schedule = schedule; self.meter = meter
    }

    /// The PMax schedule for `phases` phases: the power of each period (capped by the rated current; rounded to whole
    /// watts; neighbours of equal power merged), at most `maxEntries` entries (ISO 15118-2 MaxEntriesSAScheduleTuple,
    /// ISO 15118-20 MaximumSupportingPoints — the later periods are dropped, the last kept entry runs to the end),
    /// from 0 s, covering `horizonSeconds`.
    public func powerSchedule(phases: Int, horizonSeconds: Int, maxEntries: Int) -> [(startSeconds: Int, watts: Double)] {
        let volts = nominalVoltageV * Double(max(1, phases))
        var periods = schedule.filter { $0.startSeconds < horizonSeconds }
        if periods.first.map({ $0.startSeconds > 0 }) ?? true {
            periods.insert(HLCSchedulePeriod(startSeconds: 0, amps: ratedCurrentAmps), at: 0)
        }
        var out: [(startSeconds: Int, watts: Double)] = []
        for p in periods {
            let watts = (min(max(0, p.amps), ratedCurrentAmps) * volts).rounded()
            if let last = out.last, last.watts == watts { continue }
            out.append((max(0, p.startSeconds), watts))
        }
        return Array(out.prefix(max(1, maxEntries)))
    }
}

/// A connector's meter as the vehicle may see it.
public struct HLCMeterReading: Sendable, Equatable {
    /// At most 32 characters (meterIDType); longer ones are cut.
    public var meterID: String
    public var energyWh: Double

    public init(meterID: String, energyWh: Double) { self.meterID = String(meterID.prefix(32)); self.energyWh = energyWh }

    /// The register in whole watt-hours (never negative).
    var wattHours: UInt64 { UInt64(max(0, energyWh.rounded(.down))) }
}

/// One period of a connector's schedule: from `startSeconds` after now, at most `amps` per phase.
public struct HLCSchedulePeriod: Sendable, Equatable {
    public var startSeconds: Int
    public var amps: Double

    public init(startSeconds: Int, amps: Double) { self.startSeconds = startSeconds; self.amps = amps }
}

/// How the station runs its SECC: fixed for a connector while the station runs.
public struct SECCConfiguration: Sendable, Equatable {
    /// The protocols the SECC accepts in the handshake, in no particular order (the vehicle's priority decides).
    public var protocols: [V2GProtocol]
    /// EVSEID of SessionSetupRes and ChargingStatusRes (ISO 15118-2:2014 §8.4.3.2.3, evseIDType: 7 to 37 characters,
    /// the EVSE ID of DIN SPEC 91286 such as `DE*ABC*E123456*1`; "ZZ00000" when the operator gave none).
    public var evseID: String
    /// How long the vehicle may ask for authorization (AuthorizationRes Ongoing) before the SECC answers FAILED. Below
    /// the vehicle's own 60 s (V2G_EVCC_Ongoing_Timeout, ISO 15118-2:2014 Table 109), so the station ends the session
    /// with its own clear answer.
    public var authorizationTimeout: Duration
    /// How long the vehicle has to stop after EVSENotification StopCharging (PowerDeliveryReq Stop) before the SECC
    /// answers FAILED and closes the connection; the vehicle's reaction time is NotificationMaxDelay, sent as 0.
    public var stopGrace: Duration
    /// Plug & Charge: the contract payment offered besides the external one — set only for a TLS connection
    /// (ISO 15118-2:2014 §7.7.4 and §8.4.3.3: the contract's messages need V2G-CI-TLS); nil offers external payment only.
    public var contract: SECCContractSettings?
    /// The vehicle's connection runs over TLS (set per connection by the transport).
    public var tls: Bool
    /// … and the TLS version it negotiated is 1.3, which ISO 15118-20 requires ([V2G20-2356]).
    public var tls13: Bool
    /// ISO 15118-20 also without TLS 1.3. The standard forbids it ([V2G20-2356]: the SECC selects -20 only over TLS
    /// 1.3); test vehicles and simulators often speak -20 without TLS, so a test bench may allow it.
    public var iso20WithoutTLS: Bool

    /// The EVSEID used when none is configured (ISO 15118-2:2014 §8.4.3.2.3).
    public static let unknownEVSEID = "ZZ00000"

    public init(protocols: [V2GProtocol] = [.iso15118_2], evseID: String = SECCConfiguration.unknownEVSEID,
                authorizationTimeout: Duration = .seconds(50), stopGrace: Duration = .seconds(10),
                contract: SECCContractSettings? = nil, tls: Bool = false, tls13: Bool = false, iso20WithoutTLS: Bool = false) {
        self.protocols = protocols; self.evseID = evseID
        self.authorizationTimeout = authorizationTimeout; self.stopGrace = stopGrace; self.contract = contract
        self.tls = tls || tls13; self.tls13 = tls13; self.iso20WithoutTLS = iso20WithoutTLS
    }

    /// Whether `id` can be sent as EVSEID: 7 to 37 printable ASCII characters (evseIDType).
    public static func isValidEVSEID(_ id: String) -> Bool {
        (7...37).contains(id.utf8.count) && id.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}

/// How the SECC checks a contract certificate chain (ISO 15118-2:2014 §8.4.3.9 PaymentDetailsReq, Annex F).
public struct SECCContractSettings: Sendable, Equatable {
    /// The installed V2G and MO roots a contract chain must lead to.
    public var roots: [Certificate]
    /// A chain no installed root signs is still passed on for the backend to validate (seeds/000 "Central contract
    /// validation allowed"; OCA application note, Authorize with the certificate instead of its hashes).
    public var centralValidationAllowed: Bool
    /// The contract certificate service (ServiceID 2, "Installation") is offered: the backend can answer
    /// CertificateInstallationReq (seeds/000 "OCPP 1.6 Erweiterung für die 15118 Zertifikatsinstallation", the OCA
    /// application note's Get15118EVCertificate).
    public var certificateInstallation: Bool

    public init(roots: [Certificate], centralValidationAllowed: Bool, certificateInstallation: Bool = false) {
        self.roots = roots; self.centralValidationAllowed = centralValidationAllowed
        self.certificateInstallation = certificateInstallation
    }
}

/// ChargeProgress of PowerDeliveryReq (ISO 15118-2:2014 §8.4.3.9.2).
public enum SECCChargeProgress: String, Sendable, Equatable {
    case start = "Start"
    case stop = "Stop"
    case renegotiate = "Renegotiate"
}

/// What the vehicle said of its needs in ChargeParameterDiscoveryReq (ISO 15118-2:2014 §8.5.3.2 AC_EVChargeParameter).
public struct SECCVehicleNeeds: Sendable, Equatable {
    public var maxCurrentAmps: Double
    public var minCurrentAmps: Double
    public var maxVoltageV: Double
    /// EAmount: the energy the vehicle asks for.
    public var energyRequestWh: Double
    /// DepartureTime in seconds from now; nil when absent or 0 (vehicles send 0 for "not known").
    public var departureInSeconds: UInt32?
    /// 1 for AC_single_phase_core, 3 for AC_three_phase_core.
    public var phases: Int
}

/// What the SECC reports to the station as a session goes on; the station lays the vehicle's identity and needs over
/// the board's readings (Autocharge, Modbus 701–746, the dashboard) and logs the rest.
public enum SECCEvent: Sendable, Equatable {
    /// The handshake's outcome: nil when nothing matched (Failed_NoNegotiation) — a D-LINK_ERROR after which the
    /// vehicle charges by the pilot's PWM alone (ISO 15118-3:2015 §7.7.2).
    case protocolNegotiated(V2GProtocol?)
    /// SessionSetupReq's EVCCID (6 bytes, the vehicle's MAC address in practice) and whether the session was joined
    /// again after a pause (OK_OldSessionJoined).
    case vehicleIdentified(evccid: [UInt8], resumed: Bool)
    case vehicleNeeds(SECCVehicleNeeds)
    /// PaymentDetailsReq: the contract the vehicle presents (Plug & Charge), its chain checked as far as the installed
    /// roots allow; the station authorizes the eMAID like a card, asking the backend with the chain.
    case contractPresented(eMAID: String, chainPEM: String)
    case powerDelivery(SECCChargeProgress)
    /// The EVSEMaxCurrent of a ChargingStatusRes changed (the first one included): the limit reached the vehicle.
    case maxCurrentSent(amps: Double)
    /// A notification raised in AC_EVSEStatus (StopCharging, ReNegotiation).
    case notification(String)
    /// SessionStopReq: Terminate, or Pause (the session's context is kept until the vehicle leaves).
    case sessionStopped(pause: Bool)
    /// The SECC answered with a FAILED response code and ends the session.
    case failed(responseCode: String, request: String, reason: String)
}

/// A request the SECC cannot answer itself: the transport asks the backend and hands the answer to
/// ``SECCConnection/backendAnswered(_:view:now:date:)``, which gives the step to send. The contract certificate
/// service's requests (ISO 15118-2:2014 §8.4.3.11 CertificateInstallationReq, §8.4.3.10 CertificateUpdateReq;
/// ISO 15118-20:2022 §8.3.4.3.9 CertificateInstallationReq) go to the backend whole, as the OCA application note's
/// Get15118EVCertificate carries them (exiRequest in base64, iso15118SchemaVersion the message schema's namespace,
/// action Install or Update); the answer is the EXI of the whole response message, sent to the vehicle as it is.
public struct SECCForward: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case install, update }

    public var action: Action
    /// The namespace of the request's message schema: "urn:iso:15118:2:2013:MsgDef" or
    /// "urn:iso:std:iso:15118:-20:CommonMessages".
    public var schemaVersion: String
    public var exiRequest: String

    public init(action: Action, schemaVersion: String, exiRequest: String) {
        self.action = action; self.schemaVersion = schemaVersion; self.exiRequest = exiRequest
    }

    static let iso2Schema = "urn:iso:15118:2:2013:MsgDef"
    static let iso20Schema = "urn:iso:std:iso:15118:-20:CommonMessages"
}

/// One request's outcome: the response to send (as V2GTP payload), whether to close after it, and what to report.
public struct SECCStep: Sendable, Equatable {
    public var response: V2GTPFrame?
    /// Set when the answer must come from the backend; `response` is then nil and the connection stays open.
    public var forward: SECCForward?
    public var close: Bool
    public var events: [SECCEvent]
    /// For the log and "Additional Logging": the request's and the response's message name (e.g. "SessionSetupReq").
    public var requestName: String
    public var responseName: String?
    /// Why the connection closes without an answer (a stream that is not EXI, a payload type not spoken here).
    public var closeReason: String?

    public init(response: V2GTPFrame?, close: Bool, events: [SECCEvent], requestName: String, responseName: String?,
                closeReason: String? = nil, forward: SECCForward? = nil) {
        self.response = response; self.close = close; self.events = events
        self.requestName = requestName; self.responseName = responseName; self.closeReason = closeReason; self.forward = forward
    }
}

/// The station's stop as the SECC carries it out (ISO 15118-2:2014 §8.4.3.10 EVSENotification StopCharging;
/// ISO 15118-20:2022 §8.3.5.4 EVSEStatus Terminate): notified from the first response after the station asked, and
/// enforced — the session ends with FAILED — when the vehicle still goes on after the grace.
struct SECCStopWatch: Sendable {
    private var since: Duration?

    /// One response's view of the stop: whether it is first notified now, and whether the grace has run out.
    mutating func step(stopping: Bool, now: Duration, grace: Duration) -> (notify: Bool, expired: Bool) {
        guard stopping else { since = nil; return (false, false) }
        let first = since == nil
        let start = since ?? now
        since = start
        return (first, now - start >= grace)
    }

    mutating func reset() { since = nil }
}
