"""Signed meter values (issue 28 item 6): a whole simulated session signed in the Open Charge Metering Format (OCMF
1.2 of S.A.F.E. e.V.), carried in StopTransaction.transactionData as SignedData (the OCA's signed meter values
whitepaper, OCPP 1.6 part), against the Python `ocpp` library as central system. Every signed reading is verified by
`pyocmf`, an implementation independent of ChargeKit's; "Require signed meter values" with a meter that cannot sign
stops charging with RegulatoryComplianceFailure (seeds/002 §3)."""
import base64
import csv
import io
import json
import os
import stat
import time
import urllib.request

import pytest
from ocpp.v16 import call
from pyocmf import OCMF

from harness import plug, rfid  # noqa: E402


def signed_values(stop):
    """The SignedData sampled values of a StopTransaction, by context."""
    return {sv["context"]: sv for mv in stop.get("transactionData", []) for sv in mv["sampledValue"] if sv.get("format") == "SignedData"}


def unwrap(sv):
    """The OCMF document and the public key text of a SignedData value in the OCA "Signed Meter Values in OCPP"
    whitepaper's SignedMeterValueType JSON (the factory setting): signedMeterData and publicKey are base64."""
    value = json.loads(sv["value"])
    assert value["encodingMethod"] == "OCMF" and value["signingMethod"] == "ECDSA-secp256r1-SHA256"
    return base64.b64decode(value["signedMeterData"]).decode(), base64.b64decode(value["publicKey"]).decode()


def meter_public_key(cs, n=1):
    conf = cs.call(call.GetConfiguration(key=[f"MeterPublicKey{n}"]))
    (kv,) = conf.configuration_key
    assert kv["key"] == f"MeterPublicKey{n}" and kv["readonly"] is True
    return kv["value"]


def test_ocmf_signed_session_verified_by_pyocmf(cs, make_station, data_dir):
    station = make_station(connectors=1)
    key = meter_public_key(cs)
    # The simulated meter's key is its own, kept in the data directory for the owner only.
    key_file = data_dir / "simulated-meter-1-key.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert station.connector(1)["meterPublicKey"] == key
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction")
    cs.wait_status(1, "Charging")
    time.sleep(3)
    mark = cs.mark()
    rfid(station)
    stop = cs.wait_call("StopTransaction", since=mark)
    signed = signed_values(stop)
    assert set(signed) == {"Transaction.Begin", "Transaction.End"}
    readings, documents = {}, {}
    for context, sv in signed.items():
        assert sv["measurand"] == "Energy.Active.Import.Register"
        documents[context], public_key = unwrap(sv)
        # PublicKeyWithSignedMeterValue OncePerTransaction (the factory setting): the key goes with the begin reading.
        assert public_key == (f"oca:base16:asn1:{key}" if context == "Transaction.Begin" else "")
        doc = OCMF.from_string(documents[context])
        # pyocmf verifies with the key the central system read as MeterPublicKey1.
        assert doc.verify_signature(key) is True, context
        assert doc.signature.SA == "ECDSA-secp256r1-SHA256"
        readings[context] = doc.payload.RD[0]
        assert doc.payload.ID == "04567DAA5F3580"
    assert readings["Transaction.Begin"].TX == "B" and readings["Transaction.End"].TX == "E"
    assert float(readings["Transaction.End"].RV) >= float(readings["Transaction.Begin"].RV)
    assert round(float(readings["Transaction.End"].RV) * 1000) == pytest.approx(stop["meterStop"], abs=10)
    # A tampered reading (one digit of the value changed) is rejected.
    end = documents["Transaction.End"]
    rv = str(readings["Transaction.End"].RV)
    tampered = end.replace(f'"RV":{rv}', f'"RV":{float(rv) + 1:.2f}')
    assert tampered != end
    assert OCMF.from_string(tampered).verify_signature(key) is False
    # Another key does not verify it.
    assert OCMF.from_string(end).verify_signature(
        "3059301306072A8648CE3D020106082A8648CE3D03010703420004BD7C73B88B2E9B4CEDA62022B2DA8BE13193A5B56EDC26E7DF7842E24CD0B5EB"
        "0605ADA7BDA83AC6A2B80D7E314040FA47FF16B83BAC85CEDB014451BB7CE71A") is False
    # The charging history keeps and exports them (JSON and CSV) for the transparency software.
    code, rows = station.get("/api/history")
    assert code == 200
    row = rows[-1]
    assert row["signedMeterBegin"] == documents["Transaction.Begin"]
    assert row["signedMeterEnd"] == end
    assert row["meterPublicKey"] == key
    req = urllib.request.Request(station.base + "/api/history?format=csv", headers={"Authorization": f"Bearer {station.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        table = list(csv.DictReader(io.StringIO(r.read().decode())))
    assert table[-1]["signedMeterEnd"] == end and table[-1]["meterPublicKey"] == key
    assert OCMF.from_string(table[-1]["signedMeterBegin"]).verify_signature(key) is True


def test_ocmf_sampled_data_sign_readings_meter_values_verified_by_pyocmf(cs, make_station):
    """SampledDataSignReadings (the OCA whitepaper's key, set over OCPP): each sampled MeterValues of the transaction is
    followed by one with the meter's signed reading (TX C), which pyocmf verifies."""
    station = make_station(connectors=1, config=[("MeterValueSampleInterval", "2")])
    assert cs.call(call.ChangeConfiguration(key="SampledDataSignReadings", value="true")).status == "Accepted"
    key = meter_public_key(cs)
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction")
    signed = cs.wait_call("MeterValues", lambda p: any(sv.get("format") == "SignedData" for mv in p["meterValue"] for sv in mv["sampledValue"]),
                          timeout=20)
    assert signed["transactionId"] == cs.last_transaction_id
    (sv,) = [sv for mv in signed["meterValue"] for sv in mv["sampledValue"]]
    assert sv["context"] == "Sample.Periodic" and sv["measurand"] == "Energy.Active.Import.Register"
    document, public_key = unwrap(sv)
    assert public_key == ""  # OncePerTransaction: only the transaction's begin reading carries it
    doc = OCMF.from_string(document)
    assert doc.verify_signature(key) is True
    assert doc.payload.RD[0].TX == "C"


def test_ocmf_meter_public_key_on_the_dashboard(browser, cs, make_station):
    """The key is visible on the station (the OCA whitepaper: shown on the station for the driver): the dashboard's
    meter key row equals MeterPublicKey1, and says so when the meter cannot sign."""
    from web_browser import Web, initial_passwords
    from selenium.webdriver.support.ui import WebDriverWait
    station = make_station(connectors=1)
    key = meter_public_key(cs)
    web = Web(browser, station)
    web.first_login("operator", initial_passwords(station)["operator"])
    web.open("/")
    field = web.el('[data-connector="1"] [data-field="meterKey"]')
    assert field.text == key
    assert station.sim("fault", "1", "meter-signature").returncode == 0
    WebDriverWait(browser, 15).until(lambda d: "does not sign" in field.text)


def test_ocmf_meter_key_is_stable_across_restarts(cs, make_station):
    station = make_station(connectors=1)
    key = meter_public_key(cs)
    station.terminate()
    mark = cs.mark()
    station = make_station(connectors=1)
    cs.wait_call("BootNotification", since=mark)
    assert meter_public_key(cs) == key


def test_seeds002_3_required_signatures_meter_that_cannot_sign_stops_charging(cs, make_station):
    """'Require signed meter values' On: a meter that can no longer sign raises RegulatoryComplianceFailure, charging
    stops, and the StopTransaction does not go without the signed end reading; once the meter signs again it goes with
    it. Time runs 5 times faster so that the 30 s bound passes in 6 s."""
    station = make_station(connectors=1, config=[("RequireSignedMeterValues", "On")], time_scale=5.0)
    plug(station)
    rfid(station)
    cs.wait_call("StartTransaction")
    cs.wait_status(1, "Charging")
    mark = cs.mark()
    assert station.sim("fault", "1", "meter-signature").returncode == 0
    faulted = cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Faulted", since=mark)
    assert faulted["vendorErrorCode"] == "RegulatoryComplianceFailure"
    assert station.connector(1)["relays"] == "open"
    assert "signedMeterValuesUnavailable" in {e["id"] for e in station.status()["activeErrors"]}
    # Beyond the bound (30 s station time) the StopTransaction still waits.
    time.sleep(9)
    assert not cs.calls("StopTransaction", since=mark)
    assert station.sim("fault", "1", "meter-signature", "--clear").returncode == 0
    stop = cs.wait_call("StopTransaction", since=mark, timeout=30)
    assert set(signed_values(stop)) == {"Transaction.Begin", "Transaction.End"}


def test_seeds002_3_required_signatures_unsigned_meter_never_starts(cs, make_station):
    station = make_station(connectors=1, config=[("RequireSignedMeterValues", "On")])
    mark = cs.mark()
    assert station.sim("fault", "1", "meter-signature").returncode == 0
    faulted = cs.wait_call("StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Faulted", since=mark)
    assert faulted["vendorErrorCode"] == "RegulatoryComplianceFailure"
    assert meter_public_key(cs) == ""
    plug(station)
    rfid(station)
    time.sleep(3)
    assert not cs.calls("StartTransaction", since=mark)
    assert station.connector(1)["relays"] == "open"
