#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// The simple SPINE value types the use cases read and write, in the plain JSON form: scaled numbers, durations and
/// absolute-or-relative times (EEBUS SPINE TS resource specification 1.3.0, `commondatatypes`: `ScaledNumberType`,
/// `DurationType` = xs:duration, `AbsoluteOrRelativeTimeType` = xs:dateTime or xs:duration).
public enum SPINEValueCoding {
    /// A write that breaks a rule: the engine answers it with `resultData` error number 7 "command rejected"
    /// (SPINE TS §5.2.5 `errorNumberType`), the text naming the field and what is allowed.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: Scaled numbers

    /// `ScaledNumberType` {number, scale}: value = number × 10^scale, `number` an integer (xs:long), `scale` an
    /// integer of -128…127 (xs:byte), absent meaning 0.
    public static func scaledNumber(_ value: JSONValue?, field: String) throws(Refusal) -> Double {
        guard case .object(let object)? = value else {
            throw Refusal("\(field) must be a scaled number {number, scale}, not \(value?.typeName ?? "missing")")
        }
        for key in object.keys where key != "number" && key != "scale" {
            throw Refusal("\(field).\(key) is not a member of a scaled number (allowed: number, scale)")
        }
        guard case .integer(let number)? = object["number"] else {
            throw Refusal("\(field).number must be an integer, not \(object["number"]?.typeName ?? "missing")")
        }
        var scale: Int64 = 0
        if let s = object["scale"] {
            guard case .integer(let given) = s, (-128...127).contains(given) else {
                throw Refusal("\(field).scale must be an integer of -128…127")
            }
            scale = given
        }
        // Dividing by an exact power of ten rounds once: {165, -1} reads as exactly 16.5.
        let result = scale < 0 ? Double(number) / powerOfTen(Int(-scale)) : Double(number) * powerOfTen(Int(scale))
        guard result.isFinite else { throw Refusal("\(field) is out of range") }
        return result
    }

    /// The scaled number of `value` with as few decimals as it needs, at most three (mA, mW: finer than any reading
    /// the station has): 16 → {16, 0}, 16.5 → {165, -1}, 0.125 → {125, -3}.
    public static func scaled(_ value: Double) -> JSONValue {
        var scale = 0
        var scaledValue = value
        while scale > -3, scaledValue.rounded() != scaledValue, abs(scaledValue) < 1e15 {
            scale -= 1
            scaledValue = value * powerOfTen(-scale)
        }
        let number = Int64(scaledValue.rounded())
        return .object(["number": .integer(number), "scale": .integer(Int64(scale))])
    }

    /// 10^n by multiplication (no libm in the pure target's Foundation subset); exact for the scales SPINE uses.
    static func powerOfTen(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(n) { result *= 10 }
        return n < 0 ? 1 / result : result
    }

    // MARK: Durations

    /// Parses an xs:duration (W3C XML Schema Part 2 §3.2.6) of days, hours, minutes and seconds (`PT2H`, `P1DT30M`,
    /// `PT4.5S`, also weeks `P2W`). Years and months have no fixed length and are refused, as is a negative duration:
    /// no SPINE period the station takes is negative.
    public static func duration(_ text: String, field: String) throws(Refusal) -> Double {
        let refusal = Refusal("\(field) must be an xs:duration of days, hours, minutes and seconds such as \"PT2H\", not \"\(text)\"")
        var chars = Substring(text)
        guard chars.first == "P" else { throw refusal }
        chars.removeFirst()
        var seconds = 0.0
        var inTime = false
        var number = ""
        var sawComponent = false
        for c in chars {
            if c.isASCII, c.isNumber || c == "." {
                number.append(c)
                continue
            }
            if c == "T" {
                guard !inTime, number.isEmpty else { throw refusal }
                inTime = true
                continue
            }
            guard !number.isEmpty, let n = Double(number), n.isFinite else { throw refusal }
            number = ""
            sawComponent = true
            switch (c, inTime) {
            case ("W", false): seconds += n * 604_800
            case ("D", false): seconds += n * 86_400
            case ("H", true): seconds += n * 3_600
            case ("M", true): seconds += n * 60
            case ("S", true): seconds += n
            case ("Y", false), ("M", false):
                throw Refusal("\(field): years and months have no fixed length; give the duration in days, hours, minutes or seconds (e.g. \"PT2H\")")
            default: throw refusal
            }
        }
        guard number.isEmpty, sawComponent else { throw refusal }
        return seconds
    }

    /// Formats seconds as an xs:duration: `PT4S`, `PT2H`, `P1DT2H30M`; whole seconds unless a fraction is given.
    public static func duration(seconds: Double) -> String {
        guard seconds > 0 else { return "PT0S" }
        var rest = seconds
        let days = Int(rest / 86_400)
        rest -= Double(days) * 86_400
        let hours = Int(rest / 3_600)
        rest -= Double(hours) * 3_600
        let minutes = Int(rest / 60)
        rest -= Double(minutes) * 60
        var text = "P"
        if days > 0 { text += "\(days)D" }
        guard hours > 0 || minutes > 0 || rest > 0 else { return text }
        text += "T"
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if rest > 0 {
            let whole = rest.rounded()
            text += abs(rest - whole) < 0.001 ? "\(Int(whole))S" : "\((rest * 1000).rounded() / 1000)S"
        }
        return text
    }

    /// An `AbsoluteOrRelativeTimeType` as a point in time: an xs:dateTime (RFC 3339 with an offset) as given, an
    /// xs:duration relative to `now` (SPINE TS §5.2.6: a relative time counts from the receipt of the command).
    public static func time(_ value: JSONValue?, field: String, now: Date) throws(Refusal) -> Date {
        guard case .string(let text)? = value else {
            throw Refusal("\(field) must be an xs:dateTime or xs:duration text, not \(value?.typeName ?? "missing")")
        }
        if text.first == "P" { return now.addingTimeInterval(try duration(text, field: field)) }
        guard let date = OCPPDate.parse(text) else {
            throw Refusal("\(field) must be an xs:dateTime with an offset (e.g. \"2026-12-06T12:00:00Z\") or an xs:duration, not \"\(text)\"")
        }
        return date
    }

    // MARK: Reading plain JSON

    static func object(_ value: JSONValue?, field: String) throws(Refusal) -> JSONObject {
        guard case .object(let object)? = value else {
            throw Refusal("\(field) must be an object, not \(value?.typeName ?? "missing")")
        }
        return object
    }

    /// The list of `items` in the function data `{listKey: [items]}`; an absent or empty list reads as empty.
    static func list(_ data: JSONValue, function: SPINEFunction, listKey: String) throws(Refusal) -> [JSONObject] {
        let outer = try object(data, field: function.rawValue)
        for key in outer.keys where key != listKey {
            throw Refusal("\(function).\(key) is not a member of \(function) (allowed: \(listKey))")
        }
        guard let items = outer[listKey] else { return [] }
        guard case .array(let array) = items else {
            throw Refusal("\(function).\(listKey) must be a list, not \(items.typeName)")
        }
        var result: [JSONObject] = []
        for (i, item) in array.enumerated() {
            result.append(try object(item, field: "\(function).\(listKey)[\(i)]"))
        }
        return result
    }

    static func integer(_ value: JSONValue?, field: String) throws(Refusal) -> Int {
        guard case .integer(let n)? = value, let i = Int(exactly: n) else {
            throw Refusal("\(field) must be an integer, not \(value?.typeName ?? "missing")")
        }
        return i
    }

    static func bool(_ value: JSONValue?, field: String) throws(Refusal) -> Bool {
        guard case .bool(let b)? = value else {
            throw Refusal("\(field) must be true or false, not \(value?.typeName ?? "missing")")
        }
        return b
    }

    /// A number in a refusal text: 16 rather than 16.0.
    static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// The `cmdControl` of a write's filters (SPINE TS §5.3.4 restricted function exchange): a `delete` filter (with its
/// selectors and elements) is applied first, then the data is merged when a `partial` filter is present; without
/// any filter the write is a full write.
struct UseCaseWriteFilters {
    struct Delete {
        /// The selectors object (e.g. `loadControlLimitListDataSelectors`), nil = every item.
        var selectors: JSONObject?
        /// The elements object (e.g. `loadControlLimitDataElements`), nil = the whole item.
        var elements: JSONObject?
    }
    var partial = false
    var deletes: [Delete] = []

    init(_ filters: [JSONValue], selectorsKey: String, elementsKey: String) throws(SPINEValueCoding.Refusal) {
        for (i, filter) in filters.enumerated() {
            let field = "filter[\(i)]"
            let object = try SPINEValueCoding.object(filter, field: field)
            let control = try SPINEValueCoding.object(object["cmdControl"], field: "\(field).cmdControl")
            for key in object.keys where !["cmdControl", "filterId", selectorsKey, elementsKey].contains(key) {
                throw SPINEValueCoding.Refusal("\(field).\(key) is not supported here (allowed: cmdControl, \(selectorsKey), \(elementsKey))")
            }
            if control["partial"] != nil {
                partial = true
            } else if control["delete"] != nil {
                var delete = Delete()
                if let s = object[selectorsKey] { delete.selectors = try SPINEValueCoding.object(s, field: "\(field).\(selectorsKey)") }
                if let e = object[elementsKey] { delete.elements = try SPINEValueCoding.object(e, field: "\(field).\(elementsKey)") }
                deletes.append(delete)
            } else {
                throw SPINEValueCoding.Refusal("\(field).cmdControl must be partial or delete")
            }
        }
        if !deletes.isEmpty && filters.count == deletes.count {
            // A delete alone carries no data to merge (SPINE TS §5.3.4.4); it is neither full nor partial.
            partial = true
        }
    }
}
