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


def test_single_feed_line_respects_phase_rotation(data_dir):
    for key, value in (("ConnectorCount", "2"), ("SingleFeedLine", "On"), ("FeedLineCapacity", "32"), ("PhaseRotation.2", "STR")):
        cli("config", "set", key, value, "--role", "manufacturer", data_dir=data_dir, check=True)
    station = Station(data_dir).start()
    try:
        for n, card in ((1, "04567DAA5F3580"), (2, "0A0E9B83")):
            assert station.sim("plug", str(n), "--ev", "1p-32a").returncode == 0
            station.sim("rfid", card)
            station.wait_status(n, "Charging")
        # Both single-phase vehicles draw on different grid phases (L1 → R, L1 → S): each may use the full 32 A.
        for n in (1, 2):
            wait_for(lambda: station.connector(n)["pilotSignal"]["signaledCurrentAmps"] == 32, what=f"32 A on connector {n}")
    finally:
        station.terminate()


def test_seeds004_7_3_single_feed_line_installation_limit_is_one_value_not_above_the_feed_line(data_dir):
    """seeds/004 §7.2 (case 3) and §7.3: with a single feed line the installation limit is one value for the station, at
    most the feed line's capacity; `chargekit config set` and the API refuse anything else with the rule named."""
    for key, value in (("ConnectorCount", "2"), ("SingleFeedLine", "On"), ("SingleFeedLineInstallerAccess", "On")):
        cli("config", "set", key, value, "--role", "manufacturer", data_dir=data_dir, check=True)
    for key in ("OperatorCurrentLimit.1", "OperatorCurrentLimit.2"):
        cli("config", "set", key, "16", "--role", "operator", data_dir=data_dir, check=True)
    cli("config", "set", "InstallationCurrentLimit.1", "20", "--role", "installer", data_dir=data_dir, check=True)
    r = cli("config", "get", "InstallationCurrentLimit.2", "--json", data_dir=data_dir)
    assert '"value" : 20' in r.stdout, "one value for the station: connector 2 follows"
    cli("config", "set", "FeedLineCapacity", "24", "--role", "installer", data_dir=data_dir, check=True)
    r = cli("config", "set", "InstallationCurrentLimit.2", "25", "--role", "installer", data_dir=data_dir)
    assert r.returncode != 0
    for words in ("single feed line", "InstallationCurrentLimit.1 and InstallationCurrentLimit.2", "between 6 and 24 A", "FeedLineCapacity"):
        assert words in r.stderr, (words, r.stderr)
    station = Station(data_dir).start()
    try:
        code, body = station.request("PUT", "/api/config/FeedLineCapacity", {"value": 16, "role": "installer"})
        assert code == 409 and "single feed line" in str(body) and "InstallationCurrentLimit" in str(body), (code, body)
        code, body = station.request("PUT", "/api/config/InstallationCurrentLimit.2", {"value": 18, "role": "installer"})
        assert code == 200, (code, body)
        assert station.connector(1)["currentLimit"]["inputs"][1] == {"source": "installation", "amps": 18}
    finally:
        station.terminate()
