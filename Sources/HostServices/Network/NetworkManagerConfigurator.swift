#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DBus
import HostConfig

/// NetworkManager behind ``NetworkConfigurator``, over D-Bus (NetworkManager D-Bus API reference 1.42): the devices
/// from `GetDevices` with their `Interface`, `State`, `Ip4Config`/`Ip6Config` (`AddressData`) and `Dhcp4Config`
/// (`Options`); the configuration from the device's connection profile (`ActiveConnection` → `Connection`, else the
/// `AvailableConnections`, read with `GetSettings`). A change updates that profile (`Update`, saved to disk) and
/// activates it on the device (`ActivateConnection`); a device without a profile gets ChargeKit's own
/// (`AddAndActivateConnection`, id `chargekit-<name>`).
public struct NetworkManagerConfigurator: NetworkConfigurator {
    public var serviceName: String { "NetworkManager" }
    let bus: any DBusBus

    static let service = "org.freedesktop.NetworkManager"
    static let managerPath = "/org/freedesktop/NetworkManager"
    static let deviceInterface = "org.freedesktop.NetworkManager.Device"
    static let connectionInterface = "org.freedesktop.NetworkManager.Settings.Connection"

    public init(bus: any DBusBus) { self.bus = bus }

    /// Whether NetworkManager answers on the bus (its `Version`); the reason when it does not.
    public static func probe(_ bus: any DBusBus) async -> String? {
        do {
            _ = try await bus.property("Version", of: service, at: managerPath, on: service)
            return nil
        } catch let e as DBusError {
            return e.isServiceUnknown ? "NetworkManager is not running on the system bus" : "NetworkManager does not answer: \(e)"
        } catch {
            return "NetworkManager does not answer: \(error)"
        }
    }

    struct Device {
        var path: String
        var properties: [String: DBusValue]
        var name: String { properties["Interface"]?.string ?? "" }
    }

    func devices() async throws -> [Device] {
        let reply = try await call(Self.managerPath, Self.service, "GetDevices")
        var result: [Device] = []
        for path in reply.first?.elements?.compactMap(\.string) ?? [] {
            let p = try await bus.properties(of: Self.deviceInterface, at: path, on: Self.service)
            // Loopback (32) is no interface to configure.
            if p["DeviceType"]?.int == 32 || (p["Interface"]?.string ?? "").isEmpty { continue }
            result.append(Device(path: path, properties: p))
        }
        return result
    }

    public func interfaces() async throws -> [InterfaceState] {
        var states: [InterfaceState] = []
        for d in try await devices() {
            var s = InterfaceState(name: d.name, serviceState: Self.stateWord(d.properties["State"]?.int ?? 0))
            s.up = (d.properties["State"]?.int ?? 0) >= 40
            s.carrier = (try? await bus.property("Carrier", of: Self.deviceInterface + ".Wired", at: d.path, on: Self.service))?.bool ?? s.up
            for (key, interface) in [("Ip4Config", "org.freedesktop.NetworkManager.IP4Config"), ("Ip6Config", "org.freedesktop.NetworkManager.IP6Config")] {
                guard let path = d.properties[key]?.string, path != "/",
                      let data = try? await bus.property("AddressData", of: interface, at: path, on: Self.service) else { continue }
                s.addresses += (data.elements ?? []).compactMap { e in
                    guard let e = e.dictionary, let a = e["address"]?.string.flatMap(IPAddress.init), let n = e["prefix"]?.int else { return nil }
                    return IPPrefix(address: a, length: n)
                }
            }
            if let path = d.properties["Dhcp4Config"]?.string, path != "/",
               let options = (try? await bus.property("Options", of: "org.freedesktop.NetworkManager.DHCP4Config", at: path, on: Self.service))?.dictionary,
               let address = options["ip_address"]?.string {
                let server = options["dhcp_server_identifier"]?.string.map { " from \($0)" } ?? ""
                let time = options["dhcp_lease_time"]?.string.map { " (lease \($0) s)" } ?? ""
                s.dhcpLease = address + server + time
            }
            if let profile = try await connectionPath(of: d), let groups = try await settings(at: profile) {
                s.config = NetworkManagerSettings.config(from: groups, fallbackName: d.name)
            }
            states.append(s)
        }
        return states
    }

    public func apply(_ config: InterfaceConfig) async throws {
        guard let device = try await devices().first(where: { $0.name == config.name }) else {
            throw NetworkConfigureError.unknownInterface(config.name)
        }
        do {
            if let profile = try await connectionPath(of: device) {
                let existing = try await settings(at: profile)
                let groups = NetworkManagerSettings.groups(for: config, existing: existing, uuid: UUID().uuidString.lowercased())
                _ = try await call(profile, Self.connectionInterface, "Update", [NetworkManagerSettings.value(groups)])
                _ = try await call(Self.managerPath, Self.service, "ActivateConnection",
                                   [.objectPath(profile), .objectPath(device.path), .objectPath("/")])
            } else {
                let groups = NetworkManagerSettings.groups(for: config, uuid: UUID().uuidString.lowercased())
                _ = try await call(Self.managerPath, Self.service, "AddAndActivateConnection",
                                   [NetworkManagerSettings.value(groups), .objectPath(device.path), .objectPath("/")])
            }
        } catch let e as DBusError {
            throw NetworkConfigureError.serviceFailed("NetworkManager refused the change: \(e)")
        }
    }

    /// The device's connection profile: the active one's, else ChargeKit's own among the available ones, else the first.
    func connectionPath(of d: Device) async throws -> String? {
        if let active = d.properties["ActiveConnection"]?.string, active != "/",
           let path = (try? await bus.property("Connection", of: "org.freedesktop.NetworkManager.Connection.Active", at: active, on: Self.service))?.string,
           path != "/" {
            return path
        }
        let available = d.properties["AvailableConnections"]?.elements?.compactMap(\.string) ?? []
        for path in available {
            if let g = try await settings(at: path), g["connection"]?["id"]?.string == NetworkManagerSettings.connectionID(for: d.name) { return path }
        }
        return available.first
    }

    func settings(at path: String) async throws -> NetworkManagerSettings.Groups? {
        try await call(path, Self.connectionInterface, "GetSettings").first.flatMap(NetworkManagerSettings.groups)
    }

    func call(_ path: String, _ interface: String, _ member: String, _ arguments: [DBusValue] = []) async throws -> [DBusValue] {
        try await bus.call(DBusMethodCall(destination: Self.service, path: path, interface: interface, member: member, arguments: arguments))
    }

    /// NM_DEVICE_STATE in words.
    static func stateWord(_ state: Int) -> String {
        switch state {
        case 10: "unmanaged"
        case 20: "unavailable"
        case 30: "disconnected"
        case 40...90: "connecting"
        case 100: "activated"
        case 110: "deactivating"
        case 120: "failed"
        default: "unknown"
        }
    }
}
