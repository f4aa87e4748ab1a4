import Testing
import Synchronization
import DBus
import HostConfig
@testable import HostServices

/// A bus that answers from a table and records every call.
final class RecordingBus: DBusBus, @unchecked Sendable {
    let calls = Mutex<[DBusMethodCall]>([])
    let answer: @Sendable (DBusMethodCall) throws -> [DBusValue]
    init(_ answer: @escaping @Sendable (DBusMethodCall) throws -> [DBusValue]) { self.answer = answer }
    func call(_ call: DBusMethodCall) async throws -> [DBusValue] {
        calls.withLock { $0.append(call) }
        return try answer(call)
    }
}

@Suite("ModemManager client (ModemManager 1.x D-Bus API) against a recording bus")
struct ModemManagerClientTests {
    static let modemPath = "/org/freedesktop/ModemManager1/Modem/0"
    static let simPath = "/org/freedesktop/ModemManager1/SIM/0"

    static func managedObjects() -> DBusValue {
        let modem = DBusValue.stringVariantDictionary([
            "Manufacturer": .string("Fibocom Wireless Inc."), "Model": .string("NL668_EU_10"), "EquipmentIdentifier": .string("867567040000000"),
            "State": .int32(8), "UnlockRequired": .uint32(1),
            "UnlockRetries": .array(elementSignature: "{uu}", [.dictEntry(.uint32(2), .uint32(3)), .dictEntry(.uint32(4), .uint32(10))]),
            "SignalQuality": .structure([.uint32(64), .boolean(true)]), "AccessTechnologies": .uint32(1 << 14),
            "CurrentModes": .structure([.uint32(14), .uint32(8)]), "Sim": .objectPath(simPath),
        ])
        let threeGPP = DBusValue.stringVariantDictionary([
            "Imei": .string("867567040000000"), "RegistrationState": .uint32(1), "OperatorCode": .string("26201"), "OperatorName": .string("Telekom.de"),
        ])
        let interfaces = DBusValue.array(elementSignature: "{sa{sv}}", [
            .dictEntry(.string("org.freedesktop.ModemManager1.Modem"), modem),
            .dictEntry(.string("org.freedesktop.ModemManager1.Modem.Modem3gpp"), threeGPP),
        ])
        return .array(elementSignature: "{oa{sa{sv}}}", [.dictEntry(.objectPath(modemPath), interfaces)])
    }

    @Test("the first modem and its SIM, read into a status (seeds/002 §1.4 Device and SIM data)")
    func readsStatus() async throws {
        let bus = RecordingBus { call in
            switch call.member {
            case "GetManagedObjects": return [Self.managedObjects()]
            case "GetAll": return [.stringVariantDictionary(["SimIdentifier": .string("8988303000004545988F"), "Imsi": .string("206018037157525")])]
            default: throw DBusError(name: "org.freedesktop.DBus.Error.UnknownMethod", message: call.member)
            }
        }
        let status = try #require(try await ModemManagerClient(bus: bus).status())
        #expect(status.manufacturer == "Fibocom Wireless Inc." && status.model == "NL668_EU_10")
        #expect(status.state == .registered && status.lock == .none && status.pinRetries == 3)
        #expect(status.signalPercent == 64 && status.signalRecent)
        #expect(status.accessTechnologyText == "LTE" && status.allowedModes == 14)
        #expect(status.registration == .home && status.operatorCode == "26201")
        #expect(status.iccid == "8988303000004545988", "the padding F is no digit")
        #expect(status.imsi == "206018037157525")
        let getAll = bus.calls.withLock { $0 }.last
        #expect(getAll?.path == Self.simPath && getAll?.arguments == [.string("org.freedesktop.ModemManager1.Sim")])
    }

    @Test("no modem: nil; ModemManager missing: the bus's error")
    func noModem() async throws {
        let empty = RecordingBus { _ in [.array(elementSignature: "{oa{sa{sv}}}", [])] }
        #expect(try await ModemManagerClient(bus: empty).status() == nil)
        let missing = RecordingBus { _ in throw DBusError(name: "org.freedesktop.DBus.Error.ServiceUnknown", message: "not activatable") }
        let error = await #expect(throws: DBusError.self) { try await ModemManagerClient(bus: missing).status() }
        #expect(error?.isServiceUnknown == true)
    }

    @Test("the planner's actions become ModemManager's calls with their signatures")
    func actions() async throws {
        let bus = RecordingBus { _ in [] }
        var status = ModemStatus(path: Self.modemPath)
        status.simPath = Self.simPath
        let client = ModemManagerClient(bus: bus)
        try await client.perform(.sendPIN("1234"), on: status)
        try await client.perform(.connect(.init(apn: "m2m.services", user: "g2m", password: "pw", allowedAuth: 1 << 2)), on: status)
        try await client.perform(.setModes(allowed: 8, preferred: 0), on: status)
        try await client.perform(.register(operatorID: ""), on: status)
        try await client.perform(.disconnect, on: status)
        let calls = bus.calls.withLock { $0 }
        #expect(calls.map(\.member) == ["SendPin", "Connect", "SetCurrentModes", "Register", "Disconnect"])
        #expect(calls[0].path == Self.simPath && calls[0].interface == "org.freedesktop.ModemManager1.Sim")
        #expect(calls[1].arguments.map(\.signature) == ["a{sv}"])
        #expect(calls[1].arguments.first?.dictionary?["allowed-auth"]?.int == 4)
        #expect(calls[1].arguments.first?.dictionary?["apn"]?.string == "m2m.services")
        #expect(calls[2].arguments.map(\.signature) == ["(uu)"])
        #expect(calls[4].arguments == [.objectPath("/")])
        var noSIM = status
        noSIM.simPath = nil
        await #expect(throws: DBusError.self) { try await client.perform(.sendPIN("1234"), on: noSIM) }
    }
}
