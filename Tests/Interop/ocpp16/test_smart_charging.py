"""OCTT charge-point test cases of the SmartCharging profile (the OCA test case list, SmartCharging,
OCPP 1.6 §3.13, §5.5, §5.7, §5.16), against the independent central system of central_system.py, plus the effect of
the profiles on the current the station signals and their persistence across a restart."""
import json
from datetime import datetime, timezone

from ocpp.v16 import call

from harness import brief, plug, rfid, wait_for


def start_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def profile(pid, purpose, periods, stack=0, kind="Absolute", duration=None, unit="A", transaction_id=None):
    schedule = {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": s, "limit": l} for s, l in periods]}
    if kind != "Relative":
        schedule["startSchedule"] = start_now()
    if duration is not None:
        schedule["duration"] = duration
    p = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose, "chargingProfileKind": kind,
         "chargingSchedule": schedule}
    if transaction_id is not None:
        p["transactionId"] = transaction_id
    return p


def set_profile(cs, connector, p):
    return cs.call(call.SetChargingProfile(connector_id=connector, cs_charging_profiles=p)).status


def composite(cs, connector, duration, unit=None):
    r = cs.call(call.GetCompositeSchedule(connector_id=connector, duration=duration, charging_rate_unit=unit))
    assert r.status == "Accepted"
    # The library hands answers over with snake_case keys.
    return [(p["start_period"], p["limit"]) for p in r.charging_schedule["charging_schedule_period"]]


def assert_periods(actual, expected, slack=2):
    assert [l for _, l in actual] == [l for _, l in expected], actual
    for (a, _), (e, _) in zip(actual, expected):
        assert e - slack <= a <= e, (actual, expected)


def charging(cs, station):
    plug(station)
    rfid(station)
    cs.wait_status(1, "Charging", timeout=30)
    return cs.last_transaction_id


def test_TC_056_CS_central_smart_charging_tx_default_profile(cs, make_station):
    make_station()
    assert set_profile(cs, 1, profile(1, "TxDefaultProfile", [(0, 6), (60, 10)], duration=120)) == "Accepted"
    assert_periods(composite(cs, 1, 180), [(0, 6), (60, 10), (120, 32)])


def test_TC_057_CS_central_smart_charging_tx_profile(cs, make_station):
    station = make_station()
    tx = charging(cs, station)
    assert set_profile(cs, 1, profile(2, "TxProfile", [(0, 10), (30, 8)], transaction_id=tx)) == "Accepted"
    assert_periods(composite(cs, 1, 60), [(0, 10), (30, 8)])
    c = wait_for(lambda: station.connector(1)["currentLimit"]["binding"] == "chargingProfile" and station.connector(1),
                 what="the profile to bind the signaled current")
    assert c["currentLimit"]["amps"] == 10


def test_TC_058_1_CS_central_smart_charging_no_ongoing_transaction(cs, make_station):
    make_station()
    assert set_profile(cs, 1, profile(3, "TxProfile", [(0, 10)])) == "Rejected"
    assert_periods(composite(cs, 1, 60), [(0, 32)])


def test_TC_058_2_CS_central_smart_charging_wrong_transaction_id(cs, make_station):
    station = make_station()
    tx = charging(cs, station)
    assert set_profile(cs, 1, profile(4, "TxProfile", [(0, 10)], transaction_id=tx + 1000)) == "Rejected"


def test_TC_082_CS_tx_default_profile_with_ongoing_transaction(cs, make_station):
    station = make_station()
    charging(cs, station)
    assert station.connector(1)["currentLimit"]["amps"] == 32
    assert set_profile(cs, 0, profile(5, "TxDefaultProfile", [(0, 7)], kind="Relative")) == "Accepted"
    c = wait_for(lambda: station.connector(1)["pilotSignal"].get("signaledCurrentAmps") == 7 and station.connector(1),
                 what="7 A signaled")
    assert brief(c["currentLimit"]) == {"amps": 7, "binding": "chargingProfile"}
    # Clearing the default lets the transaction continue unlimited (errata 3.8).
    assert cs.call(call.ClearChargingProfile(id=5)).status == "Accepted"
    wait_for(lambda: station.connector(1)["pilotSignal"].get("signaledCurrentAmps") == 32, what="32 A again (the station's limit)")


def test_TC_059_CS_remote_start_transaction_with_charging_profile(cs, make_station):
    station = make_station()
    tx_profile = profile(6, "TxProfile", [(0, 9), (100, 12)], kind="Relative")
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1, charging_profile=tx_profile)).status == "Accepted"
    plug(station)
    cs.wait_call("StartTransaction")
    assert_periods(composite(cs, 1, 200), [(0, 9), (100, 12)])


def test_TC_060_CS_remote_start_transaction_with_charging_profile_rejected(cs, make_station):
    make_station()
    wrong = profile(7, "TxDefaultProfile", [(0, 9)], kind="Relative")
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1, charging_profile=wrong)).status == "Rejected"


def test_TC_066_CS_get_composite_schedule(cs, make_station):
    station = make_station()
    tx = charging(cs, station)
    assert set_profile(cs, 0, profile(10, "ChargePointMaxProfile", [(0, 10)], duration=86400)) == "Accepted"
    assert set_profile(cs, 1, profile(11, "TxDefaultProfile", [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)], duration=300)) == "Accepted"
    assert set_profile(cs, 1, profile(12, "TxProfile", [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)], duration=260,
                                      transaction_id=tx)) == "Accepted"
    assert_periods(composite(cs, 1, 400), [(0, 8), (50, 10), (200, 6), (240, 10)])
    # In W (230 V, three phases): A × 690.
    assert [l for _, l in composite(cs, 1, 400, unit="W")] == [5520, 6900, 4140, 6900]
    # Connector 0 reports the station's expected draw (the connectors' sum capped by the ChargePointMaxProfile);
    # an unknown connector is Rejected.
    assert_periods(composite(cs, 0, 400), [(0, 10)])
    assert cs.call(call.GetCompositeSchedule(connector_id=3, duration=60)).status == "Rejected"


def test_TC_067_CS_clear_charging_profile(cs, make_station):
    make_station()
    assert set_profile(cs, 1, profile(20, "TxDefaultProfile", [(0, 6)], stack=1)) == "Accepted"
    assert set_profile(cs, 1, profile(21, "TxDefaultProfile", [(0, 8)], stack=2)) == "Accepted"
    assert set_profile(cs, 0, profile(22, "ChargePointMaxProfile", [(0, 20)])) == "Accepted"
    assert_periods(composite(cs, 1, 60), [(0, 8)])
    assert cs.call(call.ClearChargingProfile(id=21)).status == "Accepted"
    assert_periods(composite(cs, 1, 60), [(0, 6)])
    assert cs.call(call.ClearChargingProfile(charging_profile_purpose="TxDefaultProfile", stack_level=1)).status == "Accepted"
    assert_periods(composite(cs, 1, 60), [(0, 20)])
    assert cs.call(call.ClearChargingProfile(id=99)).status == "Unknown"
    assert cs.call(call.ClearChargingProfile()).status == "Accepted"
    assert_periods(composite(cs, 1, 60), [(0, 32)])
    assert cs.call(call.ClearChargingProfile()).status == "Unknown"


def test_TC_072_CS_stacking_charging_profiles(cs, make_station):
    make_station()
    assert set_profile(cs, 1, profile(30, "TxDefaultProfile", [(0, 6), (100, 8), (200, 10)], stack=0, duration=400)) == "Accepted"
    assert set_profile(cs, 1, profile(31, "TxDefaultProfile", [(0, 7), (100, 9)], stack=1, duration=150)) == "Accepted"
    assert_periods(composite(cs, 1, 350), [(0, 7), (100, 9), (150, 8), (200, 10)])


def test_profile_rules_and_malformed_profiles(cs, make_station):
    make_station()
    keys = {k["key"]: k["value"] for k in cs.call(call.GetConfiguration()).configuration_key}
    assert keys["ChargeProfileMaxStackLevel"] == "10" and keys["ChargingScheduleMaxPeriods"] == "24"
    assert keys["MaxChargingProfilesInstalled"] == "20" and keys["ChargingScheduleAllowedChargingRateUnit"] == "Current,Power"
    assert set_profile(cs, 1, profile(40, "ChargePointMaxProfile", [(0, 10)])) == "Rejected"  # connector 0 only
    assert set_profile(cs, 1, profile(41, "TxDefaultProfile", [(5, 10)])) == "Rejected"  # first period must start at 0
    assert set_profile(cs, 1, profile(42, "TxDefaultProfile", [(0, 10)], stack=11)) == "Rejected"
    bad = profile(43, "TxDefaultProfile", [(0, 10)])
    bad["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 10.25  # more than one decimal
    cs.send_raw(json.dumps([2, "sp-1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": bad}]))
    assert cs.raw_answers("sp-1")[:3] == [4, "sp-1", "PropertyConstraintViolation"]
    assert_periods(composite(cs, 1, 60), [(0, 32)])


def test_charging_profiles_survive_a_restart(cs, make_station):
    station = make_station()
    assert set_profile(cs, 1, profile(50, "TxDefaultProfile", [(0, 12)])) == "Accepted"
    mark = cs.mark()
    assert cs.call(call.Reset(type="Hard")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=60)
    station.refresh()
    cs.wait_connected(count=2)
    assert_periods(composite(cs, 1, 60), [(0, 12)])
