import Foundation
import Hummingbird
import ChargePoint

/// "Send test mail" as an API call (seeds/004 §4 "Melding per e-mail"; API parity with the Backend page's button):
/// the same ``StationService/sendTestMail()`` with the same role rule, answered with the server's reply.
extension StationAPI {
    /// The lowest role that may send a test mail: the one that may change the e-mail parameters.
    static let testMailRole = WebInterface.testMailRole

    static func addMailRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.post("api/mail/test") { _, _ in
            guard apiRole >= testMailRole else { return roleTooLow(testMailRole) }
            return json(await station.sendTestMail())
        }
    }
}
