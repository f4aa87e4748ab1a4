#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON schema of the subset the OCPP 1.6 schemas use, declared in code and checked before decoding, so
/// that every violation gets its CALLERROR code (OCPP-J §4.2.3):
/// - not an object where one is required, or an unknown property (`additionalProperties: false`) →
///   FormationViolation;
/// - a required property missing → OccurenceConstraintViolation;
/// - a value of the wrong JSON type → TypeConstraintViolation;
/// - a value outside its enumeration, length, range or date-time format → PropertyConstraintViolation.
///
/// A schema is built once (the `static let schema` of each payload) into a tree of immutable nodes that the check walks
/// by reference, without copying enum payloads; names are compared bitwise first, which succeeds at once for the names
/// the parser took from the ``NameTable`` (the schema's own Strings), and by value otherwise.
public struct Schema: Sendable {
    let node: Node

    /// One schema rule. Only the fields of its `kind` are used.
    final class Node: Sendable {
        enum Kind { case string, integer, number, boolean, array, object }
        let kind: Kind
        // string
        let maxLength: Int?
        /// The enumeration, if any (a short list: a linear scan beats hashing here), and each value's bits.
        let values: [String]?
        let valueBits: [StringBits]
        let dateTime: Bool
        // integer
        let minimumInteger: Int64?
        let maximumInteger: Int64?
        // number
        let minimumNumber: Double?
        let decimals: Int?
        // array
        let item: Node?
        let minItems: Int
        let maxItems: Int?
        // object
        /// Members not among `properties` are allowed (OCPP 2.0.1's CustomDataType, the one open object).
        let additionalProperties: Bool
        let properties: [SchemaProperty]
        let names: [String]
        let nameBits: [StringBits]
        let children: [Node]
        /// `children` without reference counting, for the check (the schema outlives it).
        let childRefs: [Unmanaged<Node>]
        let required: [Bool]
        /// An object without properties that allows no others: only `{}` fits.
        let isClosedEmptyObject: Bool

        init(kind: Kind, maxLength: Int? = nil, values: [String]? = nil, dateTime: Bool = false, minimumInteger: Int64? = nil,
             maximumInteger: Int64? = nil, minimumNumber: Double? = nil, decimals: Int? = nil, item: Node? = nil, minItems: Int = 0,
             maxItems: Int? = nil, properties: [SchemaProperty] = [], additionalProperties: Bool = false) {
            self.kind = kind; self.maxLength = maxLength; self.values = values; self.valueBits = (values ?? []).map(StringBits.init)
            self.dateTime = dateTime; self.minimumInteger = minimumInteger; self.maximumInteger = maximumInteger
            self.minimumNumber = minimumNumber; self.decimals = decimals; self.item = item; self.minItems = minItems
            self.maxItems = maxItems; self.additionalProperties = additionalProperties
            self.properties = properties; names = properties.map(\.name); nameBits = properties.map { StringBits($0.name) }
            children = properties.map(\.schema.node); required = properties.map(\.required)
            childRefs = children.map { Unmanaged.passUnretained($0) }
            isClosedEmptyObject = kind == .object && properties.isEmpty && !additionalProperties
        }
    }

    /// A string, at most `maxLength` characters, one of `values`, an OCPP date-time if `dateTime`.
    public static func string(maxLength: Int? = nil, values: [String]? = nil, dateTime: Bool = false) -> Schema {
        Schema(node: Node(kind: .string, maxLength: maxLength, values: values, dateTime: dateTime))
    }
    public static func integer(minimum: Int64? = nil, maximum: Int64? = nil) -> Schema {
        Schema(node: Node(kind: .integer, minimumInteger: minimum, maximumInteger: maximum))
    }
    /// A number with at most `decimals` decimal places (e.g. charging limits: one decimal).
    public static func number(minimum: Double? = nil, decimals: Int? = nil) -> Schema {
        Schema(node: Node(kind: .number, minimumNumber: minimum, decimals: decimals))
    }
    public static let boolean = Schema(node: Node(kind: .boolean))
    public static func array(_ item: Schema, minItems: Int = 0, maxItems: Int? = nil) -> Schema {
        Schema(node: Node(kind: .array, item: item.node, minItems: minItems, maxItems: maxItems))
    }
    /// An object of these properties and no others (`additionalProperties: false`).
    public static func object(_ properties: [SchemaProperty]) -> Schema { Schema(node: Node(kind: .object, properties: properties)) }
    /// An object of these properties that may carry others as well (OCPP 2.0.1's CustomDataType: `vendorId` and any
    /// vendor's members).
    public static func openObject(_ properties: [SchemaProperty]) -> Schema {
        Schema(node: Node(kind: .object, properties: properties, additionalProperties: true))
    }

    /// CiString of at most `n` characters.
    public static func ci(_ n: Int) -> Schema { .string(maxLength: n) }
    /// One of the values.
    public static func enumeration(_ values: [String]) -> Schema { .string(values: values) }
    /// An OCPP dateTime.
    public static let dateTime = Schema.string(dateTime: true)

    /// Checks `value`; throws the CALLERROR to answer with.
    public func validate(_ value: JSONValue) throws(OCPPError) {
        do throws(Violation) {
            try node.check(value)
        } catch {
            // The path is only built when a check fails: the components were collected while the error unwound.
            var path = "payload"
            for component in error.path.reversed() {
                switch component {
                case .index(let i): path += "[\(i)]"
                case .name(let n): path += "." + n
                }
            }
            throw OCPPError(error.code, path + error.detail)
        }
    }

    /// A failed check: the CALLERROR code, the text after the path, and the path from the failing value up (each
    /// enclosing array or object adds its component while the error unwinds).
    struct Violation: Error {
        enum Component { case index(Int), name(String) }
        var code: OCPPErrorCode
        var detail: String
        var path: [Component] = []
    }

    /// Appends every property name and enumeration value of the schema (for the parser's ``NameTable``).
    func collectNames(into out: inout [String]) {
        switch node.kind {
        case .string: out.append(contentsOf: node.values ?? [])
        case .integer, .number, .boolean: break
        case .array: Schema(node: node.item!).collectNames(into: &out)
        case .object:
            for p in node.properties { out.append(p.name); p.schema.collectNames(into: &out) }
        }
    }
}

/// The bits of a String value: equal bits are equal strings (the same inline characters, or the same storage). Unequal
/// bits say nothing, so a comparison falls back to `==`.
struct StringBits: Sendable, Equatable {
    let a: UInt64, b: UInt64
    @inline(__always) init(_ s: String) { (a, b) = unsafeBitCast(s, to: (UInt64, UInt64).self) }

    /// A small ASCII String: its (up to 15) characters are stored in the bits themselves, zero-padded, so two such
    /// Strings are equal exactly when their bits are. The discriminator in the top bits of the second word of Swift's
    /// `_StringObject` on 64-bit platforms: bit 61 small, bit 62 (of a small string) ASCII. The test "String bits" of
    /// `CodecFastPathTests` pins it.
    @inline(__always) var isSmallASCII: Bool { b >> 61 & 0b11 == 0b11 }
}

extension Schema.Node {
    /// The check of one value against this node (see ``Schema`` for the CALLERROR of each rule).
    func check(_ value: JSONValue) throws(Schema.Violation) {
        try withUnsafePointer(to: value) { (p) throws(Schema.Violation) in try check(at: p) }
    }

    /// The check of a child node, reached without a retain and a release of it.
    @inline(__always)
    private static func check(_ node: Unmanaged<Schema.Node>, at p: UnsafePointer<JSONValue>) throws(Schema.Violation) {
        let result = node._withUnsafeGuaranteedRef { node -> Schema.Violation? in
            do throws(Schema.Violation) { try node.check(at: p) } catch { return error }
            return nil
        }
        if let result { throw result }
    }

    /// The check of the value at `p`. Values are reached by address all the way down: a value passed as an argument
    /// is copied first (an outlined copy, a retain and a release per member, callgrind, issue 31), because the
    /// compiler cannot tell that the call leaves the array it was read from alone.
    func check(at p: UnsafePointer<JSONValue>) throws(Schema.Violation) {
        switch kind {
        case .string:
            guard case .string(let s) = p.pointee else { throw .init(code: .typeConstraintViolation, detail: " has the wrong type \(p.pointee.typeName)") }
            if let maxLength, s.utf8.count > maxLength, s.count > maxLength {
                throw .init(code: .propertyConstraintViolation, detail: " is longer than \(maxLength) characters")
            }
            if let values {
                let bits = StringBits(s)
                let known = valueBits.withUnsafeBufferPointer { valueBits in
                    for k in valueBits.indices where valueBits[k] == bits { return true }
                    return false
                }
                if !known, !values.contains(where: { sameKey($0, s) }) {
                    throw .init(code: .propertyConstraintViolation, detail: " '\(s)' is not one of \(values.sorted().joined(separator: ", "))")
                }
            }
            if dateTime, OCPPDate.parse(s) == nil {
                throw .init(code: .propertyConstraintViolation, detail: " '\(s)' is not a date-time like 2026-01-31T12:00:00Z")
            }
        case .integer:
            let i: Int64
            switch p.pointee {
            case .integer(let v): i = v
            case .number(let d) where d == d.rounded() && abs(d) < 9e18: i = Int64(d)
            default: throw .init(code: .typeConstraintViolation, detail: " must be an integer, not \(p.pointee.typeName)")
            }
            if let minimumInteger, i < minimumInteger { throw .init(code: .propertyConstraintViolation, detail: " must be at least \(minimumInteger)") }
            if let maximumInteger, i > maximumInteger { throw .init(code: .propertyConstraintViolation, detail: " must be at most \(maximumInteger)") }
        case .number:
            let d: Double
            switch p.pointee {
            case .integer(let v): d = Double(v)
            case .number(let v): d = v
            default: throw .init(code: .typeConstraintViolation, detail: " must be a number, not \(p.pointee.typeName)")
            }
            if let minimumNumber, d < minimumNumber { throw .init(code: .propertyConstraintViolation, detail: " must be at least \(minimumNumber)") }
            if let decimals {
                var scale = 1.0
                for _ in 0..<decimals { scale *= 10 }
                if abs((d * scale).rounded() - d * scale) > 1e-6 {
                    throw .init(code: .propertyConstraintViolation, detail: " has more than \(decimals) decimal place(s)")
                }
            }
        case .boolean:
            guard case .bool = p.pointee else { throw .init(code: .typeConstraintViolation, detail: " has the wrong type \(p.pointee.typeName)") }
        case .array:
            guard case .array(let items) = p.pointee else { throw .init(code: .typeConstraintViolation, detail: " has the wrong type \(p.pointee.typeName)") }
            if items.count < minItems { throw .init(code: .occurenceConstraintViolation, detail: " needs at least \(minItems) item(s)") }
            if let maxItems, items.count > maxItems { throw .init(code: .occurenceConstraintViolation, detail: " has more than \(maxItems) item(s)") }
            let item = Unmanaged.passUnretained(item!)
            try items.withUnsafeBufferPointer { (buffer) throws(Schema.Violation) in
                guard let base = buffer.baseAddress else { return }
                for i in buffer.indices {
                    do throws(Schema.Violation) { try Self.check(item, at: base + i) } catch {
                        var e = error
                        e.path.append(.index(i))
                        throw e
                    }
                }
            }
        case .object:
            guard case .object(let fields) = p.pointee else {
                throw .init(code: p.pointee == .null ? .formationViolation : .typeConstraintViolation, detail: " must be an object, not \(p.pointee.typeName)")
            }
            try checkMembers(fields)
        }
    }

    /// One pass over the members (each must be a known property), then the required ones that are missing (a bit per
    /// property: a repeated key does not count twice). Members usually come in the schema's order, so the bitwise search
    /// for a member's property starts after the previous member's; only if it finds none are the names compared by value.
    private func checkMembers(_ fields: JSONObject) throws(Schema.Violation) {
        var seen: UInt64 = 0
        let count = names.count
        var next = 0
        try fields.members.withUnsafeBufferPointer { (members) throws(Schema.Violation) in
            guard let base = members.baseAddress else { return }
            for m in members.indices {
                let bits = StringBits(members[inPlace: m].key)
                var j = -1
                var k = next
                nameBits.withUnsafeBufferPointer { nameBits in
                    for _ in 0..<count {
                        if nameBits[k] == bits { j = k; break }
                        k = k + 1 == count ? 0 : k + 1
                    }
                }
                if j < 0 { j = names.firstIndex(where: { sameKey($0, members[m].key) }) ?? -1 }
                if j < 0 && additionalProperties { continue }
                guard j >= 0 else { throw .init(code: .formationViolation, detail: " has no property '\(members[m].key)'") }
                next = j + 1 == count ? 0 : j + 1
                if j < 64 { seen |= 1 << UInt64(j) }
                do throws(Schema.Violation) { try Self.check(childRefs[j], at: (base + m).valueAddress) } catch {
                    var e = error
                    e.path.append(.name(names[j]))
                    throw e
                }
            }
        }
        for j in 0..<count where required[j] && (j >= 64 || seen & (1 << UInt64(j)) == 0) {
            guard fields[names[j]] == nil else { continue }
            throw .init(code: .occurenceConstraintViolation, detail: ".\(names[j]) is required")
        }
    }
}

/// A property of an object schema.
public struct SchemaProperty: Sendable {
    public var name: String
    public var schema: Schema
    public var required: Bool

    public init(_ name: String, _ schema: Schema, required: Bool = false) {
        self.name = name; self.schema = schema; self.required = required
    }
}

/// A required property.
public func req(_ name: String, _ schema: Schema) -> SchemaProperty { SchemaProperty(name, schema, required: true) }
/// An optional property.
public func opt(_ name: String, _ schema: Schema) -> SchemaProperty { SchemaProperty(name, schema) }

/// A payload of an OCPP message with its schema.
public protocol OCPPPayload: Codable, Sendable, Equatable, JSONValueDecodable {
    static var schema: Schema { get }
}

/// A request (CALL) with its action name and response type.
public protocol OCPPRequest: OCPPPayload {
    associatedtype Response: OCPPPayload
    static var action: String { get }
}

extension OCPPRequest {
    /// The schema of the answer (CALLRESULT payload).
    public static var responseSchema: Schema { Response.schema }
}

/// Turning payloads into JSON and back, with schema validation and OCPP date coding.
public enum OCPPCoding {
    /// Validates and decodes a payload.
    public static func decode<P: OCPPPayload>(_ type: P.Type, from json: JSONValue) throws(OCPPError) -> P {
        try P.schema.validate(json)
        return try P(json: json)
    }

    /// Encodes a payload (dates as OCPP date-times, absent optionals left out).
    public static func encode<P: OCPPPayload>(_ payload: P) -> JSONValue {
        // A payload whose schema is an object without properties (MeterValues.conf, StatusNotification.conf, …) can only
        // be `{}`: written at once instead of through the Encoder's containers (a third of a MeterValues CALLRESULT's
        // instructions, issue 31). `CodecEquivalenceTests` checks that the Encoder gives the same for each such type.
        if P.schema.node.isClosedEmptyObject { return .object(JSONObject()) }
        return (try? JSONValueEncoder.encode(payload)) ?? .object([:])
    }
}
