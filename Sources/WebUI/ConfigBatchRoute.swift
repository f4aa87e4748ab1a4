import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import EVSECore

/// `PATCH /api/config`: several parameters in one change, all or nothing, as a parameter page of the web interface saves
/// its form (seeds/004 §4 "Save"; issue 30 item 4, API parity). Needed where parameters only make sense together
/// (a backend URL with its ChargeBoxIdentity, a meter model with its address): one at a time, the first could be
/// refused, or be applied alone.
extension StationAPI {
    struct ConfigBatch: Decodable, Sendable {
        var values: [String: ParameterValue]
        var role: String?
        var changedBy: String?
    }

    /// One refused parameter of a batch.
    struct BatchFieldError: Encodable {
        var error: String
        var kind: String
        var given: String?
        var allowed: String?
    }

    struct BatchError: Encodable {
        var error: String
        var field: String
        var fields: [String: BatchFieldError]
    }

    /// The role a request names (nil: the token's), or the answer refusing it.
    static func requestedRole(_ name: String?) -> Result<Role, BodyError> {
        guard let name else { return .success(apiRole) }
        guard let parsed = Role(rawValue: name) else {
            return .failure(BodyError(response: error(.badRequest, "role '\(name.prefix(64))' is unknown; allowed: operator, installer, manufacturer", field: "role")))
        }
        guard parsed <= apiRole else {
            return .failure(BodyError(response: error(.forbidden, "the API token acts as \(apiRole.rawValue) at most; '\(name)' settings are changed with the \(name) login of the web interface or with 'chargekit config set --role \(name)' while the station is stopped",
                                                      field: "role")))
        }
        return .success(parsed)
    }

    static func addConfigBatchRoute(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.patch("api/config") { request, _ in
            let body: ConfigBatch
            do { body = try await decode(ConfigBatch.self, request) } catch let e as BodyError { return e.response }
            let role: Role
            switch requestedRole(body.role) {
            case .success(let r): role = r
            case .failure(let e): return e.response
            }
            guard !body.values.isEmpty else { return error(.badRequest, "values is empty: name at least one parameter", field: "values") }
            let changes = body.values.sorted { $0.key < $1.key }.map { (key: $0.key, text: $0.value.description) }
            do {
                return json(try await station.setParameters(changes, role: role, changedBy: body.changedBy ?? "api:\(role.rawValue)"))
            } catch let e as ParameterBatchError {
                // One status for the whole answer: an unknown key first, then a role, a conflict, an invalid value.
                let kinds = Set(e.errors.values.map(\.kind))
                let status: HTTPResponse.Status = kinds.contains(.unknownKey) ? .notFound : kinds.contains(.forbidden) ? .forbidden
                    : kinds.contains(.conflict) ? .conflict : .badRequest
                let fields = e.errors.mapValues { BatchFieldError(error: $0.message, kind: $0.kind.rawValue, given: $0.given, allowed: $0.allowed) }
                return json(BatchError(error: "\(fields.count) parameter(s) refused, nothing was changed: " + fields.keys.sorted().joined(separator: ", "),
                                       field: "values", fields: fields), status: status)
            }
        }
    }
}
