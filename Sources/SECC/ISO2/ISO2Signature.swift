import EXI

/// ISO 15118-2's signed requests (§7.9.2.4, Annex J.2) checked by ``V2GSignature``: the signed body element is
/// encoded as a fragment of the ISO 15118-2 message schema, under its body namespace; the key is P-256 (§7.9.2.3).
enum ISO2Signature {
    static let bodyNamespace = "urn:iso:15118:2:2013:MsgBody"

    /// Checks that `signature` signs `element` (whose `Id` attribute is `id`) with `key`.
    static func verify(_ signature: ISO2SignatureType?, element: EXINode, id: String?, key: V2GSignature.Key) throws(V2GSignature.Failure) {
        guard let signature else { throw V2GSignature.Failure("the request carries no signature") }
        let info = signature.signedInfo
        let parts = V2GSignature.Parts(canonicalization: info.canonicalizationMethod.algorithm, signatureMethod: info.signatureMethod.algorithm,
                                       references: info.reference.map { ($0.uri, $0.digestMethod.algorithm, $0.digestValue) },
                                       signatureValue: signature.signatureValue.value)
        try V2GSignature.verify(parts, id: id, key: key, fragment: { try EXI.ISO2.encodeFragment(element) },
                                signedInfo: { try EXI.ISO2.signedInfoFragment(info) })
    }

    /// The body element as the signature names it (`{urn:iso:15118:2:2013:MsgBody}AuthorizationReq`).
    static func node(_ element: ISO2AuthorizationReqType) -> EXINode {
        element.node(EXIQName(bodyNamespace, "AuthorizationReq"), repeatable: false)
    }

    /// `{urn:iso:15118:2:2013:MsgBody}CertificateUpdateReq`, which the vehicle signs with its present contract's key.
    static func node(_ element: ISO2CertificateUpdateReqType) -> EXINode {
        element.node(EXIQName(bodyNamespace, "CertificateUpdateReq"), repeatable: false)
    }
}
