"""End to end: a simulated ChargeKit station charges through the gateway, with a pymodbus BMS as its central
system (authorization, start, remote stop, stop), while the BMS reads the station's measurements."""
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
from harness import CARD, OCPPStation, plug, rfid  # noqa: E402
from peers import BMS, Gateway, charger_base, connector_base, decode_float, decode_string, encode_epoch, wait_for  # noqa: E402

B = charger_base(0)
C1 = connector_base(0, 1)


@pytest.fixture
def gateway(tmp_path):
    d = tmp_path / "gateway"
    d.mkdir()
    g = Gateway(d, chargers=("CK-TEST-01:2",), extra=["--bms-timeout", "20"]).start()
    yield g
    assert g.terminate() == 0


def test_station_charges_through_the_gateway_with_the_bms_as_central_system(gateway, tmp_path):
    bms = BMS(gateway)
    data = tmp_path / "station"
    data.mkdir()
    station = OCPPStation(data, types.SimpleNamespace(url=f"ws://127.0.0.1:{gateway.ocpp_port}"),
                          config=[("MeterValueSampleInterval", "5"), ("MeterValuesSampledData",
                                                                      "Energy.Active.Import.Register,Current.Import,Voltage,Power.Active.Import")])
    station.start()
    try:
        wait_for(lambda: bms.read(B) == [0], what="station connected")
        wait_for(lambda: decode_string(bms.read(B + 27, 10)) != "", what="BootNotification information")
        vendor, model = decode_string(bms.read(B + 27, 10)), decode_string(bms.read(B + 37, 10))
        assert vendor and model
        wait_for(lambda: bms.read(C1 + 2) == [0], what="connector 1 Available")

        plug(station, 1)
        rfid(station)
        # SEQ_Authorize: the BMS accepts the card.
        bms.wait_register(B + 64, 1, timeout=30)
        assert decode_string(bms.read(B + 65, 10)).lower() == CARD.lower()
        bms.write(B + 88, encode_epoch(0))
        bms.write(B + 90, 0)
        bms.write(B + 77, 1)
        # SEQ_StartTransaction: the BMS gives transaction id 901.
        bms.wait_register(B + 94, 1, timeout=30)
        assert bms.read(B + 95) == [1]
        bms.write(B + 127, [0, 901])
        bms.write(B + 114, 1)
        station.wait_status(1, "Charging", timeout=30)
        wait_for(lambda: bms.read(C1 + 2) == [2], what="connector 1 Charging in the registers")
        assert decode_string(bms.read(C1 + 86, 10)).lower() == CARD.lower()
        # The station's MeterValues reach the measurand registers.
        wait_for(lambda: decode_float(bms.read(C1 + 11, 2)) > 5, timeout=30, what="Current.Import L1")
        assert bms.read(C1 + 17) == [10], "A"
        assert 200 < decode_float(bms.read(C1 + 79, 2)) < 260, "L1-N voltage"
        # SEQ_RemoteStopTransaction, then SEQ_StopTransaction.
        bms.write(B + 397, 901)
        bms.write(B + 396, 1)
        bms.wait_register(B + 396, 0, timeout=30)
        assert bms.read(B + 401) == [0], "RemoteStop Accepted"
        bms.wait_register(B + 134, 1, timeout=30)
        assert bms.read(B + 149, 2) == [901, 8], "transaction 901, reason Remote"
        stop_meter = decode_float(bms.read(B + 145, 2))
        bms.write(B + 168, 0)
        bms.write(B + 155, 1)
        wait_for(lambda: bms.read(B + 134) == [0], what="stop processed")
        rows = gateway.db("SELECT transactionId, meterStartWh, meterStopWh, stopReason, decidedBy FROM gatewayTransaction")
        assert len(rows) == 1 and rows[0][0] == 901 and rows[0][3] == "Remote" and rows[0][4] == "BMS"
        assert rows[0][2] == stop_meter and rows[0][2] > rows[0][1], "energy was charged"
    finally:
        station.terminate()
        bms.close()
