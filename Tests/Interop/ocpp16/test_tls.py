"""wss:// to the backend (OCPP-J §7 security profile 2: TLS with HTTP Basic authentication), with the "SSL Strictness
as client" levels of seeds/004 §4, against a central system with certificates made by openssl for each run."""
import base64
import ssl
import subprocess
import time

import pytest

from central_system import CentralSystem
from harness import OCPPStation


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and server certificates signed by it: for localhost/127.0.0.1, for another host name, and expired
    ones (notAfter yesterday) for both."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", "/CN=ChargeKit Test CA", cwd=d)
    for name, san, days in (("localhost", "DNS:localhost,IP:127.0.0.1", "30"), ("other", "DNS:backend.example.com", "30"),
                            ("expired", "DNS:localhost,IP:127.0.0.1", "-1"), ("expired-other", "DNS:backend.example.com", "-1")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem",
                "-days", days, "-extfile", f"{name}.ext", cwd=d)
    return d


def tls_cs(pki, cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / f"{cert}.pem", pki / f"{cert}.key")
    return CentralSystem(ssl_context=ctx, host="localhost").start()


@pytest.fixture
def stations(data_dir):
    started, servers = [], []

    def make(pki, cert, strictness, trust_ca=True, config=()):
        cs = tls_cs(pki, cert)
        servers.append(cs)
        env = {"CHARGEKIT_CA_FILE": str(pki / "ca.pem")} if trust_ca else {"CHARGEKIT_CA_FILE": str(pki / "other.pem")}
        s = OCPPStation(data_dir, cs, config=[("SSLStrictnessAsClient", strictness), *config], env=env).start()
        started.append(s)
        return cs

    yield make
    for s in started:
        s.terminate()
    for cs in servers:
        cs.shutdown()
        assert not cs.violations, cs.violations


def never_connects(cs, seconds=4):
    time.sleep(seconds)
    return cs.connections == 0


def test_TC_086_CS_tls_with_basic_auth_and_a_verified_server_certificate(pki, stations):
    cs = stations(pki, "localhost", "Normal", config=[("AuthorizationKey", "OCA_OCTT_admin_test")])
    cs.wait_connected()
    assert cs.wait_call("BootNotification")
    assert cs.subprotocols[0] == "ocpp1.6"
    assert cs.auth_headers[0] == "Basic " + base64.b64encode(b"CK-TEST-01:OCA_OCTT_admin_test").decode()
    cs.wait_status(1, "Available")


def test_tls_normal_refuses_an_untrusted_certificate_encrypt_only_accepts_it(pki, stations):
    refused = stations(pki, "localhost", "Normal", trust_ca=False)
    assert never_connects(refused), "a certificate from an unknown CA must be refused at strictness Normal"


def test_tls_encrypt_only_accepts_an_untrusted_certificate(pki, stations):
    cs = stations(pki, "localhost", "EncryptOnly", trust_ca=False)
    cs.wait_connected()
    cs.wait_call("BootNotification")


def test_tls_host_name_check_and_skip_host_check(pki, stations):
    refused = stations(pki, "other", "Normal")
    assert never_connects(refused), "a certificate for another host must be refused at strictness Normal"


def test_tls_skip_host_check_accepts_a_trusted_certificate_for_another_host(pki, stations):
    cs = stations(pki, "other", "SkipHostCheck")
    cs.wait_connected()
    cs.wait_call("BootNotification")


def test_tls_normal_refuses_an_expired_certificate(pki, stations):
    refused = stations(pki, "expired", "Normal")
    assert never_connects(refused), "an expired certificate must be refused at strictness Normal"


def test_tls_allow_expired_accepts_an_expired_certificate_of_a_trusted_ca(pki, stations):
    cs = stations(pki, "expired", "AllowExpired")
    cs.wait_connected()
    cs.wait_call("BootNotification")


def test_tls_allow_expired_still_verifies_the_chain(pki, stations):
    refused = stations(pki, "expired", "AllowExpired", trust_ca=False)
    assert never_connects(refused), "AllowExpired must still refuse a certificate from an unknown CA"


def test_tls_allow_expired_still_checks_the_host_name(pki, stations):
    refused = stations(pki, "expired-other", "AllowExpired")
    assert never_connects(refused), "AllowExpired must still refuse a certificate for another host"


def test_tls_allow_expired_skip_host_check_accepts_an_expired_certificate_for_another_host(pki, stations):
    cs = stations(pki, "expired-other", "AllowExpiredSkipHostCheck")
    cs.wait_connected()
    cs.wait_call("BootNotification")


def test_tls_allow_expired_skip_host_check_still_verifies_the_chain(pki, stations):
    refused = stations(pki, "expired-other", "AllowExpiredSkipHostCheck", trust_ca=False)
    assert never_connects(refused), "AllowExpiredSkipHostCheck must still refuse a certificate from an unknown CA"
