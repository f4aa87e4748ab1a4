"""OCPP 1.6 smart charging and the phase-switching contactor (issue 25 item 3), against the independent central system
of central_system.py: ConnectorSwitch3to1PhaseSupported (§9.4, read-only) is true on the simulated board, which has a
phase-switching contactor, and a TxProfile whose period asks for numberPhases 1 (§7.7 ChargingSchedulePeriod) switches
the charging connector to one phase by the safe sequence — observed on the simulated board (/api/sim): the switch
was made with the contactors open, and the vehicle then draws on L1 only. Clearing the profile switches back."""
from ocpp.v16 import call

from harness import plug, rfid, wait_for
from test_smart_charging import set_profile


def test_issue25_3_number_phases_1_switches_the_connector_to_one_phase(cs, make_station):
    station = make_station(connectors=1)
    keys = {k["key"]: k for k in cs.call(call.GetConfiguration(key=["ConnectorSwitch3to1PhaseSupported"])).configuration_key}
    assert keys["ConnectorSwitch3to1PhaseSupported"]["value"] == "true" and keys["ConnectorSwitch3to1PhaseSupported"]["readonly"] is True
    assert cs.call(call.ChangeConfiguration(key="ConnectorSwitch3to1PhaseSupported", value="false")).status == "Rejected"
    plug(station)
    rfid(station)
    cs.wait_status(1, "Charging", timeout=30)
    tx = cs.last_transaction_id
    sim = lambda: station.get("/api/sim")[1]["connectors"][0]  # noqa: E731
    wait_for(lambda: sim()["currentA"]["l3"] > 6, what="three phases")
    p = {"chargingProfileId": 61, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
         "transactionId": tx, "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
             {"startPeriod": 0, "limit": 16, "numberPhases": 1}]}}
    assert set_profile(cs, 1, p) == "Accepted"
    c = wait_for(lambda: (c := sim())["switchedPhases"] == 1 and c["currentA"]["l1"] > 6 and c, timeout=40,
                 what="charging on one phase")
    assert c["currentA"]["l2"] == 0 and c["currentA"]["l3"] == 0, c
    assert [(r["phases"], r["relays"], r.get("refused")) for r in c["phaseSwitches"]] == [(1, "open", None)], c["phaseSwitches"]
    events = [e["message"] for e in station.get("/api/events?limit=300")[1] if e["connector"] == 1]
    assert "Connector 1: Switching to 1 phase: stopping the current" in events, events
    assert cs.call(call.ClearChargingProfile(id=61)).status == "Accepted"
    c = wait_for(lambda: (c := sim())["switchedPhases"] == 3 and c["currentA"]["l3"] > 6 and c, timeout=40,
                 what="three phases again")
    assert [r["phases"] for r in c["phaseSwitches"]] == [1, 3]
