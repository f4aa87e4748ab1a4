"""Issue 24 item 4 (seeds/002 §1.6 Date/Time): the operating system's clock and time zone, set through
systemd-timedated — here python-dbusmock's timedated template on a private system bus (dbus_bus.py), the real station
binary started with DBUS_SYSTEM_BUS_ADDRESS pointing at it. A changed Timezone parameter becomes the OS time zone
(SetTimezone); a station clock set from the browser or the API is carried to the OS clock (SetTime, after SetNTP off
under TimeSource Heartbeat), so that it survives a restart; without timedated the station keeps working and the System
page says the OS clock is not managed."""
import datetime
import time

from selenium.webdriver.support.ui import Select

from dbus_bus import dbus_bus  # noqa: F401  (the fixture)
from station import Station, wait_for
from web_browser import Web, initial_passwords


def start_station(data_dir, bus):
    station = Station(data_dir, time_scale=1.0)  # a faster simulation keeps its own time and refuses clock sets
    station.env = bus.env
    return station.start()


def os_clock(station):
    return station.get("/api/system")[1]["osClock"]


def test_seeds002_1_6_timezone_parameter_and_clock_set_reach_timedated(dbus_bus, data_dir):  # noqa: F811
    timedated = dbus_bus.mock("timedated", {"Timezone": "Etc/UTC", "NTP": True})
    station = start_station(data_dir, dbus_bus)
    try:
        managed = wait_for(lambda: os_clock(station)["managed"] and os_clock(station), what="the OS clock managed")
        assert managed["timezone"] == "Etc/UTC" and managed["ntp"] is True, managed
        assert timedated.method_calls("SetTimezone") == [], "the factory Timezone (UTC) does not overwrite the OS zone"

        code, body = station.request("PUT", "/api/config/Timezone", {"value": "Europe/Berlin", "role": "operator"})
        assert code == 200, body
        assert timedated.wait_call("SetTimezone") == ["Europe/Berlin", False]
        wait_for(lambda: os_clock(station)["timezone"] == "Europe/Berlin", what="the OS zone shown")
        assert timedated.property("Timezone") == "Europe/Berlin"

        # "Set from this browser" through the API while NTP is on and synchronised: NTP is the better clock, the OS clock
        # is left to it (timedated would refuse SetTime anyway) and the page says why.
        ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        code, body = station.request("POST", "/api/system/clock", {"time": ahead.isoformat().replace("+00:00", "Z")})
        assert code == 200, body
        note = wait_for(lambda: (os_clock(station).get("note") or "").startswith("operating system clock not set") and os_clock(station)["note"],
                        what="the OS clock left to NTP")
        assert "NTP keeps the operating system's clock synchronised" in note, note
        assert timedated.method_calls("SetTime") == [] and timedated.method_calls("SetNTP") == []

        # NTP switched off on the OS (by someone else): the next clock set reaches the OS clock.
        dbus_bus.busctl("call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1", "org.freedesktop.timedate1", "SetNTP", "bb", "false", "false")
        timedated.clear_calls()
        ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
        code, body = station.request("POST", "/api/system/clock", {"time": ahead.isoformat().replace("+00:00", "Z")})
        assert code == 200, body
        usec, relative, interactive = timedated.wait_call("SetTime")
        assert (relative, interactive) == (False, False)
        assert abs(usec / 1e6 - ahead.timestamp()) < 30, usec
        assert timedated.method_calls("SetNTP") == []
        shown = wait_for(lambda: os_clock(station).get("setFrom") == "api" and os_clock(station), what="the OS clock set")
        assert shown["ntp"] is False and shown["setAt"] and "note" not in shown, shown

        # TimeSource NTP (seeds/002 §2.3): the OS's NTP is switched on again, and a browser's time stays the station's.
        code, body = station.request("PUT", "/api/config/TimeSource", {"value": "NTP", "role": "operator"})
        assert code == 200, body
        assert timedated.wait_call("SetNTP") == [True, False]
        assert timedated.property("NTP") is True
    finally:
        station.terminate()


def test_seeds002_1_6_without_timedated_the_os_clock_is_not_managed(dbus_bus, data_dir):  # noqa: F811
    station = start_station(data_dir, dbus_bus)  # a bus, but no timedated on it (a plain container)
    try:
        note = wait_for(lambda: os_clock(station)["note"] if not os_clock(station)["managed"] and "timedated" in os_clock(station)["note"] else None,
                        what="the unmanaged OS clock")
        assert "systemd-timedated is not on the system bus" in note, note
        ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
        code, body = station.request("POST", "/api/system/clock", {"time": ahead.isoformat().replace("+00:00", "Z")})
        assert code == 200, body  # the station's own clock still follows
        code, body = station.request("PUT", "/api/config/Timezone", {"value": "Europe/Berlin", "role": "operator"})
        assert code == 200, body
        assert station.proc.poll() is None
        log = station.log_path.read_text(errors="replace")
        assert log.count("are not managed: systemd-timedated is not on the system bus") == 1, log[-3000:]
    finally:
        station.terminate()


def test_seeds002_1_6_browser_time_zone_and_clock_on_the_system_page(browser, dbus_bus, data_dir):  # noqa: F811
    # NTP on but not synchronised (no internet): the case "Browser (only once)" is for. The template ties NTPSynchronized
    # to NTP, so it is cleared on the mock itself.
    timedated = dbus_bus.mock("timedated", {"Timezone": "Etc/UTC", "NTP": True})
    dbus_bus.busctl("call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1", "org.freedesktop.DBus.Properties", "Set",
                    "ssv", "org.freedesktop.timedate1", "NTPSynchronized", "b", "false")
    station = start_station(data_dir, dbus_bus)
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Amsterdam"})
    try:
        web = Web(browser, station)
        web.first_login("operator", initial_passwords(station)["operator"])
        wait_for(lambda: os_clock(station)["managed"], what="the OS clock managed")
        web.open("/menu/system")
        assert "managed by the station" in web.el("#sys-os-clock").text
        web.el("#tz-browser").click()
        assert Select(web.el("#p-Timezone")).first_selected_option.get_attribute("value") == "Europe/Amsterdam"
        assert web.el("#tz-browser-note").text == "Europe/Amsterdam"
        web.submit("#save")
        assert web.el("#saved")
        assert timedated.wait_call("SetTimezone") == ["Europe/Amsterdam", False]
        web.submit("#clock-browser")
        assert web.el("#clock-set")
        usec, _, _ = timedated.wait_call("SetTime")
        assert abs(usec / 1e6 - time.time()) < 30
        methods = [m for _, m, _ in timedated.calls() if m in ("SetNTP", "SetTime")]
        assert methods == ["SetNTP", "SetTime"] and timedated.method_calls("SetNTP") == [[False, False]], methods
        wait_for(lambda: os_clock(station).get("setFrom") == "browser", what="the OS clock set from the browser")
        web.open("/menu/system")
        text = web.el("#sys-os-clock").text
        assert "Europe/Amsterdam" in text and "NTP off" in text and "from the browser" in text, text
        web.shot("system-os-clock")
    finally:
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
        station.terminate()
