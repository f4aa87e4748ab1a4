"""The energy manager peer with its scripted roles, for synchronous tests.

`EnergyManager` runs SHIP and SPINE on an asyncio loop in its own thread (inside the manager's network namespace when
one is given, so its sockets live there), announces itself by mDNS and offers blocking methods. `Session` is one SHIP +
SPINE connection to the station. Two roles drive a session the way the EEBUS use cases describe:

- `ControlBox`: the §14a control box / Energy Guard of EEBUS UC TS LimitationOfPowerConsumption 1.0.0 (LPC):
  scenario 1 writes the active power consumption limit (LoadControl `loadControlLimitListData`, the limit described
  as signDependentAbsValueLimit / obligation / consume / activePowerLimit, in W, optionally with a duration as
  `timePeriod.endTime`), scenario 2 writes the failsafe values (DeviceConfiguration `failsafeConsumptionActivePowerLimit`
  in W and `failsafeDurationMinimum`, 2 h to 24 h), scenario 3 is the heartbeat in both directions (ours as
  DeviceDiagnosis `heartbeatData` notifies; stopping it makes the station fall back to the failsafe limit), scenario 4
  reads ElectricalConnection `contractualConsumptionNominalMax`.
- `CEM`: a home energy manager as evcc drives a charger: reads EVSECC/EVCC/EVCEM data (EEBUS UC TS
  EVSECommissioningAndConfiguration, EVCommissioningAndConfiguration, MeasurementOfElectricityDuringEVCharging 1.0.1),
  writes OPEV obligations (OverloadProtectionByEVChargingCurrentCurtailment 1.0.1: maxValueLimit / obligation /
  overloadProtection, A per phase) and OSCEV recommendations (OptimizationOfSelfConsumptionDuringEVCharging 1.0.1:
  recommendation / selfConsumption) and watches the measurement notifies."""
import asyncio
import threading

import ship
import spine
from discovery import Discovery


class LoopThread:
    """An asyncio loop in a daemon thread, started inside `namespace` (a netns.Namespace) when given."""

    def __init__(self, namespace=None):
        self.namespace = namespace
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.error = None

        def body():
            try:
                if namespace is not None:
                    namespace.enter_this_thread()
            except BaseException as e:
                self.error = e
                started.set()
                return
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(started.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=body, name="eebus-peer", daemon=True)
        self.thread.start()
        started.wait(10)
        if self.error:
            raise self.error

    def run(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class EnergyManager:
    """Our energy manager: identity, SHIP server, mDNS; `kind` is "grid-guard" (ControlBox) or "cem" (CEM)."""

    def __init__(self, kind="grid-guard", namespace=None, address="127.0.0.1", brand="ChargeKit Tests",
                 model="Peer EM", identity=None, device=None):
        self.kind, self.namespace, self.address = kind, namespace, address
        self.device = device  # a factory of the spine.Device to serve instead of the manager (the self-test's station)
        self.brand, self.model = brand, model
        self.identity = identity or ship.Identity(f"{brand} {model}")
        self.trusted_skis = set()
        self.loop = LoopThread(namespace)
        self.server = None
        self.discovery = None
        self.sessions = []

    def start(self):
        self.server = self.loop.run(ship.ShipServer(self.identity, self.address, trusted=lambda ski: ski in self.trusted_skis).start())
        return self

    @property
    def port(self):
        return self.server.port

    def _discovery(self):
        if self.discovery is None:
            make = lambda: Discovery(self.address)  # noqa: E731
            self.discovery = self.namespace.call(make) if self.namespace is not None else make()
            self.discovery.browse()
        return self.discovery

    def announce(self):
        """Registers our `_ship._tcp` service (SHIP TS 1.0.1 §7.3.2) so the station can list and reach us."""
        return self._discovery().register(self.identity, self.port, self.brand, self.model)

    def find_station(self, ski=None, timeout=15):
        """The station's SHIP node by mDNS (the one with `ski` if given)."""
        return self._discovery().wait_for(lambda n: ski is None or n.ski == ski.lower(), timeout,
                                          what=f"SHIP node {ski or ''}")

    def trust(self, ski, host=None, port=None):
        """Trusts a remote SKI (as a user does); with host/port also fetches its certificate so the remote can connect
        to our server (see ship.py: Python's TLS server trusts certificates, we check the SKI)."""
        self.trusted_skis.add(ski.lower())
        if host is not None:
            der = self.loop.run(self._fetch(host, port))
            got = ship.ski_of_certificate(der)
            if got != ski.lower():
                raise AssertionError(f"the certificate at {host}:{port} has SKI {got}, the station announced {ski}")
            self.server.trust_certificate(der)
            return der

    async def _fetch(self, host, port):
        return await asyncio.get_running_loop().run_in_executor(None, ship.fetch_certificate, host, port)

    def connect(self, host, port, ski, path=ship.PATH, handshake=True, context=None, waiting_ms=ship.T_HELLO_INIT_MS):
        """A SHIP connection to the station (checking its certificate's SKI) up to data, with a SPINE node."""
        conn = self.loop.run(ship.open_client(host, port, self.identity, ski, path=path,
                                              trusted=lambda s: s in self.trusted_skis, handshake=handshake,
                                              context=context, waiting_ms=waiting_ms), waiting_ms / 1000 + 30)
        return self._session(conn) if handshake else conn

    def accept(self, timeout=30):
        """The next connection the station opened to us that completed the handshake."""
        conn = self.loop.run(asyncio.wait_for(self.server.accepted.get(), timeout), timeout + 5)
        return self._session(conn)

    def _session(self, conn):
        async def make():
            device = self.device() if self.device else spine.ManagerDevice(self.identity.ski, self.kind, self.brand,
                                                                           self.model)
            node = spine.SpineNode(device, conn)
            return node.start()
        session = Session(self, conn, self.loop.run(make()))
        self.sessions.append(session)
        return session

    def close(self):
        for s in self.sessions:
            s.close()
        if self.server is not None:
            self.loop.run(self.server.stop())
        if self.discovery is not None:
            self.discovery.close()
        self.loop.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Session:
    """One SHIP + SPINE connection; every method blocks until done."""

    def __init__(self, manager, conn, node):
        self.manager, self.ship, self.node = manager, conn, node
        self.run = manager.loop.run
        self.closed = False

    @property
    def violations(self):
        return list(self.node.violations)

    @property
    def remote(self):
        return self.node.remote

    def discover(self):
        return self.run(self.node.discover())

    def read_use_cases(self):
        """Reads the station's nodeManagementUseCaseData again (it changes when a vehicle plugs in)."""
        nm = self.node.device.features[0]
        self.node.use_cases = self.run(self.node.read(nm, spine.address(self.remote.device, [0], 0),
                                                      "nodeManagementUseCaseData"))
        return self.node.use_cases

    def use_case(self, name):
        """(actor, entity, support) of the station's use case `name`, or None."""
        for info in self.node.use_cases.get("useCaseInformation", []):
            for support in info.get("useCaseSupport", []):
                if support.get("useCaseName") == name:
                    return info.get("actor"), list(info.get("address", {}).get("entity", [])), support
        return None

    def read(self, feature_type, function, entity, role="server"):
        feature = self.remote.find(feature_type, role, entity=entity)
        if feature is None:
            raise AssertionError(f"the station has no {feature_type} {role} on entity {entity}")
        return self.run(self.node.read(self.node.device.client(feature_type), feature["address"], function))

    def subscribe(self, feature):
        return self.run(self.node.subscribe(self.node.device.client(feature["type"]), feature))

    def bind(self, feature):
        return self.run(self.node.bind(self.node.device.client(feature["type"]), feature))

    def write(self, feature, function, data, partial=None):
        if partial is None:
            partial = feature["functions"].get(function, {}).get("partial", False)
        return self.run(self.node.write(self.node.device.client(feature["type"]), feature, function, data, partial))

    def wait_for(self, predicate, timeout=10, what="a condition"):
        return self.run(self.node.wait_for(predicate, timeout, what), timeout + 5)

    def start_heartbeat(self, interval_s=1.0, timeout_s=4):
        self.manager.loop.loop.call_soon_threadsafe(self.node.start_heartbeat, interval_s, timeout_s)

    def stop_heartbeat(self):
        async def stop():
            self.node.stop_heartbeat()
            return self.node.heartbeat_counter
        return self.run(stop())

    def send_raw(self, data):
        """Bytes straight into the WebSocket (hostile input)."""
        return self.run(self.ship.send_raw(data))

    def abort(self):
        """Drops the connection without a SHIP or WebSocket close, as a network failure does."""
        async def abort():
            await self.node.close()
            self.ship.ws.transport.abort()
        self.closed = True
        self.run(abort())

    def wait_closed(self, timeout=10):
        """Waits until the station ends the connection; returns the reason the reader saw."""
        return self.wait_for(lambda n: n.closed, timeout, "the station to close the connection")

    def close(self):
        if self.closed:
            return
        self.closed = True

        async def close():
            await self.node.close()
            if self.ship.ws.state.name == "OPEN":
                await self.ship.close()
        try:
            self.run(close(), 15)
        except Exception:  # the station may have gone already: nothing left to close
            pass


class ControlBox:
    """The LPC Energy Guard role on a session (see the module docstring)."""

    def __init__(self, session):
        self.s = session

    def setup(self, heartbeat_interval_s=1.0, heartbeat_timeout_s=4):
        s = self.s
        s.discover()
        found = s.use_case("limitationOfPowerConsumption")
        assert found is not None, f"the station does not announce LPC: {s.node.use_cases}"
        self.actor, self.entity, self.support = found
        self.load_control = s.remote.find("LoadControl", entity=self.entity)
        self.configuration = s.remote.find("DeviceConfiguration", entity=self.entity)
        self.diagnosis = s.remote.find("DeviceDiagnosis", entity=self.entity) or s.remote.find("DeviceDiagnosis")
        self.connection = s.remote.find("ElectricalConnection", entity=self.entity)
        descriptions = s.read("LoadControl", "loadControlLimitDescriptionListData", self.entity)
        lpc = [d for d in descriptions.get("loadControlLimitDescriptionData", [])
               if d.get("limitType") == "signDependentAbsValueLimit" and d.get("limitCategory") == "obligation"
               and d.get("limitDirection") == "consume" and d.get("scopeType") == "activePowerLimit"]
        assert len(lpc) == 1, f"expected one LPC limit description, got {descriptions}"
        self.limit_description = lpc[0]
        self.limit_id = lpc[0]["limitId"]
        keys = s.read("DeviceConfiguration", "deviceConfigurationKeyValueDescriptionListData", self.entity)
        self.key_ids = {d.get("keyName"): d["keyId"] for d in keys.get("deviceConfigurationKeyValueDescriptionData", [])}
        self.subscriptions = {f["type"]: s.subscribe(f) for f in
                              (self.load_control, self.configuration, self.diagnosis, self.connection) if f}
        self.bindings = {f["type"]: s.bind(f) for f in (self.load_control, self.configuration)}
        s.start_heartbeat(heartbeat_interval_s, heartbeat_timeout_s)
        return self

    def limits(self):
        return self.s.read("LoadControl", "loadControlLimitListData", self.entity)

    def lpc_limit(self, data=None):
        data = data if data is not None else self.limits()
        return next((d for d in data.get("loadControlLimitData", []) if d.get("limitId") == self.limit_id), None)

    def write_limit(self, watts, active=True, duration=None):
        """LPC scenario 1; `duration` an xs:duration such as "PT1H" (the limit ends after it)."""
        entry = {"limitId": self.limit_id, "isLimitActive": active, "value": {"number": int(watts), "scale": 0}}
        if duration is not None:
            entry["timePeriod"] = {"endTime": duration}
        return self.s.write(self.load_control, "loadControlLimitListData", {"loadControlLimitData": [entry]})

    def write_failsafe(self, watts=None, duration=None):
        """LPC scenario 2: the failsafe consumption active power limit (W) and/or the failsafe duration minimum."""
        entries = []
        if watts is not None:
            entries.append({"keyId": self.key_ids["failsafeConsumptionActivePowerLimit"],
                            "value": {"scaledNumber": {"number": int(watts), "scale": 0}}})
        if duration is not None:
            entries.append({"keyId": self.key_ids["failsafeDurationMinimum"], "value": {"duration": duration}})
        return self.s.write(self.configuration, "deviceConfigurationKeyValueListData",
                            {"deviceConfigurationKeyValueData": entries})


def scaled(v):
    return v["number"] * 10 ** v.get("scale", 0)


class CEM:
    """The CEM role for one connector (EVSE entity [n], EV entity [n, 1]); see the module docstring."""

    SCOPES = {"obligation": "overloadProtection", "recommendation": "selfConsumption"}

    def __init__(self, session, connector=1):
        self.s, self.connector = session, connector
        self.data = {}

    def setup(self):
        s = self.s
        s.discover()
        self.evse = [self.connector]
        self.ev = [self.connector, 1]
        return self

    def wait_for_ev(self, timeout=20):
        """Waits for the EV entity (a detailed discovery notify when a vehicle plugs in), then subscribes to and
        reads every server feature of the EVSE and the EV, and binds the EV's LoadControl."""
        self.s.wait_for(lambda n: n.remote.entities.get(tuple(self.ev)) == "EV", timeout, f"EV entity {self.ev}")
        for entity in (self.evse, self.ev):
            for f in [f for f in self.s.remote.features if f["role"] == "server" and list(f["address"]["entity"]) == entity]:
                result = self.s.subscribe(f)
                assert result.get("errorNumber") == 0, f"subscription to {f['type']} on {entity}: {result}"
                for fn, ops in f["functions"].items():
                    if ops["read"]:
                        self.data[(tuple(entity), fn)] = self.s.read(f["type"], fn, entity)
        self.load_control = self.s.remote.find("LoadControl", entity=self.ev)
        assert self.load_control is not None, "the EV entity has no LoadControl server (OPEV/OSCEV)"
        return self.s.bind(self.load_control)

    def phase_limit_ids(self, category):
        """{phase: limitId} of the per-phase current limits of `category` (obligation: OPEV, recommendation: OSCEV),
        the phase taken from ElectricalConnection parameterDescription by measurementId."""
        descriptions = self.data[(tuple(self.ev), "loadControlLimitDescriptionListData")].get("loadControlLimitDescriptionData", [])
        params = self.data[(tuple(self.ev), "electricalConnectionParameterDescriptionListData")].get(
            "electricalConnectionParameterDescriptionData", [])
        phase_of = {p["measurementId"]: p.get("acMeasuredPhases") for p in params if "measurementId" in p}
        return {phase_of.get(d.get("measurementId")): d["limitId"] for d in descriptions
                if d.get("limitCategory") == category and d.get("limitType") == "maxValueLimit"
                and d.get("unit") == "A" and d.get("scopeType") == self.SCOPES[category]}

    def write_currents(self, category, amps, active=True):
        """Writes per-phase current limits ({"a": 10, "b": 10, "c": 10}) of `category`; returns the resultData."""
        ids = self.phase_limit_ids(category)
        entries = [{"limitId": ids[p], "isLimitActive": active, "value": {"number": int(round(a * 10)), "scale": -1}}
                   for p, a in amps.items()]
        return self.s.write(self.load_control, "loadControlLimitListData", {"loadControlLimitData": entries})

    def measurements(self):
        """{(measurementType, scopeType, phase): value} from the read measurement list and every notify since."""
        ev = tuple(self.ev)
        desc = {d["measurementId"]: d for d in self.data[(ev, "measurementDescriptionListData")].get("measurementDescriptionData", [])}
        params = self.data[(ev, "electricalConnectionParameterDescriptionListData")].get("electricalConnectionParameterDescriptionData", [])
        phase_of = {p["measurementId"]: p.get("acMeasuredPhases") for p in params if "measurementId" in p}
        values = {}
        for data in [self.data[(ev, "measurementListData")]] + self.s.node.notifies("measurementListData", self.ev):
            for m in data.get("measurementData", []):
                d = desc.get(m.get("measurementId"), {})
                if "value" in m:
                    values[(d.get("measurementType"), d.get("scopeType"), phase_of.get(m["measurementId"]))] = scaled(m["value"])
        return values
