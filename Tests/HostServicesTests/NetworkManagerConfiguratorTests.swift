import Synchronization
import Testing
import DBus
import HostConfig
@testable import HostServices

/// A bus that records each call and answers from a table keyed by "path interface.member [first string argument]".
final class NetworkManagerFakeBus: DBusBus {
    let calls = Mutex<[DBusMethodCall]>([])
    let replies: [String: [DBusValue]]
    init(_ replies: [String: [DBusValue]]) { self.replies = replies }

    func call(_ call: DBusMethodCall) async throws -> [DBusValue] {
        calls.withLock { $0.append(call) }
        var key = "\(call.path) \(call.interface).\(call.member)"
        if call.interface == "org.freedesktop.DBus.Properties" { key += " " + call.arguments.compactMap(\.string).joined(separator: " ") }
        if let r = replies[key] { return r }
        if ["Update", "ActivateConnection", "AddAndActivateConnection"].contains(call.member) { return [] }
        throw DBusError(name: "org.freedesktop.DBus.Error.UnknownMethod", message: key)
    }
    var members: [String] { calls.withLock { $0.map(\.member) } }
}

@Suite("NetworkManager adapter over D-Bus (fake bus)")
struct NetworkManagerConfiguratorTests {
    static let nm = "/org/freedesktop/NetworkManager"
    static let device = "/org/freedesktop/NetworkManager/Devices/1"
    static let profile = "/org/freedesktop/NetworkManager/Settings/1"

    static func bus(active: Bool) -> NetworkManagerFakeBus {
        let existing = NetworkManagerSettings.groups(for: InterfaceConfig(name: "eth0"), uuid: "0b5c3b4e-aaaa-4bbb-8ccc-000000000001")
        return NetworkManagerFakeBus([
            "\(nm) org.freedesktop.NetworkManager.GetDevices": [.array(elementSignature: "o", [.objectPath(device)])],
            "\(device) org.freedesktop.DBus.Properties.GetAll org.freedesktop.NetworkManager.Device": [.stringVariantDictionary([
                "Interface": .string("eth0"), "IpInterface": .string("eth0"), "DeviceType": .uint32(1), "State": .uint32(100),
                "ActiveConnection": .objectPath(active ? "/org/freedesktop/NetworkManager/ActiveConnection/1" : "/"),
                "AvailableConnections": .array(elementSignature: "o", active ? [.objectPath(profile)] : []),
                "Ip4Config": .objectPath("/org/freedesktop/NetworkManager/IP4Config/1"),
            ])],
            "/org/freedesktop/NetworkManager/ActiveConnection/1 org.freedesktop.DBus.Properties.Get org.freedesktop.NetworkManager.Connection.Active Connection":
                [.variant(.objectPath(profile))],
            "/org/freedesktop/NetworkManager/IP4Config/1 org.freedesktop.DBus.Properties.Get org.freedesktop.NetworkManager.IP4Config AddressData":
                [.variant(.array(elementSignature: "a{sv}", [.stringVariantDictionary(["address": .string("192.168.1.57"), "prefix": .uint32(24)])]))],
            "\(profile) org.freedesktop.NetworkManager.Settings.Connection.GetSettings": [NetworkManagerSettings.value(existing)],
        ])
    }

    @Test("devices, state, addresses and the active profile's configuration")
    func networkManagerState() async throws {
        let states = try await NetworkManagerConfigurator(bus: Self.bus(active: true)).interfaces()
        #expect(states.count == 1)
        #expect(states[0].name == "eth0" && states[0].serviceState == "activated" && states[0].up)
        #expect(states[0].addresses == [IPPrefix("192.168.1.57/24")!])
        #expect(states[0].config == InterfaceConfig(name: "eth0"))
    }

    @Test("a change updates the device's profile (kept uuid) and activates it; without one AddAndActivateConnection")
    func networkManagerApply() async throws {
        let config = InterfaceConfig(name: "eth0", ipv4: .init(method: .manual, address: IPPrefix("192.168.1.20/24"), gateway: IPAddress("192.168.1.1")))
        let bus = Self.bus(active: true)
        try await NetworkManagerConfigurator(bus: bus).apply(config)
        let update = try #require(bus.calls.withLock { $0.first { $0.member == "Update" } })
        #expect(update.path == Self.profile && update.interface == "org.freedesktop.NetworkManager.Settings.Connection")
        let sent = try #require(NetworkManagerSettings.groups(update.arguments[0]))
        #expect(NetworkManagerSettings.config(from: sent) == config)
        #expect(sent["connection"]?["uuid"] == .string("0b5c3b4e-aaaa-4bbb-8ccc-000000000001"))
        let activate = try #require(bus.calls.withLock { $0.first { $0.member == "ActivateConnection" } })
        #expect(activate.arguments == [.objectPath(Self.profile), .objectPath(Self.device), .objectPath("/")])

        let fresh = Self.bus(active: false)
        try await NetworkManagerConfigurator(bus: fresh).apply(config)
        let add = try #require(fresh.calls.withLock { $0.first { $0.member == "AddAndActivateConnection" } })
        #expect(add.arguments[0].signature == "a{sa{sv}}" && add.arguments[1] == .objectPath(Self.device))
        #expect(NetworkManagerSettings.groups(add.arguments[0])?["connection"]?["id"] == .string("chargekit-eth0"))
        #expect(!fresh.members.contains("Update"))
        await #expect(throws: NetworkConfigureError.self) { try await NetworkManagerConfigurator(bus: fresh).apply(InterfaceConfig(name: "eth9")) }
    }
}
