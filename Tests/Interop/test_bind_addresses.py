"""Issue 23 item 7, secure defaults: every listener binds where its parameter says — an address, or an interface name
resolved when the listener starts — and nothing listens until configured. Against the real binary: the Modbus TCP
server on an address, on an interface (lo), the command line's override, an unknown interface stopping the start with
a message that names it, and a malformed value refused by the registry."""
import json
import socket
import subprocess

from station import BIN, Station, cli
from test_modbus import free_port_pair


def reachable(host, port):
    with socket.socket() as s:
        s.settimeout(5)
        try:
            s.connect((host, port))
            return True
        except ConnectionRefusedError:
            return False


def configure(data_dir, bind):
    port = free_port_pair()
    assert cli("config", "set", "ModbusTCPServer", "On", data_dir=data_dir).returncode == 0
    assert cli("config", "set", "ModbusTCPServerBasePort", str(port), data_dir=data_dir).returncode == 0
    r = cli("config", "set", "ModbusTCPServerBindAddress", bind, data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    return port


def test_modbus_is_off_by_default_and_so_are_dlm_and_the_sma_interface(data_dir):
    views = {v["key"]: v for v in json.loads(cli("config", "list", "--json", data_dir=data_dir, check=True).stdout)}
    assert views["ModbusTCPServer"]["value"] is False and views["SMAInterface"]["value"] is False
    assert views["DLMMode"]["value"] == "Off"
    for key in ("ModbusTCPServerBindAddress", "SMAInterfaceBindAddress", "DLMBindAddress"):
        assert views[key]["role"] == "installer" and views[key]["restartRequired"], views[key]


def test_modbus_binds_the_address_or_the_interface_of_its_parameter_and_the_option_overrides_it(data_dir):
    port = configure(data_dir, "127.0.0.2")
    station = Station(data_dir).start()
    try:
        assert reachable("127.0.0.2", port) and not reachable("127.0.0.1", port)
    finally:
        station.terminate()
    assert cli("config", "set", "ModbusTCPServerBindAddress", "lo", data_dir=data_dir).returncode == 0
    station = Station(data_dir).start()
    try:
        assert reachable("127.0.0.1", port) and not reachable("127.0.0.2", port), "lo's IPv4 address"
    finally:
        station.terminate()
    station = Station(data_dir, extra=("--modbus-host", "127.0.0.3"))
    station.log_level = "notice"
    station.start()
    try:
        assert reachable("127.0.0.3", port) and not reachable("127.0.0.1", port), "--modbus-host wins for this run"
        assert "--modbus-host 127.0.0.3 overrides the parameter ModbusTCPServerBindAddress" in station.log_path.read_text()
    finally:
        station.terminate()


def test_an_unknown_interface_stops_the_start_naming_it(data_dir):
    configure(data_dir, "nosuch0")
    r = subprocess.run([BIN, "station", "--simulate", "--data-dir", str(data_dir), "--http-port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "ModbusTCPServerBindAddress: there is no network interface 'nosuch0' on this machine (interfaces: " in r.stderr, r.stderr
    assert "lo" in r.stderr.split("interfaces: ")[1]


def test_a_malformed_bind_address_is_refused_naming_the_field(data_dir):
    for bad in ("a/b", "256.1.1.1", "eth0 eth1", "averyverylongname0"):
        r = cli("config", "set", "DLMBindAddress", bad, data_dir=data_dir)
        assert r.returncode != 0 and "DLMBindAddress" in r.stderr and "network interface name" in r.stderr, (bad, r.stderr)
