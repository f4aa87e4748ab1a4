"""The RFID reader through PC/SC with the real binary: pcscd with the virtual reader of vsmartcard-vpcd and a card that
answers GET DATA (pcsc_peer.py); the station runs the simulated board (vehicles) with that reader for its cards
(`"driver": "simulated", "rfid": {"pcsc": …}`), so a card starts and stops a real session."""
import json
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pcsc_peer import ContactlessCard  # noqa: E402  (the pcsc fixture is in conftest.py)
from station import Station, cli, wait_for  # noqa: E402

CARD = "04A1B2C3"


def board_file(tmp_path, reader="PCD 00 00"):
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"driver": "simulated", "connectors": [{}], "rfid": {"pcsc": {"reader": reader}}}))
    return path


def start_station(tmp_path, data_dir, pcsc, cards=(CARD,)):
    station = Station(data_dir, connectors=1, cards=cards)
    station.board = board_file(tmp_path)
    station.namespace = pcsc
    return station.start()


def errors(station):
    return {e["id"] for e in station.status()["activeErrors"]}


def rejected(station, uid=None):
    """The rejections of unknown cards (of `uid`, when given)."""
    return [e for e in station.get("/api/events")[1] if e["kind"] == "authorizationRejected" and (uid is None or uid in e["message"])]


def test_a_card_starts_the_session_once_and_presented_again_stops_it(tmp_path, data_dir, pcsc):
    station = start_station(tmp_path, data_dir, pcsc)
    card = ContactlessCard(pcsc.port, CARD)
    try:
        assert "rfidReaderNotCommunicating" not in errors(station)
        assert station.sim("plug", "1").returncode == 0
        station.wait_status(1, "Preparing")
        card.present()
        c = station.wait_status(1, "Charging")
        # The station's authorization applies "RFID Tag letter case" (Lower Case by default) as with `sim rfid`.
        assert c["session"]["idTag"] == CARD.lower()
        assert card.get_data == 1
        # Left on the reader, the card is not read again: the reader checks it is still there several times meanwhile.
        checks = card.atr_requests
        wait_for(lambda: card.atr_requests >= checks + 3, what="the reader checking the card three more times")
        assert card.get_data == 1
        assert station.connector(1)["status"] == "Charging"
        # The built-in reader of the simulator is not the station's reader now.
        r = station.sim("rfid", CARD)
        assert r.returncode == 1 and "PC/SC reader" in r.stderr, r.stderr
        # Taken away and presented again: the same card stops the session.
        card.remove()
        card.present()
        station.wait_status(1, "Finishing")
        assert card.get_data == 2
        code, sessions = station.get("/api/sessions")
        assert code == 200 and len(sessions) == 1 and sessions[0]["stopReason"] == "Local"
    finally:
        card.remove()
        station.terminate()


def test_uids_of_7_and_10_bytes_are_read_and_other_lengths_refused(tmp_path, data_dir, pcsc):
    station = start_station(tmp_path, data_dir, pcsc, cards=())
    try:
        assert station.sim("plug", "1").returncode == 0
        station.wait_status(1, "Preparing")
        for uid in ("04567DAA5F3580", "04010203040506070809"):
            card = ContactlessCard(pcsc.port, uid).present()
            try:
                wait_for(lambda: rejected(station, uid.lower()), what=f"the unknown card {uid} read and rejected")
            finally:
                card.remove()
        # 8 bytes is no ISO/IEC 14443 UID: refused with a log line, after three attempts, and never reaches authorization.
        card = ContactlessCard(pcsc.port, "0102030405060708").present()
        try:
            wait_for(lambda: "card refused after 3 attempts" in station.log_path.read_text(), what="the refusal in the log")
            assert "UID has 8 byte(s)" in station.log_path.read_text()
            assert card.get_data == 3
            assert len(rejected(station)) == 2
        finally:
            card.remove()
    finally:
        station.terminate()


def test_the_reader_going_away_is_an_error_until_it_is_back(tmp_path, data_dir, pcsc):
    station = start_station(tmp_path, data_dir, pcsc)
    try:
        pcsc.stop()  # pcscd and with it the reader gone
        wait_for(lambda: "rfidReaderNotCommunicating" in errors(station), what="the reader error")
        assert "not communicating" in station.log_path.read_text()
        pcsc.start()
        wait_for(lambda: "rfidReaderNotCommunicating" not in errors(station), what="the reader back")
        code, events = station.get("/api/events")
        assert any(e["kind"] == "errorResolved" and e["message"] == "RFID reader recovered" for e in events)
        # And it reads again.
        assert station.sim("plug", "1").returncode == 0
        card = ContactlessCard(pcsc.port, CARD).present()
        try:
            c = station.wait_status(1, "Charging")
            assert c["session"]["idTag"] == CARD.lower()
        finally:
            card.remove()
        assert station.proc.poll() is None
    finally:
        station.terminate()


def test_start_without_the_service_or_the_reader_names_what_to_check(tmp_path, data_dir, pcsc):
    r = cli("station", "--board", str(board_file(tmp_path, reader="Omnikey 5022")), "--http-port", "0", "--https-port", "0",
            data_dir=data_dir, namespace=pcsc)
    assert r.returncode == 1
    assert '"Omnikey 5022"' in r.stderr and '"Virtual PCD 00 00"' in r.stderr and "pcsc_scan" in r.stderr, r.stderr
    pcsc.stop()
    r = cli("station", "--board", str(board_file(tmp_path)), "--http-port", "0", "--https-port", "0", data_dir=data_dir, namespace=pcsc)
    assert r.returncode == 1
    assert "PC/SC service" in r.stderr and "pcscd" in r.stderr and '"PCD 00 00"' in r.stderr, r.stderr
