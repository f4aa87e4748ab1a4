"""Helpers of the OCPP 1.6J conformance suite: a simulated station configured for the test central system."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from station import Station, brief, cli, wait_for  # noqa: E402

CARD = "04567DAA5F3580"


class OCPPStation(Station):
    """A simulated station whose backend is the test central system."""

    def __init__(self, data_dir, cs, config=(), connectors=2, time_scale=1.0, env=None):
        super().__init__(data_dir, connectors=connectors, time_scale=time_scale, cards=())
        self.cs = cs
        self.env = env
        self.config = [("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-TEST-01"),
                       ("StatusNotificationStrategy", "OccupiedOnAuthorizedOrPlugged"), ("EnableLocalWhitelist", "Off"),
                       ("MeterValueSampleInterval", "0"), *config]

    def start(self):
        for key, value in self.config:
            r = cli("config", "set", key, value, "--role", "manufacturer", data_dir=self.data_dir)
            assert r.returncode == 0, r.stderr
        return super().start()

    def refresh(self):
        """Re-reads the API port and token after the station services restarted in-process (Reset)."""
        def info():
            path = self.data_dir / "station.json"
            if not path.exists():
                return None
            i = json.loads(path.read_text())
            return i if i.get("pid") == self.proc.pid else None
        port_before = self.base
        wait_for(lambda: info() and f"http://127.0.0.1:{info()['httpPort']}" != port_before, timeout=30, what="restarted station")
        self.attach(info())  # the new port, and the API token of this start



def plug(station, n=1, ev="3p-16a"):
    r = station.sim("plug", str(n), "--ev", ev)
    assert r.returncode == 0, r.stderr


def unplug(station, n=1, force=False):
    r = station.sim("unplug", str(n), *(["--force"] if force else []))
    assert r.returncode == 0, r.stderr


def rfid(station, uid=CARD):
    r = station.sim("rfid", uid)
    assert r.returncode == 0, r.stderr
