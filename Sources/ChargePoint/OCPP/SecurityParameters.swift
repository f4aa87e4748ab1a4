#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters

private typealias K = StationParameters

/// The parameters of the OCPP 1.6 security extension ("Improved security for OCPP 1.6-J", edition 3 §7: the
/// configuration keys CpoName and AdditionalRootCertificateCheck), in the registry so that the web interface, the CLI
/// and GetConfiguration/ChangeConfiguration read the same values (menu Backend, section "OCPP security").
extension StationParameters {
    public static let cpoName = "CpoName"
    public static let additionalRootCertificateCheck = "AdditionalRootCertificateCheck"
    static let securitySection = "OCPP security"

    static let securityDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .cpoName, label: "CPO name", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""),
            role: .operator, menu: .backend, section: securitySection,
            help: "The name of the charge point operator. It goes into the organization (O) of the station's certificate signing request; the backend may set it (OCPP key CpoName). The station asks for a certificate only when it is set.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 §7 CpoName, A02.FR.13"),
        ParameterDefinition(
            key: .additionalRootCertificateCheck, label: "Additional root certificate check", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .backend, section: securitySection,
            help: "On: the backend may replace the central system root certificate only with one signed by the installed root, and the station keeps just the new root and the old one as fallback. Read-only for the backend (OCPP key AdditionalRootCertificateCheck).",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 §7 AdditionalRootCertificateCheck, M05.FR.08–11"),
    ]
}

extension ParameterKey {
    public static var cpoName: ParameterKey<String> { .init(K.cpoName, .text) }
    public static var additionalRootCertificateCheck: ParameterKey<Bool> { .init(K.additionalRootCertificateCheck, .bool) }
}
