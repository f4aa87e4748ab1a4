#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Parameters

private typealias K = StationParameters

/// How a signed meter reading goes into an OCPP 1.6 sampled value of format `SignedData`.
///
/// The OCA's "Signed Meter Values in OCPP" whitepaper (v1.0, 2025-02-10, OCPP 1.6 part) writes the value as a
/// `SignedMeterValueType` in JSON — `signedMeterData` (the meter's document, base64), `signingMethod`,
/// `encodingMethod` ("OCMF") and `publicKey` (base64 of `oca:base16:asn1:<hex DER key>`, or empty) — and its key
/// `PublicKeyWithSignedMeterValue` says which values carry the key. Backends built before it read the OCMF document
/// itself as the value (OCMF 1.2 "Embedding in OCPP"), which `SignedMeterValueFormat` OCMF keeps.
public enum SignedValueEncoding: String, ParameterChoice {
    /// The whitepaper's `SignedMeterValueType` JSON.
    case oca = "OCA"
    /// The OCMF document as it is.
    case ocmf = "OCMF"
}

/// The whitepaper's `PublicKeyWithSignedMeterValue`: which signed values carry the meter's public key.
public enum PublicKeyWithSignedMeterValue: String, ParameterChoice {
    case never = "Never"
    /// The first signed value of a transaction: its Transaction.Begin reading.
    case oncePerTransaction = "OncePerTransaction"
    case everyMeterValue = "EveryMeterValue"
}

extension StationParameters {
    public static let signedMeterValueFormat = "SignedMeterValueFormat"
    public static let publicKeyWithSignedMeterValue = "PublicKeyWithSignedMeterValue"

    static let signedValueDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .signedMeterValueFormat, label: "Signed meter value format",
            type: .choice([SignedValueEncoding.oca: "OCA whitepaper (SignedMeterValueType JSON)", .ocmf: "OCMF document as it is"]),
            defaultValue: .choice(SignedValueEncoding.oca), role: .operator, menu: .backend, section: "OCPP keys",
            help: "How a signed meter reading goes into a SignedData meter value. OCA whitepaper (factory setting): the JSON of the OCA's Signed Meter Values whitepaper, with the OCMF document in base64 and the meter's public key where PublicKeyWithSignedMeterValue asks for it. OCMF document: the document itself, for backends built before the whitepaper.",
            seeAlso: "OCA Signed Meter Values in OCPP v1.0 (OCPP 1.6); OCMF 1.2 Embedding in OCPP"),
        ParameterDefinition(
            key: .publicKeyWithSignedMeterValue, label: "Public key with signed meter values",
            type: .choice([PublicKeyWithSignedMeterValue.never: "Never", .oncePerTransaction: "Once per transaction",
                           .everyMeterValue: "Every meter value"]),
            defaultValue: .choice(PublicKeyWithSignedMeterValue.oncePerTransaction), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Which signed meter values carry the meter's public key (OCA whitepaper format only): never, the transaction's first (its begin reading), or every one. The key is also the read-only OCPP key MeterPublicKey<N>.",
            seeAlso: "OCA Signed Meter Values in OCPP v1.0 (PublicKeyWithSignedMeterValue)"),
    ]
}

extension ParameterKey {
    public static var signedMeterValueFormat: ParameterKey<SignedValueEncoding> { .init(K.signedMeterValueFormat, .choice) }
    public static var publicKeyWithSignedMeterValue: ParameterKey<PublicKeyWithSignedMeterValue> {
        .init(K.publicKeyWithSignedMeterValue, .choice)
    }
}

/// The value of a `SignedData` sampled value.
public enum SignedMeterValue {
    /// OCMF's signature algorithm name (its `SA`), the only one the station's meters use.
    static let signingMethod = "ECDSA-secp256r1-SHA256"

    /// `ocmf` as the value of a SignedData sampled value; `context` decides with the setting whether the public key
    /// goes with it.
    public static func value(ocmf: String, publicKeyHex: String?, context: String, encoding: SignedValueEncoding,
                             publicKey: PublicKeyWithSignedMeterValue) -> String {
        guard encoding == .oca else { return ocmf }
        let withKey = publicKey == .everyMeterValue || (publicKey == .oncePerTransaction && context == "Transaction.Begin")
        let key = withKey ? publicKeyHex.map { Data("oca:base16:asn1:\($0)".utf8).base64EncodedString() } ?? "" : ""
        return JSONValue.object([
            "signedMeterData": .string(Data(ocmf.utf8).base64EncodedString()),
            "signingMethod": .string(signingMethod),
            "encodingMethod": .string("OCMF"),
            "publicKey": .string(key),
        ]).serialized
    }
}
