"""ISO 15118 Plug & Charge over OCPP 1.6J (issue 27 item 6): the OCA application note "Using ISO 15118 Plug & Charge
with OCPP 1.6" v1.0 — OCPP 2.0.1 messages in DataTransfer, vendorId org.openchargealliance.iso15118pnc, messageId the
2.0.1 action, data the 2.0.1 payload as JSON text — against the Python `ocpp` library (2.1.0) as central system: its
v201 payload classes build the inner requests, its bundled OCPP 2.0.1 JSON schemas check every inner payload the
station sends and answers. The tests are named after the 2.0.1 use cases the note refers to (A02, C07, M01, M03–M06).

The ISO 15118-2 Annex F hierarchies are made per run by openssl: V2G root → CPO Sub-CA 1 → CPO Sub-CA 2 → SECC leaf
(signed from the station's CSR), and MO root → MO Sub-CA → contract leaf (CN = eMAID). openssl also computes every
certificate hash (its OCSP CertID) independently of ChargeKit's code."""
import base64
import json
import stat
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import jsonschema
import ocpp
import pytest
from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.v16 import call
from ocpp.v201 import call as call201

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import csr_subject, make_root, ocsp_hash_data, openssl  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import wait_for  # noqa: E402

VENDOR = "org.openchargealliance.iso15118pnc"
CPO = "ChargeKit CPO"
EMAID = "DE8AACA2B3C4D5N"
SCHEMAS = Path(ocpp.__file__).parent / "v201" / "schemas"


def check_201(name, payload):
    """Validates an inner payload against the OCPP 2.0.1 JSON schema the ocpp library ships (e.g. AuthorizeRequest)."""
    jsonschema.validate(payload, json.loads((SCHEMAS / f"{name}.json").read_text()))
    return payload


def inner(payload):
    """A v201 payload dataclass as the note's data: camelCase JSON text without the absent fields."""
    return json.dumps(snake_to_camel_case(remove_nones(asdict(payload))))


def pnc(cs, payload, vendor=VENDOR, message_id=None, data=None):
    """Sends the note's DataTransfer for a v201 payload (or raw messageId/data) and returns (status, parsed data)."""
    action = type(payload).__name__ if payload is not None else message_id
    r = cs.call(call.DataTransfer(vendor_id=vendor, message_id=action, data=inner(payload) if payload is not None else data))
    if r.status == "Accepted":
        answer = json.loads(r.data)
        check_201(f"{action}Response", answer)
        return r.status, answer
    return r.status, r.data


# -- the ISO 15118-2 Annex F hierarchies ------------------------------------------------------------------------------

def ca(d, name, issuer=None, pathlen=None, ocsp=None):
    """A P-256 CA `name`.pem/.key: self-signed (a root) or issued by `issuer`."""
    ext = f"basicConstraints=critical,CA:TRUE{f',pathlen:{pathlen}' if pathlen is not None else ''}\nkeyUsage=critical,keyCertSign,cRLSign\n"
    if ocsp:
        ext += f"authorityInfoAccess=OCSP;URI:{ocsp}\n"
    (d / f"{name}.ext").write_text(ext)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
    openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/O=ChargeKit Test/CN={name}", cwd=d)
    signer = ["-signkey", f"{name}.key"] if issuer is None else ["-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key", "-CAcreateserial"]
    openssl("x509", "-req", "-in", f"{name}.csr", *signer, "-out", f"{name}.pem", "-days", "30", "-extfile", f"{name}.ext", cwd=d)
    return (d / f"{name}.pem").read_text()


def leaf(d, name, issuer, csr=None, subject=None, ocsp=None):
    """A leaf issued by `issuer`: from `csr` (its subject kept) or a new P-256 key with `subject`."""
    ext = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n"
    if ocsp:
        ext += f"authorityInfoAccess=OCSP;URI:{ocsp}\n"
    (d / f"{name}.ext").write_text(ext)
    if csr is None:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
        openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
    else:
        (d / f"{name}.csr").write_text(csr)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "30", "-extfile", f"{name}.ext", cwd=d)
    return (d / f"{name}.pem").read_text()


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    ca(d, "v2g-root")
    ca(d, "cpo-sub1", "v2g-root", pathlen=1)
    ca(d, "cpo-sub2", "cpo-sub1", pathlen=0, ocsp="http://ocsp.cpo.example/sub2")
    ca(d, "mo-root")
    ca(d, "mo-sub", "mo-root", pathlen=0, ocsp="http://ocsp.mo.example/sub")
    return d


@pytest.fixture
def station(make_station):
    return make_station(config=[("CpoName", CPO), ("ISO15118OCPPExtension", "Ebee")], connectors=1)


def install(cs, kind, pem):
    return pnc(cs, call201.InstallCertificate(certificate_type=kind, certificate=pem))


def installed(cs, kinds=None):
    status, answer = pnc(cs, call201.GetInstalledCertificateIds(certificate_type=kinds))
    assert status == "Accepted"
    return answer


def chain_entry(h):
    return {k: (v.lower().lstrip("0") or "0") if k == "serialNumber" else v.lower() if k != "hashAlgorithm" else v for k, v in h.items()}


def request_v2g_csr(cs):
    mark = cs.mark()
    seen = []

    def answer(vendor, message_id, data):
        seen.append((vendor, message_id, data))
        return "Accepted", json.dumps({"status": "Accepted"})
    cs.data_transfer = answer
    assert pnc(cs, call201.TriggerMessage(requested_message="SignV2GCertificate")) == ("Accepted", {"status": "Accepted"})
    cs.wait_call("DataTransfer", lambda p: p.get("messageId") == "SignCertificate", since=mark)
    wait_for(lambda: seen, what="the central system's handler to see the SignCertificate")
    vendor, message_id, data = seen[0]
    assert (vendor, message_id) == (VENDOR, "SignCertificate")
    request = check_201("SignCertificateRequest", json.loads(data))
    assert request["certificateType"] == "V2GCertificate"
    return request["csr"]


def log_types(station):
    code, log = station.get("/api/security-log?limit=100")
    assert code == 200
    return [(e["type"], e.get("techInfo") or "") for e in log]


# -- M05 / M03 / M04: the roots ----------------------------------------------------------------------------------------

def test_M05_install_CA_certificate_V2G_and_MO_roots_listed_by_M03(cs, station, pki):
    """M05 via the note: V2GRootCertificate and MORootCertificate → Accepted, stored before the answer (files under
    certificates/roots/…); M03: GetInstalledCertificateIds lists each with the hashes openssl computes, per type and all
    at once; NotFound before. The security log records each installation (a local CertificateChanged event)."""
    assert pnc(cs, call201.GetInstalledCertificateIds(certificate_type=["V2GRootCertificate"]))[1]["status"] == "NotFound"
    assert install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text()) == ("Accepted", {"status": "Accepted"})
    assert install(cs, "MORootCertificate", (pki / "mo-root.pem").read_text()) == ("Accepted", {"status": "Accepted"})
    # Installing the same root again changes nothing.
    assert install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text())[1]["status"] == "Accepted"
    stored = station.data_dir / "certificates" / "roots"
    assert [p.read_text() for p in sorted((stored / "V2GRootCertificate").iterdir())] == [(pki / "v2g-root.pem").read_text()]
    assert len(list((stored / "MORootCertificate").iterdir())) == 1

    answer = installed(cs, ["V2GRootCertificate"])
    assert answer["status"] == "Accepted"
    assert [(c["certificateType"], chain_entry(c["certificateHashData"])) for c in answer["certificateHashDataChain"]] == [
        ("V2GRootCertificate", ocsp_hash_data(pki, "v2g-root", "v2g-root"))]
    every = installed(cs)
    assert sorted(c["certificateType"] for c in every["certificateHashDataChain"]) == ["MORootCertificate", "V2GRootCertificate"]
    changes = [info for t, info in log_types(station) if t == "CertificateChanged"]
    assert any("V2GRootCertificate installed" in i for i in changes) and any("MORootCertificate installed" in i for i in changes)
    assert not any("BEGIN CERTIFICATE" in i for i in changes)


def test_M05_CSMS_root_through_the_note_is_the_security_extensions_central_system_root(cs, station, pki):
    """CSMSRootCertificate of the note is the security extension's CentralSystemRootCertificate: installed with its rules
    and listed by both the 1.6 GetInstalledCertificateIds and the note's."""
    root = make_root(pki, "csms-root")
    assert install(cs, "CSMSRootCertificate", root)[1]["status"] == "Accepted"
    assert cs.call(call.GetInstalledCertificateIds(certificate_type="CentralSystemRootCertificate")).status == "Accepted"
    answer = installed(cs, ["CSMSRootCertificate"])
    assert [chain_entry(c["certificateHashData"]) for c in answer["certificateHashDataChain"]] == [ocsp_hash_data(pki, "csms-root", "csms-root")]


@pytest.mark.parametrize("garbage", ["not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "leaf"],
                         ids=["text", "bad-der", "not-a-ca"])
def test_M05_install_CA_certificate_garbage_is_rejected_and_nothing_stored(cs, station, pki, garbage):
    """A garbage certificate, a PEM block that is no X.509, and a leaf that is no CA → the 2.0.1 answer Rejected with a
    statusInfo naming why (DataTransfer itself Accepted: the request was well-formed); nothing is stored, the security
    log says it was refused."""
    if garbage == "leaf":
        garbage = leaf(pki, "some-leaf", "mo-sub", subject="/CN=some leaf")
    status, answer = install(cs, "V2GRootCertificate", garbage)
    assert status == "Accepted" and answer["status"] == "Rejected"
    assert answer["statusInfo"]["reasonCode"] == "InvalidCertificate" and answer["statusInfo"]["additionalInfo"]
    assert not (station.data_dir / "certificates" / "roots" / "V2GRootCertificate").exists() or \
        not list((station.data_dir / "certificates" / "roots" / "V2GRootCertificate").iterdir())
    assert pnc(cs, call201.GetInstalledCertificateIds(certificate_type=["V2GRootCertificate"]))[1]["status"] == "NotFound"
    assert any(t == "CertificateChanged" and "V2GRootCertificate refused" in i for t, i in log_types(station))


def test_M04_delete_a_specific_certificate(cs, station, pki):
    """M04 via the note: the MO root named by openssl's hash data → Accepted and gone; again → NotFound."""
    install(cs, "MORootCertificate", (pki / "mo-root.pem").read_text())
    install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text())
    target = ocsp_hash_data(pki, "mo-root", "mo-root")
    assert pnc(cs, call201.DeleteCertificate(certificate_hash_data={
        "hash_algorithm": "SHA256", "issuer_name_hash": target["issuerNameHash"], "issuer_key_hash": target["issuerKeyHash"],
        "serial_number": target["serialNumber"]}))[1]["status"] == "Accepted"
    assert [c["certificateType"] for c in installed(cs)["certificateHashDataChain"]] == ["V2GRootCertificate"]
    again = pnc(cs, call201.DeleteCertificate(certificate_hash_data={
        "hash_algorithm": "SHA256", "issuer_name_hash": target["issuerNameHash"], "issuer_key_hash": target["issuerKeyHash"],
        "serial_number": target["serialNumber"]}))
    assert again[1]["status"] == "NotFound"
    assert any(t == "CertificateChanged" and "MORootCertificate deleted" in i for t, i in log_types(station))


def test_M05_installed_roots_survive_kill_9_after_the_answer(cs, station, pki):
    """Durable before acknowledged: kill -9 right after the Accepted answer, start again — the roots are there."""
    install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text())
    install(cs, "MORootCertificate", (pki / "mo-root.pem").read_text())
    connections = cs.connections
    mark = cs.mark()
    station.kill9()
    station.start()
    cs.wait_connected(connections + 1)
    cs.wait_status(0, "Available", since=mark)
    answer = installed(cs)
    assert sorted(c["certificateType"] for c in answer["certificateHashDataChain"]) == ["MORootCertificate", "V2GRootCertificate"]


# -- A02 / M06: the SECC certificate --------------------------------------------------------------------------------

def test_A02_update_V2G_charging_station_certificate_by_request_of_CSMS(cs, station, pki):
    """A02 via the note: TriggerMessage(SignV2GCertificate) → Accepted; SignCertificate (certificateType V2GCertificate)
    with a CSR that openssl verifies (CN = identity, O = CpoName, DC = CPO); the chain SECC leaf → CPO Sub-CA 2 → Sub-CA 1
    under the installed V2G root → CertificateSigned Accepted, stored with the pending key (mode 0600) before the answer;
    M03 lists it as V2GCertificateChain with its sub-CAs; M06: the station asks the OCSP status of its new chain."""
    install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text())
    csr = request_v2g_csr(cs)
    assert csr_subject(pki, csr) == f"DC=CPO,O={CPO},CN=CK-TEST-01"
    secc = leaf(pki, "secc", "cpo-sub2", csr=csr, ocsp="http://ocsp.cpo.example/secc")
    chain = secc + (pki / "cpo-sub2.pem").read_text() + (pki / "cpo-sub1.pem").read_text()
    mark = cs.mark()
    assert pnc(cs, call201.CertificateSigned(certificate_chain=chain, certificate_type="V2GCertificate")) == ("Accepted", {"status": "Accepted"})

    credentials = [p for p in (station.data_dir / "certificates" / "secc").iterdir() if p.is_dir()]
    assert [p.name for p in credentials] == ["00000001"]
    assert (credentials[0] / "chain.pem").read_text() == chain
    assert stat.S_IMODE((credentials[0] / "key.pem").stat().st_mode) == 0o600
    (pki / "secc.key").write_text((credentials[0] / "key.pem").read_text())
    pub_cert = subprocess.run(["openssl", "x509", "-in", "secc.pem", "-noout", "-pubkey"], cwd=pki, capture_output=True, text=True).stdout
    pub_key = subprocess.run(["openssl", "pkey", "-in", "secc.key", "-pubout"], cwd=pki, capture_output=True, text=True).stdout
    assert pub_cert and pub_cert == pub_key

    answer = installed(cs, ["V2GCertificateChain"])
    [entry] = answer["certificateHashDataChain"]
    assert entry["certificateType"] == "V2GCertificateChain"
    assert chain_entry(entry["certificateHashData"]) == ocsp_hash_data(pki, "secc", "cpo-sub2")
    assert [chain_entry(h) for h in entry["childCertificateHashData"]] == [ocsp_hash_data(pki, "cpo-sub2", "cpo-sub1"),
                                                                         ocsp_hash_data(pki, "cpo-sub1", "v2g-root")]
    # M06: GetCertificateStatus for each certificate of the chain, leaf first, with the responder of its AIA.
    asked = []
    for _ in range(3):
        p = cs.wait_call("DataTransfer", lambda p: p.get("messageId") == "GetCertificateStatus" and p["data"] not in asked, since=mark)
        asked.append(p["data"])
    requests = [check_201("GetCertificateStatusRequest", json.loads(a))["ocspRequestData"] for a in asked]
    assert [chain_entry({k: v for k, v in r.items() if k != "responderURL"}) for r in requests] == [
        ocsp_hash_data(pki, "secc", "cpo-sub2"), ocsp_hash_data(pki, "cpo-sub2", "cpo-sub1"), ocsp_hash_data(pki, "cpo-sub1", "v2g-root")]
    assert requests[0]["responderURL"] == "http://ocsp.cpo.example/secc"
    assert any(t == "CertificateChanged" and "V2G (SECC) certificate installed" in i for t, i in log_types(station))
    key = (credentials[0] / "key.pem").read_text().split("-----")[2].strip().splitlines()[0]
    assert key not in json.dumps(log_types(station)) and key not in str(station.status())


def test_A02_certificate_signed_that_does_not_match_the_CSR_is_rejected(cs, station, pki):
    """A chain for another key than the CSR's → Rejected (statusInfo says why), nothing installed, and the security event
    InvalidChargePointCertificate goes to the central system (as the security extension's CertificateSigned does)."""
    install(cs, "V2GRootCertificate", (pki / "v2g-root.pem").read_text())
    request_v2g_csr(cs)
    other = leaf(pki, "other", "cpo-sub2", subject=f"/DC=CPO/O={CPO}/CN=CK-TEST-01")
    chain = other + (pki / "cpo-sub2.pem").read_text() + (pki / "cpo-sub1.pem").read_text()
    mark = cs.mark()
    status, answer = pnc(cs, call201.CertificateSigned(certificate_chain=chain, certificate_type="V2GCertificate"))
    assert status == "Accepted" and answer["status"] == "Rejected"
    assert "key of the last V2G CSR" in answer["statusInfo"]["additionalInfo"]
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidChargePointCertificate", since=mark)
    assert not [p for p in (station.data_dir / "certificates" / "secc").iterdir() if p.is_dir()]
    assert pnc(cs, call201.GetInstalledCertificateIds(certificate_type=["V2GCertificateChain"]))[1]["status"] == "NotFound"
    # A chain that does not lead to an installed V2G root is refused too.
    csr = request_v2g_csr(cs)
    ca(pki, "rogue-root")
    rogue = leaf(pki, "rogue", "rogue-root", csr=csr)
    status, answer = pnc(cs, call201.CertificateSigned(certificate_chain=rogue, certificate_type="V2GCertificate"))
    assert answer["status"] == "Rejected" and "V2GRootCertificate" in answer["statusInfo"]["additionalInfo"]


# -- C07 / M01: the vehicle ---------------------------------------------------------------------------------------

def contract_chain(pki):
    contract = leaf(pki, "contract", "mo-sub", subject=f"/CN={EMAID}", ocsp="http://ocsp.mo.example/contract")
    path = pki / "contract-chain.pem"
    path.write_text(contract + (pki / "mo-sub.pem").read_text())
    return path


def test_C07_authorization_using_contract_certificates(cs, station, pki):
    """C07 via the note, driven by a simulated Plug & Charge vehicle: plugged with its contract chain, the station sends
    Authorize (2.0.1) with idToken {eMAID, type eMAID} and the OCSP data of the contract and its MO Sub-CA (the last named
    with the installed MO root) — the hashes openssl computes —, and on Accepted starts charging with the eMAID as idTag."""
    install(cs, "MORootCertificate", (pki / "mo-root.pem").read_text())
    asked = []

    def answer(vendor, message_id, data):
        asked.append((vendor, message_id, json.loads(data)))
        return "Accepted", json.dumps({"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"})
    cs.data_transfer = answer
    mark = cs.mark()
    r = station.sim("plug", "1", "--contract", str(contract_chain(pki)))
    assert r.returncode == 0, r.stderr
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == EMAID
    wait_for(lambda: asked, what="the Authorize DataTransfer")
    [(vendor, message_id, request)] = asked
    assert (vendor, message_id) == (VENDOR, "Authorize")
    check_201("AuthorizeRequest", request)
    assert request["idToken"] == {"idToken": EMAID, "type": "eMAID"}
    hashes = request["iso15118CertificateHashData"]
    assert [chain_entry({k: v for k, v in h.items() if k != "responderURL"}) for h in hashes] == [
        ocsp_hash_data(pki, "contract", "mo-sub"), ocsp_hash_data(pki, "mo-sub", "mo-root")]
    assert [h["responderURL"] for h in hashes] == ["http://ocsp.mo.example/contract", "http://ocsp.mo.example/sub"]
    assert not cs.calls("Authorize", since=mark), "the 1.6 Authorize is not used for a contract"
    cs.wait_status(1, "Charging", since=mark)


def test_C07_contract_refused_by_the_backend_does_not_charge(cs, station, pki):
    """The backend answers Invalid (or a certificateStatus other than Accepted): no transaction starts."""
    install(cs, "MORootCertificate", (pki / "mo-root.pem").read_text())
    cs.data_transfer = lambda v, m, d: ("Accepted", json.dumps({"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "CertificateRevoked"}))
    mark = cs.mark()
    assert station.sim("plug", "1", "--contract", str(contract_chain(pki))).returncode == 0
    cs.wait_call("DataTransfer", lambda p: p.get("messageId") == "Authorize", since=mark)

    def rejected():
        code, events = station.get("/api/events?limit=50")
        return code == 200 and any(e["kind"] == "authorizationRejected" and e.get("code") == EMAID for e in events)
    wait_for(rejected, what="the contract's rejection in the event log")
    assert station.connector(1).get("session") is None
    assert not cs.calls("StartTransaction", since=mark)


def test_C07_contract_that_is_not_a_certificate_is_the_plug_commands_error(cs, station, pki):
    (pki / "junk.pem").write_text("junk")
    r = station.sim("plug", "1", "--contract", str(pki / "junk.pem"))
    assert r.returncode != 0 and "contractCertificateChain" in r.stderr + r.stdout


def test_M01_certificate_installation_EV_relays_the_EXI_request(cs, station, pki):
    """M01 via the note: the vehicle's CertificateInstallationReq (EXI, base64) goes to the backend untouched as
    Get15118EVCertificate (action Install, the ISO 15118-2 schema version)."""
    exi = base64.b64encode(bytes(range(256)) * 4).decode()
    asked = []
    cs.data_transfer = lambda v, m, d: (asked.append((m, json.loads(d))), ("Accepted", json.dumps({"status": "Accepted", "exiResponse": "gA=="})))[1]
    mark = cs.mark()
    assert station.sim("plug", "1", "--certificate-installation-req", exi).returncode == 0
    cs.wait_call("DataTransfer", lambda p: p.get("messageId") == "Get15118EVCertificate", since=mark)
    wait_for(lambda: asked, what="the central system's handler to see the request")
    [(message_id, request)] = asked
    assert check_201("Get15118EVCertificateRequest", request) == {
        "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install", "exiRequest": exi}


# -- bad input ------------------------------------------------------------------------------------------------------

def test_bad_data_answers_rejected_unknown_message_id_or_unknown_vendor_id_never_a_crash(cs, station, pki):
    """The note's DataTransfer with data that breaks the 2.0.1 schema or is no JSON → Rejected with a reason naming the
    field (and the security event InvalidMessages); a messageId the note does not send to a charge point →
    UnknownMessageId; another vendor → UnknownVendorId. The station keeps answering."""
    cases = [
        ("InstallCertificate", json.dumps({"certificateType": "SomeRoot", "certificate": "x"}), "certificateType"),
        ("InstallCertificate", json.dumps({"certificateType": "V2GRootCertificate"}), "certificate is required"),
        ("InstallCertificate", json.dumps({"certificateType": "V2GRootCertificate", "certificate": "x", "extra": 1}), "extra"),
        ("CertificateSigned", json.dumps({"certificateChain": "x" * 10001}), "longer than 10000"),
        ("DeleteCertificate", "{not json", "not JSON"),
        ("GetInstalledCertificateIds", json.dumps({"certificateType": []}), "at least 1"),
        ("TriggerMessage", None, "data is required"),
    ]
    mark = cs.mark()
    for message_id, data, reason in cases:
        r = cs.call(call.DataTransfer(vendor_id=VENDOR, message_id=message_id, data=data))
        assert r.status == "Rejected", (message_id, data)
        assert reason in r.data, (reason, r.data)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidMessages", since=mark)
    r = cs.call(call.DataTransfer(vendor_id=VENDOR, message_id="Authorize", data="{}"))
    assert r.status == "UnknownMessageId" and "CertificateSigned" in r.data
    assert cs.call(call.DataTransfer(vendor_id=VENDOR)).status == "UnknownMessageId"
    assert cs.call(call.DataTransfer(vendor_id="com.example", message_id="InstallCertificate", data="{}")).status == "UnknownVendorId"
    # customData is allowed anywhere, as 2.0.1 allows it.
    status, answer = pnc(cs, None, message_id="GetInstalledCertificateIds", data=json.dumps({"customData": {"vendorId": "x", "y": 1}}))
    assert status == "Accepted" and answer["status"] == "NotFound"
    assert pnc(cs, call201.TriggerMessage(requested_message="Heartbeat"))[1]["status"] == "NotImplemented"


def test_extension_off_answers_unknown_vendor_id(cs, make_station, pki):
    make_station(config=[("CpoName", CPO)], connectors=1)
    r = cs.call(call.DataTransfer(vendor_id=VENDOR, message_id="InstallCertificate",
                                  data=inner(call201.InstallCertificate(certificate_type="V2GRootCertificate", certificate="x"))))
    assert r.status == "UnknownVendorId"
