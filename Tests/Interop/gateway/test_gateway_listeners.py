"""The gateway's OCPP port under a flood of half-open WebSocket handshakes and idle connections (issue #20 item 2), with
the common embedded limit of 1,024 descriptors: the gateway stays up, a configured charger connects and boots, the BMS
is served, and the unfinished handshakes are closed after the handshake timeout (10 s). Before the fix 1,200 half-open
handshakes held every descriptor and kept two cores busy."""
import sys
from pathlib import Path

import pytest
from ocpp.v16 import call

from peers import BMS, Charger, Gateway, charger_base, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flood import EMBEDDED_LIMIT, Flood, allow_sockets, embedded_descriptor_limit, open_descriptors  # noqa: E402

pytestmark = pytest.mark.skipif(not allow_sockets(1_600), reason="the test process needs 1,600 descriptors")

HANDSHAKE_TIMEOUT_S = 10  # OCPPWebSocketServer.handshakeTimeout
HALF_HANDSHAKE = (b"GET /ocpp/CP1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Protocol: ocpp1.6\r\n")


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, chargers=("CP1:1",), preexec_fn=embedded_descriptor_limit).start()
    yield g
    assert g.terminate() == 0


def test_half_open_handshakes_leave_the_chargers_and_the_bms_served(gateway, loop, bms):
    before = open_descriptors(gateway.proc.pid)
    half_open = Flood(gateway.ocpp_port, 1_100, ["127.0.0.2"], payloads=(HALF_HANDSHAKE, b""))
    idle = Flood(gateway.ocpp_port, 300, ["127.0.0.3"])
    try:
        # One address holds at most 256 unfinished handshakes; the rest is closed at once.
        wait_for(lambda: half_open.poll() <= 256 and idle.poll() <= 256, timeout=10, what="refused connections closed")
        assert half_open.poll() == 256 and idle.poll() == 256
        assert gateway.proc.poll() is None, "the gateway is alive"
        held = open_descriptors(gateway.proc.pid)
        assert held <= before + 512 + 8 and held < EMBEDDED_LIMIT - 128, f"{held} descriptors held ({before} before)"

        # A configured charger connects and boots, the BMS reads its registers.
        cp1 = Charger(loop, gateway, "CP1").connect()
        assert cp1.boot().status == "Accepted"
        bms.wait_register(charger_base(0), 0)  # communication status OK

        # The unfinished handshakes and the idle connections are closed after the handshake timeout; the charger's
        # open WebSocket is not.
        wait_for(lambda: half_open.poll() == 0 and idle.poll() == 0, timeout=HANDSHAKE_TIMEOUT_S + 10, interval=0.5,
                 what="half-open handshakes closed")
        assert min(half_open.closed_after[-256:]) >= HANDSHAKE_TIMEOUT_S - 1, "closed by the handshake timeout"
        assert cp1.call(call.Heartbeat()).current_time
        assert gateway.proc.poll() is None
        assert open_descriptors(gateway.proc.pid) <= before + 4
        cp1.close()
    finally:
        half_open.close()
        idle.close()
