"""wss on both sides of the gateway: chargers connect with TLS (the gateway's certificate and key from PEM files), and
in External mode the gateway relays to a wss:// central system whose certificate it checks against its trust roots."""
import ssl
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from central_system import CentralSystem  # noqa: E402
from peers import Charger, Gateway  # noqa: E402
from pki import make_pki  # noqa: E402


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("gateway-pki"))


def client_context(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki / "ca.pem")
    return ctx


def test_chargers_connect_with_wss(data_dir, pki, loop):
    g = Gateway(data_dir, extra=["--ocpp-tls-cert", str(pki / "localhost.pem"), "--ocpp-tls-key", str(pki / "localhost.key")],
                client_ssl=client_context(pki)).start()
    try:
        cp1 = Charger(loop, g, "CP1").connect()
        assert cp1.boot().status == "Accepted"
        cp1.close()
        assert g.logged("tls=true")
        plain = Charger(loop, Gateway(data_dir), "CP2")
        plain.gateway.ocpp_port = g.ocpp_port
        with pytest.raises(Exception):
            plain.connect()  # a plain ws:// handshake to the wss port fails
    finally:
        assert g.terminate() == 0


def test_unusable_certificate_files_stop_the_start_with_the_file_named(data_dir, pki):
    g = Gateway(data_dir, extra=["--ocpp-tls-cert", str(pki / "ca.key"), "--ocpp-tls-key", str(pki / "localhost.key")])
    with pytest.raises(AssertionError) as failed:
        g.start()
    assert "ca.key" in str(failed.value)
    g = Gateway(data_dir, extra=["--ocpp-tls-cert", str(pki / "ca.pem"), "--ocpp-tls-key", str(pki / "localhost.key")])
    with pytest.raises(AssertionError) as failed:
        g.start()
    assert "does not fit" in str(failed.value)
    g = Gateway(data_dir, extra=["--ocpp-tls-cert", str(pki / "localhost.pem"), "--ocpp-tls-key", ""])
    with pytest.raises(AssertionError) as failed:
        g.start()
    assert "ocppTLSKeyFile" in str(failed.value) and "both" in str(failed.value)
    g = Gateway(data_dir).start()  # nothing of the refused settings was saved
    assert g.terminate() == 0


def test_bridge_to_a_wss_central_system(data_dir, pki, loop):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "localhost.pem", pki / "localhost.key")
    upstream = CentralSystem(ssl_context=ctx, host="localhost").start()
    g = Gateway(data_dir, extra=["--mode", "External", "--external-url", upstream.url],
                env={"CHARGEKIT_CA_FILE": str(pki / "ca.pem")}).start()
    try:
        cp1 = Charger(loop, g, "CP1").connect()
        assert cp1.boot().status == "Accepted"
        assert upstream.paths == ["/ocpp/CP1"] and upstream.auth_headers == [None]
        cp1.close()
    finally:
        assert g.terminate() == 0
        upstream.shutdown()
    upstream.check()
