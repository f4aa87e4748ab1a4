import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SwiftASN1
import Testing
@testable import Transport
import V2G
import X509

/// The SECC's TLS server (Plug & Charge, ISO 15118-2:2014 §7.7.4) on ::1: a vehicle that offers only the standard's
/// cipher suite (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, [V2G2-603]) and trusts the V2G root gets its answer, and the
/// handler learns that the connection is secure; a vehicle trusting another root does not get through.
@Suite("ISO 15118 V2GTP server with TLS")
struct V2GTLSTests {
    struct Recorder: V2GSessionHandler {
        let opened: AsyncStream<V2GPeer>.Continuation
        var handled: AsyncStream<V2GPeer>.Continuation?
        func sessionOpened(_ peer: V2GPeer) async { opened.yield(peer) }
        func handle(_ frame: V2GTPFrame, from peer: V2GPeer) async -> V2GSessionReply {
            handled?.yield(peer)
            return .respond(V2GTPFrame(payloadType: frame.payloadType, payload: frame.payload.reversed()), completesSetup: true)
        }
        func sessionClosed(_ peer: V2GPeer, reason: V2GCloseReason) async {}
    }

    /// A V2G root and a SECC leaf signed by it, P-256.
    static func pki() throws -> (root: Certificate, chainPEM: String, keyPEM: String) {
        let rootKey = P256.Signing.PrivateKey(), leafKey = P256.Signing.PrivateKey()
        let rootName = try DistinguishedName { CommonName("V2GRootCA") }
        let now = Date()
        let root = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey), notValidBefore: now - 3600,
                                   notValidAfter: now + 86_400, issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
                                   issuerPrivateKey: .init(rootKey))
        let leaf = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey), notValidBefore: now - 3600,
                                   notValidAfter: now + 86_400, issuer: rootName, subject: try DistinguishedName { CommonName("SECCCert") },
                                   signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions {}, issuerPrivateKey: .init(rootKey))
        return (root, try leaf.serializeAsPEM().pemString, leafKey.pemRepresentation)
    }

    func exchange(port: UInt16, trusting root: Certificate, version: TLSVersion = .tlsv12) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.maximumTLSVersion = version
        if version == .tlsv12 { tls.cipherSuites = "ECDHE-ECDSA-AES128-SHA256" }
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: try root.serializeAsPEM().derBytes, format: .der)])
        tls.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: tls)
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "::1", port: Int(port)) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        var received: [UInt8] = []
        try await client.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: V2GTPFrame(payloadType: .exi, payload: [0x80, 1, 2]).bytes))
            for try await buffer in inbound {
                received += buffer.readableBytesView
                if received.count >= 11 { break }
            }
        }
        return received
    }

    @Test("the standard's cipher suite over TLS 1.2, the vehicle trusting the V2G root: answered, and the peer is secure")
    func handshake() async throws {
        let pki = try Self.pki()
        let context = try V2GTLS.serverContext(certificateChainPEM: pki.chainPEM, privateKeyPEM: pki.keyPEM)
        let server = try await V2GTPServer.bind(address: V2GTPServerTests.loopback, port: nil, limits: .standard, maximumPayloadBytes: 1024,
                                                tls: context, logger: Logger(label: "test"))
        #expect(server.secure)
        let (opened, continuation) = AsyncStream.makeStream(of: V2GPeer.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve(handler: Recorder(opened: continuation), events: { _ in }) }
            #expect(try await exchange(port: server.port, trusting: pki.root) == V2GTPFrame(payloadType: .exi, payload: [2, 1, 0x80]).bytes)
            var peers = opened.makeAsyncIterator()
            #expect(await peers.next()?.secure == true)
            let stranger = try Self.pki().root
            await #expect(throws: (any Error).self) { try await exchange(port: server.port, trusting: stranger) }
            group.cancelAll()
        }
    }

    @Test("the handler learns the version each connection agreed: TLS 1.2 or TLS 1.3 (ISO 15118-20 needs 1.3)")
    func version() async throws {
        let pki = try Self.pki()
        let context = try V2GTLS.serverContext(certificateChainPEM: pki.chainPEM, privateKeyPEM: pki.keyPEM)
        for (version, name) in [(TLSVersion.tlsv12, "TLS 1.2"), (.tlsv13, "TLS 1.3")] {
            // A server per version: each serves one vehicle connection at a time.
            let server = try await V2GTPServer.bind(address: V2GTPServerTests.loopback, port: nil, limits: .standard, maximumPayloadBytes: 1024,
                                                    tls: context, logger: Logger(label: "test"))
            let (opened, openedContinuation) = AsyncStream.makeStream(of: V2GPeer.self)
            let (handled, handledContinuation) = AsyncStream.makeStream(of: V2GPeer.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve(handler: Recorder(opened: openedContinuation, handled: handledContinuation), events: { _ in }) }
                _ = try await exchange(port: server.port, trusting: pki.root, version: version)
                var peers = handled.makeAsyncIterator()
                #expect(await peers.next()?.tlsVersion == name)
                var first = opened.makeAsyncIterator()
                #expect(await first.next()?.tlsVersion == nil, "the version is known from the first message on")
                group.cancelAll()
            }
        }
    }

    @Test("the plain and the TLS server of a connector share its one vehicle connection: a second one on the other is refused")
    func oneConnectionAcrossBoth() async throws {
        let pki = try Self.pki()
        let context = try V2GTLS.serverContext(certificateChainPEM: pki.chainPEM, privateKeyPEM: pki.keyPEM)
        let plain = try await V2GTPServer.bind(address: V2GTPServerTests.loopback, port: nil, limits: .standard, maximumPayloadBytes: 1024,
                                               logger: Logger(label: "test"))
        let secure = try await V2GTPServer.bind(address: V2GTPServerTests.loopback, port: nil, limits: .standard, maximumPayloadBytes: 1024,
                                                tls: context, logger: Logger(label: "test"))
        let (opened, continuation) = AsyncStream.makeStream(of: V2GPeer.self)
        let busy = NIOLockedValueBox(false)
        let refused = NIOLockedValueBox(0)
        let events: @Sendable (V2GTransportEvent) -> Void = { if case .connectionRefused = $0 { refused.withLockedValue { $0 += 1 } } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await plain.serve(handler: Recorder(opened: continuation), events: events, busy: busy) }
            group.addTask { try await secure.serve(handler: Recorder(opened: continuation), events: events, busy: busy) }
            let first = try await V2GTPServerTests().connect(plain.port)
            var peers = opened.makeAsyncIterator()
            #expect(await peers.next()?.secure == false)
            // The second connection is closed at once: the handshake fails or the stream ends without an answer.
            let answer = try? await exchange(port: secure.port, trusting: pki.root)
            #expect(answer == nil || answer == [], "no answer on the second server")
            #expect(refused.withLockedValue { $0 } == 1)
            try await first.channel.close()
            group.cancelAll()
        }
    }

    @Test("a key that does not fit or is not PEM is a start-up error that never quotes the key")
    func badCredential() throws {
        let pki = try Self.pki(), other = try Self.pki()
        #expect(throws: V2GStartError.self) { try V2GTLS.serverContext(certificateChainPEM: pki.chainPEM, privateKeyPEM: other.keyPEM) }
        do { _ = try V2GTLS.serverContext(certificateChainPEM: pki.chainPEM, privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nsecret\n") } catch {
            #expect(!"\(error)".contains("secret"))
        }
        #expect(throws: V2GStartError.self) { try V2GTLS.serverContext(certificateChainPEM: "no", privateKeyPEM: pki.keyPEM) }
    }
}
