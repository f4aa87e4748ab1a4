"""Self-test of the EEBUS test peer (no station): the EEBUS JSON form's golden cases, the SPINE model checker, and two
peer instances, a SHIP server and a SHIP client, on loopback with real TLS 1.2 and the SHIP cipher suites through the
whole handshake (CMI, hello, protocol, PIN, access methods) to data, a SPINE read/reply, a subscription with heartbeat
notifies and the orderly close. Fast and deterministic: every wait is for a message, none is a sleep."""
import asyncio
import ssl

import pytest
import websockets

import eebus_json
import ship
import spine
import spine_model
from ship import CONTROL, END, INIT, Identity, ShipError

# ---- EEBUS JSON (SHIP TS 1.0.1 §13.4.1) ------------------------------------------------------------------------------

GOLDEN = [
    ({"connectionHello": {"phase": "ready", "waiting": 60000}},
     b'{"connectionHello":[{"phase":"ready"},{"waiting":60000}]}'),
    ({"messageProtocolHandshake": {"handshakeType": "announceMax", "version": {"major": 1, "minor": 0},
                                   "formats": {"format": ["JSON-UTF8"]}}},
     b'{"messageProtocolHandshake":[{"handshakeType":"announceMax"},{"version":[{"major":1},{"minor":0}]},'
     b'{"formats":[{"format":["JSON-UTF8"]}]}]}'),
    ({"accessMethodsRequest": {}}, b'{"accessMethodsRequest":[]}'),
    # A SPINE list of objects is an array of arrays; entity paths stay arrays of numbers.
    ({"data": {"header": {"protocolId": "ee1.0"}, "payload": {"datagram": {
        "header": {"addressSource": {"device": "d:_i:A", "entity": [1, 1], "feature": 2}, "msgCounter": 7,
                   "cmdClassifier": "reply"},
        "payload": {"cmd": [{"loadControlLimitListData": {"loadControlLimitData": [
            {"limitId": 1, "isLimitActive": True, "value": {"number": 16, "scale": 0}},
            {"limitId": 2, "value": {"number": -15, "scale": -1}}]}}]}}}}},
     b'{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":[{"datagram":[{"header":[{"addressSource":'
     b'[{"device":"d:_i:A"},{"entity":[1,1]},{"feature":2}]},{"msgCounter":7},{"cmdClassifier":"reply"}]},'
     b'{"payload":[{"cmd":[[{"loadControlLimitListData":[{"loadControlLimitData":[[{"limitId":1},'
     b'{"isLimitActive":true},{"value":[{"number":16},{"scale":0}]}],[{"limitId":2},{"value":[{"number":-15},'
     b'{"scale":-1}]}]]}]}]]}]}]}]}]}'),
    ({"x": {"filter": [{"cmdControl": {"partial": {}}}], "names": ["a", "b"], "nested": [[1, 2], []]}},
     b'{"x":[{"filter":[[{"cmdControl":[{"partial":[]}]}]]},{"names":["a","b"]},{"nested":[[1,2],[]]}]}'),
]


@pytest.mark.parametrize("plain,text", GOLDEN)
def test_eebus_json_golden_both_ways(plain, text):
    assert eebus_json.dumps(plain) == text
    assert eebus_json.loads(text) == _empty_objects_as_lists(plain)


def _empty_objects_as_lists(v):
    """`{}` and `[]` are the same EEBUS text; reading gives `[]`."""
    if isinstance(v, dict):
        return {k: _empty_objects_as_lists(x) for k, x in v.items()} if v else []
    if isinstance(v, list):
        return [_empty_objects_as_lists(x) for x in v]
    return v


@pytest.mark.parametrize("text,path", [
    (b'{"a":{"b":1}}', "$.a"),  # a plain object below the top
    (b'{"a":[{"b":1,"c":2}]}', "$.a[0]"),  # a two-member element
    (b'{"a":[{"b":1},{"b":2}]}', "$.a"),  # a repeated member
    (b'{"a":[{"b":1},2]}', "$.a"),  # mixed
    (b'{"a":1,"a":2}', "$"),
    (b'{"a":NaN}', "$"),
    (b'{"a":1}\x00', "$"),  # trailing NUL
    (b'\xff', "$"),
])
def test_eebus_json_refuses_what_is_not_the_eebus_form_naming_the_path(text, path):
    with pytest.raises(eebus_json.EEBUSJSONError) as e:
        eebus_json.loads(text)
    assert e.value.path == path, str(e.value)


# ---- SPINE model checker ---------------------------------------------------------------------------------------------

def _datagram(cmd, classifier="notify", **header):
    h = {"specificationVersion": "1.3.0", "addressSource": {"device": "d:_i:S", "entity": [1, 1], "feature": 3},
         "addressDestination": {"device": "d:_i:P", "entity": [1], "feature": 1}, "msgCounter": 5,
         "cmdClassifier": classifier, **header}
    return {"datagram": {"header": h, "payload": {"cmd": [cmd]}}}


def test_spine_model_accepts_a_well_formed_limit_notify_and_names_every_fault_by_path():
    good = {"loadControlLimitListData": {"loadControlLimitData": [
        {"limitId": 1, "isLimitChangeable": True, "isLimitActive": True, "timePeriod": {"endTime": "PT2H"},
         "value": {"number": 4200, "scale": 0}}]}}
    assert spine_model.check_datagram(_datagram(good)) == []
    bad = {"loadControlLimitListData": {"loadControlLimitData": [
        {"isLimitActive": "yes", "timePeriod": {"endTime": "2 hours"}, "value": {"number": 1.5, "scale": 300},
         "colour": "red"}]}}
    p = "$.datagram.payload.cmd[0].loadControlLimitListData.loadControlLimitData[0]"
    found = spine_model.check_datagram(_datagram(bad))
    assert sorted(found) == sorted([
        f"{p}.isLimitActive: expected a boolean, got 'yes'",
        f"{p}.timePeriod.endTime: expected an xs:dateTime or xs:duration, got '2 hours'",
        f"{p}.value.number: expected an integer, got 1.5",
        f"{p}.value.scale: 300 outside -128..127",
        f"{p}.colour: unknown element",
        f"{p}.limitId: required element missing"]), found


def test_spine_model_checks_the_header_enumerations_and_unknown_functions():
    found = spine_model.check_datagram(_datagram({"resultData": {"errorNumber": 0}}, classifier="result"))
    assert found == ["$.datagram.header.msgCounterReference: required in a result"]
    found = spine_model.check_datagram(_datagram({"measurementDescriptionListData": {"measurementDescriptionData": [
        {"measurementId": 1, "measurementType": "current", "unit": "Amps", "scopeType": "acCurrent"}]}}))
    assert len(found) == 1 and found[0].startswith(
        "$.datagram.payload.cmd[0].measurementDescriptionListData.measurementDescriptionData[0].unit: 'Amps' is not "
        "one of the enumeration"), found
    assert spine_model.check_datagram(_datagram({"fooData": {}})) == [
        "$.datagram.payload.cmd[0].fooData: unknown function data element 'fooData'"]


# ---- SHIP and SPINE between two peer instances -----------------------------------------------------------------------

async def close_both(client, accepted):
    """The orderly close from the client, the server side answering it (its reader confirms)."""
    reader = asyncio.ensure_future(accepted.receive_data())
    assert await client.close() == {"phase": "confirm"}
    with pytest.raises(ShipError):
        await reader


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def _pair(server_trusts=True, client_trusts=True):
    a, b = Identity("server"), Identity("client")
    server = await ship.ShipServer(a, "127.0.0.1", trusted_certificates=[b.certificate_der],
                                   trusted=lambda ski: server_trusts and ski == b.ski).start()
    client = await ship.open_client("127.0.0.1", server.port, b, a.ski, trusted=lambda ski: client_trusts)
    accepted = await asyncio.wait_for(server.accepted.get(), 10)
    return server, client, accepted, a, b


def test_ship_handshake_cmi_to_data_with_tls12_and_the_ship_cipher_then_spine_read_and_close():
    async def body():
        server, client, accepted, a, b = await _pair()
        tls = client.ws.transport.get_extra_info("ssl_object")
        assert tls.version() == "TLSv1.2" and tls.cipher()[0] in ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256")
        assert client.remote_ski == a.ski and accepted.remote_ski == b.ski
        assert client.remote_ship_id == a.ship_id and accepted.remote_ship_id == b.ship_id
        kinds = [(d, t, next(iter(p)) if p else None) for d, t, p in client.transcript]
        assert kinds == [("sent", INIT, None), ("received", INIT, None),
                         ("sent", CONTROL, "connectionHello"), ("received", CONTROL, "connectionHello"),
                         ("sent", CONTROL, "messageProtocolHandshake"), ("received", CONTROL, "messageProtocolHandshake"),
                         ("sent", CONTROL, "messageProtocolHandshake"),
                         ("sent", CONTROL, "connectionPinState"), ("received", CONTROL, "connectionPinState"),
                         ("sent", CONTROL, "accessMethodsRequest"), ("received", CONTROL, "accessMethodsRequest"),
                         ("sent", CONTROL, "accessMethods"), ("received", CONTROL, "accessMethods")], kinds
        # SPINE: the client (a CEM) reads the server's (a grid guard's) detailed discovery and use cases.
        cem = spine.SpineNode(spine.ManagerDevice(b.ski, kind="cem"), client).start()
        guard = spine.SpineNode(spine.ManagerDevice(a.ski, kind="grid-guard"), accepted).start()
        remote = await cem.discover()
        assert remote.device_type == "EnergyManagementSystem" and remote.entities[(1,)] == "GridGuard"
        assert cem.use_cases["useCaseInformation"][0]["actor"] == "EnergyGuard"
        heartbeat = remote.find("DeviceDiagnosis", "server")
        # Subscribe to its heartbeat; the notifies arrive with a rising counter.
        assert await cem.subscribe(cem.device.client("DeviceDiagnosis"), heartbeat) == {"errorNumber": 0}
        guard.start_heartbeat(interval_s=0.05, timeout_s=4)
        beats = await cem.wait_for(lambda n: len(n.notifies("deviceDiagnosisHeartbeatData")) >= 3 and
                                   n.notifies("deviceDiagnosisHeartbeatData"), what="three heartbeats")
        assert [b["heartbeatCounter"] for b in beats[:3]] == sorted(b["heartbeatCounter"] for b in beats[:3])
        assert beats[0]["heartbeatTimeout"] == "PT4S"
        guard.stop_heartbeat()
        # A write to a function that is not writable: result "command rejected".
        result = await cem.write(cem.device.client("DeviceDiagnosis"), heartbeat, "deviceDiagnosisHeartbeatData",
                                 {"heartbeatCounter": 1})
        assert result["errorNumber"] == spine.REJECTED
        assert cem.violations == [] and guard.violations == []
        await cem.close()
        await guard.close()
        reader = asyncio.ensure_future(accepted.receive_data())  # the server side confirms the close
        confirmed = await client.close()
        with pytest.raises(ShipError):
            await reader
        assert confirmed == {"phase": "confirm"}
        assert accepted.close_received["phase"] == "announce" and accepted.close_received["reason"] == "removedConnection"
        assert client.transcript[-1][1] == END
        await server.stop()
    run(body())


def test_ship_pending_hello_turns_ready_on_trust_and_an_untrusting_remote_aborts():
    async def body():
        a, b = Identity("server"), Identity("client")
        server = await ship.ShipServer(a, "127.0.0.1", trusted_certificates=[b.certificate_der],
                                       trusted=lambda ski: False).start()
        client_task = asyncio.ensure_future(ship.open_client("127.0.0.1", server.port, b, a.ski))
        # The server does not trust the client yet: its hello is pending and the handshake waits for the user.
        while not any(c.remote_hello for c in server.connections):
            await asyncio.sleep(0.01)
        assert not client_task.done()
        server.connections[0].trust()
        client = await asyncio.wait_for(client_task, 10)
        phases = [h["phase"] for h in client.remote_hello]
        assert phases == ["pending", "ready"], phases
        await close_both(client, await server.accepted.get())
        # A server whose user never trusts: after its waiting time it sends aborted, which the client reports.
        c = Identity("stranger")
        refusing = await ship.ShipServer(a, "127.0.0.1", trusted_certificates=[c.certificate_der],
                                         trusted=lambda ski: False, waiting_ms=300).start()
        with pytest.raises(ShipError) as e:
            await ship.open_client("127.0.0.1", refusing.port, c, a.ski)
        assert e.value.stage == "hello" and "aborted" in str(e.value), e.value
        assert [h["phase"] for h in refusing.connections[0].transcript and
                [p["connectionHello"] for d, t, p in refusing.connections[0].transcript
                 if d == "sent" and p and "connectionHello" in p]] == ["pending", "aborted"]
        await server.stop()
        await refusing.stop()
    run(body())


def test_tls_refuses_a_client_without_certificate_a_wrong_cipher_and_tls13():
    async def body():
        a, b = Identity("server"), Identity("client")
        server = await ship.ShipServer(a, "127.0.0.1", trusted_certificates=[b.certificate_der]).start()
        bad = [ship.client_context(None),  # no client certificate
               ship.client_context(b, ciphers="ECDHE-ECDSA-AES256-GCM-SHA384"),  # not a SHIP suite
               ship.client_context(b, ciphers=None, tls_version=ssl.TLSVersion.TLSv1_3),
               ship.client_context(Identity("unknown"))]  # a certificate the server does not trust
        for ctx in bad:
            with pytest.raises((ssl.SSLError, ConnectionError, ShipError, websockets.InvalidHandshake)):
                await ship.open_client("127.0.0.1", server.port, b, a.ski, context=ctx)
        assert server.connections == []  # none of them got past TLS
        good = await ship.open_client("127.0.0.1", server.port, b, a.ski)
        assert good.state == "data"
        await close_both(good, await server.accepted.get())
        await server.stop()
    run(body())


def test_fetch_certificate_returns_the_servers_certificate_with_its_ski():
    async def body():
        a, b = Identity("server"), Identity("client")
        server = await ship.ShipServer(a, "127.0.0.1", trusted_certificates=[b.certificate_der]).start()
        der = await asyncio.get_running_loop().run_in_executor(None, ship.fetch_certificate, "127.0.0.1", server.port)
        assert der == a.certificate_der and ship.ski_of_certificate(der) == a.ski
        await server.stop()
    run(body())


def test_two_managers_find_each_other_by_mdns_and_run_ship_and_spine_both_ways_across_namespaces(netns_pair):
    """discovery.py and energy_manager.py for real: one manager in each network namespace, mDNS over the veth pair,
    each trusting the other's SKI from the TXT record, a connection in each direction."""
    from discovery import txt_problems
    from energy_manager import EnergyManager
    st, em = netns_pair.station, netns_pair.manager
    a = EnergyManager("grid-guard", namespace=st, address=st.address, model="A").start()
    b = EnergyManager("cem", namespace=em, address=em.address, model="B").start()
    try:
        a.announce()
        b.announce()
        node_a = b.find_station(a.identity.ski)
        node_b = a.find_station(b.identity.ski)
        assert txt_problems(node_a.txt) == [] and (node_a.host, node_a.port) == (st.address, a.port), node_a.txt
        assert node_a.txt["model"] == "A" and node_a.txt["id"] == a.identity.ship_id and node_a.txt["path"] == "/ship/"
        b.trust(node_a.ski, node_a.host, node_a.port)
        a.trust(node_b.ski, node_b.host, node_b.port)
        # b → a
        session = b.connect(node_a.host, node_a.port, node_a.ski)
        served = a.accept()
        remote = session.discover()
        assert remote.entities[(1,)] == "GridGuard" and session.use_case("limitationOfPowerConsumption")[0] == "EnergyGuard"
        # a → b
        back = a.connect(node_b.host, node_b.port, node_b.ski)
        b.accept()
        assert back.discover().entities[(1,)] == "CEM"
        assert session.violations == [] and served.violations == [] and back.violations == []
    finally:
        a.close()
        b.close()


def test_control_box_and_cem_roles_run_their_scripts_against_a_scripted_charging_station():
    """energy_manager's roles against scripted_station.ScriptedStation (a fixed table of the use cases' data served by
    spine.SpineNode): discovery, use cases, subscriptions, bindings, the LPC writes, heartbeat on and off, the OPEV and
    OSCEV per-phase writes, notifies; and the write without binding answered with error 9."""
    from energy_manager import CEM, ControlBox, EnergyManager
    from scripted_station import ScriptedStation, scaled
    station = EnergyManager("station", device=ScriptedStation).start()
    manager = EnergyManager("grid-guard").start()
    cem_manager = EnergyManager("cem").start()
    try:
        for m in (manager, cem_manager):
            station.trusted_skis.add(m.identity.ski)
            station.server.trust_certificate(m.identity.certificate_der)
            m.trust(station.identity.ski, "127.0.0.1", station.port)
        # LPC, the control box.
        session = manager.connect("127.0.0.1", station.port, station.identity.ski)
        served = station.accept()
        session.discover()
        unbound = session.write(session.remote.find("LoadControl", entity=[1]), "loadControlLimitListData",
                                {"loadControlLimitData": [{"limitId": 1, "isLimitActive": True, "value": scaled(1)}]})
        assert unbound["errorNumber"] == spine.BINDING_REQUIRED
        box = ControlBox(session).setup(heartbeat_interval_s=0.05)
        assert box.actor == "ControllableSystem" and box.entity == [1] and box.limit_id == 1
        assert box.bindings == {"LoadControl": {"errorNumber": 0}, "DeviceConfiguration": {"errorNumber": 0}}
        assert box.write_limit(6900, duration="PT1H") == {"errorNumber": 0}
        lpc = served.node.device.feature_at([1], 3)
        assert lpc.data["loadControlLimitListData"]["loadControlLimitData"] == [
            {"limitId": 1, "isLimitChangeable": True, "isLimitActive": True, "value": scaled(6900),
             "timePeriod": {"endTime": "PT1H"}}]
        session.wait_for(lambda n: any((box.lpc_limit(d) or {}).get("value") == scaled(6900)
                                       for d in n.notifies("loadControlLimitListData")), what="the limit notify")
        assert box.write_failsafe(4830, "PT2H") == {"errorNumber": 0}
        values = served.node.device.feature_at([1], 4).data["deviceConfigurationKeyValueListData"]
        assert values["deviceConfigurationKeyValueData"][0]["value"] == {"scaledNumber": scaled(4830)}
        # The station subscribes to our heartbeat; stopping it stops the notifies.
        served.discover()
        assert served.subscribe(served.remote.find("DeviceDiagnosis", "server", entity=[1])) == {"errorNumber": 0}
        served.wait_for(lambda n: len(n.notifies("deviceDiagnosisHeartbeatData")) >= 2, what="two heartbeats")
        last = box.s.stop_heartbeat()
        served.wait_for(lambda n: n.notifies("deviceDiagnosisHeartbeatData")[-1]["heartbeatCounter"] == last,
                        what="the last heartbeat")
        # OPEV/OSCEV, the CEM.
        cem_session = cem_manager.connect("127.0.0.1", station.port, station.identity.ski)
        served_cem = station.accept()
        cem = CEM(cem_session, connector=1).setup()
        assert cem.wait_for_ev() == {"errorNumber": 0}
        assert cem.phase_limit_ids("obligation") == {"a": 1, "b": 2, "c": 3}
        assert cem.phase_limit_ids("recommendation") == {"a": 4, "b": 5, "c": 6}
        assert cem.write_currents("obligation", {"a": 12, "b": 12, "c": 12}) == {"errorNumber": 0}
        assert cem.write_currents("recommendation", {"a": 8.5, "b": 8.5, "c": 8.5}) == {"errorNumber": 0}
        limits = {d["limitId"]: (d["isLimitActive"], d["value"]) for d in
                  served_cem.node.device.feature_at([1, 1], 5).data["loadControlLimitListData"]["loadControlLimitData"]}
        assert limits == {1: (True, scaled(120, -1)), 2: (True, scaled(120, -1)), 3: (True, scaled(120, -1)),
                          4: (True, scaled(85, -1)), 5: (True, scaled(85, -1)), 6: (True, scaled(85, -1))}
        # A measurement notify: the CEM sees the per-phase currents.
        measurement = served_cem.node.device.ev_measurement
        measurement.data["measurementListData"] = {"measurementData": [
            {"measurementId": i + 1, "valueType": "value", "value": scaled(85, -1)} for i in range(3)]}
        served_cem.run(served_cem.node.notify_subscribers(measurement, "measurementListData"))
        cem.s.wait_for(lambda n: cem.measurements().get(("current", "acCurrent", "c")) == 8.5, what="8.5 A on c")
        assert session.violations == [] and served.violations == [] and cem.s.violations == [] \
            and served_cem.violations == []
    finally:
        for m in (manager, cem_manager, station):
            m.close()


def test_discovery_notifies_add_and_remove_the_ev_entity():
    """SPINE TS §7.3.3: a partial detailed discovery notify adds an entity with its features, one whose entity says
    `lastStateChange` removed takes it away, a full one describes the device anew."""
    node = spine.SpineNode(spine.ManagerDevice("ab" * 20), ship=None)
    station = "d:_i:S"
    base = {"deviceInformation": {"description": {"deviceAddress": {"device": station}, "deviceType": "ChargingStation"}},
            "entityInformation": [{"description": {"entityAddress": {"entity": [1]}, "entityType": "EVSE"}}],
            "featureInformation": [{"description": {"featureAddress": {"entity": [1], "feature": 1},
                                                    "featureType": "DeviceDiagnosis", "role": "server"}}]}
    node.remote = spine.RemoteDevice(base)
    ev = {"entityInformation": [{"description": {"entityAddress": {"entity": [1, 1]}, "entityType": "EV",
                                                 "lastStateChange": "added"}}],
          "featureInformation": [{"description": {"featureAddress": {"entity": [1, 1], "feature": 6},
                                                  "featureType": "LoadControl", "role": "server"}}]}
    partial = [{"cmdControl": {"partial": {}}}]
    node._merge_discovery(ev, partial)
    assert node.remote.entities == {(1,): "EVSE", (1, 1): "EV"}
    assert node.remote.find("LoadControl", entity=[1, 1])["address"] == {"device": station, "entity": [1, 1], "feature": 6}
    gone = {"entityInformation": [{"description": {"entityAddress": {"entity": [1, 1]}, "entityType": "EV",
                                                   "lastStateChange": "removed"}}]}
    node._merge_discovery(gone, partial)
    assert node.remote.entities == {(1,): "EVSE"} and node.remote.find("LoadControl") is None
    node._merge_discovery(ev, partial)
    node._merge_discovery(base, [])
    assert node.remote.entities == {(1,): "EVSE"}
