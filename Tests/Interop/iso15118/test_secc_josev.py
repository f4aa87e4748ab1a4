"""Issue 27: a simulated station charges a vehicle over ISO 15118-2 AC with external identification (EIM), end to end,
against Josev's EVCC (PyPI `iso15118` 0.31.2) — the station's own SLAC, SDP, V2GTP and SECC on the PLC interface of
its board description, the vehicle's side in another network namespace (josev.LinkPair).

The station runs `chargekit station --board FILE` with a simulated board whose connector 1 has `plcInterface` (the
station's veth end) and HLC mode Force (the pilot shows 5 %). The simulated vehicle is plugged with `hlc: external`:
it follows the pilot and closes S2 (state C) only after its session's PowerDeliveryReq Start, as ISO 15118-2:2014
[V2G2-847] has it; its ISO 15118 side is Josev's EVCC. Before each session the vehicle-side SLAC of slac_ev.py
matches with the station on the same veth (it also plays the station's modem, answering CM_SET_KEY).

What the tests hold the station to, asserted on both sides' logs and the station's API (a wait for a line or a state,
never a sleep as evidence):
- EIM: AuthorizationRes Ongoing until a card is presented, then Finished → ChargeParameterDiscovery → PowerDelivery
  Start → the ChargingStatus loop → PowerDelivery Stop → SessionStop; the transaction starts and stops, the status API
  shows the EVCCID (the vehicle's MAC);
- Autocharge: the vehicle's MAC on the whitelist authorizes without a card;
- a limit change during the session reaches the vehicle as EVSEMaxCurrent in ChargingStatusRes, and the station's
  stop (a card) reaches it as EVSENotification StopCharging, after which the vehicle stops and ends the session;
- the vehicle vanishing mid-session: the station logs the close and the connector charges the next vehicle;
- a DIN-only vehicle: Failed_NoNegotiation, and in Force mode the pilot falls back to the nominal duty cycle
  (ISO 15118-3:2015 §7.7, D-LINK_ERROR) so that the vehicle charges by the PWM.

Josev's own timeouts are scaled (timeout_scale): these tests test the station's behaviour, not its speed."""
import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import josev

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import slac_ev as slac  # noqa: E402
from station import BIN, Station, cli, wait_for  # noqa: E402

CARD = "04567DAA5F3580"
# At least 3 (a busy runner's EXI codec needs up to a second per message); more if the run asks for more.
EVCC_TIMEOUT_SCALE = max(3.0, float(os.environ.get("CHARGEKIT_JOSEV_TIMEOUT_SCALE", "1")))
MODBUS_PORT = 1502
MAX_CURRENT = r'"EVSEMaxCurrent":\{"Multiplier":(-?\d),"Unit":"A","Value":(-?\d+)\}'


def res(name, field=""):
    """A regex for the EVCC's log line of a decoded response `name` (Josev: `Decoded message (...): {...}`)."""
    return r'Decoded message.*"%s":\{%s' % (name, field)


@contextlib.contextmanager
def station_on_link(directory, configure, time_scale=10, extra=(), ready=""):
    """A LinkPair with the station (`chargekit station --board FILE`, a simulated board whose connector 1 has the
    station's veth end as plcInterface) in the station's namespace and slac_ev.py's line in the vehicle's; yields
    (pair, station, log, line) once the V2G servers listen (`ready`: more of that log line). `configure(pair, data)`
    sets the station's configuration in its data directory before it starts."""
    with josev.LinkPair() as pair:
        # The vehicle-side SLAC peer answers for several stations (the station's modem too): any destination MAC.
        subprocess.run(["ip", "-n", pair.ev.name, "link", "set", pair.ev.interface, "promisc", "on"], check=True)
        board = directory / "board.json"
        board.write_text(json.dumps({"driver": "simulated", "connectors": [{"plcInterface": pair.station.interface}]}))
        data = directory / "data"
        data.mkdir()
        configure(pair, data)
        station = Station(data, connectors=1, time_scale=time_scale)
        station.board = board
        station.namespace = pair.station
        station.log_level = "info"
        station.extra = list(extra)
        station.start()
        line = pair.ev.call(slac.Line, pair.ev.interface)
        log = josev.JosevProcess.__new__(josev.JosevProcess)  # a reader of the station's log (not a process of ours)
        log.log_path, log.offset, log.proc = station.log_path, 0, station.proc
        try:
            log.wait_for(r"ISO 15118: SDP on \[ff02::1%" + pair.station.interface + ready, timeout=30)
            yield pair, station, log, line
        finally:
            line.close()
            station.terminate()


def skip_without_josev():
    reason = josev.skip_reason()
    if reason:
        pytest.skip(reason)
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no chargekit binary at {BIN} (CHARGEKIT_BIN)")


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    skip_without_josev()
    directory = tmp_path_factory.mktemp("secc")

    def configure(pair, data):
        r = cli("config", "set", "HLCMode", "force", "--role", "installer", data_dir=data)
        assert r.returncode == 0, r.stderr
        r = cli("config", "set", "HLCEVSEID.1", "1234", "--role", "installer", data_dir=data)
        assert r.returncode != 0 and "HLCEVSEID" in r.stderr and "7 to 37" in r.stderr, r.stderr
        r = cli("config", "set", "HLCEVSEID.1", "DE*CKT*E0001*1", "--role", "installer", data_dir=data)
        assert r.returncode == 0, r.stderr
        r = cli("config", "set", "HLCAdditionalLogging", "On", "--role", "installer", data_dir=data)
        assert r.returncode == 0, r.stderr
        # The OMCCI registers (Modbus TCP on the station namespace's own loopback: the port is free there).
        for key, value in [("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", str(MODBUS_PORT))]:
            assert cli("config", "set", key, value, "--role", "operator", data_dir=data).returncode == 0

    with station_on_link(directory, configure, extra=["--modbus-host", "127.0.0.1"]) as (pair, station, log, line):
        yield pair, station, log, line, directory


@pytest.fixture(autouse=True)
def unplugged_after(rig):
    """Each test leaves the connector empty, whatever happened (a failed test does not fail the next)."""
    yield
    _, station, _, _, _ = rig
    if station.proc.poll() is None:
        station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})


def omcci(pair, address, count):
    """Holding registers of connector 1's OMCCI set, read inside the station's namespace."""
    from pymodbus.client import ModbusTcpClient

    def read():
        c = ModbusTcpClient("127.0.0.1", port=MODBUS_PORT, timeout=5)
        assert c.connect()
        try:
            r = c.read_holding_registers(address, count=count, device_id=255)
            assert not r.isError(), f"read {address}x{count}: {r}"
            return r.registers
        finally:
            c.close()
    return pair.station.call(read)


def ev_mac(pair):
    out = subprocess.run(["ip", "-n", pair.ev.name, "-o", "link", "show", "dev", pair.ev.interface],
                         capture_output=True, text=True, check=True).stdout
    return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)


def plug_and_match(rig):
    """Plugs the external ISO 15118 vehicle and runs its SLAC with the station (ISO 15118-3 Annex A)."""
    pair, station, log, line, _ = rig
    code, body = station.request("POST", "/api/sim/plug", {"connector": 1, "hlc": "external"})
    assert code == 200, body
    ev = slac.EV(line, bytes.fromhex(ev_mac(pair).replace(":", "")), attenuation_db=20)
    result = pair.ev.call(ev.match, timeout=40)
    assert result["result"] == "matched", result
    log.wait_for(r"SLAC matched the vehicle", timeout=20)


def start_evcc(rig, name, **config):
    pair, _, _, _, directory = rig
    run = directory / name
    run.mkdir()
    settings = json.loads(josev.evcc_config().read_text())
    # A charge loop of a few seconds (chargeLoopDelay 1 s): the station's 100 ms control steps must see the vehicle
    # charge before it stops; Josev's default loop without a delay can start and stop within one step.
    settings.update({"useTls": False, "supportedProtocols": ["ISO_15118_2"], "chargeLoopCycle": 3, "chargeLoopDelay": 1}, **config)
    path = run / "evcc.json"
    path.write_text(json.dumps(settings))
    return josev.start_evcc(pair.ev, run, config=path, timeout_scale=EVCC_TIMEOUT_SCALE)


def unplug(rig):
    _, station, _, _, _ = rig
    code, body = station.request("POST", "/api/sim/unplug", {"connector": 1, "force": True})
    assert code == 200, body
    station.wait_status(1, "Available")


def test_iso2_eim_card_authorizes_and_charges(rig):
    pair, station, log, _, _ = rig
    plug_and_match(rig)
    evcc = start_evcc(rig, "eim")
    try:
        evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"OK_SuccessfulNegotiation"'), fail=josev.EVCC_GAVE_UP)
        evcc.wait_for(res("SessionSetupRes", '"ResponseCode":"OK_NewSessionEstablished","EVSEID":"DE\\*CKT\\*E0001\\*1"'))
        # Additional Logging: the station's log has every message decoded, both ways.
        log.wait_for(r'ISO 15118 message from the vehicle .*"SessionSetupReq":\{"EVCCID":"%s"' % ev_mac(pair).replace(":", "").upper())
        log.wait_for(r'ISO 15118 message to the vehicle .*"SessionSetupRes":\{"EVSEID":"DE\*CKT\*E0001\*1"')
        evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Ongoing'))
        assert "session" not in station.connector(1), "no transaction before the card"
        assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
        evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Finished"'))
        evcc.wait_for(res("ChargeParameterDiscoveryRes", '"ResponseCode":"OK"'))
        evcc.wait_for(res("PowerDeliveryRes", '"ResponseCode":"OK"'))
        c = station.wait_status(1, "Charging")
        assert c["session"]["idTag"].upper() == CARD
        assert c["evccid"] == ev_mac(pair).replace(":", "").upper(), c
        # Modbus: 740 "smart vehicle detected", 741–746 the EVCCID, 715 the vehicle's maximum current and 700 the energy
        # it asked for (ChargeParameterDiscoveryReq: EVMaxCurrent 32 A, EAmount 60 Wh).
        block = omcci(pair, 700, 47)
        assert block[40] == 1 and bytes(b for w in block[41:47] for b in w.to_bytes(2, "big")).decode() == c["evccid"], block
        assert block[715 - 700] == 32 and block[0] == 60, block
        evcc.wait_for(res("ChargingStatusRes", '"ResponseCode":"OK","EVSEID":"DE\\*CKT\\*E0001\\*1"'))
        evcc.wait_for(r'Message to encode.*"PowerDeliveryReq": \{"ChargeProgress": "Stop"')
        evcc.wait_for(res("PowerDeliveryRes", '"ResponseCode":"OK"'))
        evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'))
        log.wait_for(r"ISO 15118: SessionStop Terminate")
        station.wait_status(1, "SuspendedEV")  # the vehicle opened S2 after PowerDelivery Stop; the transaction runs on
    finally:
        evcc.stop()
    unplug(rig)
    code, sessions = station.get("/api/sessions?limit=1")
    assert code == 200 and sessions[0]["idTag"].upper().endswith(CARD[-4:]) and sessions[0].get("stoppedAt"), sessions


def test_iso2_autocharge_whitelisted_mac_authorizes_without_card(rig):
    pair, station, log, _, _ = rig
    mac = ev_mac(pair).upper()
    code, body = station.request("POST", "/api/whitelist", {"id": mac})
    assert code == 201, body
    assert station.request("PUT", "/api/config/Autocharge", {"value": True})[0] == 200
    try:
        plug_and_match(rig)
        evcc = start_evcc(rig, "autocharge")
        try:
            evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Finished"'), fail=josev.EVCC_GAVE_UP)
            c = station.wait_status(1, "Charging")
            assert c["session"]["method"] == "Autocharge" and c["session"]["idTag"] == mac.replace(":", ""), c
            evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'))
        finally:
            evcc.stop()
        unplug(rig)
    finally:
        station.request("PUT", "/api/config/Autocharge", {"value": False})
        station.request("DELETE", f"/api/whitelist/{mac}")


def test_iso2_limit_change_reaches_vehicle_and_card_stops_it(rig):
    pair, station, log, _, _ = rig
    plug_and_match(rig)
    evcc = start_evcc(rig, "limit", chargeLoopCycle=40, chargeLoopDelay=1)
    try:
        evcc.wait_for(res("AuthorizationRes", '"ResponseCode":"OK","EVSEProcessing":"Ongoing'), fail=josev.EVCC_GAVE_UP)
        assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
        first = evcc.wait_for(res("ChargingStatusRes"))
        m, v = re.search(MAX_CURRENT, first).groups()
        assert int(v) * 10 ** int(m) == 32, first  # the connector's rated 32 A: the limit chain's result
        station.wait_status(1, "Charging")
        code, body = station.request("PUT", "/api/config/OperatorCurrentLimit.1", {"value": 10})
        assert code == 200, body

        def ten_amps(line):
            m, v = re.search(MAX_CURRENT, line).groups()
            return int(v) * 10 ** int(m) == 10
        while not ten_amps(evcc.wait_for(res("ChargingStatusRes"), timeout=30)):
            pass
        log.wait_for(r"EVSEMaxCurrent 10(\.0)? A sent")
        # The station stops the session (the card again): StopCharging → PowerDelivery Stop → SessionStop.
        assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
        evcc.wait_for(res("ChargingStatusRes", '.*"EVSENotification":"StopCharging"'), timeout=30)
        evcc.wait_for(r'Message to encode.*"PowerDeliveryReq": \{"ChargeProgress": "Stop"')
        evcc.wait_for(res("SessionStopRes", '"ResponseCode":"OK"'))
        wait_for(lambda: "session" not in station.connector(1), what="the transaction stopped")
    finally:
        evcc.stop()
        station.request("PUT", "/api/config/OperatorCurrentLimit.1", {"value": 32})
    unplug(rig)


def test_iso2_vehicle_vanishes_mid_session_connection_closed(rig):
    pair, station, log, _, _ = rig
    plug_and_match(rig)
    evcc = start_evcc(rig, "vanish", chargeLoopCycle=40, chargeLoopDelay=1)
    try:
        evcc.wait_for(res("AuthorizationRes"), fail=josev.EVCC_GAVE_UP)
        assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
        evcc.wait_for(res("ChargingStatusRes"))
    finally:
        evcc.proc.kill()  # SIGKILL: no SessionStop, the kernel closes its socket
        evcc.stop()
    log.wait_for(r"closed before the session ended: closed by the vehicle", timeout=30)
    assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200  # the driver ends the transaction
    wait_for(lambda: "session" not in station.connector(1), what="the transaction stopped")
    unplug(rig)
    # The connector is usable again: the next vehicle gets a new session.
    plug_and_match(rig)
    evcc = start_evcc(rig, "after-vanish", chargeLoopCycle=1)
    try:
        evcc.wait_for(res("SessionSetupRes", '"ResponseCode":"OK_NewSessionEstablished"'), fail=josev.EVCC_GAVE_UP)
    finally:
        evcc.stop()
    unplug(rig)


def test_din_only_vehicle_no_negotiation_pilot_falls_back_to_nominal(rig):
    pair, station, log, _, _ = rig
    plug_and_match(rig)
    assert station.connector(1)["pilotSignal"]["kind"] == "hlc", station.connector(1)
    evcc = start_evcc(rig, "din", supportedProtocols=["DIN_SPEC_70121"])
    try:
        evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"Failed_NoNegotiation"'), fail=r"Traceback")
    finally:
        evcc.stop()
    log.wait_for(r"ISO 15118 link failed: the vehicle offered no protocol")
    wait_for(lambda: station.connector(1)["pilotSignal"]["kind"] != "hlc", what="the pilot left 5 %")
    assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
    c = station.wait_status(1, "Charging")  # by the PWM alone
    assert c["pilotSignal"]["kind"] == "pwm" and c["pilotSignal"]["dutyPercent"] > 5, c
    assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
    wait_for(lambda: "session" not in station.connector(1), what="the transaction stopped")
    unplug(rig)


def test_hlc_mode_off_stops_the_servers_and_force_restarts_them(rig):
    pair, station, log, _, _ = rig
    code, body = station.request("PUT", "/api/config/HLCEVSEID.1", {"value": "DE*1"})
    # A rule of the registry (empty or 7–37: the text type alone cannot say it) answers as the other rules do: 409.
    assert code == 409 and "HLCEVSEID.1" in body["error"] and "7 to 37" in body["allowed"], body
    assert station.request("PUT", "/api/config/HLCMode", {"value": "off"})[0] == 200
    log.wait_for(r"ISO 15118: servers on %s stopped: HLC mode Off$" % pair.station.interface)
    assert station.request("PUT", "/api/config/HLCMode", {"value": "force"})[0] == 200
    log.wait_for(r"ISO 15118: SDP on \[ff02::1%" + pair.station.interface, timeout=30)
    plug_and_match(rig)
    evcc = start_evcc(rig, "after-restart", chargeLoopCycle=1)
    try:
        evcc.wait_for(res("SessionSetupRes", '"ResponseCode":"OK_NewSessionEstablished"'), fail=josev.EVCC_GAVE_UP)
    finally:
        evcc.stop()
    unplug(rig)


def missing_plc_station(tmp_path):
    """A station in mode Force on a simulated board whose plcInterface does not exist, started; and a reader of its
    log."""
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no chargekit binary at {BIN} (CHARGEKIT_BIN)")
    board = tmp_path / "board.json"
    board.write_text(json.dumps({"driver": "simulated", "connectors": [{"plcInterface": "ckmissing0"}]}))
    data = tmp_path / "data"
    data.mkdir()
    assert cli("config", "set", "HLCMode", "force", "--role", "installer", data_dir=data).returncode == 0
    station = Station(data, connectors=1)
    station.board = board
    station.log_level = "info"
    station.start()
    log = josev.JosevProcess.__new__(josev.JosevProcess)  # a reader of the station's log
    log.log_path, log.offset, log.proc = station.log_path, 0, station.proc
    return station, log


def test_vehicle_plugged_while_the_servers_start_falls_back_when_they_fail(tmp_path):
    """The servers wait up to 10 s for the interface's link-local address before they give up; a vehicle plugged in
    meanwhile must not wait at 5 % for ever: when they fail, its link fails too and it charges by the PWM."""
    station, log = missing_plc_station(tmp_path)
    try:
        code, body = station.request("POST", "/api/sim/plug", {"connector": 1})
        assert code == 200, body
        assert "did not start" not in Path(station.log_path).read_text(), "plugged before the servers gave up"
        log.wait_for(r"ISO 15118 servers on ckmissing0 .* did not start", timeout=30)
        log.wait_for(r"ISO 15118 link failed: the ISO 15118 servers on ckmissing0 are not running")
        wait_for(lambda: station.connector(1)["pilotSignal"]["kind"] != "hlc", what="the pilot left 5 %")
    finally:
        station.terminate()


def test_missing_plc_interface_is_logged_and_the_station_runs_on(tmp_path):
    """A simulated board whose plcInterface does not exist: the station starts, logs what to check for the servers
    and for SLAC, and serves its API (a real board's description is refused at start instead, HardwareBoard); a
    vehicle plugged in then charges by the PWM."""
    station, log = missing_plc_station(tmp_path)
    try:
        log.wait_for(r"ISO 15118 servers on ckmissing0 \(connectors\[0\]\.plcInterface\) did not start: .*does not exist", timeout=30)
        assert station.status()["connectors"][0]["status"] == "Available"
        code, body = station.request("POST", "/api/sim/plug", {"connector": 1})
        assert code == 200, body
        # Nothing can talk ISO 15118 to the vehicle: a link failure at once, the pilot leaves 5 % (mode Force).
        log.wait_for(r"ISO 15118 link failed: the ISO 15118 servers on ckmissing0 are not running")
        wait_for(lambda: station.connector(1)["pilotSignal"]["kind"] != "hlc", what="the pilot left 5 %")
        assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
        station.wait_status(1, "Charging")
    finally:
        station.terminate()
