#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PKI

/// Which chargers' WebSocket connections the OCPP server lets through (seeds/003 §2.2 step 4b): configured ChargerIDs
/// (any with ``GatewaySettings/acceptUnconfiguredChargers``) that prove themselves as the security profile asks
/// (OCPP 1.6 security whitepaper ed. 3 §2) and are not connected already. The server asks on its network threads,
/// before the upgrade, so this copies what ``CentralSystem/admits(_:)`` decides when the services start;
/// ``CentralSystem/connected(_:connection:now:)`` decides again once the connection is open (issue #20 item 10).
///
/// The checks run in this order: an unknown ChargerID (404, listed in the OCPP scan), then the credentials (401 for
/// HTTP Basic, 403 for a client certificate; listed in the scan with the reason), then a second connection (409) — so
/// that a peer without credentials learns nothing about which chargers are connected.
public struct ChargerAdmission: Sendable {
    /// Why a connection is refused, and the HTTP answer to its upgrade request.
    public struct Refusal: Sendable, Equatable {
        public var cause: RefusedConnections.Cause
        public var status: Int
        public var reason: String
    }

    /// What the server does with a connection attempt.
    public enum Decision: Sendable, Equatable {
        case accept
        case refuse(Refusal)
        /// Profiles 1 and 2: accept when one of `candidates` matches the bcrypt `hash` (the adapter runs bcrypt, off the
        /// network threads), else refuse with ``ChargerAdmission/wrongPassword(_:)``.
        case verifyPassword(hash: String, candidates: [String])
    }

    /// The configured ChargerIDs.
    public let configured: Set<String>
    /// Every ChargerID is admitted (``GatewaySettings/acceptUnconfiguredChargers``).
    public let admitsAll: Bool
    /// How chargers authenticate.
    public let profile: ChargerSecurityProfile
    /// Profiles 1 and 2: the password hashes by ChargerID.
    let passwordHashes: [String: String]
    /// Profile 3: the check of the client certificate against the configured CA (nil: no CA, every certificate refused).
    let certificates: ClientCertificateCheck?

    public init(_ settings: GatewaySettings, clientCertificates: ClientCertificateCheck? = nil) {
        configured = Set(settings.chargers.map(\.id))
        admitsAll = settings.acceptUnconfiguredChargers
        profile = settings.securityProfile
        passwordHashes = Dictionary(settings.chargers.compactMap { c in c.passwordHash.map { (c.id, $0) } }, uniquingKeysWith: { a, _ in a })
        certificates = clientCertificates
    }

    /// nil: let the connection through. An unknown ChargerID gets 404 and belongs in the OCPP scan list; a ChargerID
    /// that is connected already gets 409, and the open connection stays until it is gone. Credentials are not looked at.
    public func refusal(_ chargerID: String, connected: Bool) -> Refusal? {
        if let unknown = unknownRefusal(chargerID) { return unknown }
        return connected ? alreadyConnected(chargerID) : nil
    }

    /// The whole decision for a connection attempt at `now` (a client certificate's validity is checked at `now`).
    public func decide(_ chargerID: String, connected: Bool, credentials: PresentedCredentials, now: Date) -> Decision {
        if let unknown = unknownRefusal(chargerID) { return .refuse(unknown) }
        switch profile {
        case .none:
            break
        case .basic, .tlsBasic:
            guard let header = credentials.authorization else {
                return .refuse(unauthorized(chargerID, "no HTTP Basic credentials (security profile \(profile.rawValue) needs the charger's password)"))
            }
            guard let basic = BasicCredentials(header: header) else { return .refuse(unauthorized(chargerID, "the Authorization header is no HTTP Basic credential")) }
            guard basic.user == chargerID else {
                return .refuse(unauthorized(chargerID, "the Basic user name '\(basic.user.prefix(48))' is not the ChargerID '\(chargerID)'"))
            }
            guard let hash = passwordHashes[chargerID] else {
                return .refuse(unauthorized(chargerID, "no password is set for ChargerID '\(chargerID)' on the gateway"))
            }
            return connected ? .refuse(alreadyConnected(chargerID))
                : .verifyPassword(hash: hash, candidates: ChargerPassword.candidates(basic.password))
        case .tlsClientCertificate:
            guard !credentials.clientCertificates.isEmpty else { return .refuse(forbidden(chargerID, "no client certificate")) }
            guard let certificates else { return .refuse(forbidden(chargerID, "no client CA is configured on the gateway")) }
            switch certificates.check(chainDER: credentials.clientCertificates, now: now) {
            case .refused(let reason):
                return .refuse(forbidden(chargerID, reason))
            case .valid(let cn) where cn != chargerID:
                return .refuse(forbidden(chargerID, "client certificate CN is \(cn.map { "'\($0.prefix(64))'" } ?? "missing"), not the ChargerID '\(chargerID)'"))
            case .valid:
                break
            }
        }
        return connected ? .refuse(alreadyConnected(chargerID)) : .accept
    }

    /// The refusal of a password that matched none of the candidates.
    public func wrongPassword(_ chargerID: String) -> Refusal { unauthorized(chargerID, "wrong password") }

    func unknownRefusal(_ chargerID: String) -> Refusal? {
        guard admitsAll || configured.contains(chargerID) else {
            return Refusal(cause: .unknown, status: 404, reason: "unknown ChargerID '\(chargerID)': add it to the gateway's charger list")
        }
        return nil
    }

    func alreadyConnected(_ chargerID: String) -> Refusal {
        Refusal(cause: .alreadyConnected, status: 409, reason: "ChargerID '\(chargerID)' is connected already; the open connection stays until it is gone")
    }

    /// HTTP Basic refused (401; the server adds `WWW-Authenticate`).
    func unauthorized(_ chargerID: String, _ why: String) -> Refusal { Refusal(cause: .credentials(why), status: 401, reason: why) }
    /// A client certificate refused (403: TLS let it through so that the reason reaches the charger's log and the scan).
    func forbidden(_ chargerID: String, _ why: String) -> Refusal { Refusal(cause: .credentials(why), status: 403, reason: why) }
}
