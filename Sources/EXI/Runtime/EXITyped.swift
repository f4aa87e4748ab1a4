/// What the generated message types (Sources/EXI/Generated/*/…Types*.swift) share: the conversion to and from the
/// schema-neutral EXINode, and the errors of a node that does not fit its type (missing or unknown members). The facets
/// of the values are the codec's business (EXIDatatype.violation), checked on encode and decode.
public protocol EXITypedElement: Sendable {
    init(node: EXINode) throws
    func node(_ name: EXIQName, repeatable: Bool) -> EXINode
}

public enum EXITyped {
    static func invalid(_ value: EXIValue?, _ field: String) -> EXIError {
        EXIError(bitPosition: 0, "\(field): \(value.map { "\($0)" } ?? "no value") does not fit the member's type")
    }

    static func missing(_ name: String, in node: EXINode) -> EXIError {
        EXIError(bitPosition: 0, "\(node.name.localName): the required \(name) is missing")
    }

    static func unexpected(_ name: String, in node: EXINode) -> EXIError {
        EXIError(bitPosition: 0, "\(node.name.localName): \(name) is not a member of this type")
    }

    static func string(_ v: EXIValue?, _ f: String) throws -> String {
        guard case .string(let s)? = v else { throw invalid(v, f) }
        return s
    }

    static func bool(_ v: EXIValue?, _ f: String) throws -> Bool {
        guard case .boolean(let b)? = v else { throw invalid(v, f) }
        return b
    }

    static func int(_ v: EXIValue?, _ f: String) throws -> Int {
        guard case .integer(let i)? = v, let x = Int(exactly: i) else { throw invalid(v, f) }
        return x
    }

    static func intFromUnsigned(_ v: EXIValue?, _ f: String) throws -> Int {
        guard case .unsigned(let u)? = v, let x = Int(exactly: u) else { throw invalid(v, f) }
        return x
    }

    static func uint64(_ v: EXIValue?, _ f: String) throws -> UInt64 {
        guard case .unsigned(let u)? = v else { throw invalid(v, f) }
        return u
    }

    static func bytes(_ v: EXIValue?, _ f: String) throws -> [UInt8] {
        switch v {
        case .binary(let b)?, .base64Binary(let b)?: return b
        default: throw invalid(v, f)
        }
    }

    /// An Int of an unsigned schema type: a negative one stays an integer so the encoder refuses it with the field's
    /// name instead of trapping here.
    public static func unsigned(_ x: Int) -> EXIValue { x >= 0 ? .unsigned(UInt64(x)) : .integer(Int64(x)) }
}
