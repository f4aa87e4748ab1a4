"""The session's solar share in the charging history (issue 25 item 4, the durable part) against the pymodbus grid
meter of test_pv_surplus.py in a closed loop (house − PV + what the station draws): a session in PV mode, a `kill -9`
in the middle and a restart, the session stopped — the history API and its CSV export show how much of the energy came
from PV, and the restart neither lost nor counted twice what was persisted. A station without a grid meter has no
solar share (absent in the API, empty CSV cells), not 0 %."""
import csv
import io
import urllib.request

from station import Station, cli, wait_for
from test_pv_surplus import ClosedLoopMeter, configure
from web_browser import Web, initial_passwords  # noqa: F401  (the browser fixture is in conftest.py)


def history(station):
    code, rows = station.get("/api/history")
    assert code == 200
    return rows


def history_csv(station):
    req = urllib.request.Request(station.base + "/api/history?format=csv", headers={"Authorization": f"Bearer {station.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return list(csv.DictReader(io.StringIO(r.read().decode())))


def test_issue25_4_pv_session_share_in_history_and_csv_survives_kill9(browser, data_dir):
    loop = ClosedLoopMeter()
    configure(data_dir, loop.meter.port)
    # A cloud must charge at the minimum current from the grid for a while (10 simulated minutes) before it pauses.
    assert cli("config", "set", "PVStopDelay", "600", "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, connectors=1, time_scale=10.0).start()
    loop.station = station
    loop.thread.start()
    try:
        loop.pv_w = 7000  # 6.5 kW surplus: the vehicle charges from PV alone
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        station.wait_status(1, "Charging")
        # The running session's split is persisted with its meter samples (every 5 simulated seconds).
        before = wait_for(lambda: (r := history(station)) and r[-1].get("fromPVWh", 0) > 150 and r[-1], timeout=60,
                          what="a persisted PV share of the running session")
        assert before["solarSharePercent"] > 80, before
        station.kill9()
        station.start()
        c = station.wait_status(1, "Charging", timeout=60)
        assert c["session"]["id"] == before["sessionId"], "the session resumed"
        resumed = history(station)[-1]
        assert resumed["fromPVWh"] >= before["fromPVWh"], "the PV energy before the kill is kept"
        # Some energy after the restart, part of it under a cloud (the minimum current from the grid), then stop.
        wait_for(lambda: station.connector(1)["session"]["energyWh"] > before["fromPVWh"] + before["fromGridWh"] + 100, timeout=60,
                 what="energy after the restart")
        loop.pv_w = 2500
        wait_for(lambda: station.connector(1)["pvSurplus"]["reason"].startswith("surplus 2.0 kW"), what="the cloud")
        wait_for(lambda: history(station)[-1].get("fromGridWh", 0) > before["fromGridWh"] + 5, timeout=60, what="energy from the grid")
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        row = wait_for(lambda: (r := history(station)[-1]).get("stoppedAt") and r, what="the stopped session")
        assert row["fromPVWh"] >= resumed["fromPVWh"]
        assert abs(row["fromPVWh"] + row["fromGridWh"] - row["energyWh"]) <= 1, f"PV + grid is the session's energy: {row}"
        assert row["fromGridWh"] > before["fromGridWh"], row
        assert 50 < row["solarSharePercent"] < 100, row
        exported = history_csv(station)[-1]
        assert exported["sessionId"].lower() == row["sessionId"].lower()
        columns = list(exported)
        # New columns only at the end: the solar share's, then the signed meter values' (issue 28 item 6).
        assert columns[columns.index("transactionId") + 1:][:3] == ["fromPVWh", "fromGridWh", "solarSharePercent"], "new columns at the end"
        assert abs(float(exported["fromPVWh"]) - row["fromPVWh"]) < 0.01
        assert float(exported["solarSharePercent"]) == row["solarSharePercent"]
        # The history page's column "From PV".
        web = Web(browser, station)
        web.first_login("operator", initial_passwords(station)["operator"])
        web.open("/history")
        assert "From PV" in web.el("#h-table thead").text
        cell = web.el("#h-table tbody td.solar")
        assert cell.text == f"{row['fromPVWh'] / 1000:.2f} kWh · {row['solarSharePercent']:.0f} %", cell.text
        web.shot("history-solar-share")
    finally:
        loop.station = None
        station.terminate()
        loop.close()


def test_issue25_4_no_grid_meter_no_solar_share(data_dir):
    station = Station(data_dir, connectors=1, time_scale=10.0).start()
    try:
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        wait_for(lambda: station.connector(1)["status"] == "Charging" and station.connector(1)["session"]["energyWh"] > 50,
                 what="energy")
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        row = wait_for(lambda: (r := history(station)[-1]).get("stoppedAt") and r, what="the stopped session")
        assert row["energyWh"] > 50
        assert "fromPVWh" not in row and "fromGridWh" not in row and "solarSharePercent" not in row, row
        exported = history_csv(station)[-1]
        assert (exported["fromPVWh"], exported["fromGridWh"], exported["solarSharePercent"]) == ("", "", ""), exported
    finally:
        station.terminate()
