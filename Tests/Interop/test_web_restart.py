"""The restart actions of the web interface in a real browser (issue 29 item 8): "Save & Restart" and "Restart now" for
saved changes that wait for a restart (seeds/004 §4, seeds/000 "Speichern" / "Neu starten"), "Operator Default &
Restart" as its own action beside the factory reset (seeds/004 §3), and "Clear persistent DLM slave DB" on the load
management page of a DLM master, with slaves of the suite's own DLM peer (seeds/004 §7.4)."""
import json

from dlm_peer import LightSlave
from station import Station, cli, wait_for
from test_dlm_link import KEY, configure, free_udp_port, slaves
from web_browser import NEW_PASSWORDS, Web, initial_passwords  # noqa: F401  (the browser fixture is in conftest.py)


def click_confirmed(web, browser, css):
    """Clicks a button whose form asks for confirmation, accepts the dialog and waits for the next page."""
    browser.execute_script("window.__ckPage = true;")
    web.el(css).click()
    browser.switch_to.alert.accept()
    wait_for(lambda: browser.execute_script("return document.readyState === 'complete' && !window.__ckPage;"), what="the next page")


def test_seeds004_4_restart_now_and_save_and_restart(browser, station, data_dir):
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    # A change that takes effect after a restart: saved, named in the notice with "Restart now".
    web.open("/menu/load-management")
    assert not browser.find_elements("css selector", "#restart-waiting"), "nothing waits yet"
    assert not web.el("[data-unsaved]").is_displayed(), "the Save & Restart button is no unsaved change"
    web.fill("#p-ModbusTCPServerBasePort", "1502")
    web.submit("#save")
    assert "Modbus TCP Server Base Port" in web.el("#restart-waiting").text
    web.open("/menu/backend")
    assert "Modbus TCP Server Base Port" in web.el("#restart-waiting").text, "every parameter page names what waits"
    web.shot("restart-waiting")
    before = json.loads((data_dir / "station.json").read_text())
    click_confirmed(web, browser, "#restart-now")
    assert web.el("#restarting")
    info = station.wait_restarted(before)
    web.login("operator", NEW_PASSWORDS["operator"])  # the web sessions end with the services
    web.open("/menu/load-management")
    assert not browser.find_elements("css selector", "#restart-waiting"), "in effect after the restart"
    # "Save & Restart": saved first, then the services restart with the new value in effect.
    web.open("/menu/backend")
    web.fill("#p-ChargeBoxIdentity", "CK-SAVED-RESTART")
    web.submit("#save-restart")
    assert web.el("#restarting")
    station.wait_restarted(info)
    assert station.status()["chargeBoxIdentity"] == "CK-SAVED-RESTART"
    web.login("operator", NEW_PASSWORDS["operator"])
    # A form with an error stores nothing and does not restart.
    web.open("/menu/backend")
    web.fill("#p-ChargeBoxIdentity", "bad identity with spaces")
    web.submit("#save-restart")
    assert web.el("#form-errors") and web.el("#e-ChargeBoxIdentity").text
    assert station.status()["chargeBoxIdentity"] == "CK-SAVED-RESTART"


def test_seeds004_3_operator_default_and_restart(browser, station, data_dir):
    for key, value, role in [("FreeCharging", "On", "operator"), ("OperatorCurrentLimit.1", "10", "operator"),
                             ("PowerSourceVoltage", "240", "installer")]:
        assert cli("config", "set", key, value, "--role", role, data_dir=data_dir).returncode == 0
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/menu/system")
    web.shot("operator-default")
    click_confirmed(web, browser, "#operator-default")
    assert "Tick the box" in web.el("#operator-default-error").text, "refused without the confirmation"
    assert station.get("/api/config/FreeCharging")[1]["value"] is True, "nothing changed"
    web.el("#operator-default-confirm").click()
    before = json.loads((data_dir / "station.json").read_text())
    click_confirmed(web, browser, "#operator-default")
    assert "operator's settings" in web.el("#restarting").text
    station.wait_restarted(before)
    assert station.get("/api/config/FreeCharging")[1]["value"] is False
    assert station.get("/api/config/OperatorCurrentLimit.1")[1]["value"] == 32
    assert station.get("/api/config/PowerSourceVoltage")[1]["value"] == 240, "the installer's setting stays"
    audit = station.get("/api/config-audit")[1]
    assert any(e["key"] == "FreeCharging" and "operator default" in e["changedBy"] for e in audit)
    web.login("operator", NEW_PASSWORDS["operator"])
    assert web.path() == "/", "the accounts are kept"


def test_seeds004_7_4_clear_persistent_dlm_slave_db_on_the_page(browser, tmp_path):
    link_port = free_udp_port()
    data_dir = tmp_path / "master"
    data_dir.mkdir()
    configure(data_dir, [("DLMNetworkKey", KEY), ("DLMMode", "MasterStandalone"), ("DLMLinkPort", link_port),
                         ("DLMDisableDiscoveryBroadcasting", "On"), ("DLMAlgorithmSampleRate", "1")])
    master = Station(data_dir, connectors=1, time_scale=1).start()
    peers = [LightSlave(f"LIGHT{i}", KEY, 0, ("127.0.0.1", link_port)) for i in range(2)]
    try:
        assert all(p.join() for p in peers)
        wait_for(lambda: set(slaves(master)) == {"LIGHT0", "LIGHT1"}, what="two slaves")
        for p in peers:
            p.close()
        web = Web(browser, master)
        web.first_login("operator", initial_passwords(master)["operator"])
        web.open("/menu/load-management")
        assert web.el("#dlm-known-slaves").text.endswith("2")
        assert "Installer" in web.el("#s-dlm-slave-db .badge").text, "the operator may not clear it"
        web = Web(browser, master)
        web.first_login("installer", initial_passwords(master)["installer"])
        web.open("/menu/load-management")
        click_confirmed(web, browser, "#clear-dlm-slaves")
        assert "2 slave(s) removed" in web.el("#slaves-cleared").text
        assert web.el("#dlm-known-slaves").text.endswith("0")
        web.shot("dlm-slaves-cleared")
        assert slaves(master) == {}
    finally:
        for p in peers:
            p.close()
        master.terminate()
