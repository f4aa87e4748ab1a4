#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport

/// Who may change a setting. A higher role may change everything a lower one may.
///
/// - SeeAlso: seeds/004 §7.2 "Definitie van stroomlimieten" (columns Fabrikant / Installateur / Operator).
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case `operator`
    case installer
    case manufacturer

    private var rank: Int { self == .operator ? 0 : self == .installer ? 1 : 2 }
    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}

/// A menu (page) of a web interface in which a parameter appears. Each registry names its own: the station's menus are
/// declared in ChargePoint (``Menu/allCases`` there), the gateway's in Gateway. The raw value is the name the API shows.
///
/// - SeeAlso: seeds/004 §3 "Configuratie-interface 2.0" (the station's menus), seeds/003 §2.2 (the gateway's tabs).
public struct Menu: RawRepresentable, Sendable, Hashable, Codable {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Whether a parameter exists once per station or once per connector (`Key.1`, `Key.2`).
public enum ParameterScope: String, Sendable, Codable {
    case station
    case connector
}

/// One allowed value of an enumerated parameter.
public struct Choice: Sendable, Codable, Equatable {
    /// The stored value (what the API, CLI and OCPP use).
    public var value: String
    /// The label the seeds show in the web interface.
    public var label: String

    public init(_ value: String, _ label: String) { self.value = value; self.label = label }
}

/// The type of a parameter with its allowed range or values.
public enum ParameterType: Sendable, Equatable {
    case bool
    case integer(ClosedRange<Int>, unit: String?)
    case decimal(ClosedRange<Double>, unit: String)
    case choice([Choice])
    /// Text of `length` characters drawn from `allowed` (nil: any printable character).
    case string(length: ClosedRange<Int>, allowed: String?)
    /// One value per phase L1/L2/L3, each within the range.
    case phaseTriple(ClosedRange<Double>, unit: String)
    /// A list of texts, each of `itemLength` characters, at most `maxCount` entries.
    case list(itemLength: ClosedRange<Int>, maxCount: Int)
    /// A URL with one of `schemes` (e.g. `ws`, `wss`), a host, at most `maxLength` characters; empty means none.
    case url(schemes: [String], maxLength: Int)
    /// A list of at most `maxCount` distinct values drawn from `choices` (stored as a list).
    case multiChoice([Choice], maxCount: Int)
    /// At most `maxCount` daily time windows with a current, `HH:MM-HH:MM=A` (stored as a list).
    case timeWindows(maxCount: Int, amps: ClosedRange<Int>)

    /// Name of the type as shown in the API and CLI.
    public var name: String {
        switch self {
        case .bool: "bool"
        case .integer: "int"
        case .decimal: "decimal"
        case .choice: "enum"
        case .string: "string"
        case .phaseTriple: "phases"
        case .list: "list"
        case .url: "url"
        case .multiChoice: "set"
        case .timeWindows: "schedule"
        }
    }

    /// Unit of measure, if any.
    public var unit: String? {
        switch self {
        case .integer(_, let u): u
        case .decimal(_, let u), .phaseTriple(_, let u): u
        default: nil
        }
    }

    /// A human-readable description of what is allowed, used in every validation error.
    public var allowedDescription: String {
        func num(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
        let u = unit.map { " \($0)" } ?? ""
        switch self {
        case .bool: return "On or Off"
        case .integer(let r, _): return "a whole number from \(r.lowerBound) to \(r.upperBound)\(u)"
        case .decimal(let r, _): return "a number from \(num(r.lowerBound)) to \(num(r.upperBound))\(u)"
        case .choice(let cs): return "one of " + cs.map(\.value).joined(separator: ", ")
        case .string(let len, let allowed):
            let chars = allowed.map { " using only \($0)" } ?? ""
            return "text of \(len.lowerBound) to \(len.upperBound) characters\(chars)"
        case .phaseTriple(let r, _):
            return "three numbers L1,L2,L3 each from \(num(r.lowerBound)) to \(num(r.upperBound))\(u)"
        case .list(let len, let maxCount):
            return "up to \(maxCount) comma-separated entries of \(len.lowerBound) to \(len.upperBound) characters"
        case .multiChoice(let cs, let maxCount):
            return "up to \(maxCount) comma-separated values of " + cs.map(\.value).joined(separator: ", ")
        case .url(let schemes, let maxLength):
            return "empty, or a URL of at most \(maxLength) characters starting with " + schemes.map { "\($0)://" }.joined(separator: " or ")
        case .timeWindows(let maxCount, let amps):
            return "up to \(maxCount) comma-separated windows HH:MM-HH:MM=A (e.g. 17:00-22:00=10) with \(amps.lowerBound) to \(amps.upperBound) A"
        }
    }
}

/// A parameter value.
public enum ParameterValue: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    case bool(Bool)
    case integer(Int)
    case decimal(Double)
    /// Text, also used for enumerated values.
    case string(String)
    case phaseTriple(PhaseValues)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .decimal(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([Double].self), a.count == 3 {
            self = .phaseTriple(PhaseValues(l1: a[0], l2: a[1], l3: a[2])); return
        }
        if let l = try? c.decode([String].self) { self = .list(l); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a parameter value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .decimal(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .phaseTriple(let p): try c.encode(p.array)
        case .list(let l): try c.encode(l)
        }
    }

    /// The value as the CLI prints it and accepts it back.
    public var description: String {
        func num(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }
        switch self {
        case .bool(let b): return b ? "On" : "Off"
        case .integer(let i): return String(i)
        case .decimal(let d): return num(d)
        case .string(let s): return s
        case .phaseTriple(let p): return p.array.map(num).joined(separator: ",")
        case .list(let l): return l.joined(separator: ",")
        }
    }
}

/// The declaration of one setting: the single source of truth for its key, type, default, range,
/// role, menu, restart behaviour and help text. Declared with its typed key (``ParameterKey``), so that the name the
/// code reads and the declaration cannot disagree.
public struct ParameterDefinition: Sendable, Equatable {
    /// Base key; connector parameters are addressed as `Key.1`, `Key.2`.
    public var key: String
    /// The label the seeds use in the web interface.
    public var label: String
    public var type: ParameterType
    public var defaultValue: ParameterValue
    /// The lowest role that may change the parameter.
    public var role: Role
    public var menu: Menu
    /// The section of the menu page, as the seeds group it.
    public var section: String
    public var scope: ParameterScope
    /// Whether a change takes effect only after a restart (``ParameterSet/effective(startedWith:)``).
    public var restartRequired: Bool
    public var help: String
    /// Where the seeds describe the parameter.
    public var seeAlso: String
    /// A password or key: never shown back (API, OCPP GetConfiguration) and left out of diagnostics files.
    public var secret: Bool
    /// A preset: choosing one of these values also sets the listed parameters in the same change (e.g. a backend
    /// provider fills the backend URL).
    public var fills: [String: [String: ParameterValue]]
    /// The parameter only matters for some values of another one (e.g. a meter's address once a meter model is
    /// chosen, seeds/000); the web interface hides it otherwise. Its value is kept either way.
    public var visibleWhen: Visibility?
    /// A preset over other parameters (``fills``) whose value is not stored but read from them: the first choice whose
    /// filled values all hold, else the choice without fills ("Custom"). Choosing a value still sets the parameters it
    /// fills; changing one of those afterwards changes what the preset shows (seeds/002 §1.7 authentication modes).
    public var derivedFromFills = false

    /// The Swift type the parameter's typed key reads it as (`Bool`, `Double`, `HLCMode`, …).
    public var valueType: String

    /// A definition is declared with its typed key (``ParameterKey``/``ConnectorParameterKey``, in `ParameterKey.swift`),
    /// which gives it its name, scope and value type and is checked against its type and default.
    init(key: String, valueType: String, label: String, type: ParameterType, defaultValue: ParameterValue, role: Role, menu: Menu,
         section: String, scope: ParameterScope, restartRequired: Bool, secret: Bool, fills: [String: [String: ParameterValue]],
         visibleWhen: Visibility?, help: String, seeAlso: String) {
        self.key = key; self.valueType = valueType; self.label = label; self.type = type; self.defaultValue = defaultValue
        self.role = role; self.menu = menu; self.section = section; self.scope = scope; self.restartRequired = restartRequired
        self.secret = secret; self.fills = fills; self.visibleWhen = visibleWhen; self.help = help; self.seeAlso = seeAlso
    }
}

extension ParameterDefinition {
    /// This preset, shown as the choice its filled parameters currently amount to (``derivedFromFills``).
    public func shownFromFilledValues() -> ParameterDefinition {
        var d = self
        d.derivedFromFills = true
        return d
    }
}

/// When a parameter is relevant: another parameter of the same menu (same connector for connector parameters) has one
/// of `values`, or — `except` — none of them.
public struct Visibility: Sendable, Codable, Equatable {
    public var key: String
    public var values: [String]
    public var except: Bool

    public static func when(_ key: String, is values: String...) -> Visibility { Visibility(key: key, values: values, except: false) }
    public static func when(_ key: String, isNot values: String...) -> Visibility { Visibility(key: key, values: values, except: true) }

    /// Whether the parameter shows for `value` of the other one.
    public func shows(for value: String) -> Bool { values.contains(value) != except }
}

/// A validation failure. Its message names the key, the value given and what is allowed.
public struct ParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case unknownKey
        case invalidValue
        case forbidden
        case conflict
    }

    public var kind: Kind
    public var key: String
    public var given: String?
    public var allowed: String?
    public var message: String

    public var description: String { message }

    /// An unknown key.
    public static func unknown(_ key: String) -> ParameterError {
        ParameterError(kind: .unknownKey, key: key, given: nil, allowed: nil, message: "unknown parameter '\(key)'")
    }

    /// `given` for `key` breaks a rule between parameters; `allowed` says what would keep it, `message` names the rule.
    public static func conflict(_ key: String, _ given: String, allowed: String, message: String) -> ParameterError {
        ParameterError(kind: .conflict, key: key, given: given, allowed: allowed, message: message)
    }

    /// `given` is not a value of `key`; `allowed` says what is.
    public static func invalid(_ key: String, _ given: String, _ allowed: String) -> ParameterError {
        ParameterError(kind: .invalidValue, key: key, given: given, allowed: allowed,
                       message: "\(key): '\(given)' is not allowed; allowed is \(allowed)")
    }
}

extension ParameterType {
    /// Whether `s` is `scheme://host[:port][/path]` with one of `schemes`, a non-empty host, a port of 1–65535 if
    /// given, and no spaces or control characters.
    static func isURL(_ s: String, schemes: [String], maxLength: Int) -> Bool {
        guard s.count <= maxLength, s.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }),
              let colon = s.firstIndex(of: ":") else { return false }
        let scheme = s[..<colon].lowercased()
        let afterScheme = s[s.index(after: colon)...]
        guard schemes.contains(scheme), afterScheme.hasPrefix("//") else { return false }
        let rest = afterScheme.dropFirst(2)
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return false } } else if !after.isEmpty { return false }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { return false }
            host = host[..<colon]
        }
        return !host.isEmpty
    }
}

/// A parameter whose value is one of a Swift enum's cases. The registry's choices are built from the enum
/// (``ParameterType/choice(_:)``) and the settings read the enum through a typed key (``ParameterCodec/choice``), so a
/// choice is spelled once — no `== "OCPP-J 1.6"` in the code that uses it.
public protocol ParameterChoice: RawRepresentable, CaseIterable, Sendable where RawValue == String {}

extension ParameterType {
    /// The choices of an enum with the labels the seeds show, in the order given; every case must have one (a test
    /// of the registry checks that each choice parameter's values and its enum's cases are the same).
    public static func choice<C: ParameterChoice>(_ labels: KeyValuePairs<C, String>) -> ParameterType {
        .choice(labels.map { Choice($0.key.rawValue, $0.value) })
    }
}

extension ParameterValue {
    /// The stored value of an enum-backed choice.
    public static func choice(_ c: some ParameterChoice) -> ParameterValue { .string(c.rawValue) }
}

/// One value per phase (L1, L2, L3), e.g. currents in amperes or a limit triple: the value of a per-phase parameter
/// (``ParameterValue/phaseTriple(_:)``) and of the station's electrical readings. Here, in the lowest pure target, so that
/// both use one type; EVSECore re-exports it.
///
/// - SeeAlso: seeds/004 §7.4 "EVSE Sub-Distribution Limit (L1/L2/L3) [A]".
public struct PhaseValues: Sendable, Codable, Equatable, Hashable {
    public var l1: Double
    public var l2: Double
    public var l3: Double

    public init(l1: Double, l2: Double, l3: Double) {
        self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    /// The same value on every phase.
    public init(all value: Double) { self.init(l1: value, l2: value, l3: value) }

    public static let zero = PhaseValues(all: 0)

    /// The values as an array [L1, L2, L3].
    public var array: [Double] { [l1, l2, l3] }
    /// Sum of the three phases.
    public var sum: Double { l1 + l2 + l3 }
    /// The largest of the three phases.
    public var maximum: Double { max(l1, l2, l3) }

    public subscript(phase: Int) -> Double {
        get { phase == 0 ? l1 : phase == 1 ? l2 : l3 }
        set { if phase == 0 { l1 = newValue } else if phase == 1 { l2 = newValue } else { l3 = newValue } }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (not newlines: a line-based format keeps its lines). Here,
    /// in the lowest pure target (EVSECore re-exports it), so that the registry, the whitelist CSV and LoadManagement's
    /// time windows trim alike.
    public var trimmedWhitespace: String { trimming { $0 == " " || $0 == "\t" } }
}

extension ParameterType {
    /// The characters of an OAuth bearer token (RFC 6750 §2.1 b64token), so a token fits an `Authorization` header: the
    /// allowed characters of the station's `MetricsToken` and the gateway's `metricsToken`.
    public static let bearerTokenCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
}
