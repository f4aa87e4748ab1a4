import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint

/// The certificate of the HTTPS web interface and API as the System page and the API see it (issue 23 item 2): which
/// one is in use, its fingerprint, and the installer's upload and reset. Implemented by the runtimes
/// (`WebServerCertificates`), which check an upload in PKI before anything is stored and then serve it from the next
/// connection on; the station's and the gateway's web interfaces share it.
public protocol WebCertificateService: Sendable {
    func certificateStatus() -> WebCertificateStatus
    /// Checks, stores and serves the installer's certificate; throws with the field and the reason when it is refused
    /// (nothing changes then).
    func installCertificate(certificatePEM: String, chainPEM: String, keyPEM: String, by user: String) throws(WebCertificateError) -> WebCertificateStatus
    /// Back to the device's own self-signed certificate.
    func resetCertificate(by user: String) throws(WebCertificateError) -> WebCertificateStatus
}

/// The certificate in use.
public struct WebCertificateStatus: Codable, Sendable, Equatable {
    /// `self-signed` (made by the device) or `installed` (uploaded by the installer).
    public var kind: String
    public var subject: String
    public var issuer: String
    public var notValidBefore: Date
    public var notValidAfter: Date
    /// SHA-256 over the certificate's DER, upper-case hex with colons, as browsers show it.
    public var fingerprintSHA256: String
    /// The DNS names and IP addresses it is valid for.
    public var names: [String]

    public init(kind: String, subject: String, issuer: String, notValidBefore: Date, notValidAfter: Date, fingerprintSHA256: String, names: [String]) {
        self.kind = kind; self.subject = subject; self.issuer = issuer; self.notValidBefore = notValidBefore; self.notValidAfter = notValidAfter
        self.fingerprintSHA256 = fingerprintSHA256; self.names = names
    }
}

/// Why an upload was refused: the form field (`certificate`, `chain`, `privateKey`) and the reason.
public struct WebCertificateError: Error, Sendable, CustomStringConvertible {
    public var field: String?
    public var message: String
    public init(field: String?, _ message: String) { self.field = field; self.message = message }
    public var description: String { message }
}

/// The API's certificate endpoints, the same for the station and the gateway: `GET`, `PUT` and `DELETE
/// /api/system/certificate`. The token acts as installer, the role the System page's upload needs.
enum CertificateAPI {
    static let maxBodyBytes = 64 * 1024

    static func addRoutes(_ router: Router<WebRequestContext>, _ service: any WebCertificateService, by user: String) {
        router.get("api/system/certificate") { _, _ in StationAPI.json(service.certificateStatus()) }
        router.put("api/system/certificate") { request, _ in
            struct Body: Decodable { var certificate: String; var chain: String?; var privateKey: String }
            var request = request
            guard let buffer = try? await request.collectBody(upTo: maxBodyBytes) else {
                return StationAPI.error(.contentTooLarge, "the body has more than \(maxBodyBytes) bytes")
            }
            let body: Body
            do { body = try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)) } catch {
                return StationAPI.error(.badRequest, "the body must be JSON with certificate and privateKey (PEM text) and optionally chain",
                                        field: missingField(error))
            }
            do throws(WebCertificateError) {
                return StationAPI.json(try service.installCertificate(certificatePEM: body.certificate, chainPEM: body.chain ?? "",
                                                                      keyPEM: body.privateKey, by: user))
            } catch {
                return StationAPI.error(.badRequest, error.message, field: error.field)
            }
        }
        router.delete("api/system/certificate") { _, _ in
            do throws(WebCertificateError) {
                return StationAPI.json(try service.resetCertificate(by: user))
            } catch {
                return StationAPI.error(.internalServerError, error.message)
            }
        }
    }

    static func missingField(_ error: any Error) -> String? {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context): context.codingPath.first?.stringValue
        default: nil
        }
    }
}
