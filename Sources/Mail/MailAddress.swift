/// An e-mail address as SMTP carries it in MAIL FROM and RCPT TO and RFC 5322 in From and To: a dot-atom local part, `@`,
/// and a domain (host name, or an address literal in brackets). Quoted local parts, comments and display names are not
/// accepted: the station's sender and recipients are typed by an installer, and a strict form keeps CR, LF, `<`, `>`
/// and `,` — header and command injection — out of the headers and the SMTP commands (RFC 5321 §4.1.2, RFC 5322 §3.4.1).
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets, so an address at most 254.
    public static let maximumLength = 254
    /// RFC 5322 §3.2.3 atext.
    static let atext = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
    static let domainCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")

    public init(_ text: String) throws(MailAddressError) {
        guard let problem = Self.problem(text) else { self.text = text; return }
        throw MailAddressError(address: text, problem: problem)
    }

    public var description: String { text }

    /// What is wrong with `text` as an address, or nil.
    public static func problem(_ text: String) -> String? {
        guard !text.isEmpty else { return "an address is empty" }
        guard text.utf8.count <= maximumLength else { return "an address is at most \(maximumLength) characters" }
        guard let at = text.lastIndex(of: "@") else { return "an address needs an @" }
        let local = text[..<at], domain = text[text.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64 else { return "the part before @ is 1 to 64 characters" }
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(atext.contains) }) else {
            return "the part before @ may hold letters, digits, dots (not first, last or doubled) and !#$%&'*+-/=?^_`{|}~"
        }
        if domain.first == "[" {
            var inner = domain.dropFirst()
            guard inner.last == "]" else { return "an address literal is an IPv4 or IPv6 address in brackets" }
            inner = inner.dropLast()
            if inner.hasPrefix("IPv6:") { inner = inner.dropFirst(5) }
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
                return "an address literal is an IPv4 or IPv6 address in brackets"
            }
            return nil
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard !domain.isEmpty, domain.utf8.count <= 253,
              labels.allSatisfy({ (1...63).contains($0.count) && $0.allSatisfy(domainCharacters.contains) && $0.first != "-" && $0.last != "-" })
        else { return "the part after @ must be a host name (letters, digits, hyphens, dots)" }
        return nil
    }

    /// A list as typed into one field: addresses separated by commas, semicolons or white space.
    public static func list(_ text: String) throws(MailAddressError) -> [MailAddress] {
        var out: [MailAddress] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" }) {
            let a = try MailAddress(String(part))
            if !out.contains(a) { out.append(a) }
        }
        return out
    }
}

/// An address the station cannot use, and why.
public struct MailAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var address: String
    public var problem: String
    public var description: String { "'\(address.prefix(80))': \(problem)" }
}
