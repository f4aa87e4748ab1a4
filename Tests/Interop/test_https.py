"""HTTPS of the station's web interface and API (issue 23 item 2), against the real binary with real peers: Python's ssl
(OpenSSL) trusting the station's own certificate as its CA, openssl's x509 for the fingerprint and the installer's own
certificates, a client in another network namespace for the redirect, and headless Chromium for the pages and their
Content-Security-Policy."""
import hashlib
import http.client
import json
import os
import re
import ssl
import stat
import subprocess
import urllib.parse

import pytest

from pki import make_pki
from station import Station, cli, wait_for
from web_browser import initial_passwords

HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def colon_hex(digest):
    return ":".join(f"{b:02X}" for b in digest)


def tls_context(cafile):
    """OpenSSL's client as a browser would check: the CA file as the only trust anchor, the host name checked."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.check_hostname = True
    return context


def https(station, method, path, cafile, body=None, host="127.0.0.1"):
    """One request on a new TLS connection; returns (status, headers, body, the served certificate's SHA-256)."""
    port = int(urllib.parse.urlparse(station.secure_base).port)
    conn = http.client.HTTPSConnection(host, port, context=tls_context(cafile), timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {station.token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        served = colon_hex(hashlib.sha256(conn.sock.getpeercert(binary_form=True)).digest())
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), served
    finally:
        conn.close()


def plain(base, method, path, token=None):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def openssl_fingerprint(pem_path):
    out = subprocess.run(["openssl", "x509", "-in", str(pem_path), "-noout", "-fingerprint", "-sha256"], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1]


def test_issue23_2_https_serves_the_stations_own_certificate_with_the_security_headers(station, data_dir):
    assert station.secure_base and station.certificate
    # The station's certificate as the only CA: OpenSSL verifies the chain and that 127.0.0.1 is one of its names.
    code, headers, body, served = https(station, "GET", "/api/status", station.certificate)
    assert code == 200 and json.loads(body)["chargeBoxIdentity"]
    assert headers["strict-transport-security"] == "max-age=31536000"
    csp = headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    # Errors carry them too, and the login page.
    code, headers, _, _ = https(station, "GET", "/no/such/page", station.certificate)
    assert code == 404 and all(h in headers for h in HEADERS) and "strict-transport-security" in headers
    code, headers, body, _ = https(station, "GET", "/login", station.certificate)
    assert code == 200 and b"<script" in body and all(h in headers for h in HEADERS)
    # Plain HTTP on 127.0.0.1 (the station's own tools): answered, with the headers but never HSTS (RFC 6797 §7.2).
    code, headers, _ = plain(station.base, "GET", "/api/status", station.token)
    assert code == 200 and all(h in headers for h in HEADERS) and "strict-transport-security" not in headers
    # The CLI keeps working on it.
    r = cli("config", "get", "WebHTTPRedirect", data_dir=data_dir)
    assert r.returncode == 0 and r.stdout.startswith("WebHTTPRedirect = On"), r.stdout + r.stderr

    # One fingerprint everywhere: the file (openssl), the served certificate, the API, the first start's notice.
    fingerprint = openssl_fingerprint(station.certificate)
    assert served == fingerprint
    code, _, body, _ = https(station, "GET", "/api/system/certificate", station.certificate)
    info = json.loads(body)
    assert code == 200 and info["kind"] == "self-signed" and info["fingerprintSHA256"] == fingerprint
    assert {"localhost", "127.0.0.1"} <= set(info["names"]) and "CN=" in info["subject"]
    initial_passwords(station)  # printed once their hashes are stored, beside the start
    log = station.log_path.read_text(errors="replace")
    notice = re.search(r"Initial web interface passwords.*?HTTPS certificate SHA-256 fingerprint[^\n]*\n  (\S+)", log, re.S)
    assert notice and notice.group(1) == fingerprint, log[-3000:]
    # The key is private to the station's user.
    key = data_dir / "certificates" / "https-station" / "self-signed" / "key.pem"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert "PRIVATE KEY" not in json.dumps(info)


def test_issue23_2_the_certificate_survives_a_restart_and_a_new_identity_makes_a_new_one(data_dir):
    station = Station(data_dir).start()
    try:
        first = openssl_fingerprint(station.certificate)
        station.terminate()
        station.start()
        assert openssl_fingerprint(station.certificate) == first, "the same certificate at every start"
        assert https(station, "GET", "/api/status", station.certificate)[0] == 200
        station.terminate()
        assert cli("config", "set", "ChargeBoxIdentity", "CK-HTTPS-2", "--role", "installer", data_dir=data_dir).returncode == 0
        station.start()
        assert openssl_fingerprint(station.certificate) != first
        code, _, body, _ = https(station, "GET", "/api/system/certificate", station.certificate, host="localhost")
        assert code == 200 and "ck-https-2" in json.loads(body)["names"]
    finally:
        station.terminate()


def test_issue23_2_installer_certificate_is_checked_then_served_without_a_restart(station, tmp_path):
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki, servers=(("station", "DNS:localhost,IP:127.0.0.1", "30"), ("expired", "IP:127.0.0.1", "-1")))
    other = tmp_path / "other"
    other.mkdir()
    make_pki(other)
    read = lambda p: p.read_text()  # noqa: E731
    own = openssl_fingerprint(station.certificate)
    pid, token = station.proc.pid, station.token

    def put(certificate, key, chain=""):
        return https(station, "PUT", "/api/system/certificate", station.certificate,
                     body={"certificate": certificate, "chain": chain, "privateKey": key})

    refusals = [
        (put(read(pki / "station.pem"), read(pki / "expired.key")), "privateKey", "does not belong to the certificate"),
        (put(read(pki / "expired.pem"), read(pki / "expired.key")), "certificate", "expired"),
        (put(read(pki / "station.pem"), read(pki / "station.key"), read(other / "ca.pem")), "chain", "not signed by chain certificate 1"),
        (put("not a certificate", read(pki / "station.key")), "certificate", "holds no certificate"),
        (put(read(pki / "station.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "privateKey", "not a PEM private key"),
    ]
    for (code, _, body, served), field, text in refusals:
        answer = json.loads(body)
        assert code == 400 and answer["field"] == field and text in answer["error"], answer
        assert served == own, "a refused upload changes nothing"

    code, _, body, _ = put(read(pki / "station.pem"), read(pki / "station.key"), read(pki / "ca.pem"))
    assert code == 200, body
    installed = openssl_fingerprint(pki / "station.pem")
    assert json.loads(body)["kind"] == "installed" and json.loads(body)["fingerprintSHA256"] == installed
    # The next connection gets it, verified against the site's CA; the process and its API token are the same (no restart).
    code, _, _, served = https(station, "GET", "/api/status", pki / "ca.pem")
    assert code == 200 and served == installed
    assert station.proc.poll() is None and station.proc.pid == pid
    assert json.loads((station.data_dir / "station.json").read_text())["apiToken"] == token
    key = station.data_dir / "certificates" / "https-station" / "installed" / "key.pem"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    # The security log names who changed it and the new fingerprint (ReconfigurationOfSecurityParameters).
    wait_for(lambda: any(f"HTTPS certificate installed by api:installer: SHA-256 {installed}" in (e.get("techInfo") or "")
                         for e in station.get("/api/security-log?limit=50")[1]), what="the security log entry")
    # Kept across a restart.
    station.terminate()
    station.start()
    assert https(station, "GET", "/api/status", pki / "ca.pem")[3] == installed
    # Back to the station's own.
    code, _, body, _ = https(station, "DELETE", "/api/system/certificate", pki / "ca.pem")
    assert code == 200 and json.loads(body)["kind"] == "self-signed" and json.loads(body)["fingerprintSHA256"] == own
    self_signed = station.data_dir / "certificates" / "https-station" / "self-signed" / "chain.pem"
    code, _, _, served = https(station, "GET", "/api/status", self_signed)
    assert code == 200 and served == own
    assert not key.exists()


def test_issue23_2_http_redirects_to_https_except_for_the_device_itself(data_dir, netns_pair):
    station = Station(data_dir)
    station.namespace = netns_pair.station
    station.start()
    try:
        http_port = urllib.parse.urlparse(station.base).port
        https_port = urllib.parse.urlparse(station.secure_base).port
        remote = f"http://{netns_pair.station.address}:{http_port}"
        # From the LAN (another namespace): a permanent redirect to the same page and query on the HTTPS port.
        code, headers, _ = netns_pair.manager.call(plain, remote, "GET", "/menu/system?x=1")
        assert code == 308 and headers["location"] == f"https://{netns_pair.station.address}:{https_port}/menu/system?x=1", headers
        assert all(h in headers for h in HEADERS) and "strict-transport-security" not in headers
        code, headers, _ = netns_pair.manager.call(plain, remote, "POST", "/api/status")
        assert code == 308, "the method and body are kept (308), a POST is never turned into a GET"
        # HTTPS from the LAN answers.
        def lan_https():
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the address is checked in the tests above
            conn = http.client.HTTPSConnection(netns_pair.station.address, https_port, context=context, timeout=10)
            conn.request("GET", "/login")
            r = conn.getresponse()
            return r.status, dict(r.getheaders())
        code, headers = netns_pair.manager.call(lan_https)
        assert code == 200 and "Strict-Transport-Security" in headers
        # The station itself (its own tools on 127.0.0.1 and on its LAN address): answered on HTTP.
        assert station.get("/api/status")[0] == 200
        assert netns_pair.station.call(plain, remote, "GET", "/api/status", station.token)[0] == 200
        assert station.sim("status").returncode == 0
        # Redirect off: the LAN is answered on HTTP too (after the restart the parameter asks for).
        before = json.loads((data_dir / "station.json").read_text())
        assert station.request("PUT", "/api/config/WebHTTPRedirect", {"value": False})[0] == 200
        assert station.request("POST", "/api/system/restart", {"kind": "services"})[0] == 202
        station.wait_restarted(before)
        http_port = urllib.parse.urlparse(station.base).port
        code, headers, _ = netns_pair.manager.call(plain, f"http://{netns_pair.station.address}:{http_port}", "GET", "/login")
        assert code == 200 and "location" not in headers
    finally:
        station.terminate()


def test_issue23_2_bind_address_parameter_is_checked(data_dir):
    for wrong in ("my-host", "300.1.2.3", "1.2.3"):
        r = cli("config", "set", "WebBindAddress", wrong, "--role", "installer", data_dir=data_dir)
        assert r.returncode != 0 and "WebBindAddress" in r.stderr, r.stderr
    assert "an IPv4 or IPv6 address" in r.stderr, r.stderr
    assert cli("config", "set", "WebBindAddress", "127.0.0.1", "--role", "installer", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    try:
        assert json.loads((data_dir / "station.json").read_text())["httpHost"] == "127.0.0.1"
        assert https(station, "GET", "/api/status", station.certificate)[0] == 200
    finally:
        station.terminate()
