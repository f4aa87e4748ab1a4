"""The gateway's MQTT client against a real broker (Debian `mosquitto`, with a user and password) and a real client
(`paho-mqtt`), with charge points of the Python `ocpp` library: a charger's state appears retained under
chargekit/<gateway>/charger/<ChargerID>/, Home Assistant discovery announces each charger as a device, and commands on
…/set topics reach the charger as the OCPP calls of the BMS's operations (seeds/003 Appendix 1, "Messages from CS"),
answered on …/result with the charger's answer or a named error."""
import json
import re
import socket

import pytest
from ocpp.v16 import call
from selenium.webdriver.support.ui import Select

from peers import Charger, Gateway, iso
from station import wait_for
from test_mqtt import PASSWORD, USER, Watcher, assert_retained, broker, watcher  # noqa: F401  (fixtures)
from web_browser import Web, initial_passwords

#: The gateway's id in the topics: its host name's first label (docs/integrator.md, "MQTT (gateway)").
GATEWAY_ID = re.sub(r"[+#/]", "_", socket.gethostname().split(".")[0]) or "gateway"
BASE = f"chargekit/{GATEWAY_ID}"
CP1 = f"{BASE}/charger/CP1"

#: The keys Home Assistant's MQTT discovery needs of each entity the gateway announces (its MQTT Sensor, Binary
#: sensor, Switch and Button documentation; availability and device as in "MQTT Discovery").
REQUIRED = {
    "sensor": {"name", "unique_id", "state_topic", "availability_topic", "payload_available", "payload_not_available", "device"},
    "binary_sensor": {"name", "unique_id", "state_topic", "payload_on", "payload_off", "availability_topic", "device"},
    "switch": {"name", "unique_id", "state_topic", "command_topic", "payload_on", "payload_off", "availability_topic", "device"},
    "button": {"name", "unique_id", "command_topic", "payload_press", "availability_topic", "device"},
}
#: Home Assistant's sensor device classes and state classes used here, with the units it accepts for them.
UNITS = {"power": {"W", "kW"}, "energy": {"Wh", "kWh"}, "current": {"A", "mA"}}


@pytest.fixture
def gateway(data_dir, broker, tmp_path):
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(PASSWORD + "\n")
    g = Gateway(data_dir, chargers=("CP1:2", "CP2:1"), extra=[
        "--bms-timeout", "1", "--mqtt", "on", "--mqtt-broker-host", "127.0.0.1", "--mqtt-broker-port", str(broker.port),
        "--mqtt-user", USER, "--mqtt-password-file", str(password_file), "--mqtt-meter-interval", "1"]).start()
    yield g
    g.terminate()



@pytest.fixture
def cp1(loop, gateway):
    c = Charger(loop, gateway, "CP1").connect()
    c.boot()
    yield c
    c.close()


def test_gateway_mqtt_charger_state_retained_with_home_assistant_discovery(gateway, watcher, cp1):
    """A charger connects: its connection, its connectors' OCPP status, power and energy from MeterValues and whether a
    transaction runs appear retained (never the idTag: personal data); the gateway's availability is online; each
    charger is a Home Assistant device whose entities carry what HA's discovery schema requires."""
    watcher.wait_value(f"{BASE}/availability", "online")
    watcher.wait_value(f"{CP1}/connection", "online")
    watcher.wait_value(f"{BASE}/charger/CP2/connection", "offline")
    cp1.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    start = cp1.call(call.StartTransaction(connector_id=1, id_tag="PRIVATE-TAG", meter_start=1000, timestamp=iso()))
    assert start.transaction_id > 0  # the BMS did not answer within 1 s: the gateway did
    cp1.call(call.MeterValues(connector_id=1, meter_value=[{"timestamp": iso(), "sampledValue": [
        {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
        {"value": "16", "measurand": "Current.Offered", "unit": "A"}]}]))
    for topic, value in [("connector/1/status", "Charging"), ("connector/1/transaction", "ON"), ("connector/1/power", "7400"),
                         ("connector/1/energy", "12500"), ("connector/1/current_offered", "16"), ("connector/1/available", "ON"),
                         ("connector/2/transaction", "OFF")]:
        watcher.wait_value(f"{CP1}/{topic}", value)

    configs = wait_for(lambda: len(watcher.configs()) == 23 and watcher.configs(), what="23 discovery configs (CP1: 1 + 2×7, CP2: 1 + 7)")
    devices = {}
    for topic, config in configs.items():
        prefix, component, node_id, object_id, last = topic.split("/")
        assert (prefix, last) == ("homeassistant", "config")
        assert all(c.isalnum() or c in "_-" for c in node_id + object_id), topic
        missing = REQUIRED[component] - config.keys()
        assert not missing, f"{topic} lacks {missing}"
        assert config["availability_topic"] == f"{BASE}/availability"
        assert (config["payload_available"], config["payload_not_available"]) == ("online", "offline")
        assert config["device"]["identifiers"] == [node_id] and config["device"]["name"]
        assert config["unique_id"] == f"{node_id}_{object_id}"
        if "unit_of_measurement" in config:
            assert config["unit_of_measurement"] in UNITS[config["device_class"]], topic
        for key in ("state_topic", "command_topic"):
            if key in config:
                assert config[key].startswith(f"{BASE}/charger/"), topic
        devices.setdefault(node_id, []).append(component)
    assert set(devices) == {re.sub(r"[^A-Za-z0-9_-]", "_", f"chargekit_{GATEWAY_ID}_{c}") for c in ("CP1", "CP2")}
    assert sorted(devices[next(n for n in devices if n.endswith("_CP1"))]) == \
        sorted(["binary_sensor"] + ["sensor"] * 8 + ["binary_sensor"] * 2 + ["switch"] * 2 + ["button"] * 2)
    assert len({c["unique_id"] for c in configs.values()}) == 23

    with watcher.lock:
        payloads = [p for p, _ in watcher.messages.values()]
    assert not any("PRIVATE-TAG" in p for p in payloads), "an idTag was published"
    assert_retained(watcher.port, expected={t for t in watcher.messages if t.startswith((BASE, "homeassistant/"))})
    assert PASSWORD not in gateway.log_path.read_text(errors="replace")

    # The charger leaves: offline, retained.
    cp1.close()
    watcher.wait_value(f"{CP1}/connection", "offline")


def test_gateway_mqtt_broker_restart_retained_state_published_again(gateway, broker, cp1):
    """After a broker restart without persistence (every retained message gone) the gateway reconnects with back-off
    and publishes its availability, the discovery and every charger's state again, retained."""
    watcher = Watcher(broker.port)
    try:
        watcher.wait_value(f"{CP1}/connection", "online")
        cp1.call(call.StatusNotification(connector_id=2, error_code="NoError", status="Preparing"))
        watcher.wait_value(f"{CP1}/connector/2/status", "Preparing")
    finally:
        watcher.close()
    broker.stop()
    broker.start()
    fresh = Watcher(broker.port)
    try:
        fresh.wait_value(f"{BASE}/availability", "online", timeout=40)
        fresh.wait_value(f"{CP1}/connection", "online")
        fresh.wait_value(f"{CP1}/connector/2/status", "Preparing")
        wait_for(lambda: len(fresh.configs()) == 23, what="the discovery configs again")
        assert_retained(broker.port, expected={t for t in fresh.messages if not t.endswith("/result")})
    finally:
        fresh.close()


def test_seeds003_appendix1_gateway_mqtt_availability_command_reaches_the_charger_as_change_availability(gateway, watcher, cp1):
    """…/available/set OFF on a connector: the charger receives ChangeAvailability Inoperative for it (the BMS's
    Availability operation), and the result topic answers with the charger's answer; a Rejected answer, a bad payload,
    an unconnected or unknown charger and a stop without a transaction each get an error naming what is wrong."""
    watcher.wait_value(f"{CP1}/connection", "online")
    assert watcher.command(f"{CP1}/connector/1/available/set", "OFF") == {"ok": True}
    assert cp1.wait_received("ChangeAvailability") == {"connector_id": 1, "type": "Inoperative"}
    cp1.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Unavailable"))
    watcher.wait_value(f"{CP1}/connector/1/status", "Unavailable")
    watcher.wait_value(f"{CP1}/connector/1/available", "OFF")

    cp1.answers["ChangeAvailability"] = "Rejected"
    assert watcher.command(f"{CP1}/connector/1/available/set", "ON") == \
        {"ok": False, "error": "CP1 answered ChangeAvailability with Rejected"}

    assert watcher.command(f"{CP1}/connector/1/available/set", "maybe") == \
        {"ok": False, "error": "available: 'maybe' is not allowed; allowed is ON or OFF"}
    assert watcher.command(f"{CP1}/connector/9/available/set", "ON") == \
        {"ok": False, "error": "connector: '9' is not allowed; allowed is 0–2 (0: the charger as a whole)"}
    assert watcher.command(f"{BASE}/charger/CP2/connector/1/available/set", "OFF") == \
        {"ok": False, "error": "charger CP2 is not connected"}
    assert watcher.command(f"{BASE}/charger/CP9/connector/1/stop/set", "STOP") == \
        {"ok": False, "error": "charger: 'CP9' is not known to the gateway; allowed are the configured ChargerIDs and connected chargers"}
    assert watcher.command(f"{CP1}/connector/2/stop/set", "STOP") == \
        {"ok": False, "error": "connector 2 of CP1 has no transaction to stop"}

    # Remote start with the payload as the idTag: RemoteStartTransaction, as the BMS's Remote Start block.
    assert watcher.command(f"{CP1}/connector/2/start/set", "TAG-42") == {"ok": True}
    assert cp1.wait_received("RemoteStartTransaction") == {"connector_id": 2, "id_tag": "TAG-42"}
    assert watcher.command(f"{CP1}/connector/2/start/set", "two words")["error"].startswith("idTag:")


def test_gateway_mqtt_off_by_default_and_set_on_the_general_page_restarts_into_the_client(browser, data_dir, broker, watcher):
    """Off by default: a gateway started without MQTT settings never connects. The installer sets the broker in the
    General page's MQTT section; saving restarts the gateway services and the client with them, which connects with
    the user and password; the password is never sent back to the browser nor written to the log."""
    gateway = Gateway(data_dir, chargers=("CP1:1",)).start()
    try:
        web = Web(browser, gateway)
        web.first_login("installer", initial_passwords(gateway)["installer"])
        web.open("/settings/general")
        assert web.el("#s-mqtt") and Select(web.el("#p-mqttEnabled")).first_selected_option.get_attribute("value") == "Off"
        assert watcher.value(f"{BASE}/availability") is None, "no connection while the client is off"
        Select(web.el("#p-mqttEnabled")).select_by_value("On")
        web.fill("#p-mqttBrokerHost", "127.0.0.1")
        web.fill("#p-mqttBrokerPort", "99999")
        web.fill("#p-mqttUser", USER)
        web.fill("#p-mqttPassword", PASSWORD)
        web.submit("#save")
        assert "99999" in web.el("#e-mqttBrokerPort").text and "65535" in web.el("#e-mqttBrokerPort").text, "named with its range"
        web.fill("#p-mqttBrokerPort", str(broker.port))
        web.fill("#p-mqttPassword", PASSWORD)
        web.submit("#save")
        web.el("#saved")
        gateway.wait_restarted()
        watcher.wait_value(f"{BASE}/availability", "online")
        watcher.wait_value(f"{CP1}/connection", "offline")
        web.open("/settings/general")
        assert web.el("#p-mqttPassword").get_attribute("value") == "" and PASSWORD not in browser.page_source
        assert PASSWORD not in gateway.log_path.read_text(errors="replace")
    finally:
        gateway.terminate()
    # A graceful stop publishes offline before it disconnects.
    watcher.wait_value(f"{BASE}/availability", "offline")


def test_mqtt311_3_3_1_3_unconfigured_charger_removed_from_the_broker_when_it_leaves(data_dir, broker, watcher, loop, tmp_path):
    """A charger accepted without configuration is forgotten when it disconnects: its retained connection topic and its
    discovery config are deleted with empty retained messages (MQTT 3.1.1 §3.3.1.3), so a client that subscribes
    afterwards gets neither — chargers with ever new ChargerIDs do not fill the broker."""
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(PASSWORD)
    gateway = Gateway(data_dir, chargers=("CP1:1",), extra=[
        "--accept-unconfigured", "on", "--mqtt", "on", "--mqtt-broker-host", "127.0.0.1", "--mqtt-broker-port", str(broker.port),
        "--mqtt-user", USER, "--mqtt-password-file", str(password_file)]).start()
    try:
        guest = Charger(loop, gateway, "GUEST-7").connect()
        guest.boot()
        topic = f"{BASE}/charger/GUEST-7/connection"
        watcher.wait_value(topic, "online")
        config = next(t for t in wait_for(lambda: [t for t in watcher.configs() if "GUEST-7" in t], what="the guest's discovery config"))
        guest.close()
        watcher.wait_value(topic, "")
        late = Watcher(broker.port)
        try:
            # The retained messages of both filters have arrived: CP1's state and its 8 discovery configs.
            late.wait_value(f"{BASE}/charger/CP1/connection", "offline")
            wait_for(lambda: len([t for t in late.configs() if "_CP1/" in t]) == 8, what="CP1's discovery configs")
            assert late.value(topic) is None and late.value(config) is None, "deleted from the broker"
        finally:
            late.close()
    finally:
        gateway.terminate()
