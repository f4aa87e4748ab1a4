#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import OCPP16
import PKI
import X509

/// What the SECC (the ISO 15118-2 server of a connector) asks the backend for a vehicle, through the OCA application
/// note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0: each is an OCPP 2.0.1 request in a DataTransfer of vendor
/// ``ISO15118PnC/vendorID``. Handed to the charge point as ``OCPPChargePoint/Event/iso15118(_:)``; the answer comes back
/// as ``OCPPChargePoint/Action/iso15118(_:)`` (``ISO15118Outcome``) with the same connector or request id.
///
/// The SECC calls these when (ISO 15118-2:2014 §8.4.3):
/// - ``authorizeContract(connector:eMAID:hashData:certificate:)``: PaymentDetailsReq named the contract (eMAID, chain);
///   the answer authorizes the connector through the station's own authorization (the eMAID is presented like a card:
///   local lists first, then the backend), and AuthorizationRes may say Finished once ``ISO15118Outcome/contract`` came;
/// - ``requestEVCertificate(requestID:exiRequest:action:schemaVersion:)``: CertificateInstallationReq/UpdateReq arrived
///   (EXI, base64); the CertificateInstallationRes/UpdateRes goes back to the vehicle untouched;
/// - ``ocspStatus(requestID:_:)``: the SECC wants the OCSP response of its own chain for the vehicle (OCPP 2.0.1 M06).
public enum ISO15118Request: Sendable, Equatable {
    case authorizeContract(connector: Int, eMAID: String, hashData: [ISO15118PnC.OCSPRequestData], certificate: String?)
    case requestEVCertificate(requestID: Int, exiRequest: String, action: ISO15118PnC.CertificateAction, schemaVersion: String)
    case ocspStatus(requestID: Int, ISO15118PnC.OCSPRequestData)
}

/// The backend's answers to ``ISO15118Request``s, for the SECC. A nil response: the backend did not answer, does not
/// support the note (DataTransfer not Accepted), or answered something that is not the 2.0.1 response; the SECC then
/// answers the vehicle with FAILED (ISO 15118-2 ResponseCode).
public enum ISO15118Outcome: Sendable, Equatable {
    /// The contract's authorization as the station decided it (the backend's status, or Invalid when it could not be
    /// asked and no list knows the eMAID); `certificateStatus` as the backend gave it.
    case contract(connector: Int, eMAID: String, status: ISO15118PnC.AuthorizationStatus, certificateStatus: ISO15118PnC.AuthorizeCertificateStatus?)
    case evCertificate(requestID: Int, ISO15118PnC.Get15118EVCertificateResponse?)
    case ocspStatus(requestID: Int, ISO15118PnC.GetCertificateStatusResponse?)
}

/// Which PnC DataTransfer a CALL was, so that its answer finds its way (``OCPPLink/Purpose/iso15118(_:)``).
public enum ISO15118Call: Sendable, Equatable {
    case authorize(eMAID: String, connector: Int)
    case signCertificate
    case evCertificate(requestID: Int)
    case certificateStatus(requestID: Int)
}

/// A contract the SECC presented, waiting for the backend (``OCPPChargePoint/contractAuthorizations``).
struct ContractAuthorization: Sendable, Equatable {
    var connector: Int
    var hashData: [ISO15118PnC.OCSPRequestData]
    var certificate: String?
}

extension OCPPChargePoint {
    /// Whether the station speaks the application note (seeds/000's extension choice set to Ebee).
    static func pncEnabled(_ env: OCPPEnvironment) -> Bool { env.parameters.values[.iso15118OCPPExtension] == .ebee }

    mutating func iso15118(_ request: ISO15118Request, _ station: inout StationController, _ env: inout OCPPEnvironment) {
        guard Self.pncEnabled(env) else {
            out.append(.log(.warning, "ISO 15118 request refused: the OCPP 1.6 extension for 15118 is Off"))
            out.append(.iso15118(Self.refused(request)))
            return
        }
        switch request {
        case .authorizeContract(let n, let eMAID, let hashData, let certificate):
            guard (1...station.connectorCount).contains(n), !eMAID.isEmpty, eMAID.count <= 36, hashData.count <= 4 else {
                out.append(.log(.warning, "contract refused: connector \(n), eMAID of \(eMAID.count) characters (1–36), \(hashData.count) OCSP entries (at most 4)"))
                out.append(.iso15118(Self.refused(request)))
                return
            }
            // OCPP 2.0.1 C07.FR.06 (via the note): without OCSP data the certificate itself goes to the backend only when
            // central contract validation is allowed.
            if hashData.isEmpty && !(certificate != nil && env.parameters.values[.centralContractValidationAllowed]) {
                out.append(.log(.warning, "contract \(eMAID) refused: no OCSP data and central contract validation is not allowed"))
                out.append(.iso15118(Self.refused(request)))
                return
            }
            // One contract per connector waits at a time: a vehicle plugged again replaces what its connector waited
            // for (a contract a list refused locally never gets a backend answer), so the table stays bounded.
            contractAuthorizations = contractAuthorizations.filter { $0.value.connector != n }
            contractAuthorizations[eMAID] = ContractAuthorization(connector: n, hashData: hashData, certificate: hashData.isEmpty ? certificate : nil)
            station.present(PresentedIdentifier(idTag: eMAID, kind: .rfid, secure: true), method: .plugAndCharge, now: env.now, connector: n)
            // A list that knows the eMAID granted it at once (no backend question follows); otherwise the station's
            // ``ControllerNotice/backendAuthorizationRequested(idTag:connector:)`` sends the Authorize.
            if station.backendView(connector: n)?.session?.idTag == eMAID {
                contractAuthorizations[eMAID] = nil
                out.append(.iso15118(.contract(connector: n, eMAID: eMAID, status: .accepted, certificateStatus: nil)))
            }
        case .requestEVCertificate(let id, let exi, let action, let version):
            let r = ISO15118PnC.Get15118EVCertificateRequest(iso15118SchemaVersion: String(version.prefix(50)), action: action, exiRequest: exi)
            guard exi.utf8.count <= 5600 else {
                out.append(.log(.warning, "Get15118EVCertificate refused: the EXI request has \(exi.utf8.count) characters (at most 5600)"))
                out.append(.iso15118(.evCertificate(requestID: id, nil)))
                return
            }
            enqueuePnC(r, .evCertificate(requestID: id))
        case .ocspStatus(let id, let data):
            enqueuePnC(ISO15118PnC.GetCertificateStatusRequest(ocspRequestData: data), .certificateStatus(requestID: id))
        }
    }

    /// The outcome of a request that is not sent.
    static func refused(_ request: ISO15118Request) -> ISO15118Outcome {
        switch request {
        case .authorizeContract(let n, let eMAID, _, _): .contract(connector: n, eMAID: eMAID, status: .invalid, certificateStatus: nil)
        case .requestEVCertificate(let id, _, _, _): .evCertificate(requestID: id, nil)
        case .ocspStatus(let id, _): .ocspStatus(requestID: id, nil)
        }
    }

    /// The station's authorization asked the backend about a presented contract: Authorize (2.0.1, C07) with the
    /// contract's OCSP data or certificate instead of the 1.6 Authorize.
    mutating func authorizeContract(_ eMAID: String, _ station: inout StationController, _ env: inout OCPPEnvironment) {
        guard let c = contractAuthorizations[eMAID] else { return }
        let r = ISO15118PnC.AuthorizeRequest(idToken: .init(idToken: eMAID, type: .eMAID), certificate: c.certificate,
                                             iso15118CertificateHashData: c.hashData.isEmpty ? nil : c.hashData)
        enqueuePnC(r, .authorize(eMAID: eMAID, connector: c.connector))
    }

    /// Queues a 2.0.1 request as the note's DataTransfer.
    mutating func enqueuePnC<R: OCPPRequest>(_ request: R, _ call: ISO15118Call) {
        let dt = DataTransferRequest(vendorId: ISO15118PnC.vendorID, messageId: R.action, data: OCPPCoding.encode(request).serialized)
        link.enqueue(.init(id: link.newID(), action: DataTransferRequest.action, payload: OCPPCoding.encode(dt), purpose: .iso15118(call)))
        out.append(.log(.info, "\(R.action) queued for the backend (ISO 15118 Plug & Charge)"))
    }

    /// A/M flows of the note: the DataTransfer answer, unwrapped and checked against the 2.0.1 response schema.
    mutating func iso15118Answered(_ call: ISO15118Call, _ payload: JSONValue, _ station: inout StationController, _ env: inout OCPPEnvironment) {
        let answer = try? DataTransferResponse(json: payload)
        func inner<P: OCPPPayload>(_ type: P.Type) -> P? {
            guard let answer else { return nil }
            guard answer.status == .accepted, let text = answer.data else {
                out.append(.log(.warning, "the backend answered the Plug & Charge DataTransfer with \(answer.status.rawValue)"))
                return nil
            }
            do {
                return try OCPPCoding.decode(P.self, from: try JSONParser.parse(text))
            } catch let e as OCPPError {
                out.append(.log(.warning, "the backend's Plug & Charge answer is not a 2.0.1 response: \(e.description)"))
            } catch {
                out.append(.log(.warning, "the backend's Plug & Charge answer is not JSON"))
            }
            return nil
        }
        switch call {
        case .authorize(let eMAID, let n):
            let r = inner(ISO15118PnC.AuthorizeResponse.self)
            contractAuthorized(eMAID, connector: n, r, &station, now: env.now)
        case .signCertificate:
            let r = inner(ISO15118PnC.SignCertificateResponse.self)
            out.append(.log(r?.status == .accepted ? .info : .warning, "the backend \(r?.status == .accepted ? "accepted" : "did not accept") the V2G CSR"))
        case .evCertificate(let id):
            out.append(.iso15118(.evCertificate(requestID: id, inner(ISO15118PnC.Get15118EVCertificateResponse.self))))
        case .certificateStatus(let id):
            out.append(.iso15118(.ocspStatus(requestID: id, inner(ISO15118PnC.GetCertificateStatusResponse.self))))
        }
    }

    /// No answer (timeout, connection lost) or a CALLERROR. A contract without an answer is left to the station's
    /// offline rules (its backend timeout), like a card's Authorize; the other requests fail for the SECC at once.
    mutating func iso15118Failed(_ call: ISO15118Call, code: String, timedOut: Bool, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) {
        out.append(.log(.warning, "Plug & Charge DataTransfer failed (\(code))"))
        switch call {
        case .authorize(let eMAID, let n):
            if timedOut {
                contractAuthorizations[eMAID] = nil
                out.append(.iso15118(.contract(connector: n, eMAID: eMAID, status: .invalid, certificateStatus: nil)))
            } else {
                contractAuthorized(eMAID, connector: n, nil, &station, now: env.now)
            }
        case .signCertificate: break
        case .evCertificate(let id): out.append(.iso15118(.evCertificate(requestID: id, nil)))
        case .certificateStatus(let id): out.append(.iso15118(.ocspStatus(requestID: id, nil)))
        }
    }

    /// The backend's verdict on a contract (nil: none usable, Invalid): applied to the waiting authorization like a
    /// card's Authorize answer. A certificateStatus other than Accepted refuses the contract whatever idTokenInfo says
    /// (OCPP 2.0.1 C07.FR.04/05).
    mutating func contractAuthorized(_ eMAID: String, connector n: Int, _ r: ISO15118PnC.AuthorizeResponse?, _ station: inout StationController,
                                     now: Date) {
        contractAuthorizations[eMAID] = nil
        var status = r?.idTokenInfo.status ?? .invalid
        if let c = r?.certificateStatus, c != .accepted { status = .invalid }
        let mapped: IdentifierStatus = switch status {
        case .accepted: .accepted
        case .blocked: .blocked
        case .expired: .expired
        case .concurrentTx: .concurrentTx
        default: .invalid
        }
        station.backendAuthorization(idTag: eMAID, status: mapped, parentIdTag: r?.idTokenInfo.groupIdToken?.idToken,
                                     expiry: r?.idTokenInfo.cacheExpiryDateTime, now: now)
        out.append(.log(.info, "contract \(eMAID) on connector \(n): \(status.rawValue)\(r?.certificateStatus.map { " (certificate \($0.rawValue))" } ?? "")"))
        out.append(.iso15118(.contract(connector: n, eMAID: eMAID, status: status, certificateStatus: r?.certificateStatus)))
    }

    /// A02 for the SECC certificate (via the note's SignCertificate with certificateType V2GCertificate): a new P-256
    /// key, kept as the pending V2G key before anything is sent, and the CSR (CN = the charge point identity, O =
    /// CpoName, DC = CPO). False when it cannot: no CpoName, or the key cannot be stored.
    mutating func requestV2GCertificate(_ env: inout OCPPEnvironment) -> Bool {
        let cpoName = env.parameters.values[.cpoName]
        guard !cpoName.isEmpty else {
            out.append(.log(.warning, "no V2G certificate requested: CpoName is empty (it is the CSR's organization)"))
            return false
        }
        let key = makeKey()
        let csr: String
        do {
            csr = try ISO15118Certificates.seccSigningRequest(key: key, organization: cpoName, commonName: chargeBoxIdentity)
            try env.certificates.savePendingSECCPrivateKey(key.pem)
        } catch {
            out.append(.log(.error, "no V2G certificate requested: \(error)"))
            return false
        }
        enqueuePnC(ISO15118PnC.SignCertificateRequest(csr: csr, certificateType: .v2gCertificate), .signCertificate)
        return true
    }

    /// The contract request for a vehicle's contract certificate chain (PEM, leaf first: what PaymentDetailsReq carries,
    /// ISO 15118-2:2014 §8.4.3.9): the eMAID from the leaf's CN and the OCSP data of the chain, the last sub-CA named
    /// with the installed V2G or MO root that signed it (``PKI/ISO15118Certificates/contract(_:roots:)``). With no OCSP
    /// data at all the chain itself is offered for central validation.
    public static func contractRequest(connector: Int, chainPEM: String, store: any CertificateStore) throws(PKIError) -> ISO15118Request {
        let roots = ISO15118RootUse.allCases.flatMap { (try? parsedISO15118Roots($0, store)) ?? [] }
        let (eMAID, entries) = try ISO15118Certificates.contract(chainPEM, roots: roots)
        let hashData = entries.prefix(4).map { e in
            ISO15118PnC.OCSPRequestData(hashAlgorithm: HashAlgorithm(rawValue: e.hash.algorithm.rawValue) ?? .sha256, issuerNameHash: e.hash.issuerNameHash,
                                        issuerKeyHash: e.hash.issuerKeyHash, serialNumber: e.hash.serialNumber, responderURL: e.responderURL)
        }
        return .authorizeContract(connector: connector, eMAID: eMAID, hashData: Array(hashData), certificate: hashData.isEmpty ? chainPEM : nil)
    }

    /// The SECC's TLS server credential (ISO 15118-2 §7.7.4): the installed SECC chain and its key, nil before the
    /// first V2G CertificateSigned. Read by the SECC adapter when it opens its TLS listener.
    public static func seccCredential(_ store: any CertificateStore) -> ChargePointCredential? { try? store.seccCredential() }

    /// The installed V2G roots in PEM (the trust anchors the SECC names to the vehicle and checks contract chains with).
    public static func v2gRoots(_ store: any CertificateStore) -> [String] { (try? store.iso15118RootCertificates(.v2gRootCertificate)) ?? [] }

    /// The installed V2G and MO roots, parsed: what a vehicle's contract chain must lead to (ISO 15118-2:2014 §8.4.3.9;
    /// a root that no longer parses is left out).
    public static func contractRoots(_ store: any CertificateStore) -> [Certificate] {
        ISO15118RootUse.allCases.flatMap { (try? parsedISO15118Roots($0, store)) ?? [] }
    }
}
