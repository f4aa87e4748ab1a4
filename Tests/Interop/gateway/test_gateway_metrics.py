"""The gateway's Prometheus metrics on /metrics of its web configuration (issue 30 item 1, gateway role) against the
real Prometheus server and promtool (Debian `prometheus`), a charge point on the Python `ocpp` library and a pymodbus
BMS: off by default (404, also when switched on without a token), its own bearer token (401 without it), a Prometheus
server scraping the gateway shows the connected charger over its HTTP API, `promtool check metrics` accepts the
exposition with a BMS handshake and a refused Modbus request in it, the settings on the General page keep the token
secret (not shown back, not in the project file, not in the log), and the counters survive the restart of the gateway
services a settings save causes."""
import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ocpp.v16 import call
from selenium.webdriver.support.ui import Select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import BMS, Charger, Gateway, charger_base, encode_string, wait_for  # noqa: E402
from test_metrics import free_port, promql, prometheus_server  # noqa: E402,F401 (the fixture)
from web_browser import Web, initial_passwords  # noqa: E402

TOKEN = "gw-scrape-token-0123456789abcdef"
B = charger_base(0)

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                                reason="Debian package prometheus not installed (scripts/test.sh installs it)")


def fetch_metrics(gateway, token=None):
    """GET /metrics with `Authorization: Bearer token` (none when token is None): (status, body text, headers)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    req = urllib.request.Request(gateway.base + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def values(text):
    """The exposition text as {"name{labels}": value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "metrics-token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture
def gateway(data_dir, token_file):
    """A gateway with CP1 (2 connectors) and CP2, metrics on with the token from a file."""
    g = Gateway(data_dir, chargers=("CP1:2", "CP2:1"), extra=["--metrics", "on", "--metrics-token-file", str(token_file)]).start()
    yield g
    assert g.terminate() == 0


def test_issue30_1_gateway_metrics_off_by_default_answer_404(data_dir):
    g = Gateway(data_dir).start()
    try:
        for token in (None, "", TOKEN):
            assert fetch_metrics(g, token)[0] == 404, token
    finally:
        assert g.terminate() == 0
    # Switched on without a token they stay off: an open endpoint is never the result of a forgotten token.
    g = Gateway(data_dir, extra=["--metrics", "on"]).start()
    try:
        for token in (None, ""):
            assert fetch_metrics(g, token)[0] == 404, token
    finally:
        assert g.terminate() == 0


def test_issue30_1_gateway_metrics_need_their_own_bearer_token_else_401(gateway):
    for token in (None, "", "wrong-token", TOKEN + "x"):
        code, _, headers = fetch_metrics(gateway, token)
        assert code == 401, token
        assert headers.get("WWW-Authenticate") == "Bearer"
    code, text, headers = fetch_metrics(gateway, TOKEN)
    assert code == 200
    assert headers.get("Content-Type").startswith("text/plain; version=0.0.4")
    assert 'chargekit_gateway_charger_connected{charger="CP1"} 0' in text
    assert TOKEN not in gateway.log_path.read_text(errors="replace"), "the token is never logged"


def test_issue30_1_prometheus_scrapes_the_gateway_with_a_charger_connected(gateway, loop, prometheus_server):
    base = prometheus_server(gateway.base.removeprefix("http://"), token=TOKEN)
    wait_for(lambda: [r for r in promql(base, 'up{job="chargekit"}') if r["value"][1] == "1"], timeout=30, what="scrape up")
    cp1 = Charger(loop, gateway, "CP1").connect()
    try:
        assert cp1.boot().status == "Accepted"
        cp1.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
        connected = wait_for(lambda: promql(base, 'chargekit_gateway_charger_connected{charger="CP1"} == 1'), timeout=30,
                             what="CP1 connected in Prometheus")
        assert connected[0]["metric"]["charger"] == "CP1"
        cp2 = promql(base, 'chargekit_gateway_charger_connected{charger="CP2"}')
        assert cp2 and cp2[0]["value"][1] == "0"
        wait_for(lambda: promql(base, 'chargekit_gateway_connector_status{charger="CP1",connector="1",status="Charging"} == 1'),
                 timeout=30, what="connector 1 Charging in Prometheus")
        frames = wait_for(lambda: promql(base, 'chargekit_gateway_ocpp_frames_total{charger="CP1",direction="from_charger"} >= 2'),
                          timeout=30, what="CP1's frames counted")
        assert float(frames[0]["value"][1]) >= 2
    finally:
        cp1.close()
    wait_for(lambda: promql(base, 'chargekit_gateway_charger_connected{charger="CP1"} == 0'), timeout=30, what="CP1 gone in Prometheus")


def test_issue30_1_promtool_checks_the_gateway_metrics_with_a_bms_handshake(gateway, loop):
    cp1 = Charger(loop, gateway, "CP1").connect()
    try:
        cp1.boot()
        bms = BMS(gateway)
        try:
            # seeds/003 §2.3.2 Remote Start: parameters, then the Flag; the gateway lowers it with the charger's answer.
            bms.write(B + 377, 1)
            bms.write(B + 378, encode_string("REMOTE-1"))
            bms.write(B + 376, 1)
            cp1.wait_received("RemoteStartTransaction")
            bms.wait_register(B + 376, 0)
            assert bms.read_error(60000) == 2, "outside the map: exception 02"
        finally:
            bms.close()
        code, text, _ = fetch_metrics(gateway, TOKEN)
        assert code == 200
        result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stdout + result.stderr
        v = values(text)
        handshake = 'handshake="messages_from_cs",action="RemoteStartTransaction"'
        assert v[f"chargekit_gateway_bms_handshake_duration_seconds_count{{{handshake}}}"] == 1
        assert 0 <= v[f"chargekit_gateway_bms_handshake_duration_seconds_sum{{{handshake}}}"] < 5
        assert "# TYPE chargekit_gateway_bms_handshake_duration_seconds histogram" in text
        assert v['chargekit_gateway_modbus_exceptions_total{transport="tcp",function="3",code="2"}'] == 1
        assert v['chargekit_gateway_modbus_requests_total{transport="tcp",function="6"}'] == 2
        assert v['chargekit_gateway_modbus_requests_total{transport="tcp",function="16"}'] == 1
        for family in ("process_resident_memory_bytes", "process_open_fds", "chargekit_uptime_seconds", "chargekit_gateway_open_transactions"):
            assert f"# TYPE {family} gauge" in text, family
    finally:
        cp1.close()


def test_issue30_1_gateway_metrics_settings_are_secret_and_counters_survive_restarts(browser, data_dir, loop):
    gateway = Gateway(data_dir, chargers=("CP1:2", "CP2:1")).start()
    try:
        web = Web(browser, gateway)
        web.first_login("installer", initial_passwords(gateway)["installer"])
        web.open("/settings/general")
        Select(web.el("#p-metricsEnabled")).select_by_value("On")
        web.fill("#p-metricsToken", TOKEN)
        web.submit("#save")
        assert web.el("#saved").text.startswith("Saved.")
        gateway.wait_restarted()
        assert web.el("#p-metricsToken").get_attribute("value") == "", "the token is not shown back"
        assert TOKEN not in browser.page_source
        assert fetch_metrics(gateway, TOKEN)[0] == 200

        cp1 = Charger(loop, gateway, "CP1").connect()
        cp1.boot()
        cp1.call(call.Heartbeat())
        key = 'chargekit_gateway_ocpp_frames_total{charger="CP1",direction="from_charger"}'
        before = values(fetch_metrics(gateway, TOKEN)[1])[key]
        assert before >= 2
        # A settings save restarts the gateway services (and closes CP1's connection); the web server and the counters stay.
        web.open("/settings/general")
        web.fill("#p-heartbeatIntervalSeconds", "120")
        web.submit("#save")
        assert web.el("#saved").text.startswith("Saved.")
        gateway.wait_restarted()
        after = values(fetch_metrics(gateway, TOKEN)[1])
        assert after[key] == before, "the counters survived the restart of the gateway services"
        assert after["chargekit_gateway_services_running"] == 1
        cp1.close()

        # The project file leaves the token out; the log never names it.
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
        with urllib.request.urlopen(urllib.request.Request(gateway.base + "/settings/project.json", headers={"Cookie": cookies}),
                                    timeout=10) as r:
            project_text = r.read().decode()
        project = json.loads(project_text)
        assert "metricsToken" in project["secretsOmitted"] and "metricsToken" not in project["settings"]
        assert project["settings"]["metricsEnabled"] is True
        assert TOKEN not in project_text
        assert TOKEN not in gateway.log_path.read_text(errors="replace")
    finally:
        assert gateway.terminate() == 0
