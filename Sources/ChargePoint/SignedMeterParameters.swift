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
    /// The OCA's "Signed Meter Values in OCPP" whitepaper (v1.0, OCPP 1.6 part) names this configuration key; as a
    /// registry parameter it is the OCPP key of the same name.
    public static let sampledDataSignReadings = "SampledDataSignReadings"

    static let signedMeterDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .requireSignedMeterValues, label: "Require signed meter values", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .installation, section: "Meter",
            help: "Charge only with a meter that signs its readings (OCMF, German calibration law): a connector whose meter public key or signature cannot be read shows RegulatoryComplianceFailure and does not charge, and a StopTransaction waits for the signed final reading.",
            seeAlso: "seeds/002 §3 RegulatoryComplianceFailure; docs/installer.md Signed meter values"),
        ParameterDefinition(
            key: .sampledDataSignReadings, label: "Signed readings in sampled MeterValues", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .backend, section: "OCPP keys",
            help: "With a signing meter, each sampled MeterValues of a transaction (MeterValueSampleInterval) is followed by a MeterValues with the meter's signed reading (OCMF, SignedData, Sample.Periodic).",
            seeAlso: "OCA Signed Meter Values in OCPP v1.0 (SampledDataSignReadings)"),
    ]
}

extension ParameterKey {
    public static var requireSignedMeterValues: ParameterKey<Bool> { .init(K.requireSignedMeterValues, .bool) }
    public static var sampledDataSignReadings: ParameterKey<Bool> { .init(K.sampledDataSignReadings, .bool) }
}
