/// The schema-neutral form of a decoded EXI document: elements with their attributes, typed simple content and child
/// elements in stream order. The generated message types convert to and from it; the oracle's JSON form is rendered
/// from it (EXIJSON).

/// A typed value of an attribute or of simple content.
public enum EXIValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case boolean(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    /// xs:hexBinary octets.
    case binary([UInt8])
    /// xs:base64Binary octets.
    case base64Binary([UInt8])

    /// An empty string or binary value (encoded as the end of the element, without characters).
    public var isEmpty: Bool {
        switch self {
        case .string(let s): return s.isEmpty
        case .binary(let b), .base64Binary(let b): return b.isEmpty
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return s
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .unsigned(let u): return String(u)
        case .binary(let b): return EXIHex.encode(b)
        case .base64Binary(let b): return EXIBase64.encode(b)
        }
    }
}

public struct EXIAttribute: Equatable, Sendable {
    public var name: String
    public var value: EXIValue

    public init(_ name: String, _ value: EXIValue) {
        self.name = name
        self.value = value
    }
}

public struct EXINode: Equatable, Sendable {
    public var name: EXIQName
    public var attributes: [EXIAttribute]
    /// Simple content (CH), or the text of mixed content.
    public var value: EXIValue?
    public var children: [EXINode]
    /// The grammar allows this element more than once at its place (rendered as a JSON array); not compared by ==.
    public var repeatable: Bool
    /// The element's type is complex with simple content (rendered as an object with "value"); not compared by ==.
    public var objectForm: Bool

    public init(
        _ name: EXIQName, attributes: [EXIAttribute] = [], value: EXIValue? = nil, children: [EXINode] = [],
        repeatable: Bool = false, objectForm: Bool = false
    ) {
        self.objectForm = objectForm
        self.name = name
        self.attributes = attributes
        self.value = value
        self.children = children
        self.repeatable = repeatable
    }

    public static func == (a: EXINode, b: EXINode) -> Bool {
        a.name == b.name && a.attributes == b.attributes && a.value == b.value && a.children == b.children
    }

    /// The first child with this local name.
    public func child(_ localName: String) -> EXINode? { children.first { $0.name.localName == localName } }

    public func attribute(_ name: String) -> EXIValue? { attributes.first { $0.name == name }?.value }
}
