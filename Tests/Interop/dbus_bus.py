"""A private D-Bus message bus for interop tests, with python-dbusmock services on it (issue 24).

The station talks to NetworkManager, ModemManager and timedated on the system bus; a CI machine (or a container) has
none of them, so the tests start their own `dbus-daemon` (Debian package dbus) with a configuration that allows
everything, and run python-dbusmock's templates (`python -m dbusmock --system --template timedated` …) on it with
`DBUS_SYSTEM_BUS_ADDRESS` pointing there — the same variable the station reads. The station is then started with
`station.env = bus.env`. What the station called is read back from the mock's own log (`GetCalls`, interface
`org.freedesktop.DBus.Mock`).

    def test_something(dbus_bus):                 # the fixture: one bus per test, stopped afterwards
        timedated = dbus_bus.mock("timedated", {"Timezone": "UTC"})
        station.env = dbus_bus.env
        ...
        args = timedated.wait_call("SetTimezone")  # → ["Europe/Berlin", False]

Nothing here changes this process's environment (dbusmock's own PrivateDBus sets os.environ, which would leak into
every later test of the session).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

MOCK_IFACE = "org.freedesktop.DBus.Mock"

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
"""


def missing_reason():
    """Why the private bus cannot run here (None when it can): dbus-daemon, dbus-python and python-dbusmock."""
    if not shutil.which("dbus-daemon"):
        return "dbus-daemon is not installed (Debian package dbus)"
    try:
        import dbus  # noqa: F401
        import dbusmock  # noqa: F401
    except ImportError as e:
        return f"python-dbusmock or dbus-python is not installed in this venv ({e}); see Tests/Interop/requirements.txt"
    return None


def _to_python(value):
    """dbus-python's types (dbus.String, dbus.Boolean, dbus.Array …) as plain Python values."""
    import dbus
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64)):
        return int(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, dbus.Dictionary):
        return {_to_python(k): _to_python(v) for k, v in value.items()}
    if isinstance(value, (dbus.Array, dbus.Struct, list, tuple)):
        return [_to_python(v) for v in value]
    return value


class Mock:
    """One python-dbusmock process serving a template on the private bus."""

    def __init__(self, bus, template, name, path, interface, process):
        self.bus, self.template, self.name, self.path, self.interface, self.process = bus, template, name, path, interface, process

    def _object(self, path=None):
        return self.bus.connection().get_object(self.name, path or self.path)

    def calls(self, path=None):
        """Every call the mock received since the start (or `clear_calls`): [(timestamp, method, [args…]), …]."""
        rows = self._object(path).GetCalls(dbus_interface=MOCK_IFACE)
        return [(float(t), str(m), _to_python(a)) for t, m, a in rows]

    def method_calls(self, method, path=None):
        """The argument lists of every call of `method`, in order."""
        return [args for _, m, args in self.calls(path) if m == method]

    def clear_calls(self, path=None):
        self._object(path).ClearCalls(dbus_interface=MOCK_IFACE)

    def wait_call(self, method, timeout=30.0, path=None, count=1):
        """Waits until `method` was called `count` times and returns the arguments of the last of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.method_calls(method, path)
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.template}: no call #{count} of {method} within {timeout} s; calls: {self.calls(path)}")
            time.sleep(0.05)

    def property(self, name, interface=None, path=None):
        """A property as the mock holds it now (through org.freedesktop.DBus.Properties.Get)."""
        value = self._object(path).Get(interface or self.interface, name, dbus_interface="org.freedesktop.DBus.Properties")
        return _to_python(value)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PrivateBus:
    """A `dbus-daemon` of its own (a system-bus-like configuration allowing everything, every user included: a daemon
    such as systemd-networkd drops to its own user before it connects) on a socket in a temp dir."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ck-dbus-"))
        self.socket = self.dir / "system_bus_socket"
        self.address = f"unix:path={self.socket}"
        self.daemon = None
        self.mocks = []
        self._connection = None

    @property
    def env(self):
        """The environment for processes that should use this bus as their system bus (the station, busctl, dbusmock)."""
        return {"DBUS_SYSTEM_BUS_ADDRESS": self.address}

    def start(self):
        config = self.dir / "bus.conf"
        config.write_text(CONFIG.format(socket=self.socket))
        self.daemon = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
                                       stdout=subprocess.PIPE, text=True)
        printed = self.daemon.stdout.readline().strip()
        assert printed.startswith("unix:path="), f"dbus-daemon printed {printed!r}"
        return self

    def connection(self):
        """A dbus-python connection to this bus (for the mocks' logs and properties)."""
        if self._connection is None:
            import dbus
            self._connection = dbus.bus.BusConnection(self.address)
        return self._connection

    def mock(self, template, parameters=None, timeout=30.0):
        """Starts python-dbusmock with `template` (timedated, networkmanager, modemmanager …) on this bus as its system
        bus, and waits until its name is owned."""
        from dbusmock.mockobject import load_module
        module = load_module(template)
        argv = [sys.executable, "-m", "dbusmock", "--system", "--template", template]
        if parameters:
            argv += ["--parameters", json.dumps(parameters)]
        process = subprocess.Popen(argv, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        interface = getattr(module, "MAIN_IFACE", "org.freedesktop.DBus.ObjectManager")
        mock = Mock(self, template, module.BUS_NAME, module.MAIN_OBJ, interface, process)
        self.mocks.append(mock)
        deadline = time.monotonic() + timeout
        while not self.connection().name_has_owner(module.BUS_NAME):
            if process.poll() is not None:
                raise AssertionError(f"dbusmock {template} exited ({process.returncode}): {process.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"dbusmock {template} did not take {module.BUS_NAME} within {timeout} s")
            time.sleep(0.05)
        return mock

    def busctl(self, *args):
        """`busctl --address=… ARGS` on this bus; returns its standard output (fails on a non-zero exit)."""
        r = subprocess.run(["busctl", f"--address={self.address}", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"busctl {' '.join(args)}: {r.stderr}"
        return r.stdout

    def stop(self):
        for m in self.mocks:
            m.stop()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def dbus_bus():
    """A private system bus for one test (skips with the reason when dbus-daemon or python-dbusmock is missing)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    bus = PrivateBus().start()
    yield bus
    bus.stop()
