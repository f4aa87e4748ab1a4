"""End-to-end tests of the station foundation with the real binary: CLI, local API, simulator,
SQLite durability across kill -9 and graceful shutdown."""
import json
import os
import urllib.request

from station import Station, brief, cli, wait_for


def test_version_and_help():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip()
    r = cli("sim", "--help")
    assert r.returncode == 0
    for word in ["plug", "unplug", "rfid", "fault", "input", "target", "status"]:
        assert word in r.stdout


def test_bad_arguments_exit_non_zero_with_a_message(data_dir):
    r = cli("station", "--simulate", "--connectors", "3", data_dir=data_dir)
    assert r.returncode != 0 and "--connectors must be 1 or 2" in r.stderr
    r = cli("station", "--connectors", "1", data_dir=data_dir)
    assert r.returncode != 0 and "--simulate" in r.stderr
    r = cli("sim", "status", data_dir=data_dir)
    assert r.returncode == 2 and "no station is running" in r.stderr
    r = cli("config", "set", "--role", "king", "OperatorCurrentLimit.1", "16", data_dir=data_dir)
    assert r.returncode != 0 and "--role" in r.stderr


def test_charging_session_driven_by_the_cli(station):
    assert [c["status"] for c in station.status()["connectors"]] == ["Available", "Available"]
    r = station.sim("plug", "1", "--ev", "3p-16a")
    assert r.returncode == 0, r.stderr
    station.wait_status(1, "Preparing")
    assert station.sim("rfid", "04567DAA5F3580").returncode == 0
    c = station.wait_status(1, "Charging")
    assert c["session"]["idTag"] == "04567daa5f3580"  # RFID Tag letter case: Lower Case (default)
    assert c["pilotSignal"]["kind"] == "pwm" and c["pilotSignal"]["signaledCurrentAmps"] == 32
    assert c["relays"] == "threePhase"
    wait_for(lambda: station.connector(1)["meter"]["currentA"]["l1"] == 16, what="EV drawing 16 A")
    assert round(station.connector(1)["meter"]["powerW"]["l1"]) == 3680
    energy = wait_for(lambda: station.connector(1)["session"]["energyWh"] > 50 and station.connector(1)["session"]["energyWh"],
                      what="energy")
    # The same card ends the session; the socket unlocks; unplugging makes the connector available.
    assert station.sim("rfid", "04567DAA5F3580").returncode == 0
    c = station.wait_status(1, "Finishing")
    assert not c["lockCommanded"]
    assert station.sim("unplug", "1").returncode == 0
    station.wait_status(1, "Available")
    code, sessions = station.get("/api/sessions")
    assert code == 200 and len(sessions) == 1
    assert sessions[0]["stopReason"] == "Local" and sessions[0]["energyWh"] >= energy
    code, events = station.get("/api/events?limit=50")
    kinds = [e["kind"] for e in events]
    assert "sessionStarted" in kinds and "sessionStopped" in kinds


def test_simulator_refuses_impossible_commands_and_keeps_running(station):
    r = station.sim("unplug", "1")
    assert r.returncode == 1 and "no vehicle" in r.stderr
    r = station.sim("plug", "3")
    assert r.returncode == 1 and "connector 3 does not exist" in r.stderr
    r = station.sim("plug", "1", "--ev", "9p-16a")
    assert r.returncode == 1 and "unknown EV profile" in r.stderr
    r = station.sim("rfid", "XYZ")
    assert r.returncode == 1 and "4, 7 or 10 bytes" in r.stderr
    r = station.sim("fault", "1", "sparks")
    assert r.returncode == 1 and "unknown fault" in r.stderr
    station.sim("plug", "1")
    station.sim("rfid", "04567DAA5F3580")
    station.wait_status(1, "Charging")
    r = station.sim("unplug", "1")
    assert r.returncode == 1 and "locked" in r.stderr
    assert station.connector(1)["status"] == "Charging"


def test_api_answers_bad_requests_with_json_errors(station):
    code, body = station.get("/api/nope")
    assert code == 404 and "no such endpoint" in body["error"]
    assert station.get("/api/connectors/7")[0] == 404
    code, body = station.get("/api/connectors/1")
    assert code == 200 and body["id"] == 1
    code, body = station.request("POST", "/api/sim/plug", raw=b"{not json")
    assert code == 400 and "not valid JSON" in body["error"]
    code, body = station.request("POST", "/api/sim/plug", body={"ev": "3p-16a"})
    assert code == 400 and body["field"] == "connector"
    code, body = station.request("POST", "/api/sim/plug", body={"connector": "one"})
    assert code == 400 and body["field"] == "connector"
    code, body = station.request("POST", "/api/sim/rfid", raw=b"x" * 100_000)
    assert code == 413
    code, body = station.request("PUT", "/api/config/NoSuchKey", body={"value": 1})
    assert code == 404 and "unknown parameter" in body["error"]
    code, body = station.request("PUT", "/api/config/OperatorCurrentLimit.1", body={"value": 99, "role": "operator"})
    assert code == 400 and body["key"] == "OperatorCurrentLimit.1" and body["allowed"] == "a whole number from 6 to 80 A"
    code, body = station.request("PUT", "/api/config/HardwareMaxCurrent.1", body={"value": 16, "role": "operator"})
    assert code == 403 and "manufacturer" in body["error"]
    code, body = station.request("PUT", "/api/config/OperatorCurrentLimit.1", body={"value": 16, "role": "root"})
    assert code == 400 and body["field"] == "role"
    assert station.get("/api/events?limit=0")[0] == 400
    assert station.get("/api/status")[0] == 200


def test_operator_limit_changes_while_charging(station):
    station.sim("plug", "2", "--ev", "3p-32a")
    station.sim("rfid", "0A0E9B83")
    station.wait_status(2, "Charging")
    wait_for(lambda: station.connector(2)["meter"]["currentA"]["l1"] == 32, what="32 A")
    code, body = station.request("PUT", "/api/config/OperatorCurrentLimit.2", body={"value": 10, "role": "operator"})
    assert code == 200 and body["value"] == 10
    c = station.connector(2)
    assert brief(c["currentLimit"]) == {"amps": 10, "binding": "operator"}
    assert c["pilotSignal"]["signaledCurrentAmps"] == 10
    wait_for(lambda: station.connector(2)["meter"]["currentA"]["l1"] == 10, what="EV follows 10 A")
    code, audit = station.get("/api/config-audit")
    assert audit[0]["key"] == "OperatorCurrentLimit.2" and audit[0]["newValue"] == "10" and audit[0]["changedBy"] == "api:operator"


def test_fault_injection_and_error_catalogue(station):
    station.sim("plug", "1")
    station.sim("rfid", "04567DAA5F3580")
    station.wait_status(1, "Charging")
    assert station.sim("fault", "1", "rcd").returncode == 0
    c = station.wait_status(1, "Faulted")
    assert c["pilotSignal"]["kind"] == "stateF" and c["relays"] == "open"
    code, errors = station.get("/api/errors")
    assert [(e["id"], e["code"], e["message"]) for e in errors["active"]] == [
        ("rcmbResidualCurrent", "groundFailure", "Residual current detected via sensor")]
    # seeds/004 §9 and seeds/002 §3 as far as something real raises them (issue 22 item 6: the seeds/002 duplicates of
    # seeds/004's entries, the GSWML's SD card, the domestic socket's MCB and the reader "not found" are gone), the USB
    # link error of seeds/004 §4 "Send USB error StatusNotifications", OverVoltage, and the connector's
    # RegulatoryComplianceFailure of signed meter values (issue 28 item 6).
    assert len(errors["catalogue"]) == 20
    assert not {e["id"] for e in errors["catalogue"]} & {"rcdTripped", "contactorStuck", "mcbDomesticTriggered", "regulatoryComplianceFailure"}
    assert any(e["id"] == "signedMeterValuesUnavailable" and e["code"] == "RegulatoryComplianceFailure" for e in errors["catalogue"])
    assert any(e["id"] == "connectorBoardNotCommunicating" and e["code"] == "internalError" for e in errors["catalogue"])
    assert station.sim("fault", "rfid").returncode == 0
    wait_for(lambda: any(e["id"] == "rfidReaderNotCommunicating" for e in station.status()["activeErrors"]), what="reader error")
    assert station.sim("fault", "rfid", "--clear").returncode == 0
    wait_for(lambda: not any(e["id"] == "rfidReaderNotCommunicating" for e in station.status()["activeErrors"]), what="reader ok")
    code, events = station.get("/api/events")
    assert any(e["kind"] == "errorResolved" and e["message"] == "RFID reader recovered" for e in events)


def test_config_on_a_stopped_station_then_through_the_running_one(data_dir):
    r = cli("config", "set", "OperatorCurrentLimit.1", "90", "--role", "operator", data_dir=data_dir)
    assert r.returncode == 1 and "OperatorCurrentLimit.1" in r.stderr and "6 to 80 A" in r.stderr
    r = cli("config", "set", "VehicleConnectionTimeout", "60", "--role", "operator", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    r = cli("config", "get", "VehicleConnectionTimeout", "--json", data_dir=data_dir)
    assert json.loads(r.stdout)["value"] == 60
    r = cli("config", "list", "--menu", "Installation", data_dir=data_dir)
    assert r.returncode == 0 and "PhaseRotation.1" in r.stdout and "VehicleConnectionTimeout" not in r.stdout
    station = Station(data_dir, connectors=1).start()
    try:
        assert cli("config", "get", "VehicleConnectionTimeout", "--json", data_dir=data_dir).returncode == 0
        r = cli("config", "set", "OperatorCurrentLimit.1", "12", "--role", "operator", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
        assert brief(station.connector(1)["currentLimit"]) == {"amps": 12, "binding": "operator"}
        r = cli("config", "get", "OperatorCurrentLimit.2", data_dir=data_dir)
        assert r.returncode == 1 and "connector 2 does not exist" in r.stderr
    finally:
        assert station.terminate() == 0


def _charge_until_samples(station, n=1):
    station.sim("plug", str(n), "--ev", "3p-16a")
    station.sim("rfid", "04567DAA5F3580")
    station.wait_status(n, "Charging")
    # Wait until at least one meter sample with energy has been persisted (every 5 s simulated).
    return wait_for(lambda: station.connector(n)["session"]["energyWh"] > 30 and station.connector(n)["session"], what="energy")


def test_kill9_during_charging_resumes_the_session(data_dir):
    station = Station(data_dir).start()
    session = _charge_until_samples(station)
    station.kill9()
    station.start()
    try:
        c = station.wait_status(1, "Charging")
        assert c["session"]["id"] == session["id"]
        assert c["session"]["energyWh"] >= 25
        code, sessions = station.get("/api/sessions")
        assert len(sessions) == 1 and "stoppedAt" not in sessions[0]
        code, events = station.get("/api/events")
        assert any(e["kind"] == "sessionResumed" for e in events)
    finally:
        station.terminate()


def _charging_station_without_restart_after_power_loss(data_dir):
    """A station charging on connector 1 with "Restart transaction after power loss" Off."""
    assert cli("config", "set", "RestartTransactionAfterPowerLoss", "Off", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    _charge_until_samples(station)
    return station


def test_kill9_with_restart_after_power_loss_off_closes_with_power_loss(data_dir):
    station = _charging_station_without_restart_after_power_loss(data_dir)
    station.kill9()
    station.start()
    try:
        code, sessions = station.get("/api/sessions")
        assert len(sessions) == 1
        s = sessions[0]
        assert s["stopReason"] == "PowerLoss" and s["meterStopWh"] > s["meterStartWh"]
        c = station.connector(1)
        assert c["status"] == "Preparing" and "session" not in c
        # The meter register did not go back: it continues from at least the stop value.
        assert c["meter"]["energyWh"] >= s["meterStopWh"]
    finally:
        station.terminate()


def test_sigterm_persists_and_restart_reports_reboot(data_dir):
    station = _charging_station_without_restart_after_power_loss(data_dir)
    assert station.terminate() == 0
    assert not (data_dir / "station.json").exists()
    station.start()
    try:
        code, sessions = station.get("/api/sessions")
        assert sessions[0]["stopReason"] == "Reboot"
    finally:
        station.terminate()


def test_second_station_on_the_same_data_directory_is_refused(station, data_dir):
    r = cli("station", "--simulate", "--http-port", "0", data_dir=data_dir)
    assert r.returncode == 1 and "another chargekit station is running" in r.stderr


def _binary_code(pid):
    """KiB of the station binary's code mapped into the process (smaps Rss of its executable mapping) and the
    mapping's VmFlags (proc(5): "rr" is "random read advised", MADV_RANDOM)."""
    exe = os.path.realpath(f"/proc/{pid}/exe")
    rss, flags, current = 0, set(), None
    for line in open(f"/proc/{pid}/smaps"):
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            current = fields[1] == "r-xp" and len(fields) >= 6 and os.path.realpath(fields[5]) == exe
        elif current and fields[0] == "Rss:":
            rss += int(fields[1])
        elif current and fields[0] == "VmFlags:":
            flags |= set(fields[1:])
    return rss, flags


def test_station_runs_on_after_handing_back_its_startup_pages(data_dir):
    """Hosting's StartupPages: 30 s after the start the station unmaps the read-only pages of its own binary that the
    start touched (madvise MADV_DONTNEED). Everything it runs afterwards maps its pages again at the first touch: the
    session charging across that moment goes on, a new one starts and ends, the web and the API answer; and the
    binary's code mapped afterwards is less than before (the start's code does not come back), its mappings advised
    for random reads (MADV_RANDOM) and the binary's page cache dropped."""
    station = Station(data_dir, time_scale=1.0)
    station.log_level = "debug"
    station.start()
    try:
        _charge_until_samples(station, 1)
        before, flags = _binary_code(station.proc.pid)
        assert "rr" not in flags  # the start reads ahead
        released = "start-up pages released"
        wait_for(lambda: released in station.log_tail(1_000_000), timeout=90, interval=0.5, what="the start-up pages released")
        assert "page cache dropped" in station.log_tail(1_000_000)
        after, flags = _binary_code(station.proc.pid)
        assert 0 < after < before, (before, after)
        assert "rr" in flags, flags
        assert station.connector(1)["status"] == "Charging"
        energy = station.connector(1)["session"]["energyWh"]
        wait_for(lambda: station.connector(1)["session"]["energyWh"] > energy, what="energy counting on")
        station.sim("plug", "2", "--ev", "1p-16a")
        station.sim("rfid", "0A0E9B83")
        station.wait_status(2, "Charging")
        assert station.sim("rfid", "0A0E9B83").returncode == 0
        station.wait_status(2, "Finishing")
        code, sessions = station.get("/api/sessions")
        assert code == 200 and len(sessions) == 2
        with urllib.request.urlopen(f"{station.base}/login", timeout=10) as page:
            assert page.status == 200 and b"<form" in page.read()
    finally:
        assert station.terminate() == 0
