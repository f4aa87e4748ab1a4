#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import HostConfig
import Parameters

private typealias K = StationParameters

/// The EEBUS interface (menu Load Management, section "EEBUS interface"; issue 26): seeds/000 "PV-gesteuertes Laden
/// aktivieren → 3. EEBUS-Schnittstelle" with its defaults (EEBus-Schnittstelle Aus; Strom bei Verbindungsausfall 6 A;
/// Zeit bis Verbindungsausfall 4 s; Kennung des gekoppelten Energiemanagers empty, "Nicht gekoppelt"). Pairing
/// ("Energiemanager koppeln oder trennen") fills or empties the paired manager's SKI, which is a parameter so that
/// the trust survives a restart and an installer can also type the SKI the manager shows (SHIP TS 1.0.1 §12.1: trust
/// by SKI, entered by the user). The listener's port and bind address are the installer's.
extension StationParameters {
    public static let eebusInterface = "EEBUSInterface"
    public static let eebusFallbackCurrent = "EEBUSFallbackCurrent"
    public static let eebusConnectionTimeout = "EEBUSConnectionTimeout"
    public static let eebusPairedSKI = "EEBUSPairedSKI"
    public static let eebusPort = "EEBUSPort"
    public static let eebusBindAddress = "EEBUSBindAddress"
    static let eebusSection = "EEBUS interface"

    static let eebusDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .eebusInterface, label: "EEBus Interface", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .loadManagement, section: eebusSection, restartRequired: true,
            help: "Announce the station to energy managers and grid control boxes on the LAN (EEBUS: SHIP and SPINE) and let the paired one limit its power (§14a EnWG, LPC) and steer its charging current (OPEV, OSCEV).",
            seeAlso: "seeds/000 EEBUS-Schnittstelle; docs/operator.md EEBUS"),
        ParameterDefinition(
            key: .eebusFallbackCurrent, label: "EEBUS Current on Connection Loss [A]", type: .integer(0...80, unit: "A"), defaultValue: .integer(6),
            role: .operator, menu: .loadManagement, section: eebusSection,
            help: "The current each connector offers while the paired energy manager is silent longer than the time below and has not set a failsafe power limit of its own (0 pauses).",
            seeAlso: "seeds/000 Strom bei Verbindungsausfall"),
        ParameterDefinition(
            key: .eebusConnectionTimeout, label: "EEBUS Time until Connection Loss [s]", type: .integer(1...7200, unit: "s"), defaultValue: .integer(4),
            role: .operator, menu: .loadManagement, section: eebusSection,
            help: "How long the paired energy manager's heartbeat (every few seconds) may be missing before the failsafe limit or the current above applies.",
            seeAlso: "seeds/000 Zeit bis Verbindungsausfall"),
        ParameterDefinition(
            key: .eebusPairedSKI, label: "EEBUS Paired Energy Manager (SKI)", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""),
            role: .operator, menu: .loadManagement, section: eebusSection,
            help: "The SKI (40 hexadecimal digits) of the energy manager this station trusts; set by \"Pair\" below or typed from the manager's display. Empty: no manager is paired.",
            seeAlso: "seeds/000 Kennung des gekoppelten Energiemanagers"),
        ParameterDefinition(
            key: .eebusPort, label: "EEBUS Port", type: .integer(1...65535, unit: nil), defaultValue: .integer(4712),
            role: .installer, menu: .loadManagement, section: eebusSection, restartRequired: true,
            help: "The TCP port of the station's SHIP listener (TLS WebSocket), announced by DNS-SD.",
            seeAlso: "docs/installer.md Listeners"),
        ParameterDefinition(
            key: .eebusBindAddress, label: "EEBUS Bind Address", type: .string(length: 1...45, allowed: nil),
            defaultValue: .string("0.0.0.0"), role: .installer, menu: .loadManagement, section: eebusSection, restartRequired: true,
            help: "Where the SHIP listener listens when the EEBus interface is on." + listenHelp,
            seeAlso: "docs/installer.md Listeners"),
    ]

    static let eebusTextChecks: [String: @Sendable (String) -> String?] = [
        eebusPairedSKI: { text in
            guard !text.isEmpty else { return nil }
            do { _ = try SHIPSKI(userInput: text) } catch { return "\(error), or empty" }
            return nil
        },
        eebusBindAddress: { ListenAddress.problem($0) },
    ]
}

extension ParameterKey {
    public static var eebusInterface: ParameterKey<Bool> { .init(K.eebusInterface, .bool) }
    public static var eebusFallbackCurrent: ParameterKey<Int> { .init(K.eebusFallbackCurrent, .integer) }
    public static var eebusConnectionTimeout: ParameterKey<Int> { .init(K.eebusConnectionTimeout, .integer) }
    public static var eebusPairedSKI: ParameterKey<String> { .init(K.eebusPairedSKI, .text) }
    public static var eebusPort: ParameterKey<Int> { .init(K.eebusPort, .integer) }
    public static var eebusBindAddress: ParameterKey<String> { .init(K.eebusBindAddress, .text) }
}

/// The EEBUS interface's settings as the station runs with them.
public struct EEBUSInterfaceSettings: Sendable, Equatable {
    public var enabled = false
    public var fallbackAmps: Double = 6
    public var connectionTimeoutSeconds: Double = 4
    /// The paired energy manager's SKI (40 lower-case hex digits), nil when none is paired.
    public var pairedSKI: String?
    public var port = 4712
    public var bindAddress = ListenAddress.address(.v4(0))

    public init() {}

    public init(_ p: ParameterSet) {
        enabled = p[.eebusInterface]
        fallbackAmps = Double(p[.eebusFallbackCurrent])
        connectionTimeoutSeconds = Double(p[.eebusConnectionTimeout])
        pairedSKI = Self.normalizedSKI(p[.eebusPairedSKI])
        port = p[.eebusPort]
        bindAddress = ListenAddress(p[.eebusBindAddress]) ?? .address(.v4(0))
    }

    /// A SKI as typed or shown by a manager (``SHIPSKI/init(userInput:)``) as 40 lower-case hex digits; nil for
    /// anything else.
    public static func normalizedSKI(_ text: String) -> String? { (try? SHIPSKI(userInput: text))?.hex }
}
