"""Peers of the gateway suites: the real `chargekit gateway` process, charge points built on the Python `ocpp`
library (every frame validated against the official OCPP 1.6 JSON schemas) and a pymodbus BMS that speaks the
seeds/003 Appendix 2 register map with the encodings docs/integrator.md documents."""
import asyncio
import json
import os
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as CP
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from pymodbus.client import ModbusTcpClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import schema_errors  # noqa: E402
from station import BIN, terminate, wait_for  # noqa: E402,F401


def api_call(gateway, method, path, token=None, body=None, timeout=30):
    """One call of the gateway's JSON API: (HTTP status, decoded JSON body); `token` as Bearer when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(gateway.base + path, method=method, headers=headers, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def iso(t=None):
    t = t or datetime.now(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Gateway:
    """`chargekit gateway` on a private data directory with free ports (read back from gateway.json)."""

    def __init__(self, data_dir: Path, chargers=("CP1:2", "CP2:1"), extra=(), env=None, client_ssl=None, preexec_fn=None):
        self.data_dir = data_dir
        self.chargers = list(chargers)
        self.extra = list(extra)
        self.env = env or {}
        self.client_ssl = client_ssl  # wss: the charge points' TLS context (trusting the gateway's certificate)
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. a descriptor limit)
        self.proc = None

    def start(self):
        runtime = self.data_dir / "gateway.json"
        if runtime.exists():
            runtime.unlink()
        argv = [BIN, "gateway", "--data-dir", str(self.data_dir), "--ocpp-port", "0", "--modbus-port", "0", "--host", "127.0.0.1",
                "--http-port", "0", "--https-port", "0", "--log-level", "info", *[a for c in self.chargers for a in ("--charger", c)], *self.extra]
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-gateway.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, env={**os.environ, **self.env}, preexec_fn=self.preexec_fn)
        self._read(wait_for(self._runtime_info, timeout=60, what="gateway.json"))
        return self

    def _read(self, info):
        self.info = info
        self.ocpp_port = info["ocppPort"]
        self.modbus_port = info["modbusTCPPort"]
        self.base = f"http://127.0.0.1:{info['httpPort']}"
        self.secure_base = f"https://127.0.0.1:{info['httpsPort']}" if info.get("httpsPort") else None
        self.certificate = info.get("tlsCertificate")
        self.token = info.get("apiToken")  # the local API's bearer token (new at every start of the process)

    def wait_restarted(self):
        """Waits until the gateway services restarted (new settings saved on the web) and reads their new ports."""
        before = self.info["starts"]
        self._read(wait_for(lambda: (i := self._runtime_info()) and i["starts"] > before and i, timeout=30, what="restart"))

    def _runtime_info(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"gateway exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
        path = self.data_dir / "gateway.json"
        if not path.exists():
            return None
        info = json.loads(path.read_text())
        return info if info.get("pid") == self.proc.pid else None

    def url(self, charger_id):
        return f"wss://localhost:{self.ocpp_port}/{charger_id}" if self.client_ssl else f"ws://127.0.0.1:{self.ocpp_port}/{charger_id}"

    def db(self, sql, *args):
        with sqlite3.connect(self.data_dir / "gateway.sqlite") as c:
            return c.execute(sql, args).fetchall()

    def logged(self, text):
        return text in self.log_path.read_text()

    def terminate(self):
        return terminate(self.proc)


class Loop:
    """An asyncio loop in a background thread, so that the tests stay synchronous; `chargers` are the charge points
    made on it (the `loop` fixture checks them at teardown)."""

    def __init__(self):
        self.chargers = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def submit(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro, timeout=30):
        return self.submit(coro).result(timeout)

    def stop(self):
        async def cancel_all():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class ChargerModel(CP):
    """The library's charge point with handlers that record every request of the central system and answer with
    `answers[action]` (default Accepted). Every frame of the gateway is checked when it arrives: its schema (CALLs,
    and CALLRESULTs against the action of the CALL they answer) and that it answers an open CALL; a CALLERROR of
    the gateway, or one this charge point had to send, is a violation (`Charger.check`)."""

    def __init__(self, cp_id, ws, peer):
        super().__init__(cp_id, ws, response_timeout=30)
        self.peer = peer
        self.open_calls = {}  # message id -> action of the CALLs this charge point sent

    async def route_message(self, raw):
        self.peer.check_in(raw, self.open_calls)
        return await super().route_message(raw)

    async def _send(self, message):
        msg = json.loads(message)
        self.peer.sent.append(msg)
        if msg[0] == 2:
            self.open_calls[msg[1]] = msg[2]
        elif msg[0] == 4:
            self.peer.violations.append(f"{self.id} answered the gateway's CALL {msg[1]} with CALLERROR {msg[2]}: {json.dumps(msg[4])[:300]}")
        await super()._send(message)

    def _answer(self, action, default="Accepted"):
        return self.peer.answers.get(action, default)

    def _got(self, action, **kw):
        self.peer.received.append((action, kw))

    @on(Action.remote_start_transaction)
    def on_remote_start(self, **kw):
        self._got("RemoteStartTransaction", **kw)
        return call_result.RemoteStartTransaction(status=self._answer("RemoteStartTransaction"))

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, **kw):
        self._got("RemoteStopTransaction", **kw)
        return call_result.RemoteStopTransaction(status=self._answer("RemoteStopTransaction"))

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kw):
        self._got("GetLocalListVersion", **kw)
        return call_result.GetLocalListVersion(list_version=self.peer.list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, **kw):
        self._got("SendLocalList", list_version=list_version, update_type=update_type, **kw)
        status = self._answer("SendLocalList")
        if status == "Accepted":
            self.peer.list_version = list_version
        return call_result.SendLocalList(status=status)

    @on(Action.trigger_message)
    def on_trigger(self, requested_message, **kw):
        self._got("TriggerMessage", requested_message=requested_message, **kw)
        return call_result.TriggerMessage(status=self._answer("TriggerMessage"))

    @after(Action.trigger_message)
    async def after_trigger(self, requested_message, connector_id=None, **kw):
        if requested_message == "MeterValues" and self._answer("TriggerMessage") == "Accepted":
            await self.call(call.MeterValues(connector_id=connector_id or 0, meter_value=[{
                "timestamp": iso(), "sampledValue": self.peer.meter_sample}]))

    @on(Action.reset)
    def on_reset(self, type, **kw):
        self._got("Reset", type=type)
        return call_result.Reset(status=self._answer("Reset"))

    @on(Action.clear_cache)
    def on_clear_cache(self, **kw):
        self._got("ClearCache")
        return call_result.ClearCache(status=self._answer("ClearCache"))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kw):
        self._got("CancelReservation", reservation_id=reservation_id)
        return call_result.CancelReservation(status=self._answer("CancelReservation"))

    @on(Action.reserve_now)
    def on_reserve_now(self, **kw):
        self._got("ReserveNow", **kw)
        return call_result.ReserveNow(status=self._answer("ReserveNow"))

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **kw):
        self._got("ClearChargingProfile", **kw)
        return call_result.ClearChargingProfile(status=self._answer("ClearChargingProfile"))

    @on(Action.unlock_connector)
    def on_unlock(self, connector_id, **kw):
        self._got("UnlockConnector", connector_id=connector_id)
        return call_result.UnlockConnector(status=self._answer("UnlockConnector", "Unlocked"))

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kw):
        self._got("ChangeAvailability", connector_id=connector_id, type=type)
        return call_result.ChangeAvailability(status=self._answer("ChangeAvailability"))


class Charger:
    """A charge point (Python `ocpp` library) connected to the gateway; `send` returns a future of the answer."""

    def __init__(self, loop: Loop, gateway: Gateway, cp_id="CP1"):
        self.loop = loop
        self.gateway = gateway
        self.cp_id = cp_id
        self.answers = {}
        self.received = []
        self.sent = []  # every frame the charge point sent, parsed
        self.list_version = 0
        self.meter_sample = []
        self.ws = None
        self.violations = []
        self.received_at = []  # (monotonic time, frame) of every frame from the gateway
        loop.chargers.append(self)

    def check_in(self, raw, open_calls):
        """Records what is wrong with a frame from the gateway, and when it came (`received_at`)."""
        try:
            msg = json.loads(raw)
            kind, mid = msg[0], msg[1]
            self.received_at.append((time.monotonic(), msg))
        except (ValueError, TypeError, IndexError, KeyError):
            self.violations.append(f"{self.cp_id} got a frame that is not OCPP-J: {str(raw)[:300]}")
            return
        if kind == 2:
            errors = schema_errors(2, msg[2], json.dumps(msg[3]))
            what = f"the gateway's {msg[2]} {mid}"
        elif kind in (3, 4) and mid in open_calls:
            action = open_calls.pop(mid)
            errors = schema_errors(3, action, json.dumps(msg[2])) if kind == 3 else [f"CALLERROR {msg[2:]}"]
            what = f"the gateway's answer to {action} {mid}"
        else:
            errors, what = [f"answers no open CALL: {str(raw)[:300]}"], "a gateway frame"
        self.violations += [f"to {self.cp_id}: {what}: {e}" for e in errors]

    def check(self):
        assert not self.violations, f"charge point {self.cp_id} saw:\n  " + "\n  ".join(self.violations)

    def connect(self):
        async def go():
            self.ws = await websockets.connect(self.gateway.url(self.cp_id), subprotocols=["ocpp1.6"],
                                               **({"ssl": self.gateway.client_ssl} if self.gateway.client_ssl else {}))
            self.model = ChargerModel(self.cp_id, self.ws, self)
            self.task = asyncio.ensure_future(self.model.start())
        self.loop.run(go())
        return self

    def send(self, payload):
        return self.loop.submit(self.model.call(payload))

    def call(self, payload, timeout=30):
        return self.send(payload).result(timeout)

    def boot(self):
        return self.call(call.BootNotification(charge_point_vendor="ChargeKit Tests", charge_point_model="PyCP",
                                               charge_point_serial_number="CPSN-1", charge_box_serial_number="CBSN-1"))

    def sent_id(self, action):
        """The message id of the last CALL of `action` the charge point sent."""
        return next(m[1] for m in reversed(self.sent) if m[0] == 2 and m[2] == action)

    def wait_received(self, action, timeout=15):
        found = wait_for(lambda: next(((kw,) for a, kw in self.received if a == action), None), timeout=timeout,
                         what=f"{action} from the gateway")
        return found[0]  # a request without fields is {}

    def close(self):
        if self.ws is not None:
            async def go():
                await self.ws.close()
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
            self.loop.run(go())
            self.ws = None


# Register encodings (docs/integrator.md "Gateway"): integers 1 register; strings ASCII high byte first, NUL padded; floats IEEE
# 754 single, high word first; DateTime Unix seconds as unsigned 32-bit, high word first.
def encode_string(text, registers=10):
    raw = text.encode("ascii").ljust(registers * 2, b"\0")
    return [raw[i] << 8 | raw[i + 1] for i in range(0, registers * 2, 2)]


def decode_string(regs):
    raw = b"".join(struct.pack(">H", r) for r in regs)
    return raw.split(b"\0", 1)[0].decode("ascii")


def decode_float(regs):
    return struct.unpack(">f", struct.pack(">HH", *regs))[0]


def encode_epoch(seconds):
    return [seconds >> 16 & 0xFFFF, seconds & 0xFFFF]


def decode_epoch(regs):
    return regs[0] << 16 | regs[1]


def charger_base(xx):
    return 100 + xx * 2000


def connector_base(xx, yy):
    return 512 + 100 + xx * 2000 + 100 * yy


class BMS:
    """A building management system on pymodbus (Modbus TCP client)."""

    def __init__(self, gateway: Gateway, unit=1):
        self.client = ModbusTcpClient("127.0.0.1", port=gateway.modbus_port, timeout=5)
        assert self.client.connect()
        self.unit = unit

    def read(self, address, count=1, function=3):
        reader = self.client.read_holding_registers if function == 3 else self.client.read_input_registers
        r = reader(address, count=count, device_id=self.unit)
        assert not r.isError(), f"read {address}+{count}: {r}"
        return list(r.registers)

    def read_error(self, address, count=1):
        r = self.client.read_holding_registers(address, count=count, device_id=self.unit)
        assert r.isError(), f"read {address}+{count} should fail"
        return r.exception_code

    def write(self, address, values):
        values = values if isinstance(values, list) else [values]
        r = self.client.write_registers(address, values, device_id=self.unit) if len(values) > 1 else \
            self.client.write_register(address, values[0], device_id=self.unit)
        assert not r.isError(), f"write {address} {values}: {r}"

    def write_error(self, address, values):
        values = values if isinstance(values, list) else [values]
        r = self.client.write_registers(address, values, device_id=self.unit) if len(values) > 1 else \
            self.client.write_register(address, values[0], device_id=self.unit)
        assert r.isError(), f"write {address} {values} should fail"
        return r.exception_code

    def wait_register(self, address, value, timeout=15):
        return wait_for(lambda: self.read(address)[0] == value, timeout=timeout, what=f"register {address} == {value}")

    def close(self):
        self.client.close()
