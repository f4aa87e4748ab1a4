"""The seeds/003 Appendix 2 register map through pymodbus: every block readable with functions 3 and 4, the 0/1
signals as coils, and the exception codes for bad requests; and bad OCPP input from one charger that never
disturbs another."""
import asyncio
import json

import pytest
import websockets
from ocpp.v16 import call
from pymodbus.client import ModbusTcpClient

from peers import Charger, Gateway, charger_base, connector_base, encode_string, wait_for

B = charger_base(0)


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir).start()
    yield g
    assert g.terminate() == 0


@pytest.mark.parametrize("function", [3, 4])
def test_every_block_reads(bms, function):
    blocks = [(0, 7)]
    for xx, connectors in ((0, 2), (1, 1)):
        base = charger_base(xx)
        blocks += [(base, 47), (base + 64, 110), (base + 256, 125), (base + 381, 25)]
        blocks += [(connector_base(xx, yy), 100) for yy in range(connectors + 1)]
    for address, count in blocks:
        assert len(bms.read(address, count, function=function)) == count, f"block at {address}"


def test_reads_outside_the_map_answer_02(bms):
    for address, count in ((7, 1), (B + 47, 1), (B + 40, 10), (B + 174, 1), (B + 406, 1), (connector_base(0, 3), 1),
                           (charger_base(2), 1), (60000, 10)):
        assert bms.read_error(address, count) == 2, f"{address}+{count}"


def test_invalid_writes_answer_03_or_02_and_change_nothing(bms):
    assert bms.write_error(B + 90, 5) == 3, "authorization result 0…4"
    assert bms.write_error(B + 64, 1) == 2, "the Authorization Flag is the gateway's"
    assert bms.write_error(B + 378, [0x0041, 0x4242]) == 3, "a character after the NUL, also in part of the Id Tag"
    assert bms.write_error(B + 378, [0x0141] + [0] * 9) == 3, "control character in a string"
    assert bms.write_error(B + 377, 3) == 3, "CP1 has connectors 0…2"
    assert bms.write_error(B + 376, 1) == 3, "Remote Start without an Id Tag"
    assert bms.write_error(0, 2) == 3, "heartbeat is 0 or 1"
    assert bms.write_error(B + 388, 1) == 2, "not used"
    assert bms.read(B + 376, 3) == [0, 0, 0]


def test_operations_for_a_disconnected_charger_answer_0A(bms):
    assert bms.write_error(charger_base(1) + 266, 1) == 0x0A
    assert bms.read(charger_base(1) + 266) == [0]


def test_other_unit_ids_answer_0B(gateway):
    c = ModbusTcpClient("127.0.0.1", port=gateway.modbus_port, timeout=5)
    assert c.connect()
    r = c.read_holding_registers(B, count=1, device_id=9)
    assert r.isError() and r.exception_code == 0x0B
    c.close()


def test_flags_as_coils(bms, loop, gateway):
    client = bms.client
    r = client.read_coils(B + 64, count=1, device_id=1)
    assert not r.isError() and r.bits[0] is False
    assert client.read_coils(B + 65, count=1, device_id=1).isError(), "the Id Tag is not a 0/1 signal"
    cp = Charger(loop, gateway, "CP1").connect()
    cp.boot()
    pending = cp.send(call.Authorize(id_tag="COIL"))
    wait_for(lambda: client.read_discrete_inputs(B + 64, count=1, device_id=1).bits[0], what="flag as discrete input")
    bms.write(B + 90, 3)
    assert not client.write_coil(B + 77, True, device_id=1).isError()
    assert pending.result(10).id_tag_info["status"] == "Invalid"
    cp.close()


def test_heartbeat_register(bms):
    bms.write(0, 1)
    bms.wait_register(0, 0, timeout=5)


def test_bad_frames_get_callerrors_and_never_disturb_another_charger(gateway, loop):
    cp2 = Charger(loop, gateway, "CP2").connect()
    cp2.boot()

    async def garbage():
        async with websockets.connect(gateway.url("CP1"), subprotocols=["ocpp1.6"]) as ws:
            answers = {}
            for frame, mid in (('[2,"g1","Heartbeat"]', "g1"), ('[2,"g2","FlyToTheMoon",{}]', "g2"),
                               ('[2,"g3","StatusNotification",{"connectorId":1,"status":"Sleeping","errorCode":"NoError"}]', "g3"),
                               ('[2,"g4","Authorize",{}]', "g4"), ('[2,"g5","Reset",{"type":"Hard"}]', "g5")):
                await ws.send(frame)
                answers[mid] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            # Not JSON at all: no answer is possible; the connection stays usable.
            await ws.send("\x00\x01 not json")
            for i in range(200):
                await ws.send(json.dumps([2, f"f{i}", "Heartbeat", {}]))
            last = None
            for _ in range(200):
                last = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return answers, last
    answers, last = loop.run(garbage(), timeout=60)
    assert answers["g1"][:3] == [4, "g1", "FormationViolation"]
    assert answers["g2"][:3] == [4, "g2", "NotImplemented"]
    assert answers["g3"][:3] == [4, "g3", "PropertyConstraintViolation"]
    assert answers["g4"][:3] == [4, "g4", "OccurenceConstraintViolation"]
    assert answers["g5"][:3] == [4, "g5", "NotSupported"]
    assert last[0] == 3 and last[1] == "f199", "200 heartbeats answered in order"
    assert cp2.call(call.Heartbeat()).current_time
    cp2.close()


def test_refused_upgrades_say_why(gateway, loop):
    async def attempt(path, protocols):
        try:
            await websockets.connect(f"ws://127.0.0.1:{gateway.ocpp_port}{path}", subprotocols=protocols)
        except websockets.exceptions.InvalidStatus as e:
            return e.response.status_code, e.response.body.decode()
    assert loop.run(attempt("/CP1", ["ocpp2.0.1"]))[0] == 400
    status, body = loop.run(attempt("/ocpp/NOT-CONFIGURED", ["ocpp1.6"]))
    assert status == 404 and "NOT-CONFIGURED" in body
