"""The SMA interface (issue 25 item 1; seeds/000 "SMA-Schnittstelle (Sunny Home Manager)") against the Sunny Home
Manager peer of semp_home_manager.py (written from SMA's SEMP documents; every document it receives or sends is validated
against the SEMP 1.3.0 schema shipped in the PyPI package pysma-plus). The station runs in one network namespace, the
manager in another, joined by a veth pair with a multicast route (netns.py): the manager finds the station by SSDP
alone, as "Der Sunny Home Manager sollte automatisch deine Station erkennen" promises.

The station runs at time scale 10, so the manager's minute (its poll and its re-send of a control) is 6 s of real time."""
import time

from semp_home_manager import GATEWAY_URN, HomeManager
from station import Station, cli, wait_for

MINUTE_S = 60 / 10
UNKNOWN_ID = "F-11223344-0000000000FF-00"


def start(data_dir, netns_pair, **params):
    for key, value in {"SMAInterface": "On", **params}.items():
        r = cli("config", "set", key, str(value), "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    station = Station(data_dir, extra=["--semp-interface", netns_pair.station.interface])
    station.namespace = netns_pair.station
    return station.start()


def manager(netns_pair):
    return HomeManager(namespace=netns_pair.manager, poll_period_s=MINUTE_S, control_period_s=MINUTE_S)


def device_ids(hm):
    return [i["Identification"]["DeviceId"] for i in hm.poll()["DeviceInfo"]]


def semp_limit(station, n=1):
    c = station.connector(n)
    return c["currentLimit"]["binding"], c["currentLimit"]["amps"], c.get("semp")


def charge(station, n=1, ev="3p-16a"):
    assert station.sim("plug", str(n), "--ev", ev).returncode == 0
    assert station.sim("rfid", Station.CARDS[n - 1]).returncode == 0


def switched_on(station, hm):
    """Discovers the station, starts a session on connector 1 and has the manager switch it on at 6.9 kW (10 A on three
    phases); returns the device ids."""
    hm.discover(timeout_s=15)
    ids = device_ids(hm)
    charge(station)
    assert hm.control(ids[0], True, 6900).status == 200
    wait_for(lambda: semp_limit(station)[:2] == ("semp", 10.0), what="10 A from 6.9 kW")
    station.wait_status(1, "Charging")
    return ids


def test_issue25_1_sunny_home_manager_discovers_the_station_by_ssdp_and_every_document_validates(data_dir, netns_pair):
    station = start(data_dir, netns_pair)
    try:
        with manager(netns_pair) as hm:
            gw = hm.discover(timeout_s=15)
            # UPnP Device Architecture 1.0 to the letter: answers, advertisements and the description without a quirk.
            assert gw.quirks == [], gw.quirks
            assert gw.device_type == GATEWAY_URN and gw.base_path == "/semp"
            assert gw.location == f"http://{netns_pair.station.address}:8090/description.xml"
            assert all(a.quirks == [] for a in hm.announcements), [a.quirks for a in hm.announcements if a.quirks]
            # One device per connector, an EV charger, with ids of the schema's form.
            doc = hm.poll()
            ids = [i["Identification"]["DeviceId"] for i in doc["DeviceInfo"]]
            assert len(ids) == 2 and len(set(ids)) == 2
            assert {i["Identification"]["DeviceType"] for i in doc["DeviceInfo"]} == {"EVCharger"}
            assert "PlanningRequest" not in doc  # no session, no need
            # A session: optional energy up to "SMA Höchstbedarf Energie" (30 kWh), over the next 24 h.
            charge(station)
            tf = wait_for(lambda: (p := hm.poll().get("PlanningRequest")) and p[0]["Timeframe"][0], timeout=15,
                          what="a PlanningRequest for the session")
            assert tf["DeviceId"] == ids[0] and tf["EarliestStart"] == 0 and tf["LatestEnd"] == 86400
            assert tf["MinEnergy"] == 0 and 29_000 < tf["MaxEnergy"] <= 30_000, tf
            for resource in ("DeviceInfo", "DeviceStatus", "PlanningRequest"):
                assert hm.get(resource, ids[0]).status == 200
            assert hm.get("DeviceStatus", UNKNOWN_ID).status == 404
            # The byebye when the station stops; the same ids when it is back (they derive from its serial).
            station.terminate()
            hm.wait_for(lambda hm: not hm.gateways, timeout_s=10, what="the station's byebye")
            station.start()
            hm.wait_for(lambda hm: hm.gateways, timeout_s=15, what="the station's alive after its restart")
            assert device_ids(hm) == ids
            hm.check()
    finally:
        station.terminate()


def test_issue25_1_on_off_and_power_steps_become_the_semp_limit_through_the_vehicles_phases(data_dir, netns_pair):
    station = start(data_dir, netns_pair)
    try:
        with manager(netns_pair) as hm:
            hm.discover(timeout_s=15)
            ids = device_ids(hm)
            charge(station)
            binding, amps, semp = wait_for(lambda: (s := semp_limit(station))[2] and s, what="the semp decision")
            assert (binding, amps) == ("semp", 0) and semp["reason"] == "waiting for the Sunny Home Manager to switch on"
            station.wait_status(1, "SuspendedEVSE")
            # On at 6.9 kW: a three-phase vehicle gets 6900 / (230 V × 3) = 10 A.
            assert hm.control(ids[0], True, 6900).status == 200
            wait_for(lambda: semp_limit(station)[:2] == ("semp", 10.0), what="10 A from 6.9 kW")
            station.wait_status(1, "Charging")
            status = wait_for(lambda: (s := hm.poll()["DeviceStatus"][0])["Status"] == "On"
                              and s["PowerConsumption"]["PowerInfo"][0]["AveragePower"] > 3000 and s, timeout=20,
                              what="DeviceStatus On with the measured power")
            assert status["EMSignalsAccepted"] is True
            # A power step down, then the manager's re-sends every minute change nothing.
            assert hm.control(ids[0], True, 4140).status == 200
            wait_for(lambda: semp_limit(station)[:2] == ("semp", 6.0), what="6 A from 4.14 kW")
            hm.wait_for(lambda hm: len(hm.exchanges_of("resend")) >= 2, timeout_s=3 * MINUTE_S + 5, what="two re-sends")
            assert all(e.status == 200 for e in hm.exchanges_of("resend"))
            assert semp_limit(station)[:2] == ("semp", 6.0)
            # Off pauses the session.
            assert hm.control(ids[0], False).status == 200
            wait_for(lambda: semp_limit(station)[:2] == ("semp", 0), what="off: 0 A")
            station.wait_status(1, "SuspendedEVSE")
            messages = [e["message"] for e in station.get("/api/events?limit=200")[1] if e["connector"] == 1]
            assert "Sunny Home Manager: off" in messages and any(m.startswith("Sunny Home Manager: 6.9 kW") for m in messages), messages
            hm.check()
    finally:
        station.terminate()


def test_issue25_1_malformed_xml_and_an_unknown_device_id_are_answered_400_and_change_nothing(data_dir, netns_pair):
    station = start(data_dir, netns_pair)
    try:
        with manager(netns_pair) as hm:
            ids = switched_on(station, hm)
            malformed = hm.post_raw("<EM2Device xmlns='http://www.sma.de/communication/schema/SEMP/v1'><DeviceControl>")
            assert malformed.status == 400 and "malformed EM2Device" in malformed.received, malformed
            unknown = hm.control(UNKNOWN_ID, False, standing=False)
            assert unknown.status == 400 and UNKNOWN_ID in unknown.received and ids[0] in unknown.received
            # A control for one of ours and one unknown: refused whole, our connector is not switched off.
            both = ("<?xml version='1.0'?><EM2Device xmlns='http://www.sma.de/communication/schema/SEMP/v1'>"
                    + "".join(f"<DeviceControl><DeviceId>{i}</DeviceId><On>false</On><Timestamp>0</Timestamp></DeviceControl>"
                              for i in (ids[0], UNKNOWN_ID)) + "</EM2Device>")
            assert hm.post_raw(both).status == 400
            assert hm.post_raw(b"\xff\xfe<<", content_type="application/xml").status == 400
            # A control is applied before its answer (in the same call on the station's actor): a refused body that
            # had changed anything would show now.
            assert semp_limit(station)[:2] == ("semp", 10.0)
            assert station.connector(1)["status"] == "Charging"
            hm.check()
    finally:
        station.terminate()


def test_issue25_1_silence_of_the_manager_longer_than_the_timeout_applies_the_fallback_current(data_dir, netns_pair):
    # "SMA Zeit bis Verbindungsausfall" 120 s (12 s here), "SMA Strom bei Verbindungsausfall" 8 A.
    station = start(data_dir, netns_pair, SMAConnectionTimeout=120, SMAFallbackCurrent=8)
    try:
        with manager(netns_pair) as hm:
            switched_on(station, hm)
            hm.silence()
            silent_since = time.monotonic()
            binding, amps, semp = wait_for(lambda: (s := semp_limit(station))[2]["fallback"] and s, timeout=30,
                                           what="the fallback current")
            assert time.monotonic() - silent_since >= 120 / 10 - MINUTE_S - 0.5, "not before the timeout"
            assert (binding, amps) == ("semp", 8.0) and "silent for" in semp["reason"], semp
            hm.resume()
            wait_for(lambda: semp_limit(station)[:2] == ("semp", 10.0) and not semp_limit(station)[2]["fallback"],
                     what="the last control back once the manager is heard")
            hm.check()
    finally:
        station.terminate()


def test_seeds000_sma_interface_settings_in_german_on_the_load_management_page(browser, station, data_dir):
    """seeds/000 "2. SMA-Schnittstelle (Sunny Home Manager)": the five settings with the seed's German words and
    defaults, set from the web interface (headless Chromium)."""
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from web_browser import Web, initial_passwords

    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/")
    web.el("details summary").click()
    Select(web.el("select[name=language]")).select_by_value("de")
    WebDriverWait(browser, 10).until(lambda d: "Übersicht" in d.page_source)
    web.open("/menu/load-management")
    labels = {key: web.el(f'label[for="p-{key}"]').text for key in
              ("SMAInterface", "SMAChargeMode", "SMAFallbackCurrent", "SMAConnectionTimeout", "SMAMaxEnergyDemand")}
    assert [labels[k].split("\n")[0] for k in labels] == [
        "SMA Schnittstelle", "SMA Lademodus", "SMA Strom bei Verbindungsausfall [A]", "SMA Zeit bis Verbindungsausfall [s]",
        "SMA Höchstbedarf Energie [kWh]"], labels
    mode = Select(web.el("#p-SMAChargeMode"))
    assert mode.first_selected_option.text == "Überschussladen"
    assert [o.text for o in mode.options] == ["Überschussladen", "Schnellladen"]
    assert web.el("#p-SMAFallbackCurrent").get_attribute("value") == "6"
    assert web.el("#p-SMAConnectionTimeout").get_attribute("value") == "600"
    assert web.el("#p-SMAMaxEnergyDemand").get_attribute("value") == "30"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", web.el("#p-SMAChargeMode"))
    web.shot("load-management-sma-de")
    web.fill("#p-SMAConnectionTimeout", "30")
    web.submit("#save")
    error = web.el("#e-SMAConnectionTimeout").text
    assert "60 to 86400 s" in error, error
    web.fill("#p-SMAConnectionTimeout", "900")
    mode = Select(web.el("#p-SMAChargeMode"))
    mode.select_by_visible_text("Schnellladen")
    web.submit("#save")
    assert web.el("#saved")
    assert "= Fast" in cli("config", "get", "SMAChargeMode", data_dir=data_dir).stdout
    assert "= 900" in cli("config", "get", "SMAConnectionTimeout", data_dir=data_dir).stdout


def test_issue25_1_an_interface_with_two_ipv4_addresses_is_joined_once_and_the_station_is_found(data_dir, netns_pair):
    """One interface, two IPv4 addresses (a DHCP lease and a fixed one): the SSDP group is joined once per interface
    (a second membership of the same interface fails with EADDRINUSE, which stopped the start), and the manager still
    finds the station."""
    import subprocess
    st = netns_pair.station
    second = "10.231.0.12"
    r = subprocess.run(["ip", "-n", st.name, "addr", "add", f"{second}/24", "dev", st.interface], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    try:
        station = start(data_dir, netns_pair)
        try:
            with manager(netns_pair) as hm:
                gw = hm.discover(timeout_s=15)
                assert gw.device_type == GATEWAY_URN and gw.quirks == [], gw.quirks
                assert len(hm.poll()["DeviceInfo"]) == 2
        finally:
            station.terminate()
    finally:
        subprocess.run(["ip", "-n", st.name, "addr", "del", f"{second}/24", "dev", st.interface], capture_output=True, timeout=10)
