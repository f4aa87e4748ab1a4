"""The mobile modem through ModemManager (issue 24 item 3; seeds/004 §1.3, seeds/002 §1.4 Mobile and §3 WeakSignal).

The station binary talks D-Bus to python-dbusmock's ModemManager on a private bus (dbus_bus.py), extended by
modem_peer.py with the methods a client calls; what the station asked is read back from the mock's call log. The
static bearer test runs the station in a network namespace of its own with a dummy interface as the modem's, so that
the address and route it applies are the kernel's, read back with `ip`."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbus_bus import dbus_bus  # noqa: F401  (the fixture)
from modem_peer import ModemManagerPeer
from netns import Namespace, can_create
from station import Station, cli, wait_for
from web_browser import Web, initial_passwords  # noqa: F401  (the browser fixture is in conftest.py)

sys.path.insert(0, str(Path(__file__).resolve().parent / "ocpp16"))
from central_system import CentralSystem  # noqa: E402

GSM = [("ConnectionType", "GSM"), ("MobileAPN", "m2m.services"), ("MobileAPNUser", "g2m"), ("MobileAPNPassword", "apn-secret-pw"),
       ("MobileAuthentication", "CHAP")]


def configure(data_dir, settings):
    for key, value in settings:
        r = cli("config", "set", key, value, "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, r.stderr


def modem(station):
    code, body = station.get("/api/network/modem")
    assert code == 200
    return body


def test_seeds004_1_3_wrong_pin_once_then_connect_weak_signal_and_back_to_lan(dbus_bus, data_dir, browser):  # noqa: F811
    mm = ModemManagerPeer(dbus_bus, pin="73915")
    configure(data_dir, GSM + [("MobileSIMPIN", "24680"), ("MobileAccessTechnology", "4G"), ("WeakSignalThreshold", "20")])
    station = Station(data_dir, time_scale=10)
    station.env = dbus_bus.env
    station.start()
    try:
        # A wrong PIN is sent once, reported, and not sent again however often the station polls.
        assert mm.mock.wait_call("SendPin", path=mm.sim) == ["24680"]
        wait_for(lambda: "refused the PIN" in (modem(station).get("problem") or ""), what="the refused PIN reported")
        mm.wait_polls(3)
        assert mm.sim_calls("SendPin") == [["24680"]], "a wrong PIN is never retried (a SIM locks after three)"
        # The right PIN: unlocked, the access technology set, the APN connected with its user, password and CHAP.
        code, _ = station.request("PUT", "/api/config/MobileSIMPIN", {"value": "73915", "role": "installer"})
        assert code == 200
        assert mm.mock.wait_call("SendPin", path=mm.sim, count=2) == ["73915"]
        connect = mm.mock.wait_call("Connect", path=mm.modem)[0]
        assert connect == {"apn": "m2m.services", "user": "g2m", "password": "apn-secret-pw", "allowed-auth": 4}
        assert mm.modem_calls("SetCurrentModes") == [[[8, 0]]], "4G only (MMModemMode 4G = 8), asked once"
        m = wait_for(lambda: (lambda b: b if b["modem"] and b["modem"]["state"] == "connected" else None)(modem(station)), what="connected")
        assert m["managerAvailable"] and m["connectionType"] == "GSM"
        assert m["modem"]["iccid"] == "89883030000045459887" and m["modem"]["imsi"] == "206018037157525"
        assert m["modem"]["manufacturer"] == "Fibocom Wireless Inc." and m["modem"]["pinRetries"] == 2
        assert "PPP" in m["problem"], "a PPP bearer is named as needing NetworkManager; nothing was applied"
        # WeakSignal (seeds/002 §3): below 20 % for a minute of station time, cleared 5 points above.
        mm.set_signal(12)
        wait_for(lambda: any(e["id"] == "weakSignal" for e in station.status()["activeErrors"]), timeout=60, what="WeakSignal raised")
        web = Web(browser, station)
        web.first_login("installer", initial_passwords(station)["installer"])
        web.open("/menu/network")
        assert web.el("#m-iccid").text == "89883030000045459887"
        assert web.el("#mobile-weak").is_displayed()
        web.shot("network-mobile")
        mm.set_signal(60)
        wait_for(lambda: not any(e["id"] == "weakSignal" for e in station.status()["activeErrors"]), timeout=60, what="WeakSignal cleared")
        # Back to LAN: the station's own connection is closed.
        code, _ = station.request("PUT", "/api/config/ConnectionType", {"value": "LAN", "role": "installer"})
        assert code == 200
        assert mm.mock.wait_call("Disconnect", path=mm.modem) == ["/"]
    finally:
        station.terminate()
    log = station.log_path.read_text(errors="replace")
    assert "apn-secret-pw" not in log, "the APN password is never logged"
    assert not re.search(r"(?<!\d)(24680|73915)(?!\d)", log), "nor is a PIN"


def test_no_modemmanager_the_station_runs_on_the_lan(dbus_bus, data_dir):  # noqa: F811
    configure(data_dir, GSM)
    station = Station(data_dir, time_scale=10)
    station.env = dbus_bus.env  # a bus without ModemManager
    station.start()
    try:
        m = wait_for(lambda: (lambda b: b if b.get("managerProblem") else None)(modem(station)), what="the missing ModemManager reported")
        assert not m["managerAvailable"] and m.get("modem") is None
        assert "ModemManager is not running" in m["managerProblem"]
        assert station.status()["connectors"][0]["status"] == "Available"
    finally:
        station.terminate()


def test_seeds002_bootnotification_carries_the_sims_iccid_and_imsi(dbus_bus, data_dir):  # noqa: F811
    ModemManagerPeer(dbus_bus, locked=False)
    cs = CentralSystem().start()
    try:
        configure(data_dir, GSM + [("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-MODEM-01")])
        station = Station(data_dir, time_scale=1)
        station.env = dbus_bus.env
        station.start()
        try:
            wait_for(lambda: (modem(station).get("modem") or {}).get("iccid"), what="the SIM read")
            before = json.loads((data_dir / "station.json").read_text())
            assert station.request("POST", "/api/system/restart", {"kind": "services"})[0] == 202
            station.wait_restarted(before)
            boot = cs.wait_call("BootNotification", predicate=lambda p: "iccid" in p)
            assert boot["iccid"] == "89883030000045459887" and boot["imsi"] == "206018037157525"
        finally:
            station.terminate()
    finally:
        cs.shutdown()


@pytest.mark.skipif(can_create() is not None, reason=str(can_create()))
def test_static_bearer_address_and_route_on_the_modem_interface(dbus_bus, data_dir):  # noqa: F811
    ip4 = {"method": 2, "address": "10.64.12.7", "prefix": 30, "gateway": "10.64.12.6", "dns1": "10.11.12.13", "mtu": 1430}
    import dbus
    ModemManagerPeer(dbus_bus, locked=False, bearer_interface="wwan0",
                     ip4={k: dbus.UInt32(v) if isinstance(v, int) else v for k, v in ip4.items()})
    import secrets
    ns = Namespace(f"ck{secrets.token_hex(3)}-mo", "wwan0", "")
    subprocess.run(["ip", "netns", "add", ns.name], check=True)
    try:
        # The modem's network interface: one end of a veth pair (the dummy driver is not loadable everywhere).
        for args in (["link", "set", "lo", "up"], ["link", "add", "wwan0", "type", "veth", "peer", "name", "wwanpeer"],
                     ["link", "set", "wwanpeer", "up"]):
            subprocess.run(["ip", "-n", ns.name, *args], check=True)
        configure(data_dir, GSM)
        station = Station(data_dir, time_scale=10)
        station.env = dbus_bus.env
        station.namespace = ns
        station.start()
        try:
            def addresses():
                out = ns.run(["ip", "-j", "addr", "show", "wwan0"]).stdout
                return [f"{a['local']}/{a['prefixlen']}" for i in json.loads(out) for a in i.get("addr_info", []) if a["family"] == "inet"]
            wait_for(lambda: addresses() == ["10.64.12.7/30"], what="the bearer's address on wwan0")
            routes = json.loads(ns.run(["ip", "-j", "route", "show", "default"]).stdout)
            assert {"dst": "default", "gateway": "10.64.12.6", "dev": "wwan0", "metric": 50}.items() <= routes[0].items()
            link = json.loads(ns.run(["ip", "-j", "link", "show", "wwan0"]).stdout)[0]
            assert link["mtu"] == 1430
            m = wait_for(lambda: (lambda b: b if b["modem"]["state"] == "connected" else None)(modem(station)), what="connected on the page")
            assert not m.get("problem"), m.get("problem")
            # Back to LAN: disconnected, the address and the route are gone.
            code, _ = station.request("PUT", "/api/config/ConnectionType", {"value": "LAN", "role": "installer"})
            assert code == 200
            wait_for(lambda: addresses() == [], what="wwan0 cleared")
            assert json.loads(ns.run(["ip", "-j", "route", "show", "default"]).stdout) == []
        finally:
            station.terminate()
    finally:
        subprocess.run(["ip", "netns", "pids", ns.name], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)
