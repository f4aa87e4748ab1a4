import Foundation
import Mail
import NIOCore
import NIOPosix
import Testing
@testable import Transport

/// The SMTP client's bounds against servers that misbehave: one that never speaks ends at the time-out, one that sends an
/// endless line at the reply parser's limit — each a failure naming why, never a hang or a crash.
@Suite("SMTP client bounds")
struct SMTPClientTests {
    /// A TCP server on 127.0.0.1 that sends `greeting` to each client and then reads and ignores everything.
    final class Ignore: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let greeting: [UInt8]
        init(_ greeting: [UInt8]) { self.greeting = greeting }
        func channelActive(context: ChannelHandlerContext) {
            if !greeting.isEmpty { context.writeAndFlush(NIOAny(ByteBuffer(bytes: greeting)), promise: nil) }
        }
    }

    func server(greeting: [UInt8]) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(Ignore(greeting)) }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func send(to port: Int, timeoutSeconds: Double) async throws -> SMTPFailure? {
        var c = SMTPClientConfiguration(host: "127.0.0.1", port: port, security: .none, credentials: nil, caFile: nil)
        c.timeoutSeconds = timeoutSeconds
        let message = MailMessage(from: try MailAddress("s@example.org"), to: [try MailAddress("r@example.org")], subject: "s", body: "b",
                                  date: Date(), messageID: "x@y")
        do {
            _ = try await SMTPClient.send(message, recipients: message.to, configuration: c)
            return nil
        } catch {
            return error as? SMTPFailure
        }
    }

    @Test("rfc5321_4_5_3_2: a server that never answers ends at the time-out")
    func rfc5321_4_5_3_2_silentServerTimesOut() async throws {
        let silent = try await server(greeting: [])
        defer { silent.close(promise: nil) }
        let failure = try await send(to: silent.localAddress!.port!, timeoutSeconds: 1)
        #expect(failure?.step == "timeout")
        #expect(failure?.description == "timeout: the server did not finish within 1 s")
    }

    @Test("rfc5321_4_5_3_1_5: an endless reply line is refused at the parser's bound")
    func rfc5321_4_5_3_1_5_endlessLineRefused() async throws {
        let flood = try await server(greeting: Array("220 ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000))
        defer { flood.close(promise: nil) }
        let failure = try await send(to: flood.localAddress!.port!, timeoutSeconds: 10)
        #expect(failure?.step == "greeting")
        #expect(failure?.message == "a reply line is longer than \(SMTPReplyParser.maximumLineLength) octets")
    }

    @Test("nobody listening: connect fails with the address in the message")
    func connectionRefused() async throws {
        let closed = try await server(greeting: [])
        let port = closed.localAddress!.port!
        try await closed.close()
        let failure = try await send(to: port, timeoutSeconds: 5)
        #expect(failure?.step == "connect")
        #expect(failure?.message?.hasPrefix("cannot connect to 127.0.0.1:\(port)") == true)
    }
}
