"""OCPP 1.6 security profiles 2 and 3 on the gateway's charger listener (issue 28 item 5; the OCPP 1.6 security
whitepaper ed. 3 §2): charge points of the Python `ocpp` library over `websockets` with TLS connect with HTTP Basic and
a password per charger (profile 2), or with a client certificate signed by the CA configured on the gateway whose CN is
the ChargerID (profile 3). A wrong credential is refused at the WebSocket handshake — 401 for Basic, 403 for a client
certificate — and listed in the OCPP scan with the reason, on the API and on the Chargers page. The certificates are
made per run by openssl."""
import base64
import json
import ssl
import sys
from pathlib import Path

import pytest
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import Charger, Gateway, api_call, wait_for  # noqa: E402
from pki import make_pki, openssl  # noqa: E402

PASSWORD = "CP1-secret-passw0rd"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The gateway's CA with its server certificate (localhost) and client certificates: CP1 valid, CP1 expired
    yesterday, CN=CP2 (used for CP1's URL); and a foreign CA with a CP1 certificate of its own."""
    d = make_pki(tmp_path_factory.mktemp("gateway-security-pki"))
    foreign = d / "foreign"
    foreign.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", "/CN=ChargeKit Test CA", cwd=foreign)  # the same name as the gateway's CA, another key
    for name, cn, days, ca_dir in (("cp1", "CP1", "30", d), ("cp1-expired", "CP1", "-1", d), ("cp2", "CP2", "30", d),
                                   ("cp1-foreign", "CP1", "30", foreign)):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"),
                "-subj", f"/O=ChargeKit Tests/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(ca_dir / "ca.pem"), "-CAkey", str(ca_dir / "ca.key"),
                "-CAcreateserial", "-out", str(d / f"{name}.pem"), "-days", days, cwd=d)
    return d


def client_context(pki, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki / "ca.pem")
    if cert:
        ctx.load_cert_chain(pki / f"{cert}.pem", pki / f"{cert}.key")
    return ctx


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def api(gateway, method, path, body=None):
    return api_call(gateway, method, path, gateway.token, body)


def refused(loop, gateway, cp_id, ssl_context, headers=None):
    """Opens a WebSocket that must be refused; returns the HTTP status and the body of the refusal."""
    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatus) as e:
            async with websockets.connect(gateway.url(cp_id), subprotocols=["ocpp1.6"], ssl=ssl_context,
                                          additional_headers=headers or {}, open_timeout=15):
                pass
        return e.value.response.status_code, e.value.response.body.decode(), e.value.response.headers
    return loop.run(go())


def scan_reasons(gateway):
    status, body = api(gateway, "GET", "/api/scanned-chargers")
    assert status == 200
    return {c["id"]: c.get("reason") for c in body}


def tls_files(pki):
    return ["--ocpp-tls-cert", str(pki / "localhost.pem"), "--ocpp-tls-key", str(pki / "localhost.key")]


class BasicCharger(Charger):
    """A charge point that sends HTTP Basic credentials on its upgrade request (whitepaper A00.FR.202)."""

    def __init__(self, loop, gateway, cp_id, password):
        super().__init__(loop, gateway, cp_id)
        self.password = password

    def connect(self):
        import asyncio
        from peers import ChargerModel

        async def go():
            self.ws = await websockets.connect(self.gateway.url(self.cp_id), subprotocols=["ocpp1.6"], ssl=self.gateway.client_ssl,
                                               additional_headers={"Authorization": basic(self.cp_id, self.password)})
            self.model = ChargerModel(self.cp_id, self.ws, self)
            self.task = asyncio.ensure_future(self.model.start())
        self.loop.run(go())
        return self


def test_whitepaper_profile_2_basic_password_per_charger(data_dir, pki, loop):
    g = Gateway(data_dir, chargers=("CP1:1", "CP2:1"), extra=tls_files(pki) + ["--ocpp-security-profile", "2"],
                client_ssl=client_context(pki)).start()
    try:
        # The password is write-only: set through the API, stored as a bcrypt hash, never shown or exported.
        status, body = api(g, "PUT", "/api/chargers", {"chargers": [{"id": "CP1", "slot": 0, "connectors": 1, "password": PASSWORD},
                                                                    {"id": "CP2", "slot": 1, "connectors": 1}]})
        assert status == 200, body
        assert [(c["id"], c["passwordSet"]) for c in body["chargers"]] == [("CP1", True), ("CP2", False)]
        assert PASSWORD not in json.dumps(body) and "passwordHash" not in json.dumps(body)
        g.wait_restarted()
        stored = g.db("SELECT value FROM meta WHERE key = 'settings'")[0][0]
        assert PASSWORD not in stored and '"passwordHash":"$2' in stored.replace(" ", "")
        status, project = api(g, "GET", "/api/project")
        assert status == 200 and "$2" not in json.dumps(project) and PASSWORD not in json.dumps(project)

        cp1 = BasicCharger(loop, g, "CP1", PASSWORD).connect()
        assert cp1.boot().status == "Accepted"
        cp1.close()
        # Again: a reconnection with the same password.
        cp1 = BasicCharger(loop, g, "CP1", PASSWORD).connect()
        cp1.close()

        cases = [
            ("CP1", basic("CP1", "not-the-password-123"), "wrong password"),
            ("CP1", basic("CP2", PASSWORD), "the Basic user name 'CP2' is not the ChargerID 'CP1'"),
            ("CP1", None, "no HTTP Basic credentials (security profile 2 needs the charger's password)"),
            ("CP2", basic("CP2", PASSWORD), "no password is set for ChargerID 'CP2' on the gateway"),
        ]
        for cp_id, header, reason in cases:
            status, text, headers = refused(loop, g, cp_id, g.client_ssl, {"Authorization": header} if header else None)
            assert status == 401 and text.strip() == reason and headers["WWW-Authenticate"].startswith("Basic"), (status, text)
            wait_for(lambda: scan_reasons(g).get(cp_id) == reason, what=f"scan reason {reason}")
        status, text, _ = refused(loop, g, "CP9", g.client_ssl, {"Authorization": basic("CP9", PASSWORD)})
        assert status == 404  # an unknown ChargerID stays what it was: listed without a reason
        wait_for(lambda: "CP9" in scan_reasons(g) and scan_reasons(g)["CP9"] is None, what="unknown CP9 scanned")
        assert g.logged("connection refused: wrong password")
        assert PASSWORD not in g.log_path.read_text()
    finally:
        assert g.terminate() == 0


def test_whitepaper_profile_3_client_certificates(data_dir, pki, loop):
    g = Gateway(data_dir, chargers=("CP1:1", "CP2:1"),
                extra=tls_files(pki) + ["--ocpp-security-profile", "3", "--ocpp-client-ca", str(pki / "ca.pem")],
                client_ssl=client_context(pki, "cp1")).start()
    try:
        cp1 = Charger(loop, g, "CP1").connect()
        assert cp1.boot().status == "Accepted"
        cp1.close()

        expected = {
            "cp1-expired": "the client certificate expired on",
            "cp1-foreign": "the client certificate is not signed by the configured CA (issuer CN=ChargeKit Test CA)",
            "cp2": "client certificate CN is 'CP2', not the ChargerID 'CP1'",
            None: "no client certificate",
        }
        for cert, reason in expected.items():
            status, text, _ = refused(loop, g, "CP1", client_context(pki, cert))
            assert status == 403 and reason in text, (cert, status, text)
            wait_for(lambda: (scan_reasons(g).get("CP1") or "").startswith(reason), what=f"scan reason for {cert}")
        # Every refusal counted in CP1's row of the scan table.
        page = g.db("SELECT reason, attempts FROM scannedCharger WHERE id = 'CP1'")
        assert page == [("no client certificate", 4)]
        assert g.logged("connection refused: no client certificate")
    finally:
        assert g.terminate() == 0


def test_whitepaper_profile_2_password_set_on_the_chargers_page_and_refusal_listed_there(browser, data_dir, pki, loop):
    from selenium.webdriver.common.by import By
    from web_browser import Web, initial_passwords

    g = Gateway(data_dir, chargers=("CP1:1", "CP2:1"), extra=tls_files(pki) + ["--ocpp-security-profile", "2"],
                client_ssl=client_context(pki)).start()
    try:
        web = Web(browser, g)
        web.first_login("installer", initial_passwords(g)["installer"])
        web.open("/settings/chargers")
        field = web.el("#c-password-0")
        assert field.get_attribute("type") == "password" and field.get_attribute("value") == ""
        web.fill("#c-password-0", "short")
        web.submit("#save")
        assert "16…64 characters" in web.el("#e-password-0").text
        web.fill("#c-password-0", PASSWORD)
        web.submit("#save")
        web.el("#saved")
        g.wait_restarted()
        assert PASSWORD not in browser.page_source and "$2" not in browser.page_source
        assert web.el("#c-password-0").get_attribute("placeholder").startswith("set")
        cp1 = BasicCharger(loop, g, "CP1", PASSWORD).connect()
        assert cp1.boot().status == "Accepted"
        cp1.close()
        refused(loop, g, "CP1", g.client_ssl, {"Authorization": basic("CP1", "not-the-password-123")})
        wait_for(lambda: (web.open("/settings/chargers"), browser.find_elements(By.CSS_SELECTOR, "#scan-table tr[data-scan='CP1'] td.reason"))[1],
                 what="CP1 in the scan table")
        scan = browser.find_element(By.CSS_SELECTOR, "#scan-table tr[data-scan='CP1']")
        assert scan.find_element(By.CSS_SELECTOR, "td.reason").text == "wrong password"
        assert not scan.find_elements(By.CSS_SELECTOR, "button[data-accept]"), "a configured charger has nothing to accept"
        web.shot("gateway-chargers-security")
    finally:
        assert g.terminate() == 0
