"""Dynamic load management on the real binary (issue 7): a DLM master with internal slave divides its sub-distribution
between its connectors per phase, follows a simulated grid meter (`chargekit sim meter`), falls back when the meter
fails, and shows it in the status API and Modbus registers 600–635 (seeds/000 MODBUS-REGISTERSATZ), read with pymodbus."""
import subprocess

from pymodbus.client import ModbusTcpClient

from meter_servers import free_port
from station import BIN, Station, cli, wait_for
from test_modbus import free_port_pair

CARDS = ("04567DAA5F3580", "0A0E9B83")


def configure(data_dir, pairs, role="installer"):
    for key, value in pairs:
        r = cli("config", "set", key, str(value), "--role", role, data_dir=data_dir)
        assert r.returncode == 0, r.stderr


def charge(station, n, ev="3p-32a"):
    assert station.sim("plug", str(n), "--ev", ev).returncode == 0
    station.sim("rfid", CARDS[n - 1])


def signaled(station, n):
    return station.connector(n)["pilotSignal"]["signaledCurrentAmps"]


def test_dlm_master_divides_the_sub_distribution_and_modbus_shows_it(data_dir):
    port = free_port_pair()
    configure(data_dir, [("DLMMode", "Master"), ("OperatorEVSESubDistributionLimit", "20"), ("EVSESubDistributionLimit", "20"),
                         ("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", port)])
    station = Station(data_dir, extra=("--modbus-host", "127.0.0.1")).start()
    try:
        charge(station, 1)
        wait_for(lambda: signaled(station, 1) == 20, what="20 A for the only car")
        charge(station, 2)
        wait_for(lambda: signaled(station, 1) == 10 and signaled(station, 2) == 10, what="10 A each")
        c = station.connector(1)
        assert c["currentLimit"]["binding"] == "dlm"
        dlm = station.status()["dlm"]
        assert dlm["mode"] == "Master" and dlm["availableAmps"] == {"l1": 20, "l2": 20, "l3": 20}
        assert sorted(g["id"] for g in dlm["grants"]) == ["local/1", "local/2"]
        client = ModbusTcpClient("127.0.0.1", port=port)
        assert client.connect()
        try:
            regs = client.read_holding_registers(600, count=36, device_id=1).registers
        finally:
            client.close()
        assert regs[0] == 1, "DLM mode 1 = master with internal slave"
        assert regs[10:16] == [20, 20, 20, 20, 20, 20], "610–615: sub-distribution and operator limits"
        assert regs[30:36] == [20, 20, 20, 20, 20, 20], "630–635: applied and available per phase"
    finally:
        station.terminate()


def test_dlm_follows_the_grid_meter_and_falls_back_when_it_fails(data_dir):
    meter_port = free_port()
    configure(data_dir, [("DLMMode", "Master"), ("EVSESubDistributionLimit", "63"), ("OperatorEVSESubDistributionLimit", "63"),
                         ("ExternalMeterSupport", "On"), ("SecondMeterConfiguration", "janitzaUMG512PRO"),
                         ("SecondMeterIPAddress", "127.0.0.1"), ("SecondMeterPort", meter_port), ("MeterPollInterval", "0.2"),
                         ("MainDistributionLimit", "40"), ("ExternalLoadHeadroom", "2"), ("ExternalLoadFallback", "9999"),
                         ("ExternalMeterLocation", "Including")])
    station = Station(data_dir).start()

    def twin():
        return subprocess.Popen([BIN, "sim", "meter", "--model", "janitzaUMG512PRO", "--port", str(meter_port),
                                 "--building-load", "20,10,5", "--station", str(station.data_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    meter = twin()
    try:
        wait_for(lambda: station.status().get("gridMeter", {}).get("communicating"), what="grid meter")
        charge(station, 1)
        # L1 binds: 40 A − 2 A headroom − 20 A building = 18 A; the twin adds the car's draw, which DLM subtracts again.
        wait_for(lambda: signaled(station, 1) == 18, timeout=30, what="18 A from the grid meter")
        assert station.connector(1)["currentLimit"]["binding"] == "dlm"
        meter.terminate()
        meter.wait(10)
        # External Load Fallback 9999 A: nothing left, the car pauses.
        station.wait_status(1, "SuspendedEVSE", timeout=30)
        assert station.status()["dlm"]["availableAmps"] == {"l1": 0, "l2": 0, "l3": 0}
        meter = twin()
        wait_for(lambda: signaled(station, 1) == 18, timeout=30, what="recovery when the meter answers again")
    finally:
        meter.terminate()
        station.terminate()


def test_operator_sub_distribution_may_not_exceed_the_sub_distribution(data_dir):
    configure(data_dir, [("OperatorEVSESubDistributionLimit", "20"), ("EVSESubDistributionLimit", "32")])
    r = cli("config", "set", "OperatorEVSESubDistributionLimit", "32,40,32", "--role", "operator", data_dir=data_dir)
    assert r.returncode != 0 and "L2 40 A is above EVSESubDistributionLimit" in r.stderr


def test_local_and_dlm_load_shedding_cannot_share_opto1(data_dir):
    configure(data_dir, [("ExternalInputEnergyManagement", "Opto1")])
    r = cli("config", "set", "ExternalInput1Config", "Opto1", "--role", "installer", data_dir=data_dir)
    assert r.returncode != 0 and "already used by ExternalInputEnergyManagement" in r.stderr


def test_energy_manager_lowers_the_operator_sub_distribution_over_modbus(data_dir):
    port = free_port_pair()
    configure(data_dir, [("DLMMode", "Master"), ("OperatorEVSESubDistributionLimit", "20"), ("EVSESubDistributionLimit", "20"),
                         ("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", port)])
    station = Station(data_dir, extra=("--modbus-host", "127.0.0.1")).start()
    client = ModbusTcpClient("127.0.0.1", port=port)
    try:
        assert client.connect()
        charge(station, 1)
        wait_for(lambda: signaled(station, 1) == 20, what="20 A")
        assert not client.write_registers(613, [12, 12, 12], device_id=1).isError()
        wait_for(lambda: signaled(station, 1) == 12, what="12 A after the energy manager's write")
        assert client.read_holding_registers(613, count=3, device_id=1).registers == [12, 12, 12]
        assert "OperatorEVSESubDistributionLimit = 12,12,12 A" in cli("config", "get", "OperatorEVSESubDistributionLimit", data_dir=data_dir).stdout
        above = client.write_register(614, 25, device_id=1)
        assert above.isError() and above.exception_code == 3, "above the EVSE Sub-Distribution Limit: illegal data value"
    finally:
        client.close()
        station.terminate()
