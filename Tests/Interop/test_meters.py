"""The station's Modbus TCP meter drivers read pymodbus servers that emulate each model (meter_servers.py)."""
import pytest

from station import Station, cli, wait_for
from meter_servers import AMPS, EXPORT_WH, IMPORT_WH, MODELS, VOLTS, WATTS, MeterServer


def configure(data_dir, pairs, role="installer"):
    for key, value in pairs:
        r = cli("config", "set", key, str(value), "--role", role, data_dir=data_dir)
        assert r.returncode == 0, r.stderr


def grid_meter(model, port, *extra):
    """Settings for a grid meter at 127.0.0.1:port polled every 0.2 s."""
    return [("ExternalMeterSupport", "On"), ("SecondMeterConfiguration", model), ("SecondMeterIPAddress", "127.0.0.1"),
            ("SecondMeterPort", port), ("MeterPollInterval", "0.2"), *extra]


def grid_reading(station):
    return wait_for(lambda: station.status().get("gridMeter", {}).get("reading") and station.status()["gridMeter"], what="grid meter")


def assert_reading(reading, tolerance=0.05, exported=True):
    assert abs(reading["energyWh"] - IMPORT_WH) < 0.2
    if exported:
        assert abs(reading["exportEnergyWh"] - EXPORT_WH) < 0.2
        assert abs(reading["measuredTotalPowerW"] - sum(WATTS)) < 0.5
    for i, phase in enumerate(("l1", "l2", "l3")):
        assert abs(reading["voltageV"][phase] - VOLTS[i]) < tolerance
        assert abs(reading["currentA"][phase] - AMPS[i]) < tolerance
        assert abs(reading["powerW"][phase] - WATTS[i]) < 0.2


@pytest.mark.parametrize("model", sorted(MODELS))
def test_grid_meter_models(model, data_dir):
    image, unit = MODELS[model]
    meter = MeterServer(image(), unit).start()
    configure(data_dir, grid_meter(model, meter.port))
    station = Station(data_dir, cards=()).start()
    try:
        grid = grid_reading(station)
        assert grid["model"] == model and grid["communicating"]
        assert_reading(grid["reading"])
    finally:
        station.terminate()
        meter.stop()


def test_generic_meter_for_models_without_a_public_map(data_dir):
    # An "IPD Control" meter mapped like a PAC2200 through the generic registers (docs/installer.md).
    image, _ = MODELS["siemens7KM2200"]
    meter = MeterServer(image(), 3).start()
    configure(data_dir, grid_meter("ipdControl", meter.port, ("SecondMeterUnitID", 3), ("GenericMeterCurrentRegisters", "13,15,17"),
                                   ("GenericMeterEnergyRegister", 801), ("GenericMeterEnergyType", "float64")))
    station = Station(data_dir, cards=()).start()
    try:
        assert_reading(grid_reading(station)["reading"], exported=False)
    finally:
        station.terminate()
        meter.stop()


def test_grid_meter_loss_raises_the_error_and_recovery_clears_it(data_dir):
    image, unit = MODELS["janitzaUMG512PRO"]
    meter = MeterServer(image(), unit).start()
    # External Load Fallback 0: the error alone is under test here; what load management does with a lost meter (the
    # default fallback 9999 A pauses charging, seeds/000) is test_seeds000_external_meter_on_a_single_station_*.
    configure(data_dir, grid_meter("janitzaUMG512PRO", meter.port, ("MeterFailedPollsBeforeError", 3), ("ExternalLoadFallback", "0,0,0")))
    station = Station(data_dir).start()
    try:
        wait_for(lambda: station.status().get("gridMeter", {}).get("communicating"), what="meter up")
        station.sim("plug", "1")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Charging")
        meter.stop()
        wait_for(lambda: any(e["id"] == "externalMeterNotCommunicating" for e in station.status()["activeErrors"]), what="meter error")
        status = station.status()
        assert status["gridMeter"]["communicating"] is False, "the fallback signal for load management"
        assert status["gridMeter"]["reading"]["energyWh"] > 0, "the last good reading is kept"
        assert station.connector(1)["status"] == "Charging", "External meter not communicating does not stop charging"
        meter = MeterServer(image(), unit, port=meter.port).start()
        wait_for(lambda: not station.status()["activeErrors"], timeout=20, what="recovery")
        assert station.status()["gridMeter"]["communicating"]
        code, events = station.get("/api/events")
        assert any(e["message"] == "External meter communication recovered" for e in events)
    finally:
        station.terminate()
        meter.stop()


def test_modbus_charge_meter_replaces_the_internal_meter_and_its_loss_stops_charging(data_dir):
    image, unit = MODELS["tqEM300LR"]
    meter = MeterServer(image(), unit).start()
    configure(data_dir, [("MeterConfiguration.1", "tqEM300LR"), ("MeterIPAddress.1", "127.0.0.1"), ("MeterPort.1", meter.port),
                         ("MeterPollInterval", "0.2")])
    station = Station(data_dir, connectors=1).start()
    try:
        wait_for(lambda: abs(station.connector(1)["meter"]["energyWh"] - IMPORT_WH) < 0.2, what="charge meter")
        assert_reading(station.connector(1)["meter"])  # the TQ map has export and total power registers
        station.sim("plug", "1")
        station.sim("rfid", "04567DAA5F3580")
        c = station.wait_status(1, "Charging")
        assert abs(c["session"]["meterStartWh"] - IMPORT_WH) < 0.2, "the session starts at the Modbus meter's register"
        meter.stop()
        station.wait_status(1, "Faulted")
        assert any(e["id"] == "meterNotCommunicating" for e in station.status()["activeErrors"])
        code, sessions = station.get("/api/sessions")
        assert sessions[0]["stopReason"] == "Other"
    finally:
        station.terminate()
        meter.stop()


def test_simulated_meter_twin_adds_the_stations_load(data_dir):
    import subprocess
    from station import BIN
    from meter_servers import free_port
    port = free_port()
    configure(data_dir, grid_meter("janitzaUMG512PRO", port))
    station = Station(data_dir).start()
    twin = subprocess.Popen([BIN, "sim", "meter", "--model", "janitzaUMG512PRO", "--port", str(port), "--building-load", "20,10,5",
                             "--station", str(station.data_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        grid = wait_for(lambda: station.status().get("gridMeter", {}).get("reading"), what="twin read")
        assert [round(grid["currentA"][p], 1) for p in ("l1", "l2", "l3")] == [20.0, 10.0, 5.0]
        station.sim("plug", "1", "--ev", "3p-16a")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Charging")
        wait_for(lambda: round(station.status()["gridMeter"]["reading"]["currentA"]["l1"], 1) == 36.0, what="station load in the twin")
        reading = station.status()["gridMeter"]["reading"]
        assert round(reading["currentA"]["l3"], 1) == 21.0 and round(reading["powerW"]["l1"]) == 36 * 230
        e1 = reading["energyWh"]
        wait_for(lambda: station.status()["gridMeter"]["reading"]["energyWh"] > e1, what="energy integrates")
    finally:
        twin.terminate()
        try:
            assert twin.wait(10) is not None, "the twin stops on SIGTERM with a client connected"
        finally:
            station.terminate()


def test_seeds000_external_meter_on_a_single_station_follows_the_house_load(data_dir):
    """seeds/000 "Externen Zähler einbinden" with DLM off: the signalled current follows the house load the meter
    measures (Main Distribution Limit − load), and falls back to External Load Fallback when the meter stops answering."""
    import struct as _struct
    image, unit = MODELS["janitzaUMG512PRO"]
    meter = MeterServer(image(), unit).start()
    configure(data_dir, grid_meter("janitzaUMG512PRO", meter.port, ("MeterFailedPollsBeforeError", 3),
                                   ("MainDistributionLimit", "40,40,40"), ("ExternalMeterLocation", "Excluding"),
                                   ("ExternalLoadFallback", "30,30,30")))
    station = Station(data_dir).start()

    def limit():
        c = station.connector(1)
        return c["currentLimit"]["amps"], c["currentLimit"]["binding"], c["pilotSignal"]["signaledCurrentAmps"]

    try:
        wait_for(lambda: station.status().get("gridMeter", {}).get("communicating"), what="meter up")
        station.sim("plug", "1", "--ev", "3p-32a")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Charging")
        # The house draws 10.5/3.2/7.0 A: 40 A − 10.5 A on L1 leaves 29.5 A for the three-phase car.
        wait_for(lambda: limit() == (29.5, "externalMeter", 29.5), what="29.5 A from the house connection")
        assert station.status()["gridMeter"]["availableAmps"]["l1"] == 29.5
        # The house load on L1 rises to 25 A: the car gets 15 A.
        regs = {}
        for i, w in enumerate(_struct.unpack(">2H", _struct.pack(">f", 25.0))):
            regs[19012 + i] = w
        meter.set_registers(regs)
        wait_for(lambda: limit() == (15, "externalMeter", 15), what="15 A after the house load rose")
        # The meter stops answering: External Load Fallback (30 A assumed) leaves 10 A.
        meter.stop()
        wait_for(lambda: limit() == (10, "externalMeter", 10), what="10 A on the fallback")
        assert any(e["id"] == "externalMeterNotCommunicating" for e in station.status()["activeErrors"])
        code, events = station.get("/api/events")
        assert any("External Load Fallback applies" in e["message"] for e in events)
        # It answers again (the original house load): back to 29.5 A.
        meter = MeterServer(image(), unit, port=meter.port).start()
        wait_for(lambda: limit() == (29.5, "externalMeter", 29.5), timeout=20, what="29.5 A again")
    finally:
        station.terminate()
        meter.stop()
