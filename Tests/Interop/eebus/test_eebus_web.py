"""EEBUS on the web page (issue 26 item 4), in headless Chromium: the Load Management page's EEBUS card shows the
station's SKI and the energy managers DNS-SD found; "Pair energy manager" ("Energiemanager koppeln") trusts one; the
pairing state goes from "Not paired" to "Paired" once the manager is connected; the dashboard names the manager's
limit as the binding source with its reason; the German page uses the seed's words; "Unpair" forgets the manager.
The browser runs inside the station's network namespace (its web interface listens on 127.0.0.1 there), the manager
in the other one. Screenshots go to Tests/Interop/artifacts (eebus-card-*.png, eebus-dashboard.png)."""
from selenium.webdriver.support.ui import Select, WebDriverWait

from energy_manager import ControlBox
from station_eebus import charge, eebus, limit
from station import wait_for
from web_browser import Web, chromium, initial_passwords

PAGE = "/menu/load-management"


def grouped(ski):
    return " ".join(ski[i:i + 4] for i in range(0, len(ski), 4))


def test_issue26_4_pairing_on_the_web_page_and_the_managers_limit_on_the_dashboard(eebus_station, managers, netns_pair):
    station = eebus_station()
    manager = managers("grid-guard")
    manager.announce()
    own = eebus(station)
    node = manager.find_station(own["ski"])
    manager.trust(node.ski, node.host, node.port)
    wait_for(lambda: any(d["ski"] == manager.identity.ski for d in eebus(station)["discovered"]), timeout=20,
             what="the station discovering the manager")

    def browse():
        driver = chromium()
        try:
            web = Web(driver, station)
            web.first_login("operator", initial_passwords(station)["operator"])
            web.open(PAGE + "#s-eebus")
            card = web.el("#s-eebus")
            assert web.el("#eebus-ski").text == grouped(own["ski"])
            assert web.el("#eebus-state").get_attribute("data-state") == "notPaired"
            assert "Not paired" in web.el("#eebus-state").text
            row = next(r for r in card.find_elements("css selector", "#eebus-managers tbody tr") if grouped(manager.identity.ski) in r.text)
            assert "ChargeKit Tests" in row.text
            web.shot("eebus-card-discovered")
            # Pair: the station trusts the manager and connects to it (the manager trusts the station already).
            web.d.execute_script("window.__ckPage = true;")
            row.find_element("css selector", "button.eebus-pair").click()
            WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState === 'complete' && !window.__ckPage;"))
            assert "The energy manager is trusted" in web.el("#eebus-notice").text
            session = manager.accept(timeout=30)
            box = ControlBox(session).setup()

            def state():
                web.open(PAGE + "#s-eebus")
                return web.el("#eebus-state").get_attribute("data-state")
            WebDriverWait(driver, 20, poll_frequency=0.5).until(lambda d: state() == "paired")
            assert grouped(manager.identity.ski) in web.el("#eebus-paired").text
            web.shot("eebus-card-paired")
            # The manager's limit on the dashboard, with why.
            charge(station, 1, "3p-16a")
            assert box.write_limit(6900, active=True) == {"errorNumber": 0}
            wait_for(lambda: limit(station) == ("eebus", 10.0), timeout=5, what="the eebus binding at 10 A")
            web.open("/")
            binding = web.el('[data-connector="1"] [data-field="binding"]')
            WebDriverWait(driver, 10).until(lambda d: "grid operator limit (LPC) 6900 W" in binding.text)
            assert binding.text.startswith("eebus")
            web.shot("eebus-dashboard")
            # The card in German: the seed's words.
            web.el("details summary").click()
            Select(web.el("select[name=language]")).select_by_value("de")
            WebDriverWait(driver, 10).until(lambda d: "Übersicht" in d.page_source)
            web.open(PAGE + "#s-eebus")
            text = web.el("#s-eebus").text
            assert "Kopplungsstatus des Energiemanagers" in text and "Gekoppelt" in text, text
            assert "Kennung des gekoppelten Energiemanagers" in text and "Energiemanager trennen" in text, text
            assert "EEBus-Schnittstelle" in web.d.page_source and "Strom bei Verbindungsausfall [A]" in web.d.page_source
            web.shot("eebus-card-de")
            # Unpair: the connection closes, the SKI is forgotten, the limit lifted.
            web.d.execute_script("window.confirm = () => true; window.__ckPage = true;")
            web.el("#eebus-unpair").click()
            WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState === 'complete' && !window.__ckPage;"))
            assert web.el("#eebus-state").get_attribute("data-state") == "notPaired"
            assert "Nicht gekoppelt" in web.el("#eebus-state").text
            web.shot("eebus-card-unpaired-de")
            session.wait_closed(timeout=10)
            return True
        finally:
            driver.quit()

    assert netns_pair.station.call(browse, timeout=180)
    assert eebus(station)["pairing"] == {"state": "notPaired"}
    wait_for(lambda: limit(station)[0] != "eebus", timeout=10, what="the manager's limit lifted")
