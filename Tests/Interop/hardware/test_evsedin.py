"""The EVSE-DIN board (Modbus RTU) and the charge meters beside it, with the station on its real drivers
(`chargekit station --board FILE`) and the devices emulated on a pseudo-terminal RS-485 bus (rtu_bus.py): a whole
session under an OCPP central system's charging profiles, a board error, a silent board and garbage on the line, each
charge meter model, meters sharing a bus, and the start-up errors."""

import pytest
from ocpp.v16 import call

from board_station import BoardStation, start_fails, wait_for
from charge_meters import ChargeMeter, reading
from evsedin_emulator import EVSEDIN


def board(bus, connectors, **extra):
    return {"driver": "evse-din", "serial": {"device": bus.device, "baudRate": bus.baud}, "connectors": connectors, **extra}


def profile(pid, amps):
    return {"chargingProfileId": pid, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": amps}]}}


def test_session_under_ocpp_with_meter_on_the_shared_bus(bus, data_dir, cs):
    evse = bus.add(EVSEDIN(unit=1))
    meter = bus.add(ChargeMeter("eastron-sdm630", unit=11, value=reading(kwh=100.0)))
    station = BoardStation(data_dir, board(bus, [{"unitId": 1, "meter": {"model": "eastron-sdm630", "unitId": 11}}]),
                           config=[("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-HW-01"), ("EnableLocalWhitelist", "Off"),
                                   ("MeterValueSampleInterval", "0")]).start()
    try:
        cs.wait_connected()
        cs.wait_status(1, "Available")
        # Both devices of the bus are polled: the board's status and the meter's reading reach the API.
        c = wait_for(lambda: (c := station.connector(1))["meter"]["communicating"] and c["meter"]["energyWh"] == 100_000 and c,
                     what="the meter's reading")
        assert c["meter"]["voltageV"]["l1"] == pytest.approx(231.0)
        assert evse.configured_amps == 0  # nothing released yet
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(1, 10))).status == "Accepted"
        evse.plug()
        wait_for(lambda: station.connector(1)["pilotState"] == "B", what="vehicle plugged (pilot B)")
        assert cs.call(call.RemoteStartTransaction(id_tag="04567DAA5F3580", connector_id=1)).status == "Accepted"
        station.wait_status(1, "Charging", timeout=30)
        wait_for(lambda: evse.configured_amps == 10, what="register 1000 = 10 A")
        assert (1000, [10]) in evse.writes
        wait_for(lambda: station.connector(1)["relayFeedback"] != "open", what="the board's contactor closed")
        meter.set(reading(kwh=102.5))  # the vehicle took 2.5 kWh
        wait_for(lambda: station.connector(1)["session"]["energyWh"] == pytest.approx(2500, abs=1), what="session energy")
        # Pause (a profile of 0 A) and resume.
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(2, 0))).status == "Accepted"
        wait_for(lambda: evse.configured_amps == 0, what="register 1000 = 0 (paused)")
        station.wait_status(1, "SuspendedEVSE")
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(3, 13))).status == "Accepted"
        wait_for(lambda: evse.configured_amps == 13, what="register 1000 = 13 A (resumed)")
        station.wait_status(1, "Charging")
        evse.unplug()
        station.wait_status(1, "Available", timeout=30)
        wait_for(lambda: evse.configured_amps == 0, what="register 1000 = 0 after the session")
        stop = cs.wait_call("StopTransaction")
        assert stop["meterStop"] == 102_500
        code, history = station.get("/api/sessions?limit=5")
        rows = history if isinstance(history, list) else history.get("sessions", [])
        assert code == 200 and any(abs((s.get("energyWh") or 0) - 2500) < 1 for s in rows), history
    finally:
        station.terminate()


def free_charging_station(data_dir, description):
    return BoardStation(data_dir, description, config=[("FreeCharging", "On"), ("FreeChargingMode", "noOCPP")]).start()


def test_board_error_silence_and_garbage(bus, data_dir):
    evse = bus.add(EVSEDIN(unit=1))
    station = free_charging_station(data_dir, board(bus, [{"unitId": 1}]))
    try:
        evse.plug()
        station.wait_status(1, "Charging", timeout=30)
        wait_for(lambda: evse.configured_amps >= 6, what="charging released")
        # The board reports an RCD check error: raised while reported, charging withheld.
        evse.fault(1 << 4)
        wait_for(lambda: ("rcdFault", 1) in station.errors(), what="rcdFault raised")
        wait_for(lambda: evse.configured_amps == 0, what="charging withheld")
        evse.fault(0)
        wait_for(lambda: ("rcdFault", 1) not in station.errors(), what="rcdFault resolved")
        # The board falls silent, then answers again.
        evse.silent = True
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) in station.errors(), what="board not communicating")
        evse.silent = False
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) not in station.errors(), what="board back")
        # Garbage on the line: the station stays up and recovers when the answers are clean again.
        bus.garbage = True
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) in station.errors(), what="garbage: not communicating")
        bus.garbage = False
        bus.noise = b"\x00\xff\x01\x03\x99"  # noise before one answer: skipped
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) not in station.errors(), what="recovered after garbage")
        assert station.proc.poll() is None
    finally:
        station.terminate()


@pytest.mark.parametrize("model", ["eastron-sdm630", "eastron-sdm72d", "abb-b23", "carlo-gavazzi-em340"])
def test_meter_model_read(bus, data_dir, model):
    bus.add(EVSEDIN(unit=1))
    value = reading(kwh=4321.5, volts=(231.0, 229.5, 230.2), amps=(15.5, 15.25, 14.75), watts=(3580.5, 3499.8, 3395.0))
    bus.add(ChargeMeter(model, unit=7, value=value))
    station = BoardStation(data_dir, board(bus, [{"unitId": 1, "meter": {"model": model, "unitId": 7}}])).start()
    try:
        m = wait_for(lambda: (m := station.connector(1)["meter"])["communicating"] and m["energyWh"] > 0 and m, what="meter reading")
        assert m["energyWh"] == pytest.approx(4_321_500, abs=1)
        for phase, i in (("l1", 0), ("l2", 1), ("l3", 2)):
            assert m["voltageV"][phase] == pytest.approx(value["V"][i], abs=0.01)
            assert m["currentA"][phase] == pytest.approx(value["A"][i], abs=0.001)
            assert m["powerW"][phase] == pytest.approx(value["W"][i], abs=0.01)
    finally:
        station.terminate()


def test_meter_silent_then_back_and_two_meters_on_their_own_bus(bus, data_dir, tmp_path):
    from rtu_bus import Bus
    meters_bus = Bus(tmp_path, name="meters")
    try:
        bus.add(EVSEDIN(unit=1)); bus.add(EVSEDIN(unit=2))
        first = meters_bus.add(ChargeMeter("abb-b23", unit=21, value=reading(kwh=10.0)))
        second = meters_bus.add(ChargeMeter("carlo-gavazzi-em340", unit=22, value=reading(kwh=20.0)))
        link = {"serial": {"device": meters_bus.device, "baudRate": 9600}}
        station = BoardStation(data_dir, board(bus, [{"unitId": 1, "meter": {"model": "abb-b23", "unitId": 21, **link}},
                                                     {"unitId": 2, "meter": {"model": "carlo-gavazzi-em340", "unitId": 22, **link}}])).start()
        try:
            wait_for(lambda: [c["meter"]["energyWh"] for c in station.status()["connectors"]] == [10_000, 20_000],
                     what="both meters read")
            first.silent = True
            wait_for(lambda: ("meterNotCommunicating", 1) in station.errors(), what="meter 1 not communicating")
            assert ("meterNotCommunicating", 2) not in station.errors()
            assert station.connector(2)["meter"]["communicating"]
            first.set(reading(kwh=11.0))
            first.silent = False
            wait_for(lambda: ("meterNotCommunicating", 1) not in station.errors(), what="meter 1 back")
            wait_for(lambda: station.connector(1)["meter"]["energyWh"] == 11_000, what="meter 1's new reading")
            assert second.requests > 0 and first.requests > 0
        finally:
            station.terminate()
    finally:
        meters_bus.close()


def test_start_up_errors(bus, data_dir, tmp_path):
    out = start_fails(data_dir, board(bus, [{"unitId": 1}]) | {"serial": {"device": str(tmp_path / "no-such-adapter")}})
    assert "no-such-adapter" in out
    bus.add(EVSEDIN(unit=1))
    out = start_fails(data_dir, board(bus, [{"unitId": 1}, {"unitId": 3}]))  # nothing answers as unit 3
    assert "unit id 3" in out and bus.device in out
    out = start_fails(data_dir, board(bus, [{"unitId": 1, "meter": {"model": "eastron-sdm630", "unitId": 9}}]))
    assert "unit id 9" in out and "eastron-sdm630" in out


def test_adapter_unplugged_and_back(tmp_path, data_dir):
    """The USB adapter disappears (the device path goes away) and comes back: the station reopens the device."""
    from rtu_bus import Bus
    bus = Bus(tmp_path, name="usb")
    evse = bus.add(EVSEDIN(unit=1))
    station = BoardStation(data_dir, board(bus, [{"unitId": 1}])).start()
    try:
        bus.close()
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) in station.errors(), what="board not communicating")
        bus = Bus(tmp_path, name="usb")
        evse = bus.add(EVSEDIN(unit=1))
        wait_for(lambda: ("connectorBoardNotCommunicating", 1) not in station.errors(), what="device reopened")
        evse.plug(wants_energy=False)
        wait_for(lambda: station.connector(1)["pilotState"] == "B", what="the reopened board's status")
    finally:
        station.terminate()
        bus.close()
