import FoundationEssentials
import Hummingbird
import HTTPTypes
import MetricsExporter

/// `GET /metrics`: the station's or the gateway's Prometheus metrics (issue 30 item 1), outside `/api/` because
/// Prometheus scrapes with a token of its own (the station's parameter `MetricsToken`, the gateway's setting
/// `metricsToken`), never the local API's (``MetricsAccess``). Off (404) until metrics are switched on and a token is
/// set; a missing or wrong token answers 401.
enum MetricsRoute {
    /// The content type of Prometheus' text exposition format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func add(to router: Router<WebRequestContext>, source: any MetricsSource) {
        router.get("metrics") { request, _ -> Response in
            switch await source.metricsAccess().decide(authorization: request.headers[.authorization]) {
            case .off:
                return StationAPI.error(.notFound, "metrics are off: switch metrics on and set a metrics token to serve them")
            case .unauthorized:
                var r = StationAPI.error(.unauthorized, "missing or wrong metrics token: send 'Authorization: Bearer <MetricsToken>'")
                r.headers[.wwwAuthenticate] = "Bearer"
                return r
            case .allowed:
                let text = await source.metricsExposition()
                return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
        }
    }
}
