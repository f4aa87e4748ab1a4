"""wss:// to the backend (OCPP-J §7 security profile 2: TLS with HTTP Basic authentication), with the "SSL Strictness
as client" levels of seeds/004 §4, against a central system with certificates made by openssl for each run."""
import base64
import ssl
import sys
from pathlib import Path

import pytest

from central_system import CentralSystem
from harness import OCPPStation, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pki import make_pki  # noqa: E402


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and server certificates signed by it: for localhost/127.0.0.1, for another host name, and expired
    ones (notAfter yesterday) for both."""
    return make_pki(tmp_path_factory.mktemp("pki"), (
        ("localhost", "DNS:localhost,IP:127.0.0.1", "30"), ("other", "DNS:backend.example.com", "30"),
        ("expired", "DNS:localhost,IP:127.0.0.1", "-1"), ("expired-other", "DNS:backend.example.com", "-1")))


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
        cs.station = s
        return cs

    yield make
    for s in started:
        s.terminate()
    for cs in servers:
        cs.shutdown()
        cs.check()


def refused(cs):
    """The station logs the failed certificate verification (a warning) and no WebSocket is ever opened."""
    log = cs.station.data_dir.parent / f"{cs.station.data_dir.name}.log"
    wait_for(lambda: "backend connection refused" in log.read_text(errors="replace"), timeout=20, what="the refusal in the log")
    return cs.connections == 0


def test_TC_086_CS_tls_with_basic_auth_and_a_verified_server_certificate(pki, stations):
    cs = stations(pki, "localhost", "Normal", config=[("AuthorizationKey", "OCA_OCTT_admin_test")])
    cs.wait_connected()
    assert cs.wait_call("BootNotification")
    assert cs.subprotocols[0] == "ocpp1.6"
    assert cs.auth_headers[0] == "Basic " + base64.b64encode(b"CK-TEST-01:OCA_OCTT_admin_test").decode()
    cs.wait_status(1, "Available")


# (certificate, strictness, CA trusted): "expired" certificates are signed by the test CA with notAfter yesterday;
# "other" ones name backend.example.com instead of localhost/127.0.0.1.
ACCEPTED = [
    ("localhost", "EncryptOnly", False),            # no verification at all
    ("other", "SkipHostCheck", True),               # the chain, not the host name
    ("expired", "AllowExpired", True),              # the chain and the host name, not the dates
    ("expired-other", "AllowExpiredSkipHostCheck", True),
]
REFUSED = [
    ("localhost", "Normal", False),                 # unknown CA
    ("other", "Normal", True),                      # another host
    ("expired", "Normal", True),                    # expired
    ("expired", "AllowExpired", False),             # AllowExpired still verifies the chain …
    ("expired-other", "AllowExpired", True),        # … and the host name
    ("expired-other", "AllowExpiredSkipHostCheck", False),
]


@pytest.mark.parametrize("cert,strictness,trusted", ACCEPTED, ids=[f"{c}-{s}-{'trusted' if t else 'untrusted'}" for c, s, t in ACCEPTED])
def test_tls_strictness_accepts(pki, stations, cert, strictness, trusted):
    cs = stations(pki, cert, strictness, trust_ca=trusted)
    cs.wait_connected()
    cs.wait_call("BootNotification")


@pytest.mark.parametrize("cert,strictness,trusted", REFUSED, ids=[f"{c}-{s}-{'trusted' if t else 'untrusted'}" for c, s, t in REFUSED])
def test_tls_strictness_refuses(pki, stations, cert, strictness, trusted):
    assert refused(stations(pki, cert, strictness, trust_ca=trusted))
