"""External mode (seeds/003 use case 2, §2.4): the gateway bridges Python `ocpp` charge points to an external central
system, itself built on the Python `ocpp` library (both validate every frame against the OCPP 1.6 JSON schemas). Every
frame is relayed unchanged in both directions, and a pymodbus BMS reads what passes through, read-only."""
import base64
import sys
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import CentralSystem  # noqa: E402
from peers import (Charger, Gateway, charger_base, connector_base, decode_epoch, decode_float,  # noqa: E402
                   decode_string, iso, wait_for)

PASSWORD = "bridge-secret-0815"
B = charger_base(0)
C1 = connector_base(0, 1)


@pytest.fixture
def upstream():
    c = CentralSystem().start()
    yield c
    c.shutdown()
    c.check()


@pytest.fixture
def gateway(data_dir, upstream):
    g = Gateway(data_dir, extra=["--mode", "External", "--external-url", upstream.url, "--external-password", PASSWORD,
                                 "--charger-timeout", "10"]).start()
    yield g
    assert g.terminate() == 0
    assert PASSWORD not in g.log_path.read_text(), "the password is never logged"


def upstream_frames(upstream, cp_id, direction):
    return [m for d, _, m, cp in list(upstream.frames) if d == direction and cp == cp_id]


def test_bridge_relays_every_frame_unchanged_and_fills_the_registers(gateway, upstream, loop, bms):
    upstream.heartbeat_interval = 77
    cp1 = Charger(loop, gateway, "CP1").connect()
    cp2 = Charger(loop, gateway, "CP2").connect()
    boot = cp1.boot()
    assert boot.status == "Accepted" and boot.interval == 77, "the answer is the external central system's"
    cp2.boot()
    assert sorted(upstream.paths) == ["/ocpp/CP1", "/ocpp/CP2"], "one upstream connection per charger at <url>/<ChargerID>"
    assert set(upstream.subprotocols) == {"ocpp1.6"}
    expected = "Basic " + base64.b64encode(f"CP1:{PASSWORD}".encode()).decode()
    assert upstream.auth_headers[upstream.paths.index("/ocpp/CP1")] == expected

    cp1.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
    start = cp1.call(call.StartTransaction(connector_id=1, id_tag="TAG-EXT", meter_start=2000, timestamp=iso()))
    assert start.transaction_id == 101, "the transaction id is the external central system's"
    cp1.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    cp1.call(call.MeterValues(connector_id=1, transaction_id=101, meter_value=[{"timestamp": iso(), "sampledValue": [
        {"value": "15.9", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "16.1", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
        {"value": "2512", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))

    # Byte-for-byte: the CALLs the central system got are the charger's, message ids included, in order.
    assert upstream_frames(upstream, "CP1", "in") == cp1.sent
    assert [m for m in cp1.sent if m[0] == 2][-1][1] == upstream_frames(upstream, "CP1", "in")[-1][1]
    assert [m[1] for m in upstream_frames(upstream, "CP1", "out")] == [m[1] for m in cp1.sent], "every CALL answered, ids kept"

    # What passed through is in the read-only registers (seeds/003 §2.4.1.1).
    assert bms.read(B) == [0], "CP1 communicating"
    assert decode_string(bms.read(B + 27, 10)) == "ChargeKit Tests"
    assert bms.read(C1 + 2) == [2], "Charging"
    assert decode_float(bms.read(C1 + 11, 2)) == pytest.approx(15.9, abs=1e-4)
    assert decode_float(bms.read(C1 + 13, 2)) == pytest.approx(16.1, abs=1e-4)
    assert decode_string(bms.read(C1 + 86, 10)) == "TAG-EXT"
    assert decode_float(bms.read(C1 + 96, 2)) == 2000
    assert decode_epoch(bms.read(C1 + 98, 2)) > 0

    cp1.call(call.StopTransaction(meter_stop=2512, timestamp=iso(), transaction_id=101, reason="EVDisconnected"))
    assert decode_string(bms.read(C1 + 86, 10)) == "", "the current transaction data is cleared"
    assert gateway.db("SELECT transactionId, meterStartWh, meterStopWh, stopReason, decidedBy FROM gatewayTransaction") == \
        [(101, 2000, 2512, "EVDisconnected", "external")]
    cp1.close()
    cp2.close()


def test_bridge_relays_the_central_system_operations(gateway, upstream, loop):
    cp1 = Charger(loop, gateway, "CP1").connect()
    cp1.boot()
    wait_for(lambda: "CP1" in upstream.cps, what="CP1 upstream")
    answer = upstream.call(call.RemoteStartTransaction(id_tag="TAG-R", connector_id=1), cp_id="CP1")
    assert answer.status == "Accepted"
    assert cp1.wait_received("RemoteStartTransaction") == {"id_tag": "TAG-R", "connector_id": 1}

    cp1.answers["UnlockConnector"] = "UnlockFailed"
    assert upstream.call(call.UnlockConnector(connector_id=2), cp_id="CP1").status == "UnlockFailed"

    cp1.meter_sample = [{"value": "7.5", "measurand": "Power.Active.Import", "unit": "kW"}]
    mark = upstream.mark()
    assert upstream.call(call.TriggerMessage(requested_message="MeterValues", connector_id=1), cp_id="CP1").status == "Accepted"
    upstream.wait_call("MeterValues", since=mark)

    # The central system's message ids reach the charger unchanged and its answers carry them back.
    sent = [m[1] for m in upstream_frames(upstream, "CP1", "out") if m[0] == 2]
    answered = [m[1] for m in cp1.sent if m[0] == 3]
    assert sent and sent == answered
    cp1.close()


def test_bridge_holds_transaction_messages_while_the_central_system_is_away(gateway, upstream, loop):
    cp1 = Charger(loop, gateway, "CP1").connect()
    cp1.boot()
    start = cp1.call(call.StartTransaction(connector_id=1, id_tag="TAG-OUT", meter_start=0, timestamp=iso()))
    upstream.stop_server()
    wait_for(lambda: gateway.logged("central system disconnected"), what="the gateway noticing the outage")

    stop = cp1.send(call.StopTransaction(meter_stop=4200, timestamp=iso(), transaction_id=start.transaction_id, reason="Local"))
    upstream.restart_server()
    stop.result(30)

    stops = upstream.call_frames("StopTransaction", cp_id="CP1")
    assert len(stops) == 1, "delivered once"
    mid = cp1.sent_id("StopTransaction")
    assert stops[0][1][1] == mid, "with the charger's message id"
    # The gateway never answers in the central system's place: the charger's only answer came after the central
    # system had the request, and it is the central system's (a second answer would be a violation of the charger).
    reached = next(t for d, t, m, cp in list(upstream.frames) if d == "in" and m[0] == 2 and m[1] == mid)
    answers = [(t, m) for t, m in cp1.received_at if m[0] in (3, 4) and m[1] == mid]
    assert len(answers) == 1 and answers[0][0] > reached
    assert answers[0][1] == next(m for d, _, m, cp in list(upstream.frames) if d == "out" and m[0] == 3 and m[1] == mid)
    assert upstream.connections == 2
    cp1.close()


def test_bridge_follows_the_charger_connection(gateway, upstream, loop):
    cp1 = Charger(loop, gateway, "CP1").connect()
    cp1.boot()
    wait_for(lambda: "CP1" in upstream.cps, what="CP1 upstream")
    cp1.close()
    wait_for(lambda: "CP1" not in upstream.cps, what="the upstream connection closed with the charger's")

    again = Charger(loop, gateway, "CP1").connect()
    assert again.call(call.Heartbeat()).current_time
    assert upstream.connections == 2
    again.close()


def test_bridge_refuses_bms_writes_and_unknown_chargers(gateway, upstream, loop, bms):
    assert bms.write_error(B + 376, 1) == 1, "Remote Start Flag: no OCPP operations in External mode (exception 01)"
    assert bms.write_error(C1 + 0, 1) == 1, "Unlock Connector"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        Charger(loop, gateway, "CP9").connect()
    assert refused.value.response.status_code == 404
    assert upstream.connections == 0, "an unknown charger is not relayed"
    wait_for(lambda: gateway.db("SELECT id FROM scannedCharger") == [("CP9",)], what="CP9 in the OCPP scan")


def test_bridge_sends_a_triggered_meter_values_once_when_the_central_system_closes_after_answering(gateway, upstream, loop):
    """Issue #20 item 10: the central system answers a triggered MeterValues and closes the connection right behind
    the answer; the reconnected upstream connection must not get the same CALL (same message id) again."""
    cp1 = Charger(loop, gateway, "CP1").connect()
    cp1.boot()
    wait_for(lambda: "CP1" in upstream.cps, what="CP1 upstream")
    cp1.meter_sample = [{"value": "3.2", "measurand": "Current.Import", "phase": "L1", "unit": "A"}]
    upstream.close_after_answering = {"MeterValues"}
    mark = upstream.mark()
    assert upstream.call(call.TriggerMessage(requested_message="MeterValues", connector_id=1), cp_id="CP1").status == "Accepted"
    upstream.wait_call("MeterValues", since=mark)
    upstream.close_after_answering = set()
    wait_for(lambda: upstream.connections == 2 and "CP1" in upstream.cps, what="the gateway reconnecting upstream")
    assert cp1.call(call.Heartbeat()).current_time, "the bridge works on the new connection"
    meter_values = upstream.call_frames("MeterValues", since=mark, cp_id="CP1")
    assert [m[1] for _, m in meter_values] == [cp1.sent_id("MeterValues")], "sent once, with the charger's message id"
    cp1.close()
