#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
import SystemPackage
import Firmware
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Why a file transfer failed, in words an operator can act on.
public struct FileTransferError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Downloads and uploads single files over FTP (passive mode, binary, resume of partial downloads) and HTTP(S)
/// (GET to download, PUT to upload, as `curl -T` does). User and password come from the URL
/// (`ftp://user:password@host:port/path`, `https://user:password@host/path` → Basic authentication).
///
/// - SeeAlso: OCPP 1.6 §5.9 GetDiagnostics, §5.19 UpdateFirmware, §9.1.30 SupportedFileTransferProtocols;
///   RFC 959 (FTP), RFC 2428 (EPSV), RFC 3659 (REST for STREAM mode).
public struct FileTransfer: Sendable {
    /// The protocols SupportedFileTransferProtocols lists.
    public static var supportedSchemes: [String] { FirmwareManagement.transferSchemes.sorted() }

    public var timeout: Duration
    public var group: any EventLoopGroup

    public init(timeout: Duration = .seconds(60), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.timeout = timeout; self.group = group
    }

    /// Downloads `url` into `file`. A partial file left by an earlier FTP attempt is resumed (REST).
    public func download(_ url: URL, to file: String) async throws {
        try await withTimeout {
            switch url.scheme?.lowercased() {
            case "ftp": try await FTPSession.open(url, group: group).download(url.path, to: file)
            case "http", "https": try await HTTPTransfer(url: url, group: group).download(to: file)
            default: throw FileTransferError("unsupported protocol '\(url.scheme ?? "")' (supported: \(Self.supportedSchemes.joined(separator: ", ")))")
            }
        }
    }

    /// Uploads `file` to `url` (for FTP and a location ending in '/', the file's name is appended).
    public func upload(_ file: String, to url: URL) async throws {
        try await withTimeout {
            switch url.scheme?.lowercased() {
            case "ftp":
                var path = url.path
                if path.isEmpty || url.absoluteString.hasSuffix("/") { path += (path.hasSuffix("/") ? "" : "/") + file.pathLastComponent }
                try await FTPSession.open(url, group: group).upload(file, to: path)
            case "http", "https":
                var target = url
                if url.absoluteString.hasSuffix("/") { target = url.appendingPathComponent(file.pathLastComponent) }
                try await HTTPTransfer(url: target, group: group).upload(file)
            default: throw FileTransferError("unsupported protocol '\(url.scheme ?? "")' (supported: \(Self.supportedSchemes.joined(separator: ", ")))")
            }
        }
    }

    private func withTimeout(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let limit = timeout
        try await withThrowingTaskGroup(of: Void.self) { g in
            g.addTask { try await body() }
            g.addTask {
                try await Task.sleep(for: limit)
                throw FileTransferError("no answer within \(limit.components.seconds) s")
            }
            try await g.next()
            g.cancelAll()
        }
    }
}

// MARK: FTP

/// One FTP control connection (RFC 959), logged in, in binary mode.
private struct FTPSession {
    let host: String
    let group: any EventLoopGroup
    let control: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// The URL's user and password; anonymous login without them.
    let user: String
    let password: String

    static func open(_ url: URL, group: any EventLoopGroup) async throws -> FTPSession {
        guard let host = url.host, !host.isEmpty else { throw FileTransferError("the FTP URL has no host") }
        let channel = try await connect(host: host, port: url.port ?? 21, group: group)
        let user = url.user(percentEncoded: false) ?? "anonymous"
        let password = url.password(percentEncoded: false) ?? "chargekit@"
        return FTPSession(host: host, group: group, control: channel, user: user, password: password)
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            throw FileTransferError("cannot connect to \(host):\(port): \(error)")
        }
    }

    func download(_ path: String, to file: String) async throws {
        try await run { c in
            let existing = SystemFile.regularFile(file)?.bytes ?? 0
            let data = try await c.passive()
            var append = false
            if existing > 0, (try? await c.expect("REST \(existing)", 350)) != nil { append = true }
            let handle = try Self.openForWriting(file, append: append)
            defer { try? handle.close() }
            try await data.executeThenClose { inbound, _ in
                _ = try await c.expect("RETR \(path)", 125, 150)
                for try await chunk in inbound { _ = try handle.writeAll(chunk.readableBytesView) }
            }
            _ = try await c.reply(expecting: [226, 250])
        }
    }

    func upload(_ file: String, to path: String) async throws {
        guard let bytes = FileManager.default.contents(atPath: file) else { throw FileTransferError("cannot read \(file)") }
        try await run { c in
            let data = try await c.passive()
            try await data.executeThenClose { _, outbound in
                _ = try await c.expect("STOR \(path)", 125, 150)
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + 64 * 1024)
                    try await outbound.write(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                }
                outbound.finish()
            }
            _ = try await c.reply(expecting: [226, 250])
        }
    }

    static func openForWriting(_ file: String, append: Bool) throws -> SystemPackage.FileDescriptor {
        do {
            return try SystemPackage.FileDescriptor.open(file, .writeOnly, options: append ? [.create, .append] : [.create, .truncate],
                                           permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch { throw FileTransferError("cannot create \(file): \(error)") }
    }

    /// Logs in, switches to binary mode, runs `body`, and quits.
    private func run(_ body: (FTPControl) async throws -> Void) async throws {
        try await control.executeThenClose { inbound, outbound in
            let c = FTPControl(host: host, group: group, inbound: inbound.makeAsyncIterator(), outbound: outbound)
            _ = try await c.reply(expecting: [220])
            try await c.login(user: user, password: password)
            _ = try await c.expect("TYPE I", 200)
            try await body(c)
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
        }
    }
}

/// Reads FTP replies and sends commands on the control connection.
private final class FTPControl {
    let host: String
    let group: any EventLoopGroup
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var pending = ""

    init(host: String, group: any EventLoopGroup, inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.host = host; self.group = group; self.inbound = inbound; self.outbound = outbound
    }

    func line() async throws -> String {
        while true {
            // "\r\n" is one Character (a grapheme cluster) in Swift: both line ends are found by one search.
            if let end = pending.firstIndex(where: { $0 == "\r\n" || $0 == "\n" }) {
                let l = String(pending[..<end])
                pending.removeSubrange(...end)
                return l
            }
            guard let chunk = try await inbound.next() else { throw FileTransferError("the FTP server closed the connection") }
            pending += String(decoding: chunk.readableBytesView, as: UTF8.self)
        }
    }

    /// One reply; multi-line replies ("123-…" up to "123 …") are joined.
    func reply(expecting codes: [Int]? = nil) async throws -> (code: Int, text: String) {
        let first = try await line()
        guard first.count >= 3, let code = Int(first.prefix(3)) else { throw FileTransferError("not an FTP reply: \(first.prefix(80))") }
        var text = String(first.dropFirst(4))
        if first.dropFirst(3).first == "-" {
            while true {
                let l = try await line()
                text += "\n" + l
                if l.hasPrefix("\(code) ") { break }
            }
        }
        if let codes, !codes.contains(code) { throw FileTransferError("FTP server answered \(code) \(text)") }
        return (code, text)
    }

    func expect(_ command: String, _ codes: Int...) async throws -> (code: Int, text: String) {
        try await outbound.write(ByteBuffer(string: command + "\r\n"))
        return try await reply(expecting: codes)
    }

    func login(user: String, password: String) async throws {
        let r = try await expect("USER \(user)", 230, 331)
        if r.code == 331 { _ = try await expect("PASS \(password)", 230, 202) }
    }

    /// Opens a passive data connection: EPSV (RFC 2428), else PASV. The data connection goes to the control
    /// host (the address in a PASV answer is often a private one behind NAT).
    func passive() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        var port: Int?
        if let r = try? await expect("EPSV", 229), let open = r.text.firstIndex(of: "("), let close = r.text.lastIndex(of: ")") {
            port = Int(r.text[r.text.index(after: open)..<close].split(separator: "|", omittingEmptySubsequences: true).first ?? "")
        }
        if port == nil {
            let r = try await expect("PASV", 227)
            let digits = r.text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard digits.count >= 7 else { throw FileTransferError("cannot read the PASV answer: \(r.text)") }
            let n = digits.suffix(6)
            port = n[n.startIndex + 4] * 256 + n[n.startIndex + 5]
        }
        guard let port else { throw FileTransferError("the FTP server offered no data port") }
        return try await FTPSession.connect(host: host, port: port, group: group)
    }
}

// MARK: HTTP

/// One HTTP/1.1 request over a fresh connection (TLS for https, with certificate verification).
///
/// The whole request (head, body, end) is handed to the channel in one write, and the server's answer decides the
/// outcome. A server that closes the connection after its answer (HTTP/1.0, or `Connection: close` as sent here;
/// RFC 9112 §9.6) may do so as soon as it has read what it needs; a part written after that fails with "I/O on closed
/// channel". Written part by part, with that error taken as the transfer's, about one HTTP download in 200 failed on a
/// loaded machine although its answer had come complete.
private struct HTTPTransfer {
    let url: URL
    let group: any EventLoopGroup

    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    func connect() async throws -> Channel {
        guard let host = url.host, !host.isEmpty else { throw FileTransferError("the URL has no host") }
        let tls = url.scheme?.lowercased() == "https"
        let port = url.port ?? (tls ? 443 : 80)
        let sslContext = tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Channel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw FileTransferError("cannot connect to \(host):\(port): \(error)")
        }
    }

    func head(_ method: HTTPMethod, contentLength: Int?) -> HTTPRequestHead {
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? ""))
        headers.add(name: "User-Agent", value: "ChargeKit")
        headers.add(name: "Connection", value: "close")
        if let user = url.user(percentEncoded: false) {
            let credentials = "\(user):\(url.password(percentEncoded: false) ?? "")"
            headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        }
        if let contentLength { headers.add(name: "Content-Length", value: String(contentLength)) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }

    func download(to file: String) async throws {
        let handle = try FTPSession.openForWriting(file, append: false)
        defer { try? handle.close() }
        try await exchange([.head(head(.GET, contentLength: nil)), .end(nil)]) { part in
            switch part {
            case .head(let h): try requireSuccess(h)
            case .body(let b): _ = try handle.writeAll(b.readableBytesView)
            case .end: break
            }
        }
    }

    func upload(_ file: String) async throws {
        guard let bytes = FileManager.default.contents(atPath: file) else { throw FileTransferError("cannot read \(file)") }
        let request: [HTTPClientRequestPart] = [.head(head(.PUT, contentLength: bytes.count)), .body(.byteBuffer(ByteBuffer(bytes: bytes))), .end(nil)]
        try await exchange(request) { part in
            if case .head(let h) = part { try requireSuccess(h) }
        }
    }

    func requireSuccess(_ h: HTTPResponseHead) throws {
        guard h.status.code / 100 == 2 else { throw FileTransferError("HTTP \(h.status.code) \(h.status.reasonPhrase) for \(url.path)") }
    }

    /// Sends `request` in one write and hands the answer's parts to `receive` up to the answer's end. A write that
    /// failed because the server had already answered and closed does not fail the transfer: the answer decides, and
    /// the write's error is reported only when no complete answer came.
    func exchange(_ request: [HTTPClientRequestPart], receive: (HTTPClientResponsePart) throws -> Void) async throws {
        try await connect().executeThenClose { inbound, outbound in
            var writeError: (any Error)?
            do { try await outbound.write(contentsOf: request) } catch { writeError = error }
            var answered = false
            for try await part in inbound {
                try receive(part)
                if case .head = part { answered = true }
                if case .end = part { return }
            }
            if let writeError { throw FileTransferError("sending the request failed: \(writeError)") }
            throw FileTransferError(answered ? "the server closed the connection before the end of its answer"
                                             : "the server closed the connection without an answer")
        }
    }
}
