#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
@_spi(WSInternal) import WSCore

/// Why a connection attempt ended before the WebSocket was open.
public enum OCPPConnectError: Error, CustomStringConvertible, Equatable {
    case invalidURL(String)
    /// The backend did not switch protocols: the HTTP status it answered with (401 for a wrong password, 404 for an
    /// unknown identity or path, 5xx for a fault of its own), nil when the connection closed before a status line.
    case upgradeRefused(status: Int?, reasonPhrase: String?)
    /// The backend accepted the WebSocket without agreeing to `ocpp1.6` (OCPP-J §3.2: the client must close).
    case subprotocolRefused(String?)
    case proxyRefused(String)
    case handshakeTimeout

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid backend URL \(url)"
        case .upgradeRefused(let status?, let phrase):
            "the backend refused the WebSocket upgrade with HTTP \(status)\(phrase.map { " \($0)" } ?? "")\(Self.hint(status))"
        case .upgradeRefused(nil, _):
            "the backend closed the connection without answering the WebSocket upgrade (check the URL, the ChargeBoxIdentity and the AuthorizationKey)"
        case .subprotocolRefused(let answer):
            "the backend did not agree to subprotocol ocpp1.6 (answered \(answer.map { "'\($0)'" } ?? "without Sec-WebSocket-Protocol")); connection closed"
        case .proxyRefused(let status): "the proxy refused the tunnel: \(status)"
        case .handshakeTimeout: "no WebSocket handshake within the backend connection timeout"
        }
    }

    /// What an upgrade refusal's status most likely means, so that a wrong password (401) and a wrong URL (404) do not
    /// look the same in the log (RFC 9110 §15).
    static func hint(_ status: Int) -> String {
        switch status {
        case 401, 403: ": the identity or the password is not accepted"
        case 404: ": the URL or the identity is not known there"
        case 500...599: ": a fault on the backend's side"
        default: ""
        }
    }
}

/// One OCPP-J connection attempt on NIO: TCP (through an HTTP CONNECT proxy when configured), TLS with the
/// "SSL Strictness as client" level, and the WebSocket upgrade with subprotocol `ocpp1.6`, whose answer is checked
/// (OCPP-J 1.6 §3.2, RFC 6455 §4.1). The open WebSocket is then run by swift-websocket's frame handler (pings,
/// fragmentation, close handshake, UTF-8 validation).
struct OCPPClientChannel: Sendable {
    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        /// The answer's status line, once the response head has passed the upgrade handler (nil: none came).
        case notUpgraded(EventLoopFuture<HTTPResponseHead?>)
        case subprotocolRefused(String?)
    }

    struct Context: WebSocketContext { let logger: Logger }

    static let subprotocol = "ocpp1.6"

    let url: URL
    let settings: OCPPConnectionSettings
    let autoPing: AutoPingSetup
    let tls: ServerTrust?
    let logger: Logger

    init(settings: OCPPConnectionSettings, logger: Logger) throws {
        guard let url = URL(string: settings.url), let scheme = url.scheme?.lowercased(), ["ws", "wss"].contains(scheme),
              url.host != nil else { throw OCPPConnectError.invalidURL(settings.url) }
        self.url = url
        self.settings = settings
        self.autoPing = settings.pingInterval > .zero ? .enabled(timePeriod: settings.pingInterval) : .disabled
        self.tls = scheme == "wss" ? try ServerTrust(strictness: settings.tlsStrictness, material: settings.tls) : nil
        self.logger = logger
    }

    var host: String { url.host ?? "" }
    var port: Int { url.port ?? (tls == nil ? 80 : 443) }

    /// Connects, upgrades and runs `handler` on the open WebSocket; returns the backend's close frame, if any.
    func run(handler: @escaping WebSocketDataHandler<Context>) async throws -> WebSocketCloseFrame? {
        let proxy = OCPPWebSocketClient.proxyAddress(settings.proxy)
        let deadline = NIODeadline.now() + TimeAmount(settings.connectTimeout)
        let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: proxy?.host ?? host, port: proxy?.port ?? port) { channel in
                self.setup(channel: channel, throughProxy: proxy != nil, deadline: deadline)
            }
            .get()
        switch upgrade {
        case .websocket(let channel):
            return try await WebSocketHandler.handle(
                type: .client,
                configuration: .init(extensions: [], autoPing: autoPing, closeTimeout: .seconds(5), validateUTF8: true,
                                     maxFrameSize: settings.maxFrameSize),
                asyncChannel: channel, context: Context(logger: logger), handler: handler)
        case .notUpgraded(let head):
            let answer = try? await head.get()
            throw OCPPConnectError.upgradeRefused(status: answer.map { Int($0.status.code) }, reasonPhrase: answer?.status.reasonPhrase)
        case .subprotocolRefused(let answer):
            throw OCPPConnectError.subprotocolRefused(answer)
        }
    }

    private func setup(channel: any Channel, throughProxy: Bool, deadline: NIODeadline) -> EventLoopFuture<EventLoopFuture<Upgrade>> {
        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
            channel.pipeline.fireErrorCaught(OCPPConnectError.handshakeTimeout)
            channel.close(promise: nil)
        }
        let upgraded: EventLoopFuture<Upgrade>
        if throughProxy {
            let tunnel = channel.eventLoop.makePromise(of: Void.self)
            do {
                try channel.pipeline.syncOperations.addHandler(ProxyConnectHandler(host: host, port: port, opened: tunnel))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            upgraded = tunnel.futureResult.flatMapThrowing { try self.addWebSocketUpgrade(channel: channel) }.flatMap { $0 }
        } else {
            do {
                upgraded = try addWebSocketUpgrade(channel: channel)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        upgraded.whenComplete { _ in timeout.cancel() }
        // A channel closed before the upgrade (refused tunnel, TLS failure, timeout) fails the upgrade future.
        return channel.eventLoop.makeSucceededFuture(upgraded)
    }

    /// TLS (when wss://) and the HTTP upgrade request with `Sec-WebSocket-Protocol: ocpp1.6`.
    private func addWebSocketUpgrade(channel: any Channel) throws -> EventLoopFuture<Upgrade> {
        if let tls {
            try channel.pipeline.syncOperations.addHandler(try tls.handler(serverHostname: host), position: .first)
        }
        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: settings.maxFrameSize) { channel, head in
            channel.eventLoop.makeCompletedFuture {
                let agreed = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
                guard agreed == [Self.subprotocol] else {
                    channel.close(promise: nil)
                    return .subprotocolRefused(agreed.isEmpty ? nil : agreed.joined(separator: ", "))
                }
                return .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol)
        if let auth = settings.authorizationHeader { headers.add(name: "Authorization", value: auth) }
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        if let query = url.query(percentEncoded: true) { path += "?" + query }
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: .init(
            upgradeRequestHead: request, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                // The upgrade handler passes the refusing response on once this completes; the catcher reads its status
                // line and closes the connection.
                let head = channel.eventLoop.makePromise(of: HTTPResponseHead?.self)
                do {
                    try channel.pipeline.syncOperations.addHandler(RefusedUpgradeCatcher(head: head))
                } catch {
                    head.succeed(nil)
                    channel.close(promise: nil)
                }
                return channel.eventLoop.makeSucceededFuture(.notUpgraded(head.futureResult))
            }))
        configuration.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
    }
}

/// Reads the status line of a response that refused the WebSocket upgrade, then closes the connection.
final class RefusedUpgradeCatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    let head: EventLoopPromise<HTTPResponseHead?>
    private var done = false

    init(head: EventLoopPromise<HTTPResponseHead?>) { self.head = head }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done, case .head(let response) = unwrapInboundIn(data) else { return }
        finish(context: context, response)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context, nil)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { if !done { done = true; head.succeed(nil) } }

    private func finish(context: ChannelHandlerContext, _ response: HTTPResponseHead?) {
        guard !done else { return }
        done = true
        head.succeed(response)
        context.close(promise: nil)
    }
}

/// Opens a tunnel through an HTTP proxy with `CONNECT host:port` (RFC 9110 §9.3.6, seeds/004 §4 "Websockets proxy"),
/// then removes itself so TLS and the WebSocket upgrade run through the tunnel.
final class ProxyConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let host: String
    let port: Int
    let opened: EventLoopPromise<Void>
    private var response = ByteBuffer()
    private var done = false

    init(host: String, port: Int, opened: EventLoopPromise<Void>) {
        self.host = host; self.port = port; self.opened = opened
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendConnect(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendConnect(context: context)
        context.fireChannelActive()
    }

    private func sendConnect(context: ChannelHandlerContext) {
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let request = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return context.fireChannelRead(data) }
        var chunk = unwrapInboundIn(data)
        response.writeBuffer(&chunk)
        let bytes = response.readableBytesView
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            if response.readableBytes > 16_384 { fail(context: context, "response head too large") }
            return
        }
        let head = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].hasPrefix("2") else {
            return fail(context: context, statusLine)
        }
        done = true
        response.moveReaderIndex(to: end.upperBound)
        let rest = response
        opened.succeed()
        if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { done = true; opened.fail(OCPPConnectError.proxyRefused("connection closed")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done { done = true; opened.fail(error) }
        context.fireErrorCaught(error)
    }

    private func fail(context: ChannelHandlerContext, _ status: String) {
        done = true
        opened.fail(OCPPConnectError.proxyRefused(status))
        context.close(promise: nil)
    }
}
