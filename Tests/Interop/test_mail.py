"""E-mail alerts (issue 24 item 5, seeds/004 §4 "Melding per e-mail") against a real SMTP server: `aiosmtpd` with
STARTTLS (a certificate of a throw-away CA per run, which the station trusts through its "Trusted CA file") and
AUTH, which it requires over TLS. A raised and a cleared error each arrive once; a mail server that is away for a while
— while the station is even killed with SIGKILL and started again — loses nothing; the test button, over the API and
in the web interface, shows the server's refusal."""
import email
import re
from datetime import datetime, timezone
import email.policy
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pki import make_pki
from station import Station, wait_for
from web_browser import Web, initial_passwords

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
    """aiosmtpd on 127.0.0.1:`port` with STARTTLS required and AUTH required (only after STARTTLS)."""

    def __init__(self, pki, port):
        self.inbox = Inbox()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki / "localhost.pem", pki / "localhost.key")
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                                     authenticator=authenticator, auth_required=True, auth_require_tls=True)

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


def configure(station, pki, port, password=PASSWORD):
    for key, value in (("MailSMTPHost", "127.0.0.1"), ("MailSMTPPort", port), ("MailSMTPSecurity", "starttls"),
                       ("MailSMTPUser", USER), ("MailSMTPPassword", password), ("MailSender", SENDER),
                       ("MailRecipients", [RECIPIENT]), ("MailLocation", "Garage Süd"), ("MailCAFile", str(pki / "ca.pem"))):
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
