import Parameters

/// One setting as the web configuration shows and edits it: a parameter of the gateway's registry
/// (``GatewayParameters``) bound to its ``GatewaySettings`` property through its typed key. ``GatewaySettings/fields``
/// lists them in page order; what the page shows and what ``GatewaySettings/problems()`` checks come from the
/// declaration: the one definition of what is allowed.
public struct GatewaySettingField: Sendable {
    /// How the page edits the setting, from its declared type.
    public enum Input: Sendable, Equatable {
        /// A whole number in a range, with its unit (" s") for messages.
        case number(ClosedRange<Int>, unit: String)
        case choice([String])
        case onOff
        case text
        /// Shown masked; an empty entry keeps the stored value.
        case secret

        /// A number or a choice: a value out of what is allowed is named with the allowed range.
        var isRange: Bool {
            switch self {
            case .number, .choice: true
            case .onOff, .text, .secret: false
            }
        }
    }

    /// The groups of the web configuration, after the tabs of the vendor's tool (seeds/003 §2.2 steps 2–4); a
    /// definition's `section` is one of their raw values.
    public enum Section: String, Sendable {
        case ocpp, external, timeouts, modbusTCP, modbusRTU, timeSync
        /// Prometheus metrics (issue 30 item 1).
        case metrics
        /// ChargeKit's own: the MQTT client (not in the seeds).
        case mqtt
        /// The web configuration's listener: address, HTTPS, redirect (issue 23 item 2).
        case web
    }

    /// The parameter's name: the settings property's name (the form field and ``SettingProblem/field``).
    public let key: String
    /// The parameter's declaration.
    public let definition: ParameterDefinition
    public let section: Section
    public let input: Input
    /// Where the setting comes from.
    public var seeAlso: String { definition.seeAlso }
    /// Shown only while another field has one of some values (key, values).
    public var visibleWhen: (key: String, values: [String])? { definition.visibleWhen.map { ($0.key, $0.values) } }
    /// The property's value as its key stores it.
    let get: @Sendable (GatewaySettings) -> ParameterValue
    /// Sets the property to a stored value its key reads (left as it is otherwise).
    let set: @Sendable (inout GatewaySettings, ParameterValue) -> Void
    /// A form entry as a stored value: nil leaves the setting as it is; a problem when it is no value of the
    /// property's type at all (the range is checked by ``GatewaySettings/problems()``).
    let parse: @Sendable (String) throws(SettingProblem) -> ParameterValue?
    let decode: @Sendable (KeyedDecodingContainer<SettingsCodingKey>, inout GatewaySettings) throws -> Void
    let encode: @Sendable (inout KeyedEncodingContainer<SettingsCodingKey>, GatewaySettings) throws -> Void

    public static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// The setting's value as the form shows it ("On"/"Off" for switches).
    public func value(_ s: GatewaySettings) -> String { get(s).description }

    /// Sets the value from a form entry; a number that is not a whole number is a problem (the range is checked by
    /// ``GatewaySettings/problems()``).
    public func apply(_ text: String, to s: inout GatewaySettings) -> SettingProblem? {
        do throws(SettingProblem) {
            if let value = try parse(text) { set(&s, value) }
            return nil
        } catch {
            return error
        }
    }

    /// The setting's problem against its declaration, as the gateway words it ("5 is outside 10…86400 s").
    func problem(in s: GatewaySettings) -> SettingProblem? {
        let value = get(s)
        guard let resolved = try? GatewayParameters.registry.resolve(key) else { return nil }
        do throws(ParameterError) {
            _ = try GatewayParameters.registry.check(value, resolved)
            return nil
        } catch {
            return SettingProblem(key, GatewayParameters.problem(value, definition.type))
        }
    }

    /// Binds `key`'s parameter to the property at `path`; `parse` reads a form entry of the property's type.
    static func bind<V: Codable>(_ key: ParameterKey<V>, _ path: any WritableKeyPath<GatewaySettings, V> & Sendable,
                                 parse: @escaping @Sendable (String, ParameterDefinition) throws(SettingProblem) -> V?) -> Self {
        guard let definition = GatewayParameters.registry.definition(key.name), let section = Section(rawValue: definition.section) else {
            preconditionFailure("gateway setting \(key) is not declared in a section of GatewayParameters")
        }
        let input: Input = switch definition.type {
        case .bool: .onOff
        case .integer(let r, let unit): .number(r, unit: unit.map { " \($0)" } ?? "")
        case .choice(let cs): .choice(cs.map(\.value))
        default: definition.secret ? .secret : .text
        }
        let coding = SettingsCodingKey(key.name)
        return Self(
            key: key.name, definition: definition, section: section, input: input,
            get: { key.codec.encode($0[keyPath: path]) },
            set: { s, value in if let v = key.codec.decode(value) { s[keyPath: path] = v } },
            parse: { (text: String) throws(SettingProblem) -> ParameterValue? in try parse(text, definition).map(key.codec.encode) },
            decode: { c, s in if let v = try c.decodeIfPresent(V.self, forKey: coding) { s[keyPath: path] = v } },
            encode: { c, s in try c.encode(s[keyPath: path], forKey: coding) })
    }

    /// A whole number (also a choice of numbers, such as the baud rate).
    static func bind(_ key: ParameterKey<Int>, _ path: any WritableKeyPath<GatewaySettings, Int> & Sendable) -> Self {
        bind(key, path) { (text: String, _) throws(SettingProblem) -> Int? in
            guard let v = Int(trimmed(text)) else { throw SettingProblem(key.name, "'\(text)' is not a whole number") }
            return v
        }
    }

    /// A switch: the form sends "On" or "Off".
    static func bind(_ key: ParameterKey<Bool>, _ path: any WritableKeyPath<GatewaySettings, Bool> & Sendable) -> Self {
        bind(key, path) { text, _ in text == "On" }
    }

    /// Text, trimmed unless it is a secret.
    static func bind(_ key: ParameterKey<String>, _ path: any WritableKeyPath<GatewaySettings, String> & Sendable) -> Self {
        bind(key, path) { text, definition in definition.secret ? text : trimmed(text) }
    }

    /// One of an enum's cases; an entry that is none leaves the setting as it is.
    static func bind<C: ParameterChoice & Codable>(_ key: ParameterKey<C>, _ path: any WritableKeyPath<GatewaySettings, C> & Sendable) -> Self {
        bind(key, path) { text, _ in C(rawValue: text) }
    }
}

/// The keys of the stored settings' JSON: the parameters' names and `chargers`.
struct SettingsCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static let chargers = SettingsCodingKey("chargers")
    static let signalsOff = SettingsCodingKey("signalsOff")
}

extension GatewaySettings {
    /// Every setting of the web configuration except the charger list, in page order: each parameter of
    /// ``GatewayParameters`` bound to its property (a test checks that every property but `chargers` has its field).
    public static let fields: [GatewaySettingField] = [
        .bind(.mode, \.mode),
        .bind(.heartbeatIntervalSeconds, \.heartbeatIntervalSeconds),
        .bind(.ocppPort, \.ocppPort),
        .bind(.ocppBindAddress, \.ocppBindAddress),
        .bind(.ocppTLSCertificateFile, \.ocppTLSCertificateFile),
        .bind(.ocppTLSKeyFile, \.ocppTLSKeyFile),
        .bind(.ocppSecurityProfile, \.ocppSecurityProfile),
        .bind(.ocppClientCAFile, \.ocppClientCAFile),
        .bind(.acceptUnconfiguredChargers, \.acceptUnconfiguredChargers),
        .bind(.externalURL, \.externalURL),
        .bind(.externalPassword, \.externalPassword),
        .bind(.bmsTimeoutSeconds, \.bmsTimeoutSeconds),
        .bind(.chargerTimeoutSeconds, \.chargerTimeoutSeconds),
        .bind(.bmsHeartbeatTimeoutSeconds, \.bmsHeartbeatTimeoutSeconds),
        .bind(.modbusTCPEnabled, \.modbusTCPEnabled),
        .bind(.modbusTCPPort, \.modbusTCPPort),
        .bind(.modbusTCPBindAddress, \.modbusTCPBindAddress),
        .bind(.modbusUnitID, \.modbusUnitID),
        .bind(.rtuDevice, \.rtuDevice),
        .bind(.rtuBaudRate, \.rtuBaudRate),
        .bind(.rtuParity, \.rtuParity),
        .bind(.rtuStopBits, \.rtuStopBits),
        .bind(.bmsTimeZone, \.bmsTimeZone),
        .bind(.gatewayMetricsEnabled, \.metricsEnabled),
        .bind(.gatewayMetricsToken, \.metricsToken),
    ] + mqttFields + webFields
}
