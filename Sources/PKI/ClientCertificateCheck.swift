#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The central system's check of a charge point's TLS client certificate on security profile 3 (OCPP 1.6 security
/// whitepaper ed. 3 §2.3 "TLS with Client Side Certificates", A00.FR.4xx): the presented chain must lead to one of the
/// CA certificates the central system trusts, every certificate on the way must be valid at `now`, and the leaf's
/// subject CN names the charge point (A00.FR.402: CN = the charge point's identity). The CN against the ChargerID of
/// the URL is the caller's check (the gateway's admission), as only it knows the URL.
///
/// Pure and synchronous: the TLS layer hands over the chain as DER, and the answer says in words why a chain is
/// refused, so that the gateway can show the reason in its scan table and in the HTTP answer. Signatures are checked
/// with swift-certificates' public keys (RSA, P-256/384/521, Ed25519); a chain of at most ``maximumChainLength``.
public struct ClientCertificateCheck: Sendable {
    /// The outcome for one presented chain.
    public enum Outcome: Sendable, Equatable {
        /// The chain leads to a trusted CA; the leaf's subject CN (nil when it has none).
        case valid(commonName: String?)
        /// Refused, with the reason as the gateway shows it ("expired on 2026-01-01 00:00:00 UTC", …).
        case refused(String)
    }

    /// Certificates beyond the leaf a chain may carry (the whitepaper's CertificateSignedMaxChainSize is about bytes;
    /// a charger sends its leaf and at most a sub-CA or two).
    public static let maximumChainLength = 5
    /// The DER bytes of one certificate at most (a 4096-bit RSA certificate with extensions is below 2 kB).
    public static let maximumCertificateBytes = 16_384

    /// The CA certificates chargers' certificates must chain to.
    public let trusted: [Certificate]

    public init(trusted: [Certificate]) { self.trusted = trusted }

    /// The CA file's certificates (PEM, at most 100 of them, 1 MB).
    public init(pem: String) throws(PKIError) {
        trusted = try PEMCertificates.parse(pem, maxBytes: 1_000_000, maxCount: 100)
    }

    /// Checks a presented chain (leaf first, DER) at `now`.
    public func check(chainDER: [[UInt8]], now: Date) -> Outcome {
        guard let first = chainDER.first else { return .refused("no client certificate") }
        guard chainDER.count <= Self.maximumChainLength + 1, chainDER.allSatisfy({ $0.count <= Self.maximumCertificateBytes }) else {
            return .refused("the client certificate chain is too long")
        }
        let leaf: Certificate
        var intermediates: [Certificate] = []
        do {
            leaf = try Certificate(derEncoded: first)
            for der in chainDER.dropFirst() { intermediates.append(try Certificate(derEncoded: der)) }
        } catch {
            return .refused("the client certificate is not a valid X.509 certificate")
        }
        var current = leaf
        var used = 0
        while true {
            if let problem = Self.validityProblem(current, now: now, isLeaf: used == 0) { return .refused(problem) }
            if trusted.contains(where: { $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current) }) {
                return .valid(commonName: Self.commonName(leaf.subject))
            }
            guard used < intermediates.count,
                  let next = intermediates.first(where: { $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current) }),
                  Self.isCA(next) else {
                return .refused("the client certificate is not signed by the configured CA (issuer \(current.issuer))")
            }
            current = next
            used += 1
        }
    }

    /// Why `certificate` is not valid at `now`.
    static func validityProblem(_ certificate: Certificate, now: Date, isLeaf: Bool) -> String? {
        let what = isLeaf ? "the client certificate" : "the sub-CA certificate \(certificate.subject)"
        if now > certificate.notValidAfter { return "\(what) expired on \(Self.format(certificate.notValidAfter))" }
        if now < certificate.notValidBefore { return "\(what) is not valid before \(Self.format(certificate.notValidBefore))" }
        return nil
    }

    static func isCA(_ certificate: Certificate) -> Bool {
        guard let constraints = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints else { return false }
        return true
    }

    /// The first CN of a name.
    public static func commonName(_ name: DistinguishedName) -> String? {
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName { return String(attribute.value) }
        }
        return nil
    }

    /// "2026-01-01 00:00:00 UTC".
    static func format(_ date: Date) -> String {
        let s = Int(date.timeIntervalSince1970)
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400, secs = s - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468, era = (z >= 0 ? z : z - 146_096) / 146_097, doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)) UTC"
    }
}
