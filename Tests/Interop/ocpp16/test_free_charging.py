"""Free charging modes against the independent central system (seeds/004 §5.2): the "With OCPP status notif …" modes
report the connector's status only; the "With OCPP Full …" modes send a transaction."""
from harness import plug, rfid, unplug, wait_for


def charge_and_unplug(cs, station, card=False):
    """Plugs in (and presents a card), charges until the station counted energy, unplugs; returns the mark before."""
    mark = cs.mark()
    plug(station)
    if card:
        rfid(station)
    cs.wait_status(1, "Charging", since=mark)
    wait_for(lambda: (station.connector(1).get("session") or {}).get("energyWh", 0) > 5, what="energy charged")
    unplug(station, force=True)
    cs.wait_status(1, "Available", since=mark)
    return mark


def test_seeds004_5_2_status_notif_without_auth_sends_no_transaction(cs, make_station):
    station = make_station(config=[("FreeCharging", "On"), ("FreeChargingMode", "statusWithoutAuth"),
                                   ("MeterValueSampleInterval", "1")], time_scale=10.0)
    mark = charge_and_unplug(cs, station)
    actions = set(cs.actions(since=mark))
    assert actions == {"StatusNotification"}, actions
    statuses = [p["status"] for _, p in cs.calls("StatusNotification", since=mark) if p["connectorId"] == 1]
    assert statuses[:2] == ["Preparing", "Charging"] or "Charging" in statuses
    assert station.get("/api/status")[1]["backend"]["queuedTransactionMessages"] == 0


def test_seeds004_5_2_full_fixed_rfid_with_auth_sends_a_transaction(cs, make_station):
    station = make_station(config=[("FreeCharging", "On"), ("FreeChargingMode", "fullFixedRFIDWithAuth"),
                                   ("MeterValueSampleInterval", "1")], time_scale=10.0)
    mark = charge_and_unplug(cs, station, card=True)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == "freecharging"
    cs.wait_call("StopTransaction", since=mark)
    assert "Authorize" not in cs.actions(since=mark)
    assert any("transactionId" in p for _, p in cs.calls("MeterValues", since=mark))
