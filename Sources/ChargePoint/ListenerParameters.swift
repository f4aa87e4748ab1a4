#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import Parameters

private typealias K = StationParameters

/// Where the station's network listeners bind (issue 23 item 7, secure defaults): the Modbus TCP server, the SEMP
/// interface of the Sunny Home Manager and the DLM link, each beside the switch that turns it on. Every listener is off
/// until configured (ModbusTCPServer Off, SMAInterface Off, DLM Mode Off are the defaults); once on, it binds to the
/// address or interface chosen here (``HostConfig/ListenAddress``: an address, 0.0.0.0 for all, or an interface name
/// resolved when the listener starts). The parameter is the source of truth; the command line's `--modbus-host` and
/// `--semp-host` only override it for one run (a test, a container). The web interface and API listener is bound by
/// `--http-host` (127.0.0.1 by default).
extension StationParameters {
    public static let modbusBindAddress = "ModbusTCPServerBindAddress"
    public static let smaBindAddress = "SMAInterfaceBindAddress"
    public static let dlmBindAddress = "DLMBindAddress"

    static let listenHelp = " An IP address of this station, 0.0.0.0 for all IPv4 addresses (:: for all), or a network interface name such as eth0, resolved to its address when the listener starts (an unknown interface stops the start with a message naming it)."

    static let listenerDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .modbusBindAddress, label: "Modbus TCP Server Bind Address", type: .string(length: 1...45, allowed: nil),
            defaultValue: .string("0.0.0.0"), role: .installer, menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "Where the Modbus TCP server listens when it is on; choose the LAN of the energy manager, never the Internet side." + listenHelp,
            seeAlso: "docs/installer.md Listeners"),
        ParameterDefinition(
            key: .smaBindAddress, label: "SMA Interface Bind Address", type: .string(length: 1...45, allowed: nil),
            defaultValue: .string("0.0.0.0"), role: .installer, menu: .loadManagement, section: smaSection, restartRequired: true,
            help: "Where the SEMP interface for the Sunny Home Manager listens when the SMA interface is on." + listenHelp,
            seeAlso: "docs/installer.md Listeners"),
        ParameterDefinition(
            key: .dlmBindAddress, label: "DLM Bind Address", type: .string(length: 1...45, allowed: nil),
            defaultValue: .string("0.0.0.0"), role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            help: "Where the DLM link's UDP socket listens when a DLM mode other than Off is chosen. An Auto-Discovery slave must receive the master's broadcasts: keep 0.0.0.0 for it." + listenHelp,
            seeAlso: "docs/installer.md Listeners"),
    ]

    static let listenerTextChecks: [String: @Sendable (String) -> String?] = [
        modbusBindAddress: { ListenAddress.problem($0) },
        smaBindAddress: { ListenAddress.problem($0) },
        dlmBindAddress: { ListenAddress.problem($0) },
    ]
}

extension ParameterKey {
    public static var modbusBindAddress: ParameterKey<String> { .init(K.modbusBindAddress, .text) }
    public static var smaBindAddress: ParameterKey<String> { .init(K.smaBindAddress, .text) }
    public static var dlmBindAddress: ParameterKey<String> { .init(K.dlmBindAddress, .text) }
}

/// The listeners' bind addresses as the station starts them (``StationParameters/listenerDefinitions``).
public struct ListenerSettings: Sendable, Equatable {
    public var modbus: ListenAddress
    public var semp: ListenAddress
    public var dlm: ListenAddress

    public init(_ p: ParameterSet) {
        let any = ListenAddress.address(.v4(0))
        modbus = ListenAddress(p[.modbusBindAddress]) ?? any
        semp = ListenAddress(p[.smaBindAddress]) ?? any
        dlm = ListenAddress(p[.dlmBindAddress]) ?? any
    }
}
