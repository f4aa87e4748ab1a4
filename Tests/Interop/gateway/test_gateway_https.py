"""HTTPS of the gateway's web configuration and API (issue 23 item 2): its own certificate (checked by OpenSSL as the
only CA), the security headers, the fingerprint at the first start, an installer's certificate through the API."""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import Gateway  # noqa: E402
from pki import make_pki  # noqa: E402
from test_https import HEADERS, https, openssl_fingerprint, plain  # noqa: E402


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
