/// DATA's content on the wire (RFC 5321 §4.5.2, §4.1.1.4): every line ends in CRLF (a bare CR or LF becomes one), a
/// line that starts with "." gets a second "." (dot-stuffing, which the server removes), and the lone "." line ends it.
public enum SMTPData {
    public static func encode(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 5)
        var atLineStart = true
        var i = 0
        while i < message.count {
            let b = message[i]
            if b == 0x0D || b == 0x0A {
                out += [0x0D, 0x0A]
                if b == 0x0D && i + 1 < message.count && message[i + 1] == 0x0A { i += 1 }
                atLineStart = true
            } else {
                if atLineStart && b == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                out.append(b)
                atLineStart = false
            }
            i += 1
        }
        if !atLineStart { out += [0x0D, 0x0A] }
        out += Array(".\r\n".utf8)
        return out
    }
}

/// How the connection to the mail server is protected.
public enum SMTPSecurity: String, Sendable, Equatable, CaseIterable {
    /// No TLS: only when the installer chose it (a relay in a closed network). AUTH is then sent in the clear.
    case none
    /// Plain TCP (usually port 587), upgraded with STARTTLS before anything else (RFC 3207); a server that does not offer
    /// it is refused — never a silent fall back to plain text.
    case startTLS = "starttls"
    /// TLS from the first byte (usually port 465, RFC 8314 §3.3).
    case tls
}

/// One mail transaction as a state machine (RFC 5321 §3, §4.1): greeting, EHLO, STARTTLS and EHLO again (RFC 3207
/// §4.2: the capabilities are learned anew over TLS), AUTH PLAIN or LOGIN (RFC 4954, RFC 4616), MAIL FROM, one RCPT TO
/// per recipient, DATA and the content, QUIT. Replies in, bytes to send and outcomes out: the adapter does the I/O, the
/// TLS handshake and the time-outs.
///
/// The credentials are sent only over TLS — STARTTLS or implicit TLS — unless the installer chose no security at all
/// (RFC 4954 §4: a client should not send a password over an unprotected connection without being told to).
/// ``Action/delivered(_:)`` comes with the server's 250 to the end of DATA (§4.1.1.4): only then is the mail the
/// server's, and only then may the caller mark it sent.
public struct SMTPDialogue: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: String
        public init(user: String, password: String) { self.user = user; self.password = password }
    }

    public enum Action: Sendable, Equatable {
        /// Write these octets (a command with its CRLF, or DATA's content).
        case send([UInt8])
        /// The server agreed to STARTTLS: start the TLS handshake now, then call ``SMTPDialogue/tlsEstablished()``.
        case startTLS
        /// The server accepted the mail (250 to the end of DATA). QUIT follows.
        case delivered(SMTPReply)
        /// The transaction failed: the reason names the step and, when there is one, the server's reply.
        case failed(SMTPFailure)
        /// The conversation is over (after QUIT's reply, or a failure): close the connection.
        case close
    }

    enum State: Sendable, Equatable {
        case greeting, ehlo, helo, startTLS, handshake, ehloOverTLS
        case authPlain, authLoginStart, authLoginUser, authLoginPassword
        case mailFrom, rcpt(Int), data, content, quit, done
    }

    let clientName: String
    public let security: SMTPSecurity
    let credentials: Credentials?
    let from: MailAddress
    let recipients: [MailAddress]
    let content: [UInt8]
    var state = State.greeting
    var tls: Bool
    var capabilities: Set<String> = []
    var authMechanisms: Set<String> = []
    public private(set) var accepted = 0

    /// `clientName`: the station's name in EHLO (a host name, or an address literal such as `[127.0.0.1]`).
    /// `message`: the rendered message (``MailMessage/rendered()``); it is dot-stuffed here.
    public init(clientName: String, security: SMTPSecurity, credentials: Credentials?, from: MailAddress, recipients: [MailAddress],
                message: [UInt8]) {
        self.clientName = clientName; self.security = security; self.credentials = credentials
        self.from = from; self.recipients = recipients; self.content = SMTPData.encode(message)
        tls = security == .tls
    }

    /// Whether the conversation is over.
    public var finished: Bool { state == .done }

    static func line(_ text: String) -> Action { .send(Array((text + "\r\n").utf8)) }

    /// What must never appear in a failure (shown on the web page and logged): the password and the AUTH tokens, which a
    /// server might echo in its reply.
    var secrets: [String] {
        guard let c = credentials else { return [] }
        return [Base64.encode([0] + Array(c.user.utf8) + [0] + Array(c.password.utf8)), Base64.encode(Array(c.password.utf8)), c.password]
            .filter { $0.count >= 4 }
    }

    mutating func fail(_ step: String, _ reply: SMTPReply?, _ message: String? = nil) -> [Action] {
        var reply = reply
        if var r = reply {
            for secret in secrets { r.lines = r.lines.map { $0.replacing(secret, with: "[hidden]") } }
            reply = r
        }
        let failure = SMTPFailure(step: step, reply: reply, message: message)
        let quit = state != .greeting && state != .handshake
        state = .done
        return [.failed(failure)] + (quit ? [Self.line("QUIT")] : []) + [.close]
    }

    public mutating func received(_ reply: SMTPReply) -> [Action] {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail("greeting", reply) }
            state = .ehlo
            return [Self.line("EHLO \(clientName)")]
        case .ehlo, .ehloOverTLS:
            guard reply.code == 250 else {
                // A server without EHLO (RFC 821) may still take HELO when nothing of ESMTP is needed.
                if state == .ehlo, (500...502).contains(reply.code), security == .none, credentials == nil {
                    state = .helo
                    return [Self.line("HELO \(clientName)")]
                }
                return fail("EHLO", reply)
            }
            learn(reply)
            if security == .startTLS && !tls {
                guard capabilities.contains("STARTTLS") else {
                    return fail("STARTTLS", nil, "the server does not offer STARTTLS (security STARTTLS was chosen, so the station does not send without TLS)")
                }
                state = .startTLS
                return [Self.line("STARTTLS")]
            }
            return authenticateOrSend()
        case .helo:
            guard reply.code == 250 else { return fail("HELO", reply) }
            return mailFrom()
        case .startTLS:
            guard reply.code == 220 else { return fail("STARTTLS", reply) }
            state = .handshake
            return [.startTLS]
        case .handshake:
            // RFC 3207 §4.2: whatever came before the handshake may be an attacker's; the conversation ends here.
            return fail("STARTTLS", nil, "the server sent data before the TLS handshake")
        case .authPlain, .authLoginPassword:
            guard reply.code == 235 else { return fail("AUTH", reply) }
            return mailFrom()
        case .authLoginStart:
            guard reply.code == 334, let c = credentials else { return fail("AUTH", reply) }
            state = .authLoginUser
            return [Self.line(Base64.encode(Array(c.user.utf8)))]
        case .authLoginUser:
            guard reply.code == 334, let c = credentials else { return fail("AUTH", reply) }
            state = .authLoginPassword
            return [Self.line(Base64.encode(Array(c.password.utf8)))]
        case .mailFrom:
            guard reply.code == 250 else { return fail("MAIL FROM", reply) }
            state = .rcpt(0)
            return [Self.line("RCPT TO:<\(recipients[0].text)>")]
        case .rcpt(let i):
            if reply.code == 250 || reply.code == 251 { accepted += 1 }
            // RFC 5321 §3.3: a refused recipient does not end the transaction; the mail goes to the others.
            if i + 1 < recipients.count {
                state = .rcpt(i + 1)
                return [Self.line("RCPT TO:<\(recipients[i + 1].text)>")]
            }
            guard accepted > 0 else { return fail("RCPT TO", reply) }
            state = .data
            return [Self.line("DATA")]
        case .data:
            guard reply.code == 354 else { return fail("DATA", reply) }
            state = .content
            return [.send(content)]
        case .content:
            guard reply.code == 250 else { return fail("end of DATA", reply) }
            state = .quit
            return [.delivered(reply), Self.line("QUIT")]
        case .quit:
            state = .done
            return [.close]
        case .done:
            return []
        }
    }

    /// The TLS handshake after STARTTLS succeeded: EHLO again, the earlier capabilities are void (RFC 3207 §4.2).
    public mutating func tlsEstablished() -> [Action] {
        guard state == .handshake else { return [] }
        tls = true
        capabilities = []
        authMechanisms = []
        state = .ehloOverTLS
        return [Self.line("EHLO \(clientName)")]
    }

    mutating func learn(_ reply: SMTPReply) {
        capabilities = []
        authMechanisms = []
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            capabilities.insert(keyword)
            if keyword == "AUTH" { authMechanisms.formUnion(words.dropFirst()) }
        }
    }

    mutating func authenticateOrSend() -> [Action] {
        guard let c = credentials else { return mailFrom() }
        guard tls || security == .none else { return fail("AUTH", nil, "the connection is not protected by TLS") }
        if authMechanisms.contains("PLAIN") {
            state = .authPlain
            // RFC 4616: authorization identity (empty), NUL, user, NUL, password.
            return [Self.line("AUTH PLAIN " + Base64.encode([0] + Array(c.user.utf8) + [0] + Array(c.password.utf8)))]
        }
        if authMechanisms.contains("LOGIN") {
            state = .authLoginStart
            return [Self.line("AUTH LOGIN")]
        }
        return fail("AUTH", nil, "the server offers neither AUTH PLAIN nor AUTH LOGIN"
                    + (authMechanisms.isEmpty ? "" : " (it offers \(authMechanisms.sorted().joined(separator: ", ")))"))
    }

    mutating func mailFrom() -> [Action] {
        state = .mailFrom
        return [Self.line("MAIL FROM:<\(from.text)>")]
    }
}

/// Why a mail transaction failed: the step and the server's reply (what the "Send test mail" button shows), or what
/// the station found wrong.
public struct SMTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var step: String
    public var reply: SMTPReply?
    public var message: String?

    public init(step: String, reply: SMTPReply?, message: String? = nil) { self.step = step; self.reply = reply; self.message = message }

    /// A 4yz reply or no reply at all: worth trying again later. A 5yz reply is the server's final no (RFC 5321 §4.2.1).
    public var isTransient: Bool { reply.map { $0.code < 500 } ?? true }

    public var description: String {
        guard let reply else { return "\(step): \(message ?? "failed")" }
        return "\(step) refused by the server: \(reply)" + (message.map { ": \($0)" } ?? "")
    }
}

extension SMTPDialogue {
    /// The step the conversation is in, for a failure without a reply (a lost connection, a time-out).
    public var stepName: String {
        switch state {
        case .greeting: "greeting"
        case .ehlo, .ehloOverTLS, .helo: "EHLO"
        case .startTLS, .handshake: "STARTTLS"
        case .authPlain, .authLoginStart, .authLoginUser, .authLoginPassword: "AUTH"
        case .mailFrom: "MAIL FROM"
        case .rcpt: "RCPT TO"
        case .data, .content: "DATA"
        case .quit, .done: "QUIT"
        }
    }
}
