"""The OpenEVSE driver (RAPI over a serial line) against the emulator of openevse_emulator.py on a socat pty pair: a
station started with `--board FILE` runs a full session authorized and limited by the independent OCPP central system
(ocpp16/central_system.py), sees the board's own errors, its silence and garbage on the line, and refuses to start
when the device does not answer."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ocpp.v16 import call

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "ocpp16"))
from harness import OCPPStation  # noqa: E402
from openevse_emulator import OpenEVSEEmulator  # noqa: E402
from station import BIN, wait_for  # noqa: E402


def board_file(directory, device, poll_ms=100):
    path = Path(directory) / "board.json"
    path.write_text(json.dumps({"driver": "openevse", "serial": {"device": str(device)}, "pollIntervalMs": poll_ms,
                                "connectors": [{}]}))
    return path


def launch(station, board):
    """Starts `station` (a Station) with `--board FILE` instead of `--simulate`, the way Station.start does."""
    for card in station.cards:
        assert subprocess.run([BIN, "whitelist", "add", card, "--data-dir", str(station.data_dir)]).returncode == 0
    station.cards = []
    argv = [BIN, "station", "--board", str(board), "--data-dir", str(station.data_dir), "--http-port", "0",
            "--https-port", "0", "--log-level", station.log_level, *station.extra]
    station.log_path = station.data_dir.parent / f"{station.data_dir.name}.log"
    station.log = open(station.log_path, "ab")
    station.proc = subprocess.Popen(argv, stdout=station.log, stderr=station.log,
                                    env={**os.environ, **(station.env or {"CHARGEKIT_NETWORK_SERVICE": "none"})})
    station.attach(wait_for(station._runtime_info, timeout=60, what="station.json"))
    wait_for(lambda: station.get("/api/status")[0] == 200, what="status API")
    return station


class BoardStation(OCPPStation):
    """A station on the OpenEVSE emulator whose backend is the test central system."""

    def __init__(self, data_dir, cs, board):
        super().__init__(data_dir, cs, connectors=1)
        self.board = board

    def start(self):
        for key, value in self.config:
            r = subprocess.run([BIN, "config", "set", key, value, "--role", "manufacturer", "--data-dir", str(self.data_dir)],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        return launch(self, self.board)


@pytest.fixture
def emulator(tmp_path):
    e = OpenEVSEEmulator(tmp_path).start()
    yield e
    e.stop()


@pytest.fixture
def board_station(data_dir, emulator, cs):
    s = BoardStation(data_dir, cs, board_file(data_dir.parent, emulator.station_path)).start()
    cs.wait_connected()
    cs.wait_status(1, "Available")
    yield s
    s.terminate()


def active_errors(station):
    return {e["id"] for e in station.status()["activeErrors"]}


def profile(pid, limit):
    return {"chargingProfileId": pid, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": {"chargingRateUnit": "A",
                                                                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}


def wait_command(emulator, name, params=None, since=0, what=None):
    return wait_for(lambda: [c for c in emulator.commands()[since:] if c[0] == name and (params is None or c[1] == params)],
                    what=what or f"${name} {params or ''} at the board")


def test_full_session_limited_paused_and_resumed_by_ocpp(board_station, emulator, cs):
    station = board_station
    # open(): the version, the current range and capacity, then charging withheld ($FS) until the controller releases it.
    assert [n for n, _ in emulator.commands()][:4] == ["GV", "GC", "GE", "FS"]
    assert emulator.sleeping
    # The board was read before the station started: no "not communicating" for want of a first status.
    code, events = station.get("/api/events")
    assert not [e for e in events if e.get("code") == "connectorBoardNotCommunicating"], events
    # The LCD's backlight is the board's own LED: green while the connector is ready (issue 22 item 5).
    wait_for(lambda: emulator.backlight == 2, what="$FB 2 (green: ready)")
    mark = cs.mark()
    emulator.plug()
    cs.wait_status(1, "Preparing", since=mark)
    seen = len(emulator.commands())
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1)).status == "Accepted"
    cs.wait_call("StartTransaction", since=mark)
    # Released at the connector's limit (the board's maximum, 32 A): the current first, then enable.
    wait_command(emulator, "FE", since=seen)
    names = [n for n, _ in emulator.commands()[seen:]]
    assert names.index("SC") < names.index("FE"), names
    assert emulator.capacity == min(32, int(station.connector(1)["currentLimit"]["amps"]))
    emulator.request_charge()
    cs.wait_status(1, "Charging", since=mark)
    assert emulator.relay_closed()
    wait_for(lambda: emulator.backlight == 4, what="$FB 4 (blue: charging)")

    # An OCPP limit becomes the board's current set-point ($SC 10 V: volatile, the EEPROM is not written).
    seen = len(emulator.commands())
    assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(1, 10))).status == "Accepted"
    wait_command(emulator, "SC", ["10", "V"], since=seen)
    wait_for(lambda: station.connector(1)["currentLimit"]["amps"] == 10, what="the limit in the status")

    # Pause: a limit of 0 A withholds charging ($FS); the vehicle stays plugged, the session open.
    seen, mark = len(emulator.commands()), cs.mark()
    assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(1, 0))).status == "Accepted"
    wait_command(emulator, "FS", since=seen)
    cs.wait_status(1, "SuspendedEVSE", since=mark)
    assert not emulator.relay_closed()
    # Resume at 16 A: the current, then enable.
    seen, mark = len(emulator.commands()), cs.mark()
    assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(1, 16))).status == "Accepted"
    wait_command(emulator, "FE", since=seen)
    assert ("SC", ["16", "V"]) in emulator.commands()[seen:]
    cs.wait_status(1, "Charging", since=mark)
    # Nothing is sent again while nothing changes: only polls (and the backlight once, repainted after the board's own
    # state change).
    wait_for(lambda: emulator.backlight == 4, what="$FB 4 again")
    seen = len(emulator.commands())
    wait_for(lambda: len(emulator.commands()) > seen + 10, what="ten more polls")
    assert {n for n, _ in emulator.commands()[seen:]} <= {"GS", "FB"}
    assert [n for n, _ in emulator.commands()[seen:]].count("FB") <= 1

    # Unplug: the transaction ends, the board is put to sleep again.
    mark, seen = cs.mark(), len(emulator.commands())
    emulator.set_vehicle("B")
    emulator.unplug()
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] in ("EVDisconnected", "Local")
    cs.wait_status(1, "Available", since=mark)
    wait_command(emulator, "FS", since=seen)


def test_a_board_error_is_raised_while_the_board_reports_it(board_station, emulator):
    station = board_station
    emulator.plug()
    station.wait_status(1, "Preparing")
    emulator.set_fault(8)  # EVSE_STATE_STUCK_RELAY
    wait_for(lambda: "contactorWelded" in active_errors(station), what="contactorWelded raised")
    station.wait_status(1, "Faulted")
    emulator.set_fault(None)
    wait_for(lambda: "contactorWelded" not in active_errors(station), what="contactorWelded resolved")
    emulator.set_fault(6)  # EVSE_STATE_GFCI_FAULT
    wait_for(lambda: "rcdFault" in active_errors(station), what="rcdFault raised")
    emulator.set_fault(None)
    wait_for(lambda: not active_errors(station) & {"rcdFault", "contactorWelded"}, what="all resolved")
    emulator.set_fault(11)  # EVSE_STATE_OVER_CURRENT
    wait_for(lambda: "overCurrentProtection" in active_errors(station), what="overCurrentProtection raised")
    emulator.set_fault(None)
    wait_for(lambda: "overCurrentProtection" not in active_errors(station), what="overCurrentProtection resolved")
    code, events = station.get("/api/events")
    assert any(e["kind"] == "errorResolved" and e["message"] == "Contactor weld resolved" for e in events)
    # A failed diode check stays until the vehicle is unplugged (seeds/004 §9 "Vehicle with diode problem disconnected").
    emulator.set_fault(5)  # EVSE_STATE_DIODE_CHK_FAILED
    wait_for(lambda: "vehicleDiodeCheckFailed" in active_errors(station), what="vehicleDiodeCheckFailed raised")
    emulator.set_fault(None)
    seen = len(emulator.commands())
    wait_for(lambda: len(emulator.commands()) > seen + 5, what="five more polls of the state B")
    assert "vehicleDiodeCheckFailed" in active_errors(station)
    emulator.unplug()
    wait_for(lambda: "vehicleDiodeCheckFailed" not in active_errors(station), what="vehicleDiodeCheckFailed resolved")


def test_the_board_going_silent_and_coming_back(board_station, emulator):
    station = board_station
    emulator.silent = True
    wait_for(lambda: "connectorBoardNotCommunicating" in active_errors(station), what="board not communicating")
    emulator.silent = False
    wait_for(lambda: "connectorBoardNotCommunicating" not in active_errors(station), what="board communicating again")
    # Working again: a plug-in is seen.
    emulator.plug()
    station.wait_status(1, "Preparing")


def test_the_adapter_pulled_and_plugged_in_again_reopens_the_device(board_station, emulator):
    station = board_station
    emulator.unplug_line()
    wait_for(lambda: "connectorBoardNotCommunicating" in active_errors(station), what="board not communicating")
    seen = len(emulator.commands())
    emulator.replug_line()
    wait_for(lambda: "connectorBoardNotCommunicating" not in active_errors(station), what="the device opened again")
    # A reopened line forgets what the board was told: charging is withheld again ($FS) before anything else.
    assert wait_command(emulator, "FS", since=seen)
    emulator.plug()
    station.wait_status(1, "Preparing")


def test_garbage_on_the_line_is_dropped_and_the_station_keeps_working(board_station, emulator):
    station = board_station
    for _ in range(20):
        emulator.send_garbage(b"\x00\xff\xfe garbage $OK 1^00\r$$$$\r" + b"A" * 300 + b"\r$AT zz^41\r")
    emulator.bad_checksums = True  # answers that look like RAPI but fail their checksum: the driver must not take them
    wait_for(lambda: "connectorBoardNotCommunicating" in active_errors(station), what="bad checksums never taken")
    emulator.bad_checksums = False
    wait_for(lambda: "connectorBoardNotCommunicating" not in active_errors(station), what="recovered")
    emulator.plug()
    station.wait_status(1, "Preparing")
    assert station.proc.poll() is None


def test_the_older_ST_notification_and_a_reboot_of_the_board(board_station, emulator):
    station = board_station
    emulator.legacy_st = True
    emulator.plug()
    station.wait_status(1, "Preparing")
    # The board restarts on its own (enabled at its stored capacity): the driver sends its controls again ($FS).
    seen = len(emulator.commands())
    emulator.reboot()
    wait_command(emulator, "FS", since=seen, what="$FS again after the board's reboot")
    assert emulator.sleeping


def test_no_start_when_the_device_does_not_answer(data_dir, tmp_path, emulator):
    emulator.silent = True
    board = board_file(tmp_path, emulator.station_path)
    r = subprocess.run([BIN, "station", "--board", str(board), "--data-dir", str(data_dir), "--http-port", "0",
                        "--https-port", "0"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "CHARGEKIT_NETWORK_SERVICE": "none"})
    assert r.returncode == 1
    assert f"no RAPI answer from {emulator.station_path} at 115200 baud" in r.stderr, r.stderr
    assert "OpenEVSE firmware is 4.x or newer" in r.stderr
    missing = board_file(tmp_path, tmp_path / "ttyUSB9")
    r = subprocess.run([BIN, "station", "--board", str(missing), "--data-dir", str(data_dir), "--http-port", "0"],
                       capture_output=True, text=True, timeout=60, env={**os.environ, "CHARGEKIT_NETWORK_SERVICE": "none"})
    assert r.returncode == 1 and f"cannot open {tmp_path / 'ttyUSB9'}" in r.stderr, r.stderr
