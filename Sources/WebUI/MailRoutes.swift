import Foundation
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
            // No body is needed; one that is sent must be a JSON object (as every POST of the API reads one).
            var request = request
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: maximumBodyBytes) } catch {
                return StationAPI.error(.contentTooLarge, "request body larger than \(maximumBodyBytes) bytes")
            }
            if buffer.readableBytes > 0,
               !((try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) is [String: Any]) {
                return error(.badRequest, "the request body must be a JSON object, or empty", field: "body")
            }
            return json(await station.sendTestMail())
        }
    }
}
