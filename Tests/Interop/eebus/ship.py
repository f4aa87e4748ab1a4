"""SHIP, the EEBUS transport, client and server side, written from EEBUS SHIP TS 1.0.1 for the test peer.

- Identity (§9.1, §12.1): a self-signed ECDSA P-256 certificate whose SubjectKeyIdentifier is the SKI, the SHA-1 of
  the public key's bit string (the uncompressed point), shown as 40 hex digits. Trust is by SKI, never by a CA.
- TLS (§9.1): version 1.2 only, cipher suites TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (mandatory) and
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, mutual authentication: the server requests the client's certificate.
  Python's ssl module cannot accept "any client certificate" and check its SKI afterwards (it verifies the chain against
  its trust store), so a server context trusts exactly the certificates it is given: the peer fetches a station's
  certificate first (`fetch_certificate`, the station's TLS server hands it out) and checks its SKI against the SKI the
  station announced, which is what trusting by SKI means here.
- WebSocket (§10.2): subprotocol `ship`, path `/ship/` (from the mDNS TXT record `path`), binary messages whose first
  byte is the SHIP message type (§13.4.1): 0 init, 1 control, 2 data, 3 end.
- Handshake (§13.4): connection mode initialisation (CMI, [0x00, 0x00] both ways, the client first), hello
  (`connectionHello` ready/pending/aborted with `waiting` and `prolongationRequest`, §13.4.4.1), protocol handshake
  (`messageProtocolHandshake` announceMax from the client, select from the server, the client's select as the
  confirmation; version 1.0, format JSON-UTF8, §13.4.4.2), PIN state `none` (§13.4.4.3), access methods
  (`accessMethodsRequest` / `accessMethods` with the SHIP id, §13.4.4.4), then data (`{"data": {"header":
  {"protocolId": "ee1.0"}, "payload": …}}`, §13.4.5) and the orderly close (`connectionClose` announce/confirm with
  message type 3, §13.4.7). Keep-alive is the WebSocket ping (§10.3, websockets' ping_interval).

Everything a connection sent and received is kept in `transcript` (direction, message type, plain value) so a test
can assert the exact sequence."""
import asyncio
import datetime
import hashlib
import os
import ssl
import tempfile
import time
import uuid

import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

import eebus_json

SHIP_CIPHERS = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
SUBPROTOCOL = "ship"
PATH = "/ship/"
INIT, CONTROL, DATA, END = 0, 1, 2, 3
CMI = bytes([INIT, 0x00])
PROTOCOL_ID = "ee1.0"
T_HELLO_INIT_MS = 60_000  # §13.4.4.1.3
CMI_TIMEOUT_S = 10  # §13.4.3
STEP_TIMEOUT_S = 10


class ShipError(Exception):
    """A handshake or connection failure; `stage` names the SHIP phase (cmi, hello, protocol, pin, access, data)."""

    def __init__(self, stage, message, close_code=None, timed_out=False):
        super().__init__(f"SHIP {stage}: {message}")
        self.stage, self.close_code, self.timed_out = stage, close_code, timed_out


def ski_of_public_key(public_key):
    """The SKI of a P-256 key: SHA-1 of the subjectPublicKey bit string (the uncompressed point), RFC 5280 §4.2.1.2
    method (1), as SHIP TS 1.0.1 §12.1 requires."""
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return hashlib.sha1(point).hexdigest()


def ski_of_certificate(der):
    """The SubjectKeyIdentifier extension of a DER certificate as 40 lower-case hex digits (None if absent)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
    except x509.ExtensionNotFound:
        return None


class Identity:
    """A SHIP node's certificate, key, SKI and SHIP id; the PEM files live in a private temporary directory (the ssl
    module loads key material from files only)."""

    def __init__(self, name="ChargeKit test peer"):
        key = ec.generate_private_key(ec.SECP256R1())
        self.ski = ski_of_public_key(key.public_key())
        # The SKI in the name keeps subjects unique: a TLS trust store looks certificates up by subject name.
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {self.ski[:8]}"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ChargeKit tests")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier(bytes.fromhex(self.ski)), critical=False)
                .sign(key, hashes.SHA256()))
        self.name = name
        self.ship_id = f"ChargeKit-Peer-{uuid.uuid4().hex[:12]}"
        self.certificate_der = cert.public_bytes(serialization.Encoding.DER)
        self._dir = tempfile.TemporaryDirectory(prefix="ship-identity-")
        self.cert_path = os.path.join(self._dir.name, "cert.pem")
        self.key_path = os.path.join(self._dir.name, "key.pem")
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


def _base_context(purpose_server, identity, ciphers=SHIP_CIPHERS, tls_version=ssl.TLSVersion.TLSv1_2):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose_server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = tls_version
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    if identity is not None:
        ctx.load_cert_chain(identity.cert_path, identity.key_path)
    return ctx


def client_context(identity, ciphers=SHIP_CIPHERS, tls_version=ssl.TLSVersion.TLSv1_2):
    """TLS 1.2 client with the SHIP suites; it accepts any server certificate, the caller checks the SKI afterwards
    (`ShipConnection.remote_ski`). identity None: a client without a certificate (the hostile-input tests)."""
    ctx = _base_context(False, identity, ciphers, tls_version)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def server_context(identity, trusted_certificates=()):
    """TLS 1.2 server with the SHIP suites that requires a client certificate among `trusted_certificates` (DER)."""
    ctx = _base_context(True, identity)
    ctx.verify_mode = ssl.CERT_REQUIRED
    for der in trusted_certificates:
        ctx.load_verify_locations(cadata=der)
    return ctx


def fetch_certificate(host, port, timeout=10):
    """The DER certificate a SHIP server presents (blocking). A SHIP server requires a client certificate and may end
    the handshake before Python would hand out its certificate, so the certificate is read from the handshake itself:
    in TLS 1.2 the server's Certificate message (RFC 5246 §7.4.2) travels unencrypted."""
    import socket
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(None).wrap_bio(incoming, outgoing)
    received = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as raw:
        while True:
            try:
                tls.do_handshake()
                return tls.getpeercert(binary_form=True)
            except ssl.SSLWantReadError:
                pending = outgoing.read()
                if pending:
                    raw.sendall(pending)
                chunk = raw.recv(65536)
                if not chunk:
                    break
                received += chunk
                incoming.write(chunk)
                der = _certificate_in_records(bytes(received))
                if der is not None:
                    return der
            except ssl.SSLError:
                break
    der = _certificate_in_records(bytes(received))
    if der is None:
        raise ShipError("tls", f"{host}:{port} presented no certificate")
    return der


def _certificate_in_records(data):
    """The first certificate of a TLS 1.2 Certificate handshake message in raw records (None until it is complete)."""
    handshake = bytearray()
    i = 0
    while i + 5 <= len(data):
        length = int.from_bytes(data[i + 3:i + 5], "big")
        if i + 5 + length > len(data):
            break
        if data[i] == 22:  # handshake records
            handshake += data[i + 5:i + 5 + length]
        i += 5 + length
    j = 0
    while j + 4 <= len(handshake):
        kind, length = handshake[j], int.from_bytes(handshake[j + 1:j + 4], "big")
        if j + 4 + length > len(handshake):
            return None
        if kind == 11 and length >= 6:  # Certificate: a 3-byte list length, then 3-byte length + DER per certificate
            first = int.from_bytes(handshake[j + 7:j + 10], "big")
            return bytes(handshake[j + 10:j + 10 + first])
        j += 4 + length
    return None


def frame(message_type, plain=None):
    """A SHIP message: the type byte followed by the EEBUS JSON text of `plain` (nothing for CMI)."""
    return bytes([message_type]) + (eebus_json.dumps(plain) if plain is not None else b"\x00")


class ShipConnection:
    """One SHIP connection over an open WebSocket, in the role `client` (we connected) or `server` (we accepted).

    `trusted(ski)` says whether we trust the remote SKI now; while it is False we send hello `pending` and wait for
    `trust()` (the user's decision) up to T_hello_init, sending prolongation requests."""

    def __init__(self, ws, role, identity, remote_ski, trusted=lambda ski: True, waiting_ms=T_HELLO_INIT_MS):
        self.ws, self.role, self.identity, self.remote_ski = ws, role, identity, remote_ski
        self.trusted = trusted
        self.waiting_ms = waiting_ms
        self.transcript = []
        self.remote_ship_id = None
        self.remote_hello = []  # every connectionHello the remote sent, in order
        self.state = "cmi"
        self._trust = asyncio.Event()
        self.close_received = None

    # ---- wire -------------------------------------------------------------------------------------------------
    async def send(self, message_type, plain=None):
        self.transcript.append(("sent", message_type, plain))
        await self.ws.send(frame(message_type, plain))

    async def send_raw(self, data):
        """Sends bytes as they are (hostile-input tests)."""
        self.transcript.append(("sent", "raw", len(data)))
        await self.ws.send(data)

    async def receive(self, timeout=STEP_TIMEOUT_S):
        """The next SHIP message as (type, plain value); a CMI message has value None."""
        try:
            data = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise ShipError(self.state, f"nothing received within {timeout} s", timed_out=True) from None
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
            reason = e.rcvd.reason if e.rcvd else ""
            raise ShipError(self.state, f"connection closed ({code} {reason})", close_code=code) from None
        if isinstance(data, str):
            raise ShipError(self.state, "a text WebSocket message (SHIP sends binary messages, §13.4.1)")
        if not data:
            raise ShipError(self.state, "an empty WebSocket message")
        message_type = data[0]
        if message_type == INIT:
            if data != CMI:
                raise ShipError(self.state, f"an init message other than [0x00, 0x00]: {data[:8].hex()}")
            self.transcript.append(("received", INIT, None))
            return INIT, None
        if message_type not in (CONTROL, DATA, END):
            raise ShipError(self.state, f"unknown SHIP message type {message_type}")
        try:
            plain = eebus_json.loads(data[1:])
        except eebus_json.EEBUSJSONError as e:
            raise ShipError(self.state, f"message type {message_type} is not EEBUS JSON: {e}") from None
        if not isinstance(plain, dict) or len(plain) != 1:
            raise ShipError(self.state, f"a SHIP message must be one object with one member, got {plain!r:.200}")
        self.transcript.append(("received", message_type, plain))
        return message_type, plain

    async def expect(self, message_type, name, timeout=STEP_TIMEOUT_S):
        got_type, plain = await self.receive(timeout)
        if got_type == END and "connectionClose" in plain:
            self.close_received = plain["connectionClose"]
            raise ShipError(self.state, f"the remote closed the connection: {plain['connectionClose']}")
        if got_type != message_type or name not in plain:
            raise ShipError(self.state, f"expected {name} (type {message_type}), got type {got_type}: {plain!r:.300}")
        body = plain[name]
        return {} if body == [] else body

    # ---- handshake --------------------------------------------------------------------------------------------
    def trust(self):
        """The user trusts the remote now (a pending hello turns ready)."""
        self._trust.set()

    async def handshake(self):
        await self._cmi()
        await self._hello()
        await self._protocol()
        await self._pin()
        await self._access_methods()
        self.state = "data"
        return self

    async def _cmi(self):
        self.state = "cmi"
        if self.role == "client":
            await self.send(INIT)
            got, _ = await self.receive(CMI_TIMEOUT_S)
        else:
            got, _ = await self.receive(CMI_TIMEOUT_S)
            await self.send(INIT)
        if got != INIT:
            raise ShipError("cmi", f"expected the CMI message, got type {got}")

    async def _hello(self):
        self.state = "hello"
        if self.trusted(self.remote_ski):
            self._trust.set()
        ours_ready = self._trust.is_set()
        await self.send(CONTROL, {"connectionHello": {"phase": "ready" if ours_ready else "pending",
                                                      "waiting": self.waiting_ms}})
        remote_ready = False
        deadline = asyncio.get_running_loop().time() + self.waiting_ms / 1000
        while not (ours_ready and remote_ready):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                await self.send(CONTROL, {"connectionHello": {"phase": "aborted"}})
                raise ShipError("hello", "no trust within T_hello_init; sent aborted")
            receive = asyncio.ensure_future(self.expect(CONTROL, "connectionHello", timeout=remaining))
            waiters = {receive}
            trust = None
            if not ours_ready:
                trust = asyncio.ensure_future(self._trust.wait())
                waiters.add(trust)
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if trust is not None and trust in done:
                ours_ready = True
                await self.send(CONTROL, {"connectionHello": {"phase": "ready", "waiting": self.waiting_ms}})
            elif trust is not None:
                trust.cancel()
            if receive not in done:
                receive.cancel()  # websockets' recv is cancellation-safe
                await asyncio.gather(receive, return_exceptions=True)
                continue
            try:
                hello = receive.result()
            except ShipError as e:
                if e.timed_out:
                    continue  # T_hello_init is over: the loop's head sends aborted
                raise
            self.remote_hello.append(hello)
            phase = hello.get("phase")
            if phase == "aborted":
                raise ShipError("hello", "the remote aborted the hello (it does not trust us)")
            if phase == "ready":
                remote_ready = True
            elif phase == "pending":
                if hello.get("prolongationRequest") is True:  # §13.4.4.1.3: answer with our state and waiting time
                    await self.send(CONTROL, {"connectionHello": {"phase": "ready" if ours_ready else "pending",
                                                                  "waiting": self.waiting_ms}})
            else:
                raise ShipError("hello", f"unknown hello phase {phase!r}")

    def _protocol_message(self, handshake_type):
        return {"messageProtocolHandshake": {"handshakeType": handshake_type, "version": {"major": 1, "minor": 0},
                                             "formats": {"format": ["JSON-UTF8"]}}}

    def _check_protocol(self, body, handshake_type):
        version = body.get("version", {})
        formats = body.get("formats", {}).get("format")
        if body.get("handshakeType") != handshake_type or version != {"major": 1, "minor": 0} or formats != ["JSON-UTF8"]:
            raise ShipError("protocol", f"expected {handshake_type} of version 1.0 JSON-UTF8, got {body!r}")

    async def _protocol(self):
        self.state = "protocol"
        if self.role == "client":
            await self.send(CONTROL, self._protocol_message("announceMax"))
            self._check_protocol(await self.expect(CONTROL, "messageProtocolHandshake"), "select")
            await self.send(CONTROL, self._protocol_message("select"))
        else:
            body = await self.expect(CONTROL, "messageProtocolHandshake")
            if body.get("handshakeType") != "announceMax" or body.get("version", {}).get("major") != 1 \
                    or "JSON-UTF8" not in body.get("formats", {}).get("format", []):
                await self.send(CONTROL, {"messageProtocolHandshakeError": {"error": 3}})
                raise ShipError("protocol", f"unusable announceMax {body!r}")
            await self.send(CONTROL, self._protocol_message("select"))
            self._check_protocol(await self.expect(CONTROL, "messageProtocolHandshake"), "select")

    async def _pin(self):
        self.state = "pin"
        await self.send(CONTROL, {"connectionPinState": {"pinState": "none"}})
        body = await self.expect(CONTROL, "connectionPinState")
        if body.get("pinState") != "none":
            raise ShipError("pin", f"the peer supports PIN state none only, the remote sent {body!r}")

    async def _access_methods(self):
        self.state = "access"
        await self.send(CONTROL, {"accessMethodsRequest": {}})
        answered = False
        while self.remote_ship_id is None or not answered:
            got_type, plain = await self.receive()
            if got_type == CONTROL and "accessMethodsRequest" in plain:
                await self.send(CONTROL, {"accessMethods": {"id": self.identity.ship_id}})
                answered = True
            elif got_type == CONTROL and "accessMethods" in plain:
                body = plain["accessMethods"] or {}
                if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
                    raise ShipError("access", f"accessMethods without a SHIP id: {plain!r}")
                self.remote_ship_id = body["id"]
            else:
                raise ShipError("access", f"unexpected message type {got_type}: {plain!r:.300}")

    # ---- data and close -----------------------------------------------------------------------------------------
    async def send_data(self, payload):
        await self.send(DATA, {"data": {"header": {"protocolId": PROTOCOL_ID}, "payload": payload}})

    async def receive_data(self, timeout=STEP_TIMEOUT_S):
        """The next data payload (plain); a connectionClose announce is confirmed and raises ShipError."""
        got_type, plain = await self.receive(timeout)
        if got_type == END and "connectionClose" in plain:
            self.close_received = body = plain["connectionClose"]
            if body.get("phase") == "announce":
                await self.send(END, {"connectionClose": {"phase": "confirm"}})
            raise ShipError("data", f"the remote closed the connection: {body}")
        if got_type != DATA or "data" not in plain:
            raise ShipError("data", f"expected a data message, got type {got_type}: {plain!r:.300}")
        data = plain["data"]
        header = data.get("header", {})
        if header.get("protocolId") != PROTOCOL_ID:
            raise ShipError("data", f"protocolId {header.get('protocolId')!r}, expected {PROTOCOL_ID}")
        if "payload" not in data:
            raise ShipError("data", "a data message without payload")
        return data["payload"]

    async def close(self, reason="removedConnection", max_time_ms=500):
        """The orderly close: announce, wait for the confirm (data arriving meanwhile is dropped), close the socket."""
        await self.send(END, {"connectionClose": {"phase": "announce", "maxTime": max_time_ms, "reason": reason}})
        confirmed = None
        try:
            while confirmed is None:
                got_type, plain = await self.receive(timeout=max_time_ms / 1000 + 2)
                if got_type == END and plain.get("connectionClose", {}).get("phase") == "confirm":
                    confirmed = plain["connectionClose"]
        except ShipError:
            pass
        await self.ws.close()
        return confirmed


async def open_client(host, port, identity, remote_ski, path=PATH, trusted=lambda ski: True, ping_interval_s=50,
                      max_size=2 ** 20, handshake=True, context=None, waiting_ms=T_HELLO_INIT_MS):
    """Connects to a SHIP server, checks that its certificate's SKI is `remote_ski` (None: any) and runs the handshake
    up to data. Returns the ShipConnection; a failed handshake raises ShipError with the connection attached
    (`.connection`). `waiting_ms`: how long our hello waits for the remote's trust before we abort."""
    ws = await connect(f"wss://{host}:{port}{path}", ssl=context or client_context(identity), subprotocols=[SUBPROTOCOL],
                       compression=None, proxy=None, ping_interval=ping_interval_s, ping_timeout=60, max_size=max_size,
                       open_timeout=10, server_hostname=host)
    if ws.subprotocol != SUBPROTOCOL:
        await ws.close()
        raise ShipError("websocket", f"the server chose subprotocol {ws.subprotocol!r}, not {SUBPROTOCOL!r}")
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    ski = ski_of_certificate(der)
    if remote_ski is not None and ski != remote_ski.lower():
        await ws.close()
        raise ShipError("tls", f"the server's certificate has SKI {ski}, expected {remote_ski}")
    conn = ShipConnection(ws, "client", identity, ski, trusted, waiting_ms=waiting_ms)
    conn.certificate_der = der
    if handshake:
        try:
            await conn.handshake()
        except ShipError as e:
            e.connection = conn  # for the test to inspect what was exchanged
            await ws.close()
            raise
    return conn


class ShipServer:
    """A SHIP server on (host, port): every accepted connection that completes the handshake is put into `accepted`
    (an asyncio.Queue of ShipConnection); failures are kept in `failures`. Runs on the caller's event loop."""

    def __init__(self, identity, host, port=0, trusted_certificates=(), trusted=lambda ski: True, max_size=2 ** 20,
                 ping_interval_s=50, waiting_ms=T_HELLO_INIT_MS):
        self.identity, self.host, self.port = identity, host, port
        self.waiting_ms = waiting_ms
        self.connections = []  # every ShipConnection accepted, from its TLS handshake on (trust() a pending one)
        self.trusted_certificates = list(trusted_certificates)
        self.trusted = trusted
        self.max_size, self.ping_interval_s = max_size, ping_interval_s
        self.accepted = asyncio.Queue()
        self.failures = []
        self._server = None
        # The monotonic time of every WebSocket upgrade request (after TLS), and whether to answer them 503 (a
        # manager that is up but not ready: the station's reconnect back-off can be watched).
        self.requests = []
        self.refusing = False

    async def start(self):
        self.context = server_context(self.identity, self.trusted_certificates)
        self._server = await serve(self._handle, self.host, self.port, ssl=self.context,
                                   subprotocols=[SUBPROTOCOL], compression=None, max_size=self.max_size,
                                   ping_interval=self.ping_interval_s, ping_timeout=60, process_request=self._check_path)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def trust_certificate(self, der):
        """Accepts clients with this certificate from now on (a server context's trust store can grow)."""
        self.trusted_certificates.append(der)
        self.context.load_verify_locations(cadata=der)

    def _check_path(self, connection, request):
        self.requests.append(time.monotonic())
        if request.path != PATH:
            return connection.respond(404, f"SHIP lives at {PATH}\n")
        if self.refusing:
            return connection.respond(503, "not ready\n")
        return None

    async def _handle(self, ws):
        der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
        conn = ShipConnection(ws, "server", self.identity, ski_of_certificate(der) if der else None, self.trusted,
                              waiting_ms=self.waiting_ms)
        conn.certificate_der = der
        self.connections.append(conn)
        try:
            await conn.handshake()
        except ShipError as e:
            self.failures.append(e)
            await ws.close()
            return
        await self.accepted.put(conn)
        await ws.wait_closed()

    async def stop(self):
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
