#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import App
import Persistence
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 client for the CLI to talk to the station's local API on this machine.
/// It supports exactly what the API needs: one request per connection, JSON bodies, `Connection: close`.
public struct LocalHTTPClient: Sendable {
    public let host: String
    public let port: Int
    /// Sent as `Authorization: Bearer` (the station's API token from station.json).
    public let token: String?

    /// A response: status code and body.
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
    }

    public enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case protocolError(String)
        public var description: String {
            switch self {
            case .connect(let m): m
            case .protocolError(let m): "unexpected answer from the station: \(m)"
            }
        }
    }

    /// The API token for a station given by URL: `$CHARGEKIT_API_TOKEN`.
    public static var environmentToken: String? { ProcessInfo.processInfo.environment["CHARGEKIT_API_TOKEN"] }

    /// The client of the station that published `info` (its station.json): its address and API token.
    public init(_ info: DataDirectory.RuntimeInfo) throws { try self.init(baseURL: info.baseURL, token: info.apiToken) }

    public init(baseURL: String, token: String? = nil) throws {
        self.token = token
        guard let url = URL(string: baseURL), url.scheme == "http", let host = url.host else {
            throw Failure.connect("invalid station URL '\(baseURL)'; expected http://HOST:PORT")
        }
        self.host = host
        self.port = url.port ?? 80
    }

    /// Sends one request and returns the response.
    public func request(_ method: String, _ path: String, body: Data? = nil, timeoutSeconds: Int = 10) throws -> Response {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw Failure.connect("cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        var fd: Int32 = -1
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { break }
                close(fd); fd = -1
            }
            cursor = ai.pointee.ai_next
        }
        guard fd >= 0 else { throw Failure.connect("no station answers at http://\(host):\(port) (is 'chargekit station' running?)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: application/json\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Data(head.utf8)
        if let body { out.append(body) }
        try out.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
                guard n > 0 else { throw Failure.connect("connection to the station lost while sending") }
                sent += n
            }
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(contentsOf: buffer[0..<n]) } else { break }
        }
        return try Self.parse(received)
    }

    static func parse(_ data: Data) throws -> Response {
        guard let split = find(Array("\r\n\r\n".utf8), in: data, from: data.startIndex) else { throw Failure.protocolError("no HTTP header") }
        let header = String(decoding: data[..<split.lowerBound], as: UTF8.self)
        let lines = header.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.protocolError("bad status line") }
        var body = Data(data[split.upperBound...])
        let chunked = lines.contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked { body = try dechunk(body) }
        return Response(status: status, body: body)
    }

    /// Where `needle` first occurs in `data` at or after `start`.
    static func find(_ needle: [UInt8], in data: Data, from start: Data.Index) -> Range<Data.Index>? {
        guard !needle.isEmpty, data.endIndex - start >= needle.count else { return nil }
        var i = start
        while i <= data.endIndex - needle.count {
            if data[i] == needle[0], data[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }

    static func dechunk(_ data: Data) throws -> Data {
        var result = Data()
        var index = data.startIndex
        while index < data.endIndex {
            guard let lineEnd = find(Array("\r\n".utf8), in: data, from: index) else { throw Failure.protocolError("bad chunk") }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmedWhitespaceAndNewlines, radix: 16) else { throw Failure.protocolError("bad chunk size") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size else { throw Failure.protocolError("short chunk") }
            let end = data.index(start, offsetBy: size)
            result.append(data[start..<end])
            index = data.index(end, offsetBy: 2, limitedBy: data.endIndex) ?? data.endIndex
        }
        return result
    }
}
