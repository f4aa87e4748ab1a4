"""Security profiles 1–3 of the OCPP 1.6 security whitepaper (edition 3, §2 and use cases A01, A05) against the Python
`ocpp` library as central system, with a PKI made by openssl for each run. Named after the OCTT cases they mirror."""
import base64
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from central_system import CentralSystem
from harness import OCPPStation, wait_for
from ocpp.v16 import call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import make_pki  # noqa: E402

KEY = "OCA_OCTT_admin_test_0123"
NEW_KEY = "4F43415F4F4354545F61646D696E5F74657374"  # "OCA_OCTT_admin_test" hex-encoded, as OCTT TC_073 sets it


def basic(key, identity="CK-TEST-01"):
    return "Basic " + base64.b64encode(f"{identity}:{key}".encode()).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def run(data_dir):
    """Starts central systems and one station; stops them and checks the central systems' recordings at the end."""
    started, servers = [], []

    def cs(ssl_context=None):
        c = CentralSystem(ssl_context=ssl_context, host="localhost").start()
        servers.append(c)
        return c

    def station(central, config=(), env=None, url=None):
        s = OCPPStation(data_dir, central, config=[*([("BackendURL", url)] if url else []), *config], env=env)
        s.extra += ["--log-level", "notice"]  # the security events and reconnections are notices
        s.start()
        started.append(s)
        central.station = s
        return s

    yield cs, station
    for s in started:
        s.terminate()
    for c in servers:
        c.shutdown()
        c.check()


def tls_context(pki, cert="localhost", maximum=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / f"{cert}.pem", pki / f"{cert}.key")
    if maximum:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def station_log(station):
    return (station.data_dir.parent / f"{station.data_dir.name}.log").read_text(errors="replace")


def change(cs, key, value):
    return cs.call(call.ChangeConfiguration(key=key, value=value)).status


def test_TC_073_CS_update_charge_point_password_reconnects_with_the_new_key(run):
    """A01: ChangeConfiguration(AuthorizationKey) is Accepted and the station connects again with the new password."""
    new_cs, new_station = run
    cs = new_cs()
    station = new_station(cs, config=[("SecurityProfile", "1"), ("AuthorizationKey", KEY)])
    cs.wait_call("BootNotification")
    assert cs.auth_headers == [basic(KEY)]
    assert change(cs, "AuthorizationKey", NEW_KEY) == "Accepted"
    wait_for(lambda: len(cs.auth_headers) == 2, timeout=15, what="the reconnection with the new key")
    assert cs.auth_headers[1] == basic(NEW_KEY)
    assert NEW_KEY not in station_log(station) and KEY not in station_log(station)


def test_TC_084_CS_downgrade_security_profile_rejected(run):
    new_cs, new_station = run
    cs = new_cs()
    new_station(cs, config=[("SecurityProfile", "1"), ("AuthorizationKey", KEY)])
    cs.wait_call("BootNotification")
    assert change(cs, "SecurityProfile", "0") == "Rejected"
    assert change(cs, "SecurityProfile", "1") == "Rejected"
    got = cs.call(call.GetConfiguration(key=["SecurityProfile"])).configuration_key
    assert got == [{"key": "SecurityProfile", "readonly": False, "value": "1"}]
    assert cs.connections == 1


def test_TC_083_CS_upgrade_security_profile_0_to_1_reconnects_with_basic_authentication(run):
    """A05: a raise whose prerequisite (a usable AuthorizationKey) is met is Accepted; the station disconnects and
    connects with the new profile. (The raise to 2 and 3, which needs installed certificates, is in
    test_security_certificates.py.)"""
    new_cs, new_station = run
    cs = new_cs()
    new_station(cs, config=[("AuthorizationKey", KEY)])
    cs.wait_call("BootNotification")
    assert change(cs, "SecurityProfile", "1") == "Accepted"
    wait_for(lambda: cs.connections == 2, timeout=15, what="the reconnection with profile 1")
    assert cs.auth_headers[1] == basic(KEY)


def test_TC_086_CS_profile_2_turns_ws_into_wss_with_basic_authentication(pki, run):
    """Profile 2 (TLS with Basic authentication): the URL's scheme follows the profile, the server certificate is
    verified, and the password goes in the Authorization header."""
    new_cs, new_station = run
    cs = new_cs(tls_context(pki))
    url = cs.url.replace("wss://", "ws://")
    new_station(cs, url=url, config=[("SecurityProfile", "2"), ("AuthorizationKey", KEY), ("SSLStrictnessAsClient", "EncryptOnly")],
                env={"CHARGEKIT_CA_FILE": str(pki / "ca.pem")})
    cs.wait_call("BootNotification")
    assert cs.auth_headers == [basic(KEY)]


def test_profile_2_refuses_an_untrusted_central_system_and_raises_InvalidCentralSystemCertificate_once(pki, run):
    """A certificate from a CA the station does not trust: profile 2 verifies fully whatever the SSL strictness
    (A00.FR.4xx), and the security event comes once per kind of failure in a row, not at every attempt."""
    new_cs, new_station = run
    cs = new_cs(tls_context(pki))
    station = new_station(cs, config=[("SecurityProfile", "2"), ("AuthorizationKey", KEY), ("SSLStrictnessAsClient", "EncryptOnly")],
                          env={"CHARGEKIT_CA_FILE": str(pki / "localhost.pem")})  # a server certificate is no CA
    wait_for(lambda: "security event InvalidCentralSystemCertificate" in station_log(station), timeout=20, what="the event")
    wait_for(lambda: station_log(station).count("backend connection refused") >= 3, timeout=20, what="three refused attempts")
    assert station_log(station).count("security event InvalidCentralSystemCertificate") == 1
    assert cs.connections == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("server_args,event", [
    # TLS 1.2 with only a suite outside the whitepaper's list (A00.FR.318–319) that BoringSSL would offer by default:
    # the server alerts handshake_failure.
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], "InvalidTLSCipherSuite"),
    # TLS 1.1 only: below the whitepaper's minimum (A00.FR.316); the server alerts protocol_version.
    (["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], "InvalidTLSVersion"),
], ids=["cipher-suite", "tls-version"])
def test_profile_2_refuses_a_weak_server_and_raises_the_security_event(pki, data_dir, server_args, event):
    """`openssl s_server` as the central system's TLS side: unlike Python's asyncio TLS it sends the alert, so the
    station can tell the cause."""
    port = free_port()
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", str(pki / "localhost.pem"),
                               "-key", str(pki / "localhost.key"), "-quiet", *server_args],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    station = None
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None, timeout=10, what="s_server")

        class Backend:
            url = f"ws://localhost:{port}/ocpp"
        station = OCPPStation(data_dir, Backend(), config=[("SecurityProfile", "2"), ("AuthorizationKey", KEY)],
                              env={"CHARGEKIT_CA_FILE": str(pki / "ca.pem")})
        station.extra += ["--log-level", "notice"]
        station.start()
        wait_for(lambda: f"security event {event}" in station_log(station), timeout=20, what=f"the {event} event")
    finally:
        if station:
            station.terminate()
        server.kill()
        server.wait()


def test_A05_a_raised_profile_that_cannot_connect_returns_to_the_previous_one(pki, run):
    """A05: the backend raises the profile from 0 to 1 (ws://), but it serves only wss://: after three failed attempts
    the station returns to profile 0 and connects as before; the backend reads the profile back as 0."""
    new_cs, new_station = run
    cs = new_cs(tls_context(pki))
    # A plain HTTP upgrade sent to a TLS listener is never answered: each attempt ends at the connection timeout.
    station = new_station(cs, config=[("AuthorizationKey", KEY), ("BackendConnectionTimeout", "5")],
                          env={"CHARGEKIT_CA_FILE": str(pki / "ca.pem")})
    cs.wait_call("BootNotification")
    assert change(cs, "SecurityProfile", "1") == "Accepted"
    wait_for(lambda: cs.connections == 2, timeout=60, what="the connection after the fallback")
    assert "no connection with security profile 1 after 3 attempts: back to profile 0" in station_log(station)
    got = cs.call(call.GetConfiguration(key=["SecurityProfile"])).configuration_key
    assert got == [{"key": "SecurityProfile", "readonly": False, "value": "0"}]
