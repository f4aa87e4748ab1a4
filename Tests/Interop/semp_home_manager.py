"""A Sunny Home Manager (the energy manager, "EM") for the SEMP interop tests, written from SMA's SEMP documents:

- SMA, "Introduction SEMP for SMA Smart Home — Simple Energy Management Protocol" (M. Volkmar, 28.10.2014): SEMP is
  UPnP/SSDP discovery plus an HTTP/XML web service; the EM is the HTTP client, the device side ("SEMP gateway") the
  server; the EM GETs device information, status and planning requests once per minute and POSTs control commands.
- SMA, SEMP protocol specification (discovery and communication) and structure documentation, released by SMA "as
  is" in photovoltaikforum.com thread 104167 ("SEMP Protokollspezifikation"; the PDFs' own version numbers could not
  be retrieved for this module, the schema version below is exact): gateway device type
  `urn:schemas-simple-energy-management-protocol:device:Gateway:1`, the UPnP device description carrying
  `X_SEMPSERVICE` (server, basePath, transport HTTP/Pull, exchangeFormat XML, wsVersion) and the resources under the
  base path: `GET {base}/` (Device2EM with all DeviceInfo, DeviceStatus and PlanningRequest),
  `GET {base}/DeviceInfo|DeviceStatus|PlanningRequest[?DeviceId=…]` (the subsets) and `POST {base}/` (EM2Device).
- SEMP XML schema "Version: 1.3.0, 2015-03-24" (SMA Solar Technology AG), as shipped in the PyPI package pysma-plus
  0.5.4 (`pysmaplus/semp/sempxsd.py`); loaded from the installed package at run time, never copied. Every document
  this peer receives with a 2xx status or sends (except the deliberately raw ones) is validated against it.
- UPnP Device Architecture 1.0 §1 (SSDP): M-SEARCH to 239.255.255.250:1900 with `MAN: "ssdp:discover"`, answered
  by unicast `HTTP/1.1 200 OK` with CACHE-CONTROL, EXT, LOCATION, SERVER, ST, USN; NOTIFY ssdp:alive (HOST,
  CACHE-CONTROL, LOCATION, NT, NTS, SERVER, USN) and ssdp:byebye (HOST, NT, NTS, USN).

It is tolerant where a real Home Manager evidently is and records every tolerance as a quirk (strings in
`Announcement.quirks` and `Gateway.quirks`), so a test of our own station can demand `gateway.quirks == []`: headers
are matched case-insensitively with free whitespace, and a NOTIFY arriving as the answer to an M-SEARCH (what
pysma-plus sends) is accepted. It sends the standard form itself, with `MAN: "ssdp:discover"` spelled exactly so.

Threads and namespaces: one worker thread owns every socket and does all network I/O (SSDP, HTTP, the timed polls
and control re-sends); public methods hand their work to it and wait, so the peer can live in another network
namespace than pytest: `HomeManager(namespace=pair.manager)` makes the worker enter that namespace first
(netns.Namespace.enter_this_thread). Without a namespace it uses the caller's network.

The API (all durations in seconds; `gateway` arguments default to the first one discovered):
    hm = HomeManager(namespace=None, poll_period_s=60.0, control_period_s=60.0).start()   # or `with HomeManager(...)`
    hm.discover(timeout_s=10) -> Gateway          M-SEARCH every 0.5 s until a gateway's description is read
    hm.search(target=GATEWAY_URN)                 one M-SEARCH (e.g. "ssdp:all")
    hm.gateways -> {usn_uuid: Gateway}; hm.announcements -> [Announcement]  (M-SEARCH answers, NOTIFY alive/byebye)
    hm.poll(gateway=None) -> dict                 GET {base}/, validated, decoded by the XSD (xmlschema.to_dict)
    hm.get(resource="DeviceInfo", device_id=None) -> Exchange    a sub-resource (validated when 2xx)
    hm.control(device_id, on, power_w=None, standing=True) -> Exchange
                                                  POST EM2Device/DeviceControl, validated before sending; with
                                                  `standing` it becomes the device's standing control, re-sent
                                                  (kind "resend") whenever none went to that device for
                                                  control_period_s (the Home Manager's 60 s)
    hm.post_raw(body, content_type="text/xml") -> Exchange      anything, unvalidated (malformed XML, bad ids)
    hm.silence() / hm.resume()                    stop / restart the timed polls and re-sends (the EM goes quiet)
    hm.exchanges -> [Exchange]; hm.exchanges_of(kind)   kinds: description, poll (timed), get (poll() and get()),
                                                  control, resend (timed), raw
    hm.wait_for(predicate(hm), timeout_s, what)   waits on the peer's state; raises AssertionError on timeout
    hm.errors -> [str]; hm.check()                every schema violation or failed background request; check() raises
    hm.close()
Timed polls start for each gateway once discovered when poll_period_s is not None.

Command line (inside a namespace: `ip netns exec NS python semp_home_manager.py discover`): discovers, prints the
gateway and one validated poll."""
import dataclasses
import json
import os
import queue
import select
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future
from xml.etree import ElementTree

from semp_messages import (GATEWAY_URN, SEMP_NS, SEMP_SERVICE_NS, SSDP_GROUP, SSDP_PORT, UPNP_DEVICE_NS, Announcement,
                           Exchange, Gateway, SempSchemaError, announcement_quirks, em2device, msearch, parse_ssdp,
                           semp_schema, validate)


class HomeManager:
    """The Sunny Home Manager peer; see the module docstring for the API."""

    def __init__(self, namespace=None, poll_period_s=60.0, control_period_s=60.0, http_timeout_s=5.0):
        self.namespace = namespace
        self.poll_period_s, self.control_period_s, self.http_timeout_s = poll_period_s, control_period_s, http_timeout_s
        self._cond = threading.Condition()
        self._announcements, self._exchanges, self._errors = [], [], []
        self._gateways = {}
        self._last_poll = {}  # gateway key → monotonic time of the last timed poll
        self._standing = {}  # (gateway key, device id) → [on, power_w, monotonic time last sent]
        self._quiet = False
        self._commands = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._stop = False
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy on the test LAN
        self._thread = None

    # ---- lifecycle

    def start(self):
        semp_schema()  # compile before the first exchange, not inside a timed one
        ready = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="semp-home-manager", daemon=True)
        self._thread.start()
        ready.result(timeout=10)
        return self

    def close(self):
        self._stop = True
        os.write(self._wake_w, b"x")
        if self._thread:
            self._thread.join(10)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ---- state (copies; safe from any thread)

    @property
    def announcements(self):
        with self._cond:
            return list(self._announcements)

    @property
    def exchanges(self):
        with self._cond:
            return list(self._exchanges)

    def exchanges_of(self, kind):
        return [e for e in self.exchanges if e.kind == kind]

    @property
    def gateways(self):
        with self._cond:
            return dict(self._gateways)

    @property
    def errors(self):
        with self._cond:
            return list(self._errors)

    def check(self):
        """Raises when any received or sent document failed the XSD or a background request failed."""
        if self.errors:
            raise AssertionError("SEMP peer errors:\n" + "\n".join(self.errors))

    def wait_for(self, predicate, timeout_s=10.0, what="condition"):
        """Waits until `predicate(self)` is truthy (re-checked on every change of the peer's state); returns it."""
        with self._cond:
            result = self._cond.wait_for(lambda: predicate(self), timeout_s)
        if not result:
            raise AssertionError(f"SEMP peer: timed out after {timeout_s} s waiting for {what}")
        return result

    # ---- discovery

    def search(self, target=GATEWAY_URN, mx=1):
        self._call(lambda: self._searcher.sendto(msearch(target, mx), (SSDP_GROUP, SSDP_PORT)))

    def discover(self, timeout_s=10.0, target=GATEWAY_URN):
        """M-SEARCH every 0.5 s (UDP may be lost, the gateway may still be starting) until a gateway is described."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.search(target)
            with self._cond:
                if self._cond.wait_for(lambda: self._gateways, min(0.5, max(0.0, deadline - time.monotonic()))):
                    return next(iter(self._gateways.values()))
            if time.monotonic() >= deadline:
                raise AssertionError(f"no SEMP gateway answered within {timeout_s} s; announcements: "
                                     f"{self.announcements}; errors: {self.errors}")

    # ---- SEMP web service

    def poll(self, gateway=None):
        """GET {base}/: the validated Device2EM, decoded (raises SempSchemaError / AssertionError)."""
        e = self._call(lambda: self._get(self._gateway(gateway), "", None, "get"))
        self._raise_schema_error(e)
        if e.status != 200 or e.document is None:
            raise AssertionError(f"poll of {e.url} failed: {e.status} {e.error or e.received!r}")
        return e.document

    def get(self, resource, device_id=None, gateway=None):
        """GET {base}/{resource}[?DeviceId=…] (DeviceInfo, DeviceStatus, PlanningRequest); raises on a schema error."""
        e = self._call(lambda: self._get(self._gateway(gateway), resource, device_id, "get"))
        self._raise_schema_error(e)
        return e

    def control(self, device_id, on, power_w=None, gateway=None, timestamp_s=0, standing=True):
        """POSTs one DeviceControl; with `standing` it replaces the device's standing control, which is re-sent
        whenever no control went to that device for control_period_s."""
        gw = self._gateway(gateway)
        body = em2device([(device_id, on, power_w, timestamp_s)])
        validate(body, "the EM2Device this peer was about to send")

        def send():
            if standing:
                with self._cond:
                    self._standing[(gw.key, device_id)] = [on, power_w, time.monotonic()]
            return self._post(gw, body, "control")
        e = self._call(send)
        self._raise_schema_error(e)
        return e

    def post_raw(self, body, content_type="text/xml", gateway=None):
        """POSTs `body` to {base}/ as it is (malformed XML, ids off the pattern): nothing validated on the way out."""
        gw = self._gateway(gateway)
        return self._call(lambda: self._post(gw, body, "raw", content_type=content_type, check_sent=False))

    def silence(self):
        """The Home Manager goes quiet: no timed polls or re-sends until resume() (explicit calls still work)."""
        with self._cond:
            self._quiet = True

    def resume(self):
        with self._cond:
            self._quiet = False
            now = time.monotonic()
            for key in self._last_poll:
                self._last_poll[key] = now - (self.poll_period_s or 0)  # poll at once, as after a restart
        os.write(self._wake_w, b"x")

    # ---- the worker

    def _call(self, fn):
        if threading.current_thread() is self._thread:
            return fn()
        future = Future()
        self._commands.put((fn, future))
        os.write(self._wake_w, b"x")
        return future.result(timeout=self.http_timeout_s * 4 + 10)

    def _run(self, ready):
        try:
            if self.namespace is not None:
                self.namespace.enter_this_thread()
            self._listener, self._searcher = self._sockets()
        except BaseException as e:
            ready.set_exception(e)
            return
        ready.set_result(True)
        try:
            while not self._stop:
                readable, _, _ = select.select([self._listener, self._searcher, self._wake_r], [], [], self._idle_s())
                try:
                    for sock in readable:
                        if sock is self._wake_r:
                            os.read(self._wake_r, 4096)
                        else:
                            self._receive(sock)
                    self._timers()
                except Exception as e:  # a peer bug must not stop the worker: every later call would hang
                    self._error(f"worker: {e!r}")
                while not self._commands.empty():
                    fn, future = self._commands.get()
                    try:
                        future.set_result(fn())
                    except BaseException as e:  # handed to the caller
                        future.set_exception(e)
        finally:
            self._listener.close()
            self._searcher.close()

    def _sockets(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", SSDP_PORT))
        membership = struct.pack("4s4s", socket.inet_aton(SSDP_GROUP), socket.inet_aton("0.0.0.0"))
        listener.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        searcher = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        searcher.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        searcher.bind(("", 0))
        for s in (listener, searcher):
            s.setblocking(False)
        return listener, searcher

    def _idle_s(self):
        due = []
        with self._cond:
            if not self._quiet:
                if self.poll_period_s is not None:
                    due += [t + self.poll_period_s for t in self._last_poll.values()]
                due += [s[2] + self.control_period_s for s in self._standing.values()]
        return min(1.0, max(0.0, min(due) - time.monotonic())) if due else 1.0

    def _timers(self):
        now = time.monotonic()
        with self._cond:
            if self._quiet:
                return
            polls = [k for k, t in self._last_poll.items() if self.poll_period_s is not None and now >= t + self.poll_period_s]
            resends = [(k, s) for k, s in self._standing.items() if now >= s[2] + self.control_period_s]
        for key in polls:
            with self._cond:
                self._last_poll[key] = now
                gw = self._gateways.get(key)
            if gw:
                self._get(gw, "", None, "poll")
        for (key, device_id), standing in resends:
            with self._cond:
                standing[2] = now
                gw = self._gateways.get(key)
            if gw:
                self._post(gw, em2device([(device_id, standing[0], standing[1], 0)]), "resend")

    # ---- SSDP

    def _receive(self, sock):
        while True:
            try:
                data, source = sock.recvfrom(65536)
            except BlockingIOError:
                return
            start, headers = parse_ssdp(data)
            quirks = []
            if start.upper().startswith("HTTP/1.1 200"):
                kind, target = "response", headers.get("st", "")
            elif start.upper().startswith("NOTIFY"):
                kind, target = headers.get("nts", "").removeprefix("ssdp:"), headers.get("nt", "")
                if kind not in ("alive", "byebye"):
                    continue
                if sock is self._searcher:  # sent to our search port: meant as the answer
                    kind = "response"
                    quirks.append("answered M-SEARCH with a NOTIFY datagram")
            else:
                continue  # M-SEARCH (our own, looped back) and anything else
            quirks += announcement_quirks(kind, target, headers)
            a = Announcement(kind, target, headers.get("usn", ""), headers.get("location"), source, headers, quirks,
                             time.monotonic())
            with self._cond:
                self._announcements.append(a)
                self._cond.notify_all()
            self._learn(a)

    def _learn(self, a):
        key = a.usn.split("::")[0]
        if a.kind == "byebye":
            with self._cond:
                if self._gateways.pop(key, None) is not None:
                    self._last_poll.pop(key, None)
                    self._cond.notify_all()
            return
        with self._cond:
            known = self._gateways.get(key)
        if a.target != GATEWAY_URN or not a.location or (known and known.location == a.location):
            return
        gw = self._describe(key, a)
        if gw:
            with self._cond:
                self._gateways[key] = gw
                self._last_poll[key] = time.monotonic() - (self.poll_period_s or 0)  # first timed poll at once
                self._cond.notify_all()

    def _describe(self, key, a):
        e = self._http("GET", a.location, None, "description", None)
        if e.status != 200:
            return self._error(f"description {a.location}: {e.status} {e.error or ''}")
        try:
            device = ElementTree.fromstring(e.received).find(f"{{{UPNP_DEVICE_NS}}}device")
            service = device.find(f"{{{SEMP_SERVICE_NS}}}X_SEMPSERVICE")
            text = lambda el, tag, ns=UPNP_DEVICE_NS: (el.findtext(f"{{{ns}}}{tag}") or "").strip()  # noqa: E731
            gw = Gateway(key, a.location, text(device, "UDN"), text(device, "friendlyName"), text(device, "deviceType"),
                         text(service, "server", SEMP_SERVICE_NS), text(service, "basePath", SEMP_SERVICE_NS),
                         text(service, "wsVersion", SEMP_SERVICE_NS), e.received, list(a.quirks))
        except (ElementTree.ParseError, AttributeError) as err:
            return self._error(f"description {a.location} is not a UPnP device with X_SEMPSERVICE: {err}")
        if gw.udn != key:
            gw.quirks.append(f"description UDN {gw.udn!r} differs from the USN's {key!r}")
        if gw.device_type != GATEWAY_URN:
            gw.quirks.append(f"deviceType {gw.device_type!r}")
        gw.quirks += [f"description without {tag}" for tag in ("friendlyName", "manufacturer", "modelName", "UDN")
                      if not text(device, tag)]  # UDA 1.0 §2.1: required
        for tag, expected in (("transport", "HTTP/Pull"), ("exchangeFormat", "XML")):
            if text(service, tag, SEMP_SERVICE_NS) != expected:
                gw.quirks.append(f"X_SEMPSERVICE {tag} {text(service, tag, SEMP_SERVICE_NS)!r}, not {expected}")
        if not gw.server.startswith("http://") or not gw.base_path.startswith("/"):
            return self._error(f"X_SEMPSERVICE server {gw.server!r} basePath {gw.base_path!r} unusable")
        return gw

    # ---- HTTP

    def _gateway(self, gateway):
        if gateway is not None:
            return gateway
        gateways = self.gateways
        if not gateways:
            raise AssertionError("no SEMP gateway discovered yet (call discover())")
        return next(iter(gateways.values()))

    def _get(self, gw, resource, device_id, kind):
        return self._http("GET", gw.url(resource, device_id), None, kind, "Device2EM")

    def _post(self, gw, body, kind, content_type="text/xml", check_sent=True):
        if check_sent:
            try:
                validate(body, f"{kind} EM2Device")
            except SempSchemaError as err:
                self._error(str(err))
        return self._http("POST", gw.url(), body, kind, None, content_type)

    def _http(self, method, url, body, kind, expected_root, content_type="text/xml"):
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": content_type} if data is not None else {})
        status, received, ctype, error, started = None, "", None, None, time.monotonic()
        try:
            with self._opener.open(request, timeout=self.http_timeout_s) as r:
                status, received, ctype = r.status, r.read().decode("utf-8", "replace"), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, received, ctype = e.code, e.read().decode("utf-8", "replace"), e.headers.get("Content-Type")
        except (OSError, urllib.error.URLError) as e:
            error = f"{method} {url}: {e}"
        document, invalid = None, None
        if status is not None and 200 <= status < 300 and received.strip() and kind != "description":
            try:
                document = validate(received, f"{method} {url} answer")
                root = ElementTree.fromstring(received).tag
                if expected_root and root != f"{{{SEMP_NS}}}{expected_root}":
                    raise SempSchemaError(f"{method} {url} answered {root}, not {expected_root}")
            except SempSchemaError as err:
                document, invalid = None, str(err)
                self._error(invalid)
        elif error and kind in ("poll", "resend"):
            self._error(error)  # a background request nobody waits for
        sent = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        e = Exchange(kind, method, url, status, sent, received, ctype, document, invalid, error, started)
        with self._cond:
            self._exchanges.append(e)
            self._cond.notify_all()
        return e

    def _error(self, message):
        with self._cond:
            self._errors.append(message)
            self._cond.notify_all()
        return None

    @staticmethod
    def _raise_schema_error(e):
        if e.invalid:
            raise SempSchemaError(e.invalid)


def main(argv):
    timeout_s = float(argv[argv.index("--timeout") + 1]) if "--timeout" in argv else 10.0
    if not argv or argv[0] != "discover":
        print(__doc__)
        return 2
    with HomeManager(poll_period_s=None) as hm:
        gw = hm.discover(timeout_s)
        print(json.dumps({k: v for k, v in dataclasses.asdict(gw).items() if k != "description"}, indent=2))
        print(json.dumps(hm.poll(gw), indent=2, default=str))
        hm.check()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
