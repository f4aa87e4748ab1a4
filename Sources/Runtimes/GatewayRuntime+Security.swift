#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
import Gateway
import PKI
import Transport

extension GatewayRuntime {
    /// The wss context of the charger listener, nil for ws; on security profile 3 it asks for client certificates and
    /// names the client CA file's CAs (OCPP 1.6 security whitepaper ed. 3 §2.3). The errors name the file at fault.
    public static func tlsContext(_ settings: GatewaySettings) throws -> OCPPWebSocketServer.TLSContext? {
        guard !settings.ocppTLSCertificateFile.isEmpty else { return nil }
        return try OCPPWebSocketServer.tlsContext(certificateFile: settings.ocppTLSCertificateFile, keyFile: settings.ocppTLSKeyFile,
                                                  clientCAFile: settings.securityProfile == .tlsClientCertificate ? settings.ocppClientCAFile : nil)
    }

    /// Profile 3: the check of the chargers' client certificates against the CA file (read here, checked by the pure
    /// ``ClientCertificateCheck``); nil on the other profiles.
    public static func clientCertificateCheck(_ settings: GatewaySettings) throws -> ClientCertificateCheck? {
        guard settings.securityProfile == .tlsClientCertificate else { return nil }
        let pem: String
        do { pem = try SystemFile.readText(settings.ocppClientCAFile) } catch {
            throw TLSFileError(file: .clientCA, description: "cannot read the client CA file \(error)")
        }
        do { return try ClientCertificateCheck(pem: pem) } catch {
            throw TLSFileError(file: .clientCA, description: "the client CA file \(settings.ocppClientCAFile): \(error)")
        }
    }
}
