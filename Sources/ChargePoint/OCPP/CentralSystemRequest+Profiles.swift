#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import Firmware
import OCPP16

// MARK: LocalAuthListManagement profile

extension GetLocalListVersionRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.10: −1 when the local list is switched off, 0 when it is empty.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let lists = station.authorization.lists
        let version = !station.authorization.settings.localListEnabled ? -1 : lists.localList.isEmpty ? 0 : lists.localListVersion
        return Response(listVersion: version)
    }
}

extension SendLocalListRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.15 (checklist §1.4.4): Full replaces the list; Differential adds or updates the entries with
    /// idTagInfo and removes those without, and needs a newer version.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard station.authorization.settings.localListEnabled else { return Response(status: .notSupported) }
        let items = r.localAuthorizationList ?? []
        guard items.count <= OCPPConfigurationKeys.localAuthListMaxLength else { return Response(status: .failed) }
        let lists = station.authorization.lists
        var entries: [ListedIdentifier]
        switch r.updateType {
        case .full:
            entries = []
        case .differential:
            guard r.listVersion > lists.localListVersion else { return Response(status: .versionMismatch) }
            entries = lists.localList
        }
        for item in items {
            entries.removeAll { $0.idTag.lowercased() == item.idTag.lowercased() }
            if let info = item.idTagInfo {
                guard let status = IdentifierStatus(rawValue: info.status.rawValue) else { return Response(status: .failed) }
                entries.append(ListedIdentifier(idTag: item.idTag, status: status, expiry: info.expiryDate, parentIdTag: info.parentIdTag,
                                                updatedAt: env.now))
            }
        }
        guard entries.count <= OCPPConfigurationKeys.localAuthListMaxLength else { return Response(status: .failed) }
        do {
            try station.replaceLocalList(version: r.listVersion, entries: entries, now: env.now)
        } catch {
            cp.out.append(.log(.error, "storing the local list failed: \(error)"))
            return Response(status: .failed)
        }
        return Response(status: .accepted)
    }
}

// MARK: RemoteTrigger profile

extension TriggerMessageRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.17: the requested message is queued after the answer. A BootNotification goes out at once, also
    /// while the registration is Pending (OCPP 1.6 §4.2.1: Pending lasts until the interval ends or the central system
    /// triggers the boot); after it was Accepted it is Rejected until the next reconnect or restart (errata 3.35: "until
    /// the next reset/reboot/reconnect"), so a central system that expects a BootNotification on every new connection
    /// gets one when it asks.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        let n = station.connectorCount
        if let c = r.connectorId, !(0...n).contains(c) { return Response(status: .rejected) }
        switch r.requestedMessage {
        case .bootNotification:
            return Response(status: cp.link.triggerBoot(now: env.now) ? .accepted : .rejected)
        case .heartbeat:
            cp.enqueue(HeartbeatRequest(), allowedWhilePending: true)
        case .statusNotification:
            if cp.link.registration == .accepted {
                cp.reportStatus(station, now: env.now, force: Set(r.connectorId.map { [$0] } ?? Array(0...n)))
            }
        case .meterValues:
            for c in r.connectorId.map({ $0 == 0 ? [] : [$0] }) ?? Array(1...n) {
                guard let v = station.backendView(connector: c) else { continue }
                let tx = try v.session.flatMap { try env.store.transactionID(session: $0.id) }
                cp.sendMeterValues(v, context: "Trigger", measurands: cp.settings.sampledData, at: env.now, transactionID: tx, allowedWhilePending: true)
            }
        case .firmwareStatusNotification:
            cp.enqueue(FirmwareStatusNotificationRequest(status: cp.firmware.triggeredFirmwareStatus.rawValue), allowedWhilePending: true)
        case .diagnosticsStatusNotification:
            cp.enqueue(DiagnosticsStatusNotificationRequest(status: cp.firmware.triggeredDiagnosticsStatus.rawValue), allowedWhilePending: true)
        }
        return Response(status: .accepted)
    }
}

// MARK: FirmwareManagement profile (OCPP 1.6 §5.19, §5.9; checklist §1.4.9)

extension UpdateFirmwareRequest: CentralSystemRequest {
    /// The answer has no status: a location that cannot be downloaded is logged and ignored. With unsigned updates
    /// switched off (security whitepaper ed. 3 L01.FR.20) the request is answered CALLERROR NotSupported.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        guard cp.settings.unsignedFirmwareUpdates else {
            throw OCPPError(.notSupported, "this station takes only SignedUpdateFirmware (UnsignedFirmwareUpdates is Off)")
        }
        guard FirmwareManagement.transferable(r.location) else {
            cp.out.append(.log(.warning, "UpdateFirmware: '\(r.location)' is not an ftp://, http:// or https:// URL; ignored"))
            return Response()
        }
        cp.out.append(.log(.notice, "firmware update from \(r.location) at \(OCPPDate.format(r.retrieveDate))"))
        cp.runFirmware(cp.firmware.updateFirmware(location: r.location, retrieveDate: r.retrieveDate, retries: r.retries,
                                                  retryIntervalSeconds: r.retryInterval), &station, &env)
        return Response()
    }
}

extension GetDiagnosticsRequest: CentralSystemRequest {
    /// Answers the file name that will be uploaded (none when the location cannot be uploaded to).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard FirmwareManagement.transferable(r.location) else {
            cp.out.append(.log(.warning, "GetDiagnostics: '\(r.location)' is not an ftp://, http:// or https:// URL; nothing is uploaded"))
            return Response(fileName: nil)
        }
        let stamp = String(OCPPDate.format(env.now).filter { $0 != ":" && $0 != "-" })
        let name = "diagnostics-\(cp.chargeBoxIdentity)-\(stamp.prefix(15)).tar.gz"
        return Response(fileName: cp.firmware.getDiagnostics(location: r.location, fileName: String(name.prefix(255)), startTime: r.startTime,
                                                             stopTime: r.stopTime, retries: r.retries, retryIntervalSeconds: r.retryInterval,
                                                             now: env.now))
    }
}

// MARK: SmartCharging profile (OCPP 1.6 §5.16, §5.5, §5.7)

extension SetChargingProfileRequest: CentralSystemRequest {
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        let running = station.backendView(connector: r.connectorId)?.session
        let transactionID = try running.flatMap { try env.store.transactionID(session: $0.id) }
        let rejection = station.setChargingProfile(connector: r.connectorId, r.csChargingProfiles, transactionID: transactionID, now: env.now)
        if let rejection { cp.out.append(.log(.info, "SetChargingProfile \(r.csChargingProfiles.chargingProfileId) rejected: \(rejection)")) }
        return Response(status: rejection == nil ? .accepted : .rejected)
    }
}

extension ClearChargingProfileRequest: CentralSystemRequest {
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let cleared = station.clearChargingProfiles(id: r.id, connector: r.connectorId, purpose: r.chargingProfilePurpose?.rawValue,
                                                    stackLevel: r.stackLevel, now: env.now)
        return Response(status: cleared ? .accepted : .unknown)
    }
}

extension GetCompositeScheduleRequest: CentralSystemRequest {
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard let schedule = station.compositeSchedule(connector: r.connectorId, durationSeconds: r.duration,
                                                       unit: (r.chargingRateUnit ?? .amperes).rawValue, now: env.now) else {
            return Response(status: .rejected)
        }
        return Response(status: .accepted, connectorId: r.connectorId, scheduleStart: env.now, chargingSchedule: schedule)
    }
}

// MARK: Reservation profile (OCPP 1.6 §5.13, §5.1)

extension ReserveNowRequest: CentralSystemRequest {
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let reservation = Reservation(id: r.reservationId, connector: r.connectorId, idTag: r.idTag, parentIdTag: r.parentIdTag, expiresAt: r.expiryDate)
        return Response(status: station.reserve(reservation, now: env.now))
    }
}

extension CancelReservationRequest: CentralSystemRequest {
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        Response(status: station.cancelReservation(id: r.reservationId, now: env.now) ? .accepted : .rejected)
    }
}
