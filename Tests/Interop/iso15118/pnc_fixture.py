"""Writes the Plug & Charge fixture of the Swift SECC tests (Tests/SECCTests/Fixtures/josev-pnc.json) with Josev
(EcoG-io's iso15118 0.31.2) as the independent vehicle: a PaymentDetailsReq with the contract chain and an
AuthorizationReq signed with the contract key exactly as Josev's EVCC signs it (ISO 15118-2:2014 §7.9.2.4, Annex J.2),
EXI-encoded by Josev's codec, plus the roots the station would have installed.

Run with Josev's python (its venv, `.venv-josev`), after making a PKI with the wheel's create_certs.sh (josev.make_pki):

    PKI_PATH=<pki>/ .venv-josev/bin/python Tests/Interop/iso15118/pnc_fixture.py OUT.json
"""
import json
import sys

from iso15118.shared.exi_codec import EXI
from iso15118.shared.messages.enums import Namespace, Protocol
from iso15118.shared.messages.iso15118_2.body import AuthorizationReq, Body, PaymentDetailsReq
from iso15118.shared.messages.iso15118_2.header import MessageHeader
from iso15118.shared.messages.iso15118_2.msgdef import V2GMessage
from iso15118.shared.settings import load_shared_settings
from iso15118.shared.security import (CertPath, KeyEncoding, KeyPasswordPath, KeyPath, create_signature, get_cert_cn,
                                      load_cert, load_cert_chain, load_priv_key)

SESSION_ID = "A1B2C3D4E5F60718"
CHALLENGE = bytes(range(0x10, 0x20))


def encode(body, signature=None):
    message = V2GMessage(header=MessageHeader(session_id=SESSION_ID, signature=signature),
                         body=Body.parse_obj({str(body): body.dict()}))
    return EXI().to_exi(message, Namespace.ISO_V2_MSG_DEF).hex()


def main(out):
    load_shared_settings()  # PKI_PATH from the environment
    EXI().get_exi_codec()  # starts the Java codec (EXIficient through py4j), as Josev's programs do at start
    emaid = get_cert_cn(load_cert(CertPath.CONTRACT_LEAF_DER))
    chain = load_cert_chain(protocol=Protocol.ISO_15118_2, leaf_path=CertPath.CONTRACT_LEAF_DER,
                            sub_ca2_path=CertPath.MO_SUB_CA2_DER, sub_ca1_path=CertPath.MO_SUB_CA1_DER)
    payment = PaymentDetailsReq(emaid=emaid, cert_chain=chain)
    key = load_priv_key(KeyPath.CONTRACT_LEAF_PEM, KeyEncoding.PEM, KeyPasswordPath.CONTRACT_LEAF_KEY_PASSWORD)
    authorization = AuthorizationReq(id="id1", gen_challenge=CHALLENGE)
    signature = create_signature([(authorization.id, EXI().to_exi(authorization, Namespace.ISO_V2_MSG_DEF))], key)
    other = AuthorizationReq(id="id1", gen_challenge=bytes(16))
    wrong_challenge = create_signature([(other.id, EXI().to_exi(other, Namespace.ISO_V2_MSG_DEF))], key)
    fixture = {
        "generator": "Tests/Interop/iso15118/pnc_fixture.py with iso15118 0.31.2 (Josev)",
        "sessionID": SESSION_ID,
        "genChallenge": CHALLENGE.hex(),
        "eMAID": emaid,
        "paymentDetailsReq": encode(payment),
        "authorizationReq": encode(authorization, signature),
        "authorizationReqZeroChallenge": encode(other, wrong_challenge),
        "moRoot": load_cert(CertPath.MO_ROOT_DER).hex(),
        "v2gRoot": load_cert(CertPath.V2G_ROOT_DER).hex(),
        "contractLeaf": load_cert(CertPath.CONTRACT_LEAF_DER).hex(),
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
