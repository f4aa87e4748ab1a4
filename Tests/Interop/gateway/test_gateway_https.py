"""HTTPS of the gateway's web configuration and API (issue 23 item 2): its own certificate (checked by OpenSSL as the
only CA), the security headers, the fingerprint at the first start, an installer's certificate through the API; and the
gateway's System page in headless Chromium (items 2 and 7): the certificate card with its upload, the security log."""
import json
import re
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import Gateway  # noqa: E402
from pki import make_pki  # noqa: E402
from test_https import HEADERS, https, openssl_fingerprint, plain  # noqa: E402
from test_https_web import upload_certificate  # noqa: E402
from web_browser import NEW_PASSWORDS, Web, chromium, initial_passwords  # noqa: E402


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, chargers=("CP1:1",)).start()
    yield g
    assert g.terminate() == 0


def test_issue23_2_gateway_serves_https_with_its_own_certificate(gateway, data_dir, tmp_path):
    assert gateway.secure_base and gateway.certificate
    code, headers, body, served = https(gateway, "GET", "/api/status", gateway.certificate)
    assert code == 200 and "mode" in json.loads(body)
    assert headers["strict-transport-security"] == "max-age=31536000" and all(h in headers for h in HEADERS)
    own = openssl_fingerprint(gateway.certificate)
    assert served == own
    initial_passwords(gateway)  # printed once their hashes are stored, beside the start
    log = gateway.log_path.read_text(errors="replace")
    notice = re.search(r"HTTPS certificate SHA-256 fingerprint[^\n]*\n  (\S+)", log)
    assert notice and notice.group(1) == own, log[-3000:]
    # HTTP on 127.0.0.1: answered for the gateway's own tools, without HSTS.
    code, headers, _ = plain(gateway.base, "GET", "/api/status", gateway.token)
    assert code == 200 and "strict-transport-security" not in headers and all(h in headers for h in HEADERS)
    # An installer's certificate: checked, then served on the next connection.
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki, servers=(("gateway", "DNS:localhost,IP:127.0.0.1", "30"),))
    code, _, body, _ = https(gateway, "PUT", "/api/system/certificate", gateway.certificate,
                             body={"certificate": (pki / "gateway.pem").read_text(), "privateKey": (pki / "ca.key").read_text()})
    assert code == 400 and json.loads(body)["field"] == "privateKey"
    code, _, body, _ = https(gateway, "PUT", "/api/system/certificate", gateway.certificate,
                             body={"certificate": (pki / "gateway.pem").read_text(), "chain": (pki / "ca.pem").read_text(),
                                   "privateKey": (pki / "gateway.key").read_text()})
    assert code == 200 and json.loads(body)["kind"] == "installed"
    assert https(gateway, "GET", "/api/status", pki / "ca.pem")[3] == openssl_fingerprint(pki / "gateway.pem")
    code, _, body, _ = https(gateway, "DELETE", "/api/system/certificate", pki / "ca.pem")
    assert code == 200 and json.loads(body)["fingerprintSHA256"] == own


def test_issue23_2_7_gateway_system_page_shows_and_changes_the_certificate_and_lists_the_security_log(gateway, tmp_path):
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki, servers=(("gateway", "DNS:localhost,IP:127.0.0.1", "30"),))
    own = openssl_fingerprint(gateway.certificate)
    driver = chromium("--ignore-certificate-errors")
    try:
        web = Web(driver, gateway, base=gateway.secure_base)
        web.login("operator", "not-the-password")  # a failed login: in the security log
        web.first_login("installer", initial_passwords(gateway)["installer"])
        web.open("/system")
        assert web.el("#gw-version").text and web.el("#cert-fingerprint").text == own
        assert "The gateway's own (self-signed)" == web.el("#cert-kind").text
        log = web.el("#security-log").text
        assert "LoginFailed" in log and "operator" in log and "PasswordChanged" in log, log
        # The installer's certificate, uploaded on the page: checked, installed, served on the next connection.
        upload_certificate(web, pki / "gateway.pem", pki / "ca.pem", pki / "gateway.key")
        web.el("#cert-changed")
        installed = openssl_fingerprint(pki / "gateway.pem")
        assert web.el("#cert-fingerprint").text == installed
        assert "CertificateChanged" in web.el("#security-log").text
        web.shot("gateway-system")
        web.d.execute_script("document.getElementById('s-security-log').scrollIntoView()")
        web.shot("gateway-system-security-log")
        assert https(gateway, "GET", "/api/status", pki / "ca.pem")[3] == installed
        # The API gives the same log, oldest first; every entry is a local one.
        code, _, body, _ = https(gateway, "GET", "/api/security-log?limit=50", pki / "ca.pem")
        entries = json.loads(body)
        assert code == 200 and all(e["local"] for e in entries)
        types = [e["type"] for e in entries]
        assert types.index("LoginFailed") < types.index("PasswordChanged") < types.index("CertificateChanged"), types
        assert not any(NEW_PASSWORDS["installer"] in (e.get("techInfo") or "") for e in entries)
        # An operator sees the card but has no upload.
        web = Web(driver, gateway, base=gateway.secure_base)
        web.first_login("operator", initial_passwords(gateway)["operator"])
        web.open("/system")
        assert web.el("#cert-fingerprint").text == installed
        assert driver.find_elements(By.CSS_SELECTOR, "#cert-upload") == []
    finally:
        driver.quit()
