"""Certificate management of the OCPP 1.6 security extension ("Improved security for OCPP 1.6-J", edition 3; issue 28
item 2), mirrored on the OCTT cases TC_074–TC_078 against the Python `ocpp` library as central system. The CPO and
manufacturer hierarchies are made per run by openssl (Tests/Interop/pki.py); openssl also checks the station's CSR and
computes the certificate hashes (its OCSP CertID), independently of ChargeKit's own code."""
import stat
import subprocess
import sys
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from ocpp.v16 import call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import csr_subject, make_root, ocsp_hash_data, sign_csr  # noqa: E402

CPO = "ChargeKit CPO"


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    return d


@pytest.fixture
def station(make_station):
    return make_station(config=[("CpoName", CPO)], connectors=1)


def camel(hash_data):
    """The library's snake_case hash data as the wire's camelCase."""
    names = {"hash_algorithm": "hashAlgorithm", "issuer_name_hash": "issuerNameHash", "issuer_key_hash": "issuerKeyHash",
             "serial_number": "serialNumber"}
    return {names.get(k, k): v for k, v in hash_data.items()}


def snake(hash_data):
    names = {"hashAlgorithm": "hash_algorithm", "issuerNameHash": "issuer_name_hash", "issuerKeyHash": "issuer_key_hash",
             "serialNumber": "serial_number"}
    return {names[k]: v for k, v in hash_data.items()}


def normalized(h):
    h = camel(h)
    return {**h, "issuerNameHash": h["issuerNameHash"].lower(), "issuerKeyHash": h["issuerKeyHash"].lower(),
            "serialNumber": h["serialNumber"].lower().lstrip("0") or "0"}


def install(cs, kind, pem):
    return cs.call(call.InstallCertificate(certificate_type=kind, certificate=pem)).status


def installed(cs, kind):
    r = cs.call(call.GetInstalledCertificateIds(certificate_type=kind))
    return r.status, [normalized(h) for h in (r.certificate_hash_data or [])]


def request_csr(cs):
    mark = cs.mark()
    assert cs.call(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")).status == "Accepted"
    return cs.wait_call("SignCertificate", since=mark)["csr"]


def test_TC_074_update_charge_point_certificate_by_request(cs, station, pki):
    """TC_074: ExtendedTriggerMessage(SignChargePointCertificate) → Accepted; SignCertificate with a CSR that openssl
    verifies, O = CpoName and CN = the identity (A02.FR.13); CertificateSigned from the CPO CA → Accepted and stored as
    the credential of the next connection, its private key in a file of mode 0600 that nothing hands out."""
    root = make_root(pki, "cpo-root")
    assert install(cs, "CentralSystemRootCertificate", root) == "Accepted"
    csr = request_csr(cs)
    assert csr_subject(pki, csr) == f"CN=CK-TEST-01,O={CPO}"
    chain = sign_csr(pki, "cpo-root", csr, "cp")
    assert cs.call(call.CertificateSigned(certificate_chain=chain)).status == "Accepted"

    store = station.data_dir / "certificates" / "chargepoint"
    credentials = sorted(p for p in store.iterdir() if p.is_dir())
    assert [p.name for p in credentials] == ["00000001"]
    assert (credentials[0] / "chain.pem").read_text() == chain
    key_file = credentials[0] / "key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert "PRIVATE KEY" in key
    # The key matches the certificate (openssl's view), and appears in no answer, log archive or status.
    (pki / "cp.key").write_text(key)
    pub_cert = subprocess.run(["openssl", "x509", "-in", "cp.pem", "-noout", "-pubkey"], cwd=pki, capture_output=True, text=True).stdout
    pub_key = subprocess.run(["openssl", "pkey", "-in", "cp.key", "-pubout"], cwd=pki, capture_output=True, text=True).stdout
    assert pub_cert and pub_cert == pub_key
    body = key.split("-----")[2].strip().splitlines()[0]
    req = urllib.request.Request(station.base + "/api/system/log.zip", headers={"Authorization": f"Bearer {station.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        archive = zipfile.ZipFile(BytesIO(r.read()))
    for name in archive.namelist():
        text = archive.read(name).decode(errors="replace")
        assert "PRIVATE KEY" not in text and body not in text, name
    config = cs.call(call.GetConfiguration())
    assert "PRIVATE KEY" not in str(config) and body not in str(station.status())
    keys = {k["key"]: k for k in config.configuration_key}
    assert keys["CpoName"]["value"] == CPO and not keys["CpoName"]["readonly"]
    assert keys["CertificateSignedMaxChainSize"]["value"] == "10000" and keys["CertificateSignedMaxChainSize"]["readonly"]
    assert keys["CertificateStoreMaxLength"]["readonly"] and keys["AdditionalRootCertificateCheck"]["readonly"]
    # The central system root's hash data as openssl computes it.
    assert installed(cs, "CentralSystemRootCertificate") == ("Accepted", [ocsp_hash_data(pki, "cpo-root", "cpo-root")])


@pytest.mark.parametrize("kind", ["ManufacturerRootCertificate", "CentralSystemRootCertificate"], ids=["TC_075_1", "TC_075_2"])
def test_TC_075_install_a_certificate_on_the_charge_point(cs, station, pki, kind):
    """TC_075_1/TC_075_2: InstallCertificate → Accepted; GetInstalledCertificateIds lists it with the hashes the tool
    recomputes (openssl's OCSP CertID, SHA-256); NotFound before (M03.FR.02)."""
    assert cs.call(call.GetInstalledCertificateIds(certificate_type=kind)).status == "NotFound"
    pem = make_root(pki, "root")
    assert install(cs, kind, pem) == "Accepted"
    assert installed(cs, kind) == ("Accepted", [ocsp_hash_data(pki, "root", "root")])
    other = "CentralSystemRootCertificate" if kind == "ManufacturerRootCertificate" else "ManufacturerRootCertificate"
    assert cs.call(call.GetInstalledCertificateIds(certificate_type=other)).status == "NotFound"


def test_TC_076_delete_a_specific_certificate_from_the_charge_point(cs, station, pki):
    """TC_076: DeleteCertificate(hash data) → Accepted and GetInstalledCertificateIds no longer lists it; the same
    again → NotFound; the last CentralSystemRootCertificate → Failed (M04.FR.06)."""
    for name in ("root-a", "root-b"):
        assert install(cs, "CentralSystemRootCertificate", make_root(pki, name)) == "Accepted"
    a, b = ocsp_hash_data(pki, "root-a", "root-a"), ocsp_hash_data(pki, "root-b", "root-b")
    assert installed(cs, "CentralSystemRootCertificate") == ("Accepted", [a, b])
    assert cs.call(call.DeleteCertificate(certificate_hash_data=snake(b))).status == "Accepted"
    assert installed(cs, "CentralSystemRootCertificate") == ("Accepted", [a])
    assert cs.call(call.DeleteCertificate(certificate_hash_data=snake(b))).status == "NotFound"
    assert cs.call(call.DeleteCertificate(certificate_hash_data=snake(a))).status == "Failed"
    assert installed(cs, "CentralSystemRootCertificate") == ("Accepted", [a])


def test_TC_077_invalid_charge_point_certificate_security_event(cs, station, pki):
    """TC_077: a CertificateSigned chain that does not lead to the installed root (a foreign CA) → Rejected, nothing
    installed, and SecurityEventNotification InvalidChargePointCertificate."""
    assert install(cs, "CentralSystemRootCertificate", make_root(pki, "cpo-root")) == "Accepted"
    make_root(pki, "foreign")
    csr = request_csr(cs)
    mark = cs.mark()
    assert cs.call(call.CertificateSigned(certificate_chain=sign_csr(pki, "foreign", csr, "bad"))).status == "Rejected"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidChargePointCertificate", since=mark)
    assert cs.call(call.CertificateSigned(certificate_chain="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")).status == "Rejected"
    store = station.data_dir / "certificates" / "chargepoint"
    assert not [p for p in store.iterdir() if p.is_dir()]
    # The right chain still goes in: the request stayed pending.
    assert cs.call(call.CertificateSigned(certificate_chain=sign_csr(pki, "cpo-root", csr, "good"))).status == "Accepted"


def test_TC_078_invalid_central_system_certificate_security_event(cs, station, pki):
    """TC_078: InstallCertificate of an expired CentralSystemRootCertificate → Rejected and SecurityEventNotification
    InvalidCentralSystemCertificate; a certificate that is no CA → Rejected; nothing installed."""
    mark = cs.mark()
    assert install(cs, "CentralSystemRootCertificate", make_root(pki, "expired", days="-1")) == "Rejected"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidCentralSystemCertificate", since=mark)
    assert install(cs, "CentralSystemRootCertificate", "not a certificate") == "Rejected"
    assert cs.call(call.GetInstalledCertificateIds(certificate_type="CentralSystemRootCertificate")).status == "NotFound"
