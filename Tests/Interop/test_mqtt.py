"""MQTT against a real broker (Debian `mosquitto`, with a password file) and a real client (`paho-mqtt`): the station's
retained state and Home Assistant discovery, commands on …/set topics answered on …/result, the last will after
SIGKILL, and the state published again after a broker restart (the broker runs without persistence, so everything
it shows afterwards was published anew by the station)."""
import json
import socket
import socketserver
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from pki import make_pki
from station import Station, cli, wait_for

USER, PASSWORD = "station", "mqtt-s3cret"
IDENTITY = "CK-MQTT-1"
BASE = f"chargekit/{IDENTITY}"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on a free port of 127.0.0.1: no anonymous clients, one user from a password file, no persistence."""

    def __init__(self, directory, pki=None):
        self.dir = directory
        self.port = free_port()
        self.proc = None
        self.pki = pki
        passwords = directory / "passwd"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), USER, PASSWORD], check=True, capture_output=True)
        tls = f"cafile {pki / 'ca.pem'}\ncertfile {pki / 'localhost.pem'}\nkeyfile {pki / 'localhost.key'}\n" if pki else ""
        (directory / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n{tls}allow_anonymous false\npassword_file {passwords}\npersistence false\n"
            "user root\nlog_dest stderr\n")

    def start(self):
        self.log = open(self.dir / "mosquitto.log", "ab")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.dir / "mosquitto.conf")], stdout=self.log, stderr=self.log)

        def accepting():
            assert self.proc.poll() is None, f"mosquitto exited: {(self.dir / 'mosquitto.log').read_text()}"
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        wait_for(lambda: _ignore_refused(accepting), timeout=15, what="mosquitto listening")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _ignore_refused(f):
    try:
        return f()
    except OSError:
        return False


class Watcher:
    """A paho-mqtt client subscribed to the station's topics and Home Assistant's discovery topics; keeps the last
    message of every topic (payload and retain flag) and every result."""

    def __init__(self, port, ca=None):
        self.port = port
        self.messages = {}
        self.results = []
        self.history = []  # (monotonic time, topic, payload)
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{time.monotonic_ns()}")
        self.client.username_pw_set(USER, PASSWORD)
        if ca:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([("chargekit/#", 1), ("homeassistant/#", 1)])
        self.client.connect("localhost" if ca else "127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages[msg.topic] = (msg.payload.decode(), msg.retain)
            self.history.append((time.monotonic(), msg.topic, msg.payload.decode()))
            if msg.topic.endswith("/result"):
                self.results.append((msg.topic, msg.payload.decode()))

    def value(self, topic):
        with self.lock:
            m = self.messages.get(topic)
        return m[0] if m else None

    def wait_value(self, topic, value, timeout=30):
        return wait_for(lambda: self.value(topic) == value, timeout=timeout, what=f"{topic} = {value!r} (now {self.value(topic)!r})")

    def configs(self):
        with self.lock:
            return {t: json.loads(p) for t, (p, _) in self.messages.items() if t.startswith("homeassistant/") and t.endswith("/config")}

    def command(self, topic, payload):
        """Publishes a command and returns its answer (the next message on the result topic)."""
        result_topic = topic[:-len("/set")] + "/result"
        with self.lock:
            seen = len(self.results)
        self.client.publish(topic, payload, qos=1)

        def answer():
            with self.lock:
                return next((json.loads(p) for t, p in self.results[seen:] if t == result_topic), None)
        return wait_for(answer, timeout=15, what=f"answer on {result_topic}")

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def configure(data_dir, port, tls=False):
    for key, value in [("ChargeBoxIdentity", IDENTITY), ("MQTTEnabled", "On"), ("MQTTBrokerHost", "localhost" if tls else "127.0.0.1"),
                       ("MQTTBrokerPort", str(port)), ("MQTTUser", USER), ("MQTTPassword", PASSWORD),
                       ("MQTTTLS", "On" if tls else "Off")]:
        r = cli("config", "set", key, value, "--role", "operator", data_dir=data_dir)
        assert r.returncode == 0, r.stderr


@pytest.fixture
def broker(tmp_path):
    d = tmp_path / "broker"
    d.mkdir()
    b = Broker(d).start()
    yield b
    b.stop()


@pytest.fixture
def mqtt_station(data_dir, broker):
    configure(data_dir, broker.port)
    s = Station(data_dir).start()
    yield s
    if s.proc.poll() is None:
        s.terminate()


@pytest.fixture
def watcher(broker):
    w = Watcher(broker.port)
    yield w
    w.close()


#: The keys Home Assistant's MQTT discovery needs of each entity we announce (its MQTT Sensor, Number and Switch
#: documentation; availability and device as in "MQTT Discovery").
REQUIRED = {
    "sensor": {"name", "unique_id", "state_topic", "availability_topic", "payload_available", "payload_not_available", "device"},
    "number": {"name", "unique_id", "state_topic", "command_topic", "min", "max", "step", "availability_topic", "device"},
    "switch": {"name", "unique_id", "state_topic", "command_topic", "payload_on", "payload_off", "availability_topic", "device"},
    "select": {"name", "unique_id", "state_topic", "command_topic", "options", "availability_topic", "device"},
}


def assert_retained(port, expected):
    """A client that subscribes now gets every one of `expected` as a retained message (MQTT 3.1.1 §3.3.1.3)."""
    late = Watcher(port)
    try:
        wait_for(lambda: expected <= set(late.messages), timeout=15, what="the retained messages")
        with late.lock:
            not_retained = [t for t in expected if not late.messages[t][1]]
        assert not not_retained, f"not retained: {not_retained}"
    finally:
        late.close()


def test_home_assistant_discovery_config_and_retained_state(mqtt_station, watcher):
    """Home Assistant MQTT discovery: per connector sensors (status, power, energy), a number for the current limit
    and a switch for availability, retained under homeassistant/<component>/<node_id>/<object_id>/config, tied to one
    device and to the availability topic; the state they point at is retained and current."""
    watcher.wait_value(f"{BASE}/availability", "online")
    configs = wait_for(lambda: len(watcher.configs()) == 16 and watcher.configs(), what="16 discovery configs")
    components = {}
    unique_ids = set()
    for topic, config in configs.items():
        prefix, component, node_id, object_id, last = topic.split("/")
        assert (prefix, last) == ("homeassistant", "config")
        assert all(c.isalnum() or c in "_-" for c in node_id + object_id), topic
        missing = REQUIRED[component] - config.keys()
        assert not missing, f"{topic} lacks {missing}"
        assert config["availability_topic"] == f"{BASE}/availability"
        assert (config["payload_available"], config["payload_not_available"]) == ("online", "offline")
        assert config["device"]["identifiers"] and config["device"]["name"]
        assert config["state_topic"].startswith(BASE + "/")
        unique_ids.add(config["unique_id"])
        components.setdefault(component, []).append(config)
    assert len(unique_ids) == 16
    assert {c: len(v) for c, v in components.items()} == {"sensor": 10, "number": 2, "select": 2, "switch": 2}
    for number in components["number"]:
        assert number["command_topic"] == number["state_topic"] + "/set"
        assert number["unit_of_measurement"] == "A" and number["min"] == 6 and number["max"] >= 6
    for select in components["select"]:
        assert select["command_topic"] == select["state_topic"] + "/set" and select["options"] == ["Fast", "MinPV", "PV"]
    units = {c["unit_of_measurement"] for c in components["sensor"] if "unit_of_measurement" in c}
    assert {"W", "Wh", "A"} <= units
    # The state the entities show, retained.
    for n in (1, 2):
        wait_for(lambda: watcher.value(f"{BASE}/connector/{n}/status") == mqtt_station.connector(n)["status"], what="status")
        assert watcher.value(f"{BASE}/connector/{n}/operative") == "ON"
        code, limit = mqtt_station.get(f"/api/config/OperatorCurrentLimit.{n}")
        assert watcher.value(f"{BASE}/connector/{n}/operator_current_limit") == str(limit["value"])
    assert_retained(watcher.port, expected=set(watcher.messages))
    # The broker password is a secret: never shown by the API.
    code, password = mqtt_station.get("/api/config/MQTTPassword")
    assert code == 200 and password["secret"] and password["value"] in ("", None) and password["isSet"]


def test_mqtt_set_operator_current_limit_answers_on_result_topic(mqtt_station, watcher):
    """A command on …/operator_current_limit/set changes the operator current limit with the web form's validation
    and the operator's role, and is answered on …/result; an invalid value gets an error naming the parameter and
    its range and changes nothing."""
    topic = f"{BASE}/connector/1/operator_current_limit/set"
    watcher.wait_value(f"{BASE}/availability", "online")
    assert watcher.command(topic, "10") == {"ok": True}
    code, p = mqtt_station.get("/api/config/OperatorCurrentLimit.1")
    assert code == 200 and p["value"] == 10
    watcher.wait_value(f"{BASE}/connector/1/operator_current_limit", "10")

    answer = watcher.command(topic, "99")
    assert answer["ok"] is False
    assert "OperatorCurrentLimit.1" in answer["error"] and "6" in answer["error"] and "99" in answer["error"], answer
    assert mqtt_station.get("/api/config/OperatorCurrentLimit.1")[1]["value"] == 10
    assert watcher.command(topic, "ten")["ok"] is False
    assert watcher.command(f"{BASE}/connector/7/operator_current_limit/set", "10") == \
        {"ok": False, "error": "connector: '7' is not allowed; allowed is 1–2"}

    # Availability per connector: OFF makes the idle connector Unavailable (as ChangeAvailability Inoperative).
    assert watcher.command(f"{BASE}/connector/2/operative/set", "OFF") == {"ok": True}
    mqtt_station.wait_status(2, "Unavailable")
    watcher.wait_value(f"{BASE}/connector/2/operative", "OFF")
    watcher.wait_value(f"{BASE}/connector/2/status", "Unavailable")
    assert watcher.command(f"{BASE}/connector/2/operative/set", "maybe") == \
        {"ok": False, "error": "operative: 'maybe' is not allowed; allowed is ON or OFF"}
    assert watcher.command(f"{BASE}/connector/2/operative/set", "ON") == {"ok": True}
    mqtt_station.wait_status(2, "Available")

    # The PV charge mode (a Home Assistant select): through the registry like the web form, stored and audited.
    assert watcher.command(f"{BASE}/connector/1/charge_mode/set", "MinPV") == {"ok": True}
    assert mqtt_station.get("/api/config/ChargeMode.1")[1]["value"] == "MinPV"
    watcher.wait_value(f"{BASE}/connector/1/charge_mode", "MinPV")
    answer = watcher.command(f"{BASE}/connector/1/charge_mode/set", "Solar")
    assert answer["ok"] is False and "ChargeMode.1" in answer["error"] and "PV" in answer["error"], answer
    assert mqtt_station.get("/api/config/ChargeMode.1")[1]["value"] == "MinPV"


def test_mqtt_charging_session_power_and_energy_at_most_every_interval(data_dir, broker, watcher):
    """During a charging session the status, power and session energy are published retained; the meters at most
    every MQTTMeterInterval seconds (2 s here), the newest value each time."""
    configure(data_dir, broker.port)
    assert cli("config", "set", "MQTTMeterInterval", "2", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    try:
        watcher.wait_value(f"{BASE}/availability", "online")
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        station.wait_status(1, "Charging")
        watcher.wait_value(f"{BASE}/connector/1/status", "Charging")
        wait_for(lambda: float(watcher.value(f"{BASE}/connector/1/power") or 0) > 1000, what="power while charging")
        topic = f"{BASE}/connector/1/session_energy"

        def energies():
            with watcher.lock:
                return [(t, float(p)) for t, tp, p in watcher.history if tp == topic and float(p) > 0]
        samples = wait_for(lambda: len(energies()) >= 4 and energies(), timeout=30, what="four session energy values")
        gaps = [b[0] - a[0] for a, b in zip(samples, samples[1:])]
        assert min(gaps) >= 1.7, f"published more often than every 2 s: {gaps}"
        assert all(b[1] > a[1] for a, b in zip(samples, samples[1:])), samples
        assert abs(samples[-1][1] - station.connector(1)["session"]["energyWh"]) < 200
    finally:
        station.terminate()


def test_mqtt_start_stop_with_an_idtag_where_allowed(data_dir, broker, watcher):
    """Start and stop with an identifier (issue 30 item 2): refused until the operator allows it
    (MQTTAllowStartStop, off by default); then the identifier is presented at the connector like a card — the
    whitelist decides, another identifier may not stop the session, the same one stops it."""
    configure(data_dir, broker.port)
    station = Station(data_dir).start()
    try:
        watcher.wait_value(f"{BASE}/availability", "online")
        card = Station.CARDS[0]
        refused = watcher.command(f"{BASE}/connector/1/start/set", card)
        assert refused["ok"] is False and "MQTTAllowStartStop" in refused["error"], refused
    finally:
        station.terminate()
    assert cli("config", "set", "MQTTAllowStartStop", "On", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    try:
        watcher.wait_value(f"{BASE}/availability", "online")
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        station.wait_status(1, "Preparing")
        unknown = watcher.command(f"{BASE}/connector/1/start/set", "DEADBEEF99")
        assert unknown["ok"] is False and "DEADBEEF99" in unknown["error"] and "unknown" in unknown["error"], unknown
        assert watcher.command(f"{BASE}/connector/1/start/set", "A B") == \
            {"ok": False, "error": "start: 'A B' is not an identifier; allowed are 1–20 printable ASCII characters without spaces"}
        assert watcher.command(f"{BASE}/connector/1/start/set", card) == {"ok": True, "state": "authorized"}
        station.wait_status(1, "Charging")
        watcher.wait_value(f"{BASE}/connector/1/status", "Charging")
        other = Station.CARDS[1]
        answer = watcher.command(f"{BASE}/connector/1/stop/set", other)
        assert answer["ok"] is False and "may not stop" in answer["error"], answer
        assert station.connector(1)["status"] == "Charging"
        assert watcher.command(f"{BASE}/connector/1/stop/set", card) == {"ok": True, "state": "stopped"}
        station.wait_status(1, "Finishing")
        session = station.get("/api/sessions?limit=1")[1][0]
        assert session["idTag"].endswith(card[-4:]) and session["authorizationMethod"] == "MQTT", session
    finally:
        station.terminate()


def test_mqtt311_3_1_2_5_will_offline_after_sigkill(mqtt_station, watcher):
    """MQTT 3.1.1 §3.1.2.5: the broker publishes the will when the connection ends without DISCONNECT; a station
    killed with SIGKILL shows offline (retained), and a graceful stop publishes offline itself."""
    watcher.wait_value(f"{BASE}/availability", "online")
    mqtt_station.kill9()
    watcher.wait_value(f"{BASE}/availability", "offline", timeout=20)
    late = Watcher(watcher.port)
    try:
        late.wait_value(f"{BASE}/availability", "offline", timeout=10)
        assert late.messages[f"{BASE}/availability"][1], "the will is retained"
    finally:
        late.close()


def test_mqtt_graceful_stop_publishes_offline(mqtt_station, watcher):
    watcher.wait_value(f"{BASE}/availability", "online")
    assert mqtt_station.terminate() == 0
    watcher.wait_value(f"{BASE}/availability", "offline", timeout=20)


def test_mqtt_broker_restart_retained_state_published_again(mqtt_station, broker, watcher):
    """After a broker restart (without persistence: every retained message is gone) the station reconnects with
    back-off and publishes availability, discovery and its state again, retained."""
    watcher.wait_value(f"{BASE}/availability", "online")
    assert watcher.command(f"{BASE}/connector/1/operator_current_limit/set", "12") == {"ok": True}
    watcher.close()
    broker.stop()
    broker.start()
    fresh = Watcher(broker.port)
    try:
        fresh.wait_value(f"{BASE}/availability", "online", timeout=40)
        fresh.wait_value(f"{BASE}/connector/1/operator_current_limit", "12")
        fresh.wait_value(f"{BASE}/connector/1/status", mqtt_station.connector(1)["status"])
        wait_for(lambda: len(fresh.configs()) == 16, what="discovery configs again")
        assert_retained(broker.port, expected={t for t in fresh.messages if not t.endswith("/result")})
    finally:
        fresh.close()


def test_mqtt_over_tls_checks_the_broker_certificate(tmp_path, data_dir):
    """MQTTTLS On: the station connects over TLS with user and password and checks the broker's certificate against
    the trusted CAs (CHARGEKIT_CA_FILE here): a broker its CA does not vouch for gets no connection, and no password."""
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki)
    other = tmp_path / "other"
    other.mkdir()
    make_pki(other, servers=())
    (tmp_path / "broker").mkdir()
    broker = Broker(tmp_path / "broker", pki=pki).start()
    watcher = Watcher(broker.port, ca=pki / "ca.pem")
    configure(data_dir, broker.port, tls=True)
    station = Station(data_dir)
    try:
        station.env = {"CHARGEKIT_CA_FILE": str(other / "ca.pem")}
        station.start()
        wait_for(lambda: "MQTT connection to localhost" in station.log_path.read_text(errors="replace")
                 and "certificate" in station.log_path.read_text(errors="replace").lower(),
                 what="the refused certificate in the station's log")
        assert watcher.value(f"{BASE}/availability") is None
        assert PASSWORD not in station.log_path.read_text(errors="replace")
        station.terminate()

        station.env = {"CHARGEKIT_CA_FILE": str(pki / "ca.pem")}
        station.start()
        watcher.wait_value(f"{BASE}/availability", "online")
        assert watcher.command(f"{BASE}/connector/1/operator_current_limit/set", "11") == {"ok": True}
        assert station.get("/api/config/OperatorCurrentLimit.1")[1]["value"] == 11
    finally:
        if station.proc and station.proc.poll() is None:
            station.terminate()
        watcher.close()
        broker.stop()


class HostileBroker(socketserver.ThreadingTCPServer):
    """A fake broker that reads CONNECT, accepts it with CONNACK and then sends one malformed packet per connection,
    from a list: a five-byte remaining length (MQTT 3.1.1 §2.2.3), a length of 256 MB, a PUBLISH whose topic length
    runs past the packet, QoS 3 (§3.3.1.2), a reserved packet type, invalid UTF-8 in a topic (§1.5.3)."""
    allow_reuse_address = True
    daemon_threads = True
    PACKETS = [
        bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]) + b"x" * 100,
        bytes([0x30, 0x03, 0x00, 0x10, 0x41]),
        bytes([0x36, 0x03, 0x00, 0x01, 0x61]),
        bytes([0xF0, 0x00]),
        bytes([0x30, 0x03, 0x00, 0x01, 0xFF]),
    ]

    def __init__(self):
        self.connections = 0
        self.lock = threading.Lock()

        class Handler(socketserver.BaseRequestHandler):
            def handle(handler):
                with self.lock:
                    n = self.connections
                    self.connections += 1
                handler.request.settimeout(5)
                first = handler.request.recv(4096)
                if not first or first[0] != 0x10:
                    return
                handler.request.sendall(bytes([0x20, 0x02, 0x00, 0x00]))
                handler.request.sendall(self.PACKETS[n % len(self.PACKETS)])
                try:
                    while handler.request.recv(4096):
                        pass
                except OSError:
                    pass
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_mqtt311_4_8_malformed_packets_from_the_broker_close_the_connection_not_the_station(data_dir):
    """MQTT 3.1.1 §4.8: a malformed packet from the broker closes the network connection. The station stays up
    (its API answers), logs why, and connects again (with back-off) for the next one: every malformed packet of the
    list arrives without a crash."""
    broker = HostileBroker()
    try:
        configure(data_dir, broker.server_address[1])
        for key, value in [("MQTTUser", ""), ("MQTTPassword", "")]:
            assert cli("config", "set", key, value, "--role", "operator", data_dir=data_dir).returncode == 0
        station = Station(data_dir).start()
        try:
            # back-off 1 + 2 + 4 + 8 + 16 s between the six connections: accepted, but never for 10 s
            reasons = ["remaining length longer than four bytes", "exceeds the limit", "a field's length runs past the packet",
                       "invalid flags 6 for packet type 3", "unknown or unexpected packet type 15", "not well-formed UTF-8"]
            wait_for(lambda: all(r in station.log_path.read_text(errors="replace") for r in reasons), timeout=60,
                     what="every malformed packet logged as the reason of a closed connection")
            assert station.proc.poll() is None
            assert station.get("/api/status")[0] == 200
            assert broker.connections == len(HostileBroker.PACKETS), "back-off: no reconnection every second"
        finally:
            station.terminate()
    finally:
        broker.shutdown()
        broker.server_close()
