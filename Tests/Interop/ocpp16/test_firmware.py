"""OCTT charge-point test cases of the FirmwareManagement profile (the OCA OCTT test case list §2.18–2.19,
OCPP 1.6 §5.9, §5.19, §4.4–4.5): firmware updates and diagnostics over FTP (pyftpdlib) and HTTP, against the
independent central system of central_system.py."""
import io
import tarfile
from datetime import datetime, timezone

from ocpp.v16 import call

from harness import CARD, cli, plug, rfid, unplug


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def firmware_statuses(cs, since=0):
    return [p["status"] for _, p in cs.calls("FirmwareStatusNotification", since)]


def diagnostics_statuses(cs, since=0):
    return [p["status"] for _, p in cs.calls("DiagnosticsStatusNotification", since)]


def pack(files, name, version, payload=b"#!/bin/sh\necho new firmware\n"):
    src = files.root / (name + ".payload")
    src.write_bytes(payload)
    cli("firmware", "pack", "--version", version, str(src), "-o", str(files.root / name), check=True)
    src.unlink()


def test_TC_044_1_CS_firmware_update_download_and_install(cs, make_station, files):
    station = make_station()
    pack(files, "fw-2.0.0.ckfw", "2.0.0")
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.ftp("fw-2.0.0.ckfw"), retrieve_date=now_iso()))
    installed = cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "Installed", since=mark, timeout=60)
    assert installed
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
    # Installing, then the restart: BootNotification with the new version, StatusNotifications, then Installed.
    actions = cs.actions(mark)
    boot = actions.index("BootNotification")
    assert actions.index("StatusNotification", boot) < len(actions) - 1 - actions[::-1].index("FirmwareStatusNotification")
    assert boot > [i for i, a in enumerate(actions) if a == "FirmwareStatusNotification"][2]
    assert cs.wait_call("BootNotification", since=mark)["firmwareVersion"] == "2.0.0"
    station.refresh()
    # In the event log (and so an e-mail alert when chosen, issue 24 item 5).
    events = station.get("/api/events?limit=200")[1]
    assert [(e["code"], e["message"]) for e in events if e["kind"] == "firmwareInstallation"] == [
        ("confirmed", "Firmware 2.0.0 passed its health check"), ("installed", "Firmware 2.0.0 installed")]
    # The version survives a further restart.
    mark2 = cs.mark()
    assert cs.call(call.Reset(type="Soft")).status == "Accepted"
    assert cs.wait_call("BootNotification", since=mark2, timeout=60)["firmwareVersion"] == "2.0.0"
    station.refresh()


def test_TC_044_2_CS_firmware_update_download_failed(cs, make_station, files):
    make_station()
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.ftp("download_fail.fwi"), retrieve_date=now_iso(), retries=1, retry_interval=1))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "DownloadFailed", since=mark, timeout=60)
    # One retry: two attempts, one Downloading each, then a single DownloadFailed.
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloading", "DownloadFailed"]
    assert "BootNotification" not in cs.actions(mark)


def test_TC_044_3_CS_firmware_update_installation_failed(cs, make_station, files):
    station = make_station()
    (files.root / "broken.fwi").write_bytes(b"\x7fELF this is not a ChargeKit release" * 100)
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("broken.fwi"), retrieve_date=now_iso(), retries=0))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=60)
    assert firmware_statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
    assert "BootNotification" not in cs.actions(mark)
    failed = [e for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"]
    assert len(failed) == 1 and failed[0]["code"] == "failed" and failed[0]["message"].startswith("Firmware installation failed: ")
    # The connectors the installation held are available again.
    for n in (1, 2):
        cs.wait_status(n, "Available", since=mark)


def test_firmware_install_command_gets_the_payload_and_waits_for_the_transaction(cs, make_station, files, tmp_path):
    target = tmp_path / "installed"
    # A rollback needs a way back: a restore command (the station keeps no earlier package yet).
    station = make_station(config=[("FirmwareInstallCommand", f'cp "$1" {target} && echo "$FIRMWARE_VERSION" > {target}.version'),
                                   ("FirmwareRestoreCommand", f"touch {target}.restored")])
    pack(files, "fw-3.1.ckfw", "3.1", payload=b"payload-3.1")
    plug(station)
    rfid(station)
    cs.wait_status(1, "Charging", timeout=30)
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("fw-3.1.ckfw"), retrieve_date=now_iso()))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "Downloaded", since=mark, timeout=60)
    # The idle connector is held Unavailable; nothing is installed while the transaction runs.
    cs.wait_status(2, "Unavailable", since=mark)
    assert "Installing" not in firmware_statuses(cs, mark)
    assert not target.exists()
    rfid(station)  # the same card stops the transaction
    cs.wait_call("StopTransaction", since=mark)
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "Installed", since=mark, timeout=60)
    assert target.read_bytes() == b"payload-3.1"
    assert (tmp_path / "installed.version").read_text().strip() == "3.1"
    station.refresh()


def test_firmware_install_command_failure_is_installation_failed(cs, make_station, files):
    station = make_station(config=[("FirmwareInstallCommand", "exit 3"), ("FirmwareRestoreCommand", "exit 0")])
    pack(files, "fw.ckfw", "4.0")
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.ftp("fw.ckfw"), retrieve_date=now_iso()))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=60)
    assert "BootNotification" not in cs.actions(mark)
    failed = [e["message"] for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"]
    assert failed == ["Firmware installation failed: the install command exited with status 3"]


def test_firmware_without_a_way_back_is_refused(cs, make_station, files, tmp_path):
    """Issue 23 item 5: an install command, no restore command and no kept earlier package: no rollback would be
    possible, so nothing is installed and the reason says what to do."""
    target = tmp_path / "installed"
    station = make_station(config=[("FirmwareInstallCommand", f'cp "$1" {target}')])
    pack(files, "fw.ckfw", "4.1")
    mark = cs.mark()
    cs.call(call.UpdateFirmware(location=files.http("fw.ckfw"), retrieve_date=now_iso()))
    cs.wait_call("FirmwareStatusNotification", lambda p: p["status"] == "InstallationFailed", since=mark, timeout=60)
    assert not target.exists()
    assert "no previous version is kept for a rollback" in station.get("/api/system")[1]["firmwareUpdate"]["reason"]


def test_TC_045_1_CS_get_diagnostics(cs, make_station, files):
    station = make_station(config=[("AuthorizationKey", "TopSecretPassword1")])
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction")
    mark = cs.mark()
    conf = cs.call(call.GetDiagnostics(location=files.ftp("")))
    assert conf.file_name and conf.file_name.endswith(".tar.gz")
    cs.wait_call("DiagnosticsStatusNotification", lambda p: p["status"] == "Uploaded", since=mark, timeout=60)
    assert diagnostics_statuses(cs, mark) == ["Uploading", "Uploaded"]
    data = (files.root / conf.file_name).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
        contents = {n: tar.extractfile(n).read().decode() for n in names}
    assert {"diagnostics/events.log", "diagnostics/configuration.txt", "diagnostics/sessions.csv", "diagnostics/status.json"} <= set(names)
    assert "AuthorizationKey = <removed>" in contents["diagnostics/configuration.txt"]
    assert all("TopSecretPassword1" not in text for text in contents.values())
    assert CARD.lower() in contents["diagnostics/sessions.csv"]
    assert "Session" in contents["diagnostics/events.log"]


def test_TC_045_2_CS_get_diagnostics_upload_failed(cs, make_station, files):
    make_station()
    mark = cs.mark()
    conf = cs.call(call.GetDiagnostics(location="ftp://127.0.0.1:1/diagnostics/", retries=0))
    assert conf.file_name
    cs.wait_call("DiagnosticsStatusNotification", lambda p: p["status"] == "UploadFailed", since=mark, timeout=60)
    assert diagnostics_statuses(cs, mark) == ["Uploading", "UploadFailed"]


def test_get_diagnostics_over_http_put_with_a_time_window(cs, make_station, files):
    make_station()
    mark = cs.mark()
    conf = cs.call(call.GetDiagnostics(location=files.http("upload/"), start_time="2020-01-01T00:00:00Z", stop_time="2020-01-02T00:00:00Z"))
    cs.wait_call("DiagnosticsStatusNotification", lambda p: p["status"] == "Uploaded", since=mark, timeout=60)
    assert files.puts[0][0] == f"/upload/{conf.file_name}"
    with tarfile.open(fileobj=io.BytesIO((files.root / conf.file_name).read_bytes()), mode="r:gz") as tar:
        events = tar.extractfile("diagnostics/events.log").read().decode()
    assert events.strip() == "", "no event of the station lies in 2020"


def test_trigger_firmware_and_diagnostics_status_report_idle(cs, make_station):
    make_station()
    for message in ("FirmwareStatusNotification", "DiagnosticsStatusNotification"):
        mark = cs.mark()
        assert cs.call(call.TriggerMessage(requested_message=message)).status == "Accepted"
        assert cs.wait_call(message, since=mark)["status"] == "Idle"
