"""The operator web interface in a real browser (issue 8): Debian's headless chromium driven by selenium. First login
with the forced password change, lockout, CSRF refusal, parameter pages generated from the registry (an invalid value
shows its error and saves nothing; a valid one persists across a restart), role restrictions enforced by the server,
the language switch and the live dashboard. Every page visited is saved as a screenshot under
$CHARGEKIT_ARTIFACTS (default Tests/Interop/artifacts)."""
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from station import Station, cli, wait_for
from web_browser import NEW_PASSWORDS, Web, initial_passwords  # noqa: F401  (the browser fixture is in conftest.py)


def test_first_login_forces_a_password_change(browser, station):
    web = Web(browser, station)
    initial = initial_passwords(station)
    web.open("/")
    assert web.path() == "/login", "no page without a session"
    web.shot("login")
    web.login("installer", initial["installer"])
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/account/password")
    assert web.el(".alert.info").text  # the forced-change notice
    web.open("/menu/installation")
    assert web.path() == "/account/password", "nothing else until the initial password is changed"
    web.change_password(initial["installer"], "short", "short")
    assert "10 to 72 characters" in web.el("#new-error").text
    web.change_password(initial["installer"], NEW_PASSWORDS["installer"], "something-else-1")
    assert "differs" in web.el("#repeat-error").text
    web.shot("password-forced-error")
    web.change_password(initial["installer"], NEW_PASSWORDS["installer"])
    assert web.el(".alert.success")
    web.open("/")
    assert web.path() == "/"
    assert station.status()["chargeBoxIdentity"] in browser.page_source
    web.shot("dashboard")
    # Session cookie flags.
    cookie = next(c for c in browser.get_cookies() if c["name"] == "ck_session")
    assert cookie["httpOnly"] and cookie.get("sameSite") == "Strict"
    web.el("details summary").click()
    web.submit("#logout")
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/login")
    web.login("installer", initial["installer"])
    assert "not correct" in web.el("#login-error").text, "the initial password no longer works"
    web.login("installer", NEW_PASSWORDS["installer"])
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/")


def test_repeated_failed_logins_lock_the_account(browser, station):
    web = Web(browser, station)
    initial = initial_passwords(station)
    for _ in range(2):
        web.login("operator", "wrong-password")
        assert "not correct" in web.el("#login-error").text
    web.login("operator", "wrong-password")
    assert "locked until" in web.el("#login-error").text
    web.shot("login-locked")
    web.login("operator", initial["operator"])
    assert "locked until" in web.el("#login-error").text, "even the right password waits for the lockout"
    assert web.path() == "/login"


def test_forms_without_the_csrf_token_are_refused(browser, station):
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/installation")
    browser.execute_script("document.querySelector('form.parameters input[name=csrf]').value = 'forged';")
    web.fill("#p-PowerSourceVoltage", "240")
    web.submit("#save")
    assert "did not come from this station" in web.el(".alert.error").text
    r = cli("config", "get", "PowerSourceVoltage", data_dir=station.data_dir)
    assert "= 230 V" in r.stdout, "nothing changed"
    # A cross-site POST without the session cookie goes to the login page.
    req = urllib.request.Request(station.base + "/menu/installation", data=b"PowerSourceVoltage=240", method="POST")
    with urllib.request.urlopen(req) as r:
        assert urllib.parse.urlparse(r.url).path == "/login"


def test_parameter_page_validates_and_persists(browser, station, data_dir):
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/installation")
    web.shot("installation")
    web.fill("#p-PowerSourceVoltage", "999")
    assert web.el("[data-unsaved]").is_displayed(), "Unsaved Changes"
    web.submit("#save")
    error = web.el("#e-PowerSourceVoltage").text
    assert "'999' is not allowed" in error and "100 to 280 V" in error, error
    assert web.el("#p-PowerSourceVoltage").get_attribute("value") == "999", "what was typed is kept"
    web.shot("installation-error")
    assert "= 230 V" in cli("config", "get", "PowerSourceVoltage", data_dir=data_dir).stdout, "nothing saved"
    # A rule between parameters names the other one.
    web.fill("#p-InstallationCurrentLimit\\.1", "20")
    web.fill("#p-PowerSourceVoltage", "240")
    web.submit("#save")
    assert "lower OperatorCurrentLimit.1 first" in web.el("#e-InstallationCurrentLimit\\.1").text
    assert "= 230 V" in cli("config", "get", "PowerSourceVoltage", data_dir=data_dir).stdout, "all or nothing"
    web.fill("#p-InstallationCurrentLimit\\.1", "32")
    web.submit("#save")
    assert web.el("#saved")
    assert "= 240 V" in cli("config", "get", "PowerSourceVoltage", data_dir=data_dir).stdout
    station.terminate()
    station.start()
    web = Web(browser, station)
    web.login("installer", NEW_PASSWORDS["installer"])
    web.open("/menu/installation")
    assert web.el("#p-PowerSourceVoltage").get_attribute("value") == "240", "persisted across a restart"


def test_roles_are_enforced_by_the_server(browser, station, data_dir):
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/menu/installation")
    field = web.el("#p-InstallationCurrentLimit\\.1")
    assert field.get_attribute("disabled") is not None, "an installer parameter is read-only for the operator"
    web.shot("installation-operator")
    # Forge the change: enable the field in the page and submit it anyway.
    browser.execute_script("var f = document.getElementById('p-InstallationCurrentLimit.1'); f.disabled = false; f.value = '16';")
    web.submit("#save")
    assert "may only be changed by the installer role" in web.el("#e-InstallationCurrentLimit\\.1").text
    assert "= 32 A" in cli("config", "get", "InstallationCurrentLimit.1", data_dir=data_dir).stdout


def test_language_switch_and_live_dashboard(browser, station):
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/")
    web.el("details summary").click()
    Select(web.el("select[name=language]")).select_by_value("de")
    WebDriverWait(browser, 10).until(lambda d: "Übersicht" in d.page_source)
    assert "Lastmanagement" in browser.page_source
    web.shot("dashboard-de")
    status = web.el('[data-connector="1"] [data-field="status"]')
    assert status.text == "Available"
    assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
    WebDriverWait(browser, 15).until(lambda d: status.text == "Preparing")
    web.el("details summary").click()
    Select(web.el("select[name=language]")).select_by_value("nl")
    WebDriverWait(browser, 10).until(lambda d: "Laadpunt" in d.page_source)
    web.shot("dashboard-nl")


def test_whitelist_editor_round_trip(browser, station, tmp_path):
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/whitelists")
    assert web.el("#s-ocpp table"), "the OCPP whitelist (cache) is on by default"
    r = cli("config", "set", "AuthorizationCacheEnabled", "Off", "--role", "operator", data_dir=station.data_dir)
    assert r.returncode == 0, r.stderr
    web.open("/whitelists")
    assert "OCPP whitelist is not enabled yet" in web.el("#wl-cache-off").text
    # Add: an invalid identifier is refused with its reason, and what was typed stays.
    web.el("#wl-id").send_keys("XYZ")
    web.submit("#wl-add")
    assert "XYZ" in web.el("#error").text
    assert web.el("#wl-id").get_attribute("value") == "XYZ"
    web.fill("#wl-id", "11223344")
    web.el("#wl-group").send_keys("FLEET")
    web.submit("#wl-add")
    assert "11223344 was added" in web.el("#notice").text
    assert "FLEET" in web.el('tr[data-id="11223344"]').text
    # Import 12 more from a file (Update): "Processed N", then pages of 10.
    csv = tmp_path / "cards.csv"
    csv.write_text("UID,GID,Expiry,Authorization\n" + "".join(f"A1B2C3{i:02X},,,accepted\n" for i in range(12)))
    web.el("#wl-file").send_keys(str(csv))
    web.submit("#wl-import")
    assert "Processed 13 lines: 12 added" in web.el("#notice").text
    web.shot("whitelists")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#wl-table tbody tr")) == 10
    web.el("#wl-next").click()
    WebDriverWait(browser, 10).until(lambda d: "2 / 2" in d.page_source)
    # Export through the session (the CSV has every entry).
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    req = urllib.request.Request(station.base + "/whitelists/export", headers={"Cookie": cookies})
    with urllib.request.urlopen(req) as r:
        exported = r.read().decode()
    assert "11223344" in exported and exported.count("A1B2C3") == 12
    # Delete one, restore it.
    web.open("/whitelists?search=11223344")
    web.submit('tr[data-id="11223344"] form[action="/whitelists/delete"] button')
    assert "11223344 was deleted" in web.el("#notice").text
    web.submit("form[action='/whitelists/restore'] button")
    assert "11223344 was restored" in web.el("#notice").text
    # Learning mode with the simulator: the card read is added.
    web.submit("#wl-learn")
    assert web.el("#wl-learning")
    assert station.sim("rfid", "0A0B0C0D").returncode == 0
    web.open("/whitelists?search=0a0b0c0d")
    assert web.el('tr[data-id="0a0b0c0d"], tr[data-id="0A0B0C0D"]')
    # Delete the whole list (confirmed in the browser).
    web.open("/whitelists")
    browser.execute_script("window.__ckPage = true;")
    web.el("#wl-delete-all").click()
    browser.switch_to.alert.accept()
    WebDriverWait(browser, 10).until(lambda d: "was deleted (" in d.page_source)
    assert web.el("#wl-count").text.startswith("0 /")
    r = cli("whitelist", "list", data_dir=station.data_dir)
    assert "(no entries)" in r.stdout


def session_get(browser, station, path):
    """GET with the browser's session cookie: (status, content type, body bytes)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    req = urllib.request.Request(station.base + path, headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def charge_once(station, card="04567DAA5F3580"):
    assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
    assert station.sim("rfid", card).returncode == 0
    station.wait_status(1, "Charging")
    wait_for(lambda: station.connector(1)["session"]["energyWh"] > 0, what="energy charged")
    assert station.sim("unplug", "1", "--force").returncode == 0
    station.wait_status(1, "Available")


def test_charging_history_filters_by_day_and_exports_csv(browser, station):
    charge_once(station)
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/history")
    rows = browser.find_elements(By.CSS_SELECTOR, "#h-table tbody tr")
    assert len(rows) == 1 and "***3580" in rows[0].text, "the identifier is masked unless UID disclose is On"
    assert "Sessions: 1" in web.el("#h-summary").text
    web.shot("history")
    # A day that does not exist: the field names the problem, nothing is shown.
    web.open("/history?from=2026-02-30")
    assert "'2026-02-30' is not a valid day" in web.el("#e-from").text
    # The station's day holds the session; the day after holds none.
    today = station.status()["time"][:10]
    web.fill("#h-from", "")
    browser.execute_script(f"document.getElementById('h-from').value = '{today}'; document.getElementById('h-to').value = '{today}';")
    web.submit("#h-filter")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#h-table tbody tr td.mono")) == 1
    status, ctype, body = session_get(browser, station, urllib.parse.urlparse(web.el("#h-export").get_attribute("href")).path
                                      + "?" + urllib.parse.urlparse(web.el("#h-export").get_attribute("href")).query)
    assert status == 200 and ctype.startswith("text/csv")
    lines = body.decode().strip().splitlines()
    assert lines[0].startswith("sessionId,connector,idTag") and len(lines) == 2 and ",EVDisconnected," in lines[1], lines
    web.open("/history?from=2099-01-01")
    assert "No charging sessions" in web.el("#h-table").text


def amsterdam_offsets(local_time):
    """Amsterdam's UTC offset at the local time `local_time` (`YYYY-MM-DD HH:MM:SS`) as the system page writes it;
    both offsets in the hour that repeats when summer time ends."""
    t = datetime.strptime(local_time, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
    offsets = set()
    for fold in (0, 1):
        minutes = int(t.replace(fold=fold).utcoffset().total_seconds()) // 60
        offsets.add(f"UTC{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    return offsets


def test_system_page_log_timezone_restart_and_factory_reset(browser, station, data_dir):
    charge_once(station)
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/menu/system")
    assert web.el("#sys-version").text and "Linux" in web.el("#sys-os").text
    assert "UTC" in web.el("#sys-timezone").text
    assert web.el("#s-factory-reset .badge").text.startswith("Needs the Installer role"), "the operator may not reset"
    Select(web.el("#p-Timezone")).select_by_value("Europe/Amsterdam")
    web.submit("#save")
    # The offset of the station's own time (which --time-scale runs ahead): UTC+01:00 in winter, UTC+02:00 in summer.
    expected = amsterdam_offsets(web.el("#sys-time").text)
    assert any(web.el("#sys-timezone").text == f"Europe/Amsterdam ({o})" for o in expected), (web.el("#sys-timezone").text, expected)
    web.shot("system")
    # The log download is a ZIP that Python's zipfile reads, with every file's CRC right.
    status, ctype, body = session_get(browser, station, "/system/log.zip")
    assert status == 200 and ctype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    names = archive.namelist()
    assert "diagnostics/events.log" in names and "diagnostics/sessions.csv" in names
    assert "Timezone = Europe/Amsterdam" in archive.read("diagnostics/configuration.txt").decode()
    # Restart Daemon from the user menu: the services restart in the same process and come back.
    before = json.loads((data_dir / "station.json").read_text())
    web.el("details summary").click()
    browser.execute_script("window.__ckPage = true;")
    web.el("#restart-daemon").click()
    browser.switch_to.alert.accept()
    assert "restart" in web.el("#restarting").text
    web.shot("restarting")
    info = station.wait_restarted(before)
    assert info["pid"] == before["pid"], "restarted in the same process"
    # Factory reset as the installer: refused without the confirmation, then done.
    assert cli("config", "set", "PowerSourceVoltage", "240", "--role", "installer", data_dir=data_dir).returncode == 0
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/system")
    browser.execute_script("window.__ckPage = true;")
    web.el("#factory-reset").click()
    browser.switch_to.alert.accept()
    assert "Tick the box" in web.el("#reset-error").text
    web.el("#reset-confirm").click()
    browser.execute_script("window.__ckPage = true;")
    web.el("#factory-reset").click()
    browser.switch_to.alert.accept()
    assert web.el("#restarting")
    before = info
    info = station.wait_restarted(before, what="the station back after the factory reset")
    assert station.get("/api/config/PowerSourceVoltage")[1]["value"] == 230, "back to the default"
    assert station.get("/api/config/Timezone")[1]["value"] == "UTC"
    assert station.get("/api/whitelist")[1]["count"] == 0, "the whitelist is emptied"
    assert len(station.get("/api/sessions")[1]) == 1, "the charging history is kept"
    web.login("installer", NEW_PASSWORDS["installer"])
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/"), "the accounts are kept"


def test_simulator_panel_drives_the_station(browser, station):
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/simulator")
    Select(web.el("#sim-ev-1")).select_by_value("1p-16a")
    web.submit("#sim-plug-1")
    assert "plugged in" in web.el("#notice").text
    assert "1 phase(s), up to 16 A" in web.el("#sim-vehicle-1").text
    web.fill("#sim-uid", "04567DAA5F3580")
    web.submit("#sim-rfid")
    station.wait_status(1, "Charging")
    web.open("/simulator")
    web.shot("simulator")
    web.submit("#sim-unplug-1")
    assert "is locked" in web.el("#error").text, "the plug stays locked while the session runs"
    # An empty card identifier is refused with its reason.
    web.fill("#sim-uid", "")
    browser.execute_script("document.getElementById('sim-uid').removeAttribute('required');")
    web.submit("#sim-rfid")
    assert "card identifier" in web.el("#error").text
    # Inject a residual current fault on connector 1: the dashboard lists the error; clear it again.
    Select(web.el("#sim-fault")).select_by_value("rcd")
    Select(web.el("#sim-fault-connector")).select_by_value("1")
    web.submit("#sim-fault-on")
    wait_for(lambda: station.status()["activeErrors"], what="an active error")
    web.open("/")
    # The live dashboard may redraw the error list between finding the element and reading it (a stale element).
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#errors strong").text)
    web.open("/simulator")
    Select(web.el("#sim-fault")).select_by_value("rcd")
    web.submit("#sim-fault-off")
    web.submit("#sim-input-opto1")
    assert station.status()["inputs"]["opto1"] is True
    web.submit("#sim-pull-1")
    assert "unplugged" in web.el("#notice").text


def test_fields_appear_only_when_relevant(browser, station):
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/installation")
    address = web.el('[data-key="MeterIPAddress.1"]')
    assert not address.is_displayed(), "no meter address for the internal meter"
    Select(web.el("#p-MeterConfiguration\\.1")).select_by_index(1)
    WebDriverWait(browser, 5).until(lambda d: address.is_displayed())
    web.shot("installation-meter")
    web.open("/menu/network")
    assert "127.0.0.1" in web.el("#net-interfaces").text
    web.shot("network")
    web.open("/menu/load-management")
    assert not web.el('[data-key="DLMMasterAddress"]').is_displayed()
    Select(web.el("#p-DLMMode")).select_by_value("SlaveFixedIP")
    WebDriverWait(browser, 5).until(lambda d: web.el('[data-key="DLMMasterAddress"]').is_displayed())


def test_whitelist_entries_accept_block_and_expiry(browser, station):
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/whitelists?search=0A0E9B83")
    web.submit('[data-block="0A0E9B83"]')
    assert "was changed" in web.el("#notice").text
    assert "blocked" in web.el('tr[data-id="0A0E9B83"]').text
    entry = next(e for e in station.get("/api/whitelist")[1]["entries"] if e["id"] == "0A0E9B83")
    assert entry["authorization"] == "blocked"
    web.el('[data-edit="0A0E9B83"]').click()
    browser.execute_script("document.querySelector('[data-expiry=\"0A0E9B83\"]').value = '2031-05-01T12:30';")
    web.submit('[data-save="0A0E9B83"]')
    entry = next(e for e in station.get("/api/whitelist")[1]["entries"] if e["id"] == "0A0E9B83")
    assert entry["expiry"].startswith("2031-05-01T12:30") and entry["authorization"] == "blocked", entry
    web.submit('[data-accept="0A0E9B83"]')
    entry = next(e for e in station.get("/api/whitelist")[1]["entries"] if e["id"] == "0A0E9B83")
    assert entry["authorization"] == "accepted" and entry["expiry"].startswith("2031-05-01T12:30"), "accepting keeps the expiry"
    web.shot("whitelists-edit")


def test_clock_set_from_the_browser_once(browser, tmp_path):
    data = tmp_path / "realtime"
    data.mkdir()
    station = Station(data, time_scale=1).start()
    try:
        web = Web(browser, station)
        web.first_login("operator", initial_passwords(station)["operator"])
        web.open("/menu/system")
        assert "no backend is configured" in web.el("#sys-source").text
        # The browser's clock is an hour ahead: the station takes it once.
        browser.execute_script("var real = Date.now; Date.now = function () { return real() + 3600 * 1000; };")
        web.submit("#clock-browser")
        assert web.el("#clock-set")
        ahead = wait_for(lambda: station.status()["time"], what="status")
        import datetime
        station_time = datetime.datetime.fromisoformat(ahead.replace("Z", "+00:00"))
        difference = (station_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        assert 3590 < difference < 3610, difference
        events = station.get("/api/events?limit=20")[1]
        assert any(e["kind"] == "systemAction" and "Clock set from the browser" in e["message"] for e in events)
    finally:
        station.terminate()


def test_seeds002_1_7_authentication_mode_preset_in_the_browser(browser, station):
    """Issue 29 item 7: the Technagon authentication mode is a preset on the Authorization page — choosing a mode in the
    browser (which posts every field of the form) sets its parameters, and the page shows the mode the current values
    amount to, or Custom."""
    web = Web(browser, station)
    web.first_login("installer", initial_passwords(station)["installer"])
    web.open("/menu/authorization")

    def selected(key):
        return Select(web.el(f"#p-{key}")).first_selected_option.get_attribute("value")
    assert selected("AuthenticationMode") == "WhitelistedRFID"
    assert web.el("#preset-AuthenticationMode").is_displayed()
    Select(web.el("#p-AuthenticationMode")).select_by_value("NoRFID")
    web.submit("#save")
    assert web.el("#saved")
    assert selected("AuthenticationMode") == "NoRFID" and selected("DummyRfidEnabled") == "On"
    assert station.get("/api/config/DummyRfidEnabled")[1]["value"] is True
    web.shot("authorization-preset")
    Select(web.el("#p-DummyRfidEnabled")).select_by_value("Off")
    Select(web.el("#p-IfInDoubtAllowCharging")).select_by_value("on")
    web.submit("#save")
    assert selected("AuthenticationMode") == "Custom"


def test_issue22_5_dashboard_shows_the_leds_live(browser, station):
    """The connector's LEDs on the dashboard (seeds/004 §6): a lamp that follows the station through the live updates,
    the state in words, and the same indication in /api/status — for the simulator as for any board."""
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/")
    lamp = web.el('[data-connector="1"] .lamp')
    words = web.el('[data-connector="1"] [data-field="leds"]')
    assert lamp.get_attribute("data-lamp") == "ready"
    assert words.text == "green: ready"
    assert station.status()["connectors"][0]["leds"] == {"state": "ready", "cardRead": False}
    assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
    assert station.sim("rfid", "04567DAA5F3580").returncode == 0
    WebDriverWait(browser, 15).until(lambda d: lamp.get_attribute("data-lamp") == "charging")
    assert "blue, blinking every 2 seconds" in words.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", words)
    web.shot("dashboard-leds-charging")
    assert station.sim("fault", "1", "rcd-trip").returncode == 0
    WebDriverWait(browser, 15).until(lambda d: lamp.get_attribute("data-lamp") == "faultBlinks")
    assert words.text.startswith("red, 4 blinks"), words.text
    leds = station.status()["connectors"][0]["leds"]
    assert leds["state"] == "fault" and leds["errorBlinks"] == 4
    assert web.el('[data-connector="2"] .lamp').get_attribute("data-lamp") == "ready", "the other connector is not affected"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", words)
    web.shot("dashboard-leds-fault")
    assert station.sim("fault", "1", "rcd-trip", "--clear").returncode == 0
    WebDriverWait(browser, 15).until(lambda d: lamp.get_attribute("data-lamp") != "faultBlinks")
