"""A PC/SC reader with a contactless card for the tests: pcscd with the vsmartcard project's virtual reader driver
(vsmartcard-vpcd), in a mount namespace of its own, and a card that connects to that reader and answers the reader's
GET DATA for its UID.

The card speaks vpcd's protocol as the vsmartcard documentation describes it ("Creating a virtual smart card",
virtualsmartcard/doc/api.rst of vsmartcard 0.8): over TCP, every message is a 2-byte big-endian length and its bytes;
vpcd sends a 1-byte message 0x00 (power off), 0x01 (power on), 0x02 (reset), which need no answer, or 0x04 (get ATR),
answered with the ATR; any longer message is a command APDU, answered with the response APDU. The card is on the
reader while it is connected; closing the connection takes it away. A real contactless reader answers GET DATA
(FF CA 00 00 00, PC/SC Part 3 v2.02.00 §3.2.2.1.3) itself from the anticollision; here the card answers it, since vpcd
passes every APDU on. (The project's own card emulator, `vicc` of Debian 12's vsmartcard-vpicc 0.8, does not start there:
its modules lie outside Python's path and import Python 2's `sha`; and it has no card that answers GET DATA with a UID.)

pcscd (pcsc-lite 1.9) always listens on /run/pcscd/pcscd.comm (PCSCLITE_CSOCK_NAME is read by the client library
only): so that a test never meets a pcscd of the host, or another test's, pcscd runs in a mount namespace whose
/run/pcscd is a tmpfs of its own, and the station is started in the same namespace (`argv`). The namespace is held by a
process of its own, so that pcscd can be stopped and started again while the station keeps running.
"""
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

#: The ATR of a contactless storage card as a PC/SC reader reports it (PC/SC Part 3 v2.02.00 §3.1.3.2.3: 3B 8F 80 01,
#: then historical bytes 80 4F 0C, the RID A0 00 00 03 06, SS 03 (ISO 14443 A part 3), NN 00 01, RFU 00 00 00 00, TCK).
_ATR_BODY = bytes.fromhex("3B8F8001804F0CA000000306030001 00000000".replace(" ", ""))


def _atr():
    tck = 0
    for b in _ATR_BODY[1:]:
        tck ^= b
    return _ATR_BODY + bytes([tck])


ATR = _atr()


def missing_tools():
    """Why the reader cannot be set up here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (a mount namespace for pcscd's socket)"
    for tool in ("pcscd", "unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: pcscd, util-linux)"
    if not Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so").exists():
        return "the virtual reader driver is not installed (Debian: vsmartcard-vpcd)"
    return None


def _free_port_pair():
    """A port p with p and p + 1 free (vpcd listens on one port per slot, two slots)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            p = a.getsockname()[1]
            if p >= 65535:
                continue
            try:
                with socket.socket() as b:
                    b.bind(("127.0.0.1", p + 1))
                    return p
            except OSError:
                continue
    raise RuntimeError("no free pair of ports")


class PCSCService:
    """pcscd with the virtual reader, in a mount namespace of its own. Slot 0 is "Virtual PCD 00 00" on `port`."""

    READER = "Virtual PCD 00 00"

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port_pair()
        self.config = directory / "reader.conf.d"
        self.config.mkdir(parents=True, exist_ok=True)
        # pcsc-lite's reader.conf(5) format, as vsmartcard-vpcd's /etc/reader.conf.d/vpcd, on a port of the test's own.
        (self.config / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{self.port:04X}\n'
            f"LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x{self.port:04X}\n")
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && echo ready && exec sleep infinity"],
            stdout=subprocess.PIPE, text=True)
        line = self.holder.stdout.readline()
        if line.strip() != "ready":
            self.holder.kill()
            raise RuntimeError("could not make a mount namespace for pcscd")
        self.pcscd = None
        self.log_path = directory / "pcscd.log"

    def argv(self, argv):
        """`argv` run in the reader's mount namespace (the pid stays the program's: nsenter executes it)."""
        return ["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt", "--", *argv]

    def call(self, function, *args):
        """The station's API is on the host's network (only the mounts differ)."""
        return function(*args)

    def start(self):
        """Starts pcscd and waits until it serves the reader."""
        self.log_path.write_bytes(b"")
        log = open(self.log_path, "ab")
        self.pcscd = subprocess.Popen(self.argv(["pcscd", "--foreground", "--debug", "-c", str(self.config)]),
                                      stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 20
        while b"daemon ready" not in self.log_path.read_bytes():
            if self.pcscd.poll() is not None:
                raise AssertionError(f"pcscd exited with {self.pcscd.returncode}: {self.log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("pcscd did not get ready: " + self.log_path.read_text()[-2000:])
            time.sleep(0.05)
        return self

    def stop(self):
        if self.pcscd and self.pcscd.poll() is None:
            self.pcscd.terminate()
            self.pcscd.wait(timeout=20)
        self.pcscd = None

    def close(self):
        self.stop()
        self.holder.kill()
        self.holder.wait(timeout=10)


class ContactlessCard:
    """A card with `uid` on the virtual reader at 127.0.0.1:`port` while `present()`ed; counts what it was asked."""

    def __init__(self, port, uid_hex):
        self.port = port
        self.uid = bytes.fromhex(uid_hex)
        self.get_data = 0  # GET DATA commands answered
        self.atr_requests = 0  # the reader's presence checks and power-ups (GET ATR)
        self.sock = None
        self.thread = None
        self.lock = threading.Lock()

    def present(self, timeout=20):
        """Places the card on the reader: connects to vpcd (which listens once pcscd runs)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._serve, args=(self.sock,), daemon=True)
        self.thread.start()
        return self

    def remove(self):
        """Takes the card away: closes the connection."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.thread.join(timeout=5)
        self.sock = None

    def _recv(self, sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("vpcd closed the connection")
            data += chunk
        return data

    def _send(self, sock, payload):
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self, sock):
        try:
            while True:
                (length,) = struct.unpack(">H", self._recv(sock, 2))
                message = self._recv(sock, length)
                if length == 1:
                    if message[0] == 0x04:
                        with self.lock:
                            self.atr_requests += 1
                        self._send(sock, ATR)
                    continue  # power off, power on, reset: no answer
                if message[:4] == bytes([0xFF, 0xCA, 0x00, 0x00]):
                    with self.lock:
                        self.get_data += 1
                    self._send(sock, self.uid + b"\x90\x00")
                else:
                    self._send(sock, b"\x6D\x00")  # ISO/IEC 7816-4 §5.1.3: instruction code not supported
        except (ConnectionError, OSError):
            pass
