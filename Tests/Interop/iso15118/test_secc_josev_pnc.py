"""Issue 27: Plug & Charge end to end — the simulated station's SECC over TLS against Josev's EVCC (PyPI `iso15118`
0.31.2, `iso15118_2/evcc_config_pnc_ac.json`) with the ISO 15118-2 Annex F PKI that Josev's create_certs.sh makes.

The station holds what the backend would have installed over OCPP (tested on its own in
Tests/Interop/ocpp16/test_pnc_extension.py: InstallCertificate, SignCertificate/CertificateSigned): the SECC chain
(Josev's SECC leaf under its CPO Sub-CAs) with its key, and the V2G and MO roots, written into its certificate store
before it starts. Its backend is the `ocpp` library's central system of the OCPP suite (central_system.py), run in the
station's network namespace, which answers the note's Authorize. What the test holds the station to, on both sides'
logs, the central system's frames and the station's API:
- SDP offers TLS to the vehicle that asks for it; Josev's vehicle checks the SECC chain against its V2G root and speaks
  TLS 1.2 with ISO 15118-2's cipher suite;
- the contract is offered and chosen; PaymentDetailsReq's chain is checked against the installed MO root and the eMAID;
  AuthorizationReq's signature over the station's challenge verifies with the contract key;
- the station asks the backend with the note's Authorize (DataTransfer org.openchargealliance.iso15118pnc, the eMAID and
  the chain's OCSP data); its acceptance authorizes the session (method Plug & Charge); the vehicle charges and ends
  its session;
- the backend's charging profile reaches the vehicle as a renegotiated schedule, its RemoteStopTransaction as
  StopCharging."""
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ocpp.v16 import call

import josev

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import slac_ev as slac  # noqa: E402
from station import cli, wait_for  # noqa: E402
from test_secc_josev import EVCC_TIMEOUT_SCALE, ev_mac, res, skip_without_josev, station_on_link  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import CentralSystem  # noqa: E402

EMAID = "UKSWI123456791A"  # the contract leaf's CN in Josev's PKI


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def provision(data, pki):
    """The certificate store as the backend would leave it: the SECC credential (chain leaf first, key unencrypted,
    0600) and the two roots (Persistence/CertificateDirectory.swift's layout)."""
    certs, keys = Path(pki) / "iso15118_2" / "certs", Path(pki) / "iso15118_2" / "private_keys"
    store = data / "certificates"
    secc = store / "secc" / "00000001"
    secc.mkdir(parents=True)
    (secc / "chain.pem").write_text((certs / "cpoCertChain.pem").read_text())
    key = openssl("pkey", "-in", str(keys / "seccLeaf.key"), "-passin", f"file:{keys / 'seccLeafPassword.txt'}")
    (secc / "key.pem").write_text(key)
    os.chmod(secc / "key.pem", 0o600)
    for use, name in (("V2GRootCertificate", "v2gRootCACert.pem"), ("MORootCertificate", "moRootCACert.pem")):
        d = store / "roots" / use
        d.mkdir(parents=True)
        (d / "00000001.pem").write_text((certs / name).read_text())
    os.chmod(store, 0o700)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    skip_without_josev()
    directory = tmp_path_factory.mktemp("pnc")
    pki = josev.make_pki(directory)
    central = []

    def configure(pair, data):
        # The central system's loop thread is made inside the station's namespace, so its socket lives there.
        central.append(pair.station.call(lambda: CentralSystem().start()))
        for key, value in (("HLCMode", "plugAndCharge"), ("ISO15118OCPPExtension", "Ebee"),
                           ("BackendURL", central[0].url), ("ChargeBoxIdentity", "CK-PNC-01")):
            r = cli("config", "set", key, value, "--role", "manufacturer", data_dir=data)
            assert r.returncode == 0, r.stderr
        provision(data, pki)

    try:
        with station_on_link(directory, configure, time_scale=1, ready=r".*TLS on port") as (pair, station, log, line):
            yield pair, station, log, line, directory, pki, central[0]
    finally:
        for cs in central:
            cs.shutdown()


def answer_authorize(cs, asked=None):
    """The central system answers the note's Authorize with Accepted (recording each DataTransfer in `asked`)."""
    def handler(vendor, message_id, data):
        if asked is not None:
            asked.append((vendor, message_id, json.loads(data or "{}")))
        if message_id != "Authorize":
            return "UnknownMessageId", None
        return "Accepted", json.dumps({"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"})
    cs.data_transfer = handler


def plug_and_start(rig, name, evcc_config="iso15118_2/evcc_config_pnc_ac.json", env=None, **config):
    """Plugs the external vehicle, runs its SLAC and starts Josev's PnC EVCC (TLS) with `config` over the wheel's."""
    pair, station, log, line, directory, pki, cs = rig
    code, body = station.request("POST", "/api/sim/plug", {"connector": 1, "hlc": "external"})
    assert code == 200, body
    ev = slac.EV(line, bytes.fromhex(ev_mac(pair).replace(":", "")), attenuation_db=20)
    assert pair.ev.call(ev.match, timeout=40)["result"] == "matched"
    run = directory / name
    run.mkdir()
    settings = json.loads(josev.evcc_config(evcc_config).read_text())
    settings.update(config)
    (run / "evcc.json").write_text(json.dumps(settings))
    return josev.start_evcc(pair.ev, run, config=run / "evcc.json", pki_path=pki, timeout_scale=EVCC_TIMEOUT_SCALE, env=env)


def test_iso2_pnc_contract_over_tls_authorizes_and_charges(rig):
    pair, station, log, line, directory, pki, cs = rig
    asked = []
    answer_authorize(cs, asked)
    evcc = plug_and_start(rig, "evcc", chargeLoopCycle=4, chargeLoopDelay=1)
    try:
        evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"OK_SuccessfulNegotiation"'), fail=josev.EVCC_GAVE_UP, timeout=60)
        evcc.wait_for(res("ServiceDiscoveryRes", '.*"PaymentOption":\\["Contract","ExternalPayment"\\]'))
        log.wait_for(r"speaks TLS 1\.2")
        evcc.wait_for(res("PaymentDetailsRes", '"ResponseCode":"OK"'))
        log.wait_for(r"presents contract " + EMAID)
        evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Finished"'), timeout=60)
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"] == EMAID and c["session"]["method"] == "PlugAndCharge", c
        [(vendor, _, request)] = [a for a in asked if a[1] == "Authorize"]
        assert vendor == "org.openchargealliance.iso15118pnc" and request["idToken"] == {"idToken": EMAID, "type": "eMAID"}
        assert 1 <= len(request["iso15118CertificateHashData"]) <= 4, request
        evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'), timeout=60)
        log.wait_for(r"ISO 15118: SessionStop Terminate")
        assert re.search(r"SDP request .*security tls.*answered port \d+, security tls", log.text()), "TLS offered by SDP"
    finally:
        evcc.stop()
        station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})
    assert "Security: TLS" in evcc.text(), "the vehicle asked for TLS and got it"


def test_iso2_pnc_backend_profile_renegotiated_and_remote_stop(rig):
    """The backend's charging profile reaches the vehicle as its schedule: SetChargingProfile (TxDefaultProfile, 10 A)
    during the session → ChargingStatusRes with ReNegotiation → the vehicle's PowerDelivery Renegotiate →
    ChargeParameterDiscoveryRes with PMax 10 A × 230 V × 3 = 6,900 W and EVSEMaxCurrent 10 A; RemoteStopTransaction
    → StopCharging → the vehicle stops and ends its session."""
    pair, station, log, line, directory, pki, cs = rig
    answer_authorize(cs)
    evcc = plug_and_start(rig, "evcc-profile", chargeLoopCycle=60, chargeLoopDelay=1)
    try:
        evcc.wait_for(res("ChargingStatusRes"), fail=josev.EVCC_GAVE_UP, timeout=90)
        station.wait_status(1, "Charging")
        start = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        profile = {"chargingProfileId": 5, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
                   "chargingProfileKind": "Absolute", "chargingSchedule": {
                       "chargingRateUnit": "A", "startSchedule": start, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)).status == "Accepted"
        evcc.wait_for(res("ChargingStatusRes", '.*"EVSENotification":"ReNegotiation"'), timeout=30)
        evcc.wait_for(r'Message to encode.*"PowerDeliveryReq": \{"ChargeProgress": "Renegotiate"')
        cpd = evcc.wait_for(res("ChargeParameterDiscoveryRes"), timeout=30)
        assert '"PMax":{"Multiplier":0,"Unit":"W","Value":6900}' in cpd, cpd
        evcc.wait_for(res("ChargingStatusRes", '.*"EVSEMaxCurrent":\\{"Multiplier":0,"Unit":"A","Value":10\\}'), timeout=30)
        assert cs.call(call.RemoteStopTransaction(transaction_id=cs.last_transaction_id)).status == "Accepted"
        evcc.wait_for(res("ChargingStatusRes", '.*"EVSENotification":"StopCharging"'), timeout=30)
        evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'), timeout=30)
        wait_for(lambda: "session" not in station.connector(1), what="the transaction stopped")
    finally:
        evcc.stop()
        station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})


def test_iso20_pnc_contract_over_tls13_authorizes_and_charges(rig):
    """ISO 15118-20 with Plug & Charge: Josev's -20 vehicle (`iso15118_20/evcc_config_ac.json` with TLS, and TLS 1.3 as
    -20 asks, ENABLE_TLS_1_3) connects over TLS, so the station negotiates -20 without "ISO 15118-20 without TLS";
    AuthorizationSetupRes offers EIM and PnC with the challenge; the vehicle's AuthorizationReq carries the contract
    chain and its signature over PnC_AReqAuthorizationMode; the station checks them, asks the backend (the note's
    Authorize) and answers Finished once accepted; the vehicle charges in the Dynamic mode and ends its session."""
    pair, station, log, line, directory, pki, cs = rig
    asked = []
    answer_authorize(cs, asked)
    # An earlier test's session left the eMAID in the authorization cache: the backend is to be asked again.
    assert cs.call(call.ClearCache()).status == "Accepted"
    evcc = plug_and_start(rig, "evcc20", evcc_config="iso15118_20/evcc_config_ac.json", env={"ENABLE_TLS_1_3": "True"},
                          useTls=True, chargeLoopCycle=4, chargeLoopDelay=1)
    try:
        evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"OK_SuccessfulNegotiation"'), fail=josev.EVCC_GAVE_UP, timeout=60)
        evcc.wait_for(res("AuthorizationSetupRes", '.*"AuthorizationServices":\\["EIM","PnC"\\]'))
        log.wait_for(r"speaks TLS 1\.3")
        log.wait_for(r"presents contract " + EMAID)
        evcc.wait_for(res("AuthorizationRes", '.*"ResponseCode":"OK","EVSEProcessing":"Finished"'), timeout=60)
        evcc.wait_for(res("AC_ChargeLoopRes"), timeout=60)
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"] == EMAID and c["session"]["method"] == "PlugAndCharge", c
        assert [a[1] for a in asked].count("Authorize") == 1, asked
        evcc.wait_for(res("SessionStopRes", '.*"ResponseCode":"OK"'), timeout=60)
        log.wait_for(r"ISO 15118: SessionStop Terminate")
    finally:
        evcc.stop()
        station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})
    assert "Security: TLS" in evcc.text(), "the vehicle asked for TLS and got it"


class CertificateService:
    """Josev's certificate provisioning service (cps_peer.py), one process for the test, with the Java codec warm so
    that an answer comes within the station's 4.5 s."""

    def __init__(self, pki, log_path):
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([josev.josev_python(), str(Path(__file__).with_name("cps_peer.py"))], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        env={**os.environ, "PKI_PATH": pki})
        line = self.process.stdout.readline().strip()
        assert line == "ready", f"the CPS did not start: {line!r} (see {log_path})"

    def answer(self, exi_request):
        self.process.stdin.write(exi_request + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()
        assert not line.startswith("error"), line
        return line

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.log.close()


def test_iso2_pnc_certificate_installation_through_the_backend(rig):
    """ISO 15118-2 certificate installation: Josev's vehicle without a contract (`isCertInstallNeeded`) selects the
    certificate service the station offers, sends CertificateInstallationReq signed with its OEM provisioning key; the
    station hands it whole to the backend (DataTransfer Get15118EVCertificate, action Install, the -2 schema), whose
    CPS (Josev's, cps_peer.py) answers with the contract and its key encrypted for the vehicle; the station sends that
    answer unchanged, the vehicle checks the CPS signature, decrypts its key, presents the new contract in
    PaymentDetailsReq and charges under it."""
    pair, station, log, line, directory, pki, cs = rig
    own_pki = str(directory / "pki-install") + "/"
    shutil.copytree(pki, own_pki)  # the vehicle writes the contract it receives into its PKI folder
    cps = CertificateService(own_pki, directory / "cps.log")
    asked = []

    def backend(vendor, message_id, data):
        asked.append((vendor, message_id, json.loads(data or "{}")))
        if message_id == "Get15118EVCertificate":
            return "Accepted", json.dumps({"status": "Accepted", "exiResponse": cps.answer(asked[-1][2]["exiRequest"])})
        if message_id == "Authorize":
            return "Accepted", json.dumps({"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"})
        return "UnknownMessageId", None
    cs.data_transfer = backend
    assert cs.call(call.ClearCache()).status == "Accepted"
    code, body = station.request("POST", "/api/sim/plug", {"connector": 1, "hlc": "external"})
    assert code == 200, body
    ev = slac.EV(line, bytes.fromhex(ev_mac(pair).replace(":", "")), attenuation_db=20)
    assert pair.ev.call(ev.match, timeout=40)["result"] == "matched"
    run = directory / "evcc-install"
    run.mkdir()
    settings = json.loads(josev.evcc_config("iso15118_2/evcc_config_pnc_ac.json").read_text())
    settings.update(isCertInstallNeeded=True, chargeLoopCycle=4, chargeLoopDelay=1)
    (run / "evcc.json").write_text(json.dumps(settings))
    evcc = josev.start_evcc(pair.ev, run, config=run / "evcc.json", pki_path=own_pki, timeout_scale=EVCC_TIMEOUT_SCALE)
    try:
        evcc.wait_for(res("ServiceDiscoveryRes", '.*"ServiceList":\\{"Service":\\[\\{"ServiceID":2'), fail=josev.EVCC_GAVE_UP, timeout=60)
        evcc.wait_for(res("CertificateInstallationRes", '"ResponseCode":"OK"'), timeout=60)
        evcc.wait_for(res("PaymentDetailsRes", '"ResponseCode":"OK"'), timeout=60)
        evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Finished"'), timeout=60)
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"] == EMAID and c["session"]["method"] == "PlugAndCharge", c
        [(vendor, _, request)] = [a for a in asked if a[1] == "Get15118EVCertificate"]
        assert vendor == "org.openchargealliance.iso15118pnc"
        assert request["action"] == "Install" and request["iso15118SchemaVersion"] == "urn:iso:15118:2:2013:MsgDef", request
        evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'), timeout=60)
    finally:
        evcc.stop()
        cps.close()
        station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})
