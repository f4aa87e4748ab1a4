"""OCTT charge-point test cases of the Reservation profile (the OCA OCTT test case list §2.20, OCPP 1.6
§5.13 and §5.2), against the independent central system of central_system.py."""
from datetime import datetime, timedelta, timezone

from ocpp.v16 import call

from harness import CARD, plug, rfid

TAG = CARD.lower()  # the station reports card UIDs in lower case (RFID Tag Letter Case, default)
OTHER_CARD = "0A0E9B83"


def expiry(seconds=600):
    t = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def reserve(cs, connector, reservation_id=1, id_tag=TAG, seconds=600, parent=None):
    return cs.call(call.ReserveNow(connector_id=connector, expiry_date=expiry(seconds), id_tag=id_tag,
                                   reservation_id=reservation_id, parent_id_tag=parent)).status


def fault(station, n):
    r = station.sim("fault", str(n), "meter")
    assert r.returncode == 0, r.stderr


def test_TC_046_1_CS_reservation_of_a_connector_local_start_transaction(cs, make_station):
    station = make_station()
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=11) == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    rfid(station)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == TAG
    cs.wait_status(1, "Preparing", since=mark)
    plug(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 1 and start["idTag"] == TAG and start["reservationId"] == 11
    cs.wait_status(1, "Charging", since=mark, timeout=30)


def test_TC_046_2_CS_reservation_of_a_connector_remote_start_transaction(cs, make_station):
    station = make_station()
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=12) == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    # Another identifier may not start on the reserved connector.
    assert cs.call(call.RemoteStartTransaction(id_tag="SOMEONE", connector_id=1)).status == "Rejected"
    assert cs.call(call.RemoteStartTransaction(id_tag=TAG, connector_id=1)).status == "Accepted"
    cs.wait_status(1, "Preparing", since=mark)
    plug(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == TAG and start["reservationId"] == 12


def test_TC_047_CS_reservation_of_a_connector_expire(cs, make_station):
    make_station()
    mark = cs.mark()
    assert reserve(cs, 1, seconds=4) == "Accepted"
    reserved = cs.wait_status(1, "Reserved", since=mark)
    available = cs.wait_status(1, "Available", since=cs.mark(), timeout=15)
    gap = (datetime.fromisoformat(available["timestamp"].replace("Z", "+00:00"))
           - datetime.fromisoformat(reserved["timestamp"].replace("Z", "+00:00"))).total_seconds()
    assert 2 <= gap <= 6, gap
    # The expired reservation no longer exists.
    assert cs.call(call.CancelReservation(reservation_id=1)).status == "Rejected"


def test_TC_048_1_CS_reservation_of_a_connector_faulted(cs, make_station):
    station = make_station()
    mark = cs.mark()
    fault(station, 1)
    cs.wait_status(1, "Faulted", since=mark)
    assert reserve(cs, 1) == "Faulted"


def test_TC_048_2_CS_reservation_of_a_connector_occupied(cs, make_station):
    station = make_station()
    mark = cs.mark()
    plug(station)
    cs.wait_status(1, "Preparing", since=mark)
    assert reserve(cs, 1) == "Occupied"
    # A connector already reserved under another id is occupied too.
    assert reserve(cs, 2, reservation_id=5) == "Accepted"
    assert reserve(cs, 2, reservation_id=6, id_tag="SOMEONE") == "Occupied"


def test_TC_048_3_CS_reservation_of_a_connector_unavailable(cs, make_station):
    make_station()
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=1, type="Inoperative")).status == "Accepted"
    cs.wait_status(1, "Unavailable", since=mark)
    assert reserve(cs, 1) == "Unavailable"


def test_TC_048_4_CS_reservation_of_a_connector_rejected(cs, make_station):
    make_station(config=[("ReservationsEnabled", "Off")])
    assert reserve(cs, 1) == "Rejected"
    # An unknown connector is rejected as well.
    assert reserve(cs, 3) == "Rejected"


def test_TC_049_CS_reservation_of_a_charge_point_transaction(cs, make_station):
    station = make_station()
    keys = {k["key"]: k for k in cs.call(call.GetConfiguration(key=["ReserveConnectorZeroSupported"])).configuration_key}
    assert keys["ReserveConnectorZeroSupported"]["value"] == "true"
    assert keys["ReserveConnectorZeroSupported"]["readonly"] is True
    mark = cs.mark()
    assert reserve(cs, 0, reservation_id=21) == "Accepted"
    rfid(station)
    cs.wait_call("Authorize", since=mark)
    plug(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["reservationId"] == 21


def test_TC_050_1_CS_reservation_of_a_charge_point_faulted(cs, make_station):
    station = make_station()
    mark = cs.mark()
    fault(station, 1)
    fault(station, 2)
    cs.wait_status(1, "Faulted", since=mark)
    cs.wait_status(2, "Faulted", since=mark)
    assert reserve(cs, 0) == "Faulted"


def test_TC_050_2_CS_reservation_of_a_charge_point_occupied(cs, make_station):
    station = make_station()
    mark = cs.mark()
    plug(station, 1)
    plug(station, 2)
    cs.wait_status(1, "Preparing", since=mark)
    cs.wait_status(2, "Preparing", since=mark)
    assert reserve(cs, 0) == "Occupied"


def test_TC_050_3_CS_reservation_of_a_charge_point_unavailable(cs, make_station):
    make_station()
    mark = cs.mark()
    assert cs.call(call.ChangeAvailability(connector_id=0, type="Inoperative")).status == "Accepted"
    cs.wait_status(0, "Unavailable", since=mark)
    assert reserve(cs, 0) == "Unavailable"


def test_TC_050_4_CS_reservation_of_a_charge_point_rejected(cs, make_station):
    make_station(config=[("ReserveConnectorZeroSupported", "Off")])
    assert reserve(cs, 0) == "Rejected"
    # The backend cannot switch it on (read-only, seeds/002 §2.3).
    assert cs.call(call.ChangeConfiguration(key="ReserveConnectorZeroSupported", value="true")).status == "Rejected"


def test_TC_051_CS_cancel_reservation(cs, make_station):
    station = make_station()
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=31) == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    after = cs.mark()
    assert cs.call(call.CancelReservation(reservation_id=31)).status == "Accepted"
    cs.wait_status(1, "Available", since=after)
    rfid(station)
    plug(station)
    start = cs.wait_call("StartTransaction", since=after)
    assert "reservationId" not in start


def test_TC_052_CS_cancel_reservation_rejected(cs, make_station):
    make_station()
    assert cs.call(call.CancelReservation(reservation_id=999)).status == "Rejected"


def test_TC_053_1_CS_use_a_reserved_connector_with_parent_id_tag_local(cs, make_station):
    station = make_station(connectors=1)
    cs.parents = {TAG: "FLEET", OTHER_CARD.lower(): "FLEET"}
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=41, parent="FLEET") == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    rfid(station, OTHER_CARD)
    assert cs.wait_call("Authorize", since=mark)["idTag"] == OTHER_CARD.lower()
    cs.wait_status(1, "Preparing", since=mark)
    plug(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == OTHER_CARD.lower() and start["reservationId"] == 41 and start["connectorId"] == 1


def test_TC_053_2_CS_use_a_reserved_connector_with_parent_id_tag_remote(cs, make_station):
    station = make_station(config=[("SendAuthorizeForRemoteStart", "Off")])
    cs.parents = {"MEMBER2": "FLEET"}
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=42, parent="FLEET") == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    # The group of MEMBER2 is not known locally: the station asks (Authorize) before it uses the reservation.
    assert cs.call(call.RemoteStartTransaction(id_tag="MEMBER2", connector_id=1)).status == "Accepted"
    assert cs.wait_call("Authorize", since=mark)["idTag"] == "MEMBER2"
    plug(station)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["idTag"] == "MEMBER2" and start["reservationId"] == 42


def test_reserved_connector_refuses_another_group_and_card_follows_the_vehicle(cs, make_station):
    station = make_station()
    cs.parents = {OTHER_CARD.lower(): "OTHER"}
    mark = cs.mark()
    assert reserve(cs, 1, reservation_id=43, parent="FLEET") == "Accepted"
    cs.wait_status(1, "Reserved", since=mark)
    # The card of another group is authorized for the free connector 2, not for the reserved connector 1 ...
    rfid(station, OTHER_CARD)
    cs.wait_call("Authorize", since=mark)
    cs.wait_status(2, "Preparing", since=mark)
    # ... and plugging into connector 1 does not start a transaction there.
    plug(station, 1)
    station.wait_status(1, "Preparing")
    assert not cs.calls("StartTransaction", since=mark)
    plug(station, 2)
    start = cs.wait_call("StartTransaction", since=mark)
    assert start["connectorId"] == 2 and "reservationId" not in start
    assert len(cs.calls("StartTransaction", since=mark)) == 1, "none on the reserved connector before it"
