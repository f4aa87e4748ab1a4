#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16

/// OCPP smart charging on the station: installing, clearing and expiring charging profiles (persisted before they
/// are accepted), and the composite schedule as a source of the current limit chain.
///
/// - SeeAlso: OCPP 1.6 §3.13, §5.5 ClearChargingProfile, §5.7 GetCompositeSchedule, §5.16 SetChargingProfile.
extension StationController {
    /// The running transaction of connector `n` as the profile rules see it.
    func profileTransaction(_ n: Int, transactionID: Int?) -> ChargingProfiles.Transaction? {
        guard connectors.indices.contains(n - 1), let s = connectors[n - 1].session.activeSession else { return nil }
        return ChargingProfiles.Transaction(transactionID: transactionID, startedAt: s.startedAt)
    }

    var profileElectrical: ChargingProfiles.Electrical { .init(voltageV: settings.powerSourceVoltageV) }

    /// SetChargingProfile: nil when installed (and persisted), else why it is Rejected. `transactionID` is the OCPP
    /// transactionId of the transaction running on the connector, if known.
    public mutating func setChargingProfile(connector n: Int, _ profile: ChargingProfile, transactionID: Int?, now: Date) -> String? {
        let transaction = n > 0 ? profileTransaction(n, transactionID: transactionID) : nil
        if let why = chargingProfiles.rejection(connector: n, profile, connectorCount: connectors.count, transaction: transaction, now: now) {
            log(now, .chargingProfileChanged, n, "Charging profile \(profile.chargingProfileId) rejected: \(why)")
            return why
        }
        var after = chargingProfiles
        let installed = after.install(connector: n, profile, now: now)
        let replaced = Set(chargingProfiles.installed.map(\.id)).subtracting(after.installed.map(\.id))
        do { try store.saveChargingProfiles([installed], deleting: Array(replaced)) } catch {
            notice(.storeFailed(what: "saveChargingProfiles", error: "\(error)"))
            return "the profile could not be stored"
        }
        chargingProfiles = after
        log(now, .chargingProfileChanged, n,
            "\(profile.chargingProfilePurpose) \(profile.chargingProfileId) (stack level \(profile.stackLevel)) installed on connector \(n)")
        applyLimits(now: now)
        return nil
    }

    /// ClearChargingProfile: whether any profile matched (Accepted) or none (Unknown).
    public mutating func clearChargingProfiles(id: Int?, connector: Int?, purpose: String?, stackLevel: Int?, now: Date) -> Bool {
        var after = chargingProfiles
        let removed = after.clear(id: id, connector: connector, purpose: purpose, stackLevel: stackLevel)
        guard !removed.isEmpty else { return false }
        return removeProfiles(after, removed, now: now, why: "cleared by the backend")
    }

    /// Persists the removal of profiles, then applies it.
    @discardableResult
    mutating func removeProfiles(_ after: ChargingProfiles, _ removed: [Int], now: Date, why: String) -> Bool {
        guard !removed.isEmpty else { return true }
        do { try store.saveChargingProfiles([], deleting: removed) } catch {
            notice(.storeFailed(what: "saveChargingProfiles", error: "\(error)"))
            return false
        }
        chargingProfiles = after
        log(now, .chargingProfileChanged, 0, "Charging profile(s) \(removed.map(String.init).joined(separator: ", ")) \(why)")
        applyLimits(now: now)
        return true
    }

    /// Removes profiles past their validTo.
    mutating func expireChargingProfiles(now: Date) {
        guard chargingProfiles.installed.contains(where: { $0.profile.validTo != nil }) else { return }
        var after = chargingProfiles
        let removed = after.removeExpired(now: now)
        removeProfiles(after, removed, now: now, why: "expired (validTo)")
    }

    /// The TxProfiles of connector `n` end with its transaction; a profile that came with RemoteStartTransaction is
    /// installed when the transaction starts.
    mutating func chargingProfilesOnTransaction(started: Bool, connector n: Int, now: Date) {
        if started {
            guard let p = pendingRemoteProfiles.removeValue(forKey: n) else { return }
            if let why = setChargingProfile(connector: n, p, transactionID: nil, now: now) {
                log(now, .chargingProfileChanged, n, "The charging profile of RemoteStartTransaction was not installed: \(why)")
            }
        } else {
            pendingRemoteProfiles[n] = nil
            var after = chargingProfiles
            let removed = after.transactionEnded(connector: n)
            removeProfiles(after, removed, now: now, why: "ended with the transaction on connector \(n)")
        }
    }

    /// The limit the profiles put on connector `n` now (nil: none), shared ChargePointMaxProfile included.
    func chargingProfileLimit(_ n: Int, demanding: Int, now: Date) -> Double? {
        guard !chargingProfiles.installed.isEmpty else { return nil }
        return chargingProfiles.limit(connector: n, at: now, transaction: profileTransaction(n, transactionID: nil),
                                      electrical: profileElectrical, sharers: max(1, demanding))
    }

    /// GetCompositeSchedule for connector `n`, or nil for an unknown connector (Rejected). Where no profile applies, the
    /// connector's own limit (hardware, installation, operator) is reported. Connector 0 reports the station's expected
    /// draw: the sum over the connectors, capped by the ChargePointMaxProfile.
    public func compositeSchedule(connector n: Int, durationSeconds: Int, unit: String, now: Date) -> ChargingSchedule? {
        guard (0...connectors.count).contains(n) else { return nil }
        let statics = CurrentLimits.compute(settings, demanding: [])
        if n == 0 {
            let perConnector = connectors.indices.map { i in (transaction: profileTransaction(i + 1, transactionID: nil), ceilingAmps: statics[i].amps) }
            return chargingProfiles.stationComposite(start: now, durationSeconds: durationSeconds, unit: unit, connectors: perConnector,
                                                     electrical: profileElectrical)
        }
        let phases = settings.connectors[min(n, settings.connectors.count) - 1].phasesConnected.phaseCount
        let demanding = connectors.filter { $0.session.activeSession != nil }.count
        return chargingProfiles.composite(connector: n, start: now, durationSeconds: durationSeconds, unit: unit,
                                          transaction: profileTransaction(n, transactionID: nil), electrical: profileElectrical,
                                          ceilingAmps: statics[n - 1].amps, phases: phases, sharers: max(1, demanding))
    }
}
