"""More OCTT charge-point cases of the Core and LocalAuthListManagement profiles (the OCA OCTT test case list
§3): authorization by cache and local list, remote start timeouts, resets, unlocking sockets and fixed cables, faults,
offline transactions and local list versions."""
import time

from ocpp.v16 import call

from harness import CARD, plug, rfid, unplug, wait_for

TAG = CARD.lower()
OTHER_CARD = "0A0E9B83"


def charging(cs, station, n=1, card=CARD):
    mark = cs.mark()
    plug(station, n)
    rfid(station, card)
    start = cs.wait_call("StartTransaction", since=mark)
    cs.wait_status(n, "Charging", since=mark, timeout=30)
    return start


def fault(station, n, kind, clear=False):
    r = station.sim("fault", str(n), kind, *(["--clear"] if clear else []))
    assert r.returncode == 0, r.stderr


def test_TC_069_CS_stop_transaction_with_a_tag_of_the_same_group(cs, make_station):
    station = make_station()
    cs.parents = {TAG: "FLEET", OTHER_CARD.lower(): "FLEET"}
    charging(cs, station)
    mark = cs.mark()
    rfid(station, OTHER_CARD)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == OTHER_CARD.lower()
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["idTag"] == OTHER_CARD.lower()
    cs.wait_status(1, "Finishing", since=mark)


def test_TC_005_2_CS_unlock_connector_on_ev_side_disconnect_is_fixed(cs, make_station):
    station = make_station()
    # The socket always unlocks when the cable is pulled at the vehicle (read-only key, errata 3.84).
    assert cs.call(call.ChangeConfiguration(key="UnlockConnectorOnEVSideDisconnect", value="false")).status == "Rejected"
    charging(cs, station)
    mark = cs.mark()
    unplug(station, force=True)
    cs.wait_call("StopTransaction", since=mark)
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "Unlocked"


def test_TC_005_3_CS_ev_side_disconnect_does_not_stop_the_transaction(cs, make_station):
    station = make_station(config=[("StopTransactionMode", "rfidOrRemoteOnly")])
    keys = {k["key"]: k["value"] for k in cs.call(call.GetConfiguration(key=["StopTransactionOnEVSideDisconnect"])).configuration_key}
    assert keys["StopTransactionOnEVSideDisconnect"] == "false"
    start = charging(cs, station)
    mark = cs.mark()
    unplug(station, force=True)
    cs.wait_status(1, "SuspendedEV", since=mark)
    assert not cs.calls("StopTransaction", since=mark)
    plug(station)
    cs.wait_status(1, "Charging", since=mark, timeout=30)
    assert cs.call(call.RemoteStopTransaction(transaction_id=cs.last_transaction_id)).status == "Accepted"
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "Remote" and stop["transactionId"] == cs.last_transaction_id and start
    cs.wait_status(1, "Finishing", since=mark)


def test_TC_007_CS_start_from_the_authorization_cache(cs, make_station):
    station = make_station(config=[("LocalPreAuthorize", "On"), ("AuthorizationCacheEnabled", "On")])
    charging(cs, station)
    mark = cs.mark()
    rfid(station)
    cs.wait_call("StopTransaction", since=mark)
    unplug(station)
    cs.wait_status(1, "Available", since=mark)
    mark = cs.mark()
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction", since=mark)
    assert "Authorize" not in cs.actions(mark), "a cached Accepted idTag starts without Authorize (LocalPreAuthorize)"


def test_TC_008_CS_start_from_the_local_authorization_list(cs, make_station):
    station = make_station(config=[("LocalPreAuthorize", "On"), ("AuthorizationCacheEnabled", "Off"), ("LocalAuthListEnabled", "On")])
    assert cs.call(call.SendLocalList(list_version=1, update_type="Full",
                                      local_authorization_list=[{"idTag": TAG, "idTagInfo": {"status": "Accepted"}}])).status == "Accepted"
    mark = cs.mark()
    plug(station)
    rfid(station)
    assert cs.wait_call("StartTransaction", since=mark)["idTag"] == TAG
    assert "Authorize" not in cs.actions(mark)


def test_TC_011_2_CS_remote_start_without_a_vehicle_times_out(cs, make_station):
    make_station(config=[("VehicleConnectionTimeout", "5")])
    mark = cs.mark()
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1)).status == "Accepted"
    cs.wait_status(1, "Preparing", since=mark)
    cs.wait_status(1, "Available", since=cs.mark(), timeout=15)
    assert "StartTransaction" not in cs.actions(mark)


def test_TC_014_CS_soft_reset_without_transaction(cs, make_station):
    """As TC_013 with a soft reset: an Inoperative connector stays Unavailable after the reset, the others come back
    Available, and ChangeAvailability Operative makes it Available again."""
    station = make_station()
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=1, type="Inoperative")).status == "Accepted"
    cs.wait_status(1, "Unavailable", since=mark)
    mark = cs.mark()
    assert cs.call(call.Reset(type="Soft")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=30)
    cs.wait_status(0, "Available", since=mark)
    cs.wait_status(1, "Unavailable", since=mark)
    cs.wait_status(2, "Available", since=mark)
    assert not [p for _, p in cs.calls("StatusNotification", since=mark) if p["connectorId"] == 1 and p["status"] != "Unavailable"]
    station.refresh()
    cs.wait_connected(count=2)
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=1, type="Operative")).status == "Accepted"
    cs.wait_status(1, "Available", since=mark)


def test_TC_015_CS_hard_reset_with_transaction(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.Reset(type="Hard")).status == "Accepted"
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "HardReset"
    boot = cs.wait_call("BootNotification", since=mark, timeout=30)
    actions = cs.actions(mark)
    assert actions.index("StopTransaction") < actions.index("BootNotification"), "StopTransaction is delivered before the restart"
    cs.wait_status(1, "Finishing", since=mark)
    assert boot
    station.refresh()


def test_TC_017_2_and_TC_018_2_CS_unlock_a_fixed_cable_is_not_supported(cs, make_station):
    station = make_station(config=[("ConnectorKind.1", "Cable")])
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "NotSupported"
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "NotSupported"
    # The transaction still runs: the central system stops it, and that is the only StopTransaction.
    assert cs.call(call.RemoteStopTransaction(transaction_id=cs.last_transaction_id)).status == "Accepted"
    cs.wait_call("StopTransaction", since=mark)
    assert [p["reason"] for _, p in cs.calls("StopTransaction", since=mark)] == ["Remote"], "not stopped by UnlockConnector"


def test_TC_023_CS_invalid_tag_starts_nothing(cs, make_station):
    """MinimumStatusDuration 10 s (time ×10): an invalid tag is refused by Authorize; the plug-in is reported as
    Preparing once it lasted 10 s, and no transaction starts (a start would have come right after the plug-in)."""
    scale = 10
    station = make_station(config=[("MinimumStatusDuration", "10")], time_scale=scale)
    cs.id_tags = {TAG: "Invalid"}
    mark = cs.mark()
    rfid(station)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == TAG
    plugged = time.monotonic()
    plug(station)
    cs.wait_status(1, "Preparing", since=mark)
    reported = next(t for i, (d, t, m, _) in enumerate(list(cs.frames)) if i >= mark and d == "in" and m[0] == 2
                    and m[2] == "StatusNotification" and m[3]["connectorId"] == 1)
    assert reported - plugged >= 10 / scale, "reported only once it lasted MinimumStatusDuration"
    assert [p["status"] for _, p in cs.calls("StatusNotification", since=mark) if p["connectorId"] == 1] == ["Preparing"]
    assert "StartTransaction" not in cs.actions(mark)
    assert station.connector(1)["status"] == "Preparing" and not station.connector(1).get("session")


def test_TC_024_CS_lock_failure_reports_connector_lock_failure(cs, make_station):
    station = make_station()
    fault(station, 1, "lock")
    mark = cs.mark()
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1)).status == "Accepted"
    plug(station)
    cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["errorCode"] == "ConnectorLockFailure", since=mark, timeout=15)
    # The contactors never close without a confirmed lock: no Charging.
    assert not [p for _, p in cs.calls("StatusNotification", since=mark) if p["connectorId"] == 1 and p["status"] == "Charging"]
    assert station.connector(1)["relays"] == "open"


def test_TC_030_CS_unlock_failure(cs, make_station):
    station = make_station()
    charging(cs, station)
    fault(station, 1, "lock-stuck")
    mark = cs.mark()
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "UnlockFailed"
    assert cs.wait_call("StopTransaction", since=mark)["reason"] == "UnlockCommand"
    cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["errorCode"] == "ConnectorLockFailure", since=mark, timeout=15)


def test_TC_037_1_CS_offline_start_transaction_valid_tag(cs, make_station):
    station = make_station(config=[("LocalAuthorizeOffline", "On"), ("AuthorizationCacheEnabled", "On")])
    charging(cs, station)  # fills the cache
    rfid(station)
    unplug(station)
    cs.stop_server()
    plug(station)
    rfid(station)
    station.wait_status(1, "Charging", timeout=30)
    mark = cs.mark()
    cs.restart_server()
    start = cs.wait_call("StartTransaction", since=mark, timeout=60)
    assert start["idTag"] == TAG
    cs.wait_status(1, "Charging", since=mark)


def offline_start_with_invalid_tag(cs, station):
    station.wait_status(1, "Available")
    cs.stop_server()
    plug(station)
    rfid(station)
    station.wait_status(1, "Charging", timeout=30)
    cs.id_tags = {TAG: "Invalid"}
    mark = cs.mark()
    cs.restart_server()
    cs.wait_call("StartTransaction", since=mark, timeout=60)
    return mark


def test_TC_037_2_CS_offline_start_invalid_tag_stop_transaction_on_invalid_id_false(cs, make_station):
    station = make_station(config=[("AllowOfflineTxForUnknownId", "On"), ("StopTransactionOnInvalidId", "Off")])
    mark = offline_start_with_invalid_tag(cs, station)
    cs.wait_status(1, "SuspendedEVSE", since=mark, timeout=30)
    # The transaction still runs: the central system stops it, and that is the only StopTransaction.
    assert cs.call(call.RemoteStopTransaction(transaction_id=cs.last_transaction_id)).status == "Accepted"
    cs.wait_call("StopTransaction", since=mark)
    assert [p["reason"] for _, p in cs.calls("StopTransaction", since=mark)] == ["Remote"]


def test_TC_037_3_CS_offline_start_invalid_tag_stop_transaction_on_invalid_id_true(cs, make_station):
    station = make_station(config=[("AllowOfflineTxForUnknownId", "On"), ("StopTransactionOnInvalidId", "On")])
    mark = offline_start_with_invalid_tag(cs, station)
    assert cs.wait_call("StopTransaction", since=mark)["reason"] == "DeAuthorized"
    cs.wait_status(1, "Finishing", since=mark)


def test_TC_038_CS_offline_stop_transaction(cs, make_station):
    station = make_station()
    start = charging(cs, station)
    cs.stop_server()
    rfid(station)
    station.wait_status(1, "Finishing")
    mark = cs.mark()
    cs.restart_server()
    stop = cs.wait_call("StopTransaction", since=mark, timeout=60)
    assert stop["transactionId"] == cs.last_transaction_id and stop.get("reason", "Local") == "Local" and start
    cs.wait_status(1, "Finishing", since=mark)


def test_TC_039_CS_offline_transaction(cs, make_station):
    station = make_station(config=[("AllowOfflineTxForUnknownId", "On")])
    cs.stop_server()
    plug(station)
    rfid(station)
    station.wait_status(1, "Charging", timeout=30)
    rfid(station)
    station.wait_status(1, "Finishing")
    mark = cs.mark()
    cs.restart_server()
    stop = cs.wait_call("StopTransaction", since=mark, timeout=60)
    actions = [a for a in cs.actions(mark) if a in ("StartTransaction", "StopTransaction")]
    assert actions == ["StartTransaction", "StopTransaction"]
    assert stop["transactionId"] == cs.last_transaction_id and stop.get("reason", "Local") == "Local"


def test_TC_041_CS_fault_behavior(cs, make_station):
    """A faulted connector starts nothing: the card presented while a vehicle is plugged into it is authorized for
    the other connector, where the transaction then starts."""
    station = make_station()
    mark = cs.mark()
    fault(station, 1, "meter")
    cs.wait_status(1, "Faulted", since=mark)
    plug(station)
    rfid(station)
    cs.wait_call("Authorize", since=mark)
    cs.wait_status(2, "Preparing", since=mark)
    plug(station, 2)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 2 and len(cs.calls("StartTransaction", since=mark)) == 1
    assert station.connector(1)["status"] == "Faulted"
    fault(station, 1, "meter", clear=True)
    cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] != "Faulted", since=mark, timeout=15)


def test_TC_042_2_CS_empty_local_list_has_version_0(cs, make_station):
    make_station()
    assert cs.call(call.SendLocalList(list_version=1, update_type="Full")).status == "Accepted"
    assert cs.call(call.GetLocalListVersion()).list_version == 0


def test_TC_043_1_CS_send_local_list_not_supported_when_disabled(cs, make_station):
    make_station(config=[("LocalAuthListEnabled", "Off")])
    full = call.SendLocalList(list_version=1, update_type="Full", local_authorization_list=[{"idTag": "A1", "idTagInfo": {"status": "Accepted"}}])
    assert cs.call(full).status == "NotSupported"


def test_TC_043_2_CS_send_local_list_versions(cs, make_station):
    make_station()
    entry = [{"idTag": "A1", "idTagInfo": {"status": "Accepted"}}]
    assert cs.call(call.SendLocalList(list_version=2, update_type="Full", local_authorization_list=entry)).status == "Accepted"
    assert cs.call(call.GetLocalListVersion()).list_version == 2
    assert cs.call(call.SendLocalList(list_version=5, update_type="Differential",
                                      local_authorization_list=[{"idTag": "A2", "idTagInfo": {"status": "Accepted"}}])).status == "Accepted"
    assert cs.call(call.GetLocalListVersion()).list_version == 5
    assert cs.call(call.SendLocalList(list_version=4, update_type="Differential",
                                      local_authorization_list=[{"idTag": "A3", "idTagInfo": {"status": "Accepted"}}])).status == "VersionMismatch"
    assert cs.call(call.GetLocalListVersion()).list_version == 5


def test_TC_043_3_CS_send_local_list_failed_when_it_cannot_be_stored(cs, make_station):
    make_station()
    too_many = [{"idTag": f"T{i:05d}", "idTagInfo": {"status": "Accepted"}} for i in range(1001)]
    assert cs.call(call.SendLocalList(list_version=1, update_type="Full", local_authorization_list=too_many)).status == "Failed"
    assert cs.call(call.GetLocalListVersion()).list_version == 0


def test_TC_032_1_CS_power_loss_with_backup_power(cs, make_station):
    station = make_station()
    start = charging(cs, station)
    mark = cs.mark()
    r = station.sim("fault", "power")
    assert r.returncode == 0, r.stderr
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "PowerLoss" and stop["transactionId"] == cs.last_transaction_id and start
    cs.wait_status(1, "Finishing", since=mark)
    boot = cs.wait_call("BootNotification", since=mark, timeout=60)
    actions = cs.actions(mark)
    assert actions.index("StopTransaction") < actions.index("BootNotification"), "the StopTransaction goes out before the station goes down"
    after = cs.mark()
    station.refresh()
    # The transaction ended with the vehicle plugged in: Finishing survives the reboot (issue 20 item 3; OCTT accepts
    # any status per connector after the boot).
    booted_at = cs.call_frames("BootNotification", since=mark)[0][0]
    for n in (0, 1, 2):
        cs.wait_status(n, "Finishing" if n == 1 else "Available", since=booted_at)
    assert boot and "StopTransaction" not in cs.actions(after), "nothing is sent twice after the restart"


def test_usb_link_errors_only_with_send_usb_error_status_notifications(cs, make_station):
    """seeds/004 §4 "Send USB error StatusNotifications" (default Off): a connector board that loses its USB link
    stops the transaction and reports Faulted; the error code goes to the backend only with the switch On."""
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    fault(station, 1, "link")
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "Other"
    faulted = cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Faulted", since=mark)
    assert faulted["errorCode"] == "NoError"
    fault(station, 1, "link", clear=True)
    cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] != "Faulted", since=mark)

    assert cs.call(call.ChangeConfiguration(key="SendUSBErrorStatusNotifications", value="true")).status == "Accepted"
    mark = cs.mark()
    fault(station, 1, "link")
    faulted = cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Faulted", since=mark)
    assert faulted["errorCode"] == "InternalError"
    assert faulted["info"] == "Connector board not communicating (USB link lost)"


def test_autocharge_the_vehicle_identifier_with_its_prefix_is_authorized_by_the_backend(cs, make_station):
    """seeds/000 "Plug & Charge (ISO 15118) aktivieren": Autocharge On, "Prefix für EVCCID oder MAC-Adresse für die OCPP
    Autorisierung" VID: — the vehicle's EVCCID goes to the backend as the idTag VID:<12 hex digits>; a vehicle the
    backend refuses waits for a card, which then starts the session."""
    station = make_station(config=[("Autocharge", "On"), ("AutochargeIdTagPrefix", "VID:")])
    cs.id_tags["VID:0A1B2C3D4E5F"] = "Invalid"
    mark = cs.mark()
    r = station.sim("plug", "1", "--evccid", "02:00:5e:10:00:01")
    assert r.returncode == 0, r.stderr
    auth = cs.wait_call("Authorize", since=mark)
    assert auth["idTag"] == "VID:02005E100001"
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 1 and start["idTag"] == "VID:02005E100001"
    cs.wait_status(1, "Charging", since=mark, timeout=30)
    mark = cs.mark()
    r = station.sim("plug", "2", "--evccid", "0a:1b:2c:3d:4e:5f")
    assert r.returncode == 0, r.stderr
    assert cs.wait_call("Authorize", since=mark)["idTag"] == "VID:0A1B2C3D4E5F"
    cs.wait_status(2, "Preparing", since=mark)
    assert not cs.calls("StartTransaction", since=mark), "the refused vehicle does not charge"
    rfid(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 2 and start["idTag"] == CARD.lower()
