import Foundation
import Parameters
import Testing

/// A small registry of every kind of typed key, declared the way the station and the gateway declare theirs.
private enum Fan: String, ParameterChoice { case off = "Off", slow = "Slow", fast = "Fast" }

extension ParameterKey {
    fileprivate static var enabled: ParameterKey<Bool> { .init("Enabled", .bool) }
    fileprivate static var port: ParameterKey<Int> { .init("Port", .integer) }
    fileprivate static var amps: ParameterKey<Double> { .init("Amps", .number) }
    fileprivate static var volts: ParameterKey<Double> { .init("Volts", .number) }
    fileprivate static var host: ParameterKey<String> { .init("Host", .text) }
    fileprivate static var zone: ParameterKey<String> { .init("Zone", .text) }
    fileprivate static var tags: ParameterKey<[String]> { .init("Tags", .list) }
    fileprivate static var limit: ParameterKey<PhaseValues> { .init("Limit", .phases) }
    fileprivate static var fan: ParameterKey<Fan> { .init("Fan", .choice) }
    fileprivate static var fans: ParameterKey<[Fan]> { .init("Fans", .choices(Fan.self)) }
    fileprivate static var baud: ParameterKey<Int> { .init("Baud", .integerChoice) }
    fileprivate static var rate: ParameterKey<Double> { .init("Rate", .numberChoice) }
}

extension ConnectorParameterKey {
    fileprivate static var fanOfConnector: ConnectorParameterKey<Fan?> { .init("ConnectorFan", .choice(Fan.self, none: "none")) }
    fileprivate static var ampsOfConnector: ConnectorParameterKey<Double> { .init("ConnectorAmps", .number) }
}

private let menu = Menu(rawValue: "Test")

private let definitions: [ParameterDefinition] = [
    ParameterDefinition(key: .enabled, label: "Enabled", type: .bool, defaultValue: .bool(true), role: .operator, menu: menu, section: "A",
                        help: "h", seeAlso: "s"),
    ParameterDefinition(key: .port, label: "Port", type: .integer(1...65535, unit: nil), defaultValue: .integer(502), role: .operator,
                        menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .amps, label: "Amps", type: .integer(6...80, unit: "A"), defaultValue: .integer(16), role: .operator,
                        menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .volts, label: "Volts", type: .decimal(100...280, unit: "V"), defaultValue: .decimal(230), role: .operator,
                        menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .host, label: "Host", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""), role: .operator,
                        menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .zone, label: "Zone", type: .choice([Choice("UTC", "UTC"), Choice("Europe/Berlin", "Berlin")]),
                        defaultValue: .string("UTC"), role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .tags, label: "Tags", type: .list(itemLength: 1...8, maxCount: 4), defaultValue: .list([]), role: .operator,
                        menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .limit, label: "Limit", type: .phaseTriple(0...100, unit: "A"), defaultValue: .phaseTriple(PhaseValues(all: 32)),
                        role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .fan, label: "Fan", type: .choice([Fan.off: "Off", .slow: "Slow", .fast: "Fast"]), defaultValue: .choice(Fan.slow),
                        role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .fans, label: "Fans", type: .multiChoice([Choice("Off", "Off"), Choice("Slow", "Slow"), Choice("Fast", "Fast")], maxCount: 3),
                        defaultValue: .list(["Slow"]), role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .baud, label: "Baud", type: .choice([Choice("9600", "9600"), Choice("19200", "19200")]), defaultValue: .string("19200"),
                        role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .rate, label: "Rate", type: .choice([Choice("1", "1 s"), Choice("30", "30 s")]), defaultValue: .string("30"),
                        role: .operator, menu: menu, section: "A", visibleWhen: .when(.fan, isNot: .off), help: "h", seeAlso: "s"),
    ParameterDefinition(key: .fanOfConnector, label: "Connector fan", type: .choice([Choice("none", "None"), Choice("Off", "Off"),
                                                                                    Choice("Slow", "Slow"), Choice("Fast", "Fast")]),
                        defaultValue: .string("none"), role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
    ParameterDefinition(key: .ampsOfConnector, label: "Connector amps", type: .integer(6...32, unit: "A"), defaultValue: .integer(16),
                        role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s"),
]

@Suite("Typed parameter keys")
struct ParameterKeyTests {
    let registry = ParameterRegistry(definitions: definitions, connectorCount: 2)

    /// Stores `value` through the key, checked and normalized by the registry as a form's value is, and reads it back.
    func roundTrip<V>(_ key: ParameterKey<V>, _ value: V) throws -> V {
        var p = ParameterSet(registry: registry)
        let (resolved, normalized) = try registry.validateChange(key: key.name, value: key.codec.encode(value), role: .operator, in: p)
        p.set(resolved.key, normalized)
        return p[key]
    }

    @Test("every kind of key reads its declared default")
    func defaults() {
        let p = ParameterSet(registry: registry)
        #expect(p[.enabled] && p[.port] == 502 && p[.amps] == 16 && p[.volts] == 230 && p[.host].isEmpty && p[.zone] == "UTC")
        #expect(p[.tags].isEmpty && p[.limit] == PhaseValues(all: 32) && p[.fan] == .slow && p[.fans] == [.slow])
        #expect(p[.baud] == 19200 && p[.rate] == 30 && p[.fanOfConnector, connector: 2] == nil)
    }

    @Test("every kind of key round-trips a value through the registry's check: encode, normalize, store, decode")
    func roundTrips() throws {
        #expect(try roundTrip(.enabled, false) == false)
        #expect(try roundTrip(.port, 8080) == 8080)
        #expect(try roundTrip(.amps, 20) == 20, "a Double of an integer parameter is stored as the integer")
        #expect(try roundTrip(.volts, 231.5) == 231.5)
        #expect(try roundTrip(.host, "meter.local") == "meter.local")
        #expect(try roundTrip(.zone, "Europe/Berlin") == "Europe/Berlin")
        #expect(try roundTrip(.tags, ["a", "bc"]) == ["a", "bc"])
        #expect(try roundTrip(.limit, PhaseValues(l1: 10, l2: 20, l3: 30)) == PhaseValues(l1: 10, l2: 20, l3: 30))
        #expect(try roundTrip(.fan, .fast) == .fast)
        #expect(try roundTrip(.fans, [.fast, .off]) == [.fast, .off])
        #expect(try roundTrip(.baud, 9600) == 9600)
        #expect(try roundTrip(.rate, 1) == 1)
        #expect(try roundTrip(.connector(2, of: .fanOfConnector), .fast) == .fast)
        #expect(try roundTrip(.connector(1, of: .fanOfConnector), nil) == nil)
        #expect(throws: ParameterError.self) { try roundTrip(.amps, 81) }
    }

    @Test("a connector key reads its own connector's value; a typed set stores what the key encodes")
    func connectorsAndSet() {
        var p = ParameterSet(registry: registry)
        p.set(.connector(2, of: .fanOfConnector), .slow)
        p.set(.port, 1502)
        #expect(p[.fanOfConnector, connector: 1] == nil && p[.fanOfConnector, connector: 2] == .slow)
        #expect(p.stored == ["ConnectorFan.2": .string("Slow"), "Port": .integer(1502)])
        #expect(p.value("ConnectorFan.2") == .string("Slow"), "the same value by its name, as a form or OCPP addresses it")
        #expect(p[.ampsOfConnector, connector: 2] == 16)
        #expect(p[.ampsOfConnector, connector: 3] == 0 && p.number("ConnectorAmps.3") == 0,
                "a connector beyond the registry's reads the fallback, as its name does")
    }

    @Test("a key that does not fit its declaration is named with what disagrees")
    func disagreements() {
        #expect(ParameterCodec<Bool>.bool.disagreement(type: .integer(0...1, unit: nil), defaultValue: .integer(0))
            == "a int parameter cannot be read as Bool")
        #expect(ParameterCodec<Fan>.choice.disagreement(type: .choice([Choice("Off", "Off"), Choice("Slow", "Slow")]), defaultValue: .string("Off"))
            != nil, "a choice must offer every case of its enum")
        #expect(ParameterCodec<Fan>.choice.disagreement(type: .choice([Fan.off: "", .slow: "", .fast: "", ]), defaultValue: .string("Medium"))
            == "its default Medium does not read as Fan")
        #expect(ParameterCodec<Int>.integerChoice.disagreement(type: .choice([Choice("fast", "Fast")]), defaultValue: .string("fast")) != nil)
        #expect(ParameterCodec<String>.text.disagreement(type: .list(itemLength: 1...2, maxCount: 2), defaultValue: .list([])) != nil)
        for d in definitions { #expect(!d.valueType.isEmpty) }
        #expect(definitions.first { $0.key == "ConnectorFan" }?.scope == .connector, "a connector key declares a connector parameter")
        #expect(definitions.first { $0.key == "Fan" }?.valueType == "Fan")
    }

    @Test("a typed visibility names the other parameter's stored spelling")
    func visibility() {
        #expect(Visibility.when(ParameterKey<Bool>.enabled, is: true) == .when("Enabled", is: "On"))
        #expect(Visibility.when(ParameterKey<Fan>.fan, isNot: .off) == .when("Fan", isNot: "Off"))
        #expect(Visibility.when(ConnectorParameterKey<Fan?>.fanOfConnector, isNot: nil) == .when("ConnectorFan", isNot: "none"))
    }

    @Test("a menu is coded as its name alone, as the API shows it")
    func menuCoding() throws {
        #expect(String(decoding: try JSONEncoder().encode(menu), as: UTF8.self) == "\"Test\"")
        #expect(try JSONDecoder().decode(Menu.self, from: Data("\"Load Management\"".utf8)) == Menu(rawValue: "Load Management"))
    }

    @Test("the registry's rules: a role grant lowers the required role while its switch is On; time windows need their format")
    func rules() throws {
        let rules = ParameterRules(roleGrants: [(["Port"], .operator, .enabled)])
        var defs = definitions
        defs[1].role = .installer
        let r = ParameterRegistry(definitions: defs, rules: rules, connectorCount: 1)
        var p = ParameterSet(registry: r)
        let port = try r.resolve("Port")
        #expect(r.requiredRole(port, in: p) == .operator)
        p.set(.enabled, false)
        #expect(r.requiredRole(port, in: p) == .installer)

        let windows = [ParameterDefinition(key: ParameterKey<[String]>("Windows", .list), label: "Windows", type: .timeWindows(maxCount: 2, amps: 0...80),
                                           defaultValue: .list([]), role: .operator, menu: menu, section: "A", help: "h", seeAlso: "s")]
        let without = ParameterRegistry(definitions: windows, connectorCount: 1)
        #expect(throws: ParameterError.self) { try without.check(.list(["5-6=10"]), without.resolve("Windows")) }
        let with = ParameterRegistry(definitions: windows, rules: ParameterRules(timeWindow: { $0 == "5-6=10" ? ("05:00-06:00=10", 10) : nil }),
                                     connectorCount: 1)
        #expect(try with.check(.list(["5-6=10"]), with.resolve("Windows")) == .list(["05:00-06:00=10"]))
        #expect(throws: ParameterError.self) { try with.check(.list(["5-6=90"]), with.resolve("Windows")) }
    }
}
