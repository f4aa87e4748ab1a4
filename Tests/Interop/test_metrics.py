"""Prometheus metrics on /metrics (issue 30 item 1) against the real Prometheus server and promtool (Debian
`prometheus`): off by default (404), its own bearer token (401 without it, with a wrong one, or with the local API's),
`promtool check metrics` accepts the exposition, and Prometheus scraping the station every second during a charging
session answers a PromQL query for the session energy."""
import json
import shutil
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from pymodbus.client import ModbusTcpClient

from station import Station, cli, wait_for

TOKEN = "prom-scrape-token-0123456789"

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                                reason="Debian package prometheus not installed (scripts/test.sh installs it)")


def fetch_metrics(station, token=None):
    """GET /metrics with `Authorization: Bearer token` (none when token is None): (status, body text)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    req = urllib.request.Request(station.base + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def enable_metrics(station, token=TOKEN):
    for key, value in (("MetricsToken", token), ("MetricsEnabled", True)):
        code, body = station.request("PUT", f"/api/config/{key}", body={"value": value})
        assert code == 200, body


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_issue30_1_metrics_off_by_default_answer_404(station):
    # Off by default, whatever the token: the endpoint does not exist.
    assert fetch_metrics(station)[0] == 404
    assert fetch_metrics(station, station.token)[0] == 404
    # Enabled without a token it stays off (an open endpoint is never the result of forgetting the token).
    code, body = station.request("PUT", "/api/config/MetricsEnabled", body={"value": True})
    assert code == 200, body
    assert fetch_metrics(station, "")[0] == 404
    # The token is a secret parameter: the API never shows it.
    enable_metrics(station)
    code, view = station.get("/api/config/MetricsToken")
    assert code == 200 and TOKEN not in json.dumps(view)
    for path in ("/api/config", "/api/config-audit", "/api/events?limit=100"):
        code, body = station.get(path)
        assert code == 200 and TOKEN not in json.dumps(body), path
    assert TOKEN not in station.log_path.read_text(errors="replace")
    assert fetch_metrics(station, TOKEN)[0] == 200
    # Switched off again: 404 at once, no restart.
    code, body = station.request("PUT", "/api/config/MetricsEnabled", body={"value": False})
    assert code == 200, body
    assert fetch_metrics(station, TOKEN)[0] == 404


def test_issue30_1_metrics_need_their_own_bearer_token_else_401(station):
    enable_metrics(station)
    for token in (None, "wrong-token", station.token):  # the local API's token is not a metrics token
        code, _, headers = fetch_metrics(station, token)
        assert code == 401, token
        assert headers.get("WWW-Authenticate") == "Bearer"
    code, text, headers = fetch_metrics(station, TOKEN)
    assert code == 200
    assert headers.get("Content-Type").startswith("text/plain; version=0.0.4")
    assert 'chargekit_connector_status{connector="1",status="Available"} 1' in text


@pytest.fixture
def modbus_station(data_dir):
    """A station with its OMCCI Modbus TCP server on a free port (connector 1's port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for key, value in (("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", str(port))):
        assert cli("config", "set", key, value, "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, connectors=1, extra=("--modbus-host", "127.0.0.1")).start()
    station.modbus_port = port
    wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True, what="Modbus port")
    yield station
    station.terminate()


def test_issue30_1_promtool_check_metrics_accepts_the_exposition(modbus_station):
    station = modbus_station
    enable_metrics(station)
    # A session, and Modbus requests (one answered with exception 02): gauges and counters both in the text.
    assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
    assert station.sim("rfid", "04567DAA5F3580").returncode == 0
    station.wait_status(1, "Charging")
    client = ModbusTcpClient("127.0.0.1", port=station.modbus_port, timeout=5)
    assert client.connect()
    try:
        assert not client.read_holding_registers(100, count=2, device_id=255).isError()
        assert client.read_holding_registers(60000, count=2, device_id=255).isError()
    finally:
        client.close()
    code, text, _ = fetch_metrics(station, TOKEN)
    assert code == 200
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    for family in ("chargekit_connector_session_energy_joules", "chargekit_connector_current_amperes",
                   "chargekit_connector_limit_source", "chargekit_connector_pilot_state", "process_resident_memory_bytes",
                   "process_open_fds", "chargekit_uptime_seconds"):
        assert f"# TYPE {family} gauge" in text, family
    assert "# TYPE chargekit_connector_energy_joules_total counter" in text
    assert 'chargekit_modbus_requests_total{function="3"} 2' in text
    assert 'chargekit_modbus_exceptions_total{function="3",code="2"} 1' in text


@pytest.fixture
def prometheus_server(tmp_path):
    """Starts a Prometheus server with a temporary configuration; `start(target, token)` returns its base URL (also used by
    the gateway's suite)."""
    procs = []

    def start(target, token=TOKEN):
        port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n"
            "  - job_name: chargekit\n"
            "    authorization:\n      type: Bearer\n      credentials: " + token + "\n"
            "    static_configs:\n      - targets: ['" + target + "']\n")
        assert subprocess.run(["promtool", "check", "config", str(config)], capture_output=True).returncode == 0
        log = open(tmp_path / "prometheus.log", "wb")
        proc = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=log)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"

        def ready():
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                return r.status == 200
        wait_for(ready, timeout=60, what="Prometheus ready")
        return base

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def promql(base, query):
    with urllib.request.urlopen(base + "/api/v1/query?" + urllib.parse.urlencode({"query": query}), timeout=5) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_issue30_1_prometheus_scrapes_the_session_energy(station, prometheus_server):
    enable_metrics(station)
    base = prometheus_server(station.base.removeprefix("http://"))
    # Prometheus scrapes with the token (up == 1; a refused scrape would read 0).
    wait_for(lambda: [r for r in promql(base, 'up{job="chargekit"}') if r["value"][1] == "1"], timeout=30, what="scrape up")
    assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
    assert station.sim("rfid", "04567DAA5F3580").returncode == 0
    station.wait_status(1, "Charging")
    result = wait_for(lambda: promql(base, 'chargekit_connector_session_energy_joules{connector="1"} > 0'), timeout=60,
                      what="session energy in Prometheus")
    assert float(result[0]["value"][1]) > 0
    charging = promql(base, 'chargekit_connector_status{connector="1",status="Charging"}')
    assert charging and charging[0]["value"][1] == "1"
    amps = promql(base, 'chargekit_connector_current_amperes{connector="1",phase="L1"}')
    assert amps and float(amps[0]["value"][1]) == 16
