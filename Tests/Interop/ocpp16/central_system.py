"""An independent OCPP 1.6J central system for the conformance tests: the Python `ocpp` library on a `websockets`
server, run in a background thread so that the tests stay synchronous. It records every frame in both directions.

Every frame the charge point sends is checked when it arrives, before any test can see it: OCPP-J framing, the
official JSON schema of its action (CALLs, and CALLRESULTs against the action of the CALL they answer), unique
message ids of at most 36 characters (a retransmission may repeat its message's), one outstanding CALL, date-times
in `YYYY-MM-DDTHH:MM:SS(.sss)Z` form. A CALLERROR from the charge point is a violation unless the test sees it
(`call` raises it, `raw_answers` returns it), and so is a CALLERROR of the central system itself that the test did
not ask for (`fail_start`). `wait_call` fails at once when a frame of the awaited action is invalid; `check()` (every
central-system fixture calls it at teardown) fails the test with every violation."""
import asyncio
import decimal
import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import websockets
from websockets.asyncio.server import serve
from websockets.frames import Opcode
from ocpp.messages import get_validator
from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
DATE_KEYS = {"timestamp", "currentTime", "expiryDate", "startSchedule", "validFrom", "validTo", "retrieveDate"}


ERROR_CODES = {"NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError", "FormationViolation",
               "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError"}
# The library parses these with decimal.Decimal (multipleOf 0.1); its validator cache is shared, so do the same.
DECIMAL_SCHEMAS = {(2, "SetChargingProfile"), (2, "RemoteStartTransaction"), (3, "GetCompositeSchedule")}


def schema_errors(message_type_id, action, raw_payload):
    """The OCPP 1.6 JSON schema errors of a CALL (2) or CALLRESULT (3) payload, with the `ocpp` library's own
    validators; `raw_payload` is the payload re-serialized as JSON text."""
    decimals = (message_type_id, action) in DECIMAL_SCHEMAS
    try:
        validator = get_validator(message_type_id, action, "1.6", parse_float=decimal.Decimal if decimals else float)
    except OSError:
        return [f"no OCPP 1.6 schema for {action}{'Response' if message_type_id == 3 else ''}"]
    payload = json.loads(raw_payload, parse_float=decimal.Decimal) if decimals else json.loads(raw_payload)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(payload)'}: {e.message}"
            for e in sorted(validator.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))]


def now_iso(offset_seconds=0):
    t = datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Recorder(CP):
    """The library's charge point model with handlers that answer like a permissive backend; the answers can be
    changed per test through the owning CentralSystem."""

    def __init__(self, cp_id, ws, cs):
        super().__init__(cp_id, ws, response_timeout=30)
        self.cs = cs

    async def route_message(self, raw):
        self.cs._record("in", raw, self.id)
        try:
            action = json.loads(raw)[2] if json.loads(raw)[0] == 2 else None
        except (ValueError, IndexError, KeyError, TypeError):
            action = None
        if action in self.cs.close_after_answering:
            # The handler answers and the connection closes right behind the answer (the close is scheduled first).
            asyncio.ensure_future(self._connection.close())
        return await super().route_message(raw)

    async def _send(self, message):
        self.cs._record("out", message, self.id)
        await super()._send(message)

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        status, interval = self.cs.boot_answers.pop(0) if self.cs.boot_answers else ("Accepted", self.cs.heartbeat_interval)
        # A test may decide by the boot's content (e.g. reject one firmware version): (status, interval) or None.
        if self.cs.boot_decider and (decided := self.cs.boot_decider(kw)):
            status, interval = decided
        return call_result.BootNotification(current_time=now_iso(self.cs.time_offset), interval=interval, status=status)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        return call_result.Heartbeat(current_time=now_iso(self.cs.time_offset))

    @on(Action.status_notification)
    def on_status(self, **kw):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kw):
        return call_result.Authorize(id_tag_info=self.cs.id_tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start(self, connector_id, id_tag, meter_start, timestamp, call_unique_id, **kw):
        if self.cs.fail_start > 0:
            self.cs.fail_start -= 1
            with self.cs._lock:
                self.cs._asked_errors.add((self.id, call_unique_id))
            raise self.cs.failure
        self.cs.last_transaction_id += 1
        return call_result.StartTransaction(transaction_id=self.cs.last_transaction_id, id_tag_info=self.cs.id_tag_info(id_tag))

    @on(Action.stop_transaction)
    def on_stop(self, meter_stop, timestamp, transaction_id, call_unique_id, **kw):
        if self.cs.fail_stop > 0:
            self.cs.fail_stop -= 1
            with self.cs._lock:
                self.cs._asked_errors.add((self.id, call_unique_id))
            raise self.cs.failure
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, **kw):
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status, **kw):
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status, **kw):
        return call_result.DiagnosticsStatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kw):
        if self.cs.data_transfer is not None:
            # A test's handler: (vendorId, messageId, data) -> (status, data)
            status, data = self.cs.data_transfer(vendor_id, kw.get("message_id"), kw.get("data"))
            return call_result.DataTransfer(status=status, data=data)
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.sign_certificate)
    def on_sign_certificate(self, csr, **kw):
        # Security whitepaper A02: the central system forwards the CSR to its CA; the test answers with CertificateSigned.
        return call_result.SignCertificate(status="Accepted")

    # The security extension's notifications (OCPP 1.6 security whitepaper ed. 3).
    @on(Action.security_event_notification)
    def on_security_event(self, type, timestamp, call_unique_id, **kw):
        if self.cs.security_event_failure is not None:
            # Like SteVe, which answers SecurityEventNotification with CALLERROR NotImplemented (EVerest/libocpp#495).
            with self.cs._lock:
                self.cs._asked_errors.add((self.id, call_unique_id))
            raise self.cs.security_event_failure
        return call_result.SecurityEventNotification()

    @on(Action.log_status_notification)
    def on_log_status(self, status, **kw):
        return call_result.LogStatusNotification()

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status(self, status, **kw):
        return call_result.SignedFirmwareStatusNotification()


class CentralSystem:
    def __init__(self, ssl_context=None, host="127.0.0.1", agree_subprotocol=True, route=None):
        self.ssl_context = ssl_context  # wss:// when set
        # A regular expression the request path must match in full, with the charge point id as its group "id"; other
        # paths are answered HTTP 500 before the upgrade, like central systems that route only their own path form
        # (the PyPI central system arthexis serves only "…/<id>/"). None: any path, the id is the last segment.
        self.route = re.compile(route) if route else None
        self.refused_paths = []
        self.agree_subprotocol = agree_subprotocol  # False: complete the handshake without Sec-WebSocket-Protocol
        self.host = host  # the host name in the URL the station is given
        self.frames = []  # (direction, time, parsed JSON, charge point id) — "in" = from the charge point
        self.violations = []
        self.boot_answers = []
        self.boot_decider = None
        self.heartbeat_interval = 300
        self.time_offset = 0  # seconds the central system's clock is ahead of the real time
        self.id_tags = {}  # idTag -> status; unknown tags are Accepted
        self.parents = {}  # idTag -> parentIdTag
        self.last_transaction_id = 100
        self.fail_start = 0  # answer the next N StartTransactions with the CALLERROR `failure`
        self.fail_stop = 0  # the same for StopTransactions
        self.close_after_answering = set()  # actions after whose answer the central system closes the connection
        self.failure = None
        self.security_event_failure = None  # an ocpp exception: SecurityEventNotification answered with this CALLERROR
        self.data_transfer = None  # (vendorId, messageId, data) -> (status, data) answering the charge point's DataTransfer
        self.cp = None  # the charge point that connected last
        self.cps = {}  # charge point id (the last path segment) -> its open connection's model
        self.connections = 0
        self.closed = []  # (monotonic time, close code) of every connection that ended
        self.pings = []  # monotonic times of the charge point's WebSocket pings
        self.answer_pings = True
        self.auth_headers = []
        self.peer_certs = []  # the client certificate of each connection as ssl's getpeercert() gives it (None: none)
        self.paths = []
        self.subprotocols = []
        self._ids = {}  # (charge point id, message id) -> (action, payload) of the CALLs the charge point sent
        self._outstanding = {}  # charge point id -> its CALL that is not answered yet
        self._sent = {}  # (charge point id, message id) -> action of a CALL the central system sent
        self._seen = set()  # (charge point id, message id) of CALLs whose answer the test sees (call, raw_answers)
        self._expected_invalid = set()  # message ids of raw CALLs whose answer may break the schema (test's choice)
        self._asked_errors = set()  # (charge point id, message id) of CALLs the central system fails on purpose
        self._station_errors = []  # (charge point id, message id, frame) of CALLERRORs the charge point sent
        self._invalid = {}  # frame index -> what is wrong with it
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port = None

    # -- server --------------------------------------------------------------------------------
    def start(self, port=0):
        async def go():
            self._server = await serve(self._handle, "127.0.0.1", port, ssl=self.ssl_context, process_request=self._route,
                                       **({"subprotocols": ["ocpp1.6"]} if self.agree_subprotocol
                                          else {"select_subprotocol": lambda connection, offered: None}))
            return self._server.sockets[0].getsockname()[1]
        self.port = asyncio.run_coroutine_threadsafe(go(), self._loop).result(10)
        return self

    @property
    def url(self):
        return f"{'wss' if self.ssl_context else 'ws'}://{self.host}:{self.port}/ocpp"

    def stop_server(self):
        """Closes the listening socket and every connection (a network cut)."""
        async def go():
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(go(), self._loop).result(20)
        self.cp = None
        self.cps = {}

    def restart_server(self):
        self.start(self.port)

    def _run(self, coro, timeout=10):
        """Runs a coroutine on the central system's loop and returns its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def shutdown(self):
        try:
            self.stop_server()
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _route(self, connection, request):
        if self.route is None or self.route.fullmatch(request.path):
            return None
        self.refused_paths.append(request.path)
        return connection.respond(500, "no route for this path\n")

    async def _handle(self, ws):
        self.connections += 1
        self.paths.append(ws.request.path)
        self.auth_headers.append(ws.request.headers.get("Authorization"))
        self.peer_certs.append(ws.transport.get_extra_info("peercert") if self.ssl_context else None)
        self.subprotocols.append(ws.subprotocol)
        cp_id = self.route.fullmatch(ws.request.path).group("id") if self.route else ws.request.path.rsplit("/", 1)[-1]
        cp = Recorder(cp_id, ws, self)
        self._watch_pings(ws)
        with self._lock:
            self._outstanding.pop(cp.id, None)  # a CALL left unanswered by a lost connection may be sent again
        self.cp = cp
        self.cps[cp.id] = cp
        try:
            await cp.start()
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            self.closed.append((time.monotonic(), ws.close_code))
            if self.cps.get(cp.id) is cp:
                del self.cps[cp.id]

    def _watch_pings(self, ws):
        """Records the WebSocket pings of the charge point (`pings`: monotonic times) and, while `answer_pings` is
        False, swallows the pongs the connection would answer them with (a half-open link)."""
        process_event, send_frame = ws.process_event, ws.protocol.send_frame

        def on_event(event):
            if event.opcode is Opcode.PING:
                self.pings.append(time.monotonic())
            process_event(event)

        def on_send(frame):
            if frame.opcode is Opcode.PONG and not self.answer_pings:
                return
            send_frame(frame)
        ws.process_event, ws.protocol.send_frame = on_event, on_send

    # -- recording and checks ------------------------------------------------------------------
    def _record(self, direction, raw, cp_id):
        try:
            msg = json.loads(raw)
        except ValueError:
            msg = raw
        with self._lock:
            index = len(self.frames)
            self.frames.append((direction, time.monotonic(), msg, cp_id))
            problems = self._check_in(msg, raw, cp_id) if direction == "in" else self._check_out(msg, cp_id)
            if problems:
                self._invalid[index] = problems
                self.violations.extend(problems)

    def _check_in(self, msg, raw, cp_id):
        """What is wrong with a frame from the charge point (called with the lock held)."""
        if not isinstance(msg, list) or not msg or msg[0] not in (2, 3, 4) or not isinstance(msg[1] if len(msg) > 1 else None, str):
            return [f"from {cp_id}: not an OCPP-J frame: {str(raw)[:300]}"]
        kind, mid = msg[0], msg[1]
        shape = {2: (4, (str, dict)), 3: (3, (dict,)), 4: (5, (str, str, dict))}[kind]
        if len(msg) != shape[0] or not all(isinstance(v, t) for v, t in zip(msg[2:], shape[1])):
            return [f"from {cp_id}: malformed {['CALL', 'CALLRESULT', 'CALLERROR'][kind - 2]} frame: {str(raw)[:300]}"]
        problems = []
        if kind == 2:
            action, payload = msg[2], msg[3]
            # Unique per sender; a retransmission of the same message MAY reuse its id (J-errata 3.1/3.7).
            if len(mid) > 36 or self._ids.get((cp_id, mid), (action, payload)) != (action, payload):
                problems.append(f"message id {mid!r} is reused for another message or longer than 36 characters")
            if self._outstanding.get(cp_id) is not None:
                problems.append(f"{action} {mid} sent while CALL {self._outstanding[cp_id]} is not answered (OCPP-J §4.1.1)")
            self._outstanding[cp_id] = mid
            self._ids[(cp_id, mid)] = (action, payload)
            problems += [f"{action} {mid} from {cp_id} breaks the schema: {e} — {json.dumps(payload)[:500]}"
                         for e in schema_errors(2, action, json.dumps(payload))]
            problems += self._check_dates(payload, action)
            return problems
        action = self._sent.pop((cp_id, mid), None)
        if action is None:
            return [f"from {cp_id}: {['CALLRESULT', 'CALLERROR'][kind - 3]} to {mid!r}, which is no open CALL of the central system: {str(raw)[:300]}"]
        if kind == 3:
            if mid not in self._expected_invalid:
                problems += [f"{action} answer {mid} from {cp_id} breaks the schema: {e} — {json.dumps(msg[2])[:500]}"
                             for e in schema_errors(3, action, json.dumps(msg[2]))]
                problems += self._check_dates(msg[2], action + "Response")
            return problems
        if msg[2] not in ERROR_CODES:
            problems.append(f"CALLERROR to {action} {mid} from {cp_id} has no OCPP 1.6 error code: {msg[2]!r}")
        self._station_errors.append((cp_id, mid, msg))
        return problems

    def _check_out(self, msg, cp_id):
        """Remembers the CALLs the central system sends; a CALLERROR it sends is a violation unless asked for."""
        if not isinstance(msg, list) or len(msg) < 3:
            return []
        if msg[0] == 2:
            self._sent[(cp_id, msg[1])] = msg[2]
        elif msg[0] in (3, 4) and msg[1] == self._outstanding.get(cp_id):
            self._outstanding[cp_id] = None
        if msg[0] == 4 and (cp_id, msg[1]) not in self._asked_errors:
            return [f"the central system answered {cp_id}'s CALL {msg[1]} with CALLERROR {msg[2]}: {msg[3]} {json.dumps(msg[4])[:300]}"]
        return []

    def _check_dates(self, value, where):
        problems = []
        if isinstance(value, dict):
            for k, v in value.items():
                if k in DATE_KEYS and isinstance(v, str) and not DATE_TIME.match(v):
                    problems.append(f"{where}.{k} = {v!r} is not YYYY-MM-DDTHH:MM:SS(.sss)Z")
                problems += self._check_dates(v, where)
        elif isinstance(value, list):
            for v in value:
                problems += self._check_dates(v, where)
        return problems

    def check(self):
        """Fails with every violation and every CALLERROR of the charge point that no test saw (fixture teardown)."""
        with self._lock:
            unseen = [f"CALLERROR from {cp}: {json.dumps(frame)[:300]}" for cp, mid, frame in self._station_errors
                      if (cp, mid) not in self._seen]
            problems = self.violations + unseen
        assert not problems, "the central system saw:\n  " + "\n  ".join(problems)

    def id_tag_info(self, id_tag):
        info = {"status": self.id_tags.get(id_tag, "Accepted")}
        if id_tag in self.parents:
            info["parentIdTag"] = self.parents[id_tag]
        return info

    # -- queries -------------------------------------------------------------------------------
    def calls(self, action=None, since=0, cp_id=None):
        """CALLs received from the charge point(s): list of (index, payload)."""
        return [(i, m[3]) for i, m in self.call_frames(action, since, cp_id)]

    def call_frames(self, action=None, since=0, cp_id=None):
        """CALL frames received from the charge point(s): list of (index, [2, id, action, payload])."""
        with self._lock:
            frames = list(enumerate(self.frames))[since:]
        return [(i, m) for i, (d, _, m, cp) in frames
                if d == "in" and isinstance(m, list) and m and m[0] == 2 and (action is None or m[2] == action)
                and (cp_id is None or cp == cp_id)]

    def actions(self, since=0):
        with self._lock:
            frames = list(self.frames)[since:]
        return [m[2] for d, _, m, *_ in frames if d == "in" and isinstance(m, list) and m and m[0] == 2]

    def mark(self):
        with self._lock:
            return len(self.frames)

    def wait_call(self, action, predicate=lambda p: True, since=0, timeout=30):
        """The first CALL of `action` since frame `since` whose payload satisfies `predicate`; fails at once when
        a CALL of `action` broke its schema (a wrong frame never satisfies a wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, p in self.calls(action, since):
                if i in self._invalid:
                    raise AssertionError("; ".join(self._invalid[i]))
                if predicate(p):
                    return p
            time.sleep(0.05)
        raise AssertionError(f"no {action} matching the condition within {timeout} s; got {self.actions(since)}")

    def wait_status(self, connector, status, since=0, timeout=30):
        return self.wait_call("StatusNotification", lambda p: p["connectorId"] == connector and p["status"] == status, since, timeout)

    def wait_connected(self, count=1, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connections >= count and self.cp is not None:
                return self.cp
            time.sleep(0.05)
        raise AssertionError(f"the charge point did not connect ({self.connections} connections)")

    def call(self, payload, timeout=30, cp_id=None):
        """Sends a CALL to the charge point (the last one connected, or `cp_id`) and returns the library's parsed
        (schema-validated) answer."""
        cp = self.cps.get(cp_id) if cp_id else self.cp
        assert cp is not None, f"charge point {cp_id or ''} not connected"
        mid = cp._unique_id_generator()
        with self._lock:
            self._seen.add((cp.id, str(mid)))  # a CALLERROR answer is raised to the test
        fut = asyncio.run_coroutine_threadsafe(cp.call(payload, suppress=False, unique_id=str(mid)), self._loop)
        return fut.result(timeout)

    def send_raw(self, text, may_break_schema=False):
        """Sends a raw text frame (for malformed input). Its answer is the test's to check with `raw_answers`;
        `may_break_schema`: the test expects an answer outside the official schema (a documented extension)."""
        cp = self.cp
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        with self._lock:
            if isinstance(msg, list) and len(msg) >= 3 and msg[0] == 2 and isinstance(msg[1], str):
                self._sent[(cp.id, msg[1])] = msg[2]
                if may_break_schema:
                    self._expected_invalid.add(msg[1])
        asyncio.run_coroutine_threadsafe(cp._connection.send(text), self._loop).result(10)

    def raw_answers(self, message_id, timeout=10):
        """The frame the charge point answered to `message_id` with."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for d, _, m, cp in self.frames:
                    if d == "in" and isinstance(m, list) and len(m) >= 2 and m[0] in (3, 4) and m[1] == message_id:
                        self._seen.add((cp, message_id))
                        return m
            time.sleep(0.05)
        raise AssertionError(f"no answer to {message_id}")
