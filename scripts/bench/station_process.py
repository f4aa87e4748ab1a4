"""Starts a simulated `chargekit station` for the web benchmarks and reads what it prints and publishes."""
import http.client
import json
import random
import re
import socket
import subprocess
import time
import urllib.parse


def free_port():
    """A free TCP port below the kernel's ephemeral range (32768–60999): a port the kernel just handed out for bind(0)
    and that was closed again is the one it hands to the station's own `--https-port 0` next, whose start then fails
    ("Address already in use"; seen in session 24 on every start for minutes)."""
    while True:
        p = random.randint(20000, 30000)
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", p))
            return p
        except OSError:
            pass
        finally:
            s.close()


def read_passwords(proc):
    """The initial passwords by role that a first start prints on `proc`'s standard output (a text pipe); RuntimeError
    when the station stops before it printed them."""
    passwords = {}
    while len(passwords) < 3:
        line = proc.stdout.readline()
        if not line:  # the station exited before printing its passwords
            raise RuntimeError(f"the station stopped at start (exit {proc.wait()}); run it by hand to see why")
        m = re.match(r"^  (operator|installer|manufacturer)\s+(\S+)$", line)
        if m:
            passwords[m.group(1)] = m.group(2)
    return passwords


def start_station(binary, data):
    """Starts the station on data directory `data` and any free HTTP port. Returns (process, station.json as a dict,
    the initial passwords by role)."""
    proc = subprocess.Popen([binary, "station", "--simulate", "--connectors", "2", "--data-dir", str(data), "--http-port", "0", "--https-port", "0",
                             "--log-level", "error"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    passwords = read_passwords(proc)
    deadline = time.monotonic() + 60
    while True:  # station.json is replaced atomically once the server listens
        try:
            return proc, json.loads((data / "station.json").read_text()), passwords
        except (OSError, ValueError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the station did not publish station.json within 60 s")
            time.sleep(0.01)


class Client:
    """One keep-alive HTTP connection with cookies (a browser tab) or an API token."""

    def __init__(self, port, token=None, timeout_s=30):
        self.port, self.token, self.cookies, self.csrf, self.timeout_s = port, token, {}, "", timeout_s
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def request(self, method, path, body=None, form=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        if form is not None:
            data, headers["Content-Type"] = urllib.parse.urlencode({**form, "csrf": self.csrf}), "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # the server may close an idle keep-alive connection: one new one
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
                if attempt == 2:
                    raise
        for value in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
        m = re.search(rb'name="csrf" value="([0-9a-f]+)"', payload)
        if m:
            self.csrf = m.group(1).decode()
        return r.status, payload

    def api(self, method, path, body=None):
        code, payload = self.request(method, path, body)
        if code >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {code} {payload[:200]!r}")
        return json.loads(payload or b"null")
