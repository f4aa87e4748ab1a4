#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An `Encoder` that builds a ``JSONValue`` directly (no text round trip): dates become OCPP date-times
/// (``OCPPDate/format(_:)``), absent optionals are left out, members keep their declaration order.
struct JSONValueEncoder: Encoder {
    /// One value under construction; nested containers fill it in place.
    final class Box {
        enum Kind { case empty, value, object, array }
        var kind = Kind.empty
        var value = JSONValue.null
        var members: [(String, Child)] = []
        var items: [Child] = []

        func resolve() -> JSONValue {
            switch kind {
            case .empty: return .object(JSONObject())
            case .value: return value
            case .object:
                var o = JSONObject(reservingCapacity: members.count)
                for (k, c) in members { o.append(k, c.resolve()) }
                return .object(o)
            case .array:
                return .array(items.map { $0.resolve() })
            }
        }
    }

    enum Child {
        case value(JSONValue)
        case box(Box)
        func resolve() -> JSONValue {
            switch self {
            case .value(let v): v
            case .box(let b): b.resolve()
            }
        }
    }

    let box: Box
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(box: Box, codingPath: [any CodingKey] = []) { self.box = box; self.codingPath = codingPath }

    /// Encodes `value` into a JSONValue.
    static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try child(value, codingPath: []).resolve()
    }

    static func child<T: Encodable>(_ v: T, codingPath: [any CodingKey]) throws -> Child {
        // Metatype comparisons first: a dynamic cast costs hundreds of instructions per value and most values are
        // neither (callgrind, issue 31).
        if T.self == Date.self, let d = v as? Date { return .value(.string(OCPPDate.format(d))) }
        if T.self == JSONValue.self, let j = v as? JSONValue { return .value(j) }
        let b = Box()
        try v.encode(to: JSONValueEncoder(box: b, codingPath: codingPath))
        return .box(b)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.kind = .object
        return KeyedEncodingContainer(Keyed<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.kind = .array
        return Unkeyed(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(box: box, codingPath: codingPath) }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Box
        var codingPath: [any CodingKey]

        private func add(_ key: Key, _ v: JSONValue) { box.members.append((key.stringValue, .value(v))) }
        mutating func encodeNil(forKey key: Key) { add(key, .null) }
        mutating func encode(_ v: Bool, forKey key: Key) { add(key, .bool(v)) }
        mutating func encode(_ v: String, forKey key: Key) { add(key, .string(v)) }
        mutating func encode(_ v: Double, forKey key: Key) { add(key, .number(v)) }
        mutating func encode(_ v: Float, forKey key: Key) { add(key, .number(Double(v))) }
        mutating func encode(_ v: Int, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: Int8, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: Int16, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: Int32, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: Int64, forKey key: Key) { add(key, .integer(v)) }
        mutating func encode(_ v: UInt, forKey key: Key) { add(key, .integer(Int64(truncatingIfNeeded: v))) }
        mutating func encode(_ v: UInt8, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: UInt16, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: UInt32, forKey key: Key) { add(key, .integer(Int64(v))) }
        mutating func encode(_ v: UInt64, forKey key: Key) { add(key, .integer(Int64(truncatingIfNeeded: v))) }
        mutating func encode<T: Encodable>(_ v: T, forKey key: Key) throws {
            box.members.append((key.stringValue, try JSONValueEncoder.child(v, codingPath: codingPath + [key])))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let b = Box()
            b.kind = .object
            box.members.append((key.stringValue, .box(b)))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let b = Box()
            b.kind = .array
            box.members.append((key.stringValue, .box(b)))
            return Unkeyed(box: b, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder {
            let b = Box()
            box.members.append(("super", .box(b)))
            return JSONValueEncoder(box: b, codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let b = Box()
            box.members.append((key.stringValue, .box(b)))
            return JSONValueEncoder(box: b, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]
        var count: Int { box.items.count }

        mutating func encodeNil() { box.items.append(.value(.null)) }
        mutating func encode(_ v: Bool) { box.items.append(.value(.bool(v))) }
        mutating func encode(_ v: String) { box.items.append(.value(.string(v))) }
        mutating func encode(_ v: Double) { box.items.append(.value(.number(v))) }
        mutating func encode(_ v: Int) { box.items.append(.value(.integer(Int64(v)))) }
        mutating func encode(_ v: Int64) { box.items.append(.value(.integer(v))) }
        mutating func encode<T: Encodable>(_ v: T) throws { box.items.append(try JSONValueEncoder.child(v, codingPath: codingPath)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let b = Box()
            b.kind = .object
            box.items.append(.box(b))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let b = Box()
            b.kind = .array
            box.items.append(.box(b))
            return Unkeyed(box: b, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Encoder {
            let b = Box()
            box.items.append(.box(b))
            return JSONValueEncoder(box: b, codingPath: codingPath)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]

        private func set(_ v: JSONValue) { box.kind = .value; box.value = v }
        mutating func encodeNil() { set(.null) }
        mutating func encode(_ v: Bool) { set(.bool(v)) }
        mutating func encode(_ v: String) { set(.string(v)) }
        mutating func encode(_ v: Double) { set(.number(v)) }
        mutating func encode(_ v: Float) { set(.number(Double(v))) }
        mutating func encode(_ v: Int) { set(.integer(Int64(v))) }
        mutating func encode(_ v: Int8) { set(.integer(Int64(v))) }
        mutating func encode(_ v: Int16) { set(.integer(Int64(v))) }
        mutating func encode(_ v: Int32) { set(.integer(Int64(v))) }
        mutating func encode(_ v: Int64) { set(.integer(v)) }
        mutating func encode(_ v: UInt) { set(.integer(Int64(truncatingIfNeeded: v))) }
        mutating func encode(_ v: UInt8) { set(.integer(Int64(v))) }
        mutating func encode(_ v: UInt16) { set(.integer(Int64(v))) }
        mutating func encode(_ v: UInt32) { set(.integer(Int64(v))) }
        mutating func encode(_ v: UInt64) { set(.integer(Int64(truncatingIfNeeded: v))) }
        mutating func encode<T: Encodable>(_ v: T) throws {
            let c = try JSONValueEncoder.child(v, codingPath: codingPath)
            set(c.resolve())
        }
    }
}
