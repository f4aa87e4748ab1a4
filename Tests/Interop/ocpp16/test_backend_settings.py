"""Backend settings of seeds/004 §4 and seeds/002 §1.5 / §2.3 that change what the backend sees: TimeSource,
Chargebox ID (Template), the backend provider presets and "Allow long get configuration keys"."""
import json
from datetime import datetime, timezone

from ocpp.v16 import call

from dbus_bus import dbus_bus  # noqa: F401  (the fixture)
from harness import cli


def parse(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_time_source_heartbeat_follows_the_backend_clock(cs, make_station):
    cs.time_offset = 3600
    make_station(boot=False)
    cs.wait_call("BootNotification")
    status = cs.wait_status(0, "Available")
    ahead = (parse(status["timestamp"]) - datetime.now(timezone.utc)).total_seconds()
    assert 3590 <= ahead <= 3610, ahead


def test_time_source_ntp_keeps_the_system_clock(cs, make_station):
    cs.time_offset = 3600
    make_station(boot=False, config=[("TimeSource", "NTP")])
    status = cs.wait_status(0, "Available")
    assert abs((parse(status["timestamp"]) - datetime.now(timezone.utc)).total_seconds()) < 10


def test_chargebox_id_template_names_the_station_at_the_backend(cs, make_station):
    make_station(config=[("ChargeBoxSerialNumber", "100002440"), ("ChargeBoxIdentityTemplate", "TE-{serial}")])
    assert cs.paths[0] == "/ocpp/TE-100002440"


def test_backend_provider_preset_fills_the_backend_settings(data_dir):
    r = cli("config", "set", "OperatorPreset", "TotalEnergies", "--role", "operator", data_dir=data_dir, check=True)
    assert r.returncode == 0
    url = cli("config", "get", "BackendURL", data_dir=data_dir, check=True).stdout
    assert "ws://evse.total-ev-charge.com:9999/ocpp/WebSocket" in url
    assert "upper" in cli("config", "get", "RFIDTagLetterCase", data_dir=data_dir, check=True).stdout
    bad = cli("config", "set", "OperatorPreset", "Shell", "--role", "operator", data_dir=data_dir)
    assert bad.returncode != 0 and "OperatorPreset" in bad.stderr


def test_allow_long_get_configuration_keys(cs, make_station):
    command = "/usr/local/bin/install-firmware --verbose " + "--option " * 51 + '"$1"'
    assert len(command) > 500
    make_station(config=[("FirmwareInstallCommand", command)])
    conf = cs.call(call.GetConfiguration(key=["FirmwareInstallCommand"]))
    assert conf.configuration_key[0]["value"] == command[:500]
    assert cs.call(call.ChangeConfiguration(key="AllowLongGetConfigurationKeys", value="true")).status == "Accepted"
    # The library validates answers against the official schema, where a value over 500 characters is a violation:
    # the full value is read from the raw frame.
    cs.send_raw(json.dumps([2, "long-1", "GetConfiguration", {"key": ["FirmwareInstallCommand"]}]), may_break_schema=True)
    assert cs.raw_answers("long-1")[2]["configurationKey"][0]["value"] == command


def test_seeds002_1_6_backend_time_reaches_the_os_clock(cs, make_station, dbus_bus):
    """Issue 24 item 4: TimeSource Heartbeat steps the station clock to the backend's time, and the station carries it
    to the operating system's clock through systemd-timedated (python-dbusmock's template on a private bus, dbus_bus.py):
    NTP off first (the backend is the chosen source, and timedated refuses SetTime while NTP is on), then SetTime."""
    import time
    timedated = dbus_bus.mock("timedated", {"Timezone": "Etc/UTC", "NTP": True})
    cs.time_offset = 3600
    make_station(boot=False, env=dbus_bus.env)
    cs.wait_call("BootNotification")
    usec, relative, interactive = timedated.wait_call("SetTime")
    assert (relative, interactive) == (False, False)
    assert abs(usec / 1e6 - (time.time() + 3600)) < 30, usec
    assert [m for _, m, _ in timedated.calls() if m in ("SetNTP", "SetTime")] == ["SetNTP", "SetTime"]
    assert timedated.method_calls("SetNTP") == [[False, False]]
