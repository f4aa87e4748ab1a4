"""A DLM link peer in Python, written from the wire format documented in docs/installer.md "DLM link" (not from ChargeKit's code):
every UDP datagram is b"CKDLM1", the HMAC-SHA256 of the JSON body under the network key, then the JSON body.

`LightSlave` is a lightweight DLM slave (one UDP socket, one connector) for the multi-process test's foreign slave and
for the reaction benchmark's 250 slaves."""
import hashlib
import hmac
import json
import os
import select
import socket
import time

MAGIC = b"CKDLM1"


def seal(message, key):
    body = json.dumps(message, separators=(",", ":")).encode()
    return MAGIC + hmac.new(key.encode(), body, hashlib.sha256).digest() + body


def unseal(datagram, key):
    """The message of a datagram, or None when it is not authenticated with `key`."""
    if not datagram.startswith(MAGIC) or len(datagram) <= len(MAGIC) + 32:
        return None
    mac, body = datagram[len(MAGIC):len(MAGIC) + 32], datagram[len(MAGIC) + 32:]
    if not hmac.compare_digest(mac, hmac.new(key.encode(), body, hashlib.sha256).digest()):
        return None
    return json.loads(body)


def connector_report(demanding=True, amps=0.0, maximum=32.0, rotation="RST"):
    return {"rotation": rotation, "phasesConnected": 3, "demanding": demanding, "maximumAmps": maximum, "minimumAmps": 6.0,
            "measuredAmps": {"l1": amps, "l2": amps, "l3": amps}, "status": "Charging" if demanding else "Available"}


class LightSlave:
    """A DLM slave with one connector: reports to the master at `master` (host, port) and records every grant it gets."""

    def __init__(self, ident, key, network, master, demanding=True, maximum=32.0, disconnected=7.0, sock=None):
        self.id, self.key, self.network, self.master = ident, key, network, master
        self.demanding, self.maximum, self.disconnected = demanding, maximum, disconnected
        self.epoch = os.urandom(8).hex()
        self.seq = 0
        self.master_id = None
        self.master_epoch = None
        self.grants = []  # (monotonic time, amps list)
        self.sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    def report_datagram(self):
        self.seq += 1
        message = {"version": 1, "network": self.network, "from": self.id, "epoch": self.epoch, "seq": self.seq,
                   "report": {"disconnectedLimitAmps": self.disconnected,
                              "connectors": [connector_report(self.demanding, 0.0, self.maximum)]}}
        if self.master_id is not None:
            message["to"] = self.master_id
            message["peerEpoch"] = self.master_epoch
        return seal(message, self.key)

    def send_report(self):
        self.sock.sendto(self.report_datagram(), self.master)

    def handle(self, datagram, now=None):
        """Processes one received datagram; returns the message when it was authentic and for us."""
        m = unseal(datagram, self.key)
        if m is None or m.get("to") != self.id or m.get("peerEpoch") != self.epoch:
            return None
        if "announce" in m:
            self.master_id, self.master_epoch = m["from"], m["epoch"]
        elif "grants" in m and m["from"] == self.master_id:
            self.grants.append((now if now is not None else time.monotonic(), m["grants"]["amps"]))
        return m

    def receive_all(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except BlockingIOError:
                return
            self.handle(data)

    def join(self, timeout=5.0):
        """Hello (the first report), the master's answer with its epoch, then a real report until grants come."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.send_report()
            end = time.monotonic() + 0.2
            while (left := end - time.monotonic()) > 0:
                select.select([self.sock], [], [], left)  # wakes on the answer
                self.receive_all()
                if self.grants:
                    return True
        return False

    def close(self):
        self.sock.close()
