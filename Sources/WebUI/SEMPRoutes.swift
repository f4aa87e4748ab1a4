import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import SEMP

/// What the SEMP listener reads from and hands to the station (the station runtime implements it).
public protocol SEMPSource: Sendable {
    /// The UPnP description, with `server` the address the manager reached this listener at; nil with the interface off.
    func sempDescription(server: String) async -> String?
    /// A poll: the `Device2EM` document (or one device's, for `DeviceId`), filtered to `part`; nil with the interface
    /// off or for an unknown device id.
    func sempDocument(deviceId: SEMPDeviceId?, part: SEMPPart) async -> String?
    /// An `EM2Device` body; throws why it was refused.
    func sempControl(_ body: [UInt8]) async throws(SEMPControlError)
}

/// Which elements of `Device2EM` a `GET` asks for.
public enum SEMPPart: String, Sendable, CaseIterable {
    case all = "", deviceInfo = "DeviceInfo", deviceStatus = "DeviceStatus", planningRequest = "PlanningRequest"
}

/// The SEMP listener's routes (SMA "SEMP Protocol Specification: Communication"): the UPnP description at
/// `/description.xml`, `GET /semp/` with every device's `Device2EM`, `GET /semp/DeviceInfo`, `/DeviceStatus`,
/// `/PlanningRequest` (each with an optional `?DeviceId=`), and `POST /semp/` with the manager's `EM2Device`.
/// The manager authenticates with nothing (SEMP has no authentication): the listener is off until the SMA interface
/// is switched on, serves nothing else, and accepts a control only for this station's device ids.
public enum SEMPRoutes {
    static let xmlType = "application/xml; charset=utf-8"
    /// A control is a few hundred bytes; the body is refused above this.
    static let maximumBodyBytes = 65_536

    public static func router(source: any SEMPSource, port: Int) -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.get("description.xml") { request, _ -> Response in
            let host = request.head.authority.flatMap { hostOnly($0) } ?? "127.0.0.1"
            guard let xml = await source.sempDescription(server: "http://\(host):\(port)") else { return off }
            return xmlResponse(xml)
        }
        do {  // Hummingbird matches "/semp" and "/semp/" alike
            router.get("semp") { request, _ in try await poll(request, part: .all, source: source) }
            router.post("semp") { request, _ -> Response in
                var request = request
                let buffer: ByteBuffer
                do { buffer = try await request.collectBody(upTo: maximumBodyBytes) } catch {
                    return text(.contentTooLarge, "EM2Device bodies are at most \(maximumBodyBytes) bytes")
                }
                do { try await source.sempControl(Array(buffer.readableBytesView)) } catch {
                    return text(.badRequest, "\(error)")
                }
                return Response(status: .ok)
            }
        }
        for part in SEMPPart.allCases where part != .all {
            router.get(RouterPath("semp/\(part.rawValue)")) { request, _ in try await poll(request, part: part, source: source) }
        }
        return router
    }

    private static func poll(_ request: Request, part: SEMPPart, source: any SEMPSource) async throws -> Response {
        var id: SEMPDeviceId?
        if let text = request.uri.queryParameters.get("DeviceId") {
            guard let parsed = SEMPDeviceId(text) else {
                return Self.text(.badRequest, "DeviceId must have the form X-XXXXXXXX-XXXXXXXXXXXX-XX (hex), got '\(text)'")
            }
            id = parsed
        }
        guard let xml = await source.sempDocument(deviceId: id, part: part) else {
            return id == nil ? off : Self.text(.notFound, "unknown DeviceId \(id!)")
        }
        return xmlResponse(xml)
    }

    private static var off: Response { text(.notFound, "the SMA interface is off") }

    private static func xmlResponse(_ xml: String) -> Response {
        Response(status: .ok, headers: [.contentType: xmlType, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: xml)))
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    /// The host of an `authority` ("10.0.0.2:8090", "[fe80::1]:8090") without its port.
    static func hostOnly(_ authority: String) -> String? {
        if authority.hasPrefix("[") { return authority.firstIndex(of: "]").map { String(authority[...$0]) } }
        let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return host.isEmpty ? nil : host
    }
}
