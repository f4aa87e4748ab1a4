"""Issue 20, station side, against the real binary with independent clients (http.client sends a path exactly as
written; urllib would normalise it): the API token bypass through non-canonical paths, the role of the API token,
secrets in the audit trail and on disk, Finishing after kill -9 and SIGTERM, CSV formula injection in the whitelist
export."""
import csv
import http.client
import io
import json
import os
import stat
import urllib.parse

import pytest

from station import Station, cli

NON_CANONICAL = ["//api/status", "///api/status", "/api//status", "/api/status/", "/./api/status", "/x/../api/status",
                 "//api/config-audit", "//api/config", "//api/events", "//api/sessions", "/api%2Fstatus"]


def raw(station, method, path, body=None, headers=None):
    """One request with `path` sent byte for byte as given."""
    host, port = urllib.parse.urlsplit(station.base).netloc.split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    c.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    return r.status, text, r.getheader("Location")


def test_no_api_route_answers_a_non_canonical_path(station):
    for path in NON_CANONICAL:
        code, text, _ = raw(station, "GET", path)
        assert code == 400, (path, code, text)
        assert "canonical" in json.loads(text)["error"]
    code, _, _ = raw(station, "PUT", "//api/config/HardwareMaxCurrent.1", {"value": 80, "role": "manufacturer"})
    assert code == 400
    code, _, _ = raw(station, "GET", "/api/status")
    assert code == 401, "the canonical path still needs the token"
    # Web pages too: a non-canonical page path is refused, not served.
    assert raw(station, "GET", "//login")[0] == 400
    assert raw(station, "GET", "/login")[0] == 200
    code, body = station.get("/api/config/HardwareMaxCurrent.1")
    assert code == 200 and body["value"] == 32, "nothing changed"


def test_the_api_token_acts_as_installer_at_most(station):
    code, body = station.request("PUT", "/api/config/HardwareMaxCurrent.1", body={"value": 80, "role": "manufacturer"})
    assert code == 403 and body["field"] == "role" and "installer" in body["error"]
    code, body = station.request("PUT", "/api/config/HardwareMaxCurrent.1", body={"value": 16})
    assert code == 403 and "manufacturer" in body["error"]
    code, body = station.request("PUT", "/api/config/InstallationCurrentLimit.1", body={"value": 20, "role": "operator"})
    assert code == 403, "a narrowed role is checked like any other"
    code, body = station.request("PUT", "/api/config/OperatorCurrentLimit.1", body={"value": 16})
    assert code == 200 and body["value"] == 16


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_secrets_are_masked_in_the_audit_trail_and_the_data_directory_is_private(data_dir):
    database = data_dir / "chargekit.sqlite"
    os.chmod(data_dir, 0o755)
    secret = "dlm-key-4711-very-secret"
    assert cli("config", "set", "DLMNetworkKey", secret, data_dir=data_dir).returncode == 0
    os.chmod(database, 0o644)  # as an earlier version left it
    station = Station(data_dir).start()
    try:
        code, body = station.request("PUT", "/api/config/AuthorizationKey", body={"value": "0123456789abcdef0123"})
        assert code == 200
        code, audit = station.get("/api/config-audit")
        assert code == 200
        text = json.dumps(audit)
        assert secret not in text and "0123456789abcdef0123" not in text
        entries = [a for a in audit if a["key"] in ("DLMNetworkKey", "AuthorizationKey")]
        assert len(entries) == 2 and all(a["newValue"] == "(secret)" for a in entries), entries
        code, value = station.get("/api/config/DLMNetworkKey")
        assert code == 200 and secret not in json.dumps(value)
        assert mode(data_dir) == 0o700
        for f in data_dir.iterdir():
            if f.name.startswith("chargekit.sqlite") or f.suffix in (".lock", ".json"):
                assert mode(f) == 0o600, (f.name, oct(mode(f)))
    finally:
        station.terminate()


@pytest.mark.parametrize("stop", ["kill9", "sigterm"])
def test_a_finished_session_stays_finishing_across_a_restart(data_dir, stop):
    """Issue 20 item 3: the car whose driver ended charging stays Finishing; the next card goes to connector 2."""
    station = Station(data_dir).start()
    first, second = Station.CARDS
    try:
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        station.wait_status(1, "Preparing")
        station.sim("rfid", first)
        station.wait_status(1, "Charging")
        station.sim("rfid", first)
        station.wait_status(1, "Finishing")
        if stop == "kill9":
            station.kill9()
        else:
            station.terminate()
        station.start()
        station.wait_status(1, "Finishing")
        assert station.sim("plug", "2", "--ev", "3p-16a").returncode == 0
        station.wait_status(2, "Preparing")
        station.sim("rfid", second)
        station.wait_status(2, "Charging")
        c1 = station.connector(1)
        assert c1["status"] == "Finishing" and c1.get("session") is None, c1
        code, sessions = station.get("/api/sessions")
        assert [s["connector"] for s in sessions if s.get("stoppedAt") is None] == [2]
    finally:
        station.terminate()


def test_whitelist_export_neutralises_formulas(data_dir):
    """Issue 20 item 8: a group id is free text; a spreadsheet must not run it (OWASP CSV injection)."""
    r = cli("whitelist", "add", "04567DAA5F3580", "--group", "=HYPERLINK(\"x\")", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    r = cli("whitelist", "add", "0A0E9B83", "--group", "@SUM(1)", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    exported = cli("whitelist", "export", "--format", "technagon", data_dir=data_dir, check=True).stdout
    rows = list(csv.reader(io.StringIO(exported)))
    groups = {row[0].lower(): row[1] for row in rows[1:]}
    assert groups == {"04567daa5f3580": "'=HYPERLINK(\"x\")", "0a0e9b83": "'@SUM(1)"}, groups
    for row in rows:
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row), row

