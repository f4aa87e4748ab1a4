"""E-mail alerts (issue 24 item 5, seeds/004 §4 "Melding per e-mail") against a real SMTP server: `aiosmtpd` with
STARTTLS (a certificate of a throw-away CA per run, which the station trusts through its "Trusted CA file") and
AUTH, which it requires over TLS. A raised and a cleared error each arrive once; a mail server that is away for a while
— while the station is even killed with SIGKILL and started again — loses nothing; the test button, over the API and
in the web interface, shows the server's refusal."""
import email
import http.cookiejar
import re
from datetime import datetime, timezone
import email.policy
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pki import make_pki
from station import Station, cli, wait_for
from web_browser import Web, initial_passwords

# aiosmtpd's own notes: AUTH over implicit TLS looks to it like AUTH without STARTTLS, and its login_data deprecation.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS", "ignore:Session.login_data is deprecated")

USER, PASSWORD = "station", "mail-secret-2026"
SENDER, RECIPIENT = "station@example.org", "ops@example.org"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the mail server received: (envelope recipients, parsed message) per mail."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), message, envelope.original_content))
        return "250 2.0.0 OK queued as test"

    def bodies(self):
        return [m.get_content() for _, m, _ in self.mails]

    def count(self, text):
        return sum(body.count(text) for body in self.bodies())


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


class MailServer:
    """aiosmtpd on 127.0.0.1:`port`. `starttls` (the default): STARTTLS required, AUTH required only after it. `tls`: TLS
    from the first byte (RFC 8314 implicit TLS) with AUTH required. `plain`: no TLS offered at all, no AUTH."""

    def __init__(self, pki, port, mode="starttls"):
        self.inbox = Inbox()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki / "localhost.pem", pki / "localhost.key")
        if mode == "starttls":
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                                         authenticator=authenticator, auth_required=True, auth_require_tls=True)
        elif mode == "tls":
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, ssl_context=context,
                                         authenticator=authenticator, auth_required=True, auth_require_tls=False)
        else:
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    return make_pki(d)


def configure(station, pki, port, password=PASSWORD, security="starttls", ca=True):
    for key, value in (("MailSMTPHost", "127.0.0.1"), ("MailSMTPPort", port), ("MailSMTPSecurity", security),
                       ("MailSMTPUser", USER), ("MailSMTPPassword", password), ("MailSender", SENDER),
                       ("MailRecipients", [RECIPIENT]), ("MailLocation", "Garage Süd"), ("MailCAFile", str(pki / "ca.pem") if ca else "")):
        code, body = station.request("PUT", f"/api/config/{key}", body={"value": value})
        assert code == 200, (key, body)


def alert_times(inbox, what):
    """The times (UTC, to the second) of the alert lines `what` ("Error raised, connector 1") in every mail received."""
    return sorted(re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC  " + re.escape(what) + ":", "\n".join(inbox.bodies()), re.M))


def event_times(station, kind, connector):
    """The times of the event log's `kind` entries of `connector`, as the alert lines write them."""
    code, events = station.get("/api/events?limit=500")
    assert code == 200
    return sorted(datetime.fromisoformat(e["at"].replace("Z", "+00:00")).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                  for e in events if e["kind"] == kind and e["connector"] == connector)


def sentinel(station, inbox):
    """Raises and waits for a last alert: the queue is first in, first out, so once it arrived every earlier alert that
    was still queued (a duplicate too) has been sent."""
    assert station.sim("fault", "2", "meter").returncode == 0
    wait_for(lambda: inbox.count("connector 2") >= 1, timeout=60, what="the sentinel alert")


def test_seeds004_4_raised_and_cleared_error_each_arrive_once_over_starttls_with_auth(station, pki):
    port = free_port()
    server = MailServer(pki, port).start()
    try:
        configure(station, pki, port)
        assert station.sim("fault", "1", "meter").returncode == 0
        wait_for(lambda: any(e["kind"] == "errorRaised" for e in station.get("/api/events?limit=20")[1]), what="the error")
        raised = "Error raised, connector 1"
        wait_for(lambda: server.inbox.count(raised) == 1, timeout=60, what="the alert of the raised error")
        assert station.sim("fault", "1", "meter", "--clear").returncode == 0
        cleared = "Error cleared, connector 1"
        wait_for(lambda: server.inbox.count(cleared) == 1, timeout=60, what="the alert of the cleared error")
        sentinel(station, server.inbox)
        assert server.inbox.count(raised) == 1 and server.inbox.count(cleared) == 1, server.inbox.bodies()
        assert alert_times(server.inbox, raised) == event_times(station, "errorRaised", 1)
        assert alert_times(server.inbox, cleared) == event_times(station, "errorResolved", 1)
        rcpts, message, raw = server.inbox.mails[0]
        assert rcpts == [RECIPIENT]
        # RFC 5322 headers, the UTF-8 subject decoded from its RFC 2047 words, the plain text body.
        assert message["From"] == SENDER and message["To"] == RECIPIENT
        assert message["Subject"].startswith("ChargeKit ") and "(Garage Süd)" in message["Subject"], message["Subject"]
        assert b"Subject: =?UTF-8?B?" in raw
        assert message["Date"].datetime is not None and message["Message-ID"].startswith("<")
        assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
        assert "meterNotCommunicating" in message.get_content()
        assert len({m["Message-ID"] for _, m, _ in server.inbox.mails}) == len(server.inbox.mails)
        # The password is a secret: never shown by the API, never logged.
        assert station.get("/api/config/MailSMTPPassword")[1].get("value") in (None, "", "***")
        assert PASSWORD not in station.log_path.read_text(errors="replace")
    finally:
        server.stop()


def test_seeds004_4_mail_server_away_and_station_killed_loses_nothing(data_dir, pki):
    port = free_port()
    station = Station(data_dir).start()
    try:
        configure(station, pki, port)
        assert station.sim("fault", "1", "meter").returncode == 0
        # The server is not there: the station tries, fails and backs off.
        wait_for(lambda: "alert mail to ops@example.org failed" in station.log_path.read_text(errors="replace"), timeout=60,
                 what="a failed delivery attempt")
        # The queue shows it: the alert waiting, the failed attempt and why.
        queue = wait_for(lambda: [q for q in station.get("/api/mail/status")[1] if q["failures"] >= 1], what="the failure in the queue status")
        assert queue[0]["recipient"] == RECIPIENT and queue[0]["waiting"] >= 1 and "nextAttemptAt" in queue[0], queue
        assert queue[0]["lastError"].startswith("connect: cannot connect to 127.0.0.1:"), queue
        station.kill9()
        station = Station(data_dir).start()
        server = MailServer(pki, port).start()
        try:
            raised = "Error raised, connector 1"
            wait_for(lambda: alert_times(server.inbox, raised), timeout=90, what="the queued alert after the restart")
            sentinel(station, server.inbox)
            # Every raise in the event log — the one before the kill, and the one the station logs again at its start while
            # the simulated meter still fails — arrived exactly once.
            events = event_times(station, "errorRaised", 1)
            assert len(events) >= 1 and alert_times(server.inbox, raised) == events, (events, server.inbox.bodies())
            # Deleted right after the server's 250: wait for that write.
            wait_for(lambda: (lambda q: q["waiting"] == 0 and q["failures"] == 0 and "lastSentAt" in q)(station.get("/api/mail/status")[1][0]),
                     what="an empty queue")
        finally:
            server.stop()
    finally:
        station.terminate()


def test_seeds004_4_test_button_shows_the_servers_refusal(station, pki, browser):
    port = free_port()
    server = MailServer(pki, port).start()
    try:
        configure(station, pki, port, password="wrong-password")
        code, result = station.request("POST", "/api/mail/test")
        assert code == 200 and result["sent"] is False, result
        assert result["message"].startswith("AUTH refused by the server: 535"), result
        assert server.inbox.mails == []
        # The same button in the web interface (menu Backend, section E-mail alerts).
        web = Web(browser, station)
        web.first_login("operator", initial_passwords(station)["operator"])
        web.open("/menu/backend#s-e-mail-alerts")
        web.submit("#send-test-mail")
        answer = web.el("#mail-test-result")
        assert "535" in answer.text and "AUTH" in answer.text, answer.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", answer)
        web.shot("backend-mail-test-refused")
        # An alert meets the same refusal: the page lists it as waiting, with the server's answer.
        assert station.sim("fault", "1", "meter").returncode == 0
        wait_for(lambda: [q for q in station.get("/api/mail/status")[1] if q["failures"] >= 1], timeout=60, what="a failed alert mail")
        web.open("/menu/backend#s-mail-test")
        queue = web.el("#mail-queue")
        assert RECIPIENT in queue.text and "1 waiting" in queue.text and "535" in queue.text, queue.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", queue)
        web.shot("backend-mail-queue-failing")
        # With the right password the server takes it, and the answer is its 250.
        configure(station, pki, port)
        code, result = station.request("POST", "/api/mail/test")
        assert code == 200 and result["sent"] is True and result["message"].startswith("250"), result
        assert result["recipients"] == [RECIPIENT]
        wait_for(lambda: server.inbox.count("This is a test of the e-mail alerts") == 1, what="the test mail")
        web.open("/menu/backend#s-e-mail-alerts")
        web.el("#s-e-mail-alerts")
        browser.execute_script("document.getElementById('s-e-mail-alerts').scrollIntoView(); window.scrollBy(0, -70)")
        web.shot("backend-mail-settings")
    finally:
        server.stop()


def test_rfc8314_implicit_tls_verifies_the_certificate_and_starttls_is_never_skipped(station, pki):
    port = free_port()
    server = MailServer(pki, port, mode="tls").start()
    try:
        # TLS from the first byte (port 465 style), the throw-away CA trusted through "Trusted CA file": delivered.
        configure(station, pki, port, security="tls")
        code, result = station.request("POST", "/api/mail/test")
        assert code == 200 and result["sent"] is True and result["message"].startswith("250"), result
        # The same server without its CA: the system trust store does not know it, the handshake fails, nothing is sent.
        configure(station, pki, port, security="tls", ca=False)
        code, result = station.request("POST", "/api/mail/test")
        assert result["sent"] is False and result["message"].startswith("TLS handshake:"), result
        assert "CERTIFICATE_VERIFY_FAILED" in result["message"], result
        assert len(server.inbox.mails) == 1
    finally:
        server.stop()
    port = free_port()
    plain = MailServer(pki, port, mode="plain").start()
    try:
        # RFC 3207: STARTTLS chosen, the server does not offer it: the station sends nothing — no AUTH, no mail.
        configure(station, pki, port, security="starttls")
        code, result = station.request("POST", "/api/mail/test")
        assert result["sent"] is False and result["message"].startswith("STARTTLS: the server does not offer STARTTLS"), result
        assert plain.inbox.mails == []
    finally:
        plain.stop()


def test_issue24_5_backend_offline_and_login_lockout_send_alerts(data_dir, pki):
    dead = free_port()  # a backend that never answers
    assert cli("config", "set", "BackendURL", f"ws://127.0.0.1:{dead}/ocpp", "--role", "installer", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    port = free_port()
    server = MailServer(pki, port).start()
    try:
        configure(station, pki, port)
        assert station.request("PUT", "/api/config/MailBackendOfflineMinutes", body={"value": 1})[0] == 200
        # One simulated minute (6 s at the suite's time scale) after the alerts were switched on.
        offline = "Backend offline, station: The OCPP backend has been unreachable for 1 min"
        wait_for(lambda: server.inbox.count(offline) == 1, timeout=60, what="the backend offline alert")
        # Three wrong passwords lock the operator's login for this address: an alert, and an entry in the event log.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(3):
            page = browser.open(station.base + "/login", timeout=10).read().decode()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"csrf": csrf, "name": "operator", "password": "wrong"}).encode()
            try:
                browser.open(urllib.request.Request(station.base + "/login", data=form, method="POST"), timeout=10).read()
            except urllib.error.HTTPError as e:
                assert e.code in (401, 429), e.code
        locked = "Login locked, station: Login of 'operator' from 127.0.0.1 locked for"
        wait_for(lambda: server.inbox.count(locked) == 1, timeout=60, what="the login lockout alert")
        assert any(e["kind"] == "loginLockout" for e in station.get("/api/events?limit=50")[1])
        sentinel(station, server.inbox)
        assert server.inbox.count(offline) == 1 and server.inbox.count(locked) == 1, server.inbox.bodies()
    finally:
        server.stop()
        station.terminate()


def test_rfc3207_4_2_data_sent_before_the_tls_handshake_ends_the_conversation(station, pki):
    """A server (or a man in the middle) that sends a reply right behind its 220 to STARTTLS, before the handshake: the
    station must not take those bytes as protected (the "STARTTLS injection"); it stops and says why."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    commands = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 injector ESMTP\r\n")
            reader = conn.makefile("rb")
            try:
                while line := reader.readline(1000):
                    commands.append(line.strip().decode(errors="replace"))
                    if line.upper().startswith(b"EHLO"):
                        conn.sendall(b"250-injector\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n")
                    elif line.upper().startswith(b"STARTTLS"):
                        conn.sendall(b"220 go ahead\r\n250 injected\r\n")
                    else:
                        conn.sendall(b"500 unexpected\r\n")
            except OSError:
                pass  # the station closed the connection: what this test expects

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        configure(station, pki, port)
        code, result = station.request("POST", "/api/mail/test")
        assert result["sent"] is False, result
        assert result["message"] == "STARTTLS: the server sent data before the TLS handshake", result
        thread.join(timeout=10)
        assert commands[:2] == ["EHLO [127.0.0.1]", "STARTTLS"], commands
        assert not any(c.upper().startswith(("AUTH", "MAIL")) for c in commands), commands
    finally:
        listener.close()


def test_issue24_5_sigterm_interrupts_a_mail_in_flight_and_keeps_the_alert(data_dir, pki):
    """A mail server that accepts and never answers holds a delivery for up to the client's time-out (60 s); SIGTERM must
    not wait for it (the station persists everything and stops), and the alert stays queued for the next start."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    station = Station(data_dir).start()
    try:
        configure(station, pki, port)
        assert station.sim("fault", "1", "meter").returncode == 0
        wait_for(lambda: accepted, timeout=30, what="the station connecting to the silent server")
        started = time.monotonic()
        assert station.terminate() == 0
        assert time.monotonic() - started < 15, "the shutdown waited for the mail's time-out"
    finally:
        listener.close()
        for conn, _ in accepted:
            conn.close()
    station = Station(data_dir).start()
    server = MailServer(pki, port).start()
    try:
        raised = "Error raised, connector 1"
        wait_for(lambda: alert_times(server.inbox, raised), timeout=60, what="the kept alert after the restart")
        sentinel(station, server.inbox)
        assert alert_times(server.inbox, raised) == event_times(station, "errorRaised", 1), server.inbox.bodies()
    finally:
        server.stop()
        station.terminate()
