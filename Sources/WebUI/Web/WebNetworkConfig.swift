import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import HostConfig

/// The Network page's interface cards (issue 24 item 1; seeds/002 §1.4 "Interfaces": IPv4 and IPv6 each "Auto (DHCP)"
/// or "Manual" with address, netmask, gateway and DNS; seeds/004 §3.2 the same as "Modus voor netwerkconfiguratie").
/// One editable card per interface with the state the operating system reports next to it; every field is validated
/// before anything is applied and a refused one shows its error next to it with the typed values kept. A change that
/// may cut off this browser is applied pending: the banner counts down the two minutes and offers "Confirm", which
/// must be pressed from the new address, else the previous configuration comes back.
extension WebInterface {
    /// The lowest role that may change the interfaces: the one that sets up the station's network.
    static let networkConfigRole = Role.installer

    /// What a submitted card left behind for the page: the interface, its typed fields and their errors, and a message.
    struct NetworkFormState {
        var interface: String?
        var entered: [String: String] = [:]
        var errors: [String: String] = [:]
        var message: String?
        var isError = false
    }

    struct NetworkConfigCards {
        var managed: Bool
        var service: String
        var reason: String?
        var mayEdit: Bool
        var editRole: String
        var csrf: String
        var interfaces: [Card]
        var pending: Pending?
        var message: String?
        var messageError: Bool
    }

    struct Card {
        var name: String
        var anchor: String
        var facts: [Fact]
        var families: [Family]
        var hasErrors: Bool
        var unconfigured: Bool
    }

    /// IPv4 or IPv6 with its fields.
    struct Family {
        var family: String
        var fields: [Field]
    }

    struct Fact {
        var label: String
        var value: String
    }

    struct Field {
        var name: String
        var id: String
        var label: String
        var value: String
        var error: String?
        var isChoice: Bool
        var choices: [SelectOption]
        var placeholder: String
    }

    struct Pending {
        var interface: String
        var remainingSeconds: Int
        var text: String
        var links: [String]
    }

    func networkConfigCards(_ session: WebAccounts.Session, t: [String: String], state: NetworkFormState?, localPort: Int?) async -> NetworkConfigCards {
        let status = await station.networkStatus()
        let mayEdit = session.role >= Self.networkConfigRole
        let cards = status.interfaces.map { i -> Card in
            let own = state?.interface == i.name ? state : nil
            var fields = (i.config ?? InterfaceConfig(name: i.name)).form.fields
            for (k, v) in own?.entered ?? [:] { fields[k] = v }
            func field(_ name: String, _ label: String, choices: [(String, String)] = [], placeholder: String = "") -> Field {
                let value = fields[name] ?? ""
                return Field(name: name, id: "net-\(i.name)-\(name.replacing(".", with: "-"))", label: t[label] ?? label,
                             value: value, error: own?.errors[name], isChoice: !choices.isEmpty,
                             choices: choices.map { SelectOption(value: $0.0, label: t[$0.1] ?? $0.0, selected: $0.0 == value) },
                             placeholder: placeholder)
            }
            var facts = [
                Fact(label: t["net.addresses"] ?? "", value: i.addresses.isEmpty ? "–" : i.addresses.map(\.description).joined(separator: ", ")),
                Fact(label: t["netcfg.link"] ?? "", value: "\(i.up ? t["net.up"] ?? "" : t["net.down"] ?? "") · \(i.carrier ? t["netcfg.carrier"] ?? "" : t["netcfg.noCarrier"] ?? "")"),
                Fact(label: status.service ?? "", value: i.serviceState.isEmpty ? "–" : i.serviceState),
            ]
            if let lease = i.dhcpLease { facts.append(Fact(label: t["netcfg.lease"] ?? "", value: lease)) }
            return Card(
                name: i.name, anchor: "s-net-\(i.name)", facts: facts,
                families: [Family(family: "IPv4", fields: [field("ipv4.method", "netcfg.method", choices: [("dhcp", "netcfg.dhcp"), ("manual", "netcfg.manual")]),
                       field("ipv4.address", "netcfg.address", placeholder: "192.168.1.20"),
                       field("ipv4.prefix", "netcfg.prefix", placeholder: "24 / 255.255.255.0"),
                       field("ipv4.gateway", "netcfg.gateway", placeholder: "192.168.1.1"),
                       field("ipv4.dns", "netcfg.dns", placeholder: "192.168.1.1, 9.9.9.9")]),
                           Family(family: "IPv6", fields: [field("ipv6.method", "netcfg.method", choices: [("auto", "netcfg.auto"), ("manual", "netcfg.manual"), ("off", "netcfg.off")]),
                       field("ipv6.address", "netcfg.address", placeholder: "2001:db8::20"),
                       field("ipv6.prefix", "netcfg.prefix", placeholder: "64"),
                       field("ipv6.gateway", "netcfg.gateway", placeholder: "fe80::1"),
                       field("ipv6.dns", "netcfg.dns", placeholder: "2001:db8::53")])],
                hasErrors: !(own?.errors.isEmpty ?? true), unconfigured: i.config == nil)
        }
        let pending = status.pending.map { p in
            let links = p.newAddresses.map { a in
                let host = a.isV4 ? a.description : "[\(a)]"
                return "http://\(host)\(localPort.map { ":\($0)" } ?? "")/menu/network"
            }
            return Pending(interface: p.interface, remainingSeconds: p.remainingSeconds,
                           text: (t["netcfg.pending"] ?? "%i %s").replacing("%i", with: p.interface)
                               .replacing("%s", with: String(p.remainingSeconds)),
                           links: links)
        }
        return NetworkConfigCards(
            managed: status.service != nil, service: status.service ?? "",
            reason: status.reason.map { (t["netcfg.notManaged"] ?? "%@").replacing("%@", with: $0) },
            mayEdit: mayEdit,
            editRole: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.networkConfigRole.rawValue)"] ?? ""),
            csrf: session.csrf, interfaces: cards, pending: pending, message: state?.message, messageError: state?.isError ?? false)
    }

    func addNetworkConfigRoutes(to router: Router<WebRequestContext>) {
        router.post("network/interfaces/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            return try await withSession(request, form: true) { session, form in
                guard session.role >= Self.networkConfigRole else { return try await forbidden(session, Self.networkConfigRole) }
                let t = await texts(session)
                var entered: [String: String] = [:]
                for f in InterfaceForm.fieldNames { entered[f] = form[f] ?? "" }
                let result = await station.configureInterface(InterfaceForm(name: name, fields: entered), connection: context.networkConnection,
                                                              by: session.account)
                var state = NetworkFormState(interface: name, entered: entered)
                switch result {
                case .success(let outcome):
                    state.entered = [:]
                    state.message = (t[outcome.pending == nil ? "netcfg.applied" : "netcfg.appliedPending"] ?? "%@").replacing("%@", with: name)
                case .failure(.invalid(let e)):
                    state.errors = e.byField
                    state.message = t["form.errors"]
                    state.isError = true
                case .failure(let e):
                    state.message = e.description
                    state.isError = true
                }
                let status: HTTPResponse.Status = state.isError ? .unprocessableContent : .ok
                return try await parameterPage(session, .network, query: [:], errors: [:], entered: [:], status: status,
                                               networkForm: state, localPort: context.localPort)
            }
        }
        router.post("network/confirm") { request, context in
            try await withSession(request, form: true) { session, _ in
                guard session.role >= Self.networkConfigRole else { return try await forbidden(session, Self.networkConfigRole) }
                let t = await texts(session)
                var state = NetworkFormState()
                switch await station.confirmNetworkChange(connection: context.networkConnection, by: session.account) {
                case .success(let c): state.message = (t["netcfg.confirmed"] ?? "%@").replacing("%@", with: c.name)
                case .failure(let e): state.message = e.description; state.isError = true
                }
                return try await parameterPage(session, .network, query: [:], errors: [:], entered: [:], status: state.isError ? .conflict : .ok,
                                               networkForm: state, localPort: context.localPort)
            }
        }
    }
}

extension WebRequestContext {
    /// How this request reached the station (the browser's address and the station's), for the change guard.
    var networkConnection: NetworkChangeGuard.Connection {
        NetworkChangeGuard.Connection(client: Self.plain(remoteAddress?.ipAddress), station: Self.plain(localAddress?.ipAddress))
    }

    /// An address as the interfaces hold it: an IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 client)
    /// as IPv4.
    static func plain(_ text: String?) -> IPAddress? {
        guard let a = text.flatMap(IPAddress.init) else { return nil }
        if case .v6(let b) = a, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF {
            return .v4(UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15]))
        }
        return a
    }

    var localPort: Int? { localAddress?.port }
}
