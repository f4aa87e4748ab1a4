"""seeds/003 Appendix 1 sequences between Python `ocpp` charge points, the gateway and a pymodbus BMS; one test per
sequence, named after it. Registers are those of Appendix 2 for charger slot xx = 0 (CP1, 2 connectors)."""
import time
from datetime import datetime, timezone

import pytest
import websockets
from ocpp.v16 import call

from peers import (BMS, Charger, Gateway, charger_base, connector_base, decode_epoch, decode_float, decode_string,
                   encode_epoch, encode_string, iso, wait_for)

B = charger_base(0)
C1 = connector_base(0, 1)


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, extra=["--bms-timeout", "4", "--charger-timeout", "5"]).start()
    yield g
    assert g.terminate() == 0


@pytest.fixture
def cp1(gateway, loop, bms):
    c = Charger(loop, gateway, "CP1").connect()
    answer = c.boot()
    assert answer.status == "Accepted"
    yield c
    c.close()


def test_SEQ_SyncDateTime(gateway, loop, bms):
    # The BMS writes SECOND … YEAR (registers 1…6); they read back as written, and the gateway takes them 15 s after
    # the last write ("after this time the gateway will take this actual registers as valid", seeds/003 §2.3.1.1).
    bms.write(1, [7, 30, 9, 14, 3, 2031])
    assert bms.read(1, 6) == [7, 30, 9, 14, 3, 2031]
    wait_for(lambda: bms.read(1) != [7], timeout=25, what="the date taken and the clock running")
    # A charger that boots gets the BMS's date in BootNotification.conf (as of the write, 15 s on).
    c = Charger(loop, gateway, "CP1").connect()
    answer = c.boot()
    current = datetime.fromisoformat(answer.current_time.replace("Z", "+00:00"))
    expected = datetime(2031, 3, 14, 9, 30, 7, tzinfo=timezone.utc)
    assert 14 <= (current - expected).total_seconds() < 22
    assert answer.interval == 300
    # Written one register at a time within 15 s works too; a partial date is discarded.
    for address, value in zip(range(1, 7), [0, 0, 12, 1, 1, 2030]):
        bms.write(address, value)
    assert bms.read(3, 4) == [12, 1, 1, 2030]
    bms.write(1, [0, 0, 0])
    assert bms.write_error(1, [0, 0, 0, 31, 4, 2030]) == 3, "31 April is refused with exception 03"
    c.close()


def test_SEQ_Authorize(cp1, bms):
    pending = cp1.send(call.Authorize(id_tag="04567DAA5F3580"))
    bms.wait_register(B + 64, 1)
    assert decode_string(bms.read(B + 65, 10)) == "04567DAA5F3580"
    assert not pending.done(), "the charger waits for the BMS"
    bms.write(B + 78, encode_string("FLEET-7"))
    bms.write(B + 88, encode_epoch(1_950_000_000))
    bms.write(B + 90, 0)
    bms.write(B + 77, 1)
    answer = pending.result(10)
    assert answer.id_tag_info["status"] == "Accepted"
    assert answer.id_tag_info["parent_id_tag"] == "FLEET-7"
    assert answer.id_tag_info["expiry_date"].startswith("2031-10-17")
    assert bms.read(B + 64) == [0] and bms.read(B + 77) == [0]


def test_SEQ_StartTransaction(cp1, bms, gateway):
    pending = cp1.send(call.StartTransaction(connector_id=2, id_tag="TAG-START", meter_start=12345, timestamp=iso(), reservation_id=9))
    bms.wait_register(B + 94, 1)
    assert bms.read(B + 95) == [2]
    assert decode_string(bms.read(B + 96, 10)) == "TAG-START"
    assert decode_float(bms.read(B + 106, 2)) == 12345.0
    assert bms.read(B + 108) == [9]
    assert abs(decode_epoch(bms.read(B + 109, 2)) - time.time()) < 10
    bms.write(B + 127, [0, 4321])  # result Accepted, transaction id
    bms.write(B + 114, 1)
    answer = pending.result(10)
    assert answer.transaction_id == 4321
    assert answer.id_tag_info["status"] == "Accepted"
    # Current Transaction Data of connector 2.
    c2 = connector_base(0, 2)
    assert decode_string(bms.read(c2 + 86, 10)) == "TAG-START"
    assert decode_float(bms.read(c2 + 96, 2)) == 12345.0
    assert gateway.db("SELECT transactionId, connectorId, idTag, decidedBy FROM gatewayTransaction") == [(4321, 2, "TAG-START", "BMS")]


def test_SEQ_StopTransaction(cp1, bms, gateway):
    start = cp1.send(call.StartTransaction(connector_id=1, id_tag="TAG-STOP", meter_start=100, timestamp=iso()))
    bms.wait_register(B + 94, 1)
    bms.write(B + 127, [0, 55])
    bms.write(B + 114, 1)
    assert start.result(10).transaction_id == 55
    stop = cp1.send(call.StopTransaction(meter_stop=2600, timestamp=iso(), transaction_id=55, reason="EVDisconnected", id_tag="TAG-STOP",
                                         transaction_data=[{"timestamp": iso(), "sampledValue": [
                                             {"value": "2.6", "measurand": "Energy.Active.Import.Register", "unit": "kWh"}]}]))
    bms.wait_register(B + 134, 1)
    assert decode_string(bms.read(B + 135, 10)) == "TAG-STOP"
    assert decode_float(bms.read(B + 145, 2)) == 2600.0
    assert bms.read(B + 149, 2) == [55, 2], "transaction id, reason 2 = EVDisconnected"
    bms.write(B + 168, 0)
    bms.write(B + 155, 1)
    assert stop.result(10).id_tag_info["status"] == "Accepted"
    assert decode_string(bms.read(C1 + 86, 10)) == "", "the connector's transaction data is cleared"
    assert decode_float(bms.read(C1 + 28, 2)) == pytest.approx(2.6)
    assert bms.read(C1 + 30) == [1], "kWh"
    assert gateway.db("SELECT meterStopWh, stopReason FROM gatewayTransaction WHERE transactionId = 55") == [(2600, "EVDisconnected")]


def test_SEQ_RemoteStartTransaction(cp1, bms):
    bms.write(B + 377, 2)
    bms.write(B + 378, encode_string("REMOTE-1"))
    bms.write(B + 376, 1)
    request = cp1.wait_received("RemoteStartTransaction")
    assert request == {"connector_id": 2, "id_tag": "REMOTE-1"}
    bms.wait_register(B + 376, 0)
    assert bms.read(B + 392) == [0], "Accepted"
    cp1.answers["RemoteStartTransaction"] = "Rejected"
    cp1.received.clear()
    bms.write(B + 376, 1)
    cp1.wait_received("RemoteStartTransaction")
    bms.wait_register(B + 376, 0)
    assert bms.read(B + 392) == [1], "Rejected"


def test_SEQ_RemoteStopTransaction(cp1, bms):
    bms.write(B + 397, 4321)
    bms.write(B + 396, 1)
    assert cp1.wait_received("RemoteStopTransaction") == {"transaction_id": 4321}
    bms.wait_register(B + 396, 0)
    assert bms.read(B + 401) == [0]


def test_SEQ_SendLocalList(cp1, bms):
    cp1.list_version = 6
    bms.write(B + 337, 1)  # add
    bms.write(B + 338, encode_string("CARD-ADD"))
    bms.write(B + 348, encode_string("GROUP-A"))
    bms.write(B + 358, encode_epoch(1_950_000_000))
    bms.write(B + 360, 0)
    bms.write(B + 336, 1)
    bms.wait_register(B + 336, 0)
    assert bms.read(B + 363) == [0], "Accepted"
    sent = cp1.wait_received("SendLocalList")
    assert sent["list_version"] == 7 and sent["update_type"] == "Differential"
    entry = sent["local_authorization_list"][0]
    assert entry["id_tag"] == "CARD-ADD"
    assert entry["id_tag_info"]["status"] == "Accepted" and entry["id_tag_info"]["parent_id_tag"] == "GROUP-A"
    assert bms.read(B + 291) == [7]
    # Delete: an entry without idTagInfo, the next version.
    cp1.received.clear()
    bms.write(B + 337, 2)
    bms.write(B + 336, 1)
    bms.wait_register(B + 336, 0)
    sent = cp1.wait_received("SendLocalList")
    assert sent["list_version"] == 8
    assert sent["local_authorization_list"] == [{"id_tag": "CARD-ADD"}]
    # A charger that reports a version mismatch: result 12.
    cp1.answers["SendLocalList"] = "VersionMismatch"
    bms.write(B + 337, 3)
    bms.write(B + 336, 1)
    bms.wait_register(B + 336, 0)
    assert bms.read(B + 363) == [12]
    assert bms.write_error(B + 337, 4) == 3


def test_SEQ_GetLocalListVersion(cp1, bms):
    cp1.list_version = 42
    bms.write(B + 286, 1)
    bms.wait_register(B + 286, 0)
    assert bms.read(B + 291) == [42]
    cp1.list_version = -1
    bms.write(B + 286, 1)
    bms.wait_register(B + 286, 0)
    assert bms.read(B + 291) == [0xFFFF], "-1 (no local list support) in two's complement"


def test_ReserveNow(cp1, bms):
    # seeds/003 Appendix 2 "Reserve Now" (296…323): the BMS writes the parameters and raises the Flag.
    expiry = 1_950_000_000
    bms.write(B + 297, 2)
    bms.write(B + 298, encode_epoch(expiry))
    bms.write(B + 300, encode_string("RES-CARD"))
    bms.write(B + 310, encode_string("RES-GROUP"))
    bms.write(B + 320, 17)
    bms.write(B + 296, 1)
    request = cp1.wait_received("ReserveNow")
    assert request.pop("expiry_date").startswith("2031-10-17T")
    assert request == {"connector_id": 2, "id_tag": "RES-CARD", "parent_id_tag": "RES-GROUP", "reservation_id": 17}
    bms.wait_register(B + 296, 0)
    assert bms.read(B + 323) == [0], "Accepted"
    for answer, code in (("Occupied", 9), ("Faulted", 8), ("Unavailable", 7), ("Rejected", 1)):
        cp1.answers["ReserveNow"] = answer
        cp1.received.clear()
        bms.write(B + 296, 1)
        cp1.wait_received("ReserveNow")
        bms.wait_register(B + 296, 0)
        assert bms.read(B + 323) == [code], answer
    # Without an Id Tag the request is refused with exception 03 and nothing is sent.
    bms.write(B + 300, encode_string(""))
    cp1.received.clear()
    assert bms.write_error(B + 296, 1) == 3
    assert bms.read(B + 296) == [0] and not cp1.received


def test_CancelReservation(cp1, bms):
    bms.write(B + 257, 17)
    bms.write(B + 256, 1)
    assert cp1.wait_received("CancelReservation") == {"reservation_id": 17}
    bms.wait_register(B + 256, 0)
    assert bms.read(B + 261) == [0], "Accepted"
    cp1.answers["CancelReservation"] = "Rejected"
    cp1.received.clear()
    bms.write(B + 257, 18)
    bms.write(B + 256, 1)
    assert cp1.wait_received("CancelReservation") == {"reservation_id": 18}
    bms.wait_register(B + 256, 0)
    assert bms.read(B + 261) == [1], "Rejected"


def test_ClearChargingProfile(cp1, bms):
    # Every parameter not set (65535): ClearChargingProfile without fields clears all profiles.
    bms.write(B + 276, 1)
    assert cp1.wait_received("ClearChargingProfile") == {}
    bms.wait_register(B + 276, 0)
    assert bms.read(B + 283) == [0], "Accepted"
    # Profile ID, connector, purpose 1 = TxDefaultProfile and stack level; the charger knows none: Unknown.
    cp1.answers["ClearChargingProfile"] = "Unknown"
    cp1.received.clear()
    bms.write(B + 277, [5, 1, 1, 2])
    bms.write(B + 276, 1)
    assert cp1.wait_received("ClearChargingProfile") == {"id": 5, "connector_id": 1, "charging_profile_purpose": "TxDefaultProfile",
                                                         "stack_level": 2}
    bms.wait_register(B + 276, 0)
    assert bms.read(B + 283) == [4], "Unknown"
    # A purpose outside the three of OCPP 1.6 is refused with exception 03.
    assert bms.write_error(B + 279, 3) == 3


def test_TriggerMessage_MeterValues_reads_values_on_demand(cp1, bms):
    # seeds/003 §2.3.1.6: the BMS asks for MeterValues through the Trigger Message registers.
    cp1.meter_sample = [
        {"value": "16.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "15.9", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
        {"value": "16.0", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
        {"value": "230.5", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
        {"value": "11.0", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "42", "measurand": "SoC", "unit": "Percent", "location": "EV"},
        {"value": "31.5", "measurand": "Temperature", "unit": "Celsius"},
    ]
    bms.write(B + 367, [4, 1])  # MeterValues, connector 1
    bms.write(B + 366, 1)
    assert cp1.wait_received("TriggerMessage") == {"requested_message": "MeterValues", "connector_id": 1}
    bms.wait_register(B + 366, 0)
    assert bms.read(B + 371) == [0]
    wait_for(lambda: decode_float(bms.read(C1 + 11, 2)) > 16, what="Current.Import L1")
    assert [round(decode_float(bms.read(C1 + o, 2)), 1) for o in (11, 13, 15)] == [16.1, 15.9, 16.0]
    assert bms.read(C1 + 17) == [10], "A"
    assert round(decode_float(bms.read(C1 + 79, 2)), 1) == 230.5 and bms.read(C1 + 85) == [11]
    assert decode_float(bms.read(C1 + 55, 2)) == 11.0 and bms.read(C1 + 57) == [5], "kW"
    assert decode_float(bms.read(C1 + 73, 2)) == 42.0 and bms.read(C1 + 75) == [15], "%"
    assert decode_float(bms.read(C1 + 76, 2)) == 31.5 and bms.read(C1 + 78) == [12], "ºC"


def test_bms_timeout_answers_invalid_and_keeps_the_transaction_local(cp1, bms, gateway):
    answer = cp1.call(call.Authorize(id_tag="NOBODY-HOME"), timeout=15)
    assert answer.id_tag_info["status"] == "Invalid"
    start = cp1.call(call.StartTransaction(connector_id=1, id_tag="NOBODY-HOME", meter_start=0, timestamp=iso()), timeout=15)
    assert start.id_tag_info["status"] == "Invalid"
    assert start.transaction_id >= 1
    assert gateway.db("SELECT decidedBy, status FROM gatewayTransaction WHERE transactionId = ?", start.transaction_id) == [("gateway", "Invalid")]
    assert bms.read(B + 64) == [0] and bms.read(B + 94) == [0]
    wait_for(lambda: gateway.logged("Authorize answered Invalid because the BMS did not process it within 4 s"), what="timeout logged")


def test_operations_the_charger_does_not_answer_read_65535(gateway, loop, bms, cp1):
    cp1.answers["ClearCache"] = "Rejected"
    bms.write(B + 266, 1)
    bms.wait_register(B + 266, 0)
    assert bms.read(B + 271) == [1]


def test_status_notifications_and_information_registers(cp1, bms):
    assert bms.read(B) == [0], "communication OK"
    assert decode_string(bms.read(B + 27, 10)) == "ChargeKit Tests"
    assert decode_string(bms.read(B + 37, 10)) == "PyCP"
    assert decode_string(bms.read(B + 1, 13)) == "CBSN-1"
    assert decode_string(bms.read(B + 14, 13)) == "CPSN-1"
    cp1.call(call.StatusNotification(connector_id=1, error_code="HighTemperature", status="SuspendedEVSE"))
    assert bms.read(C1 + 2, 2) == [3, 3]
    assert bms.read(charger_base(1)) == [1], "CP2 is not connected"
    cp1.close()
    wait_for(lambda: bms.read(B) == [1], what="communication error after disconnect")


def test_unknown_charger_is_refused_and_listed_by_the_scan(gateway, loop):
    async def connect():
        return await websockets.connect(gateway.url("STRANGER-9"), subprotocols=["ocpp1.6"])
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        loop.run(connect())
    assert refused.value.response.status_code == 404
    rows = wait_for(lambda: gateway.db("SELECT id, attempts FROM scannedCharger"), what="scan list")
    assert rows == [("STRANGER-9", 1)]


def test_unconfigured_chargers_are_served_without_registers_when_accepted(data_dir, loop):
    g = Gateway(data_dir, chargers=["CP1:1"], extra=["--accept-unconfigured", "on", "--bms-timeout", "30"]).start()
    b = BMS(g)
    try:
        far = Charger(loop, g, "FAR-AWAY-17").connect()
        assert far.boot().status == "Accepted"
        auth = far.call(call.Authorize(id_tag="NOBODY"), timeout=5)
        assert auth.id_tag_info["status"] == "Invalid", "answered at once: the BMS cannot see a charger without registers"
        assert b.read(B + 64) == [0], "no Authorization Flag raised for CP1's slot"
        assert g.db("SELECT id FROM scannedCharger") == []
        far.close()
    finally:
        b.close()
        assert g.terminate() == 0
