"""Firmware from the web page and from a USB stick (issue 23 items 3–4; seeds/004 §8 "Systeem → Firmware Update",
"Met USB-stick"; seeds/000 "Firmwareaktualisierung"; seeds/002 §1.8 "Update Progress"), against the real binary:
headless chromium uploads a package with the progress bar visible, follows the installation live (server-sent
events) and sees the new version after the restart; a refused package shows its reason; a running transaction makes
the installation wait (as OCPP UpdateFirmware does); an upload over the limit is refused with 413 naming it; a USB
stick directory with sw_update.deb and the operator's password installs, a wrong password is refused, FIELD_ENGINEER
receives the diagnostics archive, and a stick is acted on once per insertion."""
import http.client
import json
import tarfile
from pathlib import Path

from selenium.webdriver.common.by import By

from firmware_files import build_deb, sign
from meter_servers import free_port
from pki import make_firmware_signing
from station import Station, cli, wait_for
from web_browser import ARTIFACTS, NEW_PASSWORDS, Web, initial_passwords  # noqa: F401  (the browser fixture is in conftest.py)

CARD = Station.CARDS[0]


def pack(directory: Path, name: str, version: str, payload_bytes: int = 64) -> Path:
    """A ChargeKit firmware package (`chargekit firmware pack`) with a payload of `payload_bytes`."""
    src = directory / f"{name}.payload"
    src.write_bytes((b"#!/bin/sh\necho firmware " + version.encode() + b"\n").ljust(payload_bytes, b"#"))
    out = directory / name
    cli("firmware", "pack", "--version", version, str(src), "-o", str(out), check=True)
    src.unlink()
    return out


def install_command(data_dir, command):
    """The manufacturer's install command (the simulation's default records the version only); set before the start."""
    r = cli("config", "set", "FirmwareInstallCommand", command, "--role", "manufacturer", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    # An installation needs a way back (issue 23 item 5): here a restore command that succeeds.
    r = cli("config", "set", "FirmwareRestoreCommand", "true", "--role", "manufacturer", data_dir=data_dir)
    assert r.returncode == 0, r.stderr


def upload(station, body: bytes):
    return station.request("POST", "/api/firmware", raw=body)


def events(station, code):
    return [e for e in station.get("/api/events?limit=500")[1] if e.get("code") == code]


def test_issue23_3_web_upload_with_progress_then_install_progress_then_the_new_version(browser, data_dir, tmp_path):
    # An install command that takes a moment, so that the page shows "installing" (the payload is its $1).
    install_command(data_dir, 'test -s "$1" && sleep 2')
    # A fixed port, as on a real station: the page reconnects to the restarted services at the same address.
    station = Station(data_dir, extra=["--http-port", str(free_port())]).start()
    try:
        web = Web(browser, station)
        web.first_login("installer", initial_passwords(station)["installer"])
        web.open("/menu/system")
        card = web.el("#s-firmware")
        running = web.el("#fw-version").text
        assert running and "9.9.1" not in running
        # A refused package: the reason is shown on the page, nothing is installed.
        junk = tmp_path / "not-a-package.deb"
        junk.write_bytes(b"MZ not a firmware file " * 100)
        web.el("#fw-file").send_keys(str(junk))
        web.el("#fw-upload").click()
        wait_for(lambda: web.el("#fw-result").is_displayed() and "ChargeKit firmware package" in web.el("#fw-result").text,
                 what="the refusal's reason on the page")
        assert "error" in web.el("#fw-result").get_attribute("class")
        browser.save_screenshot(str(tmp_path / "firmware-refused.png"))
        # A good package of 6 MiB over a link throttled to 1.5 MiB/s: the progress bar moves while it uploads.
        package = pack(tmp_path, "chargekit-9.9.1.ckfw", "9.9.1", payload_bytes=6 * 1024 * 1024)
        browser.set_network_conditions(offline=False, latency=5, download_throughput=50 * 1024 * 1024,
                                       upload_throughput=1536 * 1024)
        web.open("/menu/system")
        web.el("#fw-file").send_keys(str(package))
        before = json.loads((data_dir / "station.json").read_text())
        web.el("#fw-upload").click()
        progress = web.el("#fw-progress")
        wait_for(lambda: progress.is_displayed() and 5 <= int(progress.get_attribute("value") or 0) <= 90, timeout=30,
                 what="the progress bar part-way")
        shot = tmp_path / "firmware-upload-progress.png"
        browser.save_screenshot(str(shot))
        web.shot("firmware-upload-progress")
        assert "Uploading" in web.el("#fw-progress-text").text
        print(f"screenshot: {shot}")
        # Then the installation live: the state the server-sent events carry.
        wait_for(lambda: web.el("#fw-state").get_attribute("data-state") == "installing", timeout=30, what="installing shown live")
        assert "9.9.1" in web.el("#fw-state").text
        browser.save_screenshot(str(tmp_path / "firmware-installing.png"))
        browser.delete_network_conditions()
        # The services restart into it; the page notices and leads to the login (sessions end with a restart).
        station.wait_restarted(before)
        wait_for(lambda: web.path() == "/login", timeout=30, what="the page back at the login after the restart")
        web.login("installer", NEW_PASSWORDS["installer"])
        web.open("/menu/system")
        assert web.el("#fw-version").text == "9.9.1"
        assert "Installed" in web.el("#fw-result").text and "9.9.1" in web.el("#fw-result").text
        browser.save_screenshot(str(tmp_path / "firmware-installed.png"))
        assert station.get("/api/system")[1]["stationVersion"] == "9.9.1"
        assert [e["message"] for e in station.get("/api/events?limit=200")[1] if e["kind"] == "firmwareInstallation"] == \
            ["Firmware 9.9.1 passed its health check", "Firmware 9.9.1 installed"]
        assert events(station, "firmwareRefused") and "ChargeKit firmware package" in events(station, "firmwareRefused")[0]["message"]
        assert not list((data_dir / "firmware").glob("upload-*")), "no upload left behind"
    finally:
        station.terminate()


def test_issue23_3_a_running_transaction_makes_the_installation_wait_and_api_refusals(data_dir, tmp_path):
    station = Station(data_dir).start()
    try:
        # Oversize: refused from Content-Length before the body is sent, with the limit named.
        host, port = station.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.putrequest("POST", "/api/firmware")
        conn.putheader("Authorization", f"Bearer {station.token}")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(300 * 1024 * 1024))
        conn.endheaders()
        r = conn.getresponse()
        body = json.loads(r.read())
        conn.close()
        assert r.status == 413 and "268435456 bytes (256 MiB)" in body["error"], body
        # Not a package: 400 naming the body, with the check's reason.
        code, body = upload(station, b"hello")
        assert code == 400 and body["field"] == "body" and "ChargeKit firmware package" in body["error"]
        code, body = upload(station, pack(tmp_path, "bad.ckfw", "9.9.2").read_bytes()[:-1] + b"X")
        assert code == 400 and "damaged" in body["error"]
        assert station.get("/api/firmware")[1]["lastResult"]["outcome"] == "refused"
        # A transaction on connector 1: the package is taken and waits; idle connector 2 is held Unavailable.
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", CARD).returncode == 0
        station.wait_status(1, "Charging")
        code, view = upload(station, pack(tmp_path, "good.ckfw", "9.9.3").read_bytes())
        assert code == 202, view
        assert view["state"] == "waiting" and view["waitingFor"] == [1] and view["source"] == "web" and view["packageVersion"] == "9.9.3"
        station.wait_status(2, "Unavailable")
        # Another upload meanwhile: 409 with the reason.
        code, body = upload(station, pack(tmp_path, "other.ckfw", "9.9.4").read_bytes())
        assert code == 409 and "waits to be installed" in body["error"]
        assert station.get("/api/firmware")[1]["state"] == "waiting", "the waiting package is kept"
        # The session ends: the installation runs and the station restarts into 9.9.3.
        before = json.loads((data_dir / "station.json").read_text())
        assert station.sim("rfid", CARD).returncode == 0
        station.wait_restarted(before)
        view = station.get("/api/firmware")[1]
        assert view["runningVersion"] == "9.9.3" and view["state"] == "idle"
        assert view["lastResult"]["outcome"] == "installed" and view["lastResult"]["source"] == "web"
    finally:
        station.terminate()


def write_stick(stick: Path, files: dict):
    for name, content in files.items():
        (stick / name).write_bytes(content)


def report(stick: Path):
    path = stick / "CHARGEKIT_REPORT.TXT"
    return path.read_text().splitlines() if path.exists() else []


def test_issue23_4_usb_stick_password_install_and_field_engineer(data_dir, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    station = Station(data_dir).start()
    try:
        operator = initial_passwords(station)["operator"]
        assert station.request("PUT", "/api/config/UsbMountDirectory", {"value": str(stick)})[0] == 200
        # Off by default: a stick is not used, and the report says why.
        write_stick(stick, {"sw_update.deb": pack(tmp_path, "a.ckfw", "7.0.1", 100).read_bytes(), "USB_PASSWORD": operator.encode()})
        wait_for(lambda: len(report(stick)) == 1, what="the report of the stick")
        assert "UsbFirmwareUpdate" in report(stick)[0] and "refused" in report(stick)[0]
        # Taken out; On; a stick with a wrong password is refused.
        for f in stick.iterdir():
            f.unlink()
        assert station.request("PUT", "/api/config/UsbFirmwareUpdate", {"value": True})[0] == 200
        write_stick(stick, {"sw_update.deb": pack(tmp_path, "b.ckfw", "7.0.2", 200).read_bytes(), "USB_PASSWORD": b"wrong-password\n"})
        wait_for(lambda: report(stick), what="the report of the stick")
        assert "USB_PASSWORD is not the operator's current password" in report(stick)[0]
        assert station.get("/api/firmware")[1]["state"] == "idle"
        assert any("USB_PASSWORD is not" in e["message"] for e in events(station, "usbStick"))
        log = (data_dir.parent / f"{data_dir.name}.log").read_text()
        assert log.count(operator) == 1, "the password is in the log only where the first start printed it"
        # FIELD_ENGINEER with the right password: the diagnostics archive on the stick.
        for f in stick.iterdir():
            f.unlink()
        write_stick(stick, {"FIELD_ENGINEER": b"", "USB_PASSWORD": operator.encode() + b"\r\n"})
        archive = wait_for(lambda: next(stick.glob("chargekit-logs-*.tar.gz"), None), what="the log archive on the stick")
        wait_for(lambda: any("written" in line for line in report(stick)), what="the report")
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert any("events" in n for n in names) and any("status" in n for n in names), names
        # sw_update.deb with the right password (and the old FIELD_ENGINEER still there, done already): installed.
        before = json.loads((data_dir / "station.json").read_text())
        write_stick(stick, {"sw_update.deb": pack(tmp_path, "c.ckfw", "7.0.3", 300).read_bytes()})
        station.wait_restarted(before)
        assert station.get("/api/firmware")[1]["runningVersion"] == "7.0.3"
        accepted = [line for line in report(stick) if "sw_update.deb: accepted" in line]
        assert len(accepted) == 1 and "7.0.3" in accepted[0]
        assert len([line for line in report(stick) if "FIELD_ENGINEER" in line]) == 1
        # Still in after the restart: not installed again. A new FIELD_ENGINEER is acted on, the package is not.
        (stick / "FIELD_ENGINEER").unlink()
        wait_for(lambda: station.get("/api/firmware")[1]["state"] == "idle", what="idle")
        write_stick(stick, {"FIELD_ENGINEER": b"again"})
        wait_for(lambda: len([line for line in report(stick) if "FIELD_ENGINEER" in line]) == 2, what="the second log dump")
        assert len([line for line in report(stick) if "sw_update.deb: accepted" in line]) == 1
        assert station.get("/api/firmware")[1]["state"] == "idle"
    finally:
        station.terminate()


def test_issue23_5_web_upload_of_a_signed_deb_installs_and_an_unsigned_one_is_refused_with_the_reason(browser, data_dir, tmp_path):
    """Issue 23's acceptance on the web page with Require signed firmware On: the project's own .deb, built by dpkg-deb
    and signed by `chargekit firmware sign`, is uploaded with the progress bar visible and installed; an unsigned one
    is refused with the reason shown. The manufacturer root comes from FirmwareRootsDirectory (as the package ships it
    in /etc/chargekit/firmware-roots), not from a backend: this station has none."""
    signing = make_firmware_signing(_mkdir(tmp_path / "pki"))
    roots = _mkdir(tmp_path / "firmware-roots")
    (roots / "manufacturer.pem").write_text((signing / "mfr-root.pem").read_text())
    state = _mkdir(tmp_path / "installed")
    install_command(data_dir, f'dpkg-deb --field "$1" Version > {state}/version')
    assert cli("config", "set", "FirmwareRootsDirectory", str(roots), "--role", "manufacturer", data_dir=data_dir).returncode == 0
    # A simulated station stores Require signed firmware Off at its first start; the manufacturer switches it On.
    Station(data_dir).start().terminate()
    assert cli("config", "set", "RequireSignedFirmware", "On", "--role", "manufacturer", data_dir=data_dir).returncode == 0
    station = Station(data_dir, extra=["--http-port", str(free_port())]).start()
    try:
        web = Web(browser, station)
        web.first_login("installer", initial_passwords(station)["installer"])
        web.open("/menu/system")
        unsigned = build_deb(tmp_path, "9.8.0")
        web.el("#fw-file").send_keys(str(unsigned))
        web.el("#fw-upload").click()
        wait_for(lambda: web.el("#fw-result").is_displayed() and "not signed" in web.el("#fw-result").text,
                 what="the unsigned package's refusal on the page")
        assert "Require signed firmware" in web.el("#fw-result").text
        web.shot("firmware-unsigned-refused")
        assert not (state / "version").exists(), "nothing was installed"
        signed = build_deb(tmp_path, "9.8.1", payload_bytes=4 * 1024 * 1024)
        sign(signed, signing)
        browser.set_network_conditions(offline=False, latency=5, download_throughput=50 * 1024 * 1024, upload_throughput=1024 * 1024)
        web.open("/menu/system")
        web.el("#fw-file").send_keys(str(signed))
        before = json.loads((data_dir / "station.json").read_text())
        web.el("#fw-upload").click()
        progress = web.el("#fw-progress")
        wait_for(lambda: progress.is_displayed() and 5 <= int(progress.get_attribute("value") or 0) <= 90, timeout=30,
                 what="the progress bar part-way")
        web.shot("firmware-signed-upload-progress")
        browser.delete_network_conditions()
        station.wait_restarted(before)
        wait_for(lambda: (state / "version").exists() and (state / "version").read_text().strip() == "9.8.1", what="the signed .deb installed")
        wait_for(lambda: station.get("/api/system")[1]["stationVersion"] == "9.8.1", what="the station running 9.8.1")
    finally:
        station.terminate()


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
