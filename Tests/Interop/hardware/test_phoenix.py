"""A station on a Phoenix Contact EV Charge Control over Modbus TCP (`chargekit station --board FILE`, driver
phoenix-ev-charge-control), against the emulated controller of phoenix_emulator.py and the independent OCPP central
system of the OCPP suite: a whole session with its limit set by SetChargingProfile, pause and resume, a controller
error, the controller going silent and answering garbage, a digital input, and a start without a controller."""
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ocpp.v16 import call

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "ocpp16"))
sys.path.insert(0, str(HERE))
from phoenix_emulator import PhoenixEmulator, free_port  # noqa: E402
from station import BIN, Station, cli, wait_for  # noqa: E402


class BoardStation(Station):
    """A station on the board described by `board` (a dict, written to board.json), its backend the test central system."""

    def __init__(self, data_dir, board, cs):
        super().__init__(data_dir, connectors=len(board["connectors"]), time_scale=1.0, cards=())
        self.board_file = data_dir.parent / "board.json"
        self.board_file.write_text(json.dumps(board))
        self.config = [("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-PHOENIX-01"),
                       ("StatusNotificationStrategy", "OccupiedOnAuthorizedOrPlugged"), ("EnableLocalWhitelist", "Off"),
                       ("MeterValueSampleInterval", "0")]

    def start(self):
        for key, value in self.config:
            r = cli("config", "set", key, value, "--role", "manufacturer", data_dir=self.data_dir)
            assert r.returncode == 0, r.stderr
        argv = [BIN, "station", "--board", str(self.board_file), "--data-dir", str(self.data_dir), "--http-port", "0",
                "--https-port", "0", "--log-level", self.log_level]
        self.log_level = "info"
        self.log_path = self.data_dir.parent / "station.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, env={**os.environ, **self.env})
        self.attach(wait_for(lambda: self._runtime_info(), timeout=60, what="station.json"))
        wait_for(lambda: self.get("/api/status")[0] == 200, what="status API")
        return self

    def errors(self):
        return {(e["id"], e["connector"]) for e in self.status()["activeErrors"]}


def description(port, unit=180, inputs=None):
    return {"driver": "phoenix-ev-charge-control", "tcp": {"host": "127.0.0.1", "port": port}, "pollIntervalMs": 100,
            "connectors": [{"unitId": unit, "lock": "board"}], "inputs": inputs or {}}


@pytest.fixture
def run(data_dir, cs):
    """Starts an emulated controller and a station on it; both are stopped after the test."""
    started = []

    def go(family="ev-cc", unit=180, inputs=None, levels=None):
        emulator = PhoenixEmulator(unit=unit, family=family).start()
        for number, level in (levels or {}).items():
            emulator.set_input(number, level)
        station = BoardStation(data_dir, description(emulator.port, unit, inputs), cs)
        started.append((emulator, station))
        station.start()
        cs.wait_connected()
        cs.wait_status(1, "Available")
        return emulator, station

    yield go
    for emulator, station in started:
        assert station.terminate() == 0, "the station did not stop cleanly"
        emulator.stop()


def profile(pid, amps, transaction_id):
    return {"chargingProfileId": pid, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
            "transactionId": transaction_id,
            "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": amps}]}}


@pytest.mark.parametrize("family,current_register", [("ev-cc", 528), ("em-cp", 300)])
def test_a_whole_session_with_its_limit_from_ocpp(run, cs, family, current_register):
    emulator, station = run(family)
    # At start the release is withheld (coil 400 off) and nothing else was written.
    wait_for(lambda: emulator.written("coil", 400) == [("coil", 400, False)], what="the release withheld at start")
    assert emulator.written("register") == []

    mark = cs.mark()
    emulator.plug(pp_amps=32)
    cs.wait_status(1, "Preparing", since=mark)
    assert station.connector(1)["pilotState"] == "B"
    assert cs.call(call.RemoteStartTransaction(id_tag="PHOENIX1", connector_id=1)).status == "Accepted"
    cs.wait_call("StartTransaction", since=mark)
    cs.wait_status(1, "Charging", since=mark, timeout=30)
    assert emulator.enabled and emulator.status() == "C"
    tx = cs.last_transaction_id

    # The limit of a TxProfile reaches the controller's current register. The station takes a TxProfile once it has
    # stored the transaction id of StartTransaction.conf, which may come just after the Charging notification.
    wait_for(lambda: cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(1, 10, tx))).status == "Accepted",
             what="the TxProfile accepted")
    wait_for(lambda: emulator.current_amps == 10, what="10 A written")
    assert ("register", current_register, 10) in emulator.written("register")
    # Written once: further exchanges write nothing while nothing changes.
    count, requests = len(emulator.writes), emulator.requests
    wait_for(lambda: emulator.requests >= requests + 30, what="30 more requests")
    assert len(emulator.writes) == count

    # Pause: 0 A withdraws the release; the vehicle falls back to B.
    mark = cs.mark()
    assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(2, 0, tx))).status == "Accepted", \
        (station.status(), cs.actions(), station.log_path.read_text()[-3000:])
    wait_for(lambda: not emulator.enabled, what="the release withdrawn")
    cs.wait_status(1, "SuspendedEVSE", since=mark)
    assert emulator.status() == "B"
    # Resume at 16 A.
    mark = cs.mark()
    assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(3, 16, tx))).status == "Accepted"
    wait_for(lambda: emulator.enabled and emulator.current_amps == 16, what="released again at 16 A")
    cs.wait_status(1, "Charging", since=mark)

    # Unplug: the transaction ends and the release is withdrawn.
    mark = cs.mark()
    emulator.unplug()
    cs.wait_call("StopTransaction", since=mark)
    cs.wait_status(1, "Available", since=mark)
    wait_for(lambda: not emulator.enabled, what="the release withdrawn after unplugging")


def test_a_station_that_stops_withdraws_the_release(run, cs):
    emulator, station = run()
    mark = cs.mark()
    emulator.plug()
    assert cs.call(call.RemoteStartTransaction(id_tag="PHOENIX2", connector_id=1)).status == "Accepted"
    cs.wait_status(1, "Charging", since=mark, timeout=30)
    assert emulator.enabled
    assert station.terminate() == 0
    # The controller has no watchdog: the station's last word is the withdrawn release.
    assert not emulator.enabled and emulator.written("coil", 400)[-1] == ("coil", 400, False)


def test_a_controller_error_is_raised_and_resolved(run):
    emulator, station = run()
    emulator.set(error_code=12)  # charging contactor error
    wait_for(lambda: ("contactorWelded", 1) in station.errors(), what="contactorWelded raised")
    emulator.set(error_code=0)
    wait_for(lambda: ("contactorWelded", 1) not in station.errors(), what="contactorWelded resolved")


def test_silence_and_garbage_raise_not_communicating_until_the_controller_answers(run):
    emulator, station = run()
    emulator.plug()
    wait_for(lambda: station.connector(1)["pilotState"] == "B", what="the plugged vehicle seen")
    for fault in ("silent", "garbage"):
        emulator.set(**{fault: True})
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) in station.errors(), what=f"not communicating ({fault})")
        assert station.proc.poll() is None
        emulator.set(**{fault: False})
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) not in station.errors(), what=f"communicating again after {fault}")
    # After the reconnect the controller's release is written again as the station wants it (withheld).
    assert emulator.written("coil", 400)[-1] == ("coil", 400, False)


def test_a_board_input_reaches_the_status(run, cs):
    # Input 2 (the second external input) on the controller's digital input 2; an RCD auxiliary contact (normally
    # closed: energised while the RCD is in) on its input 3.
    emulator, station = run(inputs={"input2": {"board": 2}, "rcdFault": {"board": 3, "activeLow": True, "connector": 1}},
                            levels={3: True})
    assert station.status()["inputs"]["input2"] is False
    emulator.set_input(2, True)
    wait_for(lambda: station.status()["inputs"]["input2"] is True, what="input2 on")
    emulator.set_input(2, False)
    wait_for(lambda: station.status()["inputs"]["input2"] is False, what="input2 off")
    # The RCD trips: its contact opens, "RCD-Fault" stops the connector (seeds/004 §9) until it is back in.
    emulator.set_input(3, False)
    wait_for(lambda: "rcdFault" in {e["id"] for e in station.status()["activeErrors"]}, what="rcdFault raised")
    cs.wait_status(1, "Faulted")
    emulator.set_input(3, True)
    wait_for(lambda: "rcdFault" not in {e["id"] for e in station.status()["activeErrors"]}, what="rcdFault resolved")
    cs.wait_status(1, "Available")


def test_a_controller_on_another_unit_id(run, cs):
    emulator, station = run(unit=255)
    emulator.plug()
    wait_for(lambda: station.connector(1)["pilotState"] == "B", what="the plugged vehicle seen on unit 255")


def test_nothing_listening_stops_the_start_naming_the_address(data_dir):
    port = free_port()
    board = data_dir.parent / "board.json"
    board.write_text(json.dumps(description(port)))
    r = subprocess.run([BIN, "station", "--board", str(board), "--data-dir", str(data_dir), "--http-port", "0", "--https-port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert f"127.0.0.1:{port}" in r.stderr and "unit 180" in r.stderr, r.stderr


def test_a_silent_controller_stops_the_start(data_dir):
    emulator = PhoenixEmulator().start()
    try:
        emulator.set(silent=True)
        board = data_dir.parent / "board.json"
        board.write_text(json.dumps(description(emulator.port)))
        proc = subprocess.Popen([BIN, "station", "--board", str(board), "--data-dir", str(data_dir), "--http-port", "0",
                                 "--https-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            raise
        assert proc.returncode != 0
        assert f"127.0.0.1:{emulator.port}" in err and "unit id" in err, err
    finally:
        emulator.stop()


def test_a_charge_meter_over_modbus_tcp(data_dir, cs):
    """A charge meter reached over Modbus TCP (an ABB B23 behind a Modbus gateway, pymodbus here) beside the controller:
    its reading becomes the connector's meter; silent, it is "OCPP meter not communicating"; back, it recovers."""
    from charge_meters import abb, reading
    from meter_servers import MeterServer
    meter = MeterServer(abb(reading(kwh=200.0))["holding"], unit=5).start()
    emulator = PhoenixEmulator().start()
    board = description(emulator.port)
    board["connectors"][0]["meter"] = {"model": "abb-b23", "unitId": 5, "tcp": {"host": "127.0.0.1", "port": meter.port}}
    station = BoardStation(data_dir, board, cs)
    try:
        station.start()
        c = wait_for(lambda: (c := station.connector(1))["meter"]["communicating"] and c["meter"]["energyWh"] == 200_000 and c,
                     what="the TCP meter's reading")
        assert c["meter"]["voltageV"]["l1"] > 200
        meter.stop()
        wait_for(lambda: ("meterNotCommunicating", 1) in station.errors(), what="meterNotCommunicating raised")
        meter = MeterServer(abb(reading(kwh=200.5))["holding"], unit=5, port=meter.port).start()
        wait_for(lambda: ("meterNotCommunicating", 1) not in station.errors(), what="meterNotCommunicating resolved")
        wait_for(lambda: station.connector(1)["meter"]["energyWh"] == 200_500, what="the new reading")
    finally:
        station.terminate()
        emulator.stop()
        meter.stop()
