/// A reply of an SMTP server (RFC 5321 §4.2): a three-digit code and one or more lines of text.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    /// The text of each line, without the code and its separator.
    public var lines: [String]

    public init(code: Int, lines: [String]) { self.code = code; self.lines = lines }

    /// 2yz: the command was done.
    public var isPositive: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (DATA's content, an AUTH response).
    public var isIntermediate: Bool { (300..<400).contains(code) }

    /// The reply as one line, the way a user sees it: `535 5.7.8 Authentication credentials invalid`.
    public var description: String {
        ([String(code)] + lines.filter { !$0.isEmpty }.prefix(1)).joined(separator: " ")
            + (lines.count > 1 ? " " + lines.dropFirst().filter { !$0.isEmpty }.joined(separator: " ") : "")
    }
}

/// Splits the server's bytes into replies with strict bounds: a line is at most ``maximumLineLength`` octets and a
/// reply at most ``maximumLines`` lines (RFC 5321 §4.5.3.1.5 allows 512 octets a line; the margin tolerates servers
/// that write longer texts), so a broken or hostile server can neither grow the buffer without end nor crash the
/// station; anything that is not `ddd`, `ddd-text` or `ddd text` ends the conversation with ``SMTPReplyError``.
public struct SMTPReplyParser: Sendable {
    public static let maximumLineLength = 2048
    public static let maximumLines = 100

    var buffer: [UInt8] = []
    var pending: (code: Int, lines: [String])?

    public init() {}

    /// Bytes received but not yet part of a whole reply. After the reply to STARTTLS there must be none: bytes sent
    /// before the TLS handshake would otherwise be taken as protected (RFC 3207 §4.2, the "STARTTLS injection").
    public var hasBufferedBytes: Bool { !buffer.isEmpty || pending != nil }

    public mutating func feed(_ bytes: [UInt8]) throws(SMTPReplyError) -> [SMTPReply] {
        buffer += bytes
        var replies: [SMTPReply] = []
        while let lf = buffer.firstIndex(of: 0x0A) {
            var line = Array(buffer[..<lf])
            buffer.removeSubrange(...lf)
            if line.last == 0x0D { line.removeLast() }
            guard line.count <= Self.maximumLineLength else { throw SMTPReplyError("a reply line is longer than \(Self.maximumLineLength) octets") }
            if let reply = try take(line) { replies.append(reply) }
        }
        guard buffer.count <= Self.maximumLineLength else { throw SMTPReplyError("a reply line is longer than \(Self.maximumLineLength) octets") }
        return replies
    }

    mutating func take(_ line: [UInt8]) throws(SMTPReplyError) -> SMTPReply? {
        guard line.count >= 3, line[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), (0x32...0x35).contains(line[0]) else {
            throw SMTPReplyError("not an SMTP reply: '\(Self.printable(line))'")
        }
        let code = Int(String(decoding: line[0...2], as: UTF8.self))!
        let separator = line.count > 3 ? line[3] : 0x20
        guard separator == 0x20 || separator == 0x2D else { throw SMTPReplyError("not an SMTP reply: '\(Self.printable(line))'") }
        let text = line.count > 4 ? Self.printable(Array(line[4...])) : ""
        if let p = pending, p.code != code { throw SMTPReplyError("a multiline reply changed its code from \(p.code) to \(code)") }
        var lines = (pending?.lines ?? []) + [text]
        guard lines.count <= Self.maximumLines else { throw SMTPReplyError("a reply has more than \(Self.maximumLines) lines") }
        if separator == 0x2D {
            pending = (code, lines)
            return nil
        }
        pending = nil
        lines = lines.map { $0 }
        return SMTPReply(code: code, lines: lines)
    }

    /// The line as text with control characters and invalid UTF-8 replaced, for messages and logs.
    static func printable(_ bytes: [UInt8]) -> String {
        String(String(decoding: bytes, as: UTF8.self).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(200))
    }
}

/// The server's bytes were no valid SMTP reply.
public struct SMTPReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
