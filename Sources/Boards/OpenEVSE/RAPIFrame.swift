/// OpenEVSE's serial Remote API (RAPI): the framing of commands, responses and asynchronous notifications.
///
/// Written from the protocol description at the top of `firmware/open_evse/rapi_proc.h` of the open_evse firmware
/// (github.com/lincomatic/open_evse, RAPI 5.2.1 as shipped with firmware 8.2.1, header dated 2013-2023; the
/// asynchronous `$ST state` of RAPI 4.0.1 and earlier from that file's revisions before 2019):
///
/// - a command is `$cc pp pp ...^xk\r`: `$`, a two-letter command, space-separated parameters, `^` and the 8-bit XOR
///   of every character before the `^` as two hex digits, a carriage return. The legacy form `*ck` carries the 8-bit
///   sum instead (accepted when read, never sent).
/// - with a sequence id (RAPI 3.0.0+, firmware 4.x) the command ends `… :ss^xk`, `ss` two hex digits other than `00`;
///   the response echoes it (`$OK … :ss^xk`), so a late answer to an earlier command is never taken for the answer
///   to the current one.
/// - responses are `$OK [parameters]^xk\r` or `$NK [parameters]^xk\r` (checksummed since RAPI 2.0.0); asynchronous
///   notifications start with `$A…` (`$AT`, `$AB`, `$AN`), `$WF`, or, up to RAPI 4.0.1, `$ST` (checksummed since 2.0.1).
///
/// ChargeKit sends every command with the XOR checksum and a sequence id, and accepts only lines with a valid
/// checksum: an unchecked line cannot be told from noise on the line (the header: the form without checksum is "FOR
/// TESTING ONLY").
public enum RAPI {
    /// The start of a line.
    public static let startOfLine = UInt8(ascii: "$")
    /// The end of a line (carriage return).
    public static let endOfLine: UInt8 = 0x0D

    /// The 8-bit XOR of `bytes` (the `^xk` checksum).
    public static func xorChecksum<S: Sequence>(_ bytes: S) -> UInt8 where S.Element == UInt8 {
        bytes.reduce(0, ^)
    }

    /// The 8-bit sum of `bytes` (the legacy `*ck` checksum).
    public static func additiveChecksum<S: Sequence>(_ bytes: S) -> UInt8 where S.Element == UInt8 {
        bytes.reduce(0, &+)
    }

    /// The bytes of a command: `$NAME P1 P2 :ss^xk\r`. `name` is the two-letter command, `sequenceID` 1–255 or nil.
    public static func command(_ name: String, _ parameters: [String] = [], sequenceID: UInt8? = nil) -> [UInt8] {
        var text = "$" + name
        for p in parameters { text += " " + p }
        if let s = sequenceID { text += " :" + hex2(s) }
        var bytes = Array(text.utf8)
        let checksum = xorChecksum(bytes)
        bytes.append(UInt8(ascii: "^"))
        bytes += Array(hex2(checksum).utf8)
        bytes.append(endOfLine)
        return bytes
    }

    /// Two upper-case hex digits.
    static func hex2(_ v: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(v >> 4)], digits[Int(v & 0x0F)]])
    }
}

/// One checked line from the board: a response (`OK`, `NK`) or an asynchronous notification (`AT`, `ST`, `AB`, …).
public struct RAPIMessage: Sendable, Equatable {
    /// The two letters after `$`: `OK`, `NK`, `AT`, `ST`, `AB`, `AN`, `WF`.
    public var name: String
    /// The space-separated parameters, without the sequence id.
    public var parameters: [String]
    /// The sequence id a response echoes (nil: none given).
    public var sequenceID: UInt8?

    public init(name: String, parameters: [String] = [], sequenceID: UInt8? = nil) {
        self.name = name; self.parameters = parameters; self.sequenceID = sequenceID
    }

    /// A response to a command (`$OK`/`$NK`), as opposed to an asynchronous notification.
    public var isResponse: Bool { name == "OK" || name == "NK" }
    /// The command succeeded (`$OK`).
    public var isOK: Bool { name == "OK" }
}

/// What the framer makes of the bytes it was fed: checked messages, and lines it threw away (with why, for the log).
public enum RAPIFramerOutput: Sendable, Equatable {
    case message(RAPIMessage)
    case rejected(String)
}

/// Splits the byte stream from the board into lines and checks them. Anything that is not a well-formed, checksummed
/// line is rejected with a reason, never trusted and never a crash: bytes outside a line, unprintable bytes, a line
/// longer than ``maximumLineLength``, a missing or wrong checksum, a malformed sequence id. A `$` inside a line starts
/// a new line (the partial one is rejected): the firmware's own reader treats `$` as the start of a command too.
public struct RAPIFramer: Sendable {
    /// The longest line accepted, `$` to checksum. The firmware's buffers are 32 bytes (`ESRAPI_BUFLEN`); its longest
    /// answers (`$GV`, `$AT`, `$GS` with a sequence id) stay well under 64.
    public static let maximumLineLength = 96

    private var line: [UInt8] = []
    private var inLine = false
    private var overlong = false
    private var noise = 0

    public init() {}

    /// Feeds received bytes; returns the messages and rejections they complete, in order.
    public mutating func feed<S: Sequence>(_ bytes: S) -> [RAPIFramerOutput] where S.Element == UInt8 {
        var out: [RAPIFramerOutput] = []
        for b in bytes {
            if b == RAPI.startOfLine {
                flushNoise(into: &out)
                if inLine { out.append(.rejected(overlong ? "line longer than \(Self.maximumLineLength) bytes" : "line cut short by a new '$': \(printable(line))")) }
                line = [b]; inLine = true; overlong = false
            } else if b == RAPI.endOfLine || b == 0x0A {
                if inLine {
                    out.append(overlong ? .rejected("line longer than \(Self.maximumLineLength) bytes") : Self.check(line))
                    inLine = false; line = []
                }
            } else if inLine {
                if line.count >= Self.maximumLineLength { overlong = true; line = [] } else if !overlong { line.append(b) }
            } else {
                noise += 1
            }
        }
        flushNoise(into: &out)
        return out
    }

    private mutating func flushNoise(into out: inout [RAPIFramerOutput]) {
        if noise > 0 { out.append(.rejected("\(noise) byte(s) outside a line")); noise = 0 }
    }

    private func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(40).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
    }

    /// Checks one line (`$` up to the byte before the carriage return) and splits it.
    static func check(_ line: [UInt8]) -> RAPIFramerOutput {
        let shown = String(decoding: line.prefix(40).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        guard line.allSatisfy({ (0x20...0x7E).contains($0) }) else { return .rejected("unprintable byte in line: \(shown)") }
        guard line.count >= 6, let mark = line.lastIndex(where: { $0 == UInt8(ascii: "^") || $0 == UInt8(ascii: "*") }),
              mark == line.count - 3, line[(mark + 1)...].allSatisfy(isHexDigit),
              let given = UInt8(String(decoding: line[(mark + 1)...], as: UTF8.self), radix: 16) else {
            return .rejected("no checksum (^xk or *ck): \(shown)")
        }
        let body = line[..<mark]
        let expected = line[mark] == UInt8(ascii: "^") ? RAPI.xorChecksum(body) : RAPI.additiveChecksum(body)
        guard given == expected else { return .rejected("wrong checksum \(RAPI.hex2(given)), expected \(RAPI.hex2(expected)): \(shown)") }
        var tokens = String(decoding: body.dropFirst(), as: UTF8.self).split(separator: " ").map(String.init)
        guard let name = tokens.first, name.count == 2, name.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return .rejected("no two-letter name: \(shown)")
        }
        tokens.removeFirst()
        var sequence: UInt8?
        if let last = tokens.last, last.hasPrefix(":") {
            guard last.count == 3, last.utf8.dropFirst().allSatisfy(isHexDigit), let s = UInt8(last.dropFirst(), radix: 16), s != 0 else { return .rejected("malformed sequence id \(last): \(shown)") }
            sequence = s
            tokens.removeLast()
        }
        return .message(RAPIMessage(name: name, parameters: tokens, sequenceID: sequence))
    }
}
