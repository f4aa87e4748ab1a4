"""Security profiles 1–3 of the OCPP 1.6 security whitepaper (edition 3, §2 and use cases A01, A05) against the Python
`ocpp` library as central system, with a PKI made by openssl for each run. Named after the OCTT cases they mirror."""
import asyncio
import base64
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from central_system import CentralSystem
from harness import OCPPStation, wait_for
from ocpp.v16 import call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import make_pki, sign_csr  # noqa: E402

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


@pytest.mark.parametrize("encoding,password", [("plain", NEW_KEY.encode()), ("hex", b"OCA_OCTT_admin_test")])
def test_TC_085_CS_basic_authentication_valid_username_password_combination(run, encoding, password):
    """Profile 1: every upgrade carries `Authorization: Basic base64(<ChargePointId>:<AuthorizationKey>)` with the id
    of the URL as user name (A00.FR.202–205); the key as typed, or as the bytes its hex digits encode (OCTT's reading)."""
    new_cs, new_station = run
    cs = new_cs()
    new_station(cs, config=[("SecurityProfile", "1"), ("AuthorizationKey", NEW_KEY), ("AuthorizationKeyEncoding", encoding)])
    cs.wait_call("BootNotification")
    assert cs.paths[0].endswith("/CK-TEST-01")
    assert cs.auth_headers == ["Basic " + base64.b64encode(b"CK-TEST-01:" + password).decode()]


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
    code, log = station.get("/api/security-log?limit=10")
    assert code == 200 and [e["type"] for e in log].count("InvalidCentralSystemCertificate") == 1


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


class SchemeDemux:
    """One port for ws:// and wss:// (the profile picks the scheme of one URL, A05): a connection whose first byte
    opens a TLS handshake record (0x16) goes to the TLS central system, any other to the plain one."""

    def __init__(self, plain_port, tls_port):
        self.targets = {True: tls_port, False: plain_port}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

        async def serve():
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            return server, server.sockets[0].getsockname()[1]
        self.server, self.port = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)

    async def _handle(self, reader, writer):
        try:
            first = await reader.readexactly(1)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.targets[first == b"\x16"])
            up_writer.write(first)

            async def pipe(src, dst):
                try:
                    while data := await src.read(65536):
                        dst.write(data)
                        await dst.drain()
                finally:
                    dst.close()
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        except (asyncio.IncompleteReadError, OSError):
            writer.close()

    def _run(self):
        self.loop.run_forever()
        self.loop.close()

    def close(self):
        """Ends every piped connection inside the loop before the loop stops: a coroutine left pending would be
        finalised later by the garbage collector with its loop gone ("Event loop is closed" raised in a finaliser, which
        Python 3.11 turns into a broken interpreter state for the rest of the session)."""
        async def shutdown():
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def install_root_and_certificate(cs, pki, cpo="ChargeKit Test CPO"):
    """The central system installs its root (M05), makes the station create a key and CSR (A02:
    ExtendedTriggerMessage SignChargePointCertificate → SignCertificate) and signs it with the test CA."""
    assert change(cs, "CpoName", cpo) == "Accepted"
    ca = (pki / "ca.pem").read_text()
    assert cs.call(call.InstallCertificate(certificate_type="CentralSystemRootCertificate", certificate=ca)).status == "Accepted"
    assert cs.call(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")).status == "Accepted"
    chain = sign_csr(pki, "ca", cs.wait_call("SignCertificate")["csr"], "charge-point")
    assert cs.call(call.CertificateSigned(certificate_chain=chain)).status == "Accepted"


def test_TC_083_CS_upgrade_security_profile_1_to_2_reconnects_over_tls(pki, run):
    """A05: profile 2 needs an installed Central System root (Rejected before it is installed); once raised, the
    station connects to the same URL over TLS with its password."""
    new_cs, new_station = run
    plain, tls = new_cs(), new_cs(tls_context(pki))
    demux = SchemeDemux(plain.port, tls.port)
    try:
        new_station(plain, url=f"ws://localhost:{demux.port}/ocpp", config=[("SecurityProfile", "1"), ("AuthorizationKey", KEY)])
        plain.wait_call("BootNotification")
        assert change(plain, "SecurityProfile", "2") == "Rejected"  # no Central System root installed yet (A05.FR.04)
        ca = (pki / "ca.pem").read_text()
        assert plain.call(call.InstallCertificate(certificate_type="CentralSystemRootCertificate", certificate=ca)).status == "Accepted"
        assert change(plain, "SecurityProfile", "2") == "Accepted"
        tls.wait_connected()
        assert tls.auth_headers == [basic(KEY)]
        assert plain.connections == 1
    finally:
        demux.close()


def test_TC_087_CS_profile_3_connects_with_the_station_certificate(pki, run):
    """A02 then A05: the station's own key and a certificate signed for its CSR; with profile 3 it presents that
    certificate (O = CpoName, CN = ChargeBoxIdentity) and no password."""
    new_cs, new_station = run
    ctx = tls_context(pki)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(pki / "ca.pem")
    cs = new_cs(ctx)
    new_station(cs, config=[("SecurityProfile", "2"), ("AuthorizationKey", KEY)], env={"CHARGEKIT_CA_FILE": str(pki / "ca.pem")})
    cs.wait_call("BootNotification")
    install_root_and_certificate(cs, pki)
    assert change(cs, "SecurityProfile", "3") == "Accepted"
    wait_for(lambda: cs.connections == 2, timeout=20, what="the connection with profile 3")
    subject = dict(x[0] for x in cs.peer_certs[1]["subject"])
    assert subject == {"organizationName": "ChargeKit Test CPO", "commonName": "CK-TEST-01"}
    assert cs.auth_headers[1] is None
    # TC_074 on profile 3: a renewed certificate is used from the next connection on.
    mark = cs.mark()
    assert cs.call(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")).status == "Accepted"
    chain = sign_csr(pki, "ca", cs.wait_call("SignCertificate", since=mark)["csr"], "charge-point-renewed")
    assert cs.call(call.CertificateSigned(certificate_chain=chain)).status == "Accepted"
    cs.stop_server()
    cs.restart_server()
    wait_for(lambda: cs.connections == 3, timeout=30, what="the connection after the renewal")
    assert cs.peer_certs[2]["serialNumber"] != cs.peer_certs[1]["serialNumber"]
    assert dict(x[0] for x in cs.peer_certs[2]["subject"])["commonName"] == "CK-TEST-01"
