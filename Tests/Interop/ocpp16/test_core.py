"""OCTT charge-point test cases of the Core profile (the OCA OCTT test case list §3), against the
independent central system of central_system.py."""
import json
import time

from ocpp.v16 import call

from harness import CARD, plug, rfid, unplug


def test_TC_001_CS_cold_boot_charge_point(cs, make_station):
    cs.boot_answers = [("Rejected", 3)]
    cs.heartbeat_interval = 2
    station = make_station(boot=False)
    first = cs.wait_call("BootNotification")
    assert first["chargePointVendor"] == "ChargeKit"
    t0 = time.monotonic()
    # Rejected: nothing but another BootNotification, and only after the interval.
    mark = cs.mark()
    cs.wait_call("BootNotification", since=mark, timeout=15)
    assert time.monotonic() - t0 >= 2.5
    actions = cs.actions()
    assert actions[:2] == ["BootNotification", "BootNotification"]
    for n in (0, 1, 2):
        cs.wait_status(n, "Available")
    hb = cs.mark()
    cs.wait_call("Heartbeat", since=hb, timeout=10)
    h2 = cs.mark()
    cs.wait_call("Heartbeat", since=h2, timeout=10)
    assert station.proc.poll() is None
    assert cs.paths[0] == "/ocpp/CK-TEST-01"
    assert cs.subprotocols[0] == "ocpp1.6"


def test_TC_002_CS_cold_boot_pending(cs, make_station):
    cs.boot_answers = [("Pending", 4)]
    make_station(boot=False)
    cs.wait_call("BootNotification")
    cs.wait_connected()
    conf = cs.call(call.GetConfiguration())
    keys = {k["key"] for k in conf.configuration_key}
    assert {"HeartbeatInterval", "MeterValueSampleInterval", "SupportedFeatureProfiles"} <= keys
    assert cs.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="30")).status == "Accepted"
    # While Pending the charge point sends nothing but BootNotification.
    assert set(cs.actions()) == {"BootNotification"}
    mark = cs.mark()
    cs.wait_call("BootNotification", since=mark, timeout=15)
    for n in (0, 1, 2):
        cs.wait_status(n, "Available", since=mark)


def test_peer_pending_3600_triggered_boot_is_sent_at_once(cs, make_station):
    """Issue 29 item 3: a central system that answers Pending with an interval of an hour accepts the station by
    triggering a BootNotification: it goes out at once (not after the hour). After the acceptance the trigger is
    Rejected on that connection, and accepted again after a reconnect (errata 3.35: until the next reconnect)."""
    cs.boot_answers = [("Pending", 3600)]
    make_station(boot=False)
    cs.wait_call("BootNotification")
    cs.wait_connected()
    mark = cs.mark()
    assert cs.call(call.TriggerMessage(requested_message="BootNotification")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=10)
    for n in (0, 1, 2):
        cs.wait_status(n, "Available", since=mark)
    assert cs.call(call.TriggerMessage(requested_message="BootNotification")).status == "Rejected"
    cs.stop_server()
    cs.restart_server()
    cs.wait_connected(count=2)
    mark = cs.mark()
    assert cs.call(call.TriggerMessage(requested_message="BootNotification")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=10)


def test_TC_003_CS_regular_charging_session_plugin_first(cs, make_station):
    station = make_station()
    mark = cs.mark()
    plug(station)
    cs.wait_status(1, "Preparing", since=mark)
    rfid(station)
    auth = cs.wait_call("Authorize", since=mark)
    assert auth["idTag"] == CARD.lower()
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 1 and start["idTag"] == CARD.lower()
    cs.wait_status(1, "Charging", since=mark, timeout=30)


def test_TC_004_1_CS_regular_charging_session_identification_first(cs, make_station):
    station = make_station()
    mark = cs.mark()
    rfid(station)
    cs.wait_call("Authorize", since=mark)
    cs.wait_status(1, "Preparing", since=mark)
    plug(station)
    cs.wait_call("StartTransaction", since=mark)
    cs.wait_status(1, "Charging", since=mark, timeout=30)


def test_TC_004_2_CS_identification_first_connection_timeout(cs, make_station):
    station = make_station(config=[("VehicleConnectionTimeout", "5")])
    mark = cs.mark()
    rfid(station)
    cs.wait_status(1, "Preparing", since=mark)
    cs.wait_status(1, "Available", since=cs.mark(), timeout=15)
    assert not cs.calls("StartTransaction", since=mark)


def charging(cs, station, n=1):
    mark = cs.mark()
    plug(station, n)
    rfid(station)
    start = cs.wait_call("StartTransaction", since=mark)
    cs.wait_status(n, "Charging", since=mark, timeout=30)
    return start


def test_TC_068_CS_stop_transaction_same_idtag(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    rfid(station)
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["transactionId"] == cs.last_transaction_id
    assert "reason" not in stop or stop["reason"] == "Local"
    assert stop["idTag"] == CARD.lower()
    assert not cs.calls("Authorize", since=mark)
    cs.wait_status(1, "Finishing", since=mark)
    # The raw register values of StopTxnSampledData; the simulated meter's signed readings (SignedData, test_ocmf.py)
    # come in containers of their own.
    contexts = [sv["context"] for mv in stop["transactionData"] for sv in mv["sampledValue"] if sv.get("format", "Raw") == "Raw"]
    assert contexts == ["Transaction.Begin", "Transaction.End"]


def test_TC_005_1_CS_ev_side_disconnected(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    unplug(station, force=True)  # pulled at the vehicle side while the socket is locked
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "EVDisconnected"
    cs.wait_status(1, "Available", since=mark)


def test_TC_010_CS_remote_start_cable_plugged_in_first(cs, make_station):
    station = make_station()
    mark = cs.mark()
    plug(station)
    cs.wait_status(1, "Preparing", since=mark)
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1)).status == "Accepted"
    cs.wait_call("Authorize", lambda p: p["idTag"] == "REMOTE1", since=mark)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == "REMOTE1"
    cs.wait_status(1, "Charging", since=mark, timeout=30)


def test_TC_011_1_CS_remote_start_remote_start_first(cs, make_station):
    station = make_station(config=[("SendAuthorizeForRemoteStart", "Off")])
    mark = cs.mark()
    assert cs.call(call.RemoteStartTransaction(id_tag="REMOTE2", connector_id=2)).status == "Accepted"
    cs.wait_status(2, "Preparing", since=mark)
    plug(station, 2)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 2
    assert not cs.calls("Authorize", since=mark)
    cs.wait_status(2, "Charging", since=mark, timeout=30)


def test_TC_012_CS_remote_stop_charging_session(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.RemoteStopTransaction(transaction_id=cs.last_transaction_id)).status == "Accepted"
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "Remote"
    cs.wait_status(1, "Finishing", since=mark)


def test_TC_013_CS_hard_reset_without_transaction(cs, make_station):
    station = make_station()
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=1, type="Inoperative")).status == "Accepted"
    cs.wait_status(1, "Unavailable", since=mark)
    mark = cs.mark()
    assert cs.call(call.Reset(type="Hard")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=30)
    cs.wait_status(1, "Unavailable", since=mark)
    cs.wait_status(2, "Available", since=mark)
    station.refresh()
    mark = cs.mark()
    cs.wait_connected(count=2)
    assert cs.call(call.ChangeAvailability(connector_id=1, type="Operative")).status == "Accepted"
    cs.wait_status(1, "Available", since=mark)


def test_TC_016_CS_soft_reset_with_transaction(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.Reset(type="Soft")).status == "Accepted"
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "SoftReset"
    cs.wait_call("BootNotification", since=mark, timeout=30)
    cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] in ("Finishing", "Preparing"), since=mark)


def test_TC_017_1_CS_unlock_connector_no_charging_session(cs, make_station):
    make_station()
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "Unlocked"


def test_TC_018_1_CS_unlock_connector_with_charging_session(cs, make_station):
    station = make_station()
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.UnlockConnector(connector_id=1)).status == "Unlocked"
    stop = cs.wait_call("StopTransaction", since=mark)
    assert stop["reason"] == "UnlockCommand"
    cs.wait_status(1, "Finishing", since=mark)


# Required keys of the supported profiles and their accessibility (OCPP 1.6 §9 with errata 3.80/3.84/3.88, checklist §1.3).
REQUIRED_RW = ["ClockAlignedDataInterval", "ConnectionTimeOut", "HeartbeatInterval", "LocalAuthorizeOffline", "LocalPreAuthorize",
               "MeterValuesAlignedData", "MeterValuesSampledData", "MeterValueSampleInterval", "ResetRetries",
               "StopTransactionOnInvalidId", "StopTxnAlignedData", "StopTxnSampledData", "TransactionMessageAttempts",
               "TransactionMessageRetryInterval", "LocalAuthListEnabled"]
REQUIRED_R = ["GetConfigurationMaxKeys", "NumberOfConnectors", "SupportedFeatureProfiles", "LocalAuthListMaxLength",
              "SendLocalListMaxLength", "ChargeProfileMaxStackLevel", "ChargingScheduleAllowedChargingRateUnit",
              "ChargingScheduleMaxPeriods", "MaxChargingProfilesInstalled"]
# Either is allowed: the implementer's choice (AuthorizeRemoteTxRequests), errata 3.80 and 3.84.
REQUIRED_R_OR_RW = ["AuthorizeRemoteTxRequests", "StopTransactionOnEVSideDisconnect", "UnlockConnectorOnEVSideDisconnect"]


def test_TC_019_CS_retrieve_configuration(cs, make_station):
    make_station()
    conf = cs.call(call.GetConfiguration(key=["SupportedFeatureProfiles"]))
    assert conf.configuration_key[0]["value"].split(",") == ["Core", "FirmwareManagement", "LocalAuthListManagement", "Reservation", "SmartCharging", "RemoteTrigger"]
    assert conf.configuration_key[0]["readonly"] is True
    everything = {k["key"]: k for k in cs.call(call.GetConfiguration()).configuration_key}
    wrong = [(k, everything[k]["readonly"]) for k in REQUIRED_RW if k not in everything or everything[k]["readonly"] is not False]
    wrong += [(k, everything[k]["readonly"]) for k in REQUIRED_R if k not in everything or everything[k]["readonly"] is not True]
    assert not wrong, f"required keys missing or with the wrong accessibility: {wrong}"
    assert all(k in everything and isinstance(everything[k]["readonly"], bool) for k in REQUIRED_R_OR_RW)
    # Known deviation (docs/operator.md): ConnectorPhaseRotation is RW in OCPP 1.6 §9.1.7, but it follows PhaseRotation, an
    # installer parameter (seeds/004 §7.3), which the backend (operator role) may read only. OCTT TC_019 expects RW.
    assert everything["ConnectorPhaseRotation"]["readonly"] is True
    assert "AuthorizationKey" not in everything
    assert everything["NumberOfConnectors"]["value"] == "2"
    # GetConfigurationMaxKeys keys at once: all returned, no unknown key.
    max_keys = int(cs.call(call.GetConfiguration(key=["GetConfigurationMaxKeys"])).configuration_key[0]["value"])
    some = sorted(everything)[:max_keys]
    conf = cs.call(call.GetConfiguration(key=some))
    assert sorted(k["key"] for k in conf.configuration_key) == some and not conf.unknown_key
    conf = cs.call(call.GetConfiguration(key=["HeartbeatInterval", "NumberOfConnectors", "NoSuchKey"]))
    assert [k["key"] for k in conf.configuration_key] == ["HeartbeatInterval", "NumberOfConnectors"]
    assert conf.unknown_key == ["NoSuchKey"]


def test_TC_021_CS_change_configuration(cs, make_station):
    make_station()
    assert cs.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="17")).status == "Accepted"
    conf = cs.call(call.GetConfiguration(key=["MeterValueSampleInterval"]))
    assert conf.configuration_key[0]["value"] == "17"
    # TC_040: unknown key, bad value, read-only key, and a key that needs a restart.
    assert cs.call(call.ChangeConfiguration(key="Testing", value="1")).status == "NotSupported"
    assert cs.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="-1")).status == "Rejected"
    assert cs.call(call.ChangeConfiguration(key="LocalPreAuthorize", value="yes")).status == "Rejected"
    assert cs.call(call.ChangeConfiguration(key="NumberOfConnectors", value="1")).status == "Rejected"
    assert cs.call(call.ChangeConfiguration(key="WebSocketPingInterval", value="60")).status == "RebootRequired"
    # A new AuthorizationKey applies at once: the station reconnects with it (security whitepaper A01, TC_073).
    assert cs.call(call.ChangeConfiguration(key="AuthorizationKey", value="0123456789abcdef0123456789abcdef")).status == "Accepted"


def test_TC_026_CS_remote_start_rejected_connector_in_use(cs, make_station):
    station = make_station()
    charging(cs, station)
    assert cs.call(call.RemoteStartTransaction(id_tag="OTHER", connector_id=1)).status == "Rejected"


def test_TC_027_CS_remote_start_connector_zero(cs, make_station):
    make_station()
    # OCTT accepts Rejected or a CALLERROR; the schema check answers PropertyConstraintViolation.
    cs.send_raw(json.dumps([2, "rs-0", "RemoteStartTransaction", {"connectorId": 0, "idTag": "OTHER"}]))
    answer = cs.raw_answers("rs-0")
    assert answer[2] == "PropertyConstraintViolation" or answer[2] == {"status": "Rejected"}, answer


def test_TC_028_CS_remote_stop_rejected(cs, make_station):
    make_station()
    assert cs.call(call.RemoteStopTransaction(transaction_id=987654)).status == "Rejected"


def test_TC_031_CS_unlock_unknown_connector(cs, make_station):
    make_station()
    assert cs.call(call.UnlockConnector(connector_id=3)).status == "NotSupported"


def test_TC_034_CS_power_failure_with_unavailable_status(cs, make_station):
    station = make_station()
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=0, type="Inoperative")).status == "Accepted"
    for n in (0, 1, 2):
        cs.wait_status(n, "Unavailable", since=mark)
    station.kill9()
    mark = cs.mark()
    station.start()
    cs.wait_call("BootNotification", since=mark)
    for n in (1, 2):
        cs.wait_status(n, "Unavailable", since=mark)


def test_TC_062_CS_data_transfer_unknown_vendor(cs, make_station):
    make_station()
    assert cs.call(call.DataTransfer(vendor_id="com.example.unknown")).status == "UnknownVendorId"


def test_TC_061_CS_clear_authorization_cache(cs, make_station):
    station = make_station()
    charging(cs, station)
    rfid(station)
    cs.wait_call("StopTransaction")
    assert cs.call(call.ClearCache()).status == "Accepted"
    unplug(station)
    mark = cs.mark()
    plug(station)
    rfid(station)
    cs.wait_call("Authorize", since=mark)


def test_TC_070_CS_sampled_meter_values(cs, make_station):
    station = make_station(config=[("MeterValueSampleInterval", "2")])
    start = charging(cs, station)
    mark = cs.mark()
    mv = cs.wait_call("MeterValues", since=mark, timeout=15)
    assert mv["transactionId"] == cs.last_transaction_id
    measurands = {sv.get("measurand", "Energy.Active.Import.Register") for sv in mv["meterValue"][0]["sampledValue"]}
    assert {"Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage"} <= measurands
    assert all(sv["context"] == "Sample.Periodic" for sv in mv["meterValue"][0]["sampledValue"])
    energy = [float(sv["value"]) for sv in mv["meterValue"][0]["sampledValue"] if sv["measurand"] == "Energy.Active.Import.Register"]
    assert energy[0] >= start["meterStart"]


def test_TC_071_CS_clock_aligned_meter_values_and_stop_transaction_data(cs, make_station):
    """Clock-aligned MeterValues (Sample.Clock, MeterValuesAlignedData) on interval boundaries, and StopTransaction's
    transactionData: StopTxnSampledData at Transaction.Begin/End plus StopTxnAlignedData at each aligned interval."""
    station = make_station(config=[("ClockAlignedDataInterval", "2"), ("MeterValuesAlignedData", "Energy.Active.Import.Register"),
                                   ("StopTxnSampledData", "Energy.Active.Import.Register,Current.Import"),
                                   ("StopTxnAlignedData", "Energy.Active.Import.Register")])
    charging(cs, station)
    mark = cs.mark()
    aligned = cs.wait_call("MeterValues", lambda p: p.get("transactionId") == cs.last_transaction_id, since=mark, timeout=15)
    values = aligned["meterValue"][0]["sampledValue"]
    assert [sv["context"] for sv in values] == ["Sample.Clock"]
    seconds = int(aligned["meterValue"][0]["timestamp"][17:19])
    assert seconds % 2 == 0 and aligned["meterValue"][0]["timestamp"][19:] in (".000Z", "Z")
    cs.wait_call("MeterValues", since=cs.mark(), timeout=15)
    mark = cs.mark()
    rfid(station)
    stop = cs.wait_call("StopTransaction", since=mark)
    data = stop["transactionData"]
    contexts = [sv["context"] for mv in data for sv in mv["sampledValue"]]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert contexts.count("Sample.Clock") >= 2
    begin = [sv for sv in data[0]["sampledValue"]]
    assert {sv["measurand"] for sv in begin} == {"Energy.Active.Import.Register", "Current.Import"}
    stamps = [mv["timestamp"] for mv in data]
    assert stamps == sorted(stamps)
