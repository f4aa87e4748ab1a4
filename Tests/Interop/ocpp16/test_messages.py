"""LocalAuthListManagement and RemoteTrigger cases, and negative tests the OCTT does not cover."""
import json
from datetime import datetime

from ocpp.v16 import call

from harness import plug, rfid, unplug, wait_for


def parse(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_TC_042_1_CS_get_local_list_version_not_supported(cs, make_station):
    """The local list disabled (LocalAuthListEnabled false): GetLocalListVersion answers -1 (OCPP 1.6 §5.10)."""
    make_station(config=[("LocalAuthListEnabled", "Off")])
    assert cs.call(call.GetLocalListVersion()).list_version == -1


def test_TC_043_CS_send_local_list_full_and_differential(cs, make_station):
    station = make_station()
    full = call.SendLocalList(list_version=5, update_type="Full",
                              local_authorization_list=[{"idTag": "LOCAL1", "idTagInfo": {"status": "Accepted"}},
                                                        {"idTag": "LOCAL2", "idTagInfo": {"status": "Blocked"}}])
    assert cs.call(full).status == "Accepted"
    assert cs.call(call.GetLocalListVersion()).list_version == 5
    stale = call.SendLocalList(list_version=5, update_type="Differential", local_authorization_list=[{"idTag": "LOCAL3"}])
    assert cs.call(stale).status == "VersionMismatch"
    diff = call.SendLocalList(list_version=6, update_type="Differential",
                              local_authorization_list=[{"idTag": "LOCAL2"}, {"idTag": "LOCAL3", "idTagInfo": {"status": "Accepted"}}])
    assert cs.call(diff).status == "Accepted"
    lists = station.get("/api/authorization/lists")[1]
    assert sorted(e["idTag"] for e in lists["localList"]) == ["LOCAL1", "LOCAL3"]


def test_TC_054_CS_trigger_message(cs, make_station):
    make_station()
    for message, action in [("Heartbeat", "Heartbeat"), ("MeterValues", "MeterValues")]:
        mark = cs.mark()
        assert cs.call(call.TriggerMessage(requested_message=message, connector_id=1)).status == "Accepted"
        cs.wait_call(action, since=mark)
    mark = cs.mark()
    assert cs.call(call.TriggerMessage(requested_message="StatusNotification")).status == "Accepted"
    for n in (0, 1, 2):
        cs.wait_status(n, "Available", since=mark)


def test_TC_055_CS_trigger_message_rejected(cs, make_station):
    make_station()
    assert cs.call(call.TriggerMessage(requested_message="MeterValues", connector_id=3)).status == "Rejected"


def test_malformed_frames_get_the_right_callerror(cs, make_station):
    station = make_station()
    cases = {
        "bad-1": ([2, "bad-1", "FooBar", {}], "NotImplemented"),
        "bad-2": ([2, "bad-2", "ChangeAvailability", {"connectorId": 1}], "OccurenceConstraintViolation"),
        "bad-3": ([2, "bad-3", "ChangeAvailability", {"connectorId": "1", "type": "Operative"}], "TypeConstraintViolation"),
        "bad-4": ([2, "bad-4", "ChangeAvailability", {"connectorId": 1, "type": "Sideways"}], "PropertyConstraintViolation"),
        "bad-5": ([2, "bad-5", "ChangeAvailability", {"connectorId": 1, "type": "Operative", "extra": 1}], "FormationViolation"),
        "bad-6": ([2, "bad-6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}], "NotSupported"),
    }
    for mid, (frame, code) in cases.items():
        cs.send_raw(json.dumps(frame))
        answer = cs.raw_answers(mid)
        assert answer[0] == 4 and answer[2] == code, (mid, answer)
        assert answer[4] == {}
    cs.send_raw('[2, "bad-7", "Reset", {"type": "Soft"')
    cs.send_raw("not json at all")
    # Still connected and answering (frames are handled in order, so these came first).
    assert cs.call(call.GetLocalListVersion()).list_version == 0
    assert station.proc.poll() is None


def test_TC_036_CS_connection_loss_during_transaction(cs, make_station):
    """The connection is lost while a transaction runs: the sampled MeterValues taken offline are queued and, after
    the reconnect, come first, in chronological order, MeterValueSampleInterval apart and with the transaction's id,
    before the new ones."""
    interval = 1
    station = make_station(config=[("MeterValueSampleInterval", str(interval))])
    plug(station)
    rfid(station)
    start = cs.wait_call("StartTransaction")
    cs.wait_status(1, "Charging")
    tx = cs.last_transaction_id
    cs.stop_server()
    wait_for(lambda: not station.status()["backend"]["connected"], what="the station noticing the connection loss")
    wait_for(lambda: station.status()["backend"]["queuedTransactionMessages"] >= 4, timeout=15, what="four MeterValues queued offline")
    mark = cs.mark()
    cs.restart_server()
    # The StatusNotifications sent at the reconnect carry the station's time of it: what was sampled before is queued.
    reconnect = parse(cs.wait_status(1, "Charging", since=mark)["timestamp"])
    values = wait_for(lambda: (v := [p for _, p in cs.calls("MeterValues", since=mark)
                                    if parse(p["meterValue"][0]["timestamp"]) > reconnect]) and v, what="a MeterValues taken after the reconnect")
    after = [p for _, p in cs.calls("MeterValues", since=mark)]
    assert not [a for a in cs.actions(mark) if a in ("StartTransaction", "StopTransaction")], "the transaction started online and runs"
    stamps = [parse(p["meterValue"][0]["timestamp"]) for p in after]
    queued = [t for t in stamps if t < reconnect]
    assert len(queued) >= 4 and stamps[:len(queued)] == queued, "the queued values come first"
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "in chronological order, none twice"
    assert all(p["transactionId"] == tx for p in after)
    assert all(sv["context"] == "Sample.Periodic" for p in after for sv in p["meterValue"][0]["sampledValue"])
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    assert all(0.5 * interval <= g <= 1.5 * interval for g in gaps), f"MeterValueSampleInterval apart: {gaps}"
    assert parse(start["timestamp"]) < queued[0] and values


def test_kill9_while_messages_are_queued_loses_and_duplicates_nothing(cs, make_station):
    station = make_station(config=[("AllowOfflineTxForUnknownId", "On")])
    cs.stop_server()
    plug(station)
    rfid(station)
    station.wait_status(1, "Charging", timeout=30)
    rfid(station)
    station.wait_status(1, "Finishing", timeout=30)
    station.kill9()
    mark = cs.mark()
    cs.restart_server()
    station.start()
    stop = cs.wait_call("StopTransaction", since=mark, timeout=60)
    starts = cs.calls("StartTransaction", since=0)
    stops = cs.calls("StopTransaction", since=0)
    assert len(starts) == 1 and len(stops) == 1
    assert stop["transactionId"] == cs.last_transaction_id
    order = [a for a in cs.actions(since=mark) if a in ("StartTransaction", "StopTransaction")]
    assert order == ["StartTransaction", "StopTransaction"]


def test_TC_032_2_CS_kill9_during_transaction_stops_it_after_boot(cs, make_station):
    """Power loss without backup (kill -9) while charging, "Restart transaction after power loss" Off: after the
    restart the transaction is stopped with reason PowerLoss, and its StopTransaction reaches the central system."""
    station = make_station(config=[("RestartTransactionAfterPowerLoss", "Off")])
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction")
    station.wait_status(1, "Charging", timeout=30)
    station.kill9()
    mark = cs.mark()
    station.start()
    stop = cs.wait_call("StopTransaction", since=mark, timeout=60)
    assert stop["reason"] == "PowerLoss" and stop["transactionId"] == cs.last_transaction_id
    assert len(cs.calls("StopTransaction")) == 1
