"""Issue 27: the simulated station charges a vehicle over ISO 15118-20 AC with external identification, end to end,
against Josev's EVCC (PyPI `iso15118` 0.31.2, its `iso15118_20/evcc_config_ac.json`), on the rig of
test_secc_josev.py (the station's SLAC, SDP, V2GTP and SECC on its PLC interface; the vehicle in another namespace).

Josev's -20 vehicle speaks without TLS, which the standard forbids ([V2G20-2356]); the station's "ISO 15118-20 without
TLS" (HLCISO20WithoutTLS) allows it, and without it the same vehicle is refused -20 (it offers nothing else). What the
test holds the station to, on both sides' logs and the station's API:
- the -20 sequence: SessionSetup → AuthorizationSetup (EIM) → Authorization Ongoing until a card, then Finished →
  ServiceDiscovery → ServiceDetail → ServiceSelection (the Dynamic control mode, offered first) →
  AC_ChargeParameterDiscovery → ScheduleExchange → PowerDelivery Start → the AC charge loop;
- the station's limit in the loop as EVSETargetActivePower (current × 230 V × 3 phases), following a limit change;
- the station's stop (a card) as EVSEStatus Terminate, after which the vehicle stops and ends the session."""
import json
import re

import josev
from test_secc_josev import CARD, EVCC_TIMEOUT_SCALE, plug_and_match, res, rig, unplug, unplugged_after  # noqa: F401
from station import wait_for

TARGET = r'"EVSETargetActivePower":\{"Exponent":(-?\d+),"Value":(-?\d+)\}'


def watts(line):
    e, v = re.search(TARGET, line).groups()
    return int(v) * 10 ** int(e)


def start_evcc20(rig, name, **config):
    pair, _, _, _, directory = rig
    run = directory / name
    run.mkdir()
    settings = json.loads(josev.evcc_config("iso15118_20/evcc_config_ac.json").read_text())
    settings.update({"useTls": False}, **config)
    path = run / "evcc.json"
    path.write_text(json.dumps(settings))
    return josev.start_evcc(pair.ev, run, config=path, timeout_scale=EVCC_TIMEOUT_SCALE)


def test_iso20_ac_eim_dynamic_limit_reaches_vehicle_and_card_stops_it(rig):
    pair, station, log, _, _ = rig
    assert station.request("PUT", "/api/config/HLCISO20WithoutTLS", {"value": True})[0] == 200
    try:
        plug_and_match(rig)
        evcc = start_evcc20(rig, "iso20", chargeLoopCycle=40, chargeLoopDelay=1)
        try:
            evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"OK_SuccessfulNegotiation"'), fail=josev.EVCC_GAVE_UP)
            evcc.wait_for(res("SessionSetupRes", '.*"ResponseCode":"OK_NewSessionEstablished","EVSEID":"DE\\*CKT\\*E0001\\*1"'))
            evcc.wait_for(res("AuthorizationSetupRes", '.*"AuthorizationServices":\\["EIM"\\]'))
            evcc.wait_for(res("AuthorizationRes", '.*"EVSEProcessing":"Ongoing'))
            assert "session" not in station.connector(1), "no transaction before the card"
            assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
            evcc.wait_for(res("AuthorizationRes", '.*"EVSEProcessing":"Finished"'))
            evcc.wait_for(res("ServiceDetailRes"))
            evcc.wait_for(res("AC_ChargeParameterDiscoveryRes", '.*"ResponseCode":"OK"'))
            evcc.wait_for(res("ScheduleExchangeRes", '.*"Dynamic_SEResControlMode"'))
            evcc.wait_for(res("PowerDeliveryRes", '.*"ResponseCode":"OK"'))
            first = evcc.wait_for(res("AC_ChargeLoopRes"))
            assert watts(first) == 32 * 230 * 3, first  # the connector's rated 32 A over three phases
            station.wait_status(1, "Charging")
            assert station.request("PUT", "/api/config/OperatorCurrentLimit.1", {"value": 10})[0] == 200
            while watts(evcc.wait_for(res("AC_ChargeLoopRes"), timeout=30)) != 10 * 230 * 3:
                pass
            assert station.request("POST", "/api/sim/rfid", {"uid": CARD})[0] == 200
            evcc.wait_for(res("AC_ChargeLoopRes", '.*"EVSENotification":"Terminate"'), timeout=30)
            evcc.wait_for(res("PowerDeliveryRes", '.*"ResponseCode":"OK"'))
            evcc.wait_for(res("SessionStopRes", '.*"ResponseCode":"OK"'))
            log.wait_for(r"ISO 15118: SessionStop Terminate")
            wait_for(lambda: "session" not in station.connector(1), what="the transaction stopped")
        finally:
            evcc.stop()
            station.request("PUT", "/api/config/OperatorCurrentLimit.1", {"value": 32})
        unplug(rig)
    finally:
        assert station.request("PUT", "/api/config/HLCISO20WithoutTLS", {"value": False})[0] == 200


def test_iso20_without_tls_refused_unless_allowed(rig):
    pair, station, log, _, _ = rig
    plug_and_match(rig)
    evcc = start_evcc20(rig, "iso20-refused", chargeLoopCycle=1)
    try:
        evcc.wait_for(res("supportedAppProtocolRes", '"ResponseCode":"Failed_NoNegotiation"'), fail=r"Traceback")
    finally:
        evcc.stop()
    log.wait_for(r"ISO 15118 link failed: the vehicle offered no protocol")
    unplug(rig)
