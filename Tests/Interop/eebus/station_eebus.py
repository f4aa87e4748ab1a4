"""The station side of the EEBUS interop suite: starting the station with its EEBUS interface, its EEBUS API
(`GET /api/eebus`, `POST /api/eebus/pair`, `POST /api/eebus/unpair`), pairing as a user does it, and small readers of
the status and the log.

The station runs at time scale 1: SHIP and SPINE timers (the heartbeat, "Zeit bis Verbindungsausfall") are real time
on both sides, so the station's clock must not run faster than the peer's."""

from station import Station, cli, wait_for

EEBUS_PORT = 4712  # EEBUSPort's default


def start_station(data_dir, netns_pair, **params):
    """A station with `EEBUSInterface` on (and the given EEBUS parameters) in the station namespace, announcing
    `_ship._tcp` on the veth interface (`--eebus-interface`)."""
    for key, value in {"EEBUSInterface": "On", **params}.items():
        r = cli("config", "set", key, str(value), "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, f"config set {key}: {r.stderr}"
    station = Station(data_dir, time_scale=1.0, extra=["--eebus-interface", netns_pair.station.interface])
    station.namespace = netns_pair.station
    return station.start()


def eebus(station):
    code, body = station.get("/api/eebus")
    assert code == 200, (code, body)
    return body


def pair(station, manager):
    """The user pairs the manager on the station (POST /api/eebus/pair with its SKI) and the manager trusts the
    station's SKI from its mDNS TXT record. Returns the station's mDNS node."""
    node = manager.find_station(eebus(station)["ski"])
    code, body = station.request("POST", "/api/eebus/pair", {"ski": manager.identity.ski})
    assert 200 <= code < 300, (code, body)
    manager.trust(node.ski, node.host, node.port)
    return node


def connect(station, manager, node=None):
    """A paired manager's SHIP + SPINE session to the station."""
    node = node or manager.find_station(eebus(station)["ski"])
    return manager.connect(node.host, node.port, node.ski, path=node.txt.get("path", "/ship/"))


def log_offset(station):
    station.log.flush()
    return station.log_path.stat().st_size


def wait_logged(station, offset, words=("eebus", "ship"), timeout=10):
    """Waits for a new line in the station's log (after byte `offset`) naming EEBUS or SHIP; returns it."""
    def line():
        station.log.flush()
        with open(station.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return next((ln for ln in text.splitlines() if any(w in ln.lower() for w in words)), None)
    return wait_for(line, timeout=timeout, what=f"a log line about {'/'.join(words)}")


def limit(station, n=1):
    c = station.connector(n)
    return c["currentLimit"]["binding"], c["currentLimit"]["amps"]


def charge(station, n=1, ev="3p-16a"):
    """Plugs a vehicle into connector n and starts a session with the connector's card."""
    assert station.sim("plug", str(n), "--ev", ev).returncode == 0
    assert station.sim("rfid", Station.CARDS[n - 1]).returncode == 0
    return station.wait_status(n, "Charging")

