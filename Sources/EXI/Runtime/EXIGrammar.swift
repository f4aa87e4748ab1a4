/// A schema's normalised EXI grammars (W3C EXI 1.0 Second Edition §8.5.4), as `scripts/exi-codegen` writes them: the
/// qualified names, the datatypes and the states of every element grammar with their productions in event-code order.
/// The states come as a compact text (one line per state) so the generated Swift stays a few string literals that
/// compile instantly instead of a huge array literal of structs.

/// A qualified name of the schema (EXI §7.1.7); attributes of the V2G schemas are unqualified (empty namespace).
public struct EXIQName: Hashable, Sendable, CustomStringConvertible {
    public let namespace: String
    public let localName: String

    public init(_ namespace: String, _ localName: String) {
        self.namespace = namespace
        self.localName = localName
    }

    public var description: String { namespace.isEmpty ? localName : "{\(namespace)}\(localName)" }
}

/// The datatype of a value (EXI §7.1, Table 7-1) with the facets of its schema type that this codec checks.
public enum EXIDatatype: Sendable, Equatable {
    /// String (§7.1.10) through the string table (§7.3); minLength/maxLength of the schema type.
    case string(minLength: Int?, maxLength: Int?)
    /// Enumeration (§7.2): the index of the value, ceil(log2(count)) bits.
    case enumeration([String])
    case boolean
    /// n-bit unsigned integer (§7.1.9) of value − min, for integer types with a bounded range of at most 4096.
    case boundedInteger(min: Int64, max: Int64)
    /// Unsigned integer (§7.1.6) for integer types with a lower bound ≥ 0.
    case unsignedInteger(min: UInt64, max: UInt64?)
    /// Integer (§7.1.5) for other integer types.
    case integer(min: Int64?, max: Int64?)
    /// Binary (§7.1.1), hexBinary or base64Binary, with the length facets in octets.
    case binary(base64: Bool, minLength: Int?, maxLength: Int?)
}

/// One production of a normalised grammar state.
public struct EXIProduction: Sendable {
    public enum Kind: UInt8, Sendable {
        case attribute = 0, startElement = 1, endElement = 2, characters = 3, anyElement = 4, untypedCharacters = 5
    }

    public let kind: Kind
    /// The qualified name's index (AT, SE), else −1.
    public let qname: Int
    /// AT, CH: the datatype's index; SE: the start state of the element's grammar; else −1.
    public let argument: Int
    /// The state after this event; −1 after EE.
    public let target: Int
    /// SE: the element may occur more than once here (a JSON array in the oracle's form).
    public let repeated: Bool
    /// SE: the element's type is complex with simple content (an object with "value" in the oracle's form).
    public let objectForm: Bool
}

/// The grammars of one schema set: built once from the generated tables, then shared (immutable, Sendable).
public final class EXISchema: Sendable {
    public let name: String
    public let qnames: [EXIQName]
    public let datatypes: [EXIDatatype]
    public let states: [[EXIProduction]]
    /// Per state, the number of second-level productions (strict = false, §8.5.4.4.1); the first of them is EE where
    /// the state has no first-level EE.
    public let secondLevelCounts: [Int]
    /// DocContent (§8.5.1): SE of every global element, sorted by local name then namespace: (qname, grammar start).
    public let documentElements: [(qname: Int, start: Int)]
    /// FragmentContent (§8.5.2): SE of every element declaration; start −1 where one name has several types.
    public let fragmentElements: [(qname: Int, start: Int)]
    let qnameIndex: [EXIQName: Int]

    /// The generated tables as text: `qnames` one "namespace<TAB>localName" per line; `datatypes` one per line, tab
    /// separated: "s min max" string, "e v1 v2 …" enumeration, "b" boolean, "n min max" bounded, "u min max" unsigned,
    /// "i min max" integer, "x min max" hexBinary, "6 min max" base64Binary ("-" for no facet); `encodedStates` one
    /// line per state, "secondLevelCount|" then productions separated by ";", each "kind,qname,argument,target,flags" (−1 for none; flags: 1 repeated, 2 object form);
    /// `documentElements`/`fragmentElements` "qname,start" pairs separated by ";".
    public init(
        name: String, qnames: String, datatypes: String, encodedStates: String, documentElements: String,
        fragmentElements: String
    ) {
        self.name = name
        self.qnames = qnames.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            return EXIQName(String(f[0]), String(f[1]))
        }
        self.datatypes = datatypes.split(separator: "\n").map { line in
            let f = line.split(separator: "\t").map(String.init)
            func int(_ i: Int) -> Int? { f[i] == "-" ? nil : Int(f[i])! }
            func i64(_ i: Int) -> Int64? { f[i] == "-" ? nil : Int64(f[i])! }
            switch f[0] {
            case "s": return .string(minLength: int(1), maxLength: int(2))
            case "e": return .enumeration(Array(f.dropFirst()))
            case "b": return .boolean
            case "n": return .boundedInteger(min: i64(1)!, max: i64(2)!)
            case "u": return .unsignedInteger(min: UInt64(f[1])!, max: f[2] == "-" ? nil : UInt64(f[2])!)
            case "i": return .integer(min: i64(1), max: i64(2))
            case "x": return .binary(base64: false, minLength: int(1), maxLength: int(2))
            default: return .binary(base64: true, minLength: int(1), maxLength: int(2))
            }
        }
        var states: [[EXIProduction]] = []
        var second: [Int] = []
        for line in encodedStates.split(separator: "\n") {
            var productions: [EXIProduction] = []
            let bar = line.firstIndex(of: "|")!
            second.append(Int(line[line.startIndex..<bar])!)
            for item in line[line.index(after: bar)...].split(separator: ";") {
                let f = item.split(separator: ",").map { Int($0)! }
                productions.append(
                    EXIProduction(
                        kind: EXIProduction.Kind(rawValue: UInt8(f[0]))!, qname: f[1], argument: f[2], target: f[3],
                        repeated: f[4] & 1 != 0, objectForm: f[4] & 2 != 0))
            }
            states.append(productions)
        }
        self.states = states
        self.secondLevelCounts = second
        func pairs(_ text: String) -> [(qname: Int, start: Int)] {
            text.split(separator: ";").map { item in
                let f = item.split(separator: ",").map { Int($0)! }
                return (qname: f[0], start: f[1])
            }
        }
        self.documentElements = pairs(documentElements)
        self.fragmentElements = pairs(fragmentElements)
        var index: [EXIQName: Int] = [:]
        for (i, q) in self.qnames.enumerated() where index[q] == nil { index[q] = i }
        self.qnameIndex = index
    }

    func qnameID(_ name: EXIQName) -> Int? { qnameIndex[name] }

    /// The grammar start of a global element (document root), nil when the schema has no such global element.
    public func documentElement(named name: EXIQName) -> (index: Int, start: Int)? {
        guard let q = qnameIndex[name], let i = documentElements.firstIndex(where: { $0.qname == q }) else { return nil }
        return (i, documentElements[i].start)
    }
}
