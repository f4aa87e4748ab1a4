"""pysma-plus' device-side SEMP gateway (`pysmaplus.semp`), an implementation independent of ours and of the peer,
as the target that keeps semp_home_manager.py honest (test_semp_peer.py). Run inside the station namespace:

    python semp_pysma_gateway.py ADDRESS PORT DEVICE_ID

It serves one heater-type device (pysma-plus 0.5.4 offers no EVCharger type and only running-time timeframes) that
draws 1200 W and asks for 10–30 min within the next hour. Its own chatter (it prints) goes to stderr; stdout carries
one JSON line per event: {"ready": true} once serving, then {"deviceId": …, "on": …} per DeviceControl it received."""
import asyncio
import json
import sys
from datetime import datetime, timedelta

from pysmaplus.semp import semp
from pysmaplus.semp.device import sempDevice, sempTimeframe


def emit(event):
    sys.__stdout__.write(json.dumps(event) + "\n")
    sys.__stdout__.flush()


async def main(address, port, device_id):
    sys.stdout = sys.stderr  # pysma-plus prints its logs
    # Its timeframes default to a list shared by every instance (a class attribute), so set them explicitly.
    device = sempDevice(device_id, "Interop heater", "Heater", "0001", "pysma-plus", 2000, 500)
    device.setPowerStatus(1200, "on")
    device.setInterruptable(True)
    now = datetime.now()
    device.setTimeframes([sempTimeframe(now, now + timedelta(hours=1), timedelta(minutes=10), timedelta(minutes=30))])

    async def on_control(action):
        emit({"deviceId": action.deviceid, "on": action.requestedStatus})

    gateway = semp(address, port, callback=on_control)
    gateway.addDevice(device)
    await gateway.start()
    emit({"ready": True})
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
