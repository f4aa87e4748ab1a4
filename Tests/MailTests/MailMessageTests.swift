import Foundation
import Testing
@testable import Mail

/// The alert mail's format: seeds/004 §4 "Melding per e-mail" sends the errors as a plain-text mail; RFC 5322 gives its
/// headers, RFC 2047 its subject beyond ASCII, RFC 5321 §4.5.2 the dot-stuffing of its content.
@Suite struct MailMessageTests {
    func message(subject: String = "Alert", body: String = "Hello") throws -> MailMessage {
        MailMessage(from: try MailAddress("station@example.org"), to: [try MailAddress("ops@example.org"), try MailAddress("b@example.net")],
                    subject: subject, body: body, date: Date(timeIntervalSince1970: 1_796_478_970), messageID: "abc.1@station")
    }

    func text(_ m: MailMessage) -> String { String(decoding: m.rendered(), as: UTF8.self) }

    @Test func rfc5322_3_6_headersOfAPlainTextMail() throws {
        let t = text(try message())
        let head = t.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(head == [
            "Date: Sat, 05 Dec 2026 13:56:10 +0000",
            "From: station@example.org",
            "To: ops@example.org, b@example.net",
            "Subject: Alert",
            "Message-ID: <abc.1@station>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ])
        #expect(t.hasSuffix("\r\n\r\nHello\r\n"))
        // Every line ends in CRLF: no bare LF anywhere.
        #expect(!t.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func rfc5322_3_3_dateInEveryEra() {
        #expect(MailMessage.rfc5322Date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailMessage.rfc5322Date(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
        #expect(MailMessage.rfc5322Date(Date(timeIntervalSince1970: -1)) == "Wed, 31 Dec 1969 23:59:59 +0000")
    }

    @Test func rfc2047_utf8SubjectInEncodedWordsOfAtMost75Characters() throws {
        let subject = "Störung behoben: Ladepunkt „Garage Süd“ – Fehlerstrom erkannt und zurückgesetzt, Überprüfung empfohlen"
        let t = text(try message(subject: subject))
        let field = t.components(separatedBy: "\r\nMessage-ID")[0].components(separatedBy: "Subject:")[1]
        let words = field.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        // Folded: no header line longer than 78 characters.
        #expect(t.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
        // The first word on the Subject line itself: a fold right after the name would add a space to the subject.
        #expect(t.contains("\r\nSubject: =?UTF-8?B?"))
        // The words decode back to the subject (each word whole characters: RFC 2047 §5 (3)).
        let decoded = words.map { w -> String in
            let b64 = String(w.dropFirst(10).dropLast(2))
            return String(decoding: Base64.decode(b64)!, as: UTF8.self)
        }
        #expect(decoded.joined() == subject)
        #expect(decoded.allSatisfy { !$0.contains("\u{FFFD}") })
    }

    @Test func asciiSubjectStaysReadableAndHeaderInjectionIsDefused() throws {
        let t = text(try message(subject: "Error\r\nBcc: victim@example.org"))
        #expect(t.contains("Subject: Error  Bcc: victim@example.org\r\n"))
        #expect(!t.contains("\r\nBcc:"))
        // "=?" in an ASCII subject would be read as an encoded word: it is encoded instead.
        #expect(text(try message(subject: "a =?x?= b")).contains("Subject: =?UTF-8?B?"))
    }

    @Test func rfc2045_6_7_quotedPrintableBody() {
        let qp = String(decoding: QuotedPrintable.encode("Grüße = 1 \nend\t\n" + String(repeating: "x", count: 100)), as: UTF8.self)
        #expect(qp.hasPrefix("Gr=C3=BC=C3=9Fe =3D 1=20\r\nend=09\r\n"))
        let long = qp.components(separatedBy: "\r\n").dropFirst(2)
        #expect(long.allSatisfy { $0.count <= 76 })
        #expect(long.first?.hasSuffix("=") == true)
    }

    @Test func rfc5321_4_5_2_dotStuffingAndTheEndOfData() throws {
        let data = String(decoding: SMTPData.encode(Array(".first\nmiddle\r\n.\r\n..two\rlast".utf8)), as: UTF8.self)
        #expect(data == "..first\r\nmiddle\r\n..\r\n...two\r\nlast\r\n.\r\n")
        // A message that ends with CRLF gets no empty line before the final dot.
        #expect(String(decoding: SMTPData.encode(Array("a\r\n".utf8)), as: UTF8.self) == "a\r\n.\r\n")
        // Through the whole message: a body line "." cannot end DATA early.
        let m = MailMessage(from: try MailAddress("a@b.c"), to: [try MailAddress("d@e.f")], subject: "s", body: "one\n.\ntwo",
                            date: Date(timeIntervalSince1970: 0), messageID: "x@y")
        let wire = String(decoding: SMTPData.encode(m.rendered()), as: UTF8.self)
        #expect(wire.contains("\r\none\r\n..\r\ntwo\r\n.\r\n"))
        #expect(wire.components(separatedBy: "\r\n.\r\n").count == 2)
    }

    @Test func addressesAreStrict() throws {
        #expect(try MailAddress.list("a@example.org, b.c+d@mail.example.org;a@example.org") .map(\.text) == ["a@example.org", "b.c+d@mail.example.org"])
        #expect(try MailAddress("x@[127.0.0.1]").text == "x@[127.0.0.1]")
        for bad in ["", "no-at", "@example.org", "a@", "a..b@example.org", "a@exa mple.org", "a@example.org>", "a@-x.org", "a\r\n@x.org", "<a@b.c>"] {
            #expect(MailAddress.problem(bad) != nil, "\(bad) accepted")
        }
    }
}
