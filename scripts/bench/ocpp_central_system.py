"""The peer of the gateway benchmark: a minimal OCPP 1.6J central system written with the Python `ocpp` library (it
validates every message against the official JSON schemas, as the gateway does) on a `websockets` server. It answers
BootNotification, Heartbeat, StatusNotification and MeterValues.
Usage: ocpp_central_system.py PORT"""
import asyncio
import sys
from datetime import datetime, timezone

from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.server import serve


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ChargePoint(CP):
    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        return call_result.BootNotification(current_time=now(), interval=60, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    def on_status(self, **kw):
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, **kw):
        return call_result.MeterValues()


async def handle(ws):
    cp = ChargePoint(ws.request.path.rsplit("/", 1)[-1], ws)
    try:
        await cp.start()
    except Exception:  # noqa: BLE001 — a closed connection ends the charge point
        pass


async def main(port):
    async with serve(handle, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=None, max_queue=None, backlog=4096):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
