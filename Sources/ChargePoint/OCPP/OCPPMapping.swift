#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16

/// How the station's state becomes OCPP StatusNotifications and MeterValues.
public enum OCPPMapping {
    /// The 16 ChargePointErrorCode values of OCPP 1.6 §7.6.
    public static let errorCodes: Set<String> = [
        "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError", "LocalListConflict",
        "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure",
        "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal",
    ]

    /// The OCPP errorCode of a catalogued error: its code when it is one of the 1.6 codes (seeds/004 §9 codes
    /// capitalised), the vehicle's mode 3 errors as EVCommunicationError, anything else as OtherError with the
    /// catalogue code as vendorErrorCode (seeds/002 §3).
    public static func errorCode(_ d: ErrorDefinition) -> (errorCode: String, vendorErrorCode: String?) {
        let capitalised = d.code.prefix(1).uppercased() + d.code.dropFirst()
        if errorCodes.contains(capitalised) { return (capitalised, nil) }
        if d.code == "mode3Error" { return ("EVCommunicationError", d.code) }
        return ("OtherError", String(d.code.prefix(50)))
    }

    /// The status a connector reports. "Occupied on Charging" shows a charge point occupied only once a cable is
    /// plugged in and the user is authorized; before that Preparing is reported as Available (seeds/004 §4).
    public static func status(_ v: ConnectorBackendView, strategy: StatusNotificationStrategy, preparingUntilStateC: Bool = true) -> ConnectorStatus {
        if v.status == .preparing, strategy == .occupiedOnCharging, v.session == nil, !(v.vehicleConnected && v.authorized) {
            return .available
        }
        // seeds/004 §4 "Preparing until state C" Off: a transaction with the vehicle connected (state B) is Charging.
        if v.status == .preparing, !preparingUntilStateC, v.session != nil, v.vehicleConnected { return .charging }
        return v.status
    }

    /// The StatusNotification of a connector (or of the station, connector 0: Available, Unavailable or Faulted).
    /// Errors are reported only with "Send error StatusNotifications"; warnings (errors with a non-Faulted
    /// status) only with "Send informative StatusNotifications" too; USB link failures only with "Send USB error
    /// StatusNotifications" (seeds/004 §4).
    public static func statusNotification(connector: Int, status: ConnectorStatus, errors: [ActiveError], settings: BackendSettings,
                                          now: Date) -> StatusNotificationRequest {
        var code = "NoError"
        var info: String?
        var vendorCode: String?
        let faulted = status == .faulted
        let reportable = errors.filter { $0.definition.map { !$0.usbLink || settings.sendUSBErrorStatus } ?? false }
        if settings.sendErrorStatus, let e = reportable.first, let d = e.definition, faulted || settings.sendInformativeStatus {
            (code, vendorCode) = errorCode(d)
            info = String(d.activationMessage.prefix(50))
            // EVCommunicationError only goes with Preparing, SuspendedEV(SE) or Finishing (checklist §1.4.3).
            if code == "EVCommunicationError", ![.preparing, .suspendedEV, .suspendedEVSE, .finishing, .faulted].contains(status) {
                code = "OtherError"; vendorCode = d.code
            }
        }
        return StatusNotificationRequest(connectorId: connector, errorCode: code, info: info, status: status.rawValue, timestamp: now,
                                         vendorId: vendorCode == nil ? nil : "ChargeKit", vendorErrorCode: vendorCode)
    }

    /// The station's own status (connector 0).
    public static func stationStatus(errors: [ActiveError], allInoperative: Bool) -> ConnectorStatus {
        if errors.contains(where: { $0.definition?.stopsCharging ?? false }) { return .faulted }
        return allInoperative ? .unavailable : .available
    }

    /// The sampled values of `measurands` for a connector. Per-phase measurands are sent per connected phase;
    /// energy is the meter register (monotonic, errata 3.9).
    ///
    /// - SeeAlso: OCPP 1.6 §7.45 SampledValue; seeds/002 §2 MeterValues (measurand, phase, location, unit).
    public static func sampledValues(_ measurands: [Measurand], _ v: ConnectorBackendView, context: String) -> [SampledValue] {
        func num(_ d: Double, _ decimals: Int = 1) -> String {
            let factor = decimals == 0 ? 1.0 : 10.0
            let r = (d * factor).rounded() / factor
            return r == r.rounded() ? String(Int(r)) : String(r)
        }
        let phases = ["L1", "L2", "L3"].prefix(max(1, min(3, v.phaseCount)))
        var out: [SampledValue] = []
        for m in measurands {
            switch m {
            case .energyActiveImportRegister:
                out.append(SampledValue(value: num(v.meter.energyWh, 0), context: context, format: "Raw", measurand: m.rawValue,
                                        location: "Outlet", unit: "Wh"))
            case .powerActiveImport:
                out.append(SampledValue(value: num(v.meter.totalPowerW, 0), context: context, format: "Raw", measurand: m.rawValue,
                                        location: "Outlet", unit: "W"))
            case .currentImport:
                for (i, p) in phases.enumerated() {
                    out.append(SampledValue(value: num(v.meter.currentA[i]), context: context, format: "Raw", measurand: m.rawValue,
                                            phase: p, location: "Outlet", unit: "A"))
                }
            case .currentOffered:
                out.append(SampledValue(value: num(v.offeredAmps), context: context, format: "Raw", measurand: m.rawValue,
                                        location: "Outlet", unit: "A"))
            case .powerOffered:
                out.append(SampledValue(value: num(v.offeredAmps * v.voltageV * Double(phases.count), 0), context: context, format: "Raw",
                                        measurand: m.rawValue, location: "Outlet", unit: "W"))
            case .voltage:
                for (i, p) in phases.enumerated() {
                    out.append(SampledValue(value: num(v.meter.voltageV[i]), context: context, format: "Raw", measurand: m.rawValue,
                                            phase: "\(p)-N", location: "Outlet", unit: "V"))
                }
            case .soc:
                if let soc = v.stateOfChargePercent {
                    out.append(SampledValue(value: num(soc, 0), context: context, format: "Raw", measurand: m.rawValue, location: "EV", unit: "Percent"))
                }
            }
        }
        return out
    }

    /// The session's signed meter readings (OCMF) as `SignedData` sampled values of the energy register: the begin's in a
    /// container of its own right after the first Transaction.Begin one, the end's in one of its own at the end — "start
    /// and end in separate containers, contexts Transaction.Begin and Transaction.End", as the OCA's signed meter values
    /// whitepaper (v1.0, OCPP 1.6 part) and OCMF 1.2 "Embedding in OCPP" place them. The value is the OCMF document
    /// itself, byte for byte as the meter signed it, written as `settings` say (``SignedMeterValue``).
    static func addSignedReadings(_ r: SessionRecord, to data: inout [MeterValue], stoppedAt: Date, settings: BackendSettings) {
        guard let signed = r.signedMeter else { return }
        func value(_ ocmf: String, _ context: String) -> SampledValue {
            SampledValue(value: settings.signedValue(ocmf: ocmf, publicKeyHex: signed.publicKeyHex, context: context), context: context,
                         format: "SignedData", measurand: Measurand.energyActiveImportRegister.rawValue, location: "Outlet")
        }
        if let begin = signed.begin {
            let at = data.firstIndex { $0.sampledValue.contains { $0.context == "Transaction.Begin" } }.map { $0 + 1 } ?? 0
            data.insert(MeterValue(timestamp: r.session.startedAt, sampledValue: [value(begin, "Transaction.Begin")]), at: at)
        }
        if let end = signed.end {
            let last = data.map(\.timestamp).max() ?? stoppedAt
            data.append(MeterValue(timestamp: max(stoppedAt, last), sampledValue: [value(end, "Transaction.End")]))
        }
    }

    /// StopTransaction.req for a finished session: idTag unless the station stopped it itself, reason unless Local
    /// (OCPP 1.6 §4.10), and transactionData: the meter values `recorded` during the session (StopTxnSampledData at
    /// Transaction.Begin/End, StopTxnAlignedData at Sample.Clock), completed with the energy register at
    /// Transaction.Begin and Transaction.End from the session record when the energy register is sampled and a value
    /// is missing (e.g. a session closed by recovery after a power loss; errata 3.14). `transactionID` is −1 when the
    /// StartTransaction was never answered (errata 3.18).
    public static func stopTransaction(_ r: SessionRecord, transactionID: Int?, recorded: [MeterValue], sampledMeasurands: [Measurand],
                                       settings: BackendSettings)
        -> StopTransactionRequest {
        let s = r.session
        let meterStop = r.meterStopWh ?? s.meterStartWh
        let stoppedAt = r.stoppedAt ?? s.startedAt
        let reason = r.stopReason ?? .other
        let selfStopped: Set<StopReason> = [.powerLoss, .reboot, .hardReset, .softReset, .emergencyStop, .other]
        var data = recorded
        if sampledMeasurands.contains(.energyActiveImportRegister) {
            func value(_ wh: Double, _ context: String) -> SampledValue {
                SampledValue(value: String(Int(wh.rounded())), context: context, format: "Raw", measurand: Measurand.energyActiveImportRegister.rawValue,
                             location: "Outlet", unit: "Wh")
            }
            func has(_ context: String) -> Bool { data.contains { $0.sampledValue.contains { $0.context == context } } }
            if !has("Transaction.Begin") { data.insert(MeterValue(timestamp: s.startedAt, sampledValue: [value(s.meterStartWh, "Transaction.Begin")]), at: 0) }
            if !has("Transaction.End") { data.append(MeterValue(timestamp: stoppedAt, sampledValue: [value(meterStop, "Transaction.End")])) }
        }
        addSignedReadings(r, to: &data, stoppedAt: stoppedAt, settings: settings)
        let idTag = r.stoppedBy ?? (selfStopped.contains(reason) || s.idTag.isEmpty ? nil : s.idTag)
        return StopTransactionRequest(idTag: idTag.map { String($0.prefix(20)) },
                                      meterStop: Int(meterStop.rounded()), timestamp: stoppedAt, transactionId: transactionID ?? -1,
                                      reason: reason == .local ? nil : reason.rawValue, transactionData: data.isEmpty ? nil : data)
    }
}
