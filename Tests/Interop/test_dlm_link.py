"""DLM over the LAN with real processes (issue 7): a standalone DLM master, three slave `chargekit` processes (two with
Master-Auto-Discovery, one with Master-Fixed-IP) on loopback and a pymodbus grid meter twin. Plug and unplug cars,
change the building load, cut and restore the meter, inject foreign slaves, kill the master (the slaves reach the
Disconnected Limit within three sample periods) and restart it (they recover). Modbus 621 is read with pymodbus."""
import socket
from datetime import datetime

from pymodbus.client import ModbusTcpClient

from dlm_peer import LightSlave
from meter_servers import MeterServer, free_port, janitza_512, put
from station import Station, cli, wait_for
from test_modbus import free_port_pair

KEY = "interop-dlm-network-key"
NETWORK = 7
CARD = "04567DAA5F3580"


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def configure(data_dir, pairs):
    for key, value in pairs:
        r = cli("config", "set", key, str(value), "--role", "manufacturer", data_dir=data_dir)
        assert r.returncode == 0, r.stderr


def building(amps):
    """The janitza UMG 512's phase currents (float32 at 19012…)."""
    regs = {}
    for i, a in enumerate(amps):
        put(regs, 19012 + 2 * i, "f", float(a))
    return regs


def parse_time(text):
    """A date of the station's API (ISO 8601, UTC)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def signaled(station, n=1):
    return station.connector(n)["pilotSignal"]["signaledCurrentAmps"]


def limit(station, n=1):
    c = station.connector(n)["currentLimit"]
    return c["amps"], c["binding"]


def slaves(master):
    return {s["id"]: s for s in master.status()["dlm"].get("slaves") or []}


def test_dlm_master_three_slaves_meter_and_failures(tmp_path):
    link_port, discovery_port, modbus_port = free_udp_port(), free_udp_port(), free_port_pair()
    meter = MeterServer(janitza_512(), 1, port=free_port()).start()
    meter.set_registers(building([10, 10, 10]))
    common = [("DLMNetworkKey", KEY), ("DLMNetworkId", NETWORK), ("DLMDiscoveryPort", discovery_port),
              ("DLMBroadcastAddress", "127.255.255.255"), ("DLMAlgorithmSampleRate", "1")]
    dirs = {name: tmp_path / name for name in ("master", "s1", "s2", "s3")}
    for d in dirs.values():
        d.mkdir()
    configure(dirs["master"], common + [
        ("ChargeBoxIdentity", "DLM-MASTER"), ("DLMMode", "MasterStandalone"), ("DLMLinkPort", link_port),
        ("EVSESubDistributionLimit", "63"), ("OperatorEVSESubDistributionLimit", "63"),
        ("ExternalMeterSupport", "On"), ("SecondMeterConfiguration", "janitzaUMG512PRO"), ("SecondMeterIPAddress", "127.0.0.1"),
        ("SecondMeterPort", meter.port), ("MeterPollInterval", "0.2"), ("MainDistributionLimit", "40"),
        ("ExternalLoadHeadroom", "0"), ("ExternalLoadFallback", "30"), ("ExternalMeterLocation", "Excluding"),
        ("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", modbus_port)])
    for name in ("s1", "s2"):
        configure(dirs[name], common + [("ChargeBoxIdentity", name.upper()), ("DLMMode", "SlaveAutoDiscovery")])
    configure(dirs["s3"], common + [("ChargeBoxIdentity", "S3"), ("DLMMode", "SlaveFixedIP"),
                                    ("DLMMasterAddress", f"127.0.0.1:{link_port}")])

    def start_master():
        return Station(dirs["master"], connectors=1, time_scale=1, extra=("--modbus-host", "127.0.0.1")).start()

    master = start_master()
    stations = {name: Station(dirs[name], connectors=1, time_scale=1).start() for name in ("s1", "s2", "s3")}
    s1, s2, s3 = stations["s1"], stations["s2"], stations["s3"]
    foreign = []
    try:
        wait_for(lambda: {k for k, v in slaves(master).items() if v["connected"]} == {"S1", "S2", "S3"}, timeout=20,
                 what="three slaves connected (two discovered, one at the fixed address)")
        assert s3.status()["dlm"]["master"]["id"] == "DLM-MASTER"
        client = ModbusTcpClient("127.0.0.1", port=modbus_port)
        assert client.connect()
        try:
            # Modbus reads are answered from the state of the last control tick (≤ 100 ms old).
            regs = wait_for(lambda: (r := client.read_holding_registers(600, count=22, device_id=1).registers)[21] == 3 and r,
                            timeout=5, what="621 = 3")
        finally:
            client.close()
        assert regs[0] == 2, "600: DLM Master (Standalone)"

        # Two cars: 40 A main − 10 A building = 30 A, 15 A each.
        for s in (s1, s2):
            assert s.sim("plug", "1", "--ev", "3p-32a").returncode == 0
            s.sim("rfid", CARD)
        wait_for(lambda: signaled(s1) == 15 and signaled(s2) == 15, timeout=20, what="15 A each")
        assert limit(s1) == (15, "dlm")

        # The building load rises to 20 A: 20 A left, 10 A each.
        meter.set_registers(building([20, 20, 20]))
        wait_for(lambda: signaled(s1) == 10 and signaled(s2) == 10, timeout=10, what="10 A each after the building load rose")

        # Unplug one car: the other may have all 20 A.
        s2.sim("rfid", CARD)  # the card ends the session and unlocks the plug
        wait_for(lambda: s2.sim("unplug", "1").returncode == 0, timeout=10, what="unplug after the session")
        wait_for(lambda: signaled(s1) == 20, timeout=15, what="20 A for the remaining car")
        assert s2.sim("plug", "1", "--ev", "3p-32a").returncode == 0
        s2.sim("rfid", CARD)
        wait_for(lambda: signaled(s1) == 10 and signaled(s2) == 10, timeout=15, what="10 A each again")

        # Meter cut: External Load Fallback 30 A leaves 10 A, not enough for two minimums of 6 A; one car waits.
        meter.stop()
        wait_for(lambda: sorted([signaled(s1), signaled(s2)]) == [0, 10], timeout=20, what="fallback: 10 A for one car")
        # Meter restored (building 10 A): 15 A each.
        meter = MeterServer(janitza_512(), 1, port=meter.port).start()
        meter.set_registers(building([10, 10, 10]))
        wait_for(lambda: signaled(s1) == 15 and signaled(s2) == 15, timeout=30, what="recovery when the meter answers again")

        # Foreign slaves: a wrong key, and the right key on another network. Both are refused and logged.
        for ident, key, network in (("INTRUDER", "not-the-key", NETWORK), ("NEIGHBOUR", KEY, NETWORK + 1)):
            peer = LightSlave(ident, key, network, ("127.0.0.1", link_port), maximum=32)
            foreign.append(peer)
            assert not peer.join(timeout=1.5), f"{ident} must get no answer"
        log = (dirs["master"].parent / "master.log").read_text(errors="replace")
        assert "not authenticated with this DLM network key" in log
        assert f"message of DLM network {NETWORK + 1}" in log
        assert set(slaves(master)) == {"S1", "S2", "S3"}
        assert signaled(s1) == 15 and signaled(s2) == 15

        # Master killed (power loss): within three sample periods (3 s) of the master's last grants the slaves fall
        # back to 7 A. Timed on each slave's own clock (its last grants and its fallback event), not on this
        # process's, so a busy machine does not blur it: the API writes whole seconds, the fallback comes at the
        # first poll after the grants expire (≤ 1 sample period later), hence 3…4 s apart in whole seconds.
        master.kill9()
        wait_for(lambda: signaled(s1) == 7 and signaled(s2) == 7, timeout=15, what="Disconnected Limit")
        for s in (s1, s2):
            view = s.status()["dlm"]["master"]
            assert view["connected"] is False
            fallback = next(e for e in s.get("/api/events?limit=50")[1] if "for three sample periods; Disconnected Limit 7 A" in e["message"])
            waited = (parse_time(fallback["at"]) - parse_time(view["lastGrants"])).total_seconds()
            assert 3 <= waited <= 4, f"the fallback came {waited} s after the last grants"
        assert limit(s1) == (7, "dlm")

        # The master returns (its slave DB remembers the slaves): everything recovers by itself.
        master = start_master()
        wait_for(lambda: signaled(s1) == 15 and signaled(s2) == 15, timeout=30, what="recovery after the master restarted")
        assert {k for k, v in slaves(master).items() if v["connected"]} == {"S1", "S2", "S3"}
        r = cli("dlm", "status", data_dir=dirs["master"])
        assert r.returncode == 0 and "slave S1 at 127.0.0.1" in r.stdout, r.stdout + r.stderr
    finally:
        for peer in foreign:
            peer.close()
        for s in list(stations.values()) + [master]:
            s.terminate()
        meter.stop()


def test_clear_persistent_dlm_slave_db(tmp_path):
    link_port = free_udp_port()
    master_dir = tmp_path / "master"
    master_dir.mkdir()
    configure(master_dir, [("DLMNetworkKey", KEY), ("DLMMode", "MasterStandalone"), ("DLMLinkPort", link_port),
                           ("DLMDisableDiscoveryBroadcasting", "On"), ("DLMAlgorithmSampleRate", "1")])
    master = Station(master_dir, connectors=1, time_scale=1).start()
    peers = [LightSlave(f"LIGHT{i}", KEY, 0, ("127.0.0.1", link_port)) for i in range(2)]
    try:
        assert all(p.join() for p in peers)
        wait_for(lambda: set(slaves(master)) == {"LIGHT0", "LIGHT1"}, what="two slaves")
        code, body = master.request("DELETE", "/api/dlm/slaves/NOPE")
        assert code == 404 and "NOPE" in body["error"]
        r = cli("dlm", "remove-slave", "LIGHT0", data_dir=master_dir)
        assert r.returncode == 0 and "LIGHT0" in r.stdout
        assert set(slaves(master)) == {"LIGHT1"}
        r = cli("dlm", "clear-slaves", data_dir=master_dir)
        assert r.returncode == 0 and "1 slave(s)" in r.stdout
        assert slaves(master) == {}
    finally:
        for p in peers:
            p.close()
        master.terminate()
    # Stopped station: the DB is empty after a restart too.
    master = Station(master_dir, connectors=1, time_scale=1).start()
    try:
        assert slaves(master) == {}
    finally:
        master.terminate()
