"""Writes the ISO 15118-20 Plug & Charge fixture of the Swift SECC tests (Tests/SECCTests/Fixtures/josev-pnc20.json)
with Josev (EcoG-io's iso15118 0.31.2) as the independent vehicle: AuthorizationReq selecting PnC, its
PnC_AReqAuthorizationMode carrying the contract chain and the SECC's GenChallenge, signed with the contract key exactly
as Josev's -20 EVCC signs it (ISO 15118-20:2022 §8.3.4.3: the header's Signature references the element's Id; the
element's digest is over its EXI fragment of the CommonMessages schema), EXI-encoded by Josev's codec, plus the roots
the station would have installed.

Run with Josev's python (its venv, `.venv-josev`), after making a -20 PKI with the wheel's create_certs.sh
(josev.make_pki(directory, "iso-20")):

    PKI_PATH=<pki>/ .venv-josev/bin/python Tests/Interop/iso15118/pnc20_fixture.py OUT.json
"""
import json
import sys

from iso15118.shared.exi_codec import EXI
from iso15118.shared.messages.enums import AuthEnum, Namespace, Protocol
from iso15118.shared.messages.iso15118_20.common_messages import AuthorizationReq, PnCAuthReqParams
from iso15118.shared.messages.iso15118_20.common_types import MessageHeader
from iso15118.shared.settings import load_shared_settings
from iso15118.shared.security import (CertPath, KeyEncoding, KeyPasswordPath, KeyPath, create_signature, get_cert_cn,
                                      load_cert, load_cert_chain, load_priv_key)

SESSION_ID = "A1B2C3D4E5F60718"
CHALLENGE = bytes(range(0x20, 0x30))
TIMESTAMP = 1_798_761_600


def signed_request(chain, key, challenge):
    params = PnCAuthReqParams(gen_challenge=challenge, contract_cert_chain=chain, id="id1")
    signature = create_signature([(params.id, EXI().to_exi(params, Namespace.ISO_V20_COMMON_MSG))], key)
    request = AuthorizationReq(header=MessageHeader(session_id=SESSION_ID, timestamp=TIMESTAMP, signature=signature),
                               selected_auth_service=AuthEnum.PNC, pnc_params=params)
    return EXI().to_exi(request, Namespace.ISO_V20_COMMON_MSG).hex()


def main(out):
    load_shared_settings()  # PKI_PATH from the environment
    EXI().get_exi_codec()  # starts the Java codec (EXIficient through py4j), as Josev's programs do at start
    chain = load_cert_chain(protocol=Protocol.ISO_15118_20_AC, leaf_path=CertPath.CONTRACT_LEAF_DER,
                            sub_ca2_path=CertPath.MO_SUB_CA2_DER, sub_ca1_path=CertPath.MO_SUB_CA1_DER)
    key = load_priv_key(KeyPath.CONTRACT_LEAF_PEM, KeyEncoding.PEM, KeyPasswordPath.CONTRACT_LEAF_KEY_PASSWORD)
    fixture = {
        "generator": "Tests/Interop/iso15118/pnc20_fixture.py with iso15118 0.31.2 (Josev)",
        "sessionID": SESSION_ID,
        "genChallenge": CHALLENGE.hex(),
        "eMAID": get_cert_cn(load_cert(CertPath.CONTRACT_LEAF_DER)),
        "authorizationReq": signed_request(chain, key, CHALLENGE),
        "authorizationReqZeroChallenge": signed_request(chain, key, bytes(16)),
        "moRoot": load_cert(CertPath.MO_ROOT_DER).hex(),
        "v2gRoot": load_cert(CertPath.V2G_ROOT_DER).hex(),
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
