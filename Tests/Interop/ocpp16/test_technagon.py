"""The Technagon controller's authentication modes and configuration keys (seeds/002 §1.7, §2.3; issue 29 item 7)
against the independent central system."""
from ocpp.v16 import call

from harness import plug
from test_core_more import charging


def test_seeds002_1_7_no_rfid_sends_the_dummy_rfid_in_authorize_at_every_charge(cs, make_station):
    station = make_station(config=[("AuthenticationMode", "NoRFID"), ("DummyRfidTag", "PNC-DUMMY")])
    mark = cs.mark()
    plug(station, 1)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == "PNC-DUMMY"
    assert cs.wait_call("StartTransaction", since=mark)["idTag"] == "PNC-DUMMY"
    cs.wait_status(1, "Charging", since=mark)
    mark = cs.mark()
    plug(station, 2)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == "PNC-DUMMY", "the backend authorizes it at every charge"
    cs.wait_status(2, "Charging", since=mark)


def test_seeds002_2_3_keys_and_stop_tx_on_reset_false(cs, make_station):
    station = make_station()
    keys = ["StopTxOnReset", "/ocpp/stopTransactionsOnReset", "CurrentDateTime", "ChargingProfileStackPerConnector",
            "/hw/auth/device/Dummy/enabled", "/hw/auth/device/Dummy/id/value", "/hw/auth/device/Dummy/allowStop"]
    conf = cs.call(call.GetConfiguration(key=keys))
    got = {k["key"]: k for k in conf.configuration_key}
    assert sorted(got) == sorted(keys) and not conf.unknown_key
    assert got["StopTxOnReset"]["value"] == "true" and not got["StopTxOnReset"]["readonly"]
    assert got["CurrentDateTime"]["readonly"] and got["CurrentDateTime"]["value"].endswith("Z")
    assert got["ChargingProfileStackPerConnector"] == {"key": "ChargingProfileStackPerConnector", "readonly": True, "value": "true"}
    assert cs.call(call.ChangeConfiguration(key="/ocpp/stopTransactionsOnReset", value="false")).status == "Accepted"
    assert cs.call(call.ChangeConfiguration(key="CurrentDateTime", value="2030-01-01T00:00:00Z")).status == "Rejected"
    charging(cs, station)
    mark = cs.mark()
    assert cs.call(call.Reset(type="Soft")).status == "Accepted"
    cs.wait_call("BootNotification", since=mark, timeout=30)
    cs.wait_status(1, "Charging", since=mark)
    assert "StopTransaction" not in cs.actions(mark), "StopTxOnReset false: the transaction goes on"
    station.refresh()
