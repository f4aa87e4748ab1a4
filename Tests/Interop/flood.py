"""Floods of idle and half-finished connections against a listener of the real binary (issue #20 item 2), and the
descriptor limit of an embedded system for the process under test. Only 127.0.0.0/8: the flood's clients use other
loopback source addresses (127.0.0.2, …) than the well-behaved clients (127.0.0.1), so that the per-address caps can be
told from the listener caps."""
import os
import resource
import selectors
import socket
import time

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux 4.2

#: The common embedded limit (soft = hard): ~1,100 idle connections used to exhaust it and kill the process (SIGILL).
EMBEDDED_LIMIT = 1024


def embedded_descriptor_limit():
    """`preexec_fn` of the process under test: 1,024 descriptors, and no hard limit above it to raise the soft one to."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (EMBEDDED_LIMIT, EMBEDDED_LIMIT))


def allow_sockets(n):
    """Raises this test process's soft descriptor limit for `n` sockets; False when the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= want


def open_descriptors(pid):
    """Descriptors the process `pid` holds now."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def accept_queue(port):
    """Connections waiting in the accept queue of the IPv4 listener on `port` (/proc/net/tcp: rx_queue of LISTEN)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                return int(fields[4].split(":")[1], 16)
    return 0


def queued_bytes(port):
    """Bytes on the way over the established IPv4 connections to or from `port`: written but not yet read by the peer
    (/proc/net/tcp: tx_queue + rx_queue of every socket whose local or remote port is `port`)."""
    total = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            ports = {int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)}
            if fields[3] == "01" and port in ports:
                tx, rx = fields[4].split(":")
                total += int(tx, 16) + int(rx, 16)
    return total


class Flood:
    """`count` TCP connections to 127.0.0.1:`port`, spread over the loopback `sources`; connection i sends
    `payloads[i % len(payloads)]` (b"" = nothing: idle; half a request: unfinished) and then nothing more.

    Connects go out in batches smaller than the listener's accept queue, each once the listener has taken the one
    before: a full queue makes the kernel drop handshakes, and connections that the client believes open but the
    listener never accepted would blur what the listener holds."""

    BATCH = 32

    def __init__(self, port, count, sources, payloads=(b"",), timeout=20):
        self.started = time.monotonic()
        self.open = []
        self.closed_after = []  # seconds from the flood's start until the server closed each connection
        deadline = self.started + timeout
        for first in range(0, count, self.BATCH):
            connecting = {}
            for i in range(first, min(count, first + self.BATCH)):
                s = socket.socket()
                # The port is chosen at connect(), for the 4-tuple: never one the listener still holds in TIME-WAIT
                # from an earlier connection it closed.
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((sources[i % len(sources)], 0))
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                connecting[s] = payloads[i % len(payloads)]
            with selectors.DefaultSelector() as sel:
                for s in connecting:
                    sel.register(s, selectors.EVENT_WRITE)
                while connecting and time.monotonic() < deadline:
                    for key, _ in sel.select(timeout=max(0, deadline - time.monotonic())):
                        s = key.fileobj
                        sel.unregister(s)
                        self._connected(s, connecting.pop(s))
            assert not connecting, f"{len(connecting)} connects unfinished after {timeout} s"
            while accept_queue(port) and time.monotonic() < deadline:
                time.sleep(0.002)
        self.connected = time.monotonic() - self.started

    def _connected(self, s, payload):
        try:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                raise ConnectionRefusedError
            if payload:
                s.send(payload)
            self.open.append(s)
        except OSError:  # refused so fast that the send met the closed connection
            s.close()
            self.closed_after.append(time.monotonic() - self.started)

    def poll(self):
        """Notes the connections the server has closed since the last poll (EOF or reset); returns how many are open."""
        with selectors.DefaultSelector() as sel:
            for s in self.open:
                sel.register(s, selectors.EVENT_READ)
            ready = [key.fileobj for key, _ in sel.select(timeout=0)]
        now = time.monotonic() - self.started
        for s in ready:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self.open.remove(s)
                s.close()
                self.closed_after.append(now)
        return len(self.open)

    def close(self):
        for s in self.open:
            s.close()
        self.open = []
