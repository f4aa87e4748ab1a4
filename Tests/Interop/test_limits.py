"""The limit chain on the real binary (issue 5): load shedding through "Opto 1 In" (seeds/000 "Lastabwurf
konfigurieren") pauses or reduces charging, and the status API explains which source binds and lists every input."""
from station import Station, brief, cli, wait_for


def test_load_shedding_pauses_and_the_status_api_explains_it(data_dir):
    for key, value in (("ExternalInputEnergyManagement", "Opto1"), ("ExternalInputCurrentLimit", "0")):
        cli("config", "set", key, value, "--role", "installer", data_dir=data_dir, check=True)
    station = Station(data_dir).start()
    try:
        station.sim("plug", "1", "--ev", "3p-16a")
        station.sim("rfid", "04567DAA5F3580")
        station.wait_status(1, "Charging")
        assert station.sim("input", "opto1", "on").returncode == 0
        c = station.wait_status(1, "SuspendedEVSE")
        assert c["currentLimit"]["paused"] is True and c["currentLimit"]["binding"] == "loadShedding"
        assert {"source": "loadShedding", "amps": 0} in c["currentLimit"]["inputs"]
        assert [i["source"] for i in c["currentLimit"]["inputs"]][:3] == ["hardware", "installation", "operator"]
        events = station.get("/api/events")[1]
        assert any(e["kind"] == "currentLimitChanged" and "loadShedding" in e["message"] for e in events)
        # 10 A during load shedding instead of a pause.
        code, _ = station.request("PUT", "/api/config/ExternalInputCurrentLimit", body={"value": 10, "role": "installer"})
        assert code == 200
        wait_for(lambda: brief(station.connector(1)["currentLimit"]) == {"amps": 10, "binding": "loadShedding"}, what="10 A")
        station.sim("input", "opto1", "off")
        station.wait_status(1, "Charging")
        wait_for(lambda: brief(station.connector(1)["currentLimit"]) == {"amps": 32, "binding": "hardware"}, what="32 A again")
    finally:
        station.terminate()


def test_limit_hierarchy_is_enforced_with_the_rule_named(data_dir):
    r = cli("config", "set", "OperatorCurrentLimit.1", "40", "--role", "installer", data_dir=data_dir)
    assert r.returncode != 0 and "must not exceed" in r.stderr
