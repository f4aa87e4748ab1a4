"""OCPP UpdateFirmware with the project's own .deb, signed updates and rollback (issue 23 items 4 and 5): packages built
by the real `dpkg-deb`, signed with `chargekit firmware sign` (keys and certificates made by openssl, pki.py), installed
by an install command that plays dpkg (it records the version it was given), against the independent central system of
central_system.py (the Python `ocpp` library)."""
import subprocess
import sys
from pathlib import Path

import pytest
from ocpp.v16 import call

from harness import cli
from test_firmware import firmware_statuses, now_iso
from test_signed_firmware import install_manufacturer_root, security_events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from firmware_files import build_deb, sign  # noqa: E402
from pki import make_firmware_signing  # noqa: E402


@pytest.fixture
def signing(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    return make_firmware_signing(d)


def station_with_dpkg_stand_in(make_station, tmp_path, extra=()):
    """Signed firmware required; the install command records the package's version and keeps the file as dpkg would
    install it; the restore command records the version it restores."""
    state = tmp_path / "installed"
    state.mkdir()
    install = f'dpkg-deb --field "$1" Version > {state}/version && cp "$1" {state}/package.deb && echo "$FIRMWARE_VERSION" > {state}/installed-by'
    restore = f'echo "$FIRMWARE_VERSION" > {state}/version && echo restored > {state}/restored'
    config = [("FirmwareInstallCommand", install), ("FirmwareRestoreCommand", restore), *extra]
    # A simulated station stores Require signed firmware Off at its first start (setting the default On before it is
    # no change); switched On while it is stopped (a manufacturer setting), as the manufacturer would.
    make_station(config=config).terminate()
    station = make_station(config=[("RequireSignedFirmware", "On"), *config])
    assert station.get("/api/config/RequireSignedFirmware")[1]["value"] is True
    return station, state


def test_update_firmware_installs_a_signed_deb_built_by_dpkg_deb(cs, make_station, files, signing, tmp_path):
    station, state = station_with_dpkg_stand_in(make_station, tmp_path)
    install_manufacturer_root(cs, signing)
    deb = build_deb(tmp_path, "2.0.0")
    sign(deb, signing)
    # dpkg ignores the signature member after data.tar (deb(5)): the signed package is still a valid .deb.
    assert subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True).returncode == 0
    assert "usr/share/chargekit/release" in subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True).stdout
    assert "_chargekit-sig" in subprocess.run(["ar", "t", str(deb)], capture_output=True, text=True).stdout
    checked = cli("firmware", "check", str(deb), "--root", str(signing / "mfr-root.pem"), "--require-signed")
    assert checked.returncode == 0 and "chargekit 2.0.0" in checked.stdout and "signature valid" in checked.stdout, checked
    (files.root / "sw_update.deb").write_bytes(deb.read_bytes())
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("sw_update.deb"), retrieve_date=now_iso()))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "Installed", since=mark, timeout=90)
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert cs.wait_call("BootNotification", since=mark)["firmwareVersion"] == "2.0.0"
    assert (state / "version").read_text().strip() == "2.0.0"
    assert (state / "package.deb").read_bytes() == deb.read_bytes(), "the install command gets the .deb as it came"
    station.refresh()
    events = [(e["code"], e["message"]) for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"]
    assert ("installed", "Firmware 2.0.0 installed") in events and ("confirmed", "Firmware 2.0.0 passed its health check") in events
    update = station.get("/api/system")[1]["firmwareUpdate"]
    assert update["state"] == "confirmed" and update["version"] == "2.0.0"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "FirmwareUpdated", since=mark)


def test_update_firmware_refuses_an_unsigned_deb_when_signing_is_required(cs, make_station, files, signing, tmp_path):
    station, state = station_with_dpkg_stand_in(make_station, tmp_path)
    install_manufacturer_root(cs, signing)
    (files.root / "unsigned.deb").write_bytes(build_deb(tmp_path, "2.0.1").read_bytes())
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("unsigned.deb"), retrieve_date=now_iso(), retries=0))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=60)
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
    assert not (state / "version").exists(), "nothing was installed"
    assert "BootNotification" not in cs.actions(mark)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidFirmwareSignature", since=mark)
    failed = [e["message"] for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"]
    assert failed == ["Firmware installation failed: the file is not signed and the station requires signed firmware (Require signed firmware)"]
    update = station.get("/api/system")[1]["firmwareUpdate"]
    assert update["state"] == "refused" and "not signed" in update["reason"]
    # Signed by a key whose certificate does not chain to the installed manufacturer root: refused as well.
    other = build_deb(tmp_path, "2.0.2")
    r = cli("firmware", "sign", str(other), "--key", str(signing / "other-sign.key"), "--cert", str(signing / "other-sign.pem"))
    assert r.returncode == 0, r.stderr
    (files.root / "other.deb").write_bytes(other.read_bytes())
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("other.deb"), retrieve_date=now_iso(), retries=0))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=60)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidFirmwareSigningCertificate", since=mark)
    assert "does not chain" in station.get("/api/system")[1]["firmwareUpdate"]["reason"]
    assert not (state / "version").exists()


def test_update_whose_health_check_fails_is_rolled_back_and_reported_failed(cs, make_station, files, signing, tmp_path, data_dir):
    # The backend rejects the boot of the new version: its health check cannot pass.
    cs.boot_decider = lambda boot: ("Rejected", 2) if boot.get("firmware_version") == "3.0.0" else None
    station, state = station_with_dpkg_stand_in(make_station, tmp_path, extra=[("FirmwareHealthCheckTimeout", "10")])
    previous = cs.wait_call("BootNotification")["firmwareVersion"]
    install_manufacturer_root(cs, signing)
    deb = build_deb(tmp_path, "3.0.0")
    sign(deb, signing)
    (files.root / "sw_update.deb").write_bytes(deb.read_bytes())
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("sw_update.deb"), retrieve_date=now_iso()))
    # Installed, restarted into 3.0.0 (rejected), rolled back by the restore command, restarted into the previous
    # version, which reports the update failed.
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=120)
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
    boots = [p["firmwareVersion"] for _, p in cs.calls("BootNotification", mark)]
    assert boots[0] == "3.0.0" and boots[-1] == previous, boots
    actions = cs.actions(mark)
    last_boot = len(actions) - 1 - actions[::-1].index("BootNotification")
    assert actions.index("FirmwareStatusNotification", last_boot) > last_boot, "InstallationFailed after the rollback's restart"
    assert (state / "restored").exists() and (state / "version").read_text().strip() == previous
    station.refresh()
    events = {e["code"]: e["message"] for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"}
    assert "the backend did not accept the BootNotification (Rejected)" in events["rolledBack"], events
    update = station.get("/api/system")[1]["firmwareUpdate"]
    assert update["state"] == "rolledBack" and update["version"] == "3.0.0"
    assert not (data_dir / "firmware" / "pending-update").exists(), "the marker is gone once the failure was reported"
