"""The private bus helper (dbus_bus.py) itself: python-dbusmock's timedated template on a private dbus-daemon records
what a real D-Bus client (systemd's busctl, not python) sends, and the helper reads it back."""
import shutil

import pytest

from dbus_bus import dbus_bus  # noqa: F401  (the fixture)


@pytest.mark.skipif(not shutil.which("busctl"), reason="busctl (Debian package systemd) is not installed")
def test_dbusmock_timedated_records_busctl_calls(dbus_bus):  # noqa: F811
    timedated = dbus_bus.mock("timedated", {"Timezone": "UTC"})
    assert timedated.property("Timezone") == "UTC"
    dbus_bus.busctl("call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1", "org.freedesktop.timedate1",
                    "SetTimezone", "sb", "Europe/Berlin", "false")
    assert timedated.wait_call("SetTimezone") == ["Europe/Berlin", False]
    assert timedated.property("Timezone") == "Europe/Berlin"
    dbus_bus.busctl("call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1", "org.freedesktop.timedate1",
                    "SetTime", "xbb", "1764950400000000", "false", "false")
    assert timedated.method_calls("SetTime") == [[1764950400000000, False, False]]
    timedated.clear_calls()
    assert timedated.calls() == []
