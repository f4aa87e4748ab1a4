#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import PKI
import X509

/// A 2.0.1 request the central system sends through the application note's DataTransfer (OCA "Using ISO 15118 Plug &
/// Charge with OCPP 1.6" v1.0): answered with its typed 2.0.1 response, which goes back as the DataTransfer.conf's data.
protocol PnCCentralSystemRequest: OCPPRequest {
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response
}

extension OCPPChargePoint {
    /// The messageIds the station answers (the note's CSMS→CP messages).
    static let pncRequests: [String: any PnCCentralSystemRequest.Type] = [
        ISO15118PnC.CertificateSignedRequest.action: ISO15118PnC.CertificateSignedRequest.self,
        ISO15118PnC.InstallCertificateRequest.action: ISO15118PnC.InstallCertificateRequest.self,
        ISO15118PnC.DeleteCertificateRequest.action: ISO15118PnC.DeleteCertificateRequest.self,
        ISO15118PnC.GetInstalledCertificateIdsRequest.action: ISO15118PnC.GetInstalledCertificateIdsRequest.self,
        ISO15118PnC.TriggerMessageRequest.action: ISO15118PnC.TriggerMessageRequest.self,
    ]

    /// A DataTransfer of the note's vendor (OCPP 1.6 §5.6 statuses):
    /// - no messageId, or one the note does not send to a charge point: UnknownMessageId, `data` naming the known ones;
    /// - `data` missing, not JSON, or against the 2.0.1 schema of the message: Rejected, `data` a plain-text reason
    ///   naming the field (the same words as a CALLERROR's description), and the security event InvalidMessages
    ///   (rate-limited like a malformed frame);
    /// - otherwise Accepted with `data` = the 2.0.1 response as JSON text, whatever that response's own status.
    mutating func answerPnC(_ r: DataTransferRequest, _ station: inout StationController, _ env: inout OCPPEnvironment) -> DataTransferResponse {
        guard let id = r.messageId, let type = Self.pncRequests[id] else {
            return DataTransferResponse(status: .unknownMessageId,
                                        data: "messageId '\(r.messageId ?? "")' is not one of \(Self.pncRequests.keys.sorted().joined(separator: ", "))")
        }
        return answerPnC(type, r.data, &station, &env)
    }

    private mutating func answerPnC<R: PnCCentralSystemRequest>(_ type: R.Type, _ data: String?, _ station: inout StationController,
                                                                 _ env: inout OCPPEnvironment) -> DataTransferResponse {
        let request: R
        do {
            guard let data else { throw OCPPError(.occurenceConstraintViolation, "data is required: the \(R.action) request as JSON") }
            let json: JSONValue
            do { json = try JSONParser.parse(data) } catch {
                throw OCPPError(.formationViolation, "data is not JSON: \(error.reason)")
            }
            request = try OCPPCoding.decode(R.self, from: json)
        } catch let e as OCPPError {
            let reason = "\(R.action): \(e.description)"
            out.append(.log(.warning, "Plug & Charge \(reason) (\(e.code.rawValue)); answered Rejected"))
            invalidMessage("DataTransfer \(reason)", &env)
            return DataTransferResponse(status: .rejected, data: reason)
        } catch {
            return DataTransferResponse(status: .rejected, data: "\(R.action): \(error)")
        }
        let response = R.answer(request, &self, &station, &env)
        return DataTransferResponse(status: .accepted, data: OCPPCoding.encode(response).serialized)
    }

    /// A certificate change for the security log (a local event: the whitepaper's table has none for it), named by type
    /// and subject, never by its content.
    mutating func recordCertificateChange(_ text: String, _ env: OCPPEnvironment) {
        out.append(.log(.notice, text))
        guard let log = env.store as? any LocalSecurityLogStore else { return }
        do { try log.recordLocalSecurityEvent(.certificateChanged, techInfo: String(text.prefix(SecurityLogPolicy.techInfoMaxCharacters)), at: env.now) } catch {
            out.append(.log(.error, "recording the certificate change in the security log failed: \(error)"))
        }
    }
}

extension ISO15118PnC.CertificateSignedRequest: PnCCentralSystemRequest {
    /// OCPP 2.0.1 A02.FR.16–18 via the note: a V2GCertificate chain (or one without certificateType) is checked
    /// (``PKI/ISO15118Certificates/seccChain(_:pendingKey:v2gRoots:now:)``: the key of the pending V2G CSR, validity,
    /// signatures up to an installed V2G root) and installed with the pending key before the answer; the SECC uses it
    /// from its next TLS handshake. Anything else is Rejected with the security event InvalidChargePointCertificate.
    /// A ChargingStationCertificate is the security extension's business (its own CertificateSigned): Rejected here.
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response {
        if r.certificateType == .chargingStationCertificate {
            return Response(status: .rejected, statusInfo: .init("UnsupportedCertType", "the charge point certificate is installed with the security extension's CertificateSigned"))
        }
        let store = env.certificates
        do {
            let pending = try store.pendingSECCPrivateKey().map { pem throws(PKIError) in try ChargePointKey(pem: pem) }
            let roots = try store.iso15118RootCertificates(.v2gRootCertificate).compactMap { try? PEMCertificates.parse($0, maxCount: 1)[0] }
            let chain = try ISO15118Certificates.seccChain(r.certificateChain, pendingKey: pending, v2gRoots: roots, now: env.now)
            try store.installSECCCertificate(chainPEM: r.certificateChain)
            cp.recordCertificateChange("V2G (SECC) certificate installed: \(chain[0].subject), valid until \(OCPPDate.format(chain[0].notValidAfter))", env)
            cp.requestSECCChainStatus(chain, roots: roots)
            return Response(status: .accepted)
        } catch let e as PKIError {
            cp.out.append(.log(.warning, "V2G CertificateSigned rejected: \(e)"))
            cp.securityEvent(.invalidChargePointCertificate, techInfo: "V2G certificate: \(e.description)", &env)
            return Response(status: .rejected, statusInfo: .init("InvalidCertificate", e.description))
        } catch {
            cp.out.append(.log(.error, "V2G CertificateSigned: the certificate store failed: \(error)"))
            return Response(status: .rejected, statusInfo: .init("InternalError", "the certificate could not be stored"))
        }
    }
}

extension ISO15118PnC.InstallCertificateRequest: PnCCentralSystemRequest {
    /// OCPP 2.0.1 M05 via the note. CSMSRootCertificate and ManufacturerRootCertificate are the security extension's
    /// CentralSystemRootCertificate and ManufacturerRootCertificate: installed by its InstallCertificate handler, with
    /// its rules (AdditionalRootCertificateCheck, InvalidCentralSystemCertificate). V2GRootCertificate and
    /// MORootCertificate: exactly one self-signed CA valid now (Rejected otherwise, with the reason), counted against
    /// CertificateStoreMaxLength with every other root, stored durably before Accepted (Failed when storing fails).
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response {
        let use: ISO15118RootUse
        switch r.certificateType {
        case .csmsRootCertificate, .manufacturerRootCertificate:
            let legacy = OCPP16.InstallCertificateRequest(certificateType: r.certificateType == .csmsRootCertificate ? .centralSystemRootCertificate : .manufacturerRootCertificate,
                                                          certificate: r.certificate)
            let status = OCPP16.InstallCertificateRequest.answer(legacy, &cp, &station, &env).status
            if status == .accepted { cp.recordCertificateChange("\(r.certificateType.rawValue) installed through the Plug & Charge extension", env) }
            return Response(status: ISO15118PnC.InstallCertificateStatus(rawValue: status.rawValue) ?? .failed)
        case .v2gRootCertificate: use = .v2gRootCertificate
        case .moRootCertificate: use = .moRootCertificate
        }
        let store = env.certificates
        let certificate: Certificate
        do {
            certificate = try ISO15118Certificates.root(r.certificate, now: env.now)
        } catch {
            cp.out.append(.log(.warning, "InstallCertificate \(use.rawValue) rejected: \(error)"))
            cp.recordCertificateChange("\(use.rawValue) refused: \(error.description)", env)
            return Response(status: .rejected, statusInfo: .init("InvalidCertificate", error.description))
        }
        do {
            let installed = try store.iso15118RootCertificates(use)
            if installed.contains(where: { (try? PEMCertificates.parse($0, maxCount: 1)[0]) == certificate }) { return Response(status: .accepted) }
            let total = try CertificateUse.allCases.reduce(0) { $0 + (try store.rootCertificates($1)).count }
                + ISO15118RootUse.allCases.reduce(0) { $0 + (try store.iso15118RootCertificates($1)).count }
            guard total < OCPPConfigurationKeys.certificateStoreMaxLength else {
                return Response(status: .rejected, statusInfo: .init("CertStoreFull", "\(total) certificates installed; CertificateStoreMaxLength is \(OCPPConfigurationKeys.certificateStoreMaxLength)"))
            }
            try store.installISO15118RootCertificate(r.certificate, use: use)
        } catch {
            cp.out.append(.log(.error, "InstallCertificate \(use.rawValue): the certificate store failed: \(error)"))
            return Response(status: .failed, statusInfo: .init("InternalError", "the certificate could not be stored"))
        }
        cp.recordCertificateChange("\(use.rawValue) installed: \(certificate.subject), valid until \(OCPPDate.format(certificate.notValidAfter))", env)
        return Response(status: .accepted)
    }
}

extension ISO15118PnC.DeleteCertificateRequest: PnCCentralSystemRequest {
    /// OCPP 2.0.1 M04 via the note: a V2G or MO root named by its hash data is removed (Accepted); the SECC's own
    /// certificate and its sub-CAs are not deleted (Failed, M04.FR.06); any other certificate is looked for among the
    /// security extension's roots with its DeleteCertificate rules (the last CentralSystemRootCertificate stays).
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response {
        let wanted = r.certificateHashData
        guard let algorithm = CertificateHash.Algorithm(rawValue: wanted.hashAlgorithm.rawValue) else { return Response(status: .notFound) }
        let target = CertificateHash(algorithm: algorithm, issuerNameHash: wanted.issuerNameHash, issuerKeyHash: wanted.issuerKeyHash,
                                     serialNumber: wanted.serialNumber)
        let store = env.certificates
        do {
            let v2gRoots = try OCPPChargePoint.parsedISO15118Roots(.v2gRootCertificate, store)
            if let chain = try OCPPChargePoint.seccChain(store),
               OCPPChargePoint.chainHashes(chain, roots: v2gRoots, algorithm).contains(where: { $0.matches(target) }) {
                return Response(status: .failed, statusInfo: .init("NotAllowed", "the SECC certificate and its sub-CAs are not deleted"))
            }
            for use in ISO15118RootUse.allCases {
                let pems = try store.iso15118RootCertificates(use)
                for pem in pems {
                    guard let root = try? PEMCertificates.parse(pem, maxCount: 1)[0],
                          let hash = try? OCPPChargePoint.hash(root, issuer: nil, algorithm), hash.matches(target) else { continue }
                    try store.deleteISO15118RootCertificate(pem, use: use)
                    cp.recordCertificateChange("\(use.rawValue) deleted: \(root.subject)", env)
                    return Response(status: .accepted)
                }
            }
        } catch {
            cp.out.append(.log(.error, "DeleteCertificate failed: \(error)"))
            return Response(status: .failed, statusInfo: .init("InternalError", "the certificate store failed"))
        }
        let legacy = OCPP16.DeleteCertificateRequest(certificateHashData: wanted)
        let status = OCPP16.DeleteCertificateRequest.answer(legacy, &cp, &station, &env).status
        if status == .accepted { cp.recordCertificateChange("root certificate deleted through the Plug & Charge extension (serial \(wanted.serialNumber))", env) }
        return Response(status: ISO15118PnC.DeleteCertificateStatus(rawValue: status.rawValue) ?? .failed)
    }
}

extension ISO15118PnC.GetInstalledCertificateIdsRequest: PnCCentralSystemRequest {
    /// OCPP 2.0.1 M03 via the note: a CertificateHashDataChain per installed certificate of the types asked for (all
    /// when none is given): each root on its own (issuer = itself), the SECC certificate (V2GCertificateChain) with
    /// its sub-CAs as childCertificateHashData (M03.FR.05); NotFound when there is none.
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response {
        let store = env.certificates
        var chains: [ISO15118PnC.CertificateHashDataChain] = []
        for type in r.certificateType ?? ISO15118PnC.GetCertificateIdUse.allCases {
            let roots: [Certificate]
            switch type {
            case .v2gRootCertificate: roots = (try? OCPPChargePoint.parsedISO15118Roots(.v2gRootCertificate, store)) ?? []
            case .moRootCertificate: roots = (try? OCPPChargePoint.parsedISO15118Roots(.moRootCertificate, store)) ?? []
            case .csmsRootCertificate: roots = (try? OCPPChargePoint.parsedRoots(.centralSystemRootCertificate, store)) ?? []
            case .manufacturerRootCertificate: roots = (try? OCPPChargePoint.parsedRoots(.manufacturerRootCertificate, store)) ?? []
            case .v2gCertificateChain:
                let v2gRoots = (try? OCPPChargePoint.parsedISO15118Roots(.v2gRootCertificate, store)) ?? []
                guard let chain = try? OCPPChargePoint.seccChain(store) else { continue }
                let hashes = OCPPChargePoint.chainHashes(chain, roots: v2gRoots, .sha256).map(OCPPChargePoint.hashData)
                guard let leaf = hashes.first else { continue }
                chains.append(.init(certificateHashData: leaf, certificateType: .v2gCertificateChain,
                                    childCertificateHashData: hashes.count > 1 ? Array(hashes.dropFirst().prefix(4)) : nil))
                continue
            }
            for root in roots {
                guard let hash = try? OCPPChargePoint.hashData(root, among: roots) else { continue }
                chains.append(.init(certificateHashData: hash, certificateType: type, childCertificateHashData: nil))
            }
        }
        return chains.isEmpty ? Response(status: .notFound) : Response(status: .accepted, certificateHashDataChain: chains)
    }
}

extension ISO15118PnC.TriggerMessageRequest: PnCCentralSystemRequest {
    /// The note's TriggerMessage: SignV2GCertificate starts A02 for the SECC certificate — a new key and the V2G CSR
    /// after the answer (Accepted), Rejected without CpoName (the CSR's O) or when the key cannot be stored. Every other
    /// message of 2.0.1's enumeration is not part of the note: NotImplemented.
    static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController, _ env: inout OCPPEnvironment) -> Response {
        guard r.requestedMessage == .signV2GCertificate else {
            return Response(status: .notImplemented, statusInfo: .init("UnsupportedRequest", "only SignV2GCertificate is triggered through the Plug & Charge extension"))
        }
        return cp.requestV2GCertificate(&env) ? Response(status: .accepted)
            : Response(status: .rejected, statusInfo: .init("MissingParam", "CpoName is empty or the key could not be stored"))
    }
}

extension OCPPChargePoint {
    /// OCPP 2.0.1 M06 via the note: the OCSP status of each certificate of the new SECC chain (GetCertificateStatus,
    /// request ids 1… in chain order, leaf first), for the SECC to hand to vehicles; the answers come as
    /// ``ISO15118Outcome/ocspStatus(requestID:_:)``. A certificate without an OCSP responder is asked with an empty one.
    mutating func requestSECCChainStatus(_ chain: [Certificate], roots: [Certificate]) {
        for (i, h) in Self.chainHashes(chain, roots: roots, .sha256).enumerated() {
            let data = ISO15118PnC.OCSPRequestData(hashAlgorithm: .sha256, issuerNameHash: h.issuerNameHash, issuerKeyHash: h.issuerKeyHash,
                                                   serialNumber: h.serialNumber, responderURL: ISO15118Certificates.ocspResponderURL(chain[i]))
            enqueuePnC(ISO15118PnC.GetCertificateStatusRequest(ocspRequestData: data), .certificateStatus(requestID: i + 1))
        }
    }

    static func parsedISO15118Roots(_ use: ISO15118RootUse, _ store: any CertificateStore) throws -> [Certificate] {
        try store.iso15118RootCertificates(use).compactMap { try? PEMCertificates.parse($0, maxCount: 1)[0] }
    }

    /// The installed SECC chain, leaf first (nil: none).
    static func seccChain(_ store: any CertificateStore) throws -> [Certificate]? {
        guard let credential = try store.seccCredential() else { return nil }
        return try? PEMCertificates.parse(credential.certificateChainPEM, maxBytes: ISO15118Certificates.maxChainBytes)
    }

    /// The hash data of each certificate of `chain`, each named with its issuer's key (the next one, or the V2G root
    /// that signed the last).
    static func chainHashes(_ chain: [Certificate], roots: [Certificate], _ algorithm: CertificateHash.Algorithm) -> [CertificateHash] {
        chain.indices.compactMap { i in
            let issuer = i + 1 < chain.count ? chain[i + 1] : roots.first { CertificateChecks.signed(chain[i], by: $0) }
            return try? hash(chain[i], issuer: issuer, algorithm)
        }
    }

    static func hashData(_ h: CertificateHash) -> CertificateHashData {
        CertificateHashData(hashAlgorithm: HashAlgorithm(rawValue: h.algorithm.rawValue) ?? .sha256, issuerNameHash: h.issuerNameHash,
                            issuerKeyHash: h.issuerKeyHash, serialNumber: h.serialNumber)
    }
}
