"""The peer of the gateway benchmark and of the soak (scripts/bench-soak.sh): a minimal OCPP 1.6J central system written
with the Python `ocpp` library (it validates every message against the official JSON schemas, as the gateway does) on a
`websockets` server. It answers BootNotification, Heartbeat, StatusNotification, MeterValues, Authorize (every idTag
Accepted), StartTransaction (a new transaction id each), StopTransaction and SecurityEventNotification (OCPP 1.6J
Security Whitepaper ed. 3 §8, which a ChargeKit station sends at every start).
Usage: ocpp_central_system.py PORT [COUNTS_FILE [HEARTBEAT_S]] — with COUNTS_FILE it writes the number of messages it
received per action and the number it answered there as JSON once a second (the soak reads them); HEARTBEAT_S is the
heartbeat interval its BootNotification.conf gives (default 60)."""
import asyncio
import itertools
import json
import os
import sys
from collections import Counter
from datetime import datetime, timezone

from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

RECEIVED = Counter()  # CALLs by action
SENT = Counter()  # what the central system sent: "CALLRESULT", "CALLERROR"
TRANSACTION_IDS = itertools.count(1)
HEARTBEAT_S = 60
COUNTING = False  # only with COUNTS_FILE: the gateway benchmark measures this peer's speed without the counting


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ChargePoint(CP):
    async def route_message(self, raw_msg):
        """Counts each CALL by its action (OCPP-J §4.2.1: [2, id, action, payload]) before the library routes it."""
        if not COUNTING:
            return await super().route_message(raw_msg)
        try:
            message = json.loads(raw_msg)
            if message[0] == 2:
                RECEIVED[message[2]] += 1
        except (ValueError, IndexError, KeyError, TypeError):
            RECEIVED["(unparsable)"] += 1
        return await super().route_message(raw_msg)

    async def _send(self, message):
        if not COUNTING:
            return await super()._send(message)
        kind = {3: "CALLRESULT", 4: "CALLERROR", 2: "CALL"}.get(json.loads(message)[0], "?")
        SENT[kind] += 1
        return await super()._send(message)

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        return call_result.BootNotification(current_time=now(), interval=HEARTBEAT_S, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    def on_status(self, **kw):
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, **kw):
        return call_result.MeterValues()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kw):
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **kw):
        return call_result.StartTransaction(transaction_id=next(TRANSACTION_IDS), id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.stop_transaction)
    def on_stop(self, meter_stop, timestamp, transaction_id, **kw):
        return call_result.StopTransaction()

    @on(Action.security_event_notification)
    def on_security_event(self, type, timestamp, **kw):  # noqa: A002 — the field's name in the schema
        return call_result.SecurityEventNotification()


async def handle(ws):
    cp = ChargePoint(ws.request.path.rsplit("/", 1)[-1], ws)
    try:
        await cp.start()
    except Exception:  # noqa: BLE001 — a closed connection ends the charge point
        pass


async def write_counts(path):
    while True:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"received": RECEIVED, "sent": SENT}, f)
        os.replace(tmp, path)
        await asyncio.sleep(1)


async def main(port, counts):
    async with serve(handle, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=None, max_queue=None, backlog=4096):
        if counts:
            await write_counts(counts)
        await asyncio.Future()


if __name__ == "__main__":
    if len(sys.argv) > 3:
        HEARTBEAT_S = int(sys.argv[3])
    COUNTING = len(sys.argv) > 2
    asyncio.run(main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
