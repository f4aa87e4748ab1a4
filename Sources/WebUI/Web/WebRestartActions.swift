import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import LoadManagement

/// The actions of the parameter pages that end in a restart or forget state, as the seeds' pages offer them:
/// "Save & Restart" and "Restart now" (seeds/004 §4, seeds/000 "Speichern", "Neu starten"), "Operator Default &
/// Restart" (seeds/004 §3, the button row under every page of the operator), and "Clear persistent DLM slave DB"
/// (seeds/004 §7.4, on the load management page of the master).
extension WebInterface {
    /// The card on the Load Management page: how many slaves the master remembers, and the button that forgets them.
    struct DLMSlaveCard {
        var isMaster: Bool
        var known: String
        var mayClear: Bool
        /// Which role clearing needs, for those who may not.
        var clearRole: String
        /// After clearing: how many were removed.
        var cleared: String?
    }

    /// The lowest role that may empty the DLM slave DB: it decides how a DLM network is installed.
    static let clearDLMSlavesRole = Role.installer
    /// "Operator Default & Restart" is the operator's button (seeds/004 §3 shows it to the operator).
    static let operatorDefaultRole = Role.operator

    func dlmSlaveCard(_ session: WebAccounts.Session, t: [String: String], query: [String: String]) async -> DLMSlaveCard {
        let slaves = await station.status().dlm?.slaves
        return DLMSlaveCard(
            isMaster: slaves != nil, known: (t["dlm.knownSlaves"] ?? "%d").replacing("%d", with: String(slaves?.count ?? 0)),
            mayClear: session.role >= Self.clearDLMSlavesRole,
            clearRole: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.clearDLMSlavesRole.rawValue)"] ?? ""),
            cleared: query["slavesCleared"].map { (t["dlm.slavesCleared"] ?? "%d").replacing("%d", with: $0) })
    }

    func addRestartActionRoutes(to router: Router<WebRequestContext>) {
        router.post("system/operator-default") { request, _ in
            try await withSession(request, form: true) { session, form in
                guard session.role >= Self.operatorDefaultRole else { return try await forbidden(session, Self.operatorDefaultRole) }
                guard form["confirm"] == "on" else { return WebHTTP.redirect("/menu/system?operatorDefaultError=1#s-operator-default") }
                _ = try await station.restoreOperatorDefaults(by: "web:\(session.account)")
                return try await restartingPage(session, message: "sys.restarting.operatorDefault")
            }
        }
        router.post("dlm/clear-slaves") { request, _ in
            try await withSession(request, form: true) { session, _ in
                guard session.role >= Self.clearDLMSlavesRole else { return try await forbidden(session, Self.clearDLMSlavesRole) }
                let page = "/menu/\(Self.slug(.loadManagement))"
                do {
                    let removed = try await station.removeDLMSlaves(nil)
                    return WebHTTP.redirect("\(page)?slavesCleared=\(removed.count)#s-dlm-slave-db")
                } catch let e as DLMSlaveRemovalError {
                    let t = await texts(session)
                    return try await messagePage(session, status: .conflict, heading: t["dlm.clearSlaves"] ?? "", message: e.description)
                }
            }
        }
    }

    func forbidden(_ session: WebAccounts.Session, _ role: Role) async throws -> Response {
        let t = await texts(session)
        return try await messagePage(session, status: .forbidden, heading: "403",
                                     message: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(role.rawValue)"] ?? ""))
    }
}
