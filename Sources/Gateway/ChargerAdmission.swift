/// Which chargers' WebSocket connections the OCPP server lets through (seeds/003 §2.2 step 4b): configured ChargerIDs
/// (any with ``GatewaySettings/acceptUnconfiguredChargers``) that are not connected already. The server asks on its
/// network threads, before the upgrade, so this copies what ``CentralSystem/admits(_:)`` decides when the services
/// start; ``CentralSystem/connected(_:connection:now:)`` decides again once the connection is open (issue #20 item 10).
public struct ChargerAdmission: Sendable {
    /// Why a connection is refused, and the HTTP answer to its upgrade request.
    public struct Refusal: Sendable, Equatable {
        public var cause: RefusedConnections.Cause
        public var status: Int
        public var reason: String
    }

    /// The configured ChargerIDs.
    public let configured: Set<String>
    /// Every ChargerID is admitted (``GatewaySettings/acceptUnconfiguredChargers``).
    public let admitsAll: Bool

    public init(_ settings: GatewaySettings) {
        configured = Set(settings.chargers.map(\.id))
        admitsAll = settings.acceptUnconfiguredChargers
    }

    /// nil: let the connection through. An unknown ChargerID gets 404 and belongs in the OCPP scan list; a ChargerID
    /// that is connected already gets 409, and the open connection stays until it is gone.
    public func refusal(_ chargerID: String, connected: Bool) -> Refusal? {
        guard admitsAll || configured.contains(chargerID) else {
            return Refusal(cause: .unknown, status: 404, reason: "unknown ChargerID '\(chargerID)': add it to the gateway's charger list")
        }
        guard !connected else {
            return Refusal(cause: .alreadyConnected, status: 409,
                           reason: "ChargerID '\(chargerID)' is connected already; the open connection stays until it is gone")
        }
        return nil
    }
}
