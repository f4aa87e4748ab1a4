"""Josev (EcoG-io's iso15118, PyPI `iso15118` 0.31.2) as the independent vehicle of the ISO 15118 suites, and its
reference SECC, each in a network namespace of its own joined by a veth pair with IPv6 link-local addresses:

    namespace ck<id>-ev   veth vev<id>   fe80::…  ─┐   the vehicle (Josev's EVCC simulator)
    namespace ck<id>-se   veth vse<id>   fe80::…  ─┘   the station (ChargeKit's servers, or Josev's SECC)

Josev runs in its own venv (it pins pydantic 1 and cryptography 44): `CHARGEKIT_JOSEV_PYTHON` names its python
(scripts/test.sh sets it; default: the repository's `.venv-josev`). Its EXI codec is a Java jar started through py4j,
so each Josev program needs a few seconds to start and Java on the machine.

What the harness guarantees:
- deterministic addresses: duplicate address detection is off in both namespaces before the links come up, and
  `LinkPair.open()` returns only once both link-local addresses are usable (read back, not slept for);
- every program's output goes to a log file of the test's own (`JosevProcess.log_path`), shown when a wait fails;
- `JosevProcess.wait_for(regex)` reads the log as it grows and returns the matching line, or fails with the log's
  tail — a test waits for a line, never for a time;
- `stop()` ends a program with SIGINT, then SIGTERM, then SIGKILL, and closing the pair kills whatever still runs in
  its namespaces.

Josev's message timeouts (2 s for most requests) are met easily by an idle machine, but its EXI codec needs up to a
second per message on a busy 2-core runner with four test workers. `CHARGEKIT_JOSEV_TIMEOUT_SCALE` (or `timeout_scale=`)
multiplies them (not the 250 ms SDP retry): the self-test scales them, a test of the station's own timing must not."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from netns import Namespace, _ip, can_create  # noqa: E402

import secrets  # noqa: E402

REPO = Path(__file__).resolve().parents[3]

# Runs a Josev module after multiplying its timeouts: replaces the four `Timeouts` enums before any of Josev's
# state modules import them (`from … import Timeouts` binds the replacement).
LAUNCHER = r"""
import enum, importlib, os, runpy, sys
scale = float(os.environ.get("CHARGEKIT_JOSEV_TIMEOUT_SCALE", "1"))
if scale != 1:
    for name in ("iso15118.shared.messages.timeouts", "iso15118.shared.messages.iso15118_2.timeouts",
                 "iso15118.shared.messages.din_spec.timeouts", "iso15118.shared.messages.iso15118_20.timeouts"):
        module = importlib.import_module(name)
        members = {k: (v.value if k == "SDP_REQ" else v.value * scale) for k, v in module.Timeouts.__members__.items()}
        module.Timeouts = enum.Enum("Timeouts", members, type=float)
target = sys.argv[1]
sys.argv = [target] + sys.argv[2:]
runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


def josev_python():
    return os.environ.get("CHARGEKIT_JOSEV_PYTHON") or str(REPO / ".venv-josev" / "bin" / "python")


def skip_reason():
    """None when the Josev tests can run here, else why not (for pytest.skip)."""
    reason = can_create()
    if reason:
        return reason
    python = josev_python()
    if not os.access(python, os.X_OK):
        return f"Josev's python {python} is missing (CHARGEKIT_JOSEV_PYTHON; scripts/test.sh makes .venv-josev)"
    if shutil.which("java") is None:
        return "java is missing (Josev's EXI codec; Debian package openjdk-17-jre-headless)"
    return None


_WHEEL = None


def wheel_dir():
    """The installed `iso15118` package's directory (its examples, schemas and PKI script)."""
    global _WHEEL
    if _WHEEL is None:
        out = subprocess.run([josev_python(), "-c", "import iso15118, os; print(os.path.dirname(iso15118.__file__))"],
                             capture_output=True, text=True, timeout=60, check=True)
        _WHEEL = Path(out.stdout.strip())
    return _WHEEL


def evcc_config(name="iso15118_2/evcc_config_eim_ac.json"):
    """One of the EVCC configurations the wheel ships (`shared/examples/evcc/<name>`)."""
    path = wheel_dir() / "shared" / "examples" / "evcc" / name
    assert path.is_file(), f"no EVCC configuration {path}"
    return path


def make_pki(directory, version="iso-2"):
    """Runs the wheel's `shared/pki/create_certs.sh -v iso-2` in a copy under `directory` (the script writes relative
    to its working directory, with the system's openssl); returns the PKI_PATH for Josev (the copy, with a slash)."""
    pki = Path(directory) / "pki"
    shutil.copytree(wheel_dir() / "shared" / "pki", pki)
    r = subprocess.run(["bash", "create_certs.sh", "-v", version], cwd=pki, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"create_certs.sh failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    folder = "iso15118_2" if version == "iso-2" else "iso15118_20"
    assert (pki / folder / "certs").is_dir(), f"create_certs.sh made no {folder}/certs:\n{r.stdout[-2000:]}"
    return str(pki) + "/"


class LinkPair:
    """The vehicle's and the station's namespaces joined by a veth pair, IPv6 link-local only, DAD off."""

    def __init__(self):
        ident = secrets.token_hex(3)
        self.ev = Namespace(f"ck{ident}-ev", f"vev{ident}", None)
        self.station = Namespace(f"ck{ident}-se", f"vse{ident}", None)
        self.created = []
        self.addresses = {}

    def open(self, timeout=10):
        try:
            for ns in (self.ev, self.station):
                _ip("netns", "add", ns.name)
                self.created.append(ns)
            _ip("link", "add", self.ev.interface, "type", "veth", "peer", "name", self.station.interface)
            for ns in (self.ev, self.station):
                _ip("link", "set", ns.interface, "netns", ns.name)
                # The namespace's own sysctls (/proc/sys/net is per network namespace), written without procps' sysctl.
                settings = [f"{conf}/accept_dad=0" for conf in ("all", "default", ns.interface)] + [f"{ns.interface}/disable_ipv6=0"]
                script = "; ".join(f"echo {s.split('=')[1]} > /proc/sys/net/ipv6/conf/{s.split('=')[0]}" for s in settings)
                r = ns.run(["sh", "-ec", script])
                assert r.returncode == 0, r.stderr
                _ip("link", "set", "lo", "up", namespace=ns.name)
                _ip("link", "set", ns.interface, "up", namespace=ns.name)
            deadline = time.monotonic() + timeout
            for ns in (self.ev, self.station):
                while True:
                    address = self.link_local(ns)
                    if address:
                        self.addresses[ns.name] = address
                        break
                    assert time.monotonic() < deadline, f"{ns.interface} got no usable link-local address in {timeout} s"
                    time.sleep(0.05)  # polling the kernel's address list; the condition is the evidence
        except BaseException:
            self.close()
            raise
        return self

    @staticmethod
    def link_local(ns):
        """The interface's usable (not tentative) link-local address, or None."""
        r = ns.run(["ip", "-6", "-o", "addr", "show", "dev", ns.interface, "scope", "link"])
        for line in r.stdout.splitlines():
            m = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", line)
            if m and "tentative" not in line and "dadfailed" not in line:
                return m.group(1)
        return None

    def close(self):
        for ns in reversed(self.created):
            for pid in ns.pids():
                if pid != os.getpid():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            try:
                _ip("netns", "del", ns.name)
            except RuntimeError:
                pass
        self.created = []
        subprocess.run(["ip", "link", "del", self.ev.interface], capture_output=True)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


class JosevProcess:
    """A program in a namespace whose output (stdout and stderr) goes to a log file the test waits on."""

    def __init__(self, ns, argv, env, log_path, cwd):
        self.log_path = Path(log_path)
        self.log = open(self.log_path, "wb")
        self.proc = ns.popen(["env", *[f"{k}={v}" for k, v in env.items()], *argv],
                             stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        self.offset = 0

    def text(self):
        return self.log_path.read_text(errors="replace")

    def tail(self, n=60):
        return "\n".join(self.text().splitlines()[-n:])

    def wait_for(self, pattern, timeout=60, fail=None):
        """The first line after the previous match that matches `pattern`; fails at `fail` (a regex of a line that
        means it will never come), at the program's exit, or after `timeout` s, with the log's tail."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        bad = re.compile(fail) if fail else None
        while True:
            data = self.log_path.read_bytes()
            while True:
                end = data.find(b"\n", self.offset)
                if end < 0:
                    break
                line = data[self.offset:end].decode(errors="replace")
                self.offset = end + 1
                if rx.search(line):
                    return line
                if bad and bad.search(line):
                    raise AssertionError(f"{self.log_path.name}: {line}\n--- log tail ---\n{self.tail()}")
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.log_path.name}: exited with {self.proc.returncode} before /{pattern}/\n"
                                     f"--- log tail ---\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.log_path.name}: no /{pattern}/ within {timeout} s\n--- log tail ---\n{self.tail()}")
            time.sleep(0.05)  # the next look at the growing log; the matching line is the evidence

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=timeout / 2)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.log.close()
        return self.proc.returncode


def _env(interface, pki_path, log_level, timeout_scale, extra):
    env = {"NETWORK_INTERFACE": interface, "LOG_LEVEL": log_level, "MESSAGE_LOG_JSON": "True",
           "CHARGEKIT_JOSEV_TIMEOUT_SCALE": str(timeout_scale if timeout_scale is not None
                                                else os.environ.get("CHARGEKIT_JOSEV_TIMEOUT_SCALE", "1")),
           "PYTHONUNBUFFERED": "1"}
    if pki_path:
        env["PKI_PATH"] = pki_path
    env.update(extra or {})
    return env


def start_evcc(ns, directory, config=None, pki_path=None, log_level="INFO", timeout_scale=None, env=None):
    """Josev's EVCC simulator (`python -m iso15118.evcc.main CONFIG`) on `ns`'s interface; its log is
    `directory/evcc.log`. It runs in `directory` (Josev reads a `.env` of its working directory)."""
    argv = [josev_python(), "-c", LAUNCHER, "iso15118.evcc.main", str(config or evcc_config())]
    return JosevProcess(ns, argv, _env(ns.interface, pki_path, log_level, timeout_scale, env), Path(directory) / "evcc.log", directory)


def start_secc(ns, directory, protocols="ISO_15118_2", auth_modes="EIM", pki_path=None, log_level="INFO",
               timeout_scale=None, env=None):
    """Josev's reference SECC (`python -m iso15118.secc.main`); its log is `directory/secc.log`. Wait for
    `SECC_READY` before starting a vehicle."""
    extra = {"PROTOCOLS": protocols, "AUTH_MODES": auth_modes, **(env or {})}
    argv = [josev_python(), "-c", LAUNCHER, "iso15118.secc.main"]
    return JosevProcess(ns, argv, _env(ns.interface, pki_path, log_level, timeout_scale, extra), Path(directory) / "secc.log", directory)


# Log lines of Josev 0.31.2 the tests wait for.
SECC_READY = r"UDP server started at address"
EVCC_SDP_SENT = r"Sending SDPRequest"
EVCC_GAVE_UP = r"maximum number of SDP retry cycles|SDPFailedError|Traceback"
