"""Issue 20, the station's OCPP side, with the `ocpp` library as central system: secrets over GetConfiguration, the
transaction id in the history, formulas in the history export, implausible backend times, and protocol hygiene
(1007 for invalid UTF-8, no CALLERROR for a malformed CALLRESULT, a negative schedule duration refused, no forged log
lines)."""
import asyncio
import csv
import io
import json
from datetime import datetime, timezone

from ocpp.v16 import call

from harness import cli, plug, rfid
from station import wait_for

YEARS_25 = 25 * 365 * 86400


def parse(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_get_configuration_never_reveals_a_secret(cs, make_station):
    """Issue 20 item 4: DLMNetworkKey is write-only like AuthorizationKey."""
    make_station(config=[("DLMNetworkKey", "dlm-network-key-4711")])
    everything = cs.call(call.GetConfiguration())
    keys = {k["key"]: k.get("value") for k in everything.configuration_key}
    assert "DLMNetworkKey" not in keys and "AuthorizationKey" not in keys
    assert "dlm-network-key-4711" not in json.dumps(everything.configuration_key)
    asked = cs.call(call.GetConfiguration(key=["DLMNetworkKey", "HeartbeatInterval"]))
    assert asked.unknown_key == ["DLMNetworkKey"]
    assert [k["key"] for k in asked.configuration_key] == ["HeartbeatInterval"]


def remote_session(cs, station, id_tag):
    """A session started by RemoteStartTransaction and stopped by RemoteStopTransaction; returns its transactionId."""
    plug(station, 1)
    cs.wait_status(1, "Preparing")
    mark = cs.mark()
    assert cs.call(call.RemoteStartTransaction(id_tag=id_tag, connector_id=1)).status == "Accepted"
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == id_tag
    cs.wait_status(1, "Charging", since=mark)
    transaction_id = cs.last_transaction_id
    mark = cs.mark()
    assert cs.call(call.RemoteStopTransaction(transaction_id=transaction_id)).status == "Accepted"
    cs.wait_call("StopTransaction", since=mark)
    return transaction_id


def test_history_names_the_transaction_id_and_neutralises_formulas(cs, make_station):
    """Issue 20 items 7 and 8: the backend's transactionId in every export; an idTag '=1+2' is no formula."""
    station = make_station()
    transaction_id = remote_session(cs, station, "=1+2")
    code, sessions = station.get("/api/sessions")
    assert code == 200 and sessions[0]["transactionId"] == transaction_id, sessions[0]
    exported = cli("history", "export", data_dir=station.data_dir, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["transactionId"] == str(transaction_id)
    assert rows[0]["idTag"] == "'=1+2"


def test_an_implausible_backend_time_is_refused(cs, make_station):
    """Issue 20 item 9: a backend 25 years behind sets nothing; a session's Stop never precedes its Start."""
    cs.time_offset = -YEARS_25
    station = make_station(boot=False)
    cs.wait_call("BootNotification")
    status = cs.wait_status(0, "Available")
    assert abs((parse(status["timestamp"]) - datetime.now(timezone.utc)).total_seconds()) < 60
    plug(station, 1)
    rfid(station)
    start = cs.wait_call("StartTransaction")
    cs.wait_status(1, "Charging")
    mark = cs.mark()
    assert cs.call(call.TriggerMessage(requested_message="Heartbeat")).status == "Accepted"
    cs.wait_call("Heartbeat", since=mark)
    rfid(station)
    stop = cs.wait_call("StopTransaction", since=mark)
    assert parse(stop["timestamp"]) >= parse(start["timestamp"])
    assert abs((parse(stop["timestamp"]) - datetime.now(timezone.utc)).total_seconds()) < 60
    code, events = station.get("/api/events")
    assert any("Clock not set" in e["message"] for e in events), [e["message"] for e in events][:10]


def test_a_plausible_backend_time_is_still_followed(cs, make_station):
    cs.time_offset = 600
    make_station(boot=False)
    status = cs.wait_status(0, "Available")
    ahead = (parse(status["timestamp"]) - datetime.now(timezone.utc)).total_seconds()
    assert 590 <= ahead <= 610, ahead


def test_invalid_utf8_closes_with_1007(cs, make_station):
    """Issue 20 item 11: RFC 6455 §8.1 — a text frame that is not UTF-8 fails the connection with 1007."""
    make_station()
    connection = cs.cp._connection
    asyncio.run_coroutine_threadsafe(connection.send(b'[2,"bad","Heartbeat",{"x":"\xff\xfe"}]', text=True), cs._loop).result(10)
    wait_for(lambda: connection.close_code is not None, timeout=20, what="the station closing the connection")
    assert connection.close_code == 1007, (connection.close_code, connection.close_reason)
    cs.wait_connected(count=2)


def test_a_malformed_callresult_gets_no_callerror(cs, make_station):
    """Issue 20 item 11: OCPP-J §4.2.3 — only a CALL is answered with a CALLERROR."""
    make_station()
    for frame in ('[3, "nobody-asked"]', '[3, "x", {}, "extra"]', '[4, "y", 17]', '[5, "z", {}]'):
        cs.send_raw(frame)
    cs.send_raw(json.dumps([2, "after-1", "GetConfiguration", {"key": ["HeartbeatInterval"]}]))
    assert cs.raw_answers("after-1")[0] == 3, "the connection still works"
    with cs._lock:
        answered = [m for d, _, m, *_ in cs.frames if d == "in" and isinstance(m, list) and m and m[0] == 4]
    assert answered == [], answered


def test_a_negative_schedule_duration_is_a_property_constraint_violation(cs, make_station):
    make_station()
    profile = {"chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
               "chargingSchedule": {"duration": -60, "chargingRateUnit": "A",
                                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}
    cs.send_raw(json.dumps([2, "neg-1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile}]))
    answer = cs.raw_answers("neg-1")
    assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation", answer


def test_backend_values_cannot_forge_log_lines(cs, make_station):
    """Issue 20 item 11: a message id with a line break is logged escaped, on one line (CWE-117)."""
    station = make_station()
    cs.send_raw(json.dumps([5, "AB\nFORGED line\r\u2028", {}]))  # an unknown message type: dropped with a warning
    wait_for(lambda: b"FORGED" in station.log_path.read_bytes(), timeout=10, what="the warning in the log")
    log = station.log_path.read_bytes().decode(errors="replace")
    assert not any(line.startswith("FORGED") for line in log.splitlines()), log[-2000:]
    assert "AB\\nFORGED line\\r\\u{2028}" in log, log[-2000:]
