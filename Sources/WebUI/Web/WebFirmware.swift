import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import EVSECore

/// The System page's Firmware card (seeds/004 §8 "Systeem → Firmware Update"; seeds/000 "Firmwareaktualisierung: Datei
/// auswählen (.deb) … Upload & install"; seeds/002 §1.8 "Update Progress"): the installer chooses a package and uploads
/// it with a progress bar, then follows the installation live and sees the version the station runs after its
/// restart. The script is `static/firmware.js` (no inline script: the pages' Content-Security-Policy allows none); the
/// page's routes are the API's (``FirmwareUploadHandling``) with the session, its role and its CSRF token (sent as
/// the `X-CSRF-Token` header, as the body is the package).
extension WebInterface {
    /// What the card shows when the page is loaded; the script takes over from there.
    struct FirmwareCard {
        var runningVersion: String
        var mayUpdate: Bool
        /// Which role the update needs, for those who may not.
        var roleNote: String
        var maximumBytes: Int
        var maximumText: String
        /// The state and the last result as text, for the page without its script.
        var stateText: String
        var resultText: String?
        var resultFailed: Bool
    }

    func firmwareCard(_ session: WebAccounts.Session, t: [String: String]) async -> FirmwareCard {
        let view = await station.firmwareUpdate()
        let limit = view.maximumUploadBytes
        return FirmwareCard(
            runningVersion: view.runningVersion, mayUpdate: session.role >= FirmwareUploadHandling.role,
            roleNote: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.installer"] ?? ""),
            maximumBytes: limit, maximumText: (t["fw.maximum"] ?? "%@").replacing("%@", with: "\(limit / 1024 / 1024) MiB"),
            stateText: t["fwState.\(view.state.rawValue)"] ?? view.state.rawValue,
            resultText: view.lastResult.map { "\(t["fwResult.\($0.outcome.rawValue)"] ?? $0.outcome.rawValue): \($0.message)" },
            resultFailed: view.lastResult.map { $0.outcome != .installed } ?? false)
    }

    func addFirmwareRoutes(to router: Router<WebRequestContext>) {
        router.get("static/firmware.js") { _, _ in WebHTTP.asset(WebResources.firmwareJS, type: "text/javascript; charset=utf-8") }
        router.get("system/firmware") { request, _ in
            try await withSession(request) { _, _ in StationAPI.json(await station.firmwareUpdate()) }
        }
        router.get("system/firmware/events") { request, _ in
            try await withSession(request) { session, _ in
                let accounts = self.accounts
                return FirmwareUploadHandling.events(station) { await accounts.session(session.token) != nil }
            }
        }
        router.post("system/firmware") { request, _ in
            try await withSession(request) { session, _ in
                guard let token = request.headers[HTTPField.Name("X-CSRF-Token")!], WebHTTP.constantTimeEqual(token, session.csrf) else {
                    return StationAPI.error(.forbidden, (await texts(session))["error.csrf"] ?? "CSRF token missing", field: "X-CSRF-Token")
                }
                guard session.role >= FirmwareUploadHandling.role else {
                    return StationAPI.error(.forbidden, "installing firmware needs the \(FirmwareUploadHandling.role.rawValue) role")
                }
                return await FirmwareUploadHandling.upload(request, station, by: "web:\(session.account)")
            }
        }
    }
}
