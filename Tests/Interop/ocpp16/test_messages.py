"""LocalAuthListManagement and RemoteTrigger cases, and negative tests the OCTT does not cover."""
import json
import time

from ocpp.v16 import call

from harness import plug, rfid, unplug, wait_for


def test_TC_042_1_CS_get_local_list_version(cs, make_station):
    make_station()
    assert cs.call(call.GetLocalListVersion()).list_version == 0


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
    """Offline start (AllowOfflineTxForUnknownId), sampled MeterValues queued while offline: after reconnect the
    StartTransaction comes first, then the queued MeterValues in order with the transactionId the central system
    assigned, then new ones."""
    station = make_station(config=[("MeterValueSampleInterval", "1"), ("AllowOfflineTxForUnknownId", "On")])
    plug(station)
    cs.stop_server()
    rfid(station)
    station.wait_status(1, "Charging", timeout=30)
    time.sleep(4)
    mark = cs.mark()
    cs.restart_server()
    start = cs.wait_call("StartTransaction", since=mark, timeout=60)
    wait_for(lambda: len(cs.calls("MeterValues", since=mark)) >= 3, what="the queued MeterValues")
    tx = [(a, p) for a, p in zip(cs.actions(since=mark), [p for _, p in cs.calls(since=mark)]) if a in ("StartTransaction", "MeterValues")]
    assert tx[0][0] == "StartTransaction"
    values = [p for a, p in tx if a == "MeterValues"]
    assert len(values) >= 3
    assert all(p["transactionId"] == cs.last_transaction_id for p in values)
    stamps = [p["meterValue"][0]["timestamp"] for p in values]
    assert stamps == sorted(stamps)
    assert start["timestamp"] < stamps[0]


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
