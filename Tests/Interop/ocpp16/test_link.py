"""The station's OCPP link beyond the OCTT cases: a transaction message retried after a CALLERROR (OCPP 1.6 §4.10,
TransactionMessageAttempts × TransactionMessageRetryInterval), the reconnect back-off with jitter and the TCP
Watchdog Timeout (seeds/004 §4), and WebSocketPingInterval (OCPP-J §5.3). Every bound is the protocol's own timer:
a retry or a reconnect may come late by scheduling, never early."""
import socket
import threading
import time

from ocpp.exceptions import InternalError
from ocpp.v16 import call

from harness import OCPPStation, plug, rfid, unplug, wait_for

SLACK = 1.0  # seconds a timer may fire late on a busy machine


def call_times(cs, action, since=0):
    with cs._lock:
        frames = list(cs.frames)[since:]
    return [(t, m[1], m[3]) for d, t, m, _ in frames if d == "in" and isinstance(m, list) and m[0] == 2 and m[2] == action]


def ping_rounds(pings):
    """The start of every round of pings: a ping less than 0.25 s after the previous one belongs to its round."""
    return [t for i, t in enumerate(pings) if i == 0 or t - pings[i - 1] >= 0.25]


def test_transaction_message_is_retried_after_a_callerror_and_dropped_after_the_attempts(cs, make_station):
    """A transaction message answered with a CALLERROR is sent again, unchanged, after RetryInterval × the attempts so
    far (1 s, then 2 s); after TransactionMessageAttempts (3) failures it is dropped and the queue goes on."""
    retry = 1
    station = make_station(config=[("TransactionMessageAttempts", "3"), ("TransactionMessageRetryInterval", str(retry))])
    cs.failure = InternalError(description="test: failure to process")

    def sent_three_times(action, mark):
        wait_for(lambda: len(call_times(cs, action, mark)) >= 3, timeout=15, what=f"three {action}")
        sent = call_times(cs, action, mark)
        assert [p for _, _, p in sent] == [sent[0][2]] * len(sent), "the same message each time"
        gaps = [b[0] - a[0] for a, b in zip(sent, sent[1:])]
        assert retry * 1 <= gaps[0] <= retry * 1 + SLACK and retry * 2 <= gaps[1] <= retry * 2 + SLACK, gaps
        return sent[0][2]

    # Two failures, then the third attempt is accepted.
    cs.fail_start = 2
    mark = cs.mark()
    plug(station)
    rfid(station)
    start = sent_three_times("StartTransaction", mark)
    cs.wait_status(1, "Charging", since=mark)
    # A frame is recorded when it arrives, its handler runs after: wait for the third attempt's answer, not just for
    # its frame (an immediate check raced the handler).
    wait_for(lambda: cs.last_transaction_id == 101, timeout=5, what="the third StartTransaction answered with transaction 101")
    assert start["connectorId"] == 1

    # Three failures of the StopTransaction: dropped; the next transaction's StartTransaction goes out, and it is
    # the first transaction message after the third StopTransaction (a fourth would have come before it).
    cs.fail_start, cs.fail_stop = 0, 3
    mark = cs.mark()
    rfid(station)
    stop = sent_three_times("StopTransaction", mark)
    assert stop["transactionId"] == 101
    unplug(station)
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction", since=mark)
    after_start = [a for a in cs.actions(mark) if a in ("StartTransaction", "StopTransaction")]
    assert after_start == ["StopTransaction"] * 3 + ["StartTransaction"], after_start
    assert cs.fail_stop == 0


def test_reconnect_back_off_with_jitter_and_the_tcp_watchdog(data_dir, cs):
    """A backend that refuses every WebSocket upgrade (HTTP 503): the station tries again after 1 s, doubling, each
    wait ±25 % at random; once it was unreachable for TCPWatchdogTimeout (5 s) it restarts its connection stack and
    the back-off starts at 1 s again: nominal waits 1, 2, 4, 1, 2 s (without the watchdog the fourth would be 8 s)."""
    attempts = []
    server = socket.create_server(("127.0.0.1", 0))

    def refuse():
        while True:
            try:
                c, _ = server.accept()
            except OSError:
                return
            attempts.append(time.monotonic())
            c.recv(4096)
            c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            c.close()
    threading.Thread(target=refuse, daemon=True).start()
    s = OCPPStation(data_dir, cs, config=[("BackendURL", f"ws://127.0.0.1:{server.getsockname()[1]}/ocpp"),
                                          ("TCPWatchdogTimeout", "5")]).start()
    try:
        wait_for(lambda: len(attempts) >= 6, timeout=30, what="six connection attempts")
    finally:
        s.terminate()
        server.close()
    gaps = [b - a for a, b in zip(attempts, attempts[1:6])]
    nominal = [1, 2, 4, 1, 2]
    ratios = [g / n for g, n in zip(gaps, nominal)]
    assert all(0.75 * n <= g <= 1.25 * n + 0.5 for g, n in zip(gaps, nominal)), gaps
    # Jitter: five waits drawn from ±25 % all within 1 % of each other has a probability below 1e-6; waits without
    # jitter differ only by the few milliseconds of a failed attempt.
    assert max(ratios) - min(ratios) > 0.01, ratios
    log = (data_dir.parent / f"{data_dir.name}.log").read_text(errors="replace")
    assert "restarting the OCPP connection stack (TCP Watchdog Timeout)" in log


def test_websocket_ping_interval(cs, make_station):
    """WebSocketPingInterval 0 sends no pings; 1 s sends one every second, and a backend that stops answering them
    is taken as gone: the station closes the connection one ping period after the unanswered ping and reconnects."""
    cs.heartbeat_interval = 1
    station = make_station()
    mark = cs.mark()
    cs.wait_call("Heartbeat", since=mark)
    cs.wait_call("Heartbeat", since=cs.mark())
    assert not cs.pings, "WebSocketPingInterval 0: no pings"
    status = cs.call(call.ChangeConfiguration(key="WebSocketPingInterval", value="1")).status
    assert status in ("Accepted", "RebootRequired")
    if status == "RebootRequired":
        mark = cs.mark()
        assert cs.call(call.Reset(type="Soft")).status == "Accepted"
        cs.wait_call("BootNotification", since=mark)
        station.refresh()
    # Each ping goes out one period after the previous one was sent; seen here, a gap may also shrink by how late
    # the previous ping arrived (milliseconds on loopback), hence the lower bound 0.75 s. swift-websocket's ping loop
    # sends the next ping at once when the pong was handled before the loop looked again (seen on a loaded machine):
    # pings that close together count as one round. A flood of such pings would never end a round and fails here.
    wait_for(lambda: len(ping_rounds(cs.pings)) >= 5, timeout=15, what="five rounds of pings")
    rounds = ping_rounds(cs.pings)
    gaps = [b - a for a, b in zip(rounds, rounds[1:4])]
    assert all(0.75 <= g <= 1 + SLACK for g in gaps), (gaps, cs.pings)
    connections = cs.connections
    cs.answer_pings = False
    silent_from = time.monotonic()
    wait_for(lambda: cs.connections > connections, timeout=20, what="the reconnect after the unanswered ping")
    cs.answer_pings = True
    unanswered = next(t for t in cs.pings if t >= silent_from)
    closed = next(t for t, _ in cs.closed if t >= unanswered)
    assert 0.75 <= closed - unanswered <= 1 + SLACK, closed - unanswered
    cs.wait_status(1, "Available", since=mark)
