"""Signed firmware updates of the OCPP 1.6 security extension (OCA "Improved security for OCPP 1.6-J" ed. 3, use case
L01; OCTT TC_080, TC_081) against the independent central system of central_system.py (the Python `ocpp` library),
with a manufacturer root, signing certificates and signatures made by openssl per run (pki.py)."""
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ocpp.v16 import call

from test_firmware import pack

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import make_firmware_signing, sign_file  # noqa: E402


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def signing(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    return make_firmware_signing(d)


def install_manufacturer_root(cs, signing):
    """InstallCertificate(ManufacturerRootCertificate) (use case M05)."""
    status = cs.call(call.InstallCertificate(certificate_type="ManufacturerRootCertificate",
                                             certificate=(signing / "mfr-root.pem").read_text())).status
    assert status == "Accepted"


def signed_statuses(cs, since=0):
    return [p["status"] for _, p in cs.calls("SignedFirmwareStatusNotification", since)]


def security_events(cs, since=0):
    return [p["type"] for _, p in cs.calls("SecurityEventNotification", since)]


def update(cs, files, signing, name, key="fw-sign.key", certificate="fw-sign.pem", request_id=80):
    return cs.call(call.SignedUpdateFirmware(request_id=request_id, retries=0, firmware={
        "location": files.http(name), "retrieveDateTime": now_iso(),
        "signingCertificate": (signing / certificate).read_text(), "signature": sign_file(signing / key, files.root / name)}))


def test_TC_080_CS_secure_firmware_update(cs, make_station, files, signing):
    station = make_station()
    install_manufacturer_root(cs, signing)
    pack(files, "fw-5.0.0.ckfw", "5.0.0")
    mark = cs.mark()
    assert update(cs, files, signing, "fw-5.0.0.ckfw").status == "Accepted"
    cs.wait_call("SignedFirmwareStatusNotification", lambda p: p["status"] == "Installed", since=mark, timeout=90)
    assert signed_statuses(cs, mark) == ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Installed"]
    assert all(p["requestId"] == 80 for _, p in cs.calls("SignedFirmwareStatusNotification", mark))
    assert cs.wait_call("BootNotification", since=mark)["firmwareVersion"] == "5.0.0"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "FirmwareUpdated", since=mark)
    assert cs.calls("FirmwareStatusNotification", mark) == []
    station.refresh()


def test_TC_081_CS_secure_firmware_update_invalid_signature(cs, make_station, files, signing):
    make_station()
    install_manufacturer_root(cs, signing)
    pack(files, "fw-6.0.0.ckfw", "6.0.0")
    mark = cs.mark()
    # Signed by a key that is not the certificate's.
    assert update(cs, files, signing, "fw-6.0.0.ckfw", key="other-sign.key").status == "Accepted"
    cs.wait_call("SignedFirmwareStatusNotification", lambda p: p["status"] == "InvalidSignature", since=mark, timeout=60)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidFirmwareSignature", since=mark)
    assert signed_statuses(cs, mark) == ["Downloading", "Downloaded", "InvalidSignature"]
    assert "BootNotification" not in cs.actions(mark)


def test_L01_FR_03_signing_certificate_of_another_root_is_invalid_certificate(cs, make_station, files, signing):
    """The signing certificate must chain to an installed ManufacturerRootCertificate before the answer: another
    root's certificate is InvalidCertificate with the security event InvalidFirmwareSigningCertificate, and nothing
    is downloaded. Without any installed root the answer is the same (this also runs before the certificate store)."""
    make_station()
    pack(files, "fw-7.0.0.ckfw", "7.0.0")
    mark = cs.mark()
    conf = update(cs, files, signing, "fw-7.0.0.ckfw", key="other-sign.key", certificate="other-sign.pem")
    assert conf.status == "InvalidCertificate"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidFirmwareSigningCertificate", since=mark)
    assert signed_statuses(cs, mark) == []
    assert not files.puts and "SignedFirmwareStatusNotification" not in cs.actions(mark)
