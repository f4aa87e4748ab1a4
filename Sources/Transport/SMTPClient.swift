#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Mail
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how the station sends mail.
public struct SMTPClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var security: SMTPSecurity
    public var credentials: SMTPDialogue.Credentials?
    /// A PEM bundle of trusted CAs (a self-signed server's certificate); nil: CHARGEKIT_CA_FILE, else the system's store.
    public var caFile: String?
    public var connectTimeoutSeconds: Int64 = 10
    /// The whole transaction, from connecting to QUIT (RFC 5321 §4.5.3.2 allows minutes per command; an alert that
    /// cannot go in a minute is tried again later instead).
    public var timeoutSeconds: Double = 60

    public init(host: String, port: Int, security: SMTPSecurity, credentials: SMTPDialogue.Credentials?, caFile: String?) {
        self.host = host; self.port = port; self.security = security; self.credentials = credentials; self.caFile = caFile
    }
}

/// The SMTP client on SwiftNIO: a TCP connection (TLS from the start, or upgraded by STARTTLS) driven by the pure
/// ``SMTPDialogue``; replies are split by the bounded ``SMTPReplyParser``.
///
/// TLS is TLS 1.2 or later with full verification of the server — a chain to a trusted CA, the host name, the validity
/// period — against the system's trust store, or the PEM file the installer names for a server with a self-signed
/// certificate (RFC 8314 §4.5 asks a client to check the certificate; a CA file keeps that check for private servers
/// instead of turning it off). After STARTTLS, bytes the server sent before the handshake end the conversation (RFC
/// 3207 §4.2: they could be an attacker's). The credentials never appear in an error or a log.
public enum SMTPClient {
    /// Sends `message` to `recipients`; returns the server's reply to the end of DATA. Throws ``SMTPFailure``.
    public static func send(_ message: MailMessage, recipients: [MailAddress], configuration c: SMTPClientConfiguration) async throws -> SMTPReply {
        let trust: ServerTrust?
        do {
            trust = c.security == .none ? nil
                : try ServerTrust(strictness: .normal, caFile: c.caFile ?? ProcessInfo.processInfo.environment["CHARGEKIT_CA_FILE"])
        } catch {
            throw SMTPFailure(step: "TLS", reply: nil, message: "the trusted CA file cannot be used (\(error))")
        }
        let host = c.host
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(c.connectTimeoutSeconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: c.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if c.security == .tls, let trust {
                            try channel.pipeline.syncOperations.addHandler(try trust.handler(serverHostname: host))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPFailure(step: "connect", reply: nil, message: "cannot connect to \(host):\(c.port) (\(error))")
        }
        let clientName = Self.clientName(channel.channel.localAddress)
        let dialogue = SMTPDialogue(clientName: clientName, security: c.security, credentials: c.credentials, from: message.from,
                                    recipients: recipients, message: message.rendered())
        let timeout = c.timeoutSeconds
        return try await withThrowingTaskGroup(of: SMTPReply?.self) { group in
            group.addTask {
                try await converse(channel, dialogue, trust: trust, host: host)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                return nil
            }
            defer { group.cancelAll(); channel.channel.close(promise: nil) }
            do {
                guard let first = try await group.next(), let reply = first else {
                    throw SMTPFailure(step: "timeout", reply: nil, message: "the server did not finish within \(Int(timeout)) s")
                }
                return reply
            } catch let f as SMTPFailure {
                throw f
            } catch {
                throw SMTPFailure(step: "connection", reply: nil, message: "\(error)")
            }
        }
    }

    /// EHLO's argument: the address literal of the station's end of the connection (RFC 5321 §4.1.4, §4.1.3), as a
    /// station rarely has a host name its mail server could resolve.
    static func clientName(_ address: SocketAddress?) -> String {
        guard let ip = address?.ipAddress else { return "[127.0.0.1]" }
        return ip.contains(":") ? "[IPv6:\(ip)]" : "[\(ip)]"
    }

    static func converse(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ start: SMTPDialogue, trust: ServerTrust?,
                         host: String) async throws -> SMTPReply {
        var dialogue = start
        var parser = SMTPReplyParser()
        var delivered: SMTPReply?
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var pending: [SMTPDialogue.Action] = []
            while true {
                while !pending.isEmpty {
                    switch pending.removeFirst() {
                    case .send(let bytes):
                        try await outbound.write(ByteBuffer(bytes: bytes))
                    case .startTLS:
                        guard !parser.hasBufferedBytes else {
                            throw SMTPFailure(step: "STARTTLS", reply: nil, message: "the server sent data before the TLS handshake")
                        }
                        guard let trust else { throw SMTPFailure(step: "STARTTLS", reply: nil, message: "no TLS configuration") }
                        do {
                            let c = channel.channel
                            try await c.eventLoop.submit {
                                try c.pipeline.syncOperations.addHandler(try trust.handler(serverHostname: host), position: .first)
                            }.get()
                        } catch {
                            throw SMTPFailure(step: "STARTTLS", reply: nil, message: "the TLS handshake cannot start (\(error))")
                        }
                        // NIOSSL holds the next command until the handshake is done; a failed handshake ends the reads.
                        pending += dialogue.tlsEstablished()
                    case .delivered(let reply):
                        delivered = reply
                    case .failed(let failure):
                        // Say QUIT politely, but the failure is the answer.
                        for case .send(let bytes) in pending { try? await outbound.write(ByteBuffer(bytes: bytes)) }
                        throw failure
                    case .close:
                        if let delivered { return delivered }
                        throw SMTPFailure(step: "QUIT", reply: nil, message: "the conversation ended without a delivery")
                    }
                }
                let buffer: ByteBuffer?
                do {
                    buffer = try await iterator.next()
                } catch {
                    if let delivered { return delivered }
                    throw SMTPFailure(step: Self.step(dialogue), reply: nil, message: "\(error)")
                }
                guard let buffer else {
                    // The server closed after the 250 to DATA without waiting for QUIT: the mail is still its.
                    if let delivered { return delivered }
                    throw SMTPFailure(step: Self.step(dialogue), reply: nil, message: "the server closed the connection")
                }
                let replies: [SMTPReply]
                do { replies = try parser.feed(Array(buffer: buffer)) } catch {
                    throw SMTPFailure(step: Self.step(dialogue), reply: nil, message: "\(error)")
                }
                for reply in replies { pending += dialogue.received(reply) }
            }
        }
    }

    /// The step for a failure without a reply; before the greeting of an implicit TLS connection it is the handshake
    /// (a certificate the station does not trust ends it there).
    static func step(_ d: SMTPDialogue) -> String {
        d.stepName == "greeting" && d.security == .tls ? "TLS handshake" : d.stepName
    }
}
