import FoundationEssentials
import Hummingbird
import ChargePoint

/// "Send test mail" as an API call (seeds/004 §4 "Melding per e-mail"; API parity with the Backend page's button):
/// the same ``StationService/sendTestMail()`` with the same role rule, answered with the server's reply.
extension StationAPI {
    /// The lowest role that may send a test mail: the one that may change the e-mail parameters.
    static let testMailRole = WebInterface.testMailRole

    static func addMailRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/mail/status") { _, _ in json(await station.mailStatus()) }
        router.post("api/mail/test") { request, _ in
            guard apiRole >= testMailRole else { return roleTooLow(testMailRole) }
            do { try await expectNoBody(request) } catch let e as BodyError { return e.response }
            return json(await station.sendTestMail())
        }
    }
}
