import FoundationEssentials
import Hummingbird
import ChargePoint
import HostConfig

/// The interface configuration as API calls (issue 24 item 1; parity with the Network page's cards, seeds/002 §1.4):
/// `GET /api/network/interfaces` (the service, each interface's OS state and configuration, a pending change),
/// `PUT /api/network/interfaces/{name}` (validated like the page: 422 with every refused field) and
/// `POST /api/network/confirm` (a pending change kept; it must reach the station at an address the change did not
/// remove). Where no network service configures the interfaces the changes answer 409 with the reason (the station's
/// state, not a fault of the request nor of the server).
extension StationAPI {
    struct FamilyBody: Codable, Sendable {
        var method: String?
        var address: String?
        /// A length (24, "24") or an IPv4 netmask ("255.255.255.0").
        var prefix: PrefixText?
        var gateway: String?
        var dns: [String]?
    }

    struct PrefixText: Codable, Sendable {
        var text: String
        init(_ text: String) { self.text = text }
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { text = String(n) } else { text = try c.decode(String.self) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            if let n = Int(text) { try c.encode(n) } else { try c.encode(text) }
        }
    }

    struct InterfaceBody: Codable, Sendable {
        var ipv4: FamilyBody?
        var ipv6: FamilyBody?
    }

    struct InterfaceJSON: Encodable {
        var name: String
        var addresses: [String]
        var up: Bool
        var carrier: Bool
        var state: String
        var dhcpLease: String?
        var config: InterfaceBody?
    }

    struct PendingJSON: Encodable {
        var interface: String
        var remainingSeconds: Int
        var newAddresses: [String]
        var previous: InterfaceBody
        var applied: InterfaceBody
    }

    struct NetworkJSON: Encodable {
        var service: String?
        var reason: String?
        var interfaces: [InterfaceJSON]
        var pending: PendingJSON?
    }

    struct ChangeJSON: Encodable {
        var applied: InterfaceBody
        var pending: PendingJSON?
    }

    struct FieldErrorsJSON: Encodable {
        var error: String
        var field: String?
        var fieldErrors: [String: String]
    }

    static func body(_ c: InterfaceConfig) -> InterfaceBody {
        func family(_ method: String, _ a: IPPrefix?, _ g: IPAddress?, _ dns: [IPAddress], manual: Bool) -> FamilyBody {
            FamilyBody(method: method, address: manual ? a?.address.description : nil, prefix: manual ? a.map { PrefixText(String($0.length)) } : nil,
                       gateway: manual ? g?.description : nil, dns: dns.map(\.description))
        }
        return InterfaceBody(ipv4: family(c.ipv4.method.rawValue, c.ipv4.address, c.ipv4.gateway, c.ipv4.dns, manual: c.ipv4.method == .manual),
                             ipv6: family(c.ipv6.method.rawValue, c.ipv6.address, c.ipv6.gateway, c.ipv6.dns, manual: c.ipv6.method == .manual))
    }

    static func pendingJSON(_ p: PendingNetworkChange?) -> PendingJSON? {
        p.map { PendingJSON(interface: $0.interface, remainingSeconds: $0.remainingSeconds, newAddresses: $0.newAddresses.map(\.description),
                            previous: body($0.previous), applied: body($0.applied)) }
    }

    /// The form fields of a body (the page's names), so that the API and the page share one validation.
    static func form(_ name: String, _ b: InterfaceBody) -> InterfaceForm {
        var fields: [String: String] = [:]
        for (prefix, f) in [("ipv4", b.ipv4), ("ipv6", b.ipv6)] {
            guard let f else { continue }
            fields["\(prefix).method"] = f.method ?? ""
            fields["\(prefix).address"] = f.address ?? ""
            fields["\(prefix).prefix"] = f.prefix?.text ?? ""
            fields["\(prefix).gateway"] = f.gateway ?? ""
            fields["\(prefix).dns"] = (f.dns ?? []).joined(separator: ",")
        }
        return InterfaceForm(name: name, fields: fields)
    }

    static func networkError(_ e: NetworkConfigureError) -> Response {
        switch e {
        case .invalid(let errors):
            let byField = errors.byField
            return json(FieldErrorsJSON(error: "nothing was changed: \(errors.errors.count) field(s) refused; " + errors.description,
                                        field: errors.errors.first?.field, fieldErrors: byField), status: .unprocessableContent)
        case .refused: return error(.conflict, e.description)
        case .unknownInterface: return error(.notFound, e.description, field: "name")
        case .notManaged: return error(.conflict, e.description)
        case .serviceFailed: return error(.badGateway, e.description)
        }
    }

    static func addNetworkRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/network/interfaces") { _, _ in
            let s = await station.networkStatus()
            return json(NetworkJSON(
                service: s.service, reason: s.reason,
                interfaces: s.interfaces.map {
                    InterfaceJSON(name: $0.name, addresses: $0.addresses.map(\.description), up: $0.up, carrier: $0.carrier, state: $0.serviceState,
                                  dhcpLease: $0.dhcpLease, config: $0.config.map(body))
                },
                pending: pendingJSON(s.pending)))
        }
        router.put("api/network/interfaces/:name") { request, context in
            guard apiRole >= WebInterface.networkConfigRole else { return roleTooLow(WebInterface.networkConfigRole) }
            let name = context.parameters.get("name") ?? ""
            let b: InterfaceBody
            do { b = try await decode(InterfaceBody.self, request) } catch let e as BodyError { return e.response }
            switch await station.configureInterface(form(name, b), connection: context.networkConnection, by: "api:\(apiRole.rawValue)") {
            case .success(let outcome): return json(ChangeJSON(applied: body(outcome.applied), pending: pendingJSON(outcome.pending)))
            case .failure(let e): return networkError(e)
            }
        }
        router.post("api/network/confirm") { request, context in
            guard apiRole >= WebInterface.networkConfigRole else { return roleTooLow(WebInterface.networkConfigRole) }
            do { try await expectNoBody(request) } catch let e as BodyError { return e.response }
            switch await station.confirmNetworkChange(connection: context.networkConnection, by: "api:\(apiRole.rawValue)") {
            case .success(let c): return json(["confirmed": body(c)])
            case .failure(let e): return networkError(e)
            }
        }
    }
}
