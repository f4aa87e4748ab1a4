"""ChargeKit's SDP and V2GTP servers (issue 27 item 2), driven by `chargekit iso15118-listen` in the station's network
namespace: hostile discovery datagrams and V2GTP streams from the vehicle's namespace are refused as ISO 15118-2
§7.8.3.2/§7.10.1 say (no answer, a skipped message, or a closed connection), each with a line in the command's
output, and afterwards Josev's EVCC still discovers the station, connects and sends its supportedAppProtocolReq as a
V2GTP EXI message (payload type 0x8001, EXI header byte 0x80)."""
import json
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

import josev

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from station import BIN  # noqa: E402

SETUP_TIMEOUT_MS = 1500


class Listener:
    """`chargekit iso15118-listen` in the station namespace; its JSON lines, read as they come."""

    def __init__(self, ns, directory):
        argv = [BIN, "iso15118-listen", "--interface", ns.interface, "--setup-timeout-ms", SETUP_TIMEOUT_MS,
                "--sequence-timeout-ms", 3000, "--max-payload-bytes", 4096]
        self.process = josev.JosevProcess(ns, argv, {}, Path(directory) / "listen.log", directory)

    def next(self, event, timeout=30):
        """The next JSON line of `event` (earlier lines of other events are passed over)."""
        line = self.process.wait_for(r'^\{.*"event":"%s"' % event, timeout=timeout)
        return json.loads(line)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    reason = josev.skip_reason()
    if reason:
        pytest.skip(reason)
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no chargekit binary at {BIN} (CHARGEKIT_BIN)")
    directory = tmp_path_factory.mktemp("sdp")
    with josev.LinkPair() as pair:
        listener = Listener(pair.station, directory)
        try:
            listening = listener.next("listening")
            yield pair, listener, listening, directory
        finally:
            listener.process.stop()


def ev_socket(pair, kind):
    """A socket made inside the vehicle's namespace, and the vehicle interface's index."""
    def make():
        s = socket.socket(socket.AF_INET6, kind)
        s.settimeout(5)
        return s, socket.if_nametoindex(pair.ev.interface)
    return pair.ev.call(make)


def sdp_send(pair, datagram):
    """Sends `datagram` from the vehicle to ff02::1 port 15118, as a vehicle's SDP request goes ([V2G2-139])."""
    s, index = ev_socket(pair, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    s.sendto(datagram, ("ff02::1", 15118, 0, index))
    return s, index


def test_listening_on_the_link_local_address_and_a_dynamic_port(rig):
    pair, _, listening, _ = rig
    assert listening["interface"] == pair.station.interface
    assert listening["address"] == f"{pair.addresses[pair.station.name]}%{pair.station.interface}"
    assert 49152 <= listening["tcpPort"] <= 65535 and listening["sdpPort"] == 15118


@pytest.mark.parametrize("datagram, reason", [
    (bytes.fromhex("02fd900000000002" "1000"), "protocol version 0x02 / inverse 0xFD"),
    (bytes.fromhex("01ff900000000002" "1000"), "inverse 0xFF"),
    (bytes.fromhex("01fe800100000002" "1000"), "payload type 0x8001 (EXI)"),
    (bytes.fromhex("01fe900000000003" "100000"), "payload length 3"),
    (bytes.fromhex("01fe90000000ffff" "1000"), "payload length 65535"),
    (bytes.fromhex("01fe900000000002" "1000ff"), "payload length 2 in a datagram of 11 bytes"),
    (bytes.fromhex("01fe900000000002" "2000"), "security 0x20"),
    (bytes.fromhex("01fe900000000002" "1001"), "transport 0x01"),
    (bytes.fromhex("01fe900200000002" "1000"), "wireless discovery"),
    (b"\x01\xfe", "2 bytes"),
    (bytes(range(256)) * 4, "protocol version 0x00"),
])
def test_hostile_discovery_datagrams_get_no_answer(rig, datagram, reason):
    pair, listener, listening, _ = rig
    s, index = sdp_send(pair, datagram)
    try:
        ignored = listener.next("sdpIgnored")
        assert reason in ignored["reason"] and ignored["length"] == len(datagram), ignored
        assert ignored["from"].startswith(pair.addresses[pair.ev.name]), ignored
        # The station answers a valid request on the same socket; the first datagram back must be that answer, not
        # one to the hostile datagram sent before it.
        s.sendto(bytes.fromhex("01fe9000000000021000"), ("ff02::1", 15118, 0, index))
        answer, _ = s.recvfrom(100)
        assert answer[:8] == bytes.fromhex("01fe900100000014"), answer.hex()
        listener.next("sdp")
    finally:
        s.close()


def test_discovery_answer_names_the_tcp_server(rig):
    pair, listener, listening, _ = rig
    for security in (0x10, 0x00):  # no TLS asked, TLS asked: this station has no TLS and says so
        s, _ = sdp_send(pair, bytes([1, 0xFE, 0x90, 0, 0, 0, 0, 2, security, 0]))
        try:
            answer, _ = s.recvfrom(100)
        finally:
            s.close()
        assert len(answer) == 28 and answer[:8] == bytes.fromhex("01fe900100000014")
        address = socket.inet_ntop(socket.AF_INET6, answer[8:24])
        port, answered_security, transport = struct.unpack("!HBB", answer[24:28])
        assert address == pair.addresses[pair.station.name]
        assert (port, answered_security, transport) == (listening["tcpPort"], 0x10, 0x00)
        line = listener.next("sdp")
        assert line["security"] == ("none" if security == 0x10 else "tls") and line["answer"]["security"] == "none", line


def v2gtp_connect(pair, listening):
    s, index = ev_socket(pair, socket.SOCK_STREAM)
    s.connect((pair.addresses[pair.station.name], listening["tcpPort"], 0, index))
    return s


def closed_by_station(s, timeout=10):
    """True once the station closed the connection (EOF or reset), reading whatever it still sends."""
    s.settimeout(timeout)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize("stream, reason", [
    (bytes.fromhex("02fe8001000000028000"), "protocol version 0x02 / inverse 0xFE"),
    (bytes.fromhex("01fd8001000000028000"), "inverse 0xFD"),
    (bytes.fromhex("01fe8001ffffffff") + b"\x80" * 100, "payload length 4294967295 bytes of payload type 0x8001, allowed 0...4096"),
    (bytes.fromhex("01fea000000100008000"), "payload length 65536 bytes of payload type 0xA000, allowed 0...4096"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "protocol version 0x47"),
])
def test_hostile_v2gtp_streams_close_the_connection(rig, stream, reason):
    pair, listener, listening, _ = rig
    s = v2gtp_connect(pair, listening)
    try:
        connected = listener.next("connected")
        s.sendall(stream)
        closed = listener.next("closed")
        assert closed["connection"] == connected["connection"] and reason in closed["reason"], closed
        assert closed_by_station(s)
    finally:
        s.close()


def test_unknown_payload_type_is_skipped_and_the_next_message_read(rig):
    pair, listener, listening, _ = rig
    s = v2gtp_connect(pair, listening)
    try:
        connected = listener.next("connected")
        s.sendall(bytes.fromhex("01fea12300000003aabbcc") + bytes.fromhex("01fe900000000002" "1000")
                  + bytes.fromhex("01fe800100000003" "80ebab"))
        assert "0xA123 (unknown) (length 3)" in listener.next("frameIgnored")["reason"]
        assert "0x9000 (SDPRequest)" in listener.next("frameIgnored")["reason"]
        frame = listener.next("frame")
        assert (frame["connection"], frame["payloadType"], frame["length"], frame["head"]) == (connected["connection"], "0x8001", 3, "80ebab")
    finally:
        s.close()
    assert listener.next("closed")["reason"] == "closed by the vehicle"


def test_one_vehicle_connection_at_a_time_and_slowloris_times_out(rig):
    """A peer that trickles a header byte by byte never completes a message: V2G_SECC_CommunicationSetup_Timeout
    (1.5 s here) closes it; meanwhile a second connection is refused; afterwards the next one is served."""
    pair, listener, listening, _ = rig
    slow = v2gtp_connect(pair, listening)
    stop = threading.Event()
    try:
        connected = listener.next("connected")
        started = time.monotonic()

        def trickle():
            for b in bytes.fromhex("01fe800100000010"):
                if stop.wait(0.2):
                    return
                try:
                    slow.send(bytes([b]))
                except OSError:
                    return
        threading.Thread(target=trickle, daemon=True).start()
        second = v2gtp_connect(pair, listening)
        try:
            refused = listener.next("refused")
            assert "vehicle connection is open" in refused["reason"], refused
            assert closed_by_station(second)
        finally:
            second.close()
        closed = listener.next("closed", timeout=20)
        elapsed = time.monotonic() - started
        assert closed["connection"] == connected["connection"], closed
        assert closed["reason"] == "V2G_SECC_CommunicationSetup_Timeout ran out", closed
        assert SETUP_TIMEOUT_MS / 1000 - 0.5 <= elapsed < SETUP_TIMEOUT_MS / 1000 + 5, elapsed
        assert closed_by_station(slow)
    finally:
        stop.set()
        slow.close()
    nxt = v2gtp_connect(pair, listening)
    try:
        assert listener.next("connected")["connection"] > connected["connection"]
        nxt.sendall(bytes.fromhex("01fe800100000001" "80"))
        assert listener.next("frame")["head"] == "80"
    finally:
        nxt.close()
    listener.next("closed")


def test_start_up_errors_name_the_interface(rig):
    """No such interface, and an interface without a link-local address (down): a clear error and exit status 1."""
    pair, _, _, _ = rig
    r = pair.station.run([BIN, "iso15118-listen", "--interface", "plc9", "--link-local-wait-seconds", 0])
    assert r.returncode == 1, r
    assert "network interface 'plc9' (--interface) does not exist; interfaces with an IPv6 link-local address: " + pair.station.interface in r.stderr, r.stderr
    down = "ck" + pair.station.interface[3:] + "d"
    assert pair.station.run(["ip", "link", "add", down, "type", "veth", "peer", "name", down + "p"]).returncode == 0
    try:
        r = pair.station.run([BIN, "iso15118-listen", "--interface", down, "--link-local-wait-seconds", 0.3])
        assert r.returncode == 1, r
        assert f"network interface '{down}' (--interface) has no IPv6 link-local address after 0.3 s: is it up" in r.stderr, r.stderr
    finally:
        pair.station.run(["ip", "link", "del", down])


def test_josev_evcc_discovers_the_station_and_sends_its_sap_request(rig):
    """Last in the file: after every hostile input above, a real vehicle is still served."""
    pair, listener, listening, directory = rig
    evcc = josev.start_evcc(pair.ev, directory)
    try:
        discovery = listener.next("sdp", timeout=120)
        assert discovery["security"] == "none" and discovery["transport"] == "tcp"
        assert discovery["answer"] == {"address": pair.addresses[pair.station.name], "port": listening["tcpPort"],
                                       "security": "none", "transport": "tcp"}
        evcc.wait_for(r"SDPResponse received: \[ IP address: %s, Port: %d" % (pair.addresses[pair.station.name], listening["tcpPort"]),
                      timeout=30, fail=josev.EVCC_GAVE_UP)
        connected = listener.next("connected", timeout=30)
        frame = listener.next("frame", timeout=60)
        assert frame["connection"] == connected["connection"]
        assert frame["payloadType"] == "0x8001" and frame["head"].startswith("80"), frame
        evcc.wait_for(r"Sent supportedAppProtocolReq", timeout=30, fail=josev.EVCC_GAVE_UP)
        # The length the vehicle sent is what Josev's own framing says it sent.
        assert 20 <= frame["length"] <= 200, frame
    finally:
        evcc.stop()
