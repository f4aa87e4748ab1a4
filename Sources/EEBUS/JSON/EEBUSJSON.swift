import OCPP16

/// The EEBUS form of JSON, in which SHIP control messages and SPINE datagrams travel.
///
/// SHIP (EEBUS SHIP TS 1.0.1 §13.4.1, "JSON-UTF8" message format) writes every JSON object as an array of objects
/// with one member each, in member order: `{"a":1,"b":2}` becomes `[{"a":1},{"b":2}]`. An array of objects (a SPINE
/// list) therefore becomes an array of arrays, and the form is unambiguous in both directions: an array whose
/// elements are all objects with exactly one member is an object. A message's outermost object (`{"connectionHello":
/// […]}`, `{"data": […]}`) keeps its single member as it is.
///
/// The rest of ChargeKit works on the plain form (``JSONValue`` with ``JSONObject``s in member order); this type is
/// the one place that converts. Reading is strict: a repeated member is an error naming its path, never a silent
/// choice. It is tolerant only where devices in the field differ and the meaning is still clear: a plain object with
/// several members is read as that object, and trailing NUL bytes after the text (sent by some wallboxes, noted by
/// the open SHIP implementations) are ignored. An empty object and an empty list are both `[]` in the EEBUS form; it
/// reads back as an empty array, and the typed readers above take `[]` wherever they expect an object.
public enum EEBUSJSON {
    /// Why an EEBUS JSON text was refused: the byte offset for a text that is not JSON, or the path of the element
    /// for JSON that is not in the EEBUS form.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The plain value of an EEBUS JSON text (UTF-8 bytes).
    public static func decode(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 { end -= 1 }
        let parsed: JSONValue
        do throws(JSONParser.Failure) {
            parsed = try JSONParser.parse(end == bytes.count ? bytes : Array(bytes[..<end]))
        } catch {
            throw Failure(error.description)
        }
        return try plainForm(parsed)
    }

    /// The EEBUS JSON text (UTF-8 bytes) of a plain value.
    public static func encode(_ plain: JSONValue) -> [UInt8] {
        Array(eebusForm(plain).serialized.utf8)
    }

    /// Plain → EEBUS form. The outermost object keeps its members as they are (each becomes its own EEBUS value).
    public static func eebusForm(_ plain: JSONValue) -> JSONValue {
        guard case .object(let o) = plain else { return nested(plain) }
        var out = JSONObject(reservingCapacity: o.count)
        for m in o.members { out[m.key] = nested(m.value) }
        return .object(out)
    }

    private static func nested(_ plain: JSONValue) -> JSONValue {
        switch plain {
        case .object(let o):
            return .array(o.members.map { m in
                var one = JSONObject(reservingCapacity: 1)
                one[m.key] = nested(m.value)
                return .object(one)
            })
        case .array(let a):
            return .array(a.map(nested))
        default:
            return plain
        }
    }

    /// EEBUS form → plain.
    public static func plainForm(_ eebus: JSONValue) throws(Failure) -> JSONValue {
        try plain(eebus, path: "$")
    }

    private static func plain(_ value: JSONValue, path: String) throws(Failure) -> JSONValue {
        switch value {
        case .object(let o):
            var out = JSONObject(reservingCapacity: o.count)
            for m in o.members {
                guard out[m.key] == nil else { throw Failure("\(path): member \"\(m.key)\" repeated") }
                out[m.key] = try plain(m.value, path: path + "." + m.key)
            }
            return .object(out)
        case .array(let a):
            guard !a.isEmpty, a.allSatisfy({ if case .object(let o) = $0 { o.count == 1 } else { false } }) else {
                var out: [JSONValue] = []
                out.reserveCapacity(a.count)
                for (i, e) in a.enumerated() { out.append(try plain(e, path: "\(path)[\(i)]")) }
                return .array(out)
            }
            var out = JSONObject(reservingCapacity: a.count)
            for case .object(let one) in a {
                let m = one.members[0]
                guard out[m.key] == nil else { throw Failure("\(path): member \"\(m.key)\" repeated") }
                out[m.key] = try plain(m.value, path: path + "." + m.key)
            }
            return .object(out)
        default:
            return value
        }
    }
}
