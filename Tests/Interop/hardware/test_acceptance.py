"""Issue 22's acceptance: one charging session, the same scenario on the simulator and on each board's emulator
(OpenEVSE over RAPI, EVSE-DIN over Modbus RTU, Phoenix Contact EV Charge Control over Modbus TCP), each board with an
Eastron SDM630 on RS-485 as its charge meter and the card read by a real PC/SC stack (pcscd with the virtual reader
of vsmartcard-vpcd). The OCPP messages the central system receives, the charging history and the final status must be
the same on every board as on the simulator: the station behaves alike whatever hardware is behind its port.

The scenario: plug in; present the card (Authorize, StartTransaction); the vehicle charges; the central system limits
it to 10 A, pauses it (0 A) and resumes it (16 A); the card again ends the session (Local); unplug."""
import sys
from datetime import datetime, timezone
from pathlib import Path

from ocpp.v16 import call

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "ocpp16"))
from central_system import CentralSystem  # noqa: E402
from charge_meters import ChargeMeter, reading  # noqa: E402
from evsedin_emulator import EVSEDIN  # noqa: E402
from openevse_emulator import OpenEVSEEmulator  # noqa: E402
from pcsc_peer import ContactlessCard  # noqa: E402  (the pcsc fixture is in conftest.py)
from phoenix_emulator import PhoenixEmulator  # noqa: E402
from rtu_bus import Bus  # noqa: E402
from station import Station, cli, wait_for  # noqa: E402

CARD = "04A1B2C3"
RFID = {"pcsc": {"reader": "PCD 00 00"}}


class Simulated:
    """The simulator's board and vehicle, with the real card reader."""
    name = "simulated"

    def __init__(self, tmp_path):
        self.station = None

    def description(self):
        return {"driver": "simulated", "connectors": [{}], "rfid": RFID}

    def plug(self):
        assert self.station.sim("plug", "1", "--ev", "3p-16a").returncode == 0

    def asks_for_energy(self):
        pass  # the simulated vehicle goes to C by itself when the PWM appears, and back to B when it goes

    def pause(self):
        pass

    def unplug(self):
        assert self.station.sim("unplug", "1").returncode == 0

    def signalled_amps(self):
        return self.station.connector(1)["pilotSignal"]["signaledCurrentAmps"]

    def close(self):
        pass


class WithMeter:
    """An SDM630 on an RS-485 bus of its own (a pty pair), at 9600 baud 8N1."""

    def __init__(self, tmp_path):
        self.meter_bus = Bus(tmp_path, name="meter")
        self.meter = self.meter_bus.add(ChargeMeter("eastron-sdm630", unit=2, value=reading(kwh=100.0)))

    def meter_link(self):
        return {"model": "eastron-sdm630", "unitId": 2, "serial": {"device": self.meter_bus.device, "baudRate": 9600}}

    def close(self):
        self.meter_bus.close()


class OpenEVSE(WithMeter):
    name = "openevse"

    def __init__(self, tmp_path):
        super().__init__(tmp_path)
        self.board = OpenEVSEEmulator(tmp_path).start()

    def description(self):
        return {"driver": "openevse", "serial": {"device": str(self.board.station_path)}, "pollIntervalMs": 100,
                "connectors": [{"meter": self.meter_link()}], "rfid": RFID}

    def plug(self):
        self.board.plug()

    def asks_for_energy(self):
        self.board.request_charge()

    def pause(self):
        self.board.set_vehicle("B")

    def unplug(self):
        self.board.unplug()

    def signalled_amps(self):
        sc = self.board.commands("SC")
        return int(sc[-1][1][0]) if sc and self.board.enabled and not self.board.sleeping else 0

    def close(self):
        self.board.stop()
        super().close()


class EVSEDINBoard(WithMeter):
    """The EVSE-DIN and its meter share one bus, as on a real RS-485 line."""
    name = "evse-din"

    def __init__(self, tmp_path):
        self.meter_bus = Bus(tmp_path, name="rs485")
        self.board = self.meter_bus.add(EVSEDIN(unit=1))
        self.meter = self.meter_bus.add(ChargeMeter("eastron-sdm630", unit=2, value=reading(kwh=100.0)))

    def description(self):
        return {"driver": "evse-din", "serial": {"device": self.meter_bus.device, "baudRate": self.meter_bus.baud},
                "pollIntervalMs": 100, "connectors": [{"unitId": 1, "meter": {"model": "eastron-sdm630", "unitId": 2}}],
                "rfid": RFID}

    def plug(self):
        self.board.plug(wants_energy=False)  # it asks once the session started, as in every variant

    def asks_for_energy(self):
        self.board.wants_energy = True  # it asks (C) while the board offers the PWM
        self.board._update()

    def pause(self):
        self.board.wants_energy = False
        self.board._update()

    def unplug(self):
        self.board.unplug()

    def signalled_amps(self):
        return self.board.configured_amps


class Phoenix(WithMeter):
    name = "phoenix-ev-charge-control"

    def __init__(self, tmp_path):
        super().__init__(tmp_path)
        self.board = PhoenixEmulator(unit=180).start()

    def description(self):
        return {"driver": "phoenix-ev-charge-control", "tcp": {"host": "127.0.0.1", "port": self.board.port}, "pollIntervalMs": 100,
                "connectors": [{"unitId": 180, "meter": self.meter_link()}], "rfid": RFID}

    def plug(self):
        self.board.plug(wants_energy=False)  # it asks once the session started, as in every variant

    def asks_for_energy(self):
        self.board.set(vehicle_wants_energy=True)  # it asks (C) while the controller offers the PWM

    def pause(self):
        self.board.set(vehicle_wants_energy=False)

    def unplug(self):
        self.board.unplug()

    def signalled_amps(self):
        return self.board.current_amps if self.board.enabled else 0

    def close(self):
        self.board.stop()
        super().close()


BOARDS = {"simulated": Simulated, "openevse": OpenEVSE, "evse-din": EVSEDINBoard, "phoenix-ev-charge-control": Phoenix}


def profile(pid, amps, transaction_id):
    return {"chargingProfileId": pid, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
            "transactionId": transaction_id,
            "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": amps}]}}


def run_scenario(kind, tmp_path, pcsc):
    """Runs the scenario on board `kind`; returns what the comparison looks at."""
    directory = tmp_path / kind
    directory.mkdir()
    board = BOARDS[kind](directory)
    cs = CentralSystem().start()
    station = Station(directory / "data", connectors=1, time_scale=1.0, cards=(CARD,))
    try:
        (directory / "data").mkdir()
        for key, value in [("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-ACCEPT"), ("EnableLocalWhitelist", "Off"),
                           ("MeterValueSampleInterval", "0"), ("StatusNotificationStrategy", "OccupiedOnAuthorizedOrPlugged"),
                           ("ConnectorKind.1", "Cable")]:
            r = cli("config", "set", key, value, "--role", "manufacturer", data_dir=station.data_dir)
            assert r.returncode == 0, r.stderr
        path = directory / "board.json"
        import json
        path.write_text(json.dumps(board.description()))
        station.board = path
        station.namespace = pcsc
        board.station = station
        station.start()
        cs.wait_connected()
        cs.wait_status(1, "Available")
        mark = cs.mark()
        card = ContactlessCard(pcsc.port, CARD)

        board.plug()
        cs.wait_status(1, "Preparing", since=mark)
        card.present()
        cs.wait_call("StartTransaction", since=mark)
        card.remove()
        board.asks_for_energy()
        cs.wait_status(1, "Charging", since=mark)
        assert station.connector(1)["session"] is not None
        tx = cs.last_transaction_id
        # The central system limits, pauses and resumes the session; the board gets each set-point.
        # The vehicle as IEC 61851-1 has it: it stops asking (B) when the PWM goes, and asks again (C) when it is back,
        # after the station saw it waiting (SuspendedEV); the simulated vehicle does so by itself after its reaction delay.
        step = cs.mark()
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(11, 10, tx))).status == "Accepted"
        wait_for(lambda: board.signalled_amps() == 10, what=f"the {kind} board offering 10 A")
        assert station.connector(1)["status"] == "Charging"
        step = cs.mark()
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(12, 0, tx))).status == "Accepted"
        wait_for(lambda: board.signalled_amps() == 0, what=f"the {kind} board offering nothing")
        cs.wait_status(1, "SuspendedEVSE", since=step)
        board.pause()
        wait_for(lambda: station.connector(1)["pilotState"] == "B", what="the vehicle waiting in B")
        step = cs.mark()
        assert cs.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile(13, 16, tx))).status == "Accepted"
        wait_for(lambda: board.signalled_amps() == 16, what=f"the {kind} board offering 16 A")
        cs.wait_status(1, "SuspendedEV", since=step)
        board.asks_for_energy()
        cs.wait_status(1, "Charging", since=step)
        card.present()
        cs.wait_call("StopTransaction", since=mark)
        card.remove()
        cs.wait_status(1, "Finishing", since=mark)
        board.unplug()
        cs.wait_status(1, "Available", since=mark)
        wait_for(lambda: station.connector(1)["status"] == "Available", what="Available")

        messages = []
        for _, frame in cs.call_frames(since=mark):
            action, payload = frame[2], frame[3]
            if action == "StatusNotification":
                messages.append((action, payload["connectorId"], payload["status"], payload["errorCode"]))
            elif action == "Authorize":
                messages.append((action, payload["idTag"]))
            elif action == "StartTransaction":
                messages.append((action, payload["connectorId"], payload["idTag"]))
            elif action == "StopTransaction":
                messages.append((action, payload.get("reason", "Local"), payload.get("idTag")))
        code, sessions = station.get("/api/sessions")
        history = [(s["connector"], s["idTag"], s["stopReason"], s["authorizationMethod"]) for s in sessions]
        status = station.status()
        final = (status["connectors"][0]["status"], sorted(e["id"] for e in status["activeErrors"]))
        return {"messages": messages, "history": history, "final": final}
    finally:
        station.terminate()
        cs.shutdown()
        board.close()


def test_issue22_acceptance_every_board_behaves_as_the_simulator(tmp_path, pcsc):
    reference = run_scenario("simulated", tmp_path, pcsc)
    assert [m[0] for m in reference["messages"]].count("StartTransaction") == 1
    assert reference["history"] == [(1, "****" + CARD.lower()[-4:], "Local", "RFID")]  # masked: UIDDisclose Off
    assert reference["final"] == ("Available", [])
    for kind in ("openevse", "evse-din", "phoenix-ev-charge-control"):
        observed = run_scenario(kind, tmp_path, pcsc)
        assert observed["messages"] == reference["messages"], f"{kind}: OCPP messages differ from the simulator's:\n{observed['messages']}\n{reference['messages']}"
        assert observed["history"] == reference["history"], f"{kind}: history differs"
        assert observed["final"] == reference["final"], f"{kind}: final status differs"
