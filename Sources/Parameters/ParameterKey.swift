/// How a parameter's stored value reads as a Swift type and back: which declared types it fits, the decoding, the
/// encoding, and what a key reads when the registry does not know it. The codecs below cover the registry's types;
/// a domain type (a list of time windows, a meter model or none) gets its own codec next to its key.
public struct ParameterCodec<Value: Sendable>: Sendable {
    /// Whether a parameter declared with this type can be read as `Value` (for a choice: whether the declared values are
    /// exactly the enum's cases).
    public let fits: @Sendable (ParameterType) -> Bool
    /// The stored value as `Value`; nil when it is not one.
    public let decode: @Sendable (ParameterValue) -> Value?
    /// `Value` as the value to store (the registry's check normalizes it, e.g. a `Double` for an integer parameter).
    public let encode: @Sendable (Value) -> ParameterValue
    /// Read for a key the registry does not declare (a programming error the settings tests catch) and nowhere else.
    public let fallback: Value

    public init(fits: @escaping @Sendable (ParameterType) -> Bool, decode: @escaping @Sendable (ParameterValue) -> Value?,
                encode: @escaping @Sendable (Value) -> ParameterValue, fallback: Value) {
        self.fits = fits; self.decode = decode; self.encode = encode; self.fallback = fallback
    }

    /// Why a parameter declared with `type` and `defaultValue` cannot be read with this codec, or nil when it can.
    public func disagreement(type: ParameterType, defaultValue: ParameterValue) -> String? {
        guard fits(type) else { return "a \(type.name) parameter cannot be read as \(Value.self)" }
        guard decode(defaultValue) != nil else { return "its default \(defaultValue) does not read as \(Value.self)" }
        return nil
    }
}

extension ParameterCodec where Value == Bool {
    /// On/Off (`.bool`).
    public static var bool: Self {
        Self(fits: { if case .bool = $0 { true } else { false } }, decode: { if case .bool(let b) = $0 { b } else { nil } },
             encode: { .bool($0) }, fallback: false)
    }
}

extension ParameterCodec where Value == Int {
    /// A whole number (`.integer`; a whole decimal set unchecked reads as its number).
    public static var integer: Self {
        Self(fits: { if case .integer = $0 { true } else { false } },
             decode: {
                 switch $0 {
                 case .integer(let i): i
                 case .decimal(let d): d.isFinite && abs(d) < 1e15 ? Int(d) : nil
                 default: nil
                 }
             },
             encode: { .integer($0) }, fallback: 0)
    }

    /// A choice whose values are whole numbers (a baud rate "19200"); stored as the text.
    public static var integerChoice: Self {
        Self(fits: { if case .choice(let cs) = $0 { !cs.isEmpty && cs.allSatisfy { Int($0.value) != nil } } else { false } },
             decode: {
                 switch $0 {
                 case .string(let s): Int(s)
                 case .integer(let i): i
                 default: nil
                 }
             },
             encode: { .string(String($0)) }, fallback: 0)
    }
}

extension ParameterCodec where Value == Double {
    /// A number (`.integer` or `.decimal`), e.g. amperes of an integer parameter read for arithmetic.
    public static var number: Self {
        Self(fits: {
                 switch $0 {
                 case .integer, .decimal: true
                 default: false
                 }
             },
             decode: { $0.numeric }, encode: { .decimal($0) }, fallback: 0)
    }

    /// A choice whose values are numbers (a sample rate "30" s); stored as the text.
    public static var numberChoice: Self {
        Self(fits: { if case .choice(let cs) = $0 { !cs.isEmpty && cs.allSatisfy { Double($0.value) != nil } } else { false } },
             decode: { if case .string(let s) = $0 { Double(s) } else { nil } },
             encode: { .string(ParameterValue.decimal($0).description) }, fallback: 0)
    }
}

extension ParameterCodec where Value == String {
    /// Text (`.string`, `.url`) or a choice that no enum backs (a time zone, a provider preset).
    public static var text: Self {
        Self(fits: {
                 switch $0 {
                 case .string, .url, .choice: true
                 default: false
                 }
             },
             decode: { if case .string(let s) = $0 { s } else { nil } }, encode: { .string($0) }, fallback: "")
    }
}

extension ParameterCodec where Value == [String] {
    /// A list of texts (`.list`, `.multiChoice`, `.timeWindows`).
    public static var list: Self {
        Self(fits: {
                 switch $0 {
                 case .list, .multiChoice, .timeWindows: true
                 default: false
                 }
             },
             decode: { if case .list(let l) = $0 { l } else { nil } }, encode: { .list($0) }, fallback: [])
    }
}

extension ParameterCodec where Value == PhaseValues {
    /// One value per phase (`.phaseTriple`).
    public static var phases: Self {
        Self(fits: { if case .phaseTriple = $0 { true } else { false } },
             decode: { if case .phaseTriple(let p) = $0 { p } else { nil } }, encode: { .phaseTriple($0) }, fallback: .zero)
    }
}

extension ParameterCodec where Value: ParameterChoice {
    /// One of the enum's cases: fits a choice that offers exactly the cases (in any order).
    public static var choice: Self {
        Self(fits: { if case .choice(let cs) = $0 { Set(cs.map(\.value)) == Set(Value.allCases.map(\.rawValue)) } else { false } },
             decode: { if case .string(let s) = $0 { Value(rawValue: s) } else { nil } }, encode: { .string($0.rawValue) },
             fallback: Value.allCases.first!)
    }
}

extension ParameterCodec {
    /// One of `C`'s cases or `none` (nil): fits a choice that offers exactly the cases and `none`, e.g. a meter model or
    /// the internal meter.
    public static func choice<C: ParameterChoice>(_ type: C.Type, none: String) -> ParameterCodec<C?> {
        ParameterCodec<C?>(
            fits: { if case .choice(let cs) = $0 { Set(cs.map(\.value)) == Set(C.allCases.map(\.rawValue) + [none]) } else { false } },
            decode: { value -> C?? in
                guard case .string(let s) = value else { return nil }
                return s == none ? .some(nil) : C(rawValue: s).map { .some($0) }
            },
            encode: { .string($0?.rawValue ?? none) }, fallback: nil)
    }

    /// Any of `C`'s cases: fits a multiple choice that offers exactly the cases; values the enum does not know are left out.
    public static func choices<C: ParameterChoice>(_ type: C.Type) -> ParameterCodec<[C]> {
        ParameterCodec<[C]>(
            fits: { if case .multiChoice(let cs, _) = $0 { Set(cs.map(\.value)) == Set(C.allCases.map(\.rawValue)) } else { false } },
            decode: { if case .list(let l) = $0 { l.compactMap(C.init(rawValue:)) } else { nil } }, encode: { .list($0.map(\.rawValue)) },
            fallback: [])
    }
}

/// A typed key: a parameter's name with the Swift type its value reads as. Settings read `values[.someKey]` and the
/// compiler checks the type; the parameter's declaration is made with the same key (``ParameterDefinition/init(key:label:type:defaultValue:role:menu:section:restartRequired:secret:fills:visibleWhen:help:seeAlso:)``),
/// which checks that the key's codec fits the declared type and default, so the name the code reads, its type and the
/// declaration cannot disagree. Keys are declared as static members (`extension ParameterKey { static var x:
/// ParameterKey<Bool> { … } }`) next to their registry's declarations. A string key is looked up only where the name
/// comes from outside: a form field, `chargekit config set`, OCPP ChangeConfiguration.
public struct ParameterKey<Value: Sendable>: Sendable, CustomStringConvertible {
    /// The concrete key: `Name`, or `Name.N` for connector N of a connector parameter.
    public let name: String
    public let codec: ParameterCodec<Value>

    public init(_ name: String, _ codec: ParameterCodec<Value>) { self.name = name; self.codec = codec }

    public var description: String { name }
}

/// The typed key of a connector parameter (`Name.1`, `Name.2`): read as `values[.someKey, connector: n]`, so a
/// connector parameter cannot be read without its connector.
public struct ConnectorParameterKey<Value: Sendable>: Sendable, CustomStringConvertible {
    /// The base name.
    public let name: String
    public let codec: ParameterCodec<Value>

    public init(_ name: String, _ codec: ParameterCodec<Value>) { self.name = name; self.codec = codec }

    /// The key of connector `n`.
    public func connector(_ n: Int) -> ParameterKey<Value> { ParameterKey("\(name).\(n)", codec) }

    public var description: String { name }
}

extension ParameterKey {
    /// Connector `n`'s key of a connector parameter, where a plain key is expected: `.connector(2, of: .meterPort)`.
    public static func connector(_ n: Int, of key: ConnectorParameterKey<Value>) -> ParameterKey<Value> { key.connector(n) }
}

extension ParameterDefinition {
    /// Declares a station-wide parameter with its typed key; the key's codec must fit `type` and read `defaultValue`
    /// (checked here: a disagreement stops the program at its first use of the registry, which every test does).
    public init<V>(key: ParameterKey<V>, label: String, type: ParameterType, defaultValue: ParameterValue, role: Role, menu: Menu,
                   section: String, restartRequired: Bool = false, secret: Bool = false,
                   fills: [String: [String: ParameterValue]] = [:], visibleWhen: Visibility? = nil, help: String, seeAlso: String) {
        Self.check(key.name, key.codec, type, defaultValue)
        self.init(key: key.name, valueType: "\(V.self)", label: label, type: type, defaultValue: defaultValue, role: role, menu: menu,
                  section: section, scope: .station, restartRequired: restartRequired, secret: secret, fills: fills,
                  visibleWhen: visibleWhen, help: help, seeAlso: seeAlso)
    }

    /// Declares a connector parameter (one value per connector) with its typed key.
    public init<V>(key: ConnectorParameterKey<V>, label: String, type: ParameterType, defaultValue: ParameterValue, role: Role,
                   menu: Menu, section: String, restartRequired: Bool = false, secret: Bool = false,
                   fills: [String: [String: ParameterValue]] = [:], visibleWhen: Visibility? = nil, help: String, seeAlso: String) {
        Self.check(key.name, key.codec, type, defaultValue)
        self.init(key: key.name, valueType: "\(V.self)", label: label, type: type, defaultValue: defaultValue, role: role, menu: menu,
                  section: section, scope: .connector, restartRequired: restartRequired, secret: secret, fills: fills,
                  visibleWhen: visibleWhen, help: help, seeAlso: seeAlso)
    }

    private static func check<V>(_ name: String, _ codec: ParameterCodec<V>, _ type: ParameterType, _ defaultValue: ParameterValue) {
        if let problem = codec.disagreement(type: type, defaultValue: defaultValue) {
            preconditionFailure("parameter \(name): its key disagrees with its declaration: \(problem)")
        }
    }
}

extension Visibility {
    /// Shown while the parameter of `key` has one of `values` (spelled as the key stores them).
    public static func when<V>(_ key: ParameterKey<V>, is values: V...) -> Visibility {
        Visibility(key: key.name, values: values.map { key.codec.encode($0).description }, except: false)
    }

    /// Shown while the parameter of `key` has none of `values`.
    public static func when<V>(_ key: ParameterKey<V>, isNot values: V...) -> Visibility {
        Visibility(key: key.name, values: values.map { key.codec.encode($0).description }, except: true)
    }

    /// Shown while the same connector's parameter of `key` has one of `values`.
    public static func when<V>(_ key: ConnectorParameterKey<V>, is values: V...) -> Visibility {
        Visibility(key: key.name, values: values.map { key.codec.encode($0).description }, except: false)
    }

    /// Shown while the same connector's parameter of `key` has none of `values`.
    public static func when<V>(_ key: ConnectorParameterKey<V>, isNot values: V...) -> Visibility {
        Visibility(key: key.name, values: values.map { key.codec.encode($0).description }, except: true)
    }
}
