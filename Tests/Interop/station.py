"""Helpers to run the real `chargekit` binary as a station and talk to its local API (shared by every interop suite)."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = os.environ.get("CHARGEKIT_BIN", str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "chargekit"))


def cli(*args, data_dir=None, check=False, namespace=None):
    """Runs `chargekit ARGS` (inside `namespace`, a netns.Namespace, when given) and returns the CompletedProcess."""
    argv = [BIN, *args]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if namespace is not None:
        argv = namespace.argv(argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} failed ({result.returncode}): {result.stderr}")
    return result


def brief(limit):
    """A connector's current limit without its list of inputs: {"amps": …, "binding": …}."""
    return {"amps": limit["amps"], "binding": limit["binding"]}


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError, KeyError, IndexError, TypeError):
            pass
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value {last!r}")


def terminate(proc):
    """Stops a chargekit process gracefully (SIGTERM) and returns its exit status."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    return proc.returncode if proc else None


class Station:
    """A running `chargekit station --simulate` on a private data directory and a free port."""

    #: Cards the tests present; put into the local whitelist before the first start.
    CARDS = ("04567DAA5F3580", "0A0E9B83")

    #: The stations started by the running test: when it fails, conftest.py adds the end of each one's log to the
    #: report, so that a failure seen only in CI explains itself.
    started_in_test = []

    def __init__(self, data_dir: Path, connectors=2, time_scale=10.0, extra=(), cards=CARDS):
        self.data_dir = data_dir
        self.cards = list(cards)
        self.connectors = connectors
        self.time_scale = time_scale
        self.extra = list(extra)
        self.proc = None
        self.base = None
        # Extra environment variables of the station process. By default the station leaves the host's network alone
        # (a fuzzer's PUT /api/network/interfaces must never reconfigure a developer's machine); network tests set env.
        self.env = {"CHARGEKIT_NETWORK_SERVICE": "none"}
        self.preexec_fn = None  # run in the child before exec (e.g. a descriptor limit)
        self.namespace = None  # a netns.Namespace to run in (SEMP tests); the API and `sim` are then used from inside
        self.log_level = "warning"  # the secrets test reads the log at debug level
        self.board = None  # a board description file: `--board FILE` instead of `--simulate`

    def start(self):
        for card in self.cards:
            r = cli("whitelist", "add", card, data_dir=self.data_dir)
            assert r.returncode == 0 or "already" in r.stderr, r.stderr
        self.cards = []
        runtime = self.data_dir / "station.json"
        if runtime.exists():
            runtime.unlink()
        board = ["--board", str(self.board)] if self.board is not None else ["--simulate"]
        argv = [BIN, "station", *board, "--data-dir", str(self.data_dir), "--http-port", "0", "--https-port", "0",
                "--connectors", str(self.connectors), "--time-scale", str(self.time_scale), "--log-level", self.log_level, *self.extra]
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self.log = open(self.log_path, "ab")
        env = {**os.environ, **self.env} if self.env else None
        if self.namespace is not None:
            argv = self.namespace.argv(argv)  # `ip netns exec` execs: the pid stays the station's (station.json)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, env=env, preexec_fn=self.preexec_fn)
        if self not in Station.started_in_test:
            Station.started_in_test.append(self)
        info = wait_for(lambda: self._runtime_info(), timeout=60, what="station.json")
        self.attach(info)
        wait_for(lambda: self.get("/api/status")[0] == 200, what="status API")
        return self

    def attach(self, info):
        """Talks to the station that published `info` (station.json): its port and its API token."""
        self.base = f"http://127.0.0.1:{info['httpPort']}"
        self.token = info["apiToken"]
        # HTTPS (issue 23 item 2): its port and the certificate it serves (a client may trust it as its CA).
        self.secure_base = f"https://127.0.0.1:{info['httpsPort']}" if info.get("httpsPort") else None
        self.certificate = info.get("tlsCertificate")

    def wait_restarted(self, before, what="the station back after the restart", timeout=60):
        """Waits until the station services started again in this process after a restart that `before` (station.json
        of the previous life) preceded, attaches to them and returns the new station.json. A new life is told by its API
        token, which every life draws anew (startedAt has whole seconds: two lives can start within one). On time-out
        the assertion says whether the process still runs and ends with its log, so that a failure in CI explains itself."""
        path = self.data_dir / "station.json"

        def info():
            try:  # the station removes the file while it restarts: gone between a check and the read is "not yet"
                data = json.loads(path.read_text())
            except FileNotFoundError:
                return None
            return data if data.get("apiToken", before["apiToken"]) != before["apiToken"] else None
        try:
            new = wait_for(info, timeout=timeout, what=what)
        except AssertionError as e:
            state = "running" if self.proc.poll() is None else f"exited with {self.proc.returncode}"
            raise AssertionError(f"{e}; the process is {state}; the end of its log:\n{self.log_tail()}") from None
        self.attach(new)
        wait_for(lambda: self.get("/api/status")[0] == 200, what="status API")
        return new

    def log_tail(self, size=4000):
        """The last `size` bytes of the station's log (stdout and stderr), for an assertion that must explain itself."""
        self.log.flush()
        return self.log_path.read_bytes()[-size:].decode(errors="replace")

    def _runtime_info(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"station exited with {self.proc.returncode}")
        path = self.data_dir / "station.json"
        if not path.exists():
            return None
        info = json.loads(path.read_text())
        return info if info.get("pid") == self.proc.pid else None

    def request(self, method, path, body=None, raw=None):
        if self.namespace is not None:  # 127.0.0.1 of the station's namespace
            return self.namespace.call(self._request, method, path, body, raw)
        return self._request(method, path, body, raw)

    def _request(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path):
        return self.request("GET", path)

    def status(self):
        code, body = self.get("/api/status")
        assert code == 200
        return body

    def connector(self, n):
        return self.status()["connectors"][n - 1]

    def wait_status(self, n, status, timeout=30):
        return wait_for(lambda: self.connector(n)["status"] == status and self.connector(n), timeout=timeout,
                        what=f"connector {n} {status}")

    def sim(self, *args):
        return cli("sim", *args, data_dir=self.data_dir, namespace=self.namespace)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self):
        return terminate(self.proc)


