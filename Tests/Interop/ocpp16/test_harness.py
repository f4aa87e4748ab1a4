"""The conformance harness must be able to fail: a scripted charge point (raw frames on `websockets`) sends what a
faulty station could, and the central system's checks catch it — the first wait on a schema-invalid frame fails at
once, and `check()` (which every central-system fixture calls at teardown) fails with the details."""
import asyncio
import json

import pytest
import websockets
from ocpp.v16 import call

from central_system import CentralSystem
from harness import wait_for


@pytest.fixture
def central():
    c = CentralSystem().start()
    yield c
    c.shutdown()


class ScriptedChargePoint:
    """A WebSocket client on the central system's loop that sends raw frames and answers CALLs with `answer`."""

    def __init__(self, cs, answer=None):
        self.cs, self.answer, self.received = cs, answer, []
        async def connect():
            return await websockets.connect(cs.url + "/SCRIPTED", subprotocols=["ocpp1.6"])
        self.ws = cs._run(connect())
        cs.wait_connected()
        self.task = asyncio.run_coroutine_threadsafe(self._serve(), cs._loop)

    async def _serve(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            self.received.append(msg)
            if msg[0] == 2 and self.answer:
                await self.ws.send(json.dumps(self.answer(msg)))

    def send(self, frame):
        self.cs._run(self.ws.send(json.dumps(frame)))

    def wait_answer(self, mid):
        return wait_for(lambda: next((m for m in self.received if m[0] in (3, 4) and m[1] == mid), None), timeout=10,
                        what=f"the answer to {mid}")


def test_an_invalid_status_notification_fails_the_wait_and_the_teardown(central):
    cp = ScriptedChargePoint(central)
    cp.send([2, "sn-1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}])
    central.wait_status(1, "Charging")
    cp.send([2, "sn-2", "StatusNotification", {"connectorId": 1, "errorCode": "Overheated", "status": "Faulted"}])
    cp.wait_answer("sn-2")
    with pytest.raises(AssertionError, match="StatusNotification sn-2 from SCRIPTED breaks the schema: errorCode"):
        central.wait_status(1, "Faulted", timeout=5)
    with pytest.raises(AssertionError) as failed:
        central.check()
    assert "breaks the schema" in str(failed.value)
    assert "answered SCRIPTED's CALL sn-2 with CALLERROR" in str(failed.value), "the library's CALLERROR is reported too"


def test_an_unexpected_callerror_and_an_invalid_answer_fail_the_teardown(central):
    cp = ScriptedChargePoint(central, answer=lambda m: [3, m[1], {"status": "Sideways"}] if m[2] == "ClearCache"
                             else [4, m[1], "InternalError", "", {}])
    with pytest.raises(Exception):
        central.call(call.ClearCache(), timeout=10)  # the library refuses the answer: the test sees that
    cp.send([4, "never-asked", "GenericError", "", {}])
    central.send_raw(json.dumps([2, "raw-1", "GetLocalListVersion", {}]))  # answered with a CALLERROR nobody reads
    wait_for(lambda: central._station_errors, what="the CALLERROR to raw-1")
    with pytest.raises(AssertionError) as failed:
        central.check()
    text = str(failed.value)
    assert "ClearCache answer" in text and "Sideways" in text
    assert "CALLERROR to 'never-asked', which is no open CALL" in text
    assert 'CALLERROR from SCRIPTED: [4, "raw-1", "InternalError"' in text


def test_callerrors_the_test_reads_are_expected(central):
    cp = ScriptedChargePoint(central, answer=lambda m: [4, m[1], "NotSupported", "", {}])
    central.send_raw(json.dumps([2, "raw-2", "GetLocalListVersion", {}]))
    assert central.raw_answers("raw-2")[2] == "NotSupported"
    assert cp.received
    central.check()
