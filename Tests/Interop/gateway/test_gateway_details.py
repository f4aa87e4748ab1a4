"""Issue #20 item 10 ("Gateway details"), against the real gateway with Python `ocpp` charge points, a pymodbus BMS,
a Python `ocpp` central system upstream and a plain HTTP server that refuses the WebSocket upgrade."""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import call
from pymodbus.client import ModbusTcpClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import CentralSystem  # noqa: E402
from peers import BMS, Charger, Gateway, charger_base, connector_base, decode_float, iso, wait_for  # noqa: E402

B = charger_base(0)
C1 = connector_base(0, 1)


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir).start()
    yield g
    assert g.terminate() == 0


@pytest.fixture
def upstream():
    c = CentralSystem().start()
    yield c
    c.shutdown()
    assert not c.violations, c.violations


def external(data_dir, url):
    return Gateway(data_dir, extra=["--mode", "External", "--external-url", url, "--charger-timeout", "10"]).start()


def test_a_second_connection_with_a_connected_charger_id_is_refused_and_the_first_keeps_working(gateway, loop):
    first = Charger(loop, gateway, "CP1").connect()
    first.boot()
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        Charger(loop, gateway, "CP1").connect()
    assert refused.value.response.status_code == 409
    assert first.call(call.Heartbeat()).current_time, "the first connection keeps working"
    wait_for(lambda: gateway.logged("a second connection with this ChargerID was refused"), what="the attempt logged")
    assert gateway.db("SELECT id FROM scannedCharger") == [], "a configured ChargerID is not an unknown one"
    first.close()
    again = wait_for(lambda: _connects(loop, gateway), what="a new connection once the first is gone")
    assert again.call(call.Heartbeat()).current_time
    again.close()


def _connects(loop, gateway):
    try:
        return Charger(loop, gateway, "CP1").connect()
    except websockets.exceptions.InvalidStatus:
        return None


def test_a_write_to_a_read_only_register_answers_02_as_the_station_does(gateway, bms):
    """Modbus Application Protocol V1.1b3 §7: 02 ILLEGAL DATA ADDRESS, whether the write covers a read-only value whole
    or only some of its registers; the station (Tests/Interop/test_modbus.py) answers the same."""
    assert bms.write_error(C1 + 2, 1) == 2, "status (one register)"
    assert bms.write_error(C1 + 11, 1) == 2, "one register of the L1 Current.Import float"
    assert bms.write_error(C1 + 11, [0, 0]) == 2, "the whole float"
    assert bms.write_error(B + 27, 0x4142) == 2, "one register of the vendor string"
    assert bms.write_error(B + 27, [0x4142] * 10) == 2, "the whole vendor string"
    assert bms.write_error(C1 + 86, 0x4142) == 2, "one register of the current transaction's id tag"
    bms.write(B + 378, [0x4142, 0x4344])  # 2 of the 10 registers of a writable string: taken (seeds/003 §2.3.1.7)
    assert bms.write_error(B + 378, [0x4142, 0x0143]) == 3, "a control character in a writable string is 03"


def test_current_and_power_read_zero_once_the_session_ended(data_dir, upstream, loop):
    gateway = external(data_dir, upstream.url)
    bms = BMS(gateway)
    try:
        cp1 = Charger(loop, gateway, "CP1").connect()
        cp1.boot()
        start = cp1.call(call.StartTransaction(connector_id=1, id_tag="TAG-LOAD", meter_start=1000, timestamp=iso()))
        cp1.call(call.MeterValues(connector_id=1, transaction_id=start.transaction_id, meter_value=[{"timestamp": iso(), "sampledValue": [
            {"value": "16.0", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "15.5", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
            {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "1800", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))
        assert decode_float(bms.read(C1 + 11, 2)) == 16.0
        assert decode_float(bms.read(C1 + 55, 2)) == 11000
        cp1.call(call.StopTransaction(meter_stop=1800, timestamp=iso(), transaction_id=start.transaction_id, reason="EVDisconnected"))
        assert decode_float(bms.read(C1 + 11, 2)) == 0, "L1 current after the session"
        assert decode_float(bms.read(C1 + 13, 2)) == 0, "L2 current after the session"
        assert decode_float(bms.read(C1 + 55, 2)) == 0, "power after the session"
        assert decode_float(bms.read(C1 + 28, 2)) == 1800, "the energy register keeps its value"
        cp1.close()
    finally:
        bms.close()
        assert gateway.terminate() == 0


class Refusing(BaseHTTPRequestHandler):
    """Answers every request with the server's current status (a central system that refuses the upgrade)."""

    def do_GET(self):
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_refused_upstream_connection_is_logged_with_its_http_status(data_dir, loop):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    server.status = 401
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = external(data_dir, f"ws://127.0.0.1:{server.server_address[1]}/ocpp")
    try:
        cp1 = Charger(loop, gateway, "CP1").connect()
        for status, meaning in ((401, "Unauthorized"), (404, "Not Found"), (500, "Internal Server Error")):
            server.status = status
            wait_for(lambda: gateway.logged(f"HTTP {status} {meaning}"), timeout=20, what=f"HTTP {status} in the log")
        cp1.close()
    finally:
        assert gateway.terminate() == 0
        server.shutdown()


def test_rfc6455_7_1_a_stopping_gateway_closes_open_charger_connections_cleanly_and_at_once(data_dir, loop):
    """A graceful stop (SIGTERM) closes every charger's WebSocket with a close frame (RFC 6455 §7.1) at once: chargers
    that keep their connection open do not hold the stop up, and they reconnect when the gateway is back."""
    import time
    gateway = Gateway(data_dir).start()
    try:
        chargers = [Charger(loop, gateway, cp).connect() for cp in ("CP1", "CP2")]
        for c in chargers:
            c.boot()
        started = time.monotonic()
        assert gateway.terminate() == 0
        assert time.monotonic() - started < 8, "the stop waited for the chargers"
        for c in chargers:
            assert loop.run(_closed(c)) in (1000, 1001), "a clean close: normal closure or going away"
            c.ws = None
    finally:
        gateway.terminate()


async def _closed(charger):
    await charger.ws.wait_closed()
    return charger.ws.close_code
