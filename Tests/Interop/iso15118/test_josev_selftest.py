"""The recipe of the ISO 15118 suites, checked on its own: Josev's EVCC against Josev's reference SECC completes an
ISO 15118-2 AC session with external identification (EIM) in two network namespaces joined by a veth pair — SDP,
supportedAppProtocol, SessionSetup, ServiceDiscovery, PaymentServiceSelection, Authorization,
ChargeParameterDiscovery, PowerDelivery, ChargingStatus, PowerDelivery, SessionStop. When this fails, the harness
(josev.py) or the machine (Java, the venv, namespaces) is broken, not ChargeKit."""
import json
import time

import pytest

import josev


@pytest.fixture(scope="module")
def link():
    reason = josev.skip_reason()
    if reason:
        pytest.skip(reason)
    with josev.LinkPair() as pair:
        yield pair


def test_pki_script_makes_the_iso2_chains(tmp_path):
    """The PKI fixture of the Plug & Charge suites: the wheel's create_certs.sh with the system's openssl."""
    if josev.skip_reason():
        pytest.skip(josev.skip_reason())
    pki = josev.make_pki(tmp_path)
    certs = {p.name for p in (tmp_path / "pki" / "iso15118_2" / "certs").iterdir()}
    assert {"seccLeafCert.pem", "cpoSubCA1Cert.pem", "cpoSubCA2Cert.pem", "v2gRootCACert.pem", "contractLeafCert.pem"} <= certs, certs
    assert pki.endswith("/pki/")


def test_josev_evcc_completes_an_ac_eim_session_with_josev_secc(link, tmp_path):
    # Two ChargingStatus rounds instead of the example's ten: the session is the same, the run shorter.
    config = json.loads(josev.evcc_config().read_text())
    config["chargeLoopCycle"] = 2
    (tmp_path / "evcc.json").write_text(json.dumps(config))
    started = time.monotonic()
    secc = josev.start_secc(link.station, tmp_path, timeout_scale=5)
    try:
        secc.wait_for(josev.SECC_READY, timeout=120)
        evcc = josev.start_evcc(link.ev, tmp_path, config=tmp_path / "evcc.json", timeout_scale=5)
        try:
            evcc.wait_for(r"SDPResponse received: .*Security: NO_TLS", timeout=120, fail=josev.EVCC_GAVE_UP)
            evcc.wait_for(r"Chosen protocol: ISO_15118_2", timeout=60, fail=josev.EVCC_GAVE_UP)
            evcc.wait_for(r"SessionStopRes received", timeout=120, fail=josev.EVCC_GAVE_UP)
        finally:
            evcc.stop()
    finally:
        secc.stop()
    seen = [line.split(" received")[0].rsplit(" ", 1)[-1] for line in secc.text().splitlines() if line.endswith("Req received")]
    assert seen[:8] == ["supportedAppProtocolReq", "SessionSetupReq", "ServiceDiscoveryReq", "PaymentServiceSelectionReq",
                        "AuthorizationReq", "ChargeParameterDiscoveryReq", "PowerDeliveryReq", "ChargingStatusReq"], seen
    assert seen[-2:] == ["PowerDeliveryReq", "SessionStopReq"], seen
    assert '"EVCCID"' in evcc.text(), "the vehicle sends its EVCCID (the base of Autocharge)"
    print(f"Josev EVCC ↔ Josev SECC, AC EIM session: {time.monotonic() - started:.1f} s")
