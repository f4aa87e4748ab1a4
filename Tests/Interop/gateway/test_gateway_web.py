"""The gateway's web configuration and diagnostics (issue 9 item 6; seeds/003 §2.2 steps 4 and 8) in headless
chromium: the station's login and roles, settings pages that refuse bad values field by field and restart the gateway
services on save (the web interface stays up), the charger list and the OCPP scan, and the Diagnostic page with both
sides' state and the frames of each charger. Screenshots go to $CHARGEKIT_ARTIFACTS."""
import json
import socket
import time
import sys
from pathlib import Path

import pytest
import websockets
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from central_system import CentralSystem  # noqa: E402
from peers import BMS, Charger, Gateway, charger_base, wait_for  # noqa: E402
from web_browser import NEW_PASSWORDS, Web, initial_passwords  # noqa: E402


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, chargers=("CP1:2", "CP2:1")).start()
    yield g
    assert g.terminate() == 0


def settings(gateway):
    return json.loads(gateway.db("SELECT value FROM meta WHERE key = 'settings'")[0][0])


def logged_in(browser, gateway, role="installer"):
    web = Web(browser, gateway)
    web.first_login(role, initial_passwords(gateway)[role])
    return web


def row(browser, table, key, value):
    return browser.find_element(By.CSS_SELECTOR, f"#{table} tr[data-{key}='{value}']")


def test_diagnostic_shows_both_sides_and_the_frames_of_each_charger(browser, gateway, loop):
    web = Web(browser, gateway)
    web.open("/")
    assert web.path() == "/login", "no page without a session"
    web.shot("gateway-login")
    web.first_login("operator", initial_passwords(gateway)["operator"])

    cp1 = Charger(loop, gateway, "CP1").connect()
    cp1.boot()
    bms = BMS(gateway)
    bms.write(0, [1])  # the BMS heartbeat
    bms.read(charger_base(0), 4)
    bms.read_error(60000)  # outside the map: exception 02
    web.open("/")
    assert "connected" == row(browser, "d-chargers", "charger", "CP1").find_element(By.CSS_SELECTOR, ".state").text
    assert "not connected" == row(browser, "d-chargers", "charger", "CP2").find_element(By.CSS_SELECTOR, ".state").text
    assert web.el("#d-connected").text == "1 / 2"
    assert web.el("#d-bms").text.startswith("online")
    assert "function 3 · address 60000" in web.el("#d-last-request").text and "exception 02" in web.el("#d-last-request").text
    assert "address 60000" in web.el("#d-last-exception").text
    assert f"port {gateway.modbus_port}, unit id 1" == web.el("#d-tcp").text
    assert f":{gateway.ocpp_port}/" in web.el("#d-endpoint").text
    assert "connected" in web.el("#d-events").text
    web.shot("gateway-diagnostic")

    row(browser, "d-chargers", "charger", "CP1").find_element(By.LINK_TEXT, "Frames").click()
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/diagnostic/frames")
    frames = browser.find_elements(By.CSS_SELECTOR, "#f-table tbody tr")
    texts = [(f.get_attribute("class"), json.loads(f.find_element(By.CSS_SELECTOR, "pre").text)) for f in frames]
    boot_id = cp1.sent_id("BootNotification")
    # Newest first: the answer, then the request, byte for byte as they passed.
    assert ("fromCharger", [2, boot_id, "BootNotification", cp1.sent[0][3]]) in texts
    answer = next(t for c, t in texts if c == "toCharger" and t[1] == boot_id)
    assert answer[2]["status"] == "Accepted" and answer[2]["interval"] == 300
    assert texts.index(("toCharger", answer)) < texts.index(("fromCharger", [2, boot_id, "BootNotification", cp1.sent[0][3]]))
    web.shot("gateway-frames")
    bms.close()
    cp1.close()


def test_settings_refuse_bad_values_by_field_and_a_save_restarts_the_services(browser, gateway, loop):
    web = logged_in(browser, gateway)
    web.open("/settings/general")
    web.fill("#p-heartbeatIntervalSeconds", "5")
    web.fill("#p-bmsTimeoutSeconds", "soon")
    web.submit("#save")
    assert "'5' is not allowed. Allowed: 10…86400 s." == web.el("#e-heartbeatIntervalSeconds").text
    assert "'soon' is not allowed. Allowed: 1…300 s." == web.el("#e-bmsTimeoutSeconds").text
    assert web.el("#p-heartbeatIntervalSeconds").get_attribute("value") == "5", "what was typed is kept"
    assert settings(gateway)["heartbeatIntervalSeconds"] == 300, "nothing was saved"
    web.shot("gateway-settings-errors")

    web.fill("#p-heartbeatIntervalSeconds", "120")
    web.fill("#p-bmsTimeoutSeconds", "20")
    web.submit("#save")
    assert web.el("#saved").text.startswith("Saved.")
    gateway.wait_restarted()
    assert settings(gateway)["heartbeatIntervalSeconds"] == 120
    cp1 = Charger(loop, gateway, "CP1").connect()
    assert cp1.boot().interval == 120, "the restarted services hand out the new interval"

    web.open("/settings/modbus")
    web.fill("#p-modbusUnitID", "248")
    web.submit("#save")
    assert "Allowed: 0…247" in web.el("#e-modbusUnitID").text
    web.fill("#p-modbusUnitID", "7")
    Select(web.el("#p-rtuParity")).select_by_value("odd")
    web.submit("#save")
    web.el("#saved")
    gateway.wait_restarted()
    assert settings(gateway)["modbusUnitID"] == 7 and settings(gateway)["rtuParity"] == "odd"
    bms = BMS(gateway, unit=7)
    assert bms.read(charger_base(0)) == [1], "the BMS reaches unit 7; the restart closed CP1's connection (status 1)"
    bms.close()
    web.shot("gateway-settings-modbus")
    cp1.close()


def test_wss_files_are_checked_before_saving(browser, gateway, tmp_path):
    web = logged_in(browser, gateway)
    web.open("/settings/general")
    missing = str(tmp_path / "missing.pem")
    web.fill("#p-ocppTLSCertificateFile", missing)
    web.submit("#save")
    assert web.el("#e-ocppTLSKeyFile").text == "wss needs both the certificate and the private key file"
    web.fill("#p-ocppTLSKeyFile", missing)
    web.submit("#save")
    assert missing in web.el("#e-ocppTLSCertificateFile").text, "the unreadable file is named"
    assert settings(gateway)["ocppTLSCertificateFile"] == "", "nothing was saved"


def test_external_mode_from_the_web_shows_the_upstream_side(browser, gateway, loop):
    upstream = CentralSystem().start()
    try:
        web = logged_in(browser, gateway)
        web.open("/settings/general")
        assert not web.el("#p-externalURL").is_displayed(), "the central system's URL shows in External mode only"
        Select(web.el("#p-mode")).select_by_value("External")
        WebDriverWait(browser, 5).until(lambda d: web.el("#p-externalURL").is_displayed())
        web.submit("#save")
        assert "External mode needs the central system's" in web.el("#e-externalURL").text
        web.fill("#p-externalURL", upstream.url)
        web.fill("#p-externalPassword", "bridge-secret-4711")
        web.submit("#save")
        web.el("#saved")
        gateway.wait_restarted()
        stored = settings(gateway)
        assert stored["mode"] == "External" and stored["externalPassword"] == "bridge-secret-4711"

        web.open("/settings/general")
        assert web.el("#p-externalPassword").get_attribute("value") == "", "the password is never sent to the browser"
        assert "bridge-secret-4711" not in browser.page_source
        web.submit("#save")  # an empty password field keeps the stored one
        assert settings(gateway)["externalPassword"] == "bridge-secret-4711"

        cp1 = Charger(loop, gateway, "CP1").connect()
        cp1.boot()
        web.open("/")
        wait_for(lambda: (web.open("/"), row(browser, "d-chargers", "charger", "CP1").find_element(By.CSS_SELECTOR, ".upstream").text)[1]
                 == "connected", what="upstream connected")
        assert web.el("#d-external").text == upstream.url + "/<ChargerID>"
        web.shot("gateway-diagnostic-external")
        web.open("/diagnostic/frames?id=CP1")
        classes = [r.get_attribute("class") for r in browser.find_elements(By.CSS_SELECTOR, "#f-table tbody tr")]
        assert {"fromCharger", "toCentral", "fromCentral", "toCharger"} <= set(classes)
        cp1.close()
    finally:
        upstream.shutdown()
    upstream.check()


def test_scanned_chargers_are_accepted_or_dismissed(browser, gateway, loop):
    async def try_connect(cp_id):
        url = gateway.url(cp_id)
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(url, subprotocols=["ocpp1.6"]):
                pass
    loop.run(try_connect("NEW-CP"))
    loop.run(try_connect("STRAY-CP"))
    web = logged_in(browser, gateway)
    web.open("/settings/chargers")
    wait_for(lambda: (web.open("/settings/chargers"), len(browser.find_elements(By.CSS_SELECTOR, "#scan-table tr[data-scan]")))[1] == 2,
             what="both scanned")
    web.shot("gateway-chargers-scan")

    web.submit("button[data-dismiss='STRAY-CP']")
    assert not browser.find_elements(By.CSS_SELECTOR, "tr[data-scan='STRAY-CP']")
    scan = row(browser, "scan-table", "scan", "NEW-CP")
    Select(scan.find_element(By.CSS_SELECTOR, "select[name=connectors]")).select_by_value("3")
    web.submit("button[data-accept='NEW-CP']")
    web.el("#saved")
    gateway.wait_restarted()
    assert {"id": "NEW-CP", "slot": 2, "connectors": 3} in settings(gateway)["chargers"]
    assert gateway.db("SELECT id FROM scannedCharger") == []
    new = Charger(loop, gateway, "NEW-CP").connect()
    new.boot()
    bms = BMS(gateway)
    assert bms.read(charger_base(2)) == [0], "slot 2's communication status: connected"
    bms.close()
    new.close()


def test_charger_list_edits_keep_what_was_typed_on_errors(browser, gateway):
    web = logged_in(browser, gateway)
    web.open("/settings/chargers")
    web.fill("#c-id-1", "CP1")
    web.submit("#save")
    assert web.el("#e-id-1").text == "ChargerID 'CP1' is configured twice"
    assert web.el("#c-id-1").get_attribute("value") == "CP1"
    web.fill("#c-id-1", "CP 2")
    web.fill("#c-new-id", "CP3")
    web.submit("#save")
    assert "may not contain '/', spaces" in web.el("#e-id-1").text
    assert settings(gateway)["chargers"] == [{"id": "CP1", "slot": 0, "connectors": 2}, {"id": "CP2", "slot": 1, "connectors": 1}]

    web.fill("#c-id-1", "CP2")
    web.el("#c-remove-0").click()
    Select(web.el("#c-new-slot")).select_by_value("5")
    Select(web.el("#c-new-connectors")).select_by_value("7")
    web.submit("#save")
    web.el("#saved")
    gateway.wait_restarted()
    assert settings(gateway)["chargers"] == [{"id": "CP2", "slot": 1, "connectors": 1}, {"id": "CP3", "slot": 5, "connectors": 7}]
    assert web.el("tr[data-slot='5'] td.mono").text == "10100…12099"
    web.shot("gateway-chargers")


def test_the_operator_sees_the_settings_read_only_and_the_server_refuses_changes(browser, gateway):
    web = logged_in(browser, gateway, "operator")
    web.open("/settings/general")
    assert "needs the Installer role" in web.el("#readonly-note").text
    assert web.el("#p-heartbeatIntervalSeconds").get_attribute("disabled") is not None
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const body = new URLSearchParams({csrf: document.querySelector('input[name=csrf]').value, heartbeatIntervalSeconds: '60'});
        fetch('/settings/general', {method: 'POST', body}).then(r => done(r.status));""")
    assert status == 403
    assert settings(gateway)["heartbeatIntervalSeconds"] == 300
    web.open("/settings/chargers")
    assert not browser.find_elements(By.CSS_SELECTOR, "button[data-accept]")
    assert web.el("#save").get_attribute("disabled") is not None


def test_language_and_the_password_change_work_as_on_the_station(browser, gateway):
    web = logged_in(browser, gateway, "manufacturer")
    web.open("/")
    web.el("header .user summary").click()
    Select(web.el("select[name=language]")).select_by_value("de")
    WebDriverWait(browser, 10).until(lambda d: "Diagnose" in d.page_source)
    web.open("/settings/modbus")
    assert web.el("label[for=p-rtuParity]").text.startswith("Parität")
    web.shot("gateway-settings-de")
    web.el("header .user summary").click()
    Select(web.el("select[name=language]")).select_by_value("nl")
    WebDriverWait(browser, 10).until(lambda d: "Pariteit" in d.page_source)
    web.open("/account/password")
    web.change_password(NEW_PASSWORDS["manufacturer"], "manufacturer-pass-27")
    web.el(".alert.success")
    web.el("header .user summary").click()
    web.submit("#logout")
    web.login("manufacturer", "manufacturer-pass-27")
    WebDriverWait(browser, 10).until(lambda d: web.path() == "/")


def test_services_that_cannot_start_are_reported_and_recover_at_the_next_save(browser, gateway, loop):
    web = logged_in(browser, gateway)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        web.open("/settings/modbus")
        web.fill("#p-modbusTCPPort", str(port))
        web.submit("#save")
        web.el("#saved")
        wait_for(lambda: (web.open("/"), browser.find_elements(By.CSS_SELECTOR, "#service-failure"))[1], what="the failure shown")
        assert "The gateway services are not running" in web.el("#service-failure").text
        web.shot("gateway-service-failure")
        web.open("/settings/modbus")
        web.fill("#p-modbusTCPPort", "0")
        web.submit("#save")
        gateway.wait_restarted()
    web.open("/")
    assert not browser.find_elements(By.CSS_SELECTOR, "#service-failure")
    cp1 = Charger(loop, gateway, "CP1").connect()
    assert cp1.boot().status == "Accepted", "the services run again"
    cp1.close()


def test_a_gateway_waiting_to_retry_its_services_stops_at_once(browser, gateway):
    web = logged_in(browser, gateway)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web.open("/settings/general")
        web.fill("#p-ocppPort", str(taken.getsockname()[1]))
        web.submit("#save")
        wait_for(lambda: gateway.logged("the gateway services stopped"), what="the failure")
        started = time.monotonic()
        assert gateway.terminate() == 0
        assert time.monotonic() - started < 5, "SIGTERM does not wait for the retry"
