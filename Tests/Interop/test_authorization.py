"""Authorization, whitelists and charging history with the real binary: CLI and local API, restarts."""
import csv
import io
import json

from station import Station, cli, wait_for


def test_unknown_card_is_rejected_until_whitelisted(data_dir):
    station = Station(data_dir, cards=()).start()
    try:
        station.sim("plug", "1")
        station.wait_status(1, "Preparing")
        station.sim("rfid", "DEADBEEF")
        code, events = station.get("/api/events")
        rejected = wait_for(lambda: [e for e in station.get("/api/events")[1] if e["kind"] == "authorizationRejected"], what="rejection")
        assert "deadbeef" in rejected[0]["message"] and "unknown" in rejected[0]["message"]
        assert "session" not in station.connector(1)
        r = cli("whitelist", "add", "DEADBEEF", "--group", "FLEET", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
        station.sim("rfid", "DEADBEEF")
        c = station.wait_status(1, "Charging")
        assert c["session"]["source"] == "localWhitelist"
    finally:
        station.terminate()


def test_whitelist_cli_validation_names_the_rule(data_dir):
    for ident, rule in [("0a0e9b", "4, 7 or 10 bytes"), ("0a0e9b83_3", "unknown postfix _3"), ("0a0e9bzz", "hexadecimal")]:
        r = cli("whitelist", "add", ident, data_dir=data_dir)
        assert r.returncode == 1 and rule in r.stderr, r.stderr
    assert cli("whitelist", "add", "0a0e9b83_1", data_dir=data_dir).returncode == 0
    r = cli("whitelist", "add", "0A0E9B83_1", data_dir=data_dir)
    assert r.returncode == 1 and "already" in r.stderr
    r = cli("whitelist", "add", "0a0e9b83", "--expiry", "2030-13-01T00:00:00", data_dir=data_dir)
    assert r.returncode == 1 and "2020-01-01T12:00:00" in r.stderr
    r = cli("whitelist", "list", "--json", data_dir=data_dir)
    assert [e["id"] for e in json.loads(r.stdout)] == ["0A0E9B83_1"]


TECHNAGON = "UID,GID,Expiry,Authorization\naec78085,,,accepted\nae36959e,FLEET,,accepted\n0488dd2a561d80,,,blocked\n4b13b318,,2020-01-01T12:00:00,accepted\n"


def test_csv_import_export_both_formats_and_rejected_files(tmp_path, data_dir):
    good = tmp_path / "good.csv"
    good.write_text(TECHNAGON)
    r = cli("whitelist", "import", str(good), data_dir=data_dir)
    assert r.returncode == 0 and "processed 5 lines (technagon format): 4 added" in r.stdout, r.stdout + r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("UID,GID,Expiry,Authorization\naec78085,,,accepted\nabc,,,accepted\nae36959e,,tomorrow,accepted\nff00ff00,,,maybe\n")
    r = cli("whitelist", "import", str(bad), "--replace", data_dir=data_dir)
    assert r.returncode == 1
    assert "line 3: 'abc'" in r.stderr and "line 4: 'tomorrow'" in r.stderr and "line 5: 'maybe'" in r.stderr
    out = tmp_path / "out.csv"
    assert cli("whitelist", "export", "--output", str(out), data_dir=data_dir).returncode == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["UID", "GID", "Expiry", "Authorization"] and len(rows) == 5, "the rejected import changed nothing"
    assert ["4B13B318", "", "2020-01-01T12:00:00", "accepted"] in rows
    single = tmp_path / "single.csv"
    single.write_text("D7D7554A\nD77E504A\n")
    r = cli("whitelist", "import", str(single), "--replace", data_dir=data_dir)
    assert r.returncode == 0 and "processed 2 lines (singleColumn format): 2 added" in r.stdout
    r = cli("whitelist", "export", "--format", "single-column", data_dir=data_dir)
    assert r.stdout.split() == ["D7D7554A", "D77E504A"]


def test_whitelist_api_and_learning_mode(station):
    code, body = station.request("POST", "/api/whitelist", body={"id": "1122334455667788"})
    assert code == 400 and body["field"] == "id" and "8 bytes" in body["error"]
    code, body = station.request("POST", "/api/whitelist", body={"id": "11223344", "authorization": "blocked"})
    assert code == 201 and body["authorization"] == "blocked"
    code, body = station.request("POST", "/api/whitelist", body={"id": "11223344"})
    assert code == 409
    code, body = station.request("PUT", "/api/whitelist/11223344", body={"authorization": "accepted"})
    assert code == 200 and body["authorization"] == "accepted"
    code, body = station.request("POST", "/api/whitelist/learn", body={"active": True})
    assert code == 200 and body["active"]
    station.sim("rfid", "CAFEBABE")
    station.sim("plug", "2", "--evccid", "00:1A:2B:3C:4D:5E")
    learned = wait_for(lambda: len(station.get("/api/whitelist/learn")[1]["learned"]) == 2 and station.get("/api/whitelist/learn")[1]["learned"],
                       what="learned")
    assert learned == ["CAFEBABE", "00:1A:2B:3C:4D:5E"]
    assert "session" not in station.connector(2), "learning does not authorize"
    station.request("POST", "/api/whitelist/learn", body={"active": False})
    code, wl = station.get("/api/whitelist?search=cafe")
    assert [e["id"] for e in wl["entries"]] == ["CAFEBABE"]
    code, body = station.request("DELETE", "/api/whitelist/CAFEBABE")
    assert code == 200
    code, wl = station.get("/api/whitelist")
    assert [e["id"] for e in wl["deleted"]] == ["CAFEBABE"]
    assert station.request("POST", "/api/whitelist/CAFEBABE/restore")[0] == 200
    assert station.request("DELETE", "/api/whitelist/NOPE1234")[0] == 404
    # A whitelisted vehicle MAC authorizes on the next plug-in once Autocharge is On (seeds/000: Off by default).
    assert station.sim("unplug", "2", "--force").returncode == 0  # locked at the socket: pulled at the vehicle
    station.wait_status(2, "Available")
    code, body = station.request("PUT", "/api/config/AutochargeIdTagPrefix", {"value": "TOO-LONG-1"})
    assert code == 400 and "AutochargeIdTagPrefix" in json.dumps(body) and "8" in json.dumps(body), body
    assert station.request("PUT", "/api/config/AutochargeIdTagPrefix", {"value": "VID:"})[0] == 200
    assert station.request("PUT", "/api/config/Autocharge", {"value": True})[0] == 200
    station.sim("plug", "2", "--evccid", "00:1A:2B:3C:4D:5E")
    c = station.wait_status(2, "Charging")
    assert c["session"]["method"] == "Autocharge" and c["session"]["idTag"] == "VID:001A2B3C4D5E"


def test_free_charging_no_ocpp_starts_on_plug_in(data_dir):
    assert cli("config", "set", "FreeCharging", "On", "--role", "operator", data_dir=data_dir).returncode == 0
    r = cli("config", "set", "FreeChargingMode", "With OCPP Full any RFID", "--role", "operator", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    r = cli("config", "set", "FreeChargingMode", "mode 7", "--role", "operator", data_dir=data_dir)
    assert r.returncode == 1 and "noOCPP" in r.stderr
    assert cli("config", "set", "FreeChargingMode", "noOCPP", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, cards=()).start()
    try:
        station.sim("plug", "1")
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"] == "freecharging" and c["session"]["method"] == "FreeCharging"
    finally:
        station.terminate()


def test_letter_case_upper_reversed(data_dir):
    assert cli("config", "set", "RFIDTagLetterCase", "Upper Case Reversed Byte Order", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, cards=("839B0E0A",)).start()
    try:
        station.sim("plug", "1")
        station.sim("rfid", "0a0e9b83")
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"] == "839B0E0A"
    finally:
        station.terminate()


def test_history_export_summary_masking_and_restart(data_dir, tmp_path):
    station = Station(data_dir).start()
    for _ in range(2):
        station.sim("plug", "1")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Charging")
        wait_for(lambda: station.connector(1)["session"]["energyWh"] > 10, what="energy")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Finishing")
        station.sim("unplug", "1")
        station.wait_status(1, "Available")
    code, rows = station.get("/api/history")
    assert code == 200 and len(rows) == 2
    assert rows[0]["idTag"] == "**********3580", "UID disclose Off masks identifiers"
    assert rows[0]["stopReason"] == "Local" and rows[0]["energyWh"] > 10 and rows[0]["durationSeconds"] > 0
    code, summary = station.get("/api/history/summary")
    assert summary["totalSessions"] == 2 and summary["averageEnergyKWh"] > 0
    assert station.get("/api/history?from=yesterday")[0] == 400
    code, future = station.get("/api/history?from=2099-01-01")
    assert future == []
    assert station.terminate() == 0
    # History and whitelist survive a restart; the CLI reads them from the stopped station too.
    assert cli("config", "set", "UIDDisclose", "On", "--role", "operator", data_dir=data_dir).returncode == 0
    out = tmp_path / "history.csv"
    r = cli("history", "export", "--output", str(out), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 2 and rows[0]["idTag"] == "04567daa5f3580" and rows[0]["stopReason"] == "Local"
    r = cli("history", "summary", "--json", data_dir=data_dir)
    assert json.loads(r.stdout)["totalSessions"] == 2
    station.start()
    try:
        code, rows = station.get("/api/history")
        assert len(rows) == 2
        code, wl = station.get("/api/whitelist")
        assert {e["id"] for e in wl["entries"]} == {"04567DAA5F3580", "0A0E9B83"}
    finally:
        station.terminate()


def test_seeds002_1_7_authentication_mode_is_a_preset_over_its_parameters(data_dir):
    """Issue 29 item 7: `chargekit config set AuthenticationMode …` sets the parameters the Technagon mode stands for,
    and `config get` shows the mode the current values amount to (Custom when none)."""
    def get(key):
        r = cli("config", "get", key, "--json", data_dir=data_dir, check=True)
        return json.loads(r.stdout)["value"]
    assert get("AuthenticationMode") == "WhitelistedRFID"
    cli("config", "set", "AuthenticationMode", "AnyUnknownOrWhitelistedRFID", "--role", "operator", data_dir=data_dir, check=True)
    assert get("AllowOfflineTxForUnknownId") is True and get("DummyRfidEnabled") is False
    assert get("AuthenticationMode") == "AnyUnknownOrWhitelistedRFID"
    cli("config", "set", "AuthenticationMode", "NoRFID", "--role", "operator", data_dir=data_dir, check=True)
    assert get("DummyRfidEnabled") is True and get("AuthenticationMode") == "NoRFID"
    cli("config", "set", "DummyRfidEnabled", "Off", "--role", "operator", data_dir=data_dir, check=True)
    assert get("AuthenticationMode") == "AnyUnknownOrWhitelistedRFID", "AllowOfflineTxForUnknownId is still On"
    cli("config", "set", "AllowOfflineTxForUnknownId", "Off", "--role", "operator", data_dir=data_dir, check=True)
    assert get("AuthenticationMode") == "WhitelistedRFID"
    cli("config", "set", "IfInDoubtAllowCharging", "on", "--role", "operator", data_dir=data_dir, check=True)
    assert get("AuthenticationMode") == "Custom"
