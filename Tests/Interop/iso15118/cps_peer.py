"""The certificate provisioning service (CPS) behind the backend in the Plug & Charge tests, written with Josev
(EcoG-io's iso15118 0.31.2) and its PKI script's certificates: it answers a vehicle's ISO 15118-2
CertificateInstallationReq, as the backend hands it on (OCA application note "Using ISO 15118 Plug & Charge with OCPP
1.6" v1.0: Get15118EVCertificate's exiRequest, base64 EXI), with a CertificateInstallationRes as ISO 15118-2:2014
§8.4.3.11 asks: the contract chain, the contract's private key encrypted for the vehicle's OEM provisioning
certificate (ECDH and AES-128-CBC, §7.9.2.5), the ECDH public key and the eMAID, each with its Id and signed together
with the CPS leaf's key; the CPS chain to check the signature with. Josev's own functions build each part.

Runs with Josev's python (`.venv-josev`), PKI_PATH pointing at the PKI; one request per line on stdin (base64 of the
EXI V2G_Message), one answer per line on stdout (base64 of the EXI V2G_Message with CertificateInstallationRes, the
request's SessionID in the header), `ready` first once the Java codec runs.
"""
import base64
import sys

# Josev logs to standard output: the answers get the real one, everything else goes to standard error.
ANSWERS, sys.stdout = sys.stdout, sys.stderr

from iso15118.shared.exi_codec import EXI  # noqa: E402
from iso15118.shared.messages.enums import Namespace  # noqa: E402
from iso15118.shared.messages.iso15118_2.body import EMAID, Body, CertificateInstallationRes, ResponseCode  # noqa: E402
from iso15118.shared.messages.iso15118_2.datatypes import (CertificateChain, DHPublicKey, EncryptedPrivateKey,  # noqa: E402
                                                          SubCertificates)
from iso15118.shared.messages.iso15118_2.header import MessageHeader  # noqa: E402
from iso15118.shared.messages.iso15118_2.msgdef import V2GMessage  # noqa: E402
from iso15118.shared.security import (CertPath, KeyEncoding, KeyPasswordPath, KeyPath, create_signature,  # noqa: E402
                                      encrypt_priv_key, get_cert_cn, load_cert, load_priv_key)
from iso15118.shared.settings import load_shared_settings  # noqa: E402


def answer(request_b64):
    request = EXI().from_exi(base64.b64decode(request_b64), Namespace.ISO_V2_MSG_DEF)
    assert request.body.certificate_installation_req is not None, "not a CertificateInstallationReq"
    dh_public, encrypted = encrypt_priv_key(
        oem_prov_cert=load_cert(CertPath.OEM_LEAF_DER),
        priv_key_to_encrypt=load_priv_key(KeyPath.CONTRACT_LEAF_PEM, KeyEncoding.PEM, KeyPasswordPath.CONTRACT_LEAF_KEY_PASSWORD))
    response = CertificateInstallationRes(
        response_code=ResponseCode.OK,
        cps_cert_chain=CertificateChain(certificate=load_cert(CertPath.CPS_LEAF_DER), sub_certificates=SubCertificates(
            certificates=[load_cert(CertPath.CPS_SUB_CA2_DER), load_cert(CertPath.CPS_SUB_CA1_DER)])),
        contract_cert_chain=CertificateChain(id="id1", certificate=load_cert(CertPath.CONTRACT_LEAF_DER), sub_certificates=SubCertificates(
            certificates=[load_cert(CertPath.MO_SUB_CA2_DER), load_cert(CertPath.MO_SUB_CA1_DER)])),
        encrypted_private_key=EncryptedPrivateKey(id="id2", value=encrypted),
        dh_public_key=DHPublicKey(id="id3", value=dh_public),
        emaid=EMAID(id="id4", value=get_cert_cn(load_cert(CertPath.CONTRACT_LEAF_DER))))
    signed = [(part.id, EXI().to_exi(part, Namespace.ISO_V2_MSG_DEF)) for part in
              (response.contract_cert_chain, response.encrypted_private_key, response.dh_public_key, response.emaid)]
    signature = create_signature(signed, load_priv_key(KeyPath.CPS_LEAF_PEM, KeyEncoding.PEM, KeyPasswordPath.CPS_LEAF_KEY_PASSWORD))
    message = V2GMessage(header=MessageHeader(session_id=request.header.session_id, signature=signature),
                         body=Body(certificate_installation_res=response))
    return base64.b64encode(EXI().to_exi(message, Namespace.ISO_V2_MSG_DEF)).decode()


def main():
    load_shared_settings()  # PKI_PATH from the environment
    EXI().get_exi_codec()
    print("ready", file=ANSWERS, flush=True)
    for line in sys.stdin:
        try:
            print(answer(line.strip()), file=ANSWERS, flush=True)
        except Exception as e:  # the test reads the reason
            print("error " + repr(e).replace("\n", " "), file=ANSWERS, flush=True)


if __name__ == "__main__":
    main()
