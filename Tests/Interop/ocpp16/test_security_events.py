"""Security events, the security log and GetLog of the OCPP 1.6 security extension (OCA "Improved security for
OCPP 1.6-J" ed. 3 §8, use cases A04 and N01; OCTT TC_079) against the independent central system of
central_system.py (the Python `ocpp` library)."""
import csv
import io

from ocpp.exceptions import NotImplementedError as OCPPNotImplemented
from ocpp.v16 import call

from harness import wait_for



def security_events(cs, since=0):
    return [p["type"] for _, p in cs.calls("SecurityEventNotification", since)]


def test_TC_079_CS_get_security_log(cs, make_station, files):
    station = make_station()
    # A malformed frame of the central system is a security event too (InvalidMessages).
    cs.send_raw('[2,"bad-1","ChangeAvailability",{"connectorId":"x","type":"Inoperative"}]')
    assert cs.raw_answers("bad-1")[0] == 4
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidMessages")
    mark = cs.mark()
    conf = cs.call(call.GetLog(log={"remoteLocation": files.ftp("")}, log_type="SecurityLog", request_id=79))
    assert conf.status == "Accepted" and conf.filename.endswith(".csv")
    cs.wait_call("LogStatusNotification", lambda p: p["status"] == "Uploaded", since=mark, timeout=60)
    assert [(p["status"], p["requestId"]) for _, p in cs.calls("LogStatusNotification", mark)] == [("Uploading", 79), ("Uploaded", 79)]
    rows = list(csv.DictReader(io.StringIO((files.root / conf.filename).read_text())))
    assert [r["type"] for r in rows] == ["StartupOfTheDevice", "InvalidMessages"]
    assert rows[0]["critical"] == "true" and rows[1]["critical"] == "false"
    # The first start on a new data directory interrupted nothing.
    assert "unclean" not in rows[0]["techInfo"], rows[0]
    # The installer sees the same log through the local API.
    code, log = station.get("/api/security-log?limit=10")
    assert code == 200 and [e["type"] for e in log] == ["StartupOfTheDevice", "InvalidMessages"]


def test_N01_get_log_during_an_upload_is_accepted_canceled(cs, make_station, files):
    make_station()
    mark = cs.mark()
    # An FTP server that never answers keeps the first upload running.
    first = cs.call(call.GetLog(log={"remoteLocation": "ftp://10.255.255.1/"}, log_type="DiagnosticsLog", request_id=1))
    assert first.status == "Accepted"
    cs.wait_call("LogStatusNotification", lambda p: p["status"] == "Uploading", since=mark)
    second = cs.call(call.GetLog(log={"remoteLocation": files.http("")}, log_type="SecurityLog", request_id=2))
    assert second.status == "AcceptedCanceled"
    cs.wait_call("LogStatusNotification", lambda p: p["status"] == "Uploaded" and p["requestId"] == 2, since=mark, timeout=60)
    assert (files.root / second.filename).read_text().startswith("id,timestamp,type,critical,techInfo")


def test_A04_FR_02_critical_events_delivered_after_reconnect_exactly_once(cs, make_station):
    """Critical events raised while the central system is away (and across a kill -9 right after they were
    persisted) are delivered after the reconnect, each exactly once (EVerest's
    test_security_event_delivery_after_reconnect)."""
    station = make_station()
    mark = cs.mark()
    cs.stop_server()
    station.kill9()
    station.start()  # StartupOfTheDevice while offline, persisted
    station.kill9()  # between persisting and sending
    station.start()  # a second one
    cs.restart_server()
    cs.wait_connected(count=2)
    # Delivered and answered: the persistent queue is empty (a message leaves it only with its answer).
    wait_for(lambda: len(cs.calls("SecurityEventNotification", mark)) >= 2
             and station.status()["backend"]["queuedTransactionMessages"] == 0, timeout=30, what="the queued events delivered")
    frames = cs.call_frames("SecurityEventNotification", mark)
    ids = [m[1] for _, m in frames]
    assert [m[3]["type"] for _, m in frames] == ["StartupOfTheDevice", "StartupOfTheDevice"], ids
    assert len(set(ids)) == 2
    # Both starts followed a kill -9, and say so.
    assert all(m[3]["techInfo"].endswith("after an unclean shutdown") for _, m in frames), frames


def test_steve_security_event_not_implemented_does_not_block_the_queue(cs, make_station):
    """SteVe answers SecurityEventNotification with CALLERROR NotImplemented (EVerest/libocpp#495): the station retires
    the notification and delivers what follows."""
    cs.security_event_failure = OCPPNotImplemented(description="SecurityEventNotification")
    station = make_station(boot=False)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "StartupOfTheDevice")
    mark = cs.mark()
    assert cs.call(call.Reset(type="Soft")).status == "Accepted"
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "ResetOrReboot", since=mark)
    cs.wait_call("BootNotification", since=mark, timeout=60)
    cs.wait_call("SecurityEventNotification", lambda p: p["type"] == "StartupOfTheDevice", since=mark, timeout=60)
    assert security_events(cs, mark).count("ResetOrReboot") == 1, "each tried once, never retried"
    station.refresh()
    wait_for(lambda: station.status()["backend"]["queuedTransactionMessages"] == 0, timeout=30, what="an empty queue")
    assert security_events(cs, mark).count("ResetOrReboot") == 1
