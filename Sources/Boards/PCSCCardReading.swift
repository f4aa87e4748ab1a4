/// What ChargeKit asks of a PC/SC card reader and how it judges the answers, without the reader: the GET DATA command
/// that returns a contactless card's UID, the checks of its answer, the reader and card states pcsc-lite reports, the
/// result codes of its calls, and the choice of the reader by name. The adapter (Hardware's `PCSCCardReader`) makes
/// the calls; everything it decides is here, so that it is tested without a reader.
public enum PCSC {
    /// GET DATA for the card's UID: CLA FF (the reader's own commands), INS CA, P1 00 (the UID; P1 01 would be the
    /// historical bytes of the ATS), P2 00, Le 00 (the whole UID, whatever its length). The reader answers it itself
    /// from the anticollision of the contactless protocol; it never reaches the card.
    ///
    /// - SeeAlso: PC/SC Workgroup, Interoperability Specification for ICCs and Personal Computer Systems, Part 3:
    ///   Requirements for PC-Connected Interface Devices, v2.02.00, §3.2.2.1.3 "Get Data".
    public static let getUIDCommand: [UInt8] = [0xFF, 0xCA, 0x00, 0x00, 0x00]

    /// The UID lengths of ISO/IEC 14443 cards: type A single, double and triple size UIDs (ISO/IEC 14443-3 §6.5.4
    /// "UID", 4, 7 and 10 bytes); type B's PUPI has 4 bytes (ISO/IEC 14443-3 §7.9.2).
    public static let uidLengths: Set<Int> = [4, 7, 10]

    /// Why a GET DATA answer gives no UID.
    public enum UIDError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Fewer than the two status bytes.
        case truncated(count: Int)
        /// A status word other than 90 00 (PC/SC Part 3 §3.2.2.1.3 lists 62 82, 6C XX, 63 00 and 6A 81).
        case status(sw1: UInt8, sw2: UInt8)
        /// 90 00, but a UID of a length no ISO/IEC 14443 card has.
        case length(Int)

        public var description: String {
            switch self {
            case .truncated(let n): "the reader answered GET DATA with \(n) byte(s), fewer than a status word"
            case .status(let sw1, let sw2): "the reader answered GET DATA with status \(PCSC.hex([sw1, sw2])) (\(PCSC.statusMeaning(sw1: sw1, sw2: sw2)))"
            case .length(let n): "the card's UID has \(n) byte(s); ISO/IEC 14443 UIDs have 4, 7 or 10"
            }
        }
    }

    /// The UID in a GET DATA answer (the data bytes, then SW1 SW2 = 90 00).
    ///
    /// - SeeAlso: PC/SC Part 3 v2.02.00 §3.2.2.1.3: "Data Out: UID … SW1 SW2"; the success status is 90 00.
    public static func uid(fromGetDataResponse response: [UInt8]) throws(UIDError) -> [UInt8] {
        guard response.count >= 2 else { throw .truncated(count: response.count) }
        let sw1 = response[response.count - 2], sw2 = response[response.count - 1]
        guard sw1 == 0x90, sw2 == 0x00 else { throw .status(sw1: sw1, sw2: sw2) }
        let uid = Array(response.dropLast(2))
        guard uidLengths.contains(uid.count) else { throw .length(uid.count) }
        return uid
    }

    /// What a status word of GET DATA means (PC/SC Part 3 v2.02.00 §3.2.2.1.3, its table of return codes).
    public static func statusMeaning(sw1: UInt8, sw2: UInt8) -> String {
        switch (sw1, sw2) {
        case (0x90, 0x00): "success"
        case (0x62, 0x82): "end of data reached before Le bytes"
        case (0x6C, _): "wrong length, the UID has \(sw2) bytes"
        case (0x63, 0x00): "the operation failed: no card answered"
        case (0x6A, 0x81): "function not supported by this reader"
        default: "not a status of GET DATA"
        }
    }

    /// The reader names in the list `SCardListReaders` returns: names ended by NUL, the list ended by one more NUL.
    ///
    /// - SeeAlso: pcsc-lite's winscard.h, SCardListReaders ("mszReaders: multi-string with list of readers").
    public static func readerNames(multiString bytes: [UInt8]) -> [String] {
        var names: [String] = []
        var current: [UInt8] = []
        for b in bytes {
            if b == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(b)
            }
        }
        if !current.isEmpty { names.append(String(decoding: current, as: UTF8.self)) }
        return names
    }

    /// The reader a description names: the first whose name contains `wanted` (any case); with `wanted` empty, the first.
    public static func chooseReader(_ names: [String], containing wanted: String) -> String? {
        let w = wanted.lowercased()
        return names.first { w.isEmpty || $0.lowercased().contains(w) }
    }

    /// "04 A1 B2 C3": bytes as the log shows them.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in let s = String(b, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }.joined(separator: " ")
    }
}

/// A reader's state as `SCardGetStatusChange` reports it in `dwEventState`: the low 16 bits are flags, the high 16 bits
/// pcsc-lite's count of card events (which the caller hands back unchanged as its current state).
///
/// - SeeAlso: pcsc-lite's pcsclite.h, SCARD_STATE_* ("SCARD_STATE_UNKNOWN 0x0004 Reader unknown", "UNAVAILABLE
///   0x0008", "EMPTY 0x0010 Card removed", "PRESENT 0x0020 Card inserted", "MUTE 0x0200 Unresponsive card").
public struct PCSCReaderState: Sendable, Equatable {
    public var raw: UInt32
    public init(_ raw: UInt32) { self.raw = raw }

    public static let changed: UInt32 = 0x0002
    public static let unknown: UInt32 = 0x0004
    public static let unavailable: UInt32 = 0x0008
    public static let empty: UInt32 = 0x0010
    public static let present: UInt32 = 0x0020
    public static let mute: UInt32 = 0x0200

    /// What the state says about the reader and its card.
    public var observation: CardPresence.Observation {
        if raw & (Self.unknown | Self.unavailable) != 0 { return .readerMissing("the reader is gone (unplugged, or its driver stopped)") }
        if raw & Self.present != 0 { return .present }
        return .empty
    }

    /// The state to pass back as `dwCurrentState`: what was seen, without the CHANGED flag.
    public var current: UInt32 { raw & ~Self.changed }
}

/// The result codes of pcsc-lite's calls the reader acts on (``PCSCResult/init(code:)``); any other is `.other`.
///
/// - SeeAlso: pcsc-lite's pcsclite.h (SCARD_S_SUCCESS, SCARD_E_*, SCARD_W_*), the values of PC/SC Part 5 and WinSCard.
public enum PCSCResult: Error, Sendable, Equatable, CustomStringConvertible {
    case success
    case timeout
    case noService
    case serviceStopped
    case noReadersAvailable
    case unknownReader
    case readerUnavailable
    case noSmartcard
    case removedCard
    case resetCard
    case unresponsiveCard
    case unpoweredCard
    case sharingViolation
    case communicationError
    case other(UInt32)

    public init(code: UInt32) {
        switch code {
        case 0: self = .success
        case 0x8010_000A: self = .timeout
        case 0x8010_001D: self = .noService
        case 0x8010_001E: self = .serviceStopped
        case 0x8010_002E: self = .noReadersAvailable
        case 0x8010_0009: self = .unknownReader
        case 0x8010_0017: self = .readerUnavailable
        case 0x8010_000C: self = .noSmartcard
        case 0x8010_0069: self = .removedCard
        case 0x8010_0068: self = .resetCard
        case 0x8010_0066: self = .unresponsiveCard
        case 0x8010_0067: self = .unpoweredCard
        case 0x8010_000B: self = .sharingViolation
        case 0x8010_0013, 0x8010_002F: self = .communicationError
        default: self = .other(code)
        }
    }

    /// The PC/SC service (pcscd) is not there or went away: the context must be established anew.
    public var serviceLost: Bool { self == .noService || self == .serviceStopped || self == .communicationError }
    /// The reader went away: it must be looked up again.
    public var readerLost: Bool { self == .unknownReader || self == .readerUnavailable || self == .noReadersAvailable }

    public var description: String {
        switch self {
        case .success: "success"
        case .timeout: "timed out"
        case .noService: "the PC/SC service (pcscd) is not running"
        case .serviceStopped: "the PC/SC service (pcscd) stopped"
        case .noReadersAvailable: "no card reader is connected"
        case .unknownReader: "the reader is not known to pcscd"
        case .readerUnavailable: "the reader is not available"
        case .noSmartcard: "no card on the reader"
        case .removedCard: "the card was removed"
        case .resetCard: "the card was reset"
        case .unresponsiveCard: "the card does not answer"
        case .unpoweredCard: "the card is not powered"
        case .sharingViolation: "another program holds the card exclusively"
        case .communicationError: "the connection to pcscd broke (pcscd stopped, or the reader failed)"
        case .other(let code): "PC/SC error 0x\(String(code, radix: 16, uppercase: true))"
        }
    }
}

/// One card presentation at a time: the reader's machine. A card placed on the reader is read once; a card left on it is
/// not read again until it was taken away (or the reader went away and came back); a card that cannot be read is tried
/// ``maxAttempts`` times, then refused with one log line until it is taken away. The reader counts as not
/// communicating (the catalogue's "RFID reader not communicating") while it is missing: no PC/SC service, no matching
/// reader, unplugged.
public struct CardPresence: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// No reader (or no PC/SC service).
        case readerMissing
        /// The reader is there without a card.
        case empty
        /// A card is on the reader and not read yet; `failures` attempts failed.
        case unread(failures: Int)
        /// The card on the reader was read (or refused): nothing more until it is removed.
        case done
    }

    /// What the adapter saw of the reader.
    public enum Observation: Sendable, Equatable {
        case readerMissing(String)
        case empty
        case present
    }

    /// What the adapter does next.
    public enum Action: Sendable, Equatable {
        /// Connect to the card and send GET DATA.
        case readCard
        /// Leave this UID for the station (an ``RFIDRead``).
        case deliver([UInt8])
        /// Log a line (a change of the reader's state, a refused card).
        case log(LogLevel, String)
    }

    public enum LogLevel: Sendable, Equatable { case notice, warning, error }

    /// Read attempts of one presentation before the card is refused.
    public static let maxAttempts = 3

    public private(set) var state: State
    /// The reader communicates (false raises "RFID reader not communicating").
    public var healthy: Bool { state != .readerMissing }

    /// Starts with the reader found (`HardwareBoard.open` checked it) or missing.
    public init(readerFound: Bool = true) { state = readerFound ? .empty : .readerMissing }

    /// The adapter saw `observation`.
    public mutating func observe(_ observation: Observation) -> [Action] {
        var actions: [Action] = []
        switch (state, observation) {
        case (.readerMissing, .readerMissing):
            return []
        case (_, .readerMissing(let why)):
            state = .readerMissing
            return [.log(.error, "RFID reader not communicating: \(why)")]
        case (.readerMissing, _):
            actions.append(.log(.notice, "RFID reader communicating again"))
            state = .empty
        default:
            break
        }
        switch (state, observation) {
        case (_, .empty):
            state = .empty
        case (.empty, .present):
            state = .unread(failures: 0)
            actions.append(.readCard)
        case (.unread, .present):
            actions.append(.readCard)
        default:
            break
        }
        return actions
    }

    /// The read the adapter made after ``Action/readCard``: the UID, or why there is none.
    public mutating func read(_ outcome: Result<[UInt8], ReadFailure>) -> [Action] {
        guard case .unread(let failures) = state else { return [] }
        switch outcome {
        case .success(let uid):
            state = .done
            return [.deliver(uid)]
        case .failure(let failure):
            if failure.cardGone { state = .empty; return [] }
            let n = failures + 1
            guard n >= Self.maxAttempts else { state = .unread(failures: n); return [] }
            state = .done
            return [.log(.warning, "card refused after \(n) attempts: \(failure.reason); take it away and present it again")]
        }
    }

    /// Why a read gave no UID.
    public struct ReadFailure: Error, Sendable, Equatable {
        public var reason: String
        /// The card left before it was read: nothing to refuse.
        public var cardGone: Bool
        public init(_ reason: String, cardGone: Bool = false) { self.reason = reason; self.cardGone = cardGone }
    }
}
