#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters

private typealias K = StationParameters

/// Signed meter values for German calibration law (issue 28 item 6; menu Installation, section Meter): whether the
/// station may charge only with a meter that signs its readings (OCMF). Off by default: most installations need no
/// calibration-law billing, and a meter that does not sign must keep charging there.
extension StationParameters {
    public static let requireSignedMeterValues = "RequireSignedMeterValues"

    static let signedMeterDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .requireSignedMeterValues, label: "Require signed meter values", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .installation, section: "Meter",
            help: "Charge only with a meter that signs its readings (OCMF, German calibration law): a connector whose meter public key or signature cannot be read shows RegulatoryComplianceFailure and does not charge, and a StopTransaction waits for the signed final reading.",
            seeAlso: "seeds/002 §3 RegulatoryComplianceFailure; docs/installer.md Signed meter values"),
    ]
}

extension ParameterKey {
    public static var requireSignedMeterValues: ParameterKey<Bool> { .init(K.requireSignedMeterValues, .bool) }
}
