"""The Sunny Home Manager peer (semp_home_manager.py) against an independent SEMP gateway: pysma-plus' device side
(semp_pysma_gateway.py) in the station namespace, the peer in the manager namespace (netns.py), so the peer that the
station's SEMP scenarios rely on is itself checked on discovery, polling, validation, control and re-sends. The
namespace tests skip unless root; the schema tests at the end need nothing."""
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from station import Station
from semp_home_manager import (GATEWAY_URN, Gateway, HomeManager, SempSchemaError, em2device, parse_ssdp,
                               validate)

HERE = Path(__file__).resolve().parent
DEVICE_ID = "F-11223344-000000000001-00"
PORT = 8080


def send_xml(handler, body):
    """Answers a test gateway's request with `body` as text/xml."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class PysmaGateway:
    """semp_pysma_gateway.py running in a namespace; `events` are the JSON lines it prints (the controls it got)."""

    def __init__(self, namespace):
        self.proc = namespace.popen([sys.executable, HERE / "semp_pysma_gateway.py", namespace.address, PORT, DEVICE_ID],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda e: e.get("ready"), 0, "pysma-plus gateway ready")

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.events.append(json.loads(line))
                self.cond.notify_all()

    def wait(self, match, since, what, timeout_s=15):
        """The first event from index `since` on that `match`es."""
        with self.cond:
            found = self.cond.wait_for(lambda: next((e for e in self.events[since:] if match(e)), None), timeout_s)
        assert found, f"timed out waiting for {what}; events {self.events}; exit {self.proc.poll()}"
        return found

    def close(self):
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def pysma(netns_pair):
    g = PysmaGateway(netns_pair.station)
    yield g
    g.close()


@pytest.fixture
def hm(netns_pair, pysma):
    with HomeManager(namespace=netns_pair.manager, poll_period_s=None, control_period_s=60.0) as peer:
        yield peer
        peer.check()


def test_semp_peer_discovers_pysma_plus_and_reads_its_description(netns_pair, hm):
    gw = hm.discover(timeout_s=15)
    assert gw.server == f"http://{netns_pair.station.address}:{PORT}" and gw.base_path == "/semp"
    assert gw.device_type == GATEWAY_URN and gw.ws_version == "1.1.5"
    assert gw.key.startswith("uuid:") and gw.location.endswith("/description.xml")
    # pysma-plus' deviations, tolerated and named (a UDA 1.0 gateway such as the station must have none):
    assert [q.split(" '")[0] for q in gw.quirks] == ["answered M-SEARCH with a NOTIFY datagram", "response without EXT",
                                                    "response without ST", "description UDN"]
    # The M-SEARCH went out in the standard form with pysma-plus' exact MAN spelling, or it would not have answered.
    assert hm.exchanges_of("description")[0].status == 200


def test_semp_peer_listens_to_notify_alive(hm):
    gw = hm.discover(timeout_s=15)
    hm.search("ssdp:all")  # pysma-plus answers ssdp:all by multicasting its three NOTIFY ssdp:alive
    alive = hm.wait_for(lambda p: [a for a in p.announcements if a.kind == "alive"] if
                        {a.target for a in p.announcements if a.kind == "alive"} >= {GATEWAY_URN, "upnp:rootdevice", gw.key}
                        else None, 10, "NOTIFY ssdp:alive for the gateway URN, the root device and the uuid")
    assert all(a.quirks == [] and a.usn.startswith(gw.key) for a in alive)


def test_semp_peer_forgets_a_gateway_on_byebye(netns_pair, hm):
    gw = hm.discover(timeout_s=15)
    byebye = (f"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: {GATEWAY_URN}\r\nNTS: ssdp:byebye\r\n"
              f"USN: {gw.key}::{GATEWAY_URN}\r\n\r\n").encode()

    def multicast():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(byebye, ("239.255.255.250", 1900))
    netns_pair.station.call(multicast)
    hm.wait_for(lambda p: gw.key not in p.gateways, 10, "the gateway forgotten after ssdp:byebye")
    assert [a for a in hm.announcements if a.kind == "byebye"][0].quirks == []


UDA_KEY = "uuid:2f3e1c58-7a6b-4c1d-9e0f-a1b2c3d4e5f6"


class UdaDescription(BaseHTTPRequestHandler):
    """The UPnP device description of a gateway that follows UDA 1.0 and the SEMP documents to the letter."""

    def do_GET(self):
        host = self.server.server_address
        body = f"""<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major>
<minor>0</minor></specVersion><device><deviceType>{GATEWAY_URN}</deviceType><friendlyName>UDA gateway</friendlyName>
<manufacturer>test</manufacturer><modelName>uda</modelName><UDN>{UDA_KEY}</UDN>
<semp:X_SEMPSERVICE xmlns:semp="urn:schemas-simple-energy-management-protocol:service-1-0">
<semp:server>http://{host[0]}:{host[1]}</semp:server><semp:basePath>/semp</semp:basePath>
<semp:transport>HTTP/Pull</semp:transport><semp:exchangeFormat>XML</semp:exchangeFormat>
<semp:wsVersion>1.3.0</semp:wsVersion></semp:X_SEMPSERVICE></device></root>""".encode()
        send_xml(self, body)

    def log_message(self, *args):
        pass


def test_semp_peer_finds_no_quirk_in_a_uda_conforming_gateway(netns_pair, hm):
    """So that `gateway.quirks == []` is a fair demand on the station: a gateway answering M-SEARCH per UDA 1.0."""
    address = netns_pair.station.address

    def open_sockets():
        http = ThreadingHTTPServer((address, 0), UdaDescription)
        ssdp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ssdp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # pysma-plus' gateway listens on 1900 too
        ssdp.bind(("", 1900))
        ssdp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("239.255.255.250") +
                        socket.inet_aton(address))
        ssdp.settimeout(0.2)
        return http, ssdp
    http, ssdp = netns_pair.station.call(open_sockets)
    stop = threading.Event()

    def answer():
        while not stop.is_set():
            try:
                data, source = ssdp.recvfrom(4096)
            except socket.timeout:
                continue
            start, headers = parse_ssdp(data)
            if start.startswith("M-SEARCH") and headers.get("st") == GATEWAY_URN:
                ssdp.sendto((f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                             f"LOCATION: http://{address}:{http.server_address[1]}/description.xml\r\n"
                             f"SERVER: Linux/6 UPnP/1.0 test/1\r\nST: {GATEWAY_URN}\r\n"
                             f"USN: {UDA_KEY}::{GATEWAY_URN}\r\n\r\n").encode(), source)
    threads = [threading.Thread(target=http.serve_forever, daemon=True), threading.Thread(target=answer, daemon=True)]
    for t in threads:
        t.start()
    try:
        hm.search()
        gw = hm.wait_for(lambda p: p.gateways.get(UDA_KEY), 10, "the UDA gateway described")
        assert gw.quirks == [] and gw.ws_version == "1.3.0"
        assert [a.quirks for a in hm.announcements if a.usn.startswith(UDA_KEY)] == [[]]
    finally:
        stop.set()
        http.shutdown()
        http.server_close()
        threads[1].join(5)
        ssdp.close()


def test_semp_peer_polls_and_validates_device2em(hm):
    hm.discover(timeout_s=15)
    doc = hm.poll()  # validated against the SEMP 1.3.0 XSD of pysma-plus, decoded with typed values
    info, = doc["DeviceInfo"]
    assert info["Identification"]["DeviceId"] == DEVICE_ID
    assert info["Characteristics"]["MaxPowerConsumption"] == 2000
    status, = doc["DeviceStatus"]
    assert status["Status"] == "on" and status["PowerConsumption"]["PowerInfo"][0]["AveragePower"] == 1200
    frame, = doc["PlanningRequest"][0]["Timeframe"]
    assert frame["DeviceId"] == DEVICE_ID and (frame["MinRunningTime"], frame["MaxRunningTime"]) == (600, 1800)
    # pysma-plus serves no sub-resources: the peer asks and reports the status without a schema error.
    assert hm.get("DeviceInfo", device_id=DEVICE_ID).status == 404


def test_semp_peer_polls_every_period_once_discovered(netns_pair, pysma):
    with HomeManager(namespace=netns_pair.manager, poll_period_s=0.3) as peer:
        peer.discover(timeout_s=15)
        peer.wait_for(lambda p: len(p.exchanges_of("poll")) >= 3, 10, "three timed polls")
        polls = peer.exchanges_of("poll")
        assert all(e.status == 200 and e.document for e in polls)
        assert all(b.at - a.at >= 0.25 for a, b in zip(polls, polls[1:]))
        peer.check()


def test_semp_peer_controls_and_resends_every_period(netns_pair, pysma):
    since = len(pysma.events)
    with HomeManager(namespace=netns_pair.manager, poll_period_s=None, control_period_s=0.3) as peer:
        peer.discover(timeout_s=15)
        e = peer.control(DEVICE_ID, on=True, power_w=1500)
        assert e.status == 200
        assert validate(e.sent)["DeviceControl"][0] == {"DeviceId": DEVICE_ID, "On": True,
                                                          "RecommendedPowerConsumption": 1500.0, "Timestamp": 0}
        pysma.wait(lambda ev: ev.get("deviceId") == DEVICE_ID and ev["on"] is True, since, "control on")
        peer.wait_for(lambda p: len(p.exchanges_of("resend")) >= 3, 10, "three re-sends of the standing control")
        sent = [peer.exchanges_of("control")[0], *peer.exchanges_of("resend")]
        assert all(b.at - a.at >= 0.25 for a, b in zip(sent, sent[1:]))  # one per period, not more
        assert all(x.sent == e.sent and x.status == 200 for x in sent)
        # A new control replaces the standing one: switch off.
        since = len(pysma.events)
        peer.control(DEVICE_ID, on=False, power_w=0)
        pysma.wait(lambda ev: ev.get("on") is False, since, "control off")
        peer.wait_for(lambda p: "<On>false</On>" in p.exchanges_of("resend")[-1].sent, 10, "the off control re-sent")
        # Silence: nothing more goes out. Absence can only be shown over a window: three periods.
        peer.silence()
        count = len(peer.exchanges)
        time.sleep(0.9)
        assert len(peer.exchanges) == count
        peer.resume()
        peer.wait_for(lambda p: len(p.exchanges) > count, 10, "re-sends again after resume()")
        peer.check()


def test_semp_peer_sends_malformed_xml_and_unknown_device_ids(hm, pysma):
    hm.discover(timeout_s=15)
    raw = hm.post_raw("<EM2Device xmlns='http://www.sma.de/communication/schema/SEMP/v1'><DeviceControl>")
    assert raw.sent.startswith("<EM2Device") and raw.status == 500  # pysma-plus' answer; the station must say 400
    since = len(pysma.events)
    unknown = "F-11223344-0000000000FF-00"
    assert hm.control(unknown, on=True, power_w=4200, standing=False).status == 200  # pysma-plus accepts any id
    pysma.wait(lambda ev: ev.get("deviceId") == unknown, since, "the unknown id delivered")
    with pytest.raises(SempSchemaError):
        hm.control("not-a-device-id", on=True)  # the peer validates what it sends: off-pattern ids go by post_raw


class OffSchemaGateway(BaseHTTPRequestHandler):
    """Serves a Device2EM in SEMP 1.1.5's Characteristics order (Min before Max), which the 1.3.0 XSD rejects."""

    def do_GET(self):
        body = DEVICE2EM_MIN_BEFORE_MAX.encode()
        send_xml(self, body)

    def log_message(self, *args):
        pass


def test_semp_peer_flags_a_gateway_answer_off_the_schema(netns_pair, pysma):
    server = netns_pair.station.call(lambda: ThreadingHTTPServer((netns_pair.station.address, 0), OffSchemaGateway))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gw = Gateway("uuid:off-schema", "", "uuid:off-schema", "off schema", GATEWAY_URN,
                 f"http://{netns_pair.station.address}:{server.server_address[1]}", "/semp", "1.1.5", "", [])
    try:
        with HomeManager(namespace=netns_pair.manager, poll_period_s=None) as peer:
            with pytest.raises(SempSchemaError, match="MinPowerConsumption|MaxPowerConsumption"):
                peer.poll(gateway=gw)
            assert len(peer.errors) == 1 and "does not validate" in peer.errors[0]
    finally:
        server.shutdown()
        server.server_close()


DEVICE2EM_MIN_BEFORE_MAX = f"""<Device2EM xmlns="http://www.sma.de/communication/schema/SEMP/v1"><DeviceInfo>
<Identification><DeviceId>{DEVICE_ID}</DeviceId><DeviceName>x</DeviceName><DeviceType>EVCharger</DeviceType>
<DeviceSerial>1</DeviceSerial><DeviceVendor>x</DeviceVendor></Identification>
<Characteristics><MinPowerConsumption>1380</MinPowerConsumption><MaxPowerConsumption>11040</MaxPowerConsumption>
</Characteristics><Capabilities><CurrentPower><Method>Measurement</Method></CurrentPower></Capabilities>
</DeviceInfo></Device2EM>"""


def test_netns_station_runs_in_the_station_namespace_and_is_reached_from_inside(netns_pair, data_dir):
    """The harness the station's SEMP scenarios use: `Station.namespace` runs the binary, its API and `sim` inside."""
    station = Station(data_dir, connectors=1)
    station.namespace = netns_pair.station
    try:
        station.start()
        assert station.proc.pid in netns_pair.station.pids()
        assert station.sim("plug", "1").returncode == 0
        station.wait_status(1, "Preparing")
    finally:
        station.terminate()


def test_semp_schema_rejects_semp_1_1_5_characteristics_order_and_takes_1_3_0():
    with pytest.raises(SempSchemaError):
        validate(DEVICE2EM_MIN_BEFORE_MAX)
    fixed = DEVICE2EM_MIN_BEFORE_MAX.replace("<MinPowerConsumption>1380</MinPowerConsumption>", "").replace(
        "</MaxPowerConsumption>", "</MaxPowerConsumption><MinPowerConsumption>1380</MinPowerConsumption>")
    assert validate(fixed)["DeviceInfo"][0]["Characteristics"] == {"MaxPowerConsumption": 11040, "MinPowerConsumption": 1380}
    assert validate(em2device([(DEVICE_ID, True, 4140.5, 0)]))["DeviceControl"][0]["RecommendedPowerConsumption"] == 4140.5
    with pytest.raises(SempSchemaError):
        validate(em2device([("F-1-2-3", True, None, 0)]))


def test_ssdp_headers_are_read_case_insensitively_with_free_whitespace():
    start, headers = parse_ssdp(b"HTTP/1.1 200 OK\r\ncache-control:max-age = 1800\r\nLocation:  http://h/d.xml \r\n"
                                b"st:" + GATEWAY_URN.encode() + b"\r\n \r\n")
    assert start == "HTTP/1.1 200 OK"
    assert headers == {"cache-control": "max-age = 1800", "location": "http://h/d.xml", "st": GATEWAY_URN}
