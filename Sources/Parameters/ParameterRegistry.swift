#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A current value of a parameter together with where it is addressed.
public struct ResolvedKey: Sendable, Equatable {
    public var definition: ParameterDefinition
    /// Connector number for connector-scoped parameters.
    public var connector: Int?
    /// The full key (`Key` or `Key.N`).
    public var key: String
}

/// What a registry checks besides each parameter's own type and range: the constraints between parameters and the
/// formats it does not own. The station's are `StationParameters.rules` (ChargePoint); the gateway has none.
public struct ParameterRules: Sendable {
    /// "lower must not exceed upper" between two parameters (per connector where both are connector parameters).
    public var ceilings: [(lower: String, upper: String)]
    /// Pairs of choice parameters that may not both take `value` (one input cannot serve two functions).
    public var exclusive: [(a: String, b: String, value: ParameterValue)]
    /// Parameters whose required role drops to `role` while the Bool parameter `whenOn` is On.
    public var roleGrants: [(keys: Set<String>, role: Role, whenOn: ParameterKey<Bool>)]
    /// Reads one window `HH:MM-HH:MM=A` of a `.timeWindows` parameter: its canonical text and its current, or nil when
    /// malformed. The format belongs to its owner (the station's scheduler); without it no window is valid.
    public var timeWindow: @Sendable (String) -> (text: String, amps: Int)?
    /// Connector parameters that are one value for the whole device while the Bool parameter `whenOn` is On: a change
    /// of any connector's value changes every connector's (each validated like a change of its own).
    public var stationWide: [(key: String, whenOn: ParameterKey<Bool>)]
    /// Rules between several parameters that every stored configuration keeps; a change that would break one is
    /// refused with the rule's own words.
    public var constraints: [ParameterConstraint]
    /// Further checks of a text, URL or list parameter's value (a list's: each item) by its owner, by the parameter's name: nil when the value is
    /// fine, otherwise what is wrong and what is allowed (the error's `allowed`, shown next to the field). E.g. the
    /// station's backend URL and its `{ChargeBoxIdentity}` placeholder.
    public var textChecks: [String: @Sendable (String) -> String?]

    public init(ceilings: [(lower: String, upper: String)] = [], exclusive: [(a: String, b: String, value: ParameterValue)] = [],
                roleGrants: [(keys: Set<String>, role: Role, whenOn: ParameterKey<Bool>)] = [],
                timeWindow: @escaping @Sendable (String) -> (text: String, amps: Int)? = { _ in nil },
                stationWide: [(key: String, whenOn: ParameterKey<Bool>)] = [], constraints: [ParameterConstraint] = [],
                textChecks: [String: @Sendable (String) -> String?] = [:]) {
        self.ceilings = ceilings; self.exclusive = exclusive; self.roleGrants = roleGrants; self.timeWindow = timeWindow
        self.stationWide = stationWide; self.constraints = constraints; self.textChecks = textChecks
    }
}

/// A rule between several parameters (the station's: seeds/004 §7.2–7.3, with a single feed line the installation
/// limit is one value for the station, at most the feed line's capacity).
public struct ParameterConstraint: Sendable {
    /// The base keys the rule reads: a change of one of them is checked against it.
    public var keys: Set<String>
    /// What is wrong with a configuration (nil: the rule holds): what is allowed, and a message that names the rule
    /// and the parameters.
    public var problem: @Sendable (ParameterSet) -> (allowed: String, message: String)?

    public init(keys: Set<String>, problem: @escaping @Sendable (ParameterSet) -> (allowed: String, message: String)?) {
        self.keys = keys; self.problem = problem
    }
}

/// The typed parameter registry: every setting of a device (the station's in ChargePoint, the gateway's in Gateway) is
/// declared once and drives validation, the CLI, the local API, the web pages and OCPP's configuration keys.
///
/// - SeeAlso: the design principle "one source of truth for every setting".
public struct ParameterRegistry: Sendable {
    public let definitions: [ParameterDefinition]
    public let rules: ParameterRules
    /// Number of connectors for which connector parameters exist.
    public var connectorCount: Int

    private let byKey: [String: ParameterDefinition]

    public init(definitions: [ParameterDefinition], rules: ParameterRules = ParameterRules(), connectorCount: Int) {
        self.definitions = definitions
        self.rules = rules
        self.connectorCount = connectorCount
        var map: [String: ParameterDefinition] = [:]
        for d in definitions {
            precondition(map[d.key] == nil, "parameter \(d.key) declared twice")
            map[d.key] = d
        }
        self.byKey = map
    }

    /// "not above" constraints between two connector or station parameters (lower ≤ upper).
    public var ceilings: [(lower: String, upper: String)] { rules.ceilings }

    /// Whether the registry declares the concrete key `name` (`Key`, or `Key.N` of an existing connector).
    public func declares(_ name: String) -> Bool { (try? resolve(name)) != nil }

    /// The definition with base key `key`.
    public func definition(_ key: String) -> ParameterDefinition? { byKey[key] }

    /// Every concrete key (connector parameters expanded per connector), in declaration order.
    public var keys: [ResolvedKey] {
        definitions.flatMap { d -> [ResolvedKey] in
            switch d.scope {
            case .station: [ResolvedKey(definition: d, connector: nil, key: d.key)]
            case .connector: (1...connectorCount).map { ResolvedKey(definition: d, connector: $0, key: "\(d.key).\($0)") }
            }
        }
    }

    /// The concrete keys of every secret parameter: never shown, exported, logged or sent over OCPP; masked in the
    /// audit trail.
    public var secretKeys: Set<String> { Set(keys.filter(\.definition.secret).map(\.key)) }

    /// When `r` is shown, naming the other parameter by its concrete key: the same connector's when it is a connector
    /// parameter too.
    public func visibility(of r: ResolvedKey) -> Visibility? {
        guard let v = r.definition.visibleWhen else { return nil }
        let key = definition(v.key)?.scope == .connector ? r.connector.map { "\(v.key).\($0)" } ?? v.key : v.key
        return Visibility(key: key, values: v.values, except: v.except)
    }

    /// Resolves a concrete key (case-insensitive) to its definition and connector.
    public func resolve(_ key: String) throws(ParameterError) -> ResolvedKey {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        let base = String(parts[0])
        guard let d = byKey[base] ?? definitions.first(where: { $0.key.lowercased() == base.lowercased() }) else {
            throw .unknown(key)
        }
        switch d.scope {
        case .station:
            guard parts.count == 1 else { throw .unknown(key) }
            return ResolvedKey(definition: d, connector: nil, key: d.key)
        case .connector:
            guard parts.count == 2, let n = Int(parts[1]) else {
                throw ParameterError(kind: .unknownKey, key: key, given: nil, allowed: nil,
                                     message: "'\(key)' is a connector parameter; address it as \(d.key).1" +
                                        (connectorCount > 1 ? " to \(d.key).\(connectorCount)" : ""))
            }
            guard (1...connectorCount).contains(n) else {
                throw ParameterError(kind: .unknownKey, key: key, given: nil, allowed: nil,
                                     message: "'\(key)': connector \(n) does not exist; this station has \(connectorCount) connector(s)")
            }
            return ResolvedKey(definition: d, connector: n, key: "\(d.key).\(n)")
        }
    }

    /// Parses text as the CLI and forms give it into a value of the parameter's type, checking range and format.
    public func parse(_ text: String, for resolved: ResolvedKey) throws(ParameterError) -> ParameterValue {
        let d = resolved.definition
        let t = text.trimmedWhitespace
        let fail = ParameterError.invalid(resolved.key, text, d.type.allowedDescription)
        switch d.type {
        case .bool:
            switch t.lowercased() {
            case "on", "true", "1", "yes": return try check(.bool(true), resolved)
            case "off", "false", "0", "no": return try check(.bool(false), resolved)
            default: throw fail
            }
        case .integer:
            guard let i = Int(t) else { throw fail }
            return try check(.integer(i), resolved)
        case .decimal:
            guard let v = Double(t), v.isFinite else { throw fail }
            return try check(.decimal(v), resolved)
        case .choice(let cs):
            guard let c = cs.first(where: { $0.value.lowercased() == t.lowercased() || $0.label.lowercased() == t.lowercased() })
            else { throw fail }
            return .string(c.value)
        case .string:
            return try check(.string(text), resolved)
        case .url:
            return try check(.string(t), resolved)
        case .multiChoice, .timeWindows:
            let items = t.isEmpty ? [] : t.split(separator: ",").map { $0.trimmedWhitespace }
            return try check(.list(items), resolved)
        case .phaseTriple:
            let parts = t.split(whereSeparator: { $0 == "," || $0 == "/" || $0 == " " }).map { Double($0) }
            if parts.count == 1, let v = parts[0] { return try check(.phaseTriple(PhaseValues(all: v)), resolved) }
            guard parts.count == 3, let a = parts[0], let b = parts[1], let c = parts[2] else { throw fail }
            return try check(.phaseTriple(PhaseValues(l1: a, l2: b, l3: c)), resolved)
        case .list:
            let items = t.isEmpty ? [] : t.split(separator: ",").map { $0.trimmedWhitespace }
            return try check(.list(items), resolved)
        }
    }

    /// Checks that a typed value (e.g. from JSON) fits the parameter's type and range.
    public func check(_ value: ParameterValue, _ resolved: ResolvedKey) throws(ParameterError) -> ParameterValue {
        let d = resolved.definition
        let fail = ParameterError.invalid(resolved.key, value.description, d.type.allowedDescription)
        switch (d.type, value) {
        case (.bool, .bool): return value
        case (.integer(let r, _), .integer(let i)):
            guard r.contains(i) else { throw fail }
            return value
        case (.integer(let r, _), .decimal(let v)):
            guard v == v.rounded(), let i = Int(exactly: v), r.contains(i) else { throw fail }
            return .integer(i)
        case (.decimal(let r, _), .decimal(let v)):
            guard v.isFinite, r.contains(v) else { throw fail }
            return value
        case (.decimal(let r, _), .integer(let i)):
            guard r.contains(Double(i)) else { throw fail }
            return .decimal(Double(i))
        case (.choice(let cs), .string(let s)):
            guard let c = cs.first(where: { $0.value.lowercased() == s.lowercased() }) else { throw fail }
            return .string(c.value)
        case (.string(let len, let allowed), .string(let s)):
            guard len.contains(s.count) else { throw fail }
            if let allowed {
                guard s.allSatisfy({ allowed.contains($0) }) else { throw fail }
            } else {
                guard s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { throw fail }
            }
            if !s.isEmpty, let problem = rules.textChecks[d.key]?(s) { throw ParameterError.invalid(resolved.key, s, problem) }
            return value
        case (.multiChoice(let cs, let maxCount), .list(let items)):
            var out: [String] = []
            for item in items {
                guard let c = cs.first(where: { $0.value.lowercased() == item.lowercased() }) else { throw fail }
                if !out.contains(c.value) { out.append(c.value) }
            }
            guard out.count <= maxCount else { throw fail }
            return .list(out)
        case (.url(let schemes, let maxLength), .string(let s)):
            guard s.isEmpty || ParameterType.isURL(s, schemes: schemes, maxLength: maxLength) else { throw fail }
            if !s.isEmpty, let problem = rules.textChecks[d.key]?(s) { throw ParameterError.invalid(resolved.key, s, problem) }
            return value
        case (.phaseTriple(let r, _), .phaseTriple(let p)):
            guard p.array.allSatisfy({ $0.isFinite && r.contains($0) }) else { throw fail }
            return value
        case (.timeWindows(let maxCount, let amps), .list(let items)):
            let windows = items.compactMap(rules.timeWindow)
            guard windows.count == items.count, items.count <= maxCount, windows.allSatisfy({ amps.contains($0.amps) }) else { throw fail }
            return .list(windows.map(\.text))
        case (.list(let len, let maxCount), .list(let items)):
            guard items.count <= maxCount, items.allSatisfy({ len.contains($0.count) }) else { throw fail }
            // A list's check applies to each item (the e-mail recipients).
            if let check = rules.textChecks[d.key] {
                for item in items { if let problem = check(item) { throw ParameterError.invalid(resolved.key, item, problem) } }
            }
            return value
        default:
            throw fail
        }
    }

    /// The role required to change `resolved` given the current values (a rule's grant lowers it: the station's single
    /// feed line settings become installer settings when the manufacturer opens them, seeds/004 §7.3).
    public func requiredRole(_ resolved: ResolvedKey, in values: ParameterSet) -> Role {
        for grant in rules.roleGrants where grant.keys.contains(resolved.definition.key) && values[grant.whenOn] {
            return grant.role
        }
        return resolved.definition.role
    }

    /// Validates a change completely: key, value, role and the constraints between parameters.
    /// Returns the normalized value to store; throws without changing anything otherwise.
    public func validateChange(key: String, value: ParameterValue, role: Role, in values: ParameterSet)
        throws(ParameterError) -> (ResolvedKey, ParameterValue)
    {
        let resolved = try resolve(key)
        let required = requiredRole(resolved, in: values)
        guard role >= required else {
            throw ParameterError(kind: .forbidden, key: resolved.key, given: value.description, allowed: nil,
                                 message: "\(resolved.key) may only be changed by the \(required.rawValue) role (you are \(role.rawValue))")
        }
        let normalized = try check(value, resolved)
        try checkCeilings(resolved, normalized, values)
        try checkConstraints(resolved, normalized, values)
        return (resolved, normalized)
    }

    /// The other connectors' keys that a change of `resolved` changes with it: a station-wide connector parameter
    /// (``ParameterRules/stationWide``) while its switch is On in `values`.
    public func companions(of resolved: ResolvedKey, in values: ParameterSet) -> [String] {
        guard let n = resolved.connector, connectorCount > 1,
              rules.stationWide.contains(where: { $0.key == resolved.definition.key && values[$0.whenOn] }) else { return [] }
        return (1...connectorCount).filter { $0 != n }.map { "\(resolved.definition.key).\($0)" }
    }

    /// The rules between several parameters, on the configuration after the change (with its companions).
    private func checkConstraints(_ resolved: ResolvedKey, _ value: ParameterValue, _ values: ParameterSet) throws(ParameterError) {
        let relevant = rules.constraints.filter { $0.keys.contains(resolved.definition.key) }
        guard !relevant.isEmpty else { return }
        var after = values
        after.set(resolved.key, value)
        for k in companions(of: resolved, in: values) { after.set(k, value) }
        for c in relevant {
            if let p = c.problem(after) {
                throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: p.allowed, message: "\(resolved.key): \(p.message)")
            }
        }
    }

    private func checkCeilings(_ resolved: ResolvedKey, _ value: ParameterValue, _ values: ParameterSet) throws(ParameterError) {
        let suffix = resolved.connector.map { ".\($0)" } ?? ""
        let new = value.numeric
        for (a, b, shared) in rules.exclusive where value == shared && (resolved.definition.key == a || resolved.definition.key == b) {
            let other = resolved.definition.key == a ? b : a
            if values.value(other) == shared {
                throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: "not \(shared) while \(other) is \(shared)",
                                     message: "\(resolved.key): \(shared) is already used by \(other); set \(other) to Off first")
            }
        }
        if case .phaseTriple(let p) = value {
            for (lower, upper) in ceilings {
                if resolved.definition.key == lower, case .phaseTriple(let u)? = values.value(upper + suffix),
                   let g = (0..<3).first(where: { p[$0] > u[$0] }) {
                    throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: "at most \(upper + suffix) = \(ParameterValue.phaseTriple(u))",
                                         message: "\(resolved.key): L\(g + 1) \(ParameterValue.decimal(p[g])) A is above \(upper + suffix) (\(ParameterValue.phaseTriple(u))); it must not exceed it")
                }
                if resolved.definition.key == upper, case .phaseTriple(let l)? = values.value(lower + suffix),
                   let g = (0..<3).first(where: { p[$0] < l[$0] }) {
                    throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: "at least \(lower + suffix) = \(ParameterValue.phaseTriple(l))",
                                         message: "\(resolved.key): L\(g + 1) \(ParameterValue.decimal(p[g])) A is below \(lower + suffix) (\(ParameterValue.phaseTriple(l))); lower \(lower + suffix) first")
                }
            }
        }
        for (lower, upper) in ceilings {
            if resolved.definition.key == lower, let upperValue = values.value(upper + suffix)?.numeric, let new, new > upperValue {
                throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: "at most \(upper + suffix) = \(ParameterValue.decimal(upperValue))",
                                     message: "\(resolved.key): \(value) is above \(upper + suffix) (\(ParameterValue.decimal(upperValue))); it must not exceed it")
            }
            if resolved.definition.key == upper, let lowerValue = values.value(lower + suffix)?.numeric, let new, new < lowerValue {
                throw ParameterError(kind: .conflict, key: resolved.key, given: value.description, allowed: "at least \(lower + suffix) = \(ParameterValue.decimal(lowerValue))",
                                     message: "\(resolved.key): \(value) is below \(lower + suffix) (\(ParameterValue.decimal(lowerValue))); lower \(lower + suffix) first")
            }
        }
    }
}

extension ParameterValue {
    /// The numeric value of an integer or decimal parameter.
    public var numeric: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .decimal(let d): d
        default: nil
        }
    }
}

/// The current values of all parameters: stored values over registry defaults.
public struct ParameterSet: Sendable, Equatable {
    public private(set) var stored: [String: ParameterValue]
    public let registry: ParameterRegistry

    public init(registry: ParameterRegistry, stored: [String: ParameterValue] = [:]) {
        self.registry = registry
        self.stored = stored
    }

    public static func == (a: ParameterSet, b: ParameterSet) -> Bool { a.stored == b.stored }

    /// The value of a concrete key: the stored one or the default; a preset shown from its filled values
    /// (``ParameterDefinition/derivedFromFills``) reads as the choice they amount to.
    public func value(_ key: String) -> ParameterValue? {
        if let v = stored[key], registry.definition(key)?.derivedFromFills != true { return v }
        guard let r = try? registry.resolve(key) else { return nil }
        if r.definition.derivedFromFills { return preset(r.definition) }
        return stored[r.key] ?? r.definition.defaultValue
    }

    /// The first choice of a preset whose filled values all hold, else its choice without fills (or its default).
    private func preset(_ d: ParameterDefinition) -> ParameterValue {
        guard case .choice(let choices) = d.type else { return d.defaultValue }
        for c in choices {
            guard let fills = d.fills[c.value], !fills.isEmpty else { continue }
            if fills.allSatisfy({ value($0.key) == $0.value }) { return .string(c.value) }
        }
        return choices.first { d.fills[$0.value]?.isEmpty ?? true }.map { .string($0.value) } ?? d.defaultValue
    }

    /// Sets a value that was validated by ``ParameterRegistry/validateChange(key:value:role:in:)``.
    public mutating func set(_ key: String, _ value: ParameterValue) { stored[key] = value }

    /// The values a running station works with: these, except that every parameter whose change takes effect only
    /// after a restart (its definition's `restartRequired`) keeps the value it had in `start`, the values the station
    /// started with. One rule for every such parameter, read from the registry, instead of a hand-kept list of the
    /// settings to pin (issue 21 item 4: three parameters that say "after restart" acted at once, half applied).
    public func effective(startedWith start: ParameterSet) -> ParameterSet {
        var out = self
        for r in registry.keys where r.definition.restartRequired { out.stored[r.key] = start.stored[r.key] }
        return out
    }

    /// The parameters whose stored value waits for a restart: those whose change takes effect only after one and whose
    /// value differs from `start`'s. The web interface names them next to "Restart now" (seeds/004 §4 "Save & Restart").
    public func waitingForRestart(startedWith start: ParameterSet) -> [ResolvedKey] {
        registry.keys.filter { $0.definition.restartRequired && value($0.key) != start.value($0.key) }
    }

    // MARK: Typed keys

    /// The value of a typed key: the stored one or the declared default, as the key's type. Every settings struct reads
    /// its parameters this way. A key the registry does not declare is a programming error: it stops a debug build (so
    /// the tests that read the settings catch it) and reads the codec's fallback in a release build, as does a
    /// connector beyond the registry's connectors (what the name lookups read for it too).
    public subscript<V>(key: ParameterKey<V>) -> V {
        guard let v = value(key.name) else {
            let base = String(key.name.prefix { $0 != "." })
            assert(registry.definition(base) != nil, "\(key.name) is not declared in this registry")
            return key.codec.fallback
        }
        if let decoded = key.codec.decode(v) { return decoded }
        // Stored values are validated against the declaration, which the key fits: reached only by a value set unchecked.
        if let r = try? registry.resolve(key.name), let d = key.codec.decode(r.definition.defaultValue) { return d }
        return key.codec.fallback
    }

    /// The value of connector `connector`'s parameter of a typed connector key.
    public subscript<V>(key: ConnectorParameterKey<V>, connector connector: Int) -> V { self[key.connector(connector)] }

    /// Stores `value` as its key encodes it, unchecked: a value from outside is validated with
    /// ``ParameterRegistry/validateChange(key:value:role:in:)`` first.
    public mutating func set<V>(_ key: ParameterKey<V>, _ value: V) { stored[key.name] = key.codec.encode(value) }

    // MARK: Lookup by name

    // For names that come from outside (a form, the API, the CLI, OCPP); code reads typed keys.

    public func bool(_ key: String) -> Bool {
        if case .bool(let b) = value(key) { return b }
        return false
    }

    public func number(_ key: String) -> Double { value(key)?.numeric ?? 0 }

    public func string(_ key: String) -> String {
        switch value(key) {
        case .string(let s): s
        case let v?: v.description
        case nil: ""
        }
    }

    /// The value of an enum-backed choice parameter. Stored values are validated against the registry's choices, which
    /// are built from the enum, so the fallback (the registry's default, then the first case) is only reached by a
    /// registry that disagrees with its enum — which the registry tests catch.
    public func choice<C: ParameterChoice>(_ key: String, _ type: C.Type) -> C {
        if let c = C(rawValue: string(key)) { return c }
        if let r = try? registry.resolve(key), case .string(let d) = r.definition.defaultValue, let c = C(rawValue: d) { return c }
        return C.allCases.first!
    }

    public func triple(_ key: String) -> PhaseValues {
        if case .phaseTriple(let p) = value(key) { return p }
        return .zero
    }
}
