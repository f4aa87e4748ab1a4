"""The server's own answer time, taken from the packets on the loopback interface (scripts/bench-gateway.sh).

The load generator's CALL→CALLRESULT latency includes its own waiting: at 5,800 msg/s its Python workers need more CPU
than the gateway (1.25 cores against 0.35 on the 2-core machine), and a message whose answer has arrived waits for the
worker's event loop. Here the time is taken by the kernel instead: tcpdump stamps each TCP segment as it passes the
loopback interface, and the latency of a CALL is the time from the segment that carries it to the segment that carries
the CALLRESULT or CALLERROR with the same message id on the same connection (OCPP-J 1.6 §4: [2, id, action, payload] →
[3, id, payload] / [4, id, code, text, details]). What it still contains: the server's wake-up, its reading, decoding,
handling, encoding and writing — what the server under test is responsible for.

Frames are read as RFC 6455 §5.2 lays them out (a client's frames masked, §5.3); only the first bytes of each segment are
captured (the message type and id are at the start of the JSON), and a segment is taken to start a frame, as every one
does here (small messages, TCP_NODELAY, loopback's 64 kB segments). Segments that do not parse as a text frame with an
OCPP message are counted and left out."""
import json
import re
import shutil
import signal
import struct
import subprocess
from pathlib import Path

SNAP_BYTES = 160
MESSAGE = re.compile(rb'^\s*\[\s*([234])\s*,\s*"([^"]{1,64})"')


class Capture:
    """tcpdump on `lo` for the TCP segments with data to or from `port`, nanosecond time stamps, into `path`."""

    def __init__(self, port, path):
        self.port, self.path, self.process = port, Path(path), None

    @staticmethod
    def available():
        return shutil.which("tcpdump") is not None

    def __enter__(self):
        # Segments with a payload only (the IP length minus both headers is not zero): no bare ACKs.
        payload = "(((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)"
        self.process = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-s", str(SNAP_BYTES), "-B", "65536",
                                         "--time-stamp-precision=nano", "-w", str(self.path),
                                         f"tcp port {self.port} and {payload}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # tcpdump says "listening on lo" once its filter is installed.
        line = self.process.stderr.readline()
        if b"listening" not in line:
            raise SystemExit(f"tcpdump did not start: {line.decode(errors='replace')}")
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGINT)
        self.stats = self.process.stderr.read().decode(errors="replace")
        self.process.wait(30)
        return False


def segments(path):
    """(time in s, (source address, port), (destination address, port), payload prefix) of each captured IPv4 TCP
    segment."""
    data = Path(path).read_bytes()
    magic, = struct.unpack_from("<I", data, 0)
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit(f"{path}: not a little-endian pcap file")
    scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
    linktype, = struct.unpack_from("<I", data, 20)
    link_bytes = {1: 14, 113: 16}.get(linktype)  # Ethernet (Linux loopback), Linux cooked capture
    if link_bytes is None:
        raise SystemExit(f"{path}: link type {linktype} not read here")
    offset = 24
    while offset + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack_from("<IIII", data, offset)
        packet = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        ip = packet[link_bytes:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ip_header = (ip[0] & 0x0F) * 4
        tcp = ip[ip_header:]
        if len(tcp) < 20:
            continue
        source_port, destination_port = struct.unpack_from("!HH", tcp, 0)
        yield (seconds + fraction * scale, (ip[12:16], source_port), (ip[16:20], destination_port),
               tcp[(tcp[12] >> 4) * 4:])


def frame_text(payload):
    """The start of the text frame's payload (unmasked), or None when `payload` does not start a text frame."""
    if len(payload) < 2 or payload[0] & 0x0F != 0x1:
        return None
    masked, length, at = payload[1] & 0x80, payload[1] & 0x7F, 2
    if length == 126:
        at += 2
    elif length == 127:
        at += 8
    if masked:
        key = payload[at:at + 4]
        at += 4
        body = payload[at:]
        return bytes(b ^ key[i % 4] for i, b in enumerate(body)) if len(key) == 4 else None
    return payload[at:]


def latencies(path, server_port):
    """The server's answer times in seconds (sorted), and the segments left out (no OCPP message at their start)."""
    answered, skipped = answers(path, server_port)
    return sorted(latency for _, latency in answered), skipped


def answers(path, server_port):
    """(time of the CALL's segment, answer time) of each answered CALL in capture order, in seconds, and the segments
    left out."""
    pending, answered, skipped = {}, [], 0
    for time, source, destination, payload in segments(path):
        text = frame_text(payload)
        match = MESSAGE.match(text) if text is not None else None
        if match is None:
            skipped += 1
            continue
        kind, message_id = match.group(1), match.group(2)
        if destination[1] == server_port and kind == b"2":
            pending[(source, message_id)] = time
        elif source[1] == server_port and kind in (b"3", b"4"):
            sent = pending.pop((destination, message_id), None)
            if sent is not None:
                answered.append((sent, time - sent))
    return answered, skipped


def percentile(sorted_values, q):
    """The value below which a fraction `q` of the sorted values lie (nan for none); ocpp_load.py uses it too."""
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else float("nan")


def stalls(answered, slow_s, gap_s=0.05):
    """The slow answers (above `slow_s`) grouped into stalls: runs of slow CALLs less than `gap_s` apart. Each stall as
    (time of its first slow CALL, its slow answers, the longest answer time). A server that stops answering for a while
    (a sweep, a collection, a blocked thread) shows as stalls at a steady period; a server that is merely busy shows
    slow answers spread over the run."""
    runs = []
    for sent, latency in sorted(answered):
        if latency < slow_s:
            continue
        if runs and sent - runs[-1][-1][0] < gap_s:
            runs[-1].append((sent, latency))
        else:
            runs.append([(sent, latency)])
    return [(r[0][0], len(r), max(latency for _, latency in r)) for r in runs]


def stall_report(answered, slow_s):
    """Lines that say when the slow answers happen: how many stalls, the intervals between them, and each one."""
    found = stalls(answered, slow_s)
    if not answered:
        return ["no answers"]
    start = min(sent for sent, _ in answered)
    slow = sum(count for _, count, _ in found)
    lines = [f"{slow} of {len(answered)} answers above {slow_s * 1000:.1f} ms, in {len(found)} stalls"]
    intervals = sorted(b[0] - a[0] for a, b in zip(found, found[1:]))
    if intervals:
        lines.append("interval between stalls: median {:.3f} s, p10 {:.3f} s, p90 {:.3f} s".format(
            percentile(intervals, 0.5), percentile(intervals, 0.1), percentile(intervals, 0.9)))
    lines += [f"  at {at - start:9.3f} s: {count:4d} slow, longest {longest * 1000:7.2f} ms" for at, count, longest in found]
    return lines


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 3:
        raise SystemExit("usage: wire_latency.py CAPTURE.pcap SERVER_PORT [--stalls SLOW_MS]")
    answered, left_out = answers(sys.argv[1], int(sys.argv[2]))
    values = sorted(latency for _, latency in answered)
    print(json.dumps({"answers": len(values), "leftOut": left_out, "p50ms": percentile(values, 0.5) * 1000,
                      "p99ms": percentile(values, 0.99) * 1000}))
    if len(sys.argv) > 4 and sys.argv[3] == "--stalls":
        print("\n".join(stall_report(answered, float(sys.argv[4]) / 1000)))
