"""Fixtures of the OCPP 1.6J conformance suite: an independent central system and a simulated station
configured to connect to it."""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from central_system import CentralSystem  # noqa: E402
from harness import OCPPStation  # noqa: E402

@pytest.fixture
def cs():
    c = CentralSystem().start()
    yield c
    c.shutdown()
    c.check()


@pytest.fixture
def make_station(data_dir, cs):
    started = []

    def make(config=(), connectors=2, boot=True, env=None, time_scale=1.0):
        mark = cs.mark()
        s = OCPPStation(data_dir, cs, config=config, connectors=connectors, env=env, time_scale=time_scale).start()
        started.append(s)
        if boot:
            cs.wait_connected()
            for n in range(0, connectors + 1):
                cs.wait_status(n, "Available")
            # Every start raises the security event StartupOfTheDevice (security whitepaper ed. 3 §8), sent after the
            # StatusNotifications: a test starts from a quiet link.
            cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "StartupOfTheDevice", since=mark)
        return s

    yield make
    for s in started:
        s.terminate()




class FileServers:
    """An FTP server (pyftpdlib) and an HTTP server (GET files, PUT uploads) on loopback, both serving `root`."""

    def __init__(self, root):
        self.root = root
        authorizer = DummyAuthorizer()
        authorizer.add_user("cp", "secret", str(root), perm="elradfmwMT")
        handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "passive_ports": None})
        self.ftp_server = FTPServer(("127.0.0.1", 0), handler)
        self.ftp_port = self.ftp_server.address[1]
        self.puts = []
        servers = self

        class HTTP(BaseHTTPRequestHandler):
            def do_GET(self):
                path = root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                (root / Path(self.path).name).write_bytes(data)
                servers.puts.append((self.path, self.headers.get("Authorization")))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http_server = ThreadingHTTPServer(("127.0.0.1", 0), HTTP)
        self.http_port = self.http_server.server_address[1]
        self._threads = [threading.Thread(target=self.ftp_server.serve_forever, kwargs={"timeout": 0.1}, daemon=True),
                         threading.Thread(target=self.http_server.serve_forever, daemon=True)]
        for t in self._threads:
            t.start()

    def ftp(self, path):
        return f"ftp://cp:secret@127.0.0.1:{self.ftp_port}/{path}"

    def http(self, path):
        return f"http://127.0.0.1:{self.http_port}/{path}"

    def close(self):
        self.ftp_server.close_all()
        self.http_server.shutdown()


@pytest.fixture
def files(tmp_path):
    root = tmp_path / "files"
    root.mkdir()
    s = FileServers(root)
    yield s
    s.close()
