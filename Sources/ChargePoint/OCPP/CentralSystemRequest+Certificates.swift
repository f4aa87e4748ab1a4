#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16
import PKI
import X509

// MARK: Certificate management of the security extension ("Improved security for OCPP 1.6-J", OCA, edition 3)

extension InstallCertificateRequest: CentralSystemRequest {
    /// M05 (OCTT TC_075_1/2, TC_078): Rejected when the store holds CertificateStoreMaxLength roots (M05.FR.05 ff.), or
    /// when the certificate is malformed, not a CA, not self-signed or not valid now — an invalid
    /// CentralSystemRootCertificate also raises InvalidCentralSystemCertificate (TC_078). With
    /// AdditionalRootCertificateCheck on, a new central system root must be signed by the installed one (M05.FR.08–09)
    /// and replaces it, the old one kept as fallback (M05.FR.10–11). Failed when storing fails. Installing an installed
    /// certificate again is Accepted without a copy.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let store = env.certificates
        let installed: [String], total: Int
        do {
            installed = try store.rootCertificates(r.certificateType)
            total = try CertificateUse.allCases.reduce(0) { $0 + (try store.rootCertificates($1)).count }
        } catch {
            cp.out.append(.log(.error, "InstallCertificate: reading the certificate store failed: \(error)"))
            return Response(status: .failed)
        }
        let central = r.certificateType == .centralSystemRootCertificate
        let checkAdditional = central && env.parameters.values[.additionalRootCertificateCheck]
        let old = checkAdditional ? installed.last.flatMap { try? PEMCertificates.parse($0, maxCount: 1)[0] } : nil
        let certificate: Certificate
        do {
            certificate = try CertificateChecks.root(r.certificate, now: env.now, signedBy: old)
        } catch {
            cp.out.append(.log(.warning, "InstallCertificate \(r.certificateType.rawValue) rejected: \(error)"))
            if central { cp.securityEvent(.invalidCentralSystemCertificate, techInfo: error.description, &env) }
            return Response(status: .rejected)
        }
        if installed.contains(where: { (try? PEMCertificates.parse($0, maxCount: 1)[0]) == certificate }) { return Response(status: .accepted) }
        guard total < OCPPConfigurationKeys.certificateStoreMaxLength else {
            cp.out.append(.log(.warning, "InstallCertificate rejected: \(total) certificates installed, CertificateStoreMaxLength is \(OCPPConfigurationKeys.certificateStoreMaxLength)"))
            return Response(status: .rejected)
        }
        do {
            try store.installRootCertificate(r.certificate, use: r.certificateType)
            // M05.FR.10/11: one root at a time plus the one it replaced as fallback.
            if checkAdditional { for stale in installed.dropLast() { try store.deleteRootCertificate(stale, use: r.certificateType) } }
        } catch {
            cp.out.append(.log(.error, "InstallCertificate: storing the certificate failed: \(error)"))
            return Response(status: .failed)
        }
        cp.out.append(.log(.notice, "\(r.certificateType.rawValue) installed (\(certificate.subject))"))
        return Response(status: .accepted)
    }
}

extension GetInstalledCertificateIdsRequest: CentralSystemRequest {
    /// M03: the hash data of every installed root of the type; NotFound when there is none (M03.FR.02).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        let roots = try OCPPChargePoint.parsedRoots(r.certificateType, env.certificates)
        let hashes = roots.compactMap { try? OCPPChargePoint.hashData($0, among: roots) }
        return hashes.isEmpty ? Response(status: .notFound) : Response(status: .accepted, certificateHashData: hashes)
    }
}

extension DeleteCertificateRequest: CentralSystemRequest {
    /// M04 (OCTT TC_076): Accepted when the root named by the hash data is removed; NotFound when none matches; Failed
    /// for the charge point's own certificate (M04.FR.05), for the last CentralSystemRootCertificate, the one the
    /// connection is verified with (M04.FR.06), and when the store fails.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let wanted = r.certificateHashData
        guard let algorithm = CertificateHash.Algorithm(rawValue: wanted.hashAlgorithm.rawValue) else { return Response(status: .notFound) }
        let target = CertificateHash(algorithm: algorithm, issuerNameHash: wanted.issuerNameHash, issuerKeyHash: wanted.issuerKeyHash,
                                     serialNumber: wanted.serialNumber)
        do {
            let centralRoots = try OCPPChargePoint.parsedRoots(.centralSystemRootCertificate, env.certificates)
            if let own = try env.certificates.chargePointCredential(),
               let chain = try? PEMCertificates.parse(own.certificateChainPEM),
               let hash = try? OCPPChargePoint.hash(chain[0], issuer: chain.dropFirst().first ?? centralRoots.first { CertificateChecks.signed(chain[0], by: $0) }, algorithm),
               hash.matches(target) {
                cp.out.append(.log(.info, "DeleteCertificate refused: the charge point's own certificate is not deleted (M04.FR.05)"))
                return Response(status: .failed)
            }
            for use in CertificateUse.allCases {
                let roots = try OCPPChargePoint.parsedRoots(use, env.certificates)
                let pems = try env.certificates.rootCertificates(use)
                for (i, root) in roots.enumerated() {
                    guard let hash = try? OCPPChargePoint.hash(root, issuer: roots.first { $0 != root && CertificateChecks.signed(root, by: $0) }, algorithm),
                          hash.matches(target) else { continue }
                    if use == .centralSystemRootCertificate, roots.count == 1 {
                        cp.out.append(.log(.info, "DeleteCertificate refused: the last CentralSystemRootCertificate stays installed (M04.FR.06)"))
                        return Response(status: .failed)
                    }
                    try env.certificates.deleteRootCertificate(pems[i], use: use)
                    cp.out.append(.log(.notice, "\(use.rawValue) deleted (\(root.subject))"))
                    return Response(status: .accepted)
                }
            }
        } catch {
            cp.out.append(.log(.error, "DeleteCertificate failed: \(error)"))
            return Response(status: .failed)
        }
        return Response(status: .notFound)
    }
}

extension CertificateSignedRequest: CentralSystemRequest {
    /// A02.FR.05–07 and A03 (OCTT TC_074, TC_077): the chain is checked (CertificateSignedMaxChainSize, the key of the
    /// last CSR, CN = the charge point's identity, validity now, signed up to an installed CentralSystemRootCertificate)
    /// and then stored with the pending key; it is used from the next connection, the old credential kept as fallback.
    /// Anything else is Rejected with the security event InvalidChargePointCertificate.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let store = env.certificates
        do {
            let pending = try store.pendingPrivateKey().map { pem throws(PKIError) in try ChargePointKey(pem: pem) }
            let roots = try OCPPChargePoint.parsedRoots(.centralSystemRootCertificate, store)
            let chain = try CertificateChecks.chargePointChain(r.certificateChain, maxBytes: OCPPConfigurationKeys.certificateSignedMaxChainSize,
                                                               pendingKey: pending, roots: roots, now: env.now)
            let commonNames = chain[0].subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
            guard commonNames == [cp.chargeBoxIdentity] else {
                throw PKIError("the certificate's CN is not the charge point identity \(cp.chargeBoxIdentity)")
            }
            try store.installChargePointCertificate(chainPEM: r.certificateChain)
            cp.certificateRenewal.signed(now: env.now)
            cp.out.append(.log(.notice, "charge point certificate installed (valid until \(OCPPDate.format(chain[0].notValidAfter))); used from the next connection"))
            return Response(status: .accepted)
        } catch let e as PKIError {
            cp.out.append(.log(.warning, "CertificateSigned rejected: \(e)"))
            cp.securityEvent(.invalidChargePointCertificate, techInfo: e.description, &env)
        } catch {
            cp.out.append(.log(.error, "CertificateSigned: the certificate store failed: \(error)"))
        }
        return Response(status: .rejected)
    }
}

extension ExtendedTriggerMessageRequest: CentralSystemRequest {
    /// Whitepaper ed. 3 §5.5. SignChargePointCertificate starts A02: a new key pair and SignCertificate with its CSR
    /// after the answer (Rejected without CpoName, which the CSR's O needs: A02.FR.13). LogStatusNotification reports
    /// the upload under way, or Idle (N01.FR.12). FirmwareStatusNotification reports the last signed update's status, or
    /// Idle after Installed (L01.FR.28/29), once a signed update ran; before, the plain status as TriggerMessage does. The
    /// other messages go as TriggerMessage sends them (the same handler). Every value of the schema is implemented, so NotImplemented is never answered: an unknown value is a
    /// PropertyConstraintViolation of the schema.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        if let c = r.connectorId, !(0...station.connectorCount).contains(c) { return Response(status: .rejected) }
        let core: MessageTrigger
        switch r.requestedMessage {
        case .signChargePointCertificate:
            return Response(status: cp.requestCertificate(&env) ? .accepted : .rejected)
        case .logStatusNotification:
            cp.enqueue(cp.logStatusNotification, allowedWhilePending: true)
            return Response(status: .accepted)
        case .firmwareStatusNotification where cp.lastSignedFirmwareStatus != nil:
            cp.enqueue(cp.signedFirmwareStatusNotification, allowedWhilePending: true)
            return Response(status: .accepted)
        case .bootNotification: core = .bootNotification
        case .firmwareStatusNotification: core = .firmwareStatusNotification
        case .heartbeat: core = .heartbeat
        case .meterValues: core = .meterValues
        case .statusNotification: core = .statusNotification
        }
        let answer = try TriggerMessageRequest.answer(TriggerMessageRequest(requestedMessage: core, connectorId: r.connectorId), &cp, &station, &env)
        return Response(status: answer.status)
    }
}

extension OCPPChargePoint {
    /// The installed roots of `use`, parsed (a stored one that no longer parses is left out).
    static func parsedRoots(_ use: CertificateUse, _ store: any CertificateStore) throws -> [Certificate] {
        try store.rootCertificates(use).compactMap { try? PEMCertificates.parse($0, maxCount: 1)[0] }
    }

    /// The OCSP-style hash data of `certificate`: its issuer's key is that of the installed root that signed it (a
    /// cross-signed root under AdditionalRootCertificateCheck), else its own (self-signed).
    static func hashData(_ certificate: Certificate, among roots: [Certificate]) throws(PKIError) -> CertificateHashData {
        let h = try hash(certificate, issuer: roots.first { $0 != certificate && CertificateChecks.signed(certificate, by: $0) }, .sha256)
        return CertificateHashData(hashAlgorithm: HashAlgorithm(rawValue: h.algorithm.rawValue) ?? .sha256, issuerNameHash: h.issuerNameHash,
                                   issuerKeyHash: h.issuerKeyHash, serialNumber: h.serialNumber)
    }

    static func hash(_ certificate: Certificate, issuer: Certificate?, _ algorithm: CertificateHash.Algorithm) throws(PKIError) -> CertificateHash {
        try CertificateHash(of: certificate, issuerKey: issuer?.publicKey, algorithm: algorithm)
    }
}
