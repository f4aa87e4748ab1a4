"""The OCPP-J connection itself (OCPP-J 1.6 §3): the subprotocol handshake and the "Websockets proxy" of seeds/004 §4."""
import base64
import socket
import threading

import pytest

from central_system import CentralSystem
from harness import OCPPStation
from station import cli, wait_for


class ConnectProxy:
    """A minimal HTTP proxy that only knows CONNECT (RFC 9110 §9.3.6) and records the tunnels it opened."""

    def __init__(self):
        self.requests = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return client.close()
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode()
        self.requests.append(request_line)
        method, authority, _ = request_line.split(" ", 2)
        host, port = authority.rsplit(":", 1)
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return client.close()
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        pipe(upstream, client)

    def close(self):
        self.server.close()


@pytest.fixture
def central():
    servers = []

    def make(**kwargs):
        cs = CentralSystem(**kwargs).start()
        servers.append(cs)
        return cs
    yield make
    for cs in servers:
        cs.shutdown()
        cs.check()


def station_log(station):
    return (station.data_dir.parent / f"{station.data_dir.name}.log").read_text(errors="replace")


def test_backend_without_the_ocpp16_subprotocol_is_refused(data_dir, central):
    """OCPP-J §3.2: when the central system completes the handshake without agreeing to ocpp1.6, the charge point
    closes the connection — it never talks OCPP over it."""
    cs = central(agree_subprotocol=False)
    s = OCPPStation(data_dir, cs).start()
    try:
        wait_for(lambda: cs.connections >= 1, timeout=20, what="a handshake")
        wait_for(lambda: "did not agree to subprotocol ocpp1.6" in station_log(s), timeout=20, what="the refusal in the log")
        # Once the station closed the connection nothing more can come over it.
        wait_for(lambda: cs.closed, timeout=20, what="the station closing the connection")
        assert not [f for f in cs.frames if f[0] == "in"], "no OCPP message may be sent without the ocpp1.6 subprotocol"
    finally:
        s.terminate()


def test_connection_through_the_websockets_proxy(data_dir, central):
    cs = central()
    proxy = ConnectProxy()
    s = OCPPStation(data_dir, cs, config=[("WebsocketsProxy", f"http://127.0.0.1:{proxy.port}")]).start()
    try:
        cs.wait_connected()
        assert cs.wait_call("BootNotification")
        assert proxy.requests == [f"CONNECT 127.0.0.1:{cs.port} HTTP/1.1"]
        assert cs.subprotocols[0] == "ocpp1.6"
        cs.wait_status(1, "Available")
    finally:
        s.terminate()
        proxy.close()


def test_a_proxy_that_refuses_the_tunnel_is_reported(data_dir, central):
    cs = central()
    refusing = socket.create_server(("127.0.0.1", 0))

    def answer():
        while True:
            try:
                c, _ = refusing.accept()
            except OSError:
                return
            c.recv(4096)
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            c.close()
    threading.Thread(target=answer, daemon=True).start()
    s = OCPPStation(data_dir, cs, config=[("WebsocketsProxy", f"http://127.0.0.1:{refusing.getsockname()[1]}")]).start()
    try:
        wait_for(lambda: "the proxy refused the tunnel: HTTP/1.1 403 Forbidden" in station_log(s), timeout=20,
                 what="the proxy refusal in the log")
        assert cs.connections == 0
    finally:
        s.terminate()
        refusing.close()


@pytest.mark.parametrize("backend_url,route,path", [
    # The identity in the middle of the path, with a trailing slash: written with the placeholder.
    ("/ocpp/{ChargeBoxIdentity}/ws/", r"/ocpp/(?P<id>[^/]+)/ws/", "/ocpp/CK-TEST-01/ws/"),
    # A backend that routes only "…/<id>/" (arthexis answers HTTP 500 without the slash): a BackendURL ending in "/".
    ("/ocpp/", r"/ocpp/(?P<id>[^/]+)/", "/ocpp/CK-TEST-01/"),
], ids=["placeholder-mid-path", "trailing-slash"])
def test_peer_routes_id_mid_path_with_trailing_slash(data_dir, central, backend_url, route, path):
    """Issue 29 item 4: a central system that serves only its own path form (anything else gets HTTP 500 before the
    upgrade) is reached with BackendURL's {ChargeBoxIdentity} placeholder or its kept trailing slash."""
    cs = central(route=route)
    s = OCPPStation(data_dir, cs, config=[("BackendURL", f"ws://127.0.0.1:{cs.port}{backend_url}")]).start()
    try:
        cs.wait_connected()
        assert cs.wait_call("BootNotification")
        cs.wait_status(1, "Available")
        assert cs.paths[0] == path
        assert cs.refused_paths == []
    finally:
        s.terminate()


def test_malformed_backend_url_placeholder_is_refused_by_name(data_dir):
    """Issue 29 item 4: `chargekit config set` refuses a BackendURL whose placeholder is malformed and says why."""
    r = cli("config", "set", "BackendURL", "ws://127.0.0.1:9/ocpp/{ChargeBoxId}/", "--role", "operator", data_dir=data_dir)
    assert r.returncode != 0
    assert "unknown placeholder {ChargeBoxId}" in r.stderr + r.stdout and "{ChargeBoxIdentity} or {id}" in r.stderr + r.stdout


@pytest.mark.parametrize("encoding", [None, "hex"])
def test_peers_authorization_key_as_typed_by_default_hex_as_option(data_dir, central, encoding):
    """Issue 29 item 5: a 32-hex-digit AuthorizationKey goes into HTTP Basic as typed (the independent central systems
    ocpp-csms and arthexis compare it so); AuthorizationKeyEncoding hex sends the bytes it encodes (OCTT TC_085)."""
    key = "4f43415f4f4354545f61646d696e5f74657374"
    cs = central()
    config = [("AuthorizationKey", key)] + ([("AuthorizationKeyEncoding", encoding)] if encoding else [])
    s = OCPPStation(data_dir, cs, config=config).start()
    try:
        cs.wait_connected()
        password = bytes.fromhex(key) if encoding == "hex" else key.encode()
        assert cs.auth_headers[0] == "Basic " + base64.b64encode(b"CK-TEST-01:" + password).decode()
    finally:
        s.terminate()
