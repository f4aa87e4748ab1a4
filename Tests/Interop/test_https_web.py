"""The web interface over HTTPS in headless Chromium (issue 23 item 2): every page of the navigation loads with no
Content-Security-Policy violation, and the installer uploads an own certificate on the System page (a refused one
shows the reason in the form). Chromium runs with --ignore-certificate-errors (its trust store is not the test's to
change); test_https.py checks the certificate itself with OpenSSL."""
import json
import urllib.parse

import pytest
from selenium.webdriver.common.by import By

from pki import make_pki
from test_https import https, openssl_fingerprint
from web_browser import Web, chromium, initial_passwords

# Records every CSP violation of every document from its start (a CDP script is not itself subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));
"""


@pytest.fixture(scope="module")
def tls_browser():
    driver = chromium("--ignore-certificate-errors")
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    yield driver
    driver.quit()


def upload_certificate(web, certificate, chain, key):
    """Fills the System page's certificate form with the three files and submits it."""
    web.el("#cert-file").send_keys(str(certificate))
    web.el("#cert-chain").send_keys(str(chain))
    web.el("#cert-key").send_keys(str(key))
    web.submit("#cert-install")


def violations(web):
    return web.d.execute_script("return window.__csp || null")


def test_issue23_2_every_page_loads_over_https_without_a_csp_violation(station, tls_browser):
    web = Web(tls_browser, station, base=station.secure_base)
    web.first_login("installer", initial_passwords(station)["installer"])
    assert web.d.current_url.startswith("https://")
    links = [a.get_attribute("href") for a in web.d.find_elements(By.CSS_SELECTOR, "nav a[href]")]
    paths = sorted({urllib.parse.urlparse(h).path for h in links if h.startswith(station.secure_base)} | {"/account/password"})
    assert {"/", "/menu/system", "/whitelists", "/history"} <= set(paths), paths
    for path in paths:
        web.open(path)
        web.el("main")
        assert web.d.execute_script("return document.readyState") == "complete"
        assert violations(web) == [], f"{path}: {violations(web)}"
    # The page's own script runs under the policy: app.js opens a parameter's help.
    web.open("/menu/system")
    button = web.el("button.help")
    target = button.get_attribute("data-help")
    assert web.d.execute_script(f"return document.getElementById('{target}').hidden") is True
    web.d.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button)
    assert web.d.execute_script(f"return document.getElementById('{target}').hidden") is False
    # The detector can fail: an inline script injected into the page is blocked and reported.
    web.open("/menu/system")
    web.d.execute_script("var s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s);")
    assert web.d.execute_script("return window.__ran === undefined")
    assert any(v.startswith("script-src") for v in violations(web)), violations(web)
    web.shot("https-system-page")


def test_issue23_2_installer_uploads_a_certificate_on_the_system_page(station, tls_browser, tmp_path):
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki, servers=(("station", "DNS:localhost,IP:127.0.0.1", "30"), ("other", "IP:127.0.0.1", "30")))
    own = openssl_fingerprint(station.certificate)
    web = Web(tls_browser, station, base=station.secure_base)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/system")
    assert web.el("#cert-fingerprint").text == own
    # A key of another certificate: refused, the form says which field and why, the old certificate stays.
    upload_certificate(web, pki / "station.pem", pki / "ca.pem", pki / "other.key")
    error = web.el("#cert-error").text
    assert "Private key (PEM)" in error and "does not belong to the certificate" in error, error
    assert web.el("#cert-fingerprint").text == own
    assert violations(web) == []
    # The right key: installed, shown, served from the next connection on.
    upload_certificate(web, pki / "station.pem", pki / "ca.pem", pki / "station.key")
    web.el("#cert-changed")
    installed = openssl_fingerprint(pki / "station.pem")
    assert web.el("#cert-fingerprint").text == installed
    assert "ChargeKit Test CA" in web.el("#s-certificate").text
    web.shot("https-certificate-installed")
    assert https(station, "GET", "/api/status", pki / "ca.pem")[3] == installed
    # Reset (the page asks for confirmation first; the test accepts it).
    web.d.execute_script("window.confirm = () => true;")
    web.submit("#cert-reset")
    web.el("#cert-changed")
    assert web.el("#cert-fingerprint").text == own
    assert json.loads(https(station, "GET", "/api/system/certificate", station.certificate)[2])["kind"] == "self-signed"


def test_issue23_2_operator_sees_the_fingerprint_but_cannot_change_the_certificate(station, tls_browser):
    web = Web(tls_browser, station, base=station.secure_base)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/menu/system")
    assert web.el("#cert-fingerprint").text == openssl_fingerprint(station.certificate)
    assert web.d.find_elements(By.CSS_SELECTOR, "#cert-upload") == []
