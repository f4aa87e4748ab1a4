import DBus
import HostConfig

/// The station's side of ModemManager (ModemManager 1.x D-Bus API reference, "org.freedesktop.ModemManager1" and its
/// Modem, Modem.Modem3gpp, Modem.Simple and Sim interfaces): reads the first modem with its SIM into a
/// ``ModemStatus`` and carries out the ``ModemPlanner``'s actions. Nothing here decides; the planner does.
public struct ModemManagerClient: Sendable {
    public static let service = "org.freedesktop.ModemManager1"
    static let root = "/org/freedesktop/ModemManager1"
    static let modemInterface = "org.freedesktop.ModemManager1.Modem"
    static let threeGPPInterface = "org.freedesktop.ModemManager1.Modem.Modem3gpp"
    static let simpleInterface = "org.freedesktop.ModemManager1.Modem.Simple"
    static let simInterface = "org.freedesktop.ModemManager1.Sim"

    let bus: any DBusBus

    public init(bus: any DBusBus) { self.bus = bus }

    /// The first modem (by object path) with its SIM; nil when ModemManager knows none. Throws ``DBusError`` when
    /// ModemManager is not on the bus (``DBusError/isServiceUnknown``) or answers wrongly.
    public func status() async throws -> ModemStatus? {
        let reply = try await bus.call(DBusMethodCall(destination: Self.service, path: Self.root, interface: "org.freedesktop.DBus.ObjectManager",
                                                      member: "GetManagedObjects"))
        guard let objects = reply.first?.elements else { throw DBusError(name: "chargekit.Bus.BadReply", message: "GetManagedObjects returned no a{oa{sa{sv}}}") }
        var modems: [(path: String, interfaces: [String: DBusValue])] = []
        for entry in objects {
            guard case .dictEntry(let key, let value) = entry, let path = key.string, let interfaces = value.dictionary,
                  interfaces[Self.modemInterface] != nil else { continue }
            modems.append((path, interfaces))
        }
        guard let first = modems.min(by: { $0.path < $1.path }) else { return nil }
        var status = Self.status(path: first.path, modem: first.interfaces[Self.modemInterface]?.dictionary ?? [:],
                                 threeGPP: first.interfaces[Self.threeGPPInterface]?.dictionary)
        if let sim = status.simPath {
            let props = try await bus.properties(of: Self.simInterface, at: sim, on: Self.service)
            status.iccid = Self.digits(props["SimIdentifier"]?.string)
            status.imsi = Self.digits(props["Imsi"]?.string)
        }
        return status
    }

    /// Reads the Modem and Modem3gpp properties (`a{sv}` each) into a status.
    static func status(path: String, modem m: [String: DBusValue], threeGPP g: [String: DBusValue]?) -> ModemStatus {
        var s = ModemStatus(path: path)
        s.manufacturer = m["Manufacturer"]?.string ?? ""
        s.model = m["Model"]?.string ?? ""
        s.imei = g?["Imei"]?.string ?? m["EquipmentIdentifier"]?.string ?? ""
        s.state = m["State"]?.int.flatMap { ModemStatus.State(rawValue: $0) } ?? .unknown
        s.lock = m["UnlockRequired"]?.int.map { ModemStatus.Lock(code: $0) } ?? .unknown
        // UnlockRetries a{uu}: lock → attempts left.
        for entry in m["UnlockRetries"]?.elements ?? [] {
            if case .dictEntry(let lock, let left) = entry, lock.int == ModemStatus.Lock.simPIN.rawValue { s.pinRetries = left.int }
        }
        if let signal = m["SignalQuality"]?.fields, signal.count == 2 {
            s.signalPercent = signal[0].int.map { min(max($0, 0), 100) }
            s.signalRecent = signal[1].bool ?? false
        }
        s.accessTechnologies = UInt32(truncatingIfNeeded: m["AccessTechnologies"]?.int ?? 0)
        if let modes = m["CurrentModes"]?.fields, modes.count == 2, let allowed = modes[0].int { s.allowedModes = UInt32(truncatingIfNeeded: allowed) }
        if let sim = m["Sim"]?.string, sim != "/" { s.simPath = sim }
        if let g {
            s.registration = g["RegistrationState"]?.int.flatMap { ModemStatus.Registration(rawValue: $0) }
            s.operatorName = g["OperatorName"]?.string ?? ""
            s.operatorCode = g["OperatorCode"]?.string ?? ""
        }
        return s
    }

    /// An identifier as OCPP and the page carry it: digits only (ICCIDs may end in a hex check letter "F", which is
    /// padding), at most 20 (BootNotification's CiString20Type).
    static func digits(_ text: String?) -> String {
        String((text ?? "").filter { $0.isASCII && $0.isNumber }.prefix(20))
    }

    /// Carries out one action on the modem `status` describes; a connect returns the bearer's object path.
    @discardableResult
    public func perform(_ action: ModemPlanner.Action, on status: ModemStatus) async throws -> String? {
        @discardableResult
        func call(_ interface: String, _ member: String, _ arguments: [DBusValue], path: String = status.path) async throws -> [DBusValue] {
            try await bus.call(DBusMethodCall(destination: Self.service, path: path, interface: interface, member: member, arguments: arguments))
        }
        switch action {
        case .enable:
            try await call(Self.modemInterface, "Enable", [.boolean(true)])
        case .sendPIN(let pin):
            guard let sim = status.simPath else { throw DBusError(name: "chargekit.Modem.NoSIM", message: "the modem has no SIM card") }
            try await call(Self.simInterface, "SendPin", [.string(pin)], path: sim)
        case .setModes(let allowed, let preferred):
            try await call(Self.modemInterface, "SetCurrentModes", [.structure([.uint32(allowed), .uint32(preferred)])])
        case .register(let operatorID):
            try await call(Self.threeGPPInterface, "Register", [.string(operatorID)])
        case .connect(let request):
            var properties: [String: DBusValue] = ["apn": .string(request.apn)]
            if !request.user.isEmpty { properties["user"] = .string(request.user) }
            if !request.password.isEmpty { properties["password"] = .string(request.password) }
            if let auth = request.allowedAuth { properties["allowed-auth"] = .uint32(auth) }
            return try await call(Self.simpleInterface, "Connect", [.stringVariantDictionary(properties)]).first?.string
        case .disconnect:
            try await call(Self.simpleInterface, "Disconnect", [.objectPath("/")])
        }
        return nil
    }

    static let bearerInterface = "org.freedesktop.ModemManager1.Bearer"

    /// The IPv4 configuration of a connected bearer (its `Interface` and `Ip4Config`).
    public func bearerConfig(_ bearer: String) async throws -> BearerIPConfig {
        let props = try await bus.properties(of: Self.bearerInterface, at: bearer, on: Self.service)
        let ip = props["Ip4Config"]?.dictionary?.mapValues(\.unwrapped) ?? [:]
        return BearerIPConfig(
            interface: props["Interface"]?.string ?? "", method: ip["method"]?.int.flatMap { BearerIPConfig.Method(rawValue: $0) } ?? .unknown,
            address: ip["address"]?.string.flatMap { IPAddress($0) }, prefixLength: ip["prefix"]?.int,
            gateway: ip["gateway"]?.string.flatMap { IPAddress($0) },
            dns: ["dns1", "dns2", "dns3"].compactMap { ip[$0]?.string.flatMap { IPAddress($0) } }, mtu: ip["mtu"]?.int.flatMap { $0 > 0 ? $0 : nil })
    }
}
