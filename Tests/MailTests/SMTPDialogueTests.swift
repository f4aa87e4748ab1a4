import Foundation
import Testing
@testable import Mail

/// The SMTP conversation (RFC 5321), STARTTLS (RFC 3207), AUTH (RFC 4954) and reply parsing, as transcripts: replies in,
/// commands out.
@Suite struct SMTPDialogueTests {
    static let message = Array("Subject: x\r\n\r\nbody\r\n".utf8)

    func dialogue(_ security: SMTPSecurity, user: String? = "u", recipients: [String] = ["r@example.org"]) throws -> SMTPDialogue {
        SMTPDialogue(clientName: "station.local", security: security, credentials: user.map { .init(user: $0, password: "pw") },
                     from: try MailAddress("s@example.org"), recipients: try recipients.map { try MailAddress($0) }, message: Self.message)
    }

    func r(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? [""] : lines) }

    func sent(_ actions: [SMTPDialogue.Action]) -> [String] {
        actions.compactMap { if case .send(let b) = $0 { String(decoding: b, as: UTF8.self) } else { nil } }
    }

    @Test func rfc3207_startTLSThenEHLOAgainThenAuthPlain() throws {
        var d = try dialogue(.startTLS)
        #expect(sent(d.received(r(220, "mail ESMTP"))) == ["EHLO station.local\r\n"])
        // AUTH offered before TLS is not used: STARTTLS first.
        #expect(sent(d.received(r(250, "mail", "AUTH PLAIN LOGIN", "STARTTLS"))) == ["STARTTLS\r\n"])
        #expect(d.received(r(220, "go ahead")) == [.startTLS])
        #expect(sent(d.tlsEstablished()) == ["EHLO station.local\r\n"])
        let auth = sent(d.received(r(250, "mail", "AUTH PLAIN LOGIN")))
        #expect(auth == ["AUTH PLAIN " + Base64.encode(Array("\0u\0pw".utf8)) + "\r\n"])
        #expect(sent(d.received(r(235, "ok"))) == ["MAIL FROM:<s@example.org>\r\n"])
        #expect(sent(d.received(r(250))) == ["RCPT TO:<r@example.org>\r\n"])
        #expect(sent(d.received(r(250))) == ["DATA\r\n"])
        #expect(sent(d.received(r(354))) == ["Subject: x\r\n\r\nbody\r\n.\r\n"])
        let end = d.received(r(250, "queued as 42"))
        #expect(end.first == .delivered(r(250, "queued as 42")))
        #expect(sent(end) == ["QUIT\r\n"])
        #expect(d.received(r(221)) == [.close])
        #expect(d.finished)
    }

    @Test func rfc3207_4_2_aReplyBeforeTheHandshakeEndsTheConversation() throws {
        var d = try dialogue(.startTLS)
        _ = d.received(r(220)); _ = d.received(r(250, "m", "STARTTLS"))
        #expect(d.received(r(220, "go ahead")) == [.startTLS])
        let out = d.received(r(250, "injected"))
        #expect(out.first == .failed(SMTPFailure(step: "STARTTLS", reply: nil, message: "the server sent data before the TLS handshake")))
        #expect(sent(out).isEmpty && out.last == .close)
        #expect(d.tlsEstablished().isEmpty, "no EHLO over a connection that is already abandoned")
    }

    @Test func rfc3207_noStartTLSOfferedIsAFailureNotAFallback() throws {
        var d = try dialogue(.startTLS)
        _ = d.received(r(220))
        let out = d.received(r(250, "mail", "AUTH PLAIN"))
        guard case .failed(let f) = out.first else { Issue.record("no failure: \(out)"); return }
        #expect(f.step == "STARTTLS")
        #expect(!sent(out).contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
    }

    @Test func rfc4954_authFailureShowsTheServersReply() throws {
        var d = try dialogue(.tls)
        _ = d.received(r(220))
        _ = d.received(r(250, "mail", "AUTH LOGIN"))
        // AUTH LOGIN: user and password each answer a 334 challenge.
        #expect(sent(d.received(r(334, "VXNlcm5hbWU6"))) == [Base64.encode(Array("u".utf8)) + "\r\n"])
        #expect(sent(d.received(r(334, "UGFzc3dvcmQ6"))) == [Base64.encode(Array("pw".utf8)) + "\r\n"])
        let out = d.received(r(535, "5.7.8 Authentication credentials invalid"))
        guard case .failed(let f) = out.first else { Issue.record("no failure"); return }
        #expect(f.description == "AUTH refused by the server: 535 5.7.8 Authentication credentials invalid")
        #expect(!f.isTransient)
        #expect(sent(out) == ["QUIT\r\n"])
        #expect(out.last == .close)
    }

    @Test func aServerEchoingThePasswordDoesNotGetItShown() throws {
        var d = SMTPDialogue(clientName: "c", security: .tls, credentials: .init(user: "u", password: "s3cret-pass"),
                             from: try MailAddress("s@example.org"), recipients: [try MailAddress("r@example.org")], message: Self.message)
        _ = d.received(r(220)); _ = d.received(r(250, "m", "AUTH PLAIN"))
        let token = Base64.encode(Array("\0u\0s3cret-pass".utf8))
        guard case .failed(let f) = d.received(r(535, "bad \(token) or s3cret-pass")).first else { Issue.record("no failure"); return }
        #expect(f.description == "AUTH refused by the server: 535 bad [hidden] or [hidden]")
    }

    @Test func rfc4954_4_noPasswordInTheClearUnlessSecurityNoneWasChosen() throws {
        // Security none chosen explicitly: AUTH goes out without TLS.
        var none = try dialogue(.none)
        _ = none.received(r(220))
        #expect(sent(none.received(r(250, "mail", "AUTH PLAIN")))[0].hasPrefix("AUTH PLAIN "))
        // Without a user no AUTH at all, also when the server offers it.
        var anonymous = try dialogue(.startTLS, user: nil)
        _ = anonymous.received(r(220)); _ = anonymous.received(r(250, "m", "STARTTLS")); _ = anonymous.received(r(220))
        _ = anonymous.tlsEstablished()
        #expect(sent(anonymous.received(r(250, "m", "AUTH PLAIN"))) == ["MAIL FROM:<s@example.org>\r\n"])
    }

    @Test func rfc5321_3_3_aRefusedRecipientDoesNotStopTheOthers() throws {
        var d = try dialogue(.none, user: nil, recipients: ["a@x.org", "b@x.org"])
        _ = d.received(r(220)); _ = d.received(r(250, "m")); _ = d.received(r(250))
        #expect(sent(d.received(r(550, "no such user"))) == ["RCPT TO:<b@x.org>\r\n"])
        #expect(sent(d.received(r(250))) == ["DATA\r\n"])
        var all = try dialogue(.none, user: nil, recipients: ["a@x.org"])
        _ = all.received(r(220)); _ = all.received(r(250, "m")); _ = all.received(r(250))
        guard case .failed(let f) = all.received(r(550, "5.1.1 no such user")).first else { Issue.record("no failure"); return }
        #expect(f.description == "RCPT TO refused by the server: 550 5.1.1 no such user")
    }

    @Test func transientAndPermanentRefusals() {
        #expect(SMTPFailure(step: "MAIL FROM", reply: SMTPReply(code: 451, lines: ["later"])).isTransient)
        #expect(SMTPFailure(step: "connect", reply: nil, message: "refused").isTransient)
        #expect(SMTPFailure(step: "connect", reply: nil, message: "refused").description == "connect: refused")
    }

    @Test func rfc5321_4_2_repliesMultilineAndBounded() throws {
        var p = SMTPReplyParser()
        #expect(try p.feed(Array("250-mail.example.org\r\n250-STARTTLS\r\n".utf8)).isEmpty)
        #expect(p.hasBufferedBytes)
        let replies = try p.feed(Array("250 AUTH PLAIN\r\n220 ok\n".utf8))
        #expect(replies == [SMTPReply(code: 250, lines: ["mail.example.org", "STARTTLS", "AUTH PLAIN"]), SMTPReply(code: 220, lines: ["ok"])])
        #expect(!p.hasBufferedBytes)
        var long = SMTPReplyParser()
        #expect(throws: SMTPReplyError.self) { try long.feed(Array(repeating: UInt8(ascii: "2"), count: 5000)) }
        var garbage = SMTPReplyParser()
        #expect(throws: SMTPReplyError.self) { try garbage.feed(Array("HTTP/1.1 400 Bad\r\n".utf8)) }
        var mixed = SMTPReplyParser()
        #expect(throws: SMTPReplyError.self) { try mixed.feed(Array("250-a\r\n251 b\r\n".utf8)) }
        var many = SMTPReplyParser()
        #expect(throws: SMTPReplyError.self) { try many.feed(Array(String(repeating: "250-x\r\n", count: 101).utf8)) }
        // A bare code line is a reply with empty text.
        var bare = SMTPReplyParser()
        #expect(try bare.feed(Array("354\r\n".utf8)) == [SMTPReply(code: 354, lines: [""])])
    }
}
