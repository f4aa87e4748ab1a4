"""Issue 29 item 13 in headless chromium: the Signals page (seeds/003 §2.2 step 6, the vendor tool's "Signals" tab)
with every signal's address, format, access and switch, its CSV export, and the project file (the whole configuration
as one file, secrets left out) exported and imported with validation. A pymodbus BMS checks that a signal switched off
answers as "Not used". Screenshots go to $CHARGEKIT_ARTIFACTS."""
import csv
import io
import json
import sys
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers import BMS, Gateway, charger_base  # noqa: E402
from web_browser import Web, initial_passwords  # noqa: E402

B = charger_base(0)


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, chargers=("CP1:2", "CP2:1"), extra=["--external-password", "upstream-secret-77"]).start()
    yield g
    assert g.terminate() == 0


def settings(gateway):
    return json.loads(gateway.db("SELECT value FROM meta WHERE key = 'settings'")[0][0])


def download(browser, gateway, path):
    """GET with the browser's session cookie: (content type, text)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(gateway.base + path, headers={"Cookie": cookies}), timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def click(web, css):
    """Clicks an element scrolled to the middle of the window (the sticky Save bar covers the bottom)."""
    element = web.el(css)
    web.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_seeds003_2_2_signals_tab_csv_and_project_file(browser, gateway, tmp_path):
    web = Web(browser, gateway)
    web.first_login("installer", initial_passwords(gateway)["installer"])

    # The Signals tab: registers 0…6 first, then one charger at a time.
    web.open("/settings/signals")
    assert web.el("#signals-table tr[data-address='0']").text.startswith("0 Heartbeat Gateway Integer RW")
    web.shot("gateway-signals-top")
    Select(web.el("#s-scope")).select_by_value("slot.0")
    web.submit("#s-show")
    row = web.el(f"#signals-table tr[data-address='{B + 65}']")
    assert row.text.startswith(f"{B + 65}…{B + 74} Id Tag Authorization CP1 String R")
    assert web.el(f"#on-{B + 65}").is_selected()
    # Switch off the Authorization Id Tag (R) and the Remote Start Id Tag (W).
    click(web, f"#on-{B + 65}")
    click(web, f"#on-{B + 378}")
    web.submit("#save")
    assert web.el("#saved").text.startswith("Saved.")
    gateway.wait_restarted()
    assert settings(gateway)["signalsOff"] == [B + 65, B + 378]
    assert not web.el(f"#on-{B + 378}").is_selected(), "the page shows the switch off"
    web.d.execute_script(f"document.querySelector(\"tr[data-address='{B + 378}']\").scrollIntoView({{block: 'center'}})")
    web.shot("gateway-signals")

    # An off signal answers as the seed's "Not used" registers: reads 0, a write answers exception 02.
    bms = BMS(gateway)
    assert bms.read(B + 378, 10) == [0] * 10
    assert bms.write_error(B + 378, 0x4142) == 2
    assert bms.write_error(B + 378, [0x4142] * 10) == 2
    bms.write(B + 377, 1)  # the signals around it still work
    bms.close()

    # The signal list as CSV for the BMS engineering.
    kind, text = download(browser, gateway, "/settings/signals.csv")
    assert kind.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_address = {int(r["address"]): r for r in rows}
    assert by_address[0] == {"address": "0", "last address": "0", "registers": "1", "owner": "Gateway", "signal": "Heartbeat",
                             "format": "Integer", "access": "RW", "state": "on"}
    assert by_address[B + 378]["state"] == "off" and by_address[B + 378]["access"] == "W" and by_address[B + 378]["last address"] == str(B + 387)
    assert by_address[B + 65]["state"] == "off"
    assert sum(1 for r in rows if r["owner"].startswith("CP2")) > 0

    # The project file: settings, signals and chargers; the password is not in it.
    kind, text = download(browser, gateway, "/settings/project.json")
    project = json.loads(text)
    assert project["format"] == "chargekit-gateway-project" and project["secretsOmitted"] == ["externalPassword", "metricsToken", "mqttPassword",
                                                                                        "chargers[].passwordHash"]
    assert "upstream-secret-77" not in text and "externalPassword" not in project["settings"]
    assert project["settings"]["signalsOff"] == [B + 65, B + 378]
    assert [c["id"] for c in project["settings"]["chargers"]] == ["CP1", "CP2"]

    # A bad file names its bad fields and changes nothing.
    web.open("/settings/project")
    bad = json.loads(text)
    bad["settings"]["heartbeatIntervalSeconds"] = 5
    bad["settings"]["chargers"][1]["connectors"] = 9
    path = tmp_path / "bad-project.json"
    path.write_text(json.dumps(bad))
    web.el("#project-file").send_keys(str(path))
    web.submit("#project-import")
    fields = [li.get_attribute("data-field") for li in browser.find_elements(By.CSS_SELECTOR, "#import-errors li")]
    assert "heartbeatIntervalSeconds" in fields and "chargers" in fields, fields
    assert "10…86400" in web.el("#import-errors li[data-field='heartbeatIntervalSeconds']").text
    web.shot("gateway-project-refused")
    assert settings(gateway)["heartbeatIntervalSeconds"] == 300 and settings(gateway)["signalsOff"] == [B + 65, B + 378]
    path.write_text("{ this is not json")
    web.el("#project-file").send_keys(str(path))
    web.submit("#project-import")
    assert web.el("#import-errors li[data-field='file']")

    # A good file (as copied to another gateway, changed) is taken whole; the stored password stays.
    good = json.loads(text)
    good["settings"]["heartbeatIntervalSeconds"] = 900
    good["settings"]["signalsOff"] = [B + 65]
    good["settings"]["bmsTimeZone"] = "Europe/Amsterdam"
    path.write_text(json.dumps(good))
    web.el("#project-file").send_keys(str(path))
    web.submit("#project-import")
    assert web.el("#imported").text.startswith("Project imported.")
    gateway.wait_restarted()
    stored = settings(gateway)
    assert stored["heartbeatIntervalSeconds"] == 900 and stored["signalsOff"] == [B + 65] and stored["bmsTimeZone"] == "Europe/Amsterdam"
    assert stored["externalPassword"] == "upstream-secret-77", "the secret the file leaves out is kept"
    web.shot("gateway-project-imported")
