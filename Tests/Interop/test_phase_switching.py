"""Automatic 1-phase/3-phase switching (issue 25 item 3) against the pymodbus grid meter of test_pv_surplus.py (the
Janitza UMG 512-PRO map, closed loop: house − PV + what the station draws). The simulated board has a phase-switching
contactor; a cloud takes the surplus below the 4.14 kW three phases need at 6 A, and the test watches the sequence on
the board (the station's /api/status and the simulator's /api/sim, every 0.1 s): no PWM first, the vehicle back in
state B, the contactors open, the phase contactor switched with them open (the board records every command and refuses
one under load), the pause, 1-phase charging; then the sun returns and the connector goes back to three phases."""
import time

from station import Station, cli
from test_pv_surplus import ClosedLoopMeter

DELAY_S = 10
PAUSE_S = 3


def configure(data_dir, port):
    for key, value in [("ExternalMeterSupport", "On"), ("SecondMeterConfiguration", "janitzaUMG512PRO"),
                       ("SecondMeterIPAddress", "127.0.0.1"), ("SecondMeterPort", port), ("MeterPollInterval", "0.2"),
                       ("MainDistributionLimit", "63,63,63"), ("ExternalLoadFallback", "0,0,0"),
                       ("ChargeMode.1", "PV"), ("PVStartDelay", "2"), ("PhaseSwitching.1", "On"),
                       ("PhaseSwitchDelay", str(DELAY_S)), ("PhaseSwitchPause", str(PAUSE_S))]:
        r = cli("config", "set", key, str(value), "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, (key, r.stderr)


def watch(station, until, timeout):
    """Samples the connector and the simulated board every 0.1 s until `until(sample)`; returns the samples.

    The two reads of a sample are two requests: the board first, then the station. A phase count seen on the board is
    then older than the contactors' state read after it, so "switched with the contactors open" cannot be faked by a
    switch that happened between the reads (it would be, the other way round: the contactors seen closed in the first
    read, the phase contactor switched after they opened, in the second)."""
    samples = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sim = station.get("/api/sim")[1]["connectors"][0]
        c = station.connector(1)
        s = {"t": time.monotonic(), "stage": (c.get("phaseSwitch") or {}).get("stage"), "pwm": c["pilotSignal"]["kind"],
             "relays": c["relayFeedback"], "vehicle": (sim.get("vehicle") or {}).get("pilot"), "phases": sim.get("switchedPhases"),
             "currentA": sim["currentA"], "records": sim.get("phaseSwitches") or [], "status": c["status"]}
        samples.append(s)
        if until(s):
            return samples
        time.sleep(0.1)
    raise AssertionError(f"timed out; last {samples[-1] if samples else None}")


def first(samples, predicate, after=0):
    return next(i for i, s in enumerate(samples) if i >= after and predicate(s))


def test_issue25_3_phase_switch_sequence_observed_on_the_simulated_board(data_dir):
    loop = ClosedLoopMeter()
    configure(data_dir, loop.meter.port)
    station = Station(data_dir, connectors=1, time_scale=1.0).start()
    loop.station = station
    loop.thread.start()
    try:
        loop.pv_w = 7000
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", Station.CARDS[0]).returncode == 0
        watch(station, lambda s: s["status"] == "Charging" and s["currentA"]["l3"] > 6, 30)
        assert station.connector(1)["phaseSwitch"]["switchedPhases"] == 3

        # A cloud: 2.5 kW surplus, below 3 × 6 A × 230 V. After the delay the switch runs; then 1-phase charging.
        loop.pv_w = 3000
        cloud = time.monotonic()
        seen = watch(station, lambda s: s["phases"] == 1 and s["status"] == "Charging" and s["currentA"]["l1"] > 6, 60)
        stop = first(seen, lambda s: s["stage"] == "stopping" or s["pwm"] == "off")
        assert seen[stop]["t"] - cloud >= DELAY_S - 0.5, "not before the phase switch delay"
        opened = first(seen, lambda s: s["relays"] == "open", stop)
        assert seen[opened - 1]["vehicle"] == "B" or seen[opened]["vehicle"] == "B", "the vehicle stopped drawing first"
        switched = first(seen, lambda s: s["phases"] == 1, stop)
        assert switched >= opened, "the phase contactor switched only with the contactors open"
        resumed = first(seen, lambda s: s["pwm"] == "pwm", switched)
        assert seen[resumed]["t"] - seen[switched]["t"] >= PAUSE_S - 0.3, "the pause before the current returns"
        assert all(s["pwm"] != "pwm" for s in seen[stop:resumed]), "no PWM during the switch"
        records = seen[-1]["records"]
        assert [(r["phases"], r["relays"], r.get("refused")) for r in records] == [(1, "open", None)], records
        last = seen[-1]["currentA"]
        assert last["l2"] == 0 and last["l3"] == 0, last
        print(f"phase switch 3→1: stop after {seen[stop]['t'] - cloud:.1f} s, contactors open after "
              f"{seen[opened]['t'] - seen[stop]['t']:.1f} s, switched after {seen[switched]['t'] - seen[stop]['t']:.1f} s, "
              f"current back after {seen[resumed]['t'] - seen[switched]['t']:.1f} s")

        # The sun returns: back to three phases after the delay, by the same sequence.
        loop.pv_w = 7000
        seen = watch(station, lambda s: s["phases"] == 3 and s["status"] == "Charging" and s["currentA"]["l3"] > 6, 60)
        records = seen[-1]["records"]
        assert [(r["phases"], r["relays"], r.get("refused")) for r in records] == [(1, "open", None), (3, "open", None)], records
        status = station.connector(1)["phaseSwitch"]
        assert status["switchedPhases"] == 3 and status["stage"] == "idle" and status["switchesLastHour"] == 2, status
        events = [e["message"] for e in station.get("/api/events?limit=300")[1] if e["connector"] == 1]
        for line in ("Connector 1: Switching to 1 phase: stopping the current", "Connector 1: Phase contactor switched to 1 phase; pausing 3 s",
                     "Connector 1: Phase switch done: charging resumes on 1 phase", "Connector 1: Switching to 3 phases: stopping the current"):
            assert line in events, (line, events)
    finally:
        loop.station = None
        station.terminate()
        loop.close()
