#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters

private typealias K = StationParameters

/// Which OCPP 1.6 extension carries ISO 15118 Plug & Charge to the backend (seeds/000 "Plug & Charge (ISO 15118)
/// aktivieren": "OCPP 1.6 Erweiterung für die 15118 Zertifikatsinstallation", shown set to "Ebee"). On the ebee/Bender
/// controllers the choice names the vendor family whose implementation of the OCA application note "Using ISO 15118
/// Plug & Charge with OCPP 1.6" v1.0 it selects; ChargeKit implements that note and nothing else under "Ebee"
/// (docs/seed-deviations.md says why and what is left out).
public enum ISO15118OCPPExtension: String, ParameterChoice {
    /// No extension: a DataTransfer of the note's vendorId is answered UnknownVendorId, no contract is sent.
    case off = "Off"
    /// The OCA application note: OCPP 2.0.1 messages in DataTransfer, vendorId org.openchargealliance.iso15118pnc.
    case ebee = "Ebee"
}

/// The OCPP side of ISO 15118 Plug & Charge (menu Authorization, section "HLC 15118", beside the HLC
/// parameters): the extension choice of seeds/000 and the application note's configuration key
/// CentralContractValidationAllowed (one of the note's configuration keys, = OCPP 2.0.1 ISO15118Ctrlr
/// CentralContractValidationAllowed), which is reachable under its own name as an OCPP configuration key.
extension StationParameters {
    public static let iso15118OCPPExtension = "ISO15118OCPPExtension"
    public static let centralContractValidationAllowed = "CentralContractValidationAllowed"
    static let iso15118OCPPSection = "HLC 15118"

    static let iso15118OCPPDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .iso15118OCPPExtension, label: "OCPP 1.6 extension for the 15118 certificate installation",
            type: .choice([ISO15118OCPPExtension.off: "Off", .ebee: "Ebee"]), defaultValue: .choice(ISO15118OCPPExtension.off),
            role: .installer, menu: .authorization, section: iso15118OCPPSection,
            help: "Ebee: Plug & Charge with the backend as the OCA application note \"Using ISO 15118 Plug & Charge with OCPP 1.6\" describes — the vehicle's contract is authorized, vehicle certificates installed and the station's ISO 15118 certificate signed through OCPP 2.0.1 messages in DataTransfer (vendor org.openchargealliance.iso15118pnc); the backend installs the V2G and mobility operator roots. Off: the station answers that vendor UnknownVendorId and sends nothing of it.",
            seeAlso: "seeds/000 Plug & Charge (ISO 15118) aktivieren; docs/operator.md Plug & Charge certificates"),
        ParameterDefinition(
            key: .centralContractValidationAllowed, label: "Central contract validation allowed", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .authorization, section: iso15118OCPPSection,
            help: "On: when the station cannot name the vehicle's contract certificate chain by its OCSP data, it sends the contract certificate itself to the backend to validate. Off: such a contract is refused at the station (OCPP key CentralContractValidationAllowed).",
            seeAlso: "OCA application note Using ISO 15118 Plug & Charge with OCPP 1.6 v1.0, configuration keys; OCPP 2.0.1 C07.FR.06"),
    ]
}

extension ParameterKey {
    public static var iso15118OCPPExtension: ParameterKey<ISO15118OCPPExtension> { .init(K.iso15118OCPPExtension, .choice) }
    public static var centralContractValidationAllowed: ParameterKey<Bool> { .init(K.centralContractValidationAllowed, .bool) }
}
