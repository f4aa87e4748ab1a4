#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Parameters

private typealias K = StationParameters

/// The security profiles of the OCPP 1.6 security whitepaper (edition 3, §2 and use case A05), as the parameter and
/// configuration key `SecurityProfile` holds them.
///
/// | profile | charge point authenticated by | central system authenticated by | transport |
/// |---|---|---|---|
/// | 0 | — (none configured: the backend URL, AuthorizationKey and SSL strictness decide, as before the extension) | | |
/// | 1 | HTTP Basic (AuthorizationKey) | — | ws:// |
/// | 2 | HTTP Basic (AuthorizationKey) | TLS server certificate | wss:// |
/// | 3 | TLS client certificate | TLS server certificate | wss:// |
public enum SecurityProfile: Int, Sendable, CaseIterable, Comparable {
    case none = 0
    case basic = 1
    case tlsWithBasic = 2
    case tlsWithClientCertificate = 3

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    var usesTLS: Bool { self >= .tlsWithBasic }
    var usesBasic: Bool { self == .basic || self == .tlsWithBasic }
}

extension StationParameters {
    public static let securityProfile = "SecurityProfile"

    static let securityProfileDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .securityProfile, label: "Security profile", type: .integer(0...3, unit: nil), defaultValue: .integer(0),
            role: .operator, menu: .backend, section: securitySection,
            help: "OCPP security profile. 0: none configured (the URL, the password and the SSL strictness decide). 1: ws:// with the HTTP Basic password. 2: wss:// with the password; the backend's certificate must chain to an installed Central System root certificate (or the trusted CAs when none is installed). 3: wss:// with the station's own client certificate instead of the password. The URL's scheme follows the profile. The backend may only raise it; if the station cannot connect with a raised profile, it returns to the previous one.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 §2, A05"),
    ]
}

extension ParameterKey {
    public static var securityProfile: ParameterKey<Int> { .init(K.securityProfile, .integer) }
}

/// What the connection to the central system uses under a security profile (OCPP 1.6 security whitepaper ed. 3 §2):
/// the URL's scheme, the Basic password, the client certificate, the trust roots, the strictness and the cipher suites.
public struct BackendConnectionPlan: Sendable, Equatable {
    public var url: String
    public var basicAuthPassword: [UInt8]?
    /// Profile 3: the charge point certificate and key presented in the TLS handshake.
    public var clientCredential: ChargePointCredential?
    /// The installed CentralSystemRootCertificates the server must chain to; empty: the default trust.
    public var trustRootsPEM: [String]
    /// The "SSL Strictness as client" level (seeds/004 §4); profiles 2 and 3 always verify fully (A00.FR.4xx).
    public var sslStrictness: String
    /// Profiles 2 and 3 offer only the whitepaper's cipher suites.
    public var whitepaperCipherSuites: Bool
    /// Why the profile cannot connect as configured (no password, no certificate), for the log; the station still tries.
    public var problem: String?

    /// The plan for `profile` with the backend settings and the certificate store's content.
    public static func make(_ profile: SecurityProfile, settings: BackendSettings, connectionURL: String,
                            centralSystemRoots: [String], credential: ChargePointCredential?) -> BackendConnectionPlan {
        var plan = BackendConnectionPlan(url: connectionURL, basicAuthPassword: settings.basicAuthPassword, clientCredential: nil,
                                         trustRootsPEM: [], sslStrictness: settings.sslStrictness, whitepaperCipherSuites: false)
        guard profile != .none else { return plan }
        plan.url = withScheme(profile.usesTLS ? "wss" : "ws", connectionURL)
        if profile.usesBasic {
            if !SecurityProfilePolicy.validAuthorizationKey(settings.authorizationKey) {
                plan.problem = "security profile \(profile.rawValue) needs an AuthorizationKey of 16 to 40 characters"
            }
        } else {
            plan.basicAuthPassword = nil
        }
        if profile.usesTLS {
            plan.trustRootsPEM = centralSystemRoots
            plan.sslStrictness = "Normal"
            plan.whitepaperCipherSuites = true
        }
        if profile == .tlsWithClientCertificate {
            plan.clientCredential = credential
            if credential == nil { plan.problem = "security profile 3 needs a charge point certificate, and none is installed" }
        }
        return plan
    }

    /// `url` with its scheme replaced (`ws://host/…` → `wss://host/…`); the profile decides the transport (A05).
    static func withScheme(_ scheme: String, _ url: String) -> String {
        guard let colon = url.firstIndex(of: ":") else { return url }
        return scheme + url[colon...]
    }
}

/// The rules of the `SecurityProfile` key and the AuthorizationKey (OCPP 1.6 security whitepaper ed. 3, A01 and A05).
public enum SecurityProfilePolicy {
    /// Failed attempts with a newly raised profile after which the station returns to the previous one (A05: "if the
    /// connection with the new profile fails, fall back to the previous one"; the whitepaper leaves the count open —
    /// three attempts span about 7 s of the reconnect back-off, long enough for a central system that is restarting
    /// its listener, short enough that the station is not offline for long).
    public static let maximumFailedAttempts = 3

    /// A usable AuthorizationKey: 16–20 bytes, configured as up to 40 characters (A00.FR.203, A00.FR.304).
    public static func validAuthorizationKey(_ key: String) -> Bool { (16...40).contains(key.count) }

    /// Why the central system may not set profile `target` now, or nil when it may (A05.FR.01–05): never lower or equal
    /// (TC_084), profiles 1 and 2 need a usable AuthorizationKey, 2 and 3 an installed CentralSystemRootCertificate, 3 a
    /// charge point certificate.
    public static func upgradeRefusal(from current: Int, to target: Int, authorizationKey: String, centralSystemRoots: Int,
                                      hasChargePointCertificate: Bool) -> String? {
        guard let profile = SecurityProfile(rawValue: target) else { return "SecurityProfile must be 0 to 3" }
        guard target > current else { return "SecurityProfile can only be raised (it is \(current))" }
        if profile.usesBasic, !validAuthorizationKey(authorizationKey) {
            return "profile \(target) needs an AuthorizationKey of 16 to 40 characters"
        }
        if profile.usesTLS, centralSystemRoots == 0 { return "profile \(target) needs an installed CentralSystemRootCertificate" }
        if profile == .tlsWithClientCertificate, !hasChargePointCertificate { return "profile 3 needs a charge point certificate" }
        return nil
    }
}

/// A raised security profile waiting for its first connection (A05): persisted when the central system raised it, so
/// that a restart in between still falls back; cleared by the first connection with the new profile.
public struct SecurityProfileFallback: Sendable, Equatable {
    public var previous: Int
    public var target: Int
    public var failedAttempts: Int

    public init(previous: Int, target: Int, failedAttempts: Int = 0) {
        self.previous = previous; self.target = target; self.failedAttempts = failedAttempts
    }

    /// One more attempt with the new profile failed; true when the station must return to ``previous``.
    public mutating func attemptFailed() -> Bool {
        failedAttempts += 1
        return failedAttempts >= SecurityProfilePolicy.maximumFailedAttempts
    }

    /// The stored form (`previous,target,failedAttempts`).
    public var text: String { "\(previous),\(target),\(failedAttempts)" }

    public init?(text: String) {
        let parts = text.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 3, (0...3).contains(parts[0]), (0...3).contains(parts[1]), parts[2] >= 0 else { return nil }
        self.init(previous: parts[0], target: parts[1], failedAttempts: parts[2])
    }
}
