"""The gateway's OCPP-J WebSocket itself against the real binary (issue 31 item 5: the server's connections became a
NIO pipeline without a task each, and kept every RFC 6455 rule the WebSocket library kept). The client is a raw
WebSocket peer written from RFC 6455 (§4.1 handshake, §5.2 framing, §5.3 masking), so that it can send what a
library would refuse to: unmasked frames, fragments with a ping between them, invalid UTF-8, a message above the
gateway's 1 MiB bound."""
import base64
import json
import os
import socket
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import Gateway  # noqa: E402

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
MAX_MESSAGE = 1 << 20  # OCPPWebSocketServer.maxFrameSize


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    g = Gateway(tmp_path_factory.mktemp("ws") / "data", extra=["--accept-unconfigured", "on"])
    g.data_dir.mkdir()
    g.start()
    yield g
    assert g.terminate() == 0


class RawWebSocket:
    """One client connection: the opening handshake with subprotocol ocpp1.6 (RFC 6455 §4.1), then frames."""

    def __init__(self, port, charger_id):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{charger_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            assert chunk, "the gateway closed during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"sec-websocket-protocol: ocpp1.6" in head.lower(), head

    def send(self, opcode, payload, fin=True, masked=True):
        """§5.2: FIN, opcode, MASK and the length in 7, 7+16 or 7+64 bits; §5.3: the payload XOR a 4-byte key."""
        head = bytes([(0x80 if fin else 0) | opcode])
        mask_bit = 0x80 if masked else 0
        n = len(payload)
        if n < 126:
            head += bytes([mask_bit | n])
        elif n < 1 << 16:
            head += bytes([mask_bit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
        if masked:
            key = os.urandom(4)
            payload = _mask_fast(payload, key)
            head += key
        self.sock.sendall(head + payload)

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def receive(self):
        """(opcode, fin, payload) of the next frame; a server's frames are never masked (§5.1)."""
        b0, b1 = self._exactly(2)
        assert not b1 & 0x80, "a frame from the server must not be masked (RFC 6455 §5.1)"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exactly(8))[0]
        return b0 & 0x0F, bool(b0 & 0x80), self._exactly(n)

    def receive_data(self):
        """The next text message, answering nothing (the gateway pings only every 60 s)."""
        opcode, fin, payload = self.receive()
        assert (opcode, fin) == (TEXT, True), (opcode, fin, payload)
        return json.loads(payload)

    def close_code(self):
        """The code of the server's Close frame, then the server closes TCP (§7.1.1)."""
        opcode, _, payload = self.receive()
        assert opcode == CLOSE, (opcode, payload)
        try:
            assert self.sock.recv(1) == b"", "the server closes the TCP connection after the Close frames"
        except ConnectionResetError:
            pass  # closed with bytes of the client's still unread (a refused large message): a reset, closed all the same
        return struct.unpack("!H", payload[:2])[0]

    def close(self):
        self.sock.close()


def _mask_fast(payload, key):
    """§5.3 for a long payload: XOR with the key repeated, as whole integers."""
    repeated = (key * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def boot(message_id="1"):
    return json.dumps([2, message_id, "BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "RFC6455"}]).encode()


def test_rfc6455_5_4_a_fragmented_call_with_a_ping_between_its_fragments_is_answered(gateway):
    ws = RawWebSocket(gateway.ocpp_port, "WS-FRAGMENTS")
    try:
        call = boot()
        ws.send(TEXT, call[:10], fin=False)
        ws.send(PING, b"between")  # §5.5: control frames may come between the fragments of a message
        assert ws.receive() == (PONG, True, b"between"), "§5.5.2: the pong carries the ping's data"
        ws.send(CONTINUATION, call[10:30], fin=False)
        ws.send(CONTINUATION, call[30:])
        answer = ws.receive_data()
        assert answer[:2] == [3, "1"] and answer[2]["status"] == "Accepted", answer
        ws.send(CLOSE, struct.pack("!H", 1000))
        assert ws.close_code() == 1000, "§5.5.1: the Close is answered with a Close"
    finally:
        ws.close()


@pytest.mark.parametrize("frames, code, why", [
    ([(TEXT, boot(), True, False)], 1002, "§5.1: a client's frame must be masked"),
    ([(TEXT, b'[2,"1","Heartbeat",{"x":"\xc3\x28"}]', True, True)], 1007, "§8.1: a text message must be UTF-8"),
    ([(CONTINUATION, b"[]", True, True)], 1002, "§5.4: a continuation without a message"),
    ([(TEXT, b"[2,", False, True), (TEXT, b"[]", True, True)], 1002, "§5.4: a message inside a fragmented one"),
    ([(0x3, b"x", True, True)], 1002, "§5.2: a reserved opcode"),
    ([(CLOSE, struct.pack("!H", 1005), True, True)], 1002, "§7.4.1: 1005 must not be sent in a Close"),
])
def test_rfc6455_a_frame_against_the_rules_fails_the_connection_with_its_code(gateway, frames, code, why):
    ws = RawWebSocket(gateway.ocpp_port, f"WS-BAD-{code}-{abs(hash(why)) % 10000}")
    try:
        for opcode, payload, fin, masked in frames:
            ws.send(opcode, payload, fin=fin, masked=masked)
        assert ws.close_code() == code, why
    finally:
        ws.close()


def test_a_message_above_one_mebibyte_in_fragments_is_refused_with_1009(gateway):
    ws = RawWebSocket(gateway.ocpp_port, "WS-LARGE")
    try:
        part = b"x" * (MAX_MESSAGE // 4)
        ws.send(TEXT, b'[2,"1","DataTransfer",{"vendorId":"v","data":"' + part, fin=False)
        for _ in range(3):
            ws.send(CONTINUATION, part, fin=False)
        try:
            ws.send(CONTINUATION, part + b'"}]')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway may have closed already
        assert ws.close_code() == 1009
    finally:
        ws.close()


def test_the_connection_works_on_after_a_binary_message_which_is_ignored(gateway):
    """OCPP-J §3 uses text frames: a binary message is logged and dropped, the connection stays."""
    ws = RawWebSocket(gateway.ocpp_port, "WS-BINARY")
    try:
        ws.send(BINARY, b"\x00\x01")
        ws.send(TEXT, boot("2"))
        assert ws.receive_data()[:2] == [3, "2"]
    finally:
        ws.close()
