import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore

/// The OpenAPI 3.1 description of the local API (issue 30 item 3): `Resources/openapi.json`, embedded in the binary
/// like the web interface's files and served at `/api/openapi.json`. It is the single reference of the API (docs/api.md
/// points to it); a test checks that it lists exactly the routes the router registers, and schemathesis fuzzes the
/// running station against it in the interop tests.
extension StationAPI {
    /// Where the document is served; public (no token), see ``APITokenMiddleware``.
    public static let openAPIPath = "/api/openapi.json"

    /// The document's text, as kept in the repository.
    public static var openAPIText: String { WebResources.file("openapi.json") }

    static func openAPIDocument() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: openAPIText)))
    }
}
