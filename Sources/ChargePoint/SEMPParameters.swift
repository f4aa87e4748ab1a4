#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters
import SEMP

private typealias K = StationParameters

extension SEMPChargeMode: ParameterChoice {}

/// The SMA interface (menu Load Management, section "SMA interface (Sunny Home Manager)"; issue 25 item 1): the five
/// parameters of seeds/000 "PV-gesteuertes Laden aktivieren → 2. SMA-Schnittstelle (Sunny Home Manager)" with its
/// defaults (Aus, Überschussladen, 6 A, 600 s, 30 kWh). "Der Sunny Home Manager sollte automatisch deine Station
/// erkennen": nothing else is set — the station announces itself by SSDP and serves SEMP on the LAN.
extension StationParameters {
    public static let smaInterface = "SMAInterface"
    public static let smaChargeMode = "SMAChargeMode"
    public static let smaFallbackCurrent = "SMAFallbackCurrent"
    public static let smaConnectionTimeout = "SMAConnectionTimeout"
    public static let smaMaxEnergyDemand = "SMAMaxEnergyDemand"
    static let smaSection = "SMA interface (Sunny Home Manager)"

    static let sempDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .smaInterface, label: "SMA Interface", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .loadManagement, section: smaSection, restartRequired: true,
            help: "Announce the station to an SMA Sunny Home Manager on the LAN (SSDP) and let it control charging from PV surplus over SEMP; one device per connector.",
            seeAlso: "seeds/000 SMA-Schnittstelle (Sunny Home Manager); docs/operator.md Sunny Home Manager"),
        ParameterDefinition(
            key: .smaChargeMode, label: "SMA Charge Mode",
            type: .choice([SEMPChargeMode.surplus: "Surplus charging", .fast: "Fast charging"]),
            defaultValue: .choice(SEMPChargeMode.surplus), role: .operator, menu: .loadManagement, section: smaSection,
            help: "Surplus charging: the Sunny Home Manager starts, sets and pauses each session from PV surplus. Fast charging: sessions charge at once; the manager sees the power and plans around it but does not control it.",
            seeAlso: "seeds/000 SMA Lademodus"),
        ParameterDefinition(
            key: .smaFallbackCurrent, label: "SMA Current on Connection Loss [A]", type: .integer(0...80, unit: "A"), defaultValue: .integer(6),
            role: .operator, menu: .loadManagement, section: smaSection,
            help: "The current each connector offers while the Sunny Home Manager is silent longer than the time below (0 pauses).",
            seeAlso: "seeds/000 SMA Strom bei Verbindungsausfall"),
        ParameterDefinition(
            key: .smaConnectionTimeout, label: "SMA Time until Connection Loss [s]", type: .integer(60...86400, unit: "s"), defaultValue: .integer(600),
            role: .operator, menu: .loadManagement, section: smaSection,
            help: "How long the Sunny Home Manager may stay silent (it polls every minute) before the current above applies.",
            seeAlso: "seeds/000 SMA Zeit bis Verbindungsausfall"),
        ParameterDefinition(
            key: .smaMaxEnergyDemand, label: "SMA Maximum Energy Demand [kWh]", type: .integer(1...200, unit: "kWh"), defaultValue: .integer(30),
            role: .operator, menu: .loadManagement, section: smaSection,
            help: "The most energy one session asks the Sunny Home Manager for; once a session has charged it, the station reports its need as met.",
            seeAlso: "seeds/000 SMA Höchstbedarf Energie"),
    ]
}

extension ParameterKey {
    public static var smaInterface: ParameterKey<Bool> { .init(K.smaInterface, .bool) }
    public static var smaChargeMode: ParameterKey<SEMPChargeMode> { .init(K.smaChargeMode, .choice) }
    public static var smaFallbackCurrent: ParameterKey<Int> { .init(K.smaFallbackCurrent, .integer) }
    public static var smaConnectionTimeout: ParameterKey<Int> { .init(K.smaConnectionTimeout, .integer) }
    public static var smaMaxEnergyDemand: ParameterKey<Int> { .init(K.smaMaxEnergyDemand, .integer) }
}

extension SEMPSettings {
    public init(_ p: ParameterSet) {
        self.init(enabled: p[.smaInterface], mode: p[.smaChargeMode], fallbackAmps: Double(p[.smaFallbackCurrent]),
                  timeoutSeconds: Double(p[.smaConnectionTimeout]), maxEnergyDemandWh: Double(p[.smaMaxEnergyDemand]) * 1000)
    }
}
