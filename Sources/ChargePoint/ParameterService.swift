#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A parameter as the API and CLI show it: definition, current value and what is allowed.
public struct ParameterView: Sendable, Codable, Equatable {
    public var key: String
    public var label: String
    public var type: String
    public var value: ParameterValue
    public var defaultValue: ParameterValue
    public var unit: String?
    public var allowed: String
    /// Values of an enumerated parameter with their labels.
    public var choices: [Choice]?
    public var role: Role
    public var menu: Menu
    public var section: String
    public var connector: Int?
    public var restartRequired: Bool
    public var help: String
    public var seeAlso: String
    /// A password or key: `value` is empty and `isSet` tells whether one is stored.
    public var secret: Bool
    public var isSet: Bool
    /// The other parameter (resolved key) and values this one is relevant for.
    public var visibleWhen: Visibility?
    /// A preset whose value is what the parameters it fills amount to (true; nil otherwise): choosing a value sets them.
    public var preset: Bool?

    public init(_ r: ResolvedKey, value: ParameterValue, role: Role) {
        let d = r.definition
        key = r.key; label = d.label + (r.connector.map { $0 > 1 ? " (Connector \($0))" : "" } ?? "")
        secret = d.secret; isSet = !value.description.isEmpty
        type = d.type.name; self.value = d.secret ? .string("") : value; defaultValue = d.defaultValue; unit = d.type.unit
        allowed = d.type.allowedDescription
        switch d.type {
        case .choice(let cs), .multiChoice(let cs, _): choices = cs
        default: choices = nil
        }
        self.role = role; menu = d.menu; section = d.section; connector = r.connector
        restartRequired = d.restartRequired; help = d.help; seeAlso = d.seeAlso
        preset = d.derivedFromFills ? true : nil
    }
}

extension [ParameterView] {
    /// The value of a typed key among these views (a page's parameters from ``ParameterService/list()``), nil when
    /// none of them is the key's.
    public subscript<V>(key: ParameterKey<V>) -> V? { first { $0.key == key.name }.flatMap { key.codec.decode($0.value) } }
}

/// One entry of the parameter audit trail: who changed what, when, from which value to which.
public struct ParameterAuditEntry: Sendable, Codable, Equatable {
    public var key: String
    public var oldValue: String?
    public var newValue: String
    public var changedBy: String
    public var at: Date

    /// Stands for a secret's old and new value in the audit trail (issue 20 item 4): the trail says that the secret
    /// changed, when and by whom, never what it was or became.
    public static let secretMarker = "(secret)"

    public init(key: String, oldValue: String?, newValue: String, changedBy: String, at: Date) {
        self.key = key; self.oldValue = oldValue; self.newValue = newValue; self.changedBy = changedBy; self.at = at
    }
}

/// Reads and changes parameters: validation through the registry, persistence with an audit trail
/// through the store. Used by the running station and by `chargekit config` on a stopped one.
public struct ParameterService: Sendable {
    public private(set) var values: ParameterSet
    private let store: any ParameterStore

    /// Loads the stored values. Values that no longer validate (e.g. after a range change) are ignored
    /// in favour of the default.
    public init(store: any ParameterStore, connectorCount: Int? = nil) throws {
        self.store = store
        let stored = try store.loadParameters()
        var count = 1
        if case .integer(let n)? = stored[StationParameters.connectorCount] { count = n }
        let registry = ParameterRegistry(connectorCount: min(2, max(1, connectorCount ?? count)))
        var valid: [String: ParameterValue] = [:]
        for (key, value) in stored {
            if let r = try? registry.resolve(key), let v = try? registry.check(value, r) { valid[r.key] = v }
        }
        values = ParameterSet(registry: registry, stored: valid)
    }

    public var registry: ParameterRegistry { values.registry }

    /// All parameters with their current values.
    public func list() -> [ParameterView] {
        registry.keys.map { r in
            view(r)
        }
    }

    /// One parameter.
    public func get(_ key: String) throws(ParameterError) -> ParameterView {
        let r = try registry.resolve(key)
        return view(r)
    }

    private func view(_ r: ResolvedKey) -> ParameterView {
        var v = ParameterView(r, value: values.value(r.key) ?? r.definition.defaultValue, role: registry.requiredRole(r, in: values))
        v.visibleWhen = registry.visibility(of: r)
        return v
    }

    /// Validates and stores a change; nothing changes when it throws.
    @discardableResult
    public mutating func set(_ key: String, _ value: ParameterValue, role: Role, changedBy: String, now: Date) throws -> ParameterView {
        var value = value
        let resolved = try registry.resolve(key)
        switch (resolved.definition.type, value) {
        case (.string, _), (.choice, _): break
        case (_, .string(let text)): value = try registry.parse(text, for: resolved)
        default: break
        }
        let (r, normalized) = try registry.validateChange(key: key, value: value, role: role, in: values)
        // A preset's values, and the other connectors' values of a station-wide parameter, are validated (with the
        // same role) before anything is stored.
        var changes = [(r.key, normalized)]
        var together = values
        together.set(r.key, normalized)
        for k in registry.companions(of: r, in: values) {
            let (cr, cv) = try registry.validateChange(key: k, value: normalized, role: role, in: together)
            together.set(cr.key, cv)
            changes.append((cr.key, cv))
        }
        if case .string(let choice) = normalized, let filled = r.definition.fills[choice] {
            var after = values
            after.set(r.key, normalized)
            for (k, v) in filled.sorted(by: { $0.key < $1.key }) {
                let (fr, fv) = try registry.validateChange(key: k, value: v, role: role, in: after)
                after.set(fr.key, fv)
                changes.append((fr.key, fv))
            }
        }
        for (k, v) in changes {
            let old = values.value(k)
            guard old != v else { continue }
            let secret = (try? registry.resolve(k))?.definition.secret ?? false
            try store.saveParameter(key: k, value: v, old: old, changedBy: k == r.key ? changedBy : "\(changedBy) (\(r.key))", at: now,
                                    secret: secret)
            values.set(k, v)
        }
        return try get(r.key)
    }

    /// A form's changes (key → text, as typed): all are validated first, against each other (a ceiling and its limit may
    /// change together); only when every one is valid are they stored. Throws every invalid key's error otherwise.
    @discardableResult
    public mutating func set(texts changes: [(key: String, text: String)], role: Role, changedBy: String,
                             now: Date) throws -> [ParameterView] {
        var scratch = values
        var accepted: [(String, ParameterValue)] = []
        var pending = changes
        var errors: [String: ParameterError] = [:]
        // Two passes: a change refused because of another parameter's current value may pass once that one changed.
        for pass in 0..<2 {
            var retry: [(key: String, text: String)] = []
            for (key, text) in pending {
                do throws(ParameterError) {
                    let r = try registry.resolve(key)
                    let (resolved, value) = try registry.validateChange(key: key, value: try registry.parse(text, for: r), role: role, in: scratch)
                    // A station-wide parameter's other connectors change with it: validated here, and the form may
                    // not give them another value.
                    var after = scratch
                    after.set(resolved.key, value)
                    for k in registry.companions(of: resolved, in: scratch) {
                        if let given = accepted.first(where: { $0.0 == k }), given.1 != value {
                            throw ParameterError.conflict(resolved.key, value.description, allowed: "the same value as \(k) (\(given.1))",
                                                          message: "\(resolved.key): \(resolved.definition.key) is one value for the whole station here; \(k) was given \(given.1), \(resolved.key) \(value)")
                        }
                        let (cr, cv) = try registry.validateChange(key: k, value: value, role: role, in: after)
                        after.set(cr.key, cv)
                    }
                    scratch = after
                    accepted.append((resolved.key, value))
                    errors[key] = nil
                } catch {
                    errors[key] = error
                    if pass == 0 && error.kind != .forbidden { retry.append((key, text)) }
                }
            }
            pending = retry
            if pending.isEmpty { break }
        }
        guard errors.isEmpty else { throw ParameterBatchError(errors: errors) }
        // A preset goes first, so that a parameter it fills and the form changes too keeps the value typed for it.
        let presetsFirst = accepted.filter { isPreset($0.0) } + accepted.filter { !isPreset($0.0) }
        return try presetsFirst.map { try set($0.0, $0.1, role: role, changedBy: changedBy, now: now) }
    }

    /// seeds/004 §3 "Operator Default & Restart": every parameter the operator role may change goes back to its default
    /// (each change audited as `changedBy`); what the installer and the manufacturer set (hardware, installation
    /// currents, meters, load management, network) stays, and so do the lists, the history and the accounts — unlike the
    /// factory reset, which returns every setting to its default. The station's connection to its backend
    /// (``StationParameters/keptByOperatorDefault``) stays too, so that the station comes back online after the restart.
    /// A default that the installer's values do not allow (a constraint between parameters) keeps its current value and
    /// is returned in `kept`.
    public mutating func restoreOperatorDefaults(changedBy: String, now: Date) throws -> (restored: [ParameterView], kept: [String]) {
        var restored: [ParameterView] = [], kept: [String] = []
        // A preset read from the parameters it fills (the authentication mode) follows them back to its default.
        for r in registry.keys where registry.requiredRole(r, in: values) <= .operator && !r.definition.derivedFromFills
            && !StationParameters.keptByOperatorDefault.contains(r.definition.key) {
            let d = r.definition.defaultValue
            guard values.value(r.key) != d else { continue }
            guard let (resolved, normalized) = try? registry.validateChange(key: r.key, value: d, role: .operator, in: values) else {
                kept.append(r.key)
                continue
            }
            try store.saveParameter(key: resolved.key, value: normalized, old: values.value(resolved.key), changedBy: changedBy, at: now,
                                    secret: resolved.definition.secret)
            values.set(resolved.key, normalized)
            restored.append(try get(resolved.key))
        }
        return (restored, kept)
    }

    private func isPreset(_ key: String) -> Bool { !((try? registry.resolve(key))?.definition.fills.isEmpty ?? true) }

    /// Parses text for `key` and stores it (CLI and form input).
    @discardableResult
    public mutating func set(_ key: String, text: String, role: Role, changedBy: String, now: Date) throws -> ParameterView {
        let r = try registry.resolve(key)
        let value = try registry.parse(text, for: r)
        return try set(r.key, value, role: role, changedBy: changedBy, now: now)
    }

    /// The event log's lines for parameters that changed from their value in `before` (a secret shows as ****; one that
    /// waits for a restart says so). Empty when nothing changed.
    public func changeLog(_ views: [ParameterView], before: ParameterSet, changedBy: String, now: Date) -> [EventLogEntry] {
        views.compactMap { view in
            let old = before.value(view.key) ?? view.defaultValue
            guard old != values.value(view.key) ?? view.defaultValue else { return nil }
            let shown = { (v: ParameterValue) in view.secret ? "****" : v.description }
            return EventLogEntry(at: now, kind: .parameterChanged, connector: view.connector ?? 0, code: view.key,
                                 message: "\(view.key) changed from \(shown(old)) to \(shown(view.value)) by \(changedBy)"
                                    + (view.restartRequired ? " (takes effect after restart)" : ""))
        }
    }
}

/// The invalid fields of a form: nothing of it was stored.
public struct ParameterBatchError: Error, Sendable, Equatable {
    /// By the key as submitted.
    public var errors: [String: ParameterError]
}

extension StationParameters {
    /// What "Operator Default & Restart" keeps although the operator may change it: the station's connections to the
    /// systems that watch it — its backend (URL, proxy, identity and its template, the key and how it is sent) and its
    /// MQTT broker (on/off, host, port, TLS, user, password, topic prefix). Reset, the station would restart without
    /// them, or under another name they do not know.
    public static let keptByOperatorDefault: Set<String> = [
        backendURL, websocketsProxy, chargeBoxIdentity, chargeBoxIdentityTemplate, authorizationKey, authorizationKeyEncoding,
        mqttEnabled, mqttBrokerHost, mqttBrokerPort, mqttTLS, mqttUser, mqttPassword, mqttTopicPrefix,
    ]
}

