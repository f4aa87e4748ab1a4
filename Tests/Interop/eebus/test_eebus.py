"""EEBUS (issue 26) against the station: an energy manager peer written from the public specifications (SHIP TS 1.0.1,
SPINE TS 1.3.0, the EEBUS use-case specifications; see ship.py, spine.py, spine_model.py, energy_manager.py) finds the
station by mDNS, pairs, runs SHIP and SPINE, drives LPC (a §14a control box) and OPEV/OSCEV (a CEM like evcc), and
tries hostile input. The station runs in one network namespace, the manager in the other, joined by a veth pair with a
multicast route (netns.py). Every SPINE message the manager receives is checked against the SPINE data model; each
test ends by asserting that none broke it.

The station's side as these tests expect it (docs/api.md "EEBUS"): the parameters `EEBUSInterface` On,
`EEBUSFallbackCurrent` [A] (6), `EEBUSConnectionTimeout` [s] (4), `EEBUSPort` (4712); `--eebus-interface IFACE`;
`GET /api/eebus` with `enabled`, `ski`, `shipId`, `port`, `pairing` {state notPaired|pairing|paired, ski?, name?},
`discovered` [{ski, brand, model, type, id, host, port}], `connections` [{ski, state connecting|waitingForTrust|
connected|closed, incoming, …}], `trustRequests` [ski], `lpc` {state init|unlimitedControlled|limited|failsafe|
unlimitedAutonomous, limitW, failsafeLimitW, failsafeDurationMinimumS, …}, `connectors` [{connector, obligationAmps,
recommendationAmps, …}]; `POST /api/eebus/pair {"ski"}` and `POST /api/eebus/unpair` answering 2xx; the connector's
`currentLimit.binding` `eebus` with its `amps` and the pilot's `signaledCurrentAmps` in `GET /api/status`; a warning
(or worse) in the station's log naming EEBUS, SHIP or TLS for each refused hostile input. SPINE: device type
ChargingStation, entity EVSE [n] per connector with EV [n, 1] while a vehicle is plugged in, LPC (actor
ControllableSystem) on the entity its use-case information names; the EV's per-phase currents split among phases
a/b/c by ElectricalConnection parameterDescription; a limit converted to current over the vehicle's phases at 230 V
(6900 W on three phases: 10 A) with one vehicle charging."""
import threading
import time

import ship
import spine
from discovery import txt_problems
from energy_manager import CEM, ControlBox, scaled
from ship import ShipError
from station_eebus import EEBUS_PORT, charge, connect, eebus, limit, log_offset, pair, wait_logged
from station import wait_for

SHIP_SUITES = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256")
EV_USE_CASES = {"evCommissioningAndConfiguration", "measurementOfElectricityDuringEvCharging",
                "overloadProtectionByEvChargingCurrentCurtailment", "optimizationOfSelfConsumptionDuringEvCharging"}


def paired_session(station, manager):
    node = pair(station, manager)
    return connect(station, manager, node)


def use_cases(session):
    """{use case name: [(actor, entity, support), …]} of the station."""
    out = {}
    for info in session.node.use_cases.get("useCaseInformation", []):
        for support in info.get("useCaseSupport", []):
            out.setdefault(support["useCaseName"], []).append(
                (info.get("actor"), list(info.get("address", {}).get("entity", [])), support))
    return out


def still_serves(station, manager):
    """After hostile input: the API answers and a well-behaved, paired manager runs SHIP and SPINE."""
    assert station.get("/api/status")[0] == 200
    session = connect(station, manager)
    remote = session.discover()
    assert remote.device_type == "ChargingStation"
    assert session.violations == []
    session.close()


def test_issue26_manager_discovers_the_station_by_mdns_with_the_ship_txt_record(eebus_station, managers, netns_pair):
    station = eebus_station()
    api = eebus(station)
    assert api["enabled"] is True and len(api["ski"]) == 40 and api["port"] == EEBUS_PORT, api
    assert api["pairing"]["state"] == "notPaired" and api["pairing"].get("ski") is None, api["pairing"]
    manager = managers()
    node = manager.find_station(api["ski"])
    # SHIP TS 1.0.1 §7.3.2: the mandatory keys with their values, and nothing unknown.
    assert txt_problems(node.txt) == [], node.txt
    assert (node.host, node.port) == (netns_pair.station.address, EEBUS_PORT)
    assert node.txt["id"] == api["shipId"] and node.txt["path"] == "/ship/" and node.txt["register"] == "false"
    assert node.txt["type"] == "ChargingStation" and node.txt["brand"] and node.txt["model"], node.txt
    # §12.1: a P-256 certificate whose SubjectKeyIdentifier is the SKI, the SHA-1 of its public key.
    der = manager.trust(node.ski, node.host, node.port)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    cert = x509.load_der_x509_certificate(der)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
    assert cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert ship.ski_of_certificate(der) == ship.ski_of_public_key(cert.public_key()) == api["ski"].lower()
    # The station lists the manager it discovers, with the TXT record's values.
    manager.announce()
    seen = wait_for(lambda: next((d for d in eebus(station)["discovered"] if d["ski"] == manager.identity.ski), None),
                    timeout=20, what="the manager in /api/eebus discovered")
    assert seen == {"ski": manager.identity.ski, "brand": "ChargeKit Tests", "model": "Peer EM",
                    "type": "EnergyManagementSystem", "id": manager.identity.ship_id,
                    "host": netns_pair.manager.address, "port": manager.port}, seen


def test_issue26_pairs_and_runs_ship_and_spine_with_every_message_checked(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    # SHIP: TLS 1.2 with a SHIP suite, the whole handshake in order, the station's SHIP id from its TXT record.
    tls = session.ship.ws.transport.get_extra_info("ssl_object")
    assert tls.version() == "TLSv1.2" and tls.cipher()[0] in SHIP_SUITES, tls.cipher()
    assert [h["phase"] for h in session.ship.remote_hello] == ["ready"]
    assert session.ship.remote_ship_id == eebus(station)["shipId"]
    received = [next(iter(p)) for d, t, p in session.ship.transcript if d == "received" and p]
    assert received[:3] == ["connectionHello", "messageProtocolHandshake", "connectionPinState"], received
    # The access methods both ways, and only then SPINE data (SHIP TS 1.0.1 §13.4.6).
    first_data = received.index("data") if "data" in received else len(received)
    assert sorted(received[3:first_data]) == ["accessMethods", "accessMethodsRequest"], received
    api = wait_for(lambda: (a := eebus(station))["pairing"]["state"] == "paired" and a, what="pairing paired")
    assert api["pairing"]["ski"] == manager.identity.ski, api["pairing"]
    assert [(c["state"], c["incoming"]) for c in api["connections"] if c["ski"] == manager.identity.ski] \
        == [("connected", True)], api["connections"]
    # SPINE: the station describes itself, and reads ours and subscribes to our heartbeat (LPC scenario 3).
    remote = session.discover()
    assert remote.device_type == "ChargingStation" and remote.entities[(0,)] == "DeviceInformation"
    assert sorted(remote.entities_of_type("EVSE")) == [[1], [2]], remote.entities
    session.wait_for(lambda n: any(d["header"].get("cmdClassifier") == "read" and "nodeManagementDetailedDiscoveryData"
                                   in d["payload"]["cmd"][0] for d in n.received), what="the station reading our discovery")
    session.wait_for(lambda n: any(s[1].get("feature") == n.device.heartbeat_server.index for s in n.subscribers),
                     what="the station subscribing to our heartbeat")
    nm = session.node.device.features[0]
    destinations = session.run(session.node.read(nm, spine.address(remote.device, [0], 0),
                                                 "nodeManagementDestinationListData"))
    assert destinations["nodeManagementDestinationData"][0]["deviceDescription"]["deviceType"] == "ChargingStation"
    cases = use_cases(session)
    assert cases["limitationOfPowerConsumption"][0][0] == "ControllableSystem"
    assert {1, 2, 3} <= set(cases["limitationOfPowerConsumption"][0][2]["scenarioSupport"])
    assert {(a, tuple(e)) for a, e, _ in cases["evseCommissioningAndConfiguration"]} == {("EVSE", (1,)), ("EVSE", (2,))}
    assert session.violations == []


def test_issue26_pin_input_and_access_methods_are_answered_in_the_data_phase_and_the_close_is_confirmed(eebus_station,
                                                                                                        managers):
    """SHIP TS 1.0.1 §13.4.5: the station announced PIN state `none`, so a `connectionPinInput` is answered with
    `connectionPinError` (error 1) and the connection goes on; §13.4.6: an `accessMethodsRequest` in the data phase is
    answered with the station's SHIP id; §13.4.7: our `connectionClose` announce is confirmed by the station."""
    station = eebus_station()
    manager = managers("grid-guard")
    node = pair(station, manager)
    conn = manager.connect(node.host, node.port, node.ski, handshake=False)

    async def control(name):
        """The next control message `name`, skipping the station's SPINE data meanwhile (it reads our discovery)."""
        while True:
            got_type, plain = await conn.receive()
            if got_type == ship.CONTROL and name in plain:
                return plain[name]
            assert got_type == ship.DATA, (got_type, plain)

    async def script():
        await conn.handshake()
        await conn.send(ship.CONTROL, {"connectionPinInput": {"pin": "1234"}})
        pin_error = await control("connectionPinError")
        await conn.send(ship.CONTROL, {"accessMethodsRequest": {}})
        methods = await control("accessMethods")
        return pin_error, methods, await conn.close(reason="unspecific")

    pin_error, methods, confirmed = manager.loop.run(script(), 40)
    assert pin_error == {"error": 1}, pin_error
    assert methods.get("id") == eebus(station)["shipId"], methods
    assert confirmed == {"phase": "confirm"}, confirmed
    wait_for(lambda: not any(c["ski"] == manager.identity.ski for c in eebus(station)["connections"]),
             what="the connection gone from the station's list")


def test_issue26_cem_discovers_the_use_cases_binds_subscribes_and_reads_every_ev_function(eebus_station, managers):
    station = eebus_station()
    manager = managers("cem")
    session = paired_session(station, manager)
    cem = CEM(session, connector=1).setup()
    charge(station, 1, "3p-16a")
    assert cem.wait_for_ev() == {"errorNumber": 0}  # the binding of the EV's LoadControl
    cases = session.read_use_cases()  # again, now that a vehicle is there
    by_name = use_cases(session)
    for name in EV_USE_CASES:
        assert any(a == "EV" and e == [1, 1] and s.get("useCaseAvailable", True) for a, e, s in by_name[name]), (name, cases)
    for name, scenarios in (("evCommissioningAndConfiguration", {1, 2, 3, 8}),
                            ("overloadProtectionByEvChargingCurrentCurtailment", {1, 2, 3}),
                            ("optimizationOfSelfConsumptionDuringEvCharging", {1, 2, 3})):
        support = next(s for a, e, s in by_name[name] if e == [1, 1])
        assert scenarios <= set(support["scenarioSupport"]), (name, support)
    ev, evse = (1, 1), (1,)
    # EVSECC: manufacturer data and the operating state of the EVSE.
    assert cem.data[(evse, "deviceClassificationManufacturerData")].get("brandName")
    assert cem.data[(evse, "deviceDiagnosisStateData")]["operatingState"] in ("normalOperation", "standby")
    # EVCC: the communication standard (IEC 61851 for a PWM-only vehicle) and the current limits per phase.
    keys = {d["keyId"]: d["keyName"] for d in cem.data[(ev, "deviceConfigurationKeyValueDescriptionListData")]
            ["deviceConfigurationKeyValueDescriptionData"]}
    values = {keys[v["keyId"]]: v.get("value") for v in cem.data[(ev, "deviceConfigurationKeyValueListData")]
              ["deviceConfigurationKeyValueData"]}
    assert values["communicationsStandard"] == {"string": "iec61851"}, values
    # EVCEM: current and power per phase, and the charged energy.
    descriptions = cem.data[(ev, "measurementDescriptionListData")]["measurementDescriptionData"]
    kinds = {(d.get("measurementType"), d.get("scopeType")) for d in descriptions}
    assert {("current", "acCurrent"), ("power", "acPower"), ("energy", "charge")} <= kinds, kinds
    # OPEV / OSCEV: one current limit per phase in each category.
    assert set(cem.phase_limit_ids("obligation")) == {"a", "b", "c"}
    assert set(cem.phase_limit_ids("recommendation")) == {"a", "b", "c"}
    assert session.violations == []


def test_issue26_evcc_identification_carries_the_evccid_of_an_iso15118_vehicle(eebus_station, managers):
    """EVCC scenario 4: the EV entity's Identification holds the vehicle's EVCCID (its MAC: eui48) when ISO 15118 gave
    one, and scenario 2's communicationsStandard says ISO 15118-2; a PWM-only vehicle has none (the CEM test above)."""
    station = eebus_station()
    manager = managers("cem")
    cem = CEM(paired_session(station, manager), connector=1).setup()
    assert station.sim("plug", "1", "--ev", "3p-16a", "--evccid", "00:1A:2B:3C:4D:5E").returncode == 0
    assert cem.wait_for_ev() == {"errorNumber": 0}
    ev = (1, 1)
    assert cem.data[(ev, "identificationListData")] == {"identificationData": [
        {"identificationId": 0, "identificationType": "eui48", "identificationValue": "00:1A:2B:3C:4D:5E"}]}, cem.data
    keys = {d["keyId"]: d["keyName"] for d in cem.data[(ev, "deviceConfigurationKeyValueDescriptionListData")]
            ["deviceConfigurationKeyValueDescriptionData"]}
    values = {keys[v["keyId"]]: v.get("value") for v in cem.data[(ev, "deviceConfigurationKeyValueListData")]
              ["deviceConfigurationKeyValueData"]}
    assert values["communicationsStandard"] == {"string": "iso15118-2ed1"}, values
    assert cem.s.violations == []


def test_issue26_lpc_limit_reaches_the_signalled_current(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    box = ControlBox(paired_session(station, manager)).setup()
    assert box.bindings == {"LoadControl": {"errorNumber": 0}, "DeviceConfiguration": {"errorNumber": 0}}
    assert all(r == {"errorNumber": 0} for r in box.subscriptions.values()), box.subscriptions
    assert box.limit_description["unit"] == "W" and box.actor == "ControllableSystem"
    charge(station, 1, "3p-16a")
    # 6900 W over three phases at 230 V: 10 A.
    assert box.write_limit(6900, active=True) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 10.0), timeout=5, what="the eebus binding at 10 A")
    lpc = eebus(station)["lpc"]
    assert lpc["state"] == "limited" and lpc["limitW"] == 6900, lpc
    wait_for(lambda: station.connector(1)["pilotSignal"]["signaledCurrentAmps"] == 10, timeout=5,
             what="the pilot signalling 10 A")
    box.s.wait_for(lambda n: any((box.lpc_limit(d) or {}).get("value") and scaled(box.lpc_limit(d)["value"]) == 6900
                                 for d in n.notifies("loadControlLimitListData")), what="the limit's notify")
    assert box.write_limit(4140, active=True) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 6.0), timeout=5, what="6 A from 4140 W")
    # Inactive: the limit no longer binds. An increase waits until the signal was stable for 5 s (the station's
    # hold-off after a decrease, so a vehicle still following it never sees the current swing back): up to 10 s.
    assert box.write_limit(4140, active=False) == {"errorNumber": 0}
    wait_for(lambda: limit(station)[0] != "eebus", timeout=10, what="the eebus binding gone")
    assert eebus(station)["lpc"]["state"] == "unlimitedControlled"
    # A limit with a duration ends by itself (LPC scenario 1: timePeriod.endTime).
    assert box.write_limit(4140, active=True, duration="PT3S") == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 6.0), timeout=5, what="the limit with a duration")
    t = time.monotonic()
    wait_for(lambda: limit(station)[0] != "eebus", timeout=10, what="the limit's end after 3 s")
    assert time.monotonic() - t >= 1.5, "the limit ended before its duration"
    assert box.s.violations == []


def test_issue26_heartbeat_stops_and_the_failsafe_limit_applies_within_the_set_time(eebus_station, managers):
    station = eebus_station(EEBUSConnectionTimeout=4)
    manager = managers("grid-guard")
    box = ControlBox(paired_session(station, manager)).setup(heartbeat_interval_s=1.0, heartbeat_timeout_s=4)
    charge(station, 1, "3p-16a")
    # LPC scenario 2: failsafe 4830 W (7 A on three phases) for at least 2 h.
    assert box.write_failsafe(4830, "PT2H") == {"errorNumber": 0}
    assert box.write_limit(6900, active=True) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 10.0), timeout=5, what="10 A")
    counter = box.s.stop_heartbeat()
    stopped = time.monotonic()
    wait_for(lambda: limit(station) == ("eebus", 7.0), timeout=10, what="the failsafe limit (7 A)")
    elapsed = time.monotonic() - stopped
    assert 4 - 1.0 - 0.5 <= elapsed <= 4 + 2, f"failsafe after {elapsed:.1f} s without a heartbeat (timeout 4 s)"
    assert counter > 0
    lpc = eebus(station)["lpc"]
    assert lpc["state"] == "failsafe" and lpc["failsafeLimitW"] == 4830 and lpc["failsafeDurationMinimumS"] == 7200, lpc
    # The heartbeat back and then a new limit: the failsafe state ends at once (LPC: heartbeat and a limit write).
    sent = box.s.node.heartbeats_sent
    box.s.start_heartbeat(1.0, 4)
    box.s.wait_for(lambda n: n.heartbeats_sent > sent, what="a heartbeat sent again")
    assert box.write_limit(6900, active=True) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 10.0), timeout=10, what="10 A again after the failsafe")
    assert box.s.violations == []


def test_issue26_connection_loss_applies_the_fallback_current_after_the_connection_timeout(eebus_station, managers):
    station = eebus_station(EEBUSConnectionTimeout=4, EEBUSFallbackCurrent=8)
    manager = managers("grid-guard")
    box = ControlBox(paired_session(station, manager)).setup()
    charge(station, 1, "3p-16a")
    assert box.write_limit(6900, active=True) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 10.0), timeout=5, what="10 A")
    box.s.abort()  # the network is gone: no SHIP close, no WebSocket close
    lost = time.monotonic()
    wait_for(lambda: limit(station) == ("eebus", 8.0), timeout=12, what="the fallback current 8 A")
    assert time.monotonic() - lost >= 4 - 1.5, "the fallback before the connection timeout"


def test_issue26_a_lost_cem_leaves_the_fallback_current_in_place_of_its_obligation(eebus_station, managers):
    """A CEM without LPC (evcc-like) protected a fuse with an OPEV obligation and vanished: after the connection
    timeout the station's fallback current takes the obligation's place; when the CEM is back its value applies again."""
    station = eebus_station(EEBUSConnectionTimeout=3, EEBUSFallbackCurrent=8)
    manager = managers("cem")
    cem = CEM(paired_session(station, manager), connector=1).setup()
    charge(station, 1, "3p-16a")
    assert cem.wait_for_ev() == {"errorNumber": 0}
    assert cem.write_currents("obligation", {"a": 12, "b": 12, "c": 12}) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 12.0), timeout=5, what="the OPEV obligation 12 A")
    cem.s.abort()  # the network is gone
    lost = time.monotonic()
    wait_for(lambda: limit(station) == ("eebus", 8.0), timeout=10, what="the fallback current 8 A")
    assert time.monotonic() - lost >= 3 - 1.5, "the fallback before the connection timeout"
    reason = next(c for c in eebus(station)["connectors"] if c["connector"] == 1)["reason"]
    assert "fallback current 8 A" in reason, reason
    # Back: its obligation applies again (an increase, after the station's 5 s hold-off).
    connect(station, manager).discover()
    wait_for(lambda: limit(station) == ("eebus", 12.0), timeout=12, what="the obligation again")


def test_issue26_opev_and_oscev_values_are_applied_obligation_below_recommendation(eebus_station, managers):
    station = eebus_station()
    manager = managers("cem")
    cem = CEM(paired_session(station, manager), connector=1).setup()
    charge(station, 1, "3p-16a")
    assert cem.wait_for_ev() == {"errorNumber": 0}
    three = lambda a: {"a": a, "b": a, "c": a}  # noqa: E731
    assert cem.write_currents("obligation", three(12)) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 12.0), timeout=5, what="the OPEV obligation 12 A")
    assert cem.write_currents("recommendation", three(8)) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 8.0), timeout=5, what="the OSCEV recommendation 8 A")
    # A recommendation above the obligation: the obligation caps it.
    assert cem.write_currents("recommendation", three(14)) == {"errorNumber": 0}
    # (An increase: the station's 5 s hold-off after a decrease applies.)
    wait_for(lambda: limit(station) == ("eebus", 12.0), timeout=10, what="the obligation capping the recommendation")
    connector = next(c for c in eebus(station)["connectors"] if c["connector"] == 1)
    assert connector["obligationAmps"] == [12, 12, 12] and connector["recommendationAmps"] == [14, 14, 14], connector
    # The obligation lifted: the recommendation applies.
    assert cem.write_currents("obligation", three(12), active=False) == {"errorNumber": 0}
    wait_for(lambda: limit(station) == ("eebus", 14.0), timeout=10, what="the recommendation 14 A alone")
    # EVCEM: measurement notifies with the vehicle's current per phase.
    cem.s.wait_for(lambda n: (m := cem.measurements()) and all(m.get(("current", "acCurrent", p), 0) > 0 for p in "abc"),
                   timeout=20, what="per-phase current notifies")
    assert cem.s.violations == []


def test_issue26_a_write_without_binding_is_answered_with_error_9(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    session.discover()
    _, entity, _ = session.use_case("limitationOfPowerConsumption")
    load_control = session.remote.find("LoadControl", entity=entity)
    descriptions = session.read("LoadControl", "loadControlLimitDescriptionListData", entity)
    limit_id = next(d["limitId"] for d in descriptions["loadControlLimitDescriptionData"]
                    if d.get("scopeType") == "activePowerLimit")
    charge(station, 1, "3p-16a")
    before = limit(station)
    result = session.write(load_control, "loadControlLimitListData", {"loadControlLimitData": [
        {"limitId": limit_id, "isLimitActive": True, "value": {"number": 1380, "scale": 0}}]})
    assert result["errorNumber"] == spine.BINDING_REQUIRED, result
    assert limit(station) == before and before[0] != "eebus"
    assert session.violations == []


def test_issue26_hostile_tls_clients_are_refused_and_logged_and_the_station_goes_on(eebus_station, managers):
    import ssl
    import websockets
    station = eebus_station()
    manager = managers("grid-guard")
    node = pair(station, manager)
    for context in (ship.client_context(None),  # no client certificate
                    ship.client_context(manager.identity, ciphers="ECDHE-ECDSA-AES256-GCM-SHA384"),  # not a SHIP suite
                    ship.client_context(manager.identity, ciphers=None, tls_version=ssl.TLSVersion.TLSv1_3)):
        offset = log_offset(station)
        try:
            conn = manager.connect(node.host, node.port, node.ski, context=context)
        except (ssl.SSLError, ConnectionError, ShipError, websockets.InvalidHandshake):
            pass
        else:
            conn.close()
            raise AssertionError(f"the station accepted a TLS client it must refuse ({context.get_ciphers()[:1]})")
        wait_logged(station, offset, words=("eebus", "ship", "tls"))
    still_serves(station, manager)


def connect_in_background(manager, node, waiting_ms):
    """Starts a manager's connection in a thread (its hello may wait for the station's user); returns the thread and
    a dict that gets "session" or "error"."""
    outcome = {}

    def body():
        try:
            outcome["session"] = manager.connect(node.host, node.port, node.ski, waiting_ms=waiting_ms)
        except Exception as e:  # noqa: BLE001 - handed to the test
            outcome["error"] = e
    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, outcome


def test_issue26_an_unknown_ski_waits_for_trust_in_the_hello_and_never_reaches_data(eebus_station, managers):
    """SHIP TS 1.0.1 §13.4.4.1: a node the user has not trusted gets hello `pending` (or `aborted`), never `ready`;
    the station lists it as a trust request. We give up after 3 s (our own T_hello) and send `aborted`."""
    station = eebus_station()
    manager = managers("grid-guard")
    node = pair(station, manager)
    stranger = managers("grid-guard", model="Stranger")
    stranger.trust(node.ski, node.host, node.port)
    offset = log_offset(station)
    thread, outcome = connect_in_background(stranger, node, waiting_ms=3000)
    api = wait_for(lambda: (a := eebus(station)) and stranger.identity.ski in a["trustRequests"] and a, timeout=10,
                   what="the stranger among the trust requests")
    assert [c["state"] for c in api["connections"] if c["ski"] == stranger.identity.ski] == ["waitingForTrust"], api
    thread.join(20)
    error = outcome.get("error")
    assert isinstance(error, ShipError) and error.stage == "hello", outcome
    assert "ready" not in [h["phase"] for h in error.connection.remote_hello], error.connection.remote_hello
    wait_logged(station, offset)
    assert eebus(station)["pairing"]["ski"] == manager.identity.ski  # the pairing is unchanged
    still_serves(station, manager)


def test_issue26_pairing_a_waiting_manager_completes_its_handshake(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    node = manager.find_station(eebus(station)["ski"])
    manager.trust(node.ski, node.host, node.port)
    thread, outcome = connect_in_background(manager, node, waiting_ms=30_000)
    wait_for(lambda: manager.identity.ski in eebus(station)["trustRequests"], timeout=10, what="the trust request")
    code, body = station.request("POST", "/api/eebus/pair", {"ski": manager.identity.ski})
    assert 200 <= code < 300, (code, body)
    thread.join(20)
    session = outcome.get("session")
    assert session is not None, outcome
    assert [h["phase"] for h in session.ship.remote_hello][0] == "pending"
    assert [h["phase"] for h in session.ship.remote_hello][-1] == "ready"
    assert session.discover().device_type == "ChargingStation"
    wait_for(lambda: eebus(station)["pairing"]["state"] == "paired", what="paired")
    assert session.violations == []


def test_issue26_malformed_json_in_a_data_frame_is_refused_and_logged_without_harm(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    offset = log_offset(station)
    session.send_raw(bytes([ship.DATA]) + b'{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":[{"datagram":')
    wait_logged(station, offset)
    # Either the station dropped the message and the connection still works, or it closed the connection.
    if session.node.closed is None:
        try:
            session.discover()
        except Exception as e:  # noqa: BLE001 - a closed connection is the other acceptable answer
            assert session.node.closed, e
    session.close()
    still_serves(station, manager)


def test_issue26_an_oversize_frame_is_refused_and_the_station_goes_on(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    offset = log_offset(station)
    huge = b'{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":"' + b"x" * (4 * 1024 * 1024) + b'"}]}'
    try:
        session.send_raw(bytes([ship.DATA]) + huge)
    except Exception:  # noqa: BLE001 - the station may close while we are still sending
        pass
    session.wait_closed(timeout=10)
    wait_logged(station, offset)
    still_serves(station, manager)


def test_issue26_unpair_closes_the_connection_and_forgets_the_ski_and_pairing_survives_a_restart(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    session.discover()
    # The trust store persists: after a restart the manager is still paired and connects again.
    session.close()
    station.terminate()
    station.start()
    assert eebus(station)["pairing"]["ski"] == manager.identity.ski
    session = connect(station, manager)
    session.discover()
    code, body = station.request("POST", "/api/eebus/unpair")
    assert 200 <= code < 300, (code, body)
    session.wait_closed(timeout=10)
    # The orderly close of SHIP TS 1.0.1 §13.4.7, with the reason that the pairing was removed.
    assert (session.ship.close_received or {}).get("phase") == "announce", session.ship.close_received
    assert session.ship.close_received.get("reason") == "removedConnection", session.ship.close_received
    pairing = eebus(station)["pairing"]
    assert pairing["state"] == "notPaired" and pairing.get("ski") is None, pairing
    try:
        connect(station, manager)
    except ShipError as e:
        assert e.stage == "hello", e
    else:
        raise AssertionError("an unpaired manager completed the handshake")


def test_issue26_the_station_connects_to_the_paired_manager_it_discovered(eebus_station, managers):
    station = eebus_station()
    manager = managers("grid-guard")
    manager.announce()
    node = manager.find_station(eebus(station)["ski"])
    manager.trust(node.ski, node.host, node.port)  # our server accepts the station's certificate
    wait_for(lambda: any(d["ski"] == manager.identity.ski for d in eebus(station)["discovered"]), timeout=20,
             what="the station discovering the manager")
    code, body = station.request("POST", "/api/eebus/pair", {"ski": manager.identity.ski})
    assert 200 <= code < 300, (code, body)
    session = manager.accept(timeout=30)
    assert session.ship.remote_ski == node.ski
    # The station's client side speaks TLS 1.2 with a SHIP suite too (our server offers only those).
    tls = session.ship.ws.transport.get_extra_info("ssl_object")
    assert tls.version() == "TLSv1.2" and tls.cipher()[0] in SHIP_SUITES, tls.cipher()
    assert session.discover().device_type == "ChargingStation"
    assert [(c["state"], c["incoming"]) for c in eebus(station)["connections"] if c["ski"] == manager.identity.ski] \
        == [("connected", False)]
    assert session.violations == []


def test_issue26_after_the_managers_own_connection_ends_the_station_connects_to_it(eebus_station, managers):
    """The manager connected first and the station found it by DNS-SD only then: when that connection is lost, the
    station connects out to the manager itself (it keeps its link while the manager's connection lasts)."""
    station = eebus_station()
    manager = managers("grid-guard")
    session = paired_session(station, manager)
    session.discover()
    manager.announce()
    wait_for(lambda: any(d["ski"] == manager.identity.ski for d in eebus(station)["discovered"]), timeout=20,
             what="the station discovering the manager")
    session.abort()  # the network is gone: no SHIP close
    again = manager.accept(timeout=30)
    assert again.discover().device_type == "ChargingStation"
    assert [(c["state"], c["incoming"]) for c in eebus(station)["connections"] if c["ski"] == manager.identity.ski] \
        == [("connected", False)]
    assert again.violations == []


def test_issue26_the_station_reconnects_to_its_manager_with_back_off(eebus_station, managers):
    """The station keeps its connection to the paired manager up (SHIP TS 1.0.1 §12: either side may connect): when
    the connection is lost it connects again, and while the manager is up but refuses (answers the WebSocket upgrade
    503), its attempts come at growing intervals (1 s doubling, ±20 %) until the manager takes it again."""
    station = eebus_station()
    manager = managers("grid-guard")
    manager.announce()
    node = manager.find_station(eebus(station)["ski"])
    manager.trust(node.ski, node.host, node.port)
    code, body = station.request("POST", "/api/eebus/pair", {"ski": manager.identity.ski})
    assert 200 <= code < 300, (code, body)
    session = manager.accept(timeout=30)
    session.discover()
    server = manager.server
    server.refusing = True
    lost = len(server.requests)
    session.abort()  # the network is gone: no SHIP close
    attempts = wait_for(lambda: len(server.requests) >= lost + 3 and server.requests[lost:lost + 3], timeout=30,
                        what="three refused attempts of the station")
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert gaps[1] > gaps[0] * 1.3, f"the back-off did not grow: {gaps}"
    server.refusing = False
    again = manager.accept(timeout=30)
    assert again.discover().device_type == "ChargingStation"
    wait_for(lambda: eebus(station)["pairing"]["state"] == "paired", what="paired again")
    assert again.violations == []
