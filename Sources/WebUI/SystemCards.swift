import CivilDate
import FoundationEssentials
import Hummingbird
import ChargePoint

// The cards the station's and the gateway's System pages share (templates/shared/certificateCard.mustache and
// securityLogCard.mustache): the HTTPS certificate with its upload and reset, and the newest security log entries.

/// One security log entry as a System page lists it.
struct SecurityLogRow {
    var time: String
    var type: String
    var critical: Bool
    var techInfo: String

    /// How many entries a System page shows, newest first (the API and, on the station, GetLog give them all).
    static let shown = 20

    /// `entries` (oldest first, as the stores return them) as rows, newest first.
    static func rows(_ entries: [SecurityLogEntry], tz: TimeZoneRules) -> [SecurityLogRow] {
        entries.reversed().map { e in SecurityLogRow(time: WebHTTP.time(e.at, tz: tz), type: e.type, critical: e.critical, techInfo: e.techInfo ?? "") }
    }
}

/// The System page's certificate card and its two forms, shared by the station's and the gateway's web interface.
struct CertificateCard {
    var kind: String
    var installed: Bool
    var fingerprint: String
    var subject: String
    var issuer: String
    var validFrom: String
    var validUntil: String
    var names: String
    /// The upload and the reset are the installer's.
    var mayChange: Bool
    var error: String?
    var changed: Bool

    static let uploadLimitBytes = 128 * 1024
    static let role = Role.installer

    init(_ status: WebCertificateStatus, session: WebAccounts.Session, t: [String: String], tz: TimeZoneRules, query: [String: String]) {
        installed = status.kind == "installed"
        kind = t[installed ? "sys.certInstalled" : "sys.certSelfSigned"] ?? status.kind
        fingerprint = status.fingerprintSHA256
        subject = status.subject
        issuer = status.issuer
        validFrom = WebHTTP.time(status.notValidBefore, tz: tz)
        validUntil = WebHTTP.time(status.notValidAfter, tz: tz)
        names = status.names.joined(separator: ", ")
        mayChange = session.role >= Self.role
        error = query["certError"]
        changed = query["certChanged"] != nil
    }

    /// `POST <prefix>/certificate` (multipart: the files `certificate`, `chain`, `privateKey`) and `POST
    /// <prefix>/certificate/reset`; both go back to `page` with the result.
    static func addRoutes(_ router: Router<WebRequestContext>, shell: WebShell, service: any WebCertificateService, page: String) {
        router.post("system/certificate") { request, _ in
            try await shell.withSession(request, upload: uploadLimitBytes) { session, form in
                guard session.role >= role else { return try await shell.forbidden(session, needs: role) }
                do throws(WebCertificateError) {
                    _ = try service.installCertificate(certificatePEM: form["certificate"] ?? "", chainPEM: form["chain"] ?? "",
                                                       keyPEM: form["privateKey"] ?? "", by: "web:\(session.account)")
                } catch {
                    let t = await shell.texts(session)
                    let field = error.field.flatMap { f in t["sys.certField" + f.prefix(1).uppercased() + f.dropFirst()] }.map { "\($0): " } ?? ""
                    return WebHTTP.redirect("\(page)?certError=\(WebHTTP.query(field + error.message))#s-certificate")
                }
                return WebHTTP.redirect("\(page)?certChanged=1#s-certificate")
            }
        }
        router.post("system/certificate/reset") { request, _ in
            try await shell.withSession(request, form: true) { session, _ in
                guard session.role >= role else { return try await shell.forbidden(session, needs: role) }
                do throws(WebCertificateError) {
                    _ = try service.resetCertificate(by: "web:\(session.account)")
                } catch {
                    return WebHTTP.redirect("\(page)?certError=\(WebHTTP.query(error.message))#s-certificate")
                }
                return WebHTTP.redirect("\(page)?certChanged=1#s-certificate")
            }
        }
    }
}
