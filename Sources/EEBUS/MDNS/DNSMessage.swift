// The DNS message as multicast DNS uses it (RFC 1035 §4.1 with the mDNS bits of RFC 6762 §18): values only. Reading is
// in DNSMessageReader.swift, writing (with name compression) in DNSMessageWriter.swift.

/// A domain name as a list of labels (RFC 1035 §3.1). Labels are kept as given (mDNS names are UTF-8, RFC 6762 §16,
/// and an instance name may contain dots, RFC 6763 §4.3, so a name is never split at dots behind the caller's back);
/// names compare case-insensitively in ASCII (RFC 1035 §2.3.3, RFC 6762 §16).
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    public var labels: [String]

    /// RFC 1035 §2.3.4: a label has at most 63 octets, a name (in wire form) at most 255.
    public static let maximumLabelOctets = 63
    public static let maximumNameOctets = 255

    public init(labels: [String]) { self.labels = labels }

    /// A name written with dots, e.g. `_ship._tcp.local` (only for names whose labels contain no dot).
    public init(_ dotted: String) {
        labels = dotted.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
    }

    /// `self` with `labels` in front: `DNSName("_ship._tcp.local").prepending("Wallbox 1")`.
    public func prepending(_ label: String) -> DNSName { DNSName(labels: [label] + labels) }

    /// The name without its first label (the parent domain).
    public var parent: DNSName { DNSName(labels: Array(labels.dropFirst())) }

    /// Labels in their comparison form: ASCII letters lower-cased, everything else as it is.
    var folded: [[UInt8]] { labels.map { $0.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } } }

    public static func == (a: DNSName, b: DNSName) -> Bool { a.folded == b.folded }
    public func hash(into hasher: inout Hasher) { hasher.combine(folded) }

    public var description: String { labels.joined(separator: ".") + "." }
}

/// A record or question type (RFC 1035 §3.2.2, RFC 3596 AAAA, RFC 2782 SRV, RFC 4034 §4 NSEC, RFC 1035 §3.2.3 ANY).
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let a = DNSRecordType(rawValue: 1)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let srv = DNSRecordType(rawValue: 33)
    public static let nsec = DNSRecordType(rawValue: 47)
    public static let any = DNSRecordType(rawValue: 255)

    public var description: String {
        switch self {
        case .a: "A"
        case .ptr: "PTR"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .nsec: "NSEC"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// The class IN (RFC 1035 §3.2.4); multicast DNS uses only it. The top bit of the class field is mDNS's own (RFC 6762
/// §18.12 and §18.13) and is kept apart in ``DNSQuestion/unicastResponse`` and ``DNSResourceRecord/cacheFlush``.
public enum DNSClass {
    public static let internet: UInt16 = 1
    /// RFC 1035 §3.2.5 QCLASS `*`.
    public static let any: UInt16 = 255
}

/// A question (RFC 1035 §4.1.2). `unicastResponse` is the "QU" bit of RFC 6762 §5.4 / §18.12.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: UInt16
    public var unicastResponse: Bool

    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSClass.internet, unicastResponse: Bool = false) {
        self.name = name; self.type = type; self.recordClass = recordClass; self.unicastResponse = unicastResponse
    }
}

/// The data of a resource record of the types DNS-SD uses; any other type is kept as its raw octets.
public enum DNSRecordData: Hashable, Sendable {
    /// RFC 1035 §3.4.1: four octets.
    case a([UInt8])
    /// RFC 3596 §2.2: sixteen octets.
    case aaaa([UInt8])
    /// RFC 1035 §3.3.12.
    case ptr(DNSName)
    /// RFC 2782.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// RFC 1035 §3.3.14: one or more character-strings of at most 255 octets each (RFC 6763 §6.1).
    case txt([[UInt8]])
    /// RFC 4034 §4.1 in the restricted form of RFC 6762 §6.1: the next domain name and the types that exist.
    case nsec(next: DNSName, types: [DNSRecordType])
    /// Any other type: its RDATA as received (names inside are not decompressed, so only types without names belong
    /// here).
    case other([UInt8])

    /// The record type this data belongs to (`other` has none of its own: the record's type says it).
    var impliedType: DNSRecordType? {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ptr: .ptr
        case .srv: .srv
        case .txt: .txt
        case .nsec: .nsec
        case .other: nil
        }
    }
}

/// A resource record (RFC 1035 §4.1.3). `cacheFlush` is the top bit of the class in a response (RFC 6762 §10.2 /
/// §18.13): set on unique records (SRV, TXT, A, AAAA of one owner), clear on shared ones (PTR).
public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: UInt16
    public var cacheFlush: Bool
    public var ttlSeconds: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, type: DNSRecordType? = nil, recordClass: UInt16 = DNSClass.internet, cacheFlush: Bool = false,
                ttlSeconds: UInt32, data: DNSRecordData) {
        self.name = name; self.type = type ?? data.impliedType ?? .any; self.recordClass = recordClass
        self.cacheFlush = cacheFlush; self.ttlSeconds = ttlSeconds; self.data = data
    }

    /// The same record with another TTL (a goodbye is the record with TTL 0, RFC 6762 §10.1).
    public func with(ttlSeconds: UInt32) -> DNSResourceRecord {
        var r = self
        r.ttlSeconds = ttlSeconds
        return r
    }

    /// Name, type, class and data are the same (RFC 6762 §7.1 and §8.2 compare records without their TTL and without
    /// the cache-flush bit).
    public func sameRecord(as other: DNSResourceRecord) -> Bool {
        name == other.name && type == other.type && recordClass == other.recordClass && data == other.data
    }
}

/// A DNS message (RFC 1035 §4.1.1). In multicast DNS the id is zero (RFC 6762 §18.1) except in the answer to a legacy
/// unicast query (§6.7), opcode and rcode are zero (§18.3, §18.11) and a response has AA set (§18.4).
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var responseCode: UInt8
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authorities: [DNSResourceRecord]
    public var additionals: [DNSResourceRecord]

    public init(id: UInt16 = 0, isResponse: Bool, opcode: UInt8 = 0, authoritative: Bool? = nil, truncated: Bool = false,
                recursionDesired: Bool = false, recursionAvailable: Bool = false, responseCode: UInt8 = 0,
                questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = [],
                additionals: [DNSResourceRecord] = []) {
        self.id = id; self.isResponse = isResponse; self.opcode = opcode; self.authoritative = authoritative ?? isResponse
        self.truncated = truncated; self.recursionDesired = recursionDesired; self.recursionAvailable = recursionAvailable
        self.responseCode = responseCode; self.questions = questions; self.answers = answers; self.authorities = authorities
        self.additionals = additionals
    }

    /// A multicast DNS query (RFC 6762 §5): id 0, the questions, the known answers (§7.1).
    public static func query(_ questions: [DNSQuestion], knownAnswers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = []) -> DNSMessage {
        DNSMessage(isResponse: false, questions: questions, answers: knownAnswers, authorities: authorities)
    }

    /// A multicast DNS response (RFC 6762 §6): id 0, AA set, no questions.
    public static func response(answers: [DNSResourceRecord], additionals: [DNSResourceRecord] = []) -> DNSMessage {
        DNSMessage(isResponse: true, answers: answers, additionals: additionals)
    }

    /// Every record of the answer, authority and additional sections.
    public var records: [DNSResourceRecord] { answers + authorities + additionals }
}

/// Why a message could not be read or written; names the place (RFC section) that was broken.
public struct DNSMessageError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
