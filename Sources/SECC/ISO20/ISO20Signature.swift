import EXI

/// ISO 15118-20's signed requests checked by ``V2GSignature`` (ISO 15118-20:2022 §8.3.4.3.3: the
/// vehicle signs PnC_AReqAuthorizationMode with its contract key; the element is encoded as a fragment of the
/// CommonMessages schema, the xmldsig SignedInfo as its own fragment).
enum ISO20Signature {
    static let namespace = "urn:iso:std:iso:15118:-20:CommonMessages"

    /// Checks that `signature` signs `element` (whose `Id` attribute is `id`) with `key`.
    static func verify(_ signature: ISO20CommonSignatureType?, element: EXINode, id: String?, key: V2GSignature.Key) throws(V2GSignature.Failure) {
        guard let signature else { throw V2GSignature.Failure("the request carries no signature") }
        let info = signature.signedInfo
        let parts = V2GSignature.Parts(canonicalization: info.canonicalizationMethod.algorithm, signatureMethod: info.signatureMethod.algorithm,
                                       references: info.reference.map { ($0.uri, $0.digestMethod.algorithm, $0.digestValue) },
                                       signatureValue: signature.signatureValue.value)
        try V2GSignature.verify(parts, id: id, key: key, fragment: { try EXI.ISO20Common.encodeFragment(element) },
                                signedInfo: { try EXI.ISO20Common.signedInfoFragment(info) })
    }

    /// PnC_AReqAuthorizationMode as the signature names it (`{urn:iso:std:iso:15118:-20:CommonMessages}PnC_AReqAuthorizationMode`).
    static func node(_ element: ISO20CommonPnCAReqAuthorizationModeType) -> EXINode {
        element.node(EXIQName(namespace, "PnC_AReqAuthorizationMode"), repeatable: false)
    }
}
