"""SPINE for the test peer (an energy manager), written from EEBUS SPINE TS 1.3.0 and its resource specification 1.3.0.

- Datagram (SPINE TS §5.2): `{"datagram": {"header": {...}, "payload": {"cmd": [...]}}}`; the header carries
  `specificationVersion`, `addressSource` / `addressDestination` (device, entity path, feature), `msgCounter`,
  `msgCounterReference` (the request a reply/result answers), `cmdClassifier` (read, reply, notify, write, call,
  result) and `ackRequest` (§5.2.5: the receiver answers a write/notify with `resultData`).
- Device model (§7): device → entities (`[0]` DeviceInformation with NodeManagement) → features with a role and their
  supported functions. `ManagerDevice` is ours; `RemoteDevice` is what the station's detailed discovery describes.
- NodeManagement (§7.3–§7.5): detailed discovery and use-case data are read from the station and served to it (the
  station reads ours and subscribes to our DeviceDiagnosis heartbeat); subscriptions and bindings are requested with
  `nodeManagementSubscriptionRequestCall` / `nodeManagementBindingRequestCall` (a write needs a binding, §7.4.2).

`SpineNode` runs over one SHIP connection on an asyncio loop: every received datagram is checked by spine_model.py
(violations are collected, a test asserts none), reads of our features are answered, calls and notifies are
acknowledged, and replies/results resolve the request that is waiting for them."""
import asyncio
import datetime

import spine_model
from ship import ShipError

SPEC_VERSION = "1.3.0"
# errorNumberType (SPINE TS §5.2.5 / resource specification resultData): the ones this peer uses or expects.
OK, GENERAL_ERROR, NOT_SUPPORTED, REJECTED, BINDING_REQUIRED = 0, 1, 6, 7, 9


def address(device, entity, feature=None):
    a = {"device": device} if device is not None else {}
    a["entity"] = list(entity)
    if feature is not None:
        a["feature"] = feature
    return a


def same_feature(a, b):
    return a.get("device") == b.get("device") and list(a.get("entity", [])) == list(b.get("entity", [])) \
        and a.get("feature") == b.get("feature")


class LocalFeature:
    def __init__(self, entity, index, feature_type, role, functions=(), writable=()):
        self.entity, self.index, self.type, self.role = list(entity), index, feature_type, role
        self.functions = list(functions)  # readable functions of a server
        self.writable = set(writable)
        self.data = {}  # function → plain data served on read


class Device:
    """A SPINE device as SpineNode serves it: `device` (its address), `device_type`, `entities` [(entity path, type)],
    `features` (LocalFeature, NodeManagement first), `use_case_information` (the nodeManagementUseCaseData list),
    `heartbeat_server` (the DeviceDiagnosis server whose heartbeat SpineNode notifies, or None)."""

    heartbeat_server = None
    use_case_information = ()

    def client(self, feature_type):
        return next(f for f in self.features if f.type == feature_type and f.role == "client")

    def feature_at(self, entity, index):
        return next((f for f in self.features if f.entity == list(entity) and f.index == index), None)

    def addr(self, feature):
        return address(self.device, feature.entity, feature.index)

    def use_cases(self):
        return {"useCaseInformation": list(self.use_case_information)}

    def apply_write(self, feature, function, data, filters):
        """Merges a bound client's write into the feature's data (SPINE TS §5.3.4: with a `partial` filter the listed
        entries replace the ones with the same key, otherwise the whole list is replaced); returns an errorNumber."""
        partial = any("partial" in (f.get("cmdControl") or {}) for f in filters if isinstance(f, dict))
        if not partial or function not in LIST_KEYS:
            feature.data[function] = data
            return OK
        entry, keys = LIST_KEYS[function]
        current = {tuple(e.get(k) for k in keys): e for e in feature.data.get(function, {}).get(entry, [])}
        for e in data.get(entry, []):
            key = tuple(e.get(k) for k in keys)
            if key not in current:
                return REJECTED
            current[key] = {**current[key], **e}
        feature.data[function] = {entry: list(current.values())}
        return OK

    def detailed_discovery(self):
        features = []
        for f in self.features:
            ops = []
            for fn in f.functions:
                op = {"read": {}}
                if fn in f.writable:
                    op["write"] = {"partial": {}} if fn in LIST_KEYS else {}
                ops.append({"function": fn, "possibleOperations": op})
            d = {"featureAddress": self.addr(f), "featureType": f.type, "role": f.role}
            if ops:
                d["supportedFunction"] = ops
            features.append({"description": d})
        return {"specificationVersionList": {"specificationVersion": [SPEC_VERSION]},
                "deviceInformation": {"description": {"deviceAddress": {"device": self.device},
                                                      "deviceType": self.device_type, "networkFeatureSet": "simple"}},
                "entityInformation": [{"description": {"entityAddress": {"device": self.device, "entity": list(e)},
                                                       "entityType": t}} for e, t in self.entities],
                "featureInformation": features}


# The key elements of the list functions that can be written partially (SPINE resource specification 1.3.0).
LIST_KEYS = {"loadControlLimitListData": ("loadControlLimitData", ("limitId",)),
             "deviceConfigurationKeyValueListData": ("deviceConfigurationKeyValueData", ("keyId",))}


class ManagerDevice(Device):
    """Our device: the energy manager. `kind` "grid-guard" is a §14a control box (EEBUS UC TS
    LimitationOfPowerConsumption 1.0.0: actor EnergyGuard, entity GridGuard); "cem" is a home energy manager (actor
    CEM, entity CEM) for EVSECC/EVCC/EVCEM/OPEV/OSCEV 1.0.1. Both get the client features of the use cases, a
    DeviceDiagnosis server with heartbeatData (LPC scenario 3) and a DeviceDiagnosis client."""

    CLIENT_FEATURES = ["LoadControl", "DeviceConfiguration", "DeviceDiagnosis", "ElectricalConnection", "Measurement",
                       "Identification", "DeviceClassification"]

    def __init__(self, ski, kind="grid-guard", brand="ChargeKit Tests", model="Peer EM"):
        self.kind = kind
        self.device = f"d:_i:CKPEER_{ski[:12]}"
        self.device_type = "EnergyManagementSystem"
        self.entity = [1]
        self.entity_type = "GridGuard" if kind == "grid-guard" else "CEM"
        self.entities = [([0], "DeviceInformation"), (self.entity, self.entity_type)]
        nm = LocalFeature([0], 0, "NodeManagement", "special",
                          ["nodeManagementDetailedDiscoveryData", "nodeManagementUseCaseData",
                           "nodeManagementDestinationListData"])
        dc = LocalFeature([0], 1, "DeviceClassification", "server", ["deviceClassificationManufacturerData"])
        dc.data["deviceClassificationManufacturerData"] = {"deviceName": model, "deviceCode": "CKPEER",
                                                           "brandName": brand, "vendorName": brand}
        self.features = [nm, dc]
        for i, t in enumerate(self.CLIENT_FEATURES, start=1):
            self.features.append(LocalFeature(self.entity, i, t, "client"))
        self.heartbeat_server = LocalFeature(self.entity, len(self.features) - 1, "DeviceDiagnosis", "server",
                                             ["deviceDiagnosisHeartbeatData"])
        self.features.append(self.heartbeat_server)
        nm.data["nodeManagementDestinationListData"] = {"nodeManagementDestinationData": [
            {"deviceDescription": {"deviceAddress": {"device": self.device}, "deviceType": self.device_type,
                                   "networkFeatureSet": "simple"}}]}

    @property
    def use_case_information(self):
        if self.kind == "grid-guard":
            support = [("limitationOfPowerConsumption", "1.0.0", [1, 2, 3, 4])]
            actor = "EnergyGuard"
        else:
            support = [("evseCommissioningAndConfiguration", "1.0.1", [1, 2]),
                       ("evCommissioningAndConfiguration", "1.0.1", [1, 2, 3, 4, 5, 6, 7, 8]),
                       ("measurementOfElectricityDuringEvCharging", "1.0.1", [1, 2, 3]),
                       ("overloadProtectionByEvChargingCurrentCurtailment", "1.0.1", [1, 2, 3]),
                       ("optimizationOfSelfConsumptionDuringEvCharging", "1.0.1", [1, 2, 3])]
            actor = "CEM"
        return [{"address": {"device": self.device, "entity": self.entity}, "actor": actor,
                 "useCaseSupport": [{"useCaseName": n, "useCaseVersion": v, "useCaseAvailable": True,
                                     "scenarioSupport": sc, "useCaseDocumentSubRevision": "release"}
                                    for n, v, sc in support]}]


class RemoteDevice:
    """The station as its detailed discovery (SPINE TS §7.3.2) describes it."""

    def __init__(self, discovery):
        info = discovery.get("deviceInformation", {}).get("description", {})
        self.device = info.get("deviceAddress", {}).get("device")
        self.device_type = info.get("deviceType")
        self.entities = {tuple(e["description"]["entityAddress"]["entity"]): e["description"].get("entityType")
                         for e in discovery.get("entityInformation", [])}
        self.features = []
        for f in discovery.get("featureInformation", []):
            d = f["description"]
            functions = {}
            for s in d.get("supportedFunction", []):
                ops = s.get("possibleOperations", {}) or {}
                write = ops.get("write")
                functions[s["function"]] = {"read": "read" in ops, "write": write is not None,
                                            "partial": isinstance(write, dict) and "partial" in write}
            addr = dict(d["featureAddress"])
            addr.setdefault("device", self.device)
            self.features.append({"address": addr, "type": d.get("featureType"), "role": d.get("role"),
                                  "functions": functions, "entityType": self.entities.get(tuple(addr["entity"]))})

    def find(self, feature_type, role="server", entity=None, entity_type=None):
        """The first feature of that type and role (on that entity / entity type); None if there is none."""
        for f in self.features:
            if f["type"] == feature_type and f["role"] == role \
                    and (entity is None or list(f["address"]["entity"]) == list(entity)) \
                    and (entity_type is None or f["entityType"] == entity_type):
                return f
        return None

    def entities_of_type(self, entity_type):
        return [list(e) for e, t in self.entities.items() if t == entity_type]


class SpineError(Exception):
    pass


class SpineNode:
    """SPINE over one SHIP connection; see the module docstring. Create and use it on the connection's event loop."""

    def __init__(self, device, ship, check=spine_model.check_datagram):
        self.device, self.ship, self.check = device, ship, check
        self.msg_counter = 0
        self.pending = {}  # msgCounter → Future of the answering datagram
        self.received = []  # every datagram received, plain
        self.violations = []  # spine_model findings and protocol faults, as text
        self.subscribers = []  # (client address, server address) the station subscribed to our server features
        self.bindings = []
        self.remote = None
        self.closed = None  # why the reader stopped
        self._changed = asyncio.Condition()
        self._reader = None
        self._heartbeat = None
        self.heartbeat_counter = 0
        self.heartbeats_sent = 0

    # ---- plumbing -----------------------------------------------------------------------------------------------
    def start(self):
        self._reader = asyncio.ensure_future(self._read_loop())
        return self

    async def _read_loop(self):
        try:
            while True:
                payload = await self.ship.receive_data(timeout=3600)
                await self._handle(payload)
        except ShipError as e:
            self.closed = str(e)
        except Exception as e:  # a fault of the peer itself must surface in the test, not vanish
            self.closed = f"peer fault: {e!r}"
            self.violations.append(self.closed)
        async with self._changed:
            self._changed.notify_all()

    async def send(self, classifier, source, destination, cmd, ack=False, reference=None, answer=None):
        """Sends one datagram; `answer` (a Future) is registered for the reply/result before the bytes leave, so an
        answer that arrives while the send is still draining is not lost."""
        self.msg_counter += 1
        if answer is not None:
            self.pending[self.msg_counter] = answer
        header = {"specificationVersion": SPEC_VERSION, "addressSource": source, "addressDestination": destination,
                  "msgCounter": self.msg_counter}
        if reference is not None:
            header["msgCounterReference"] = reference
        header["cmdClassifier"] = classifier
        if ack:
            header["ackRequest"] = True
        await self.ship.send_data({"datagram": {"header": header, "payload": {"cmd": [cmd]}}})
        return self.msg_counter

    async def request(self, classifier, source, destination, cmd, ack=False, timeout=10):
        future = asyncio.get_running_loop().create_future()
        counter = await self.send(classifier, source, destination, cmd, ack=ack, answer=future)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise SpineError(f"no answer to {classifier} {list(cmd)} (msgCounter {counter}) within {timeout} s") from None
        finally:
            self.pending.pop(counter, None)

    async def _handle(self, payload):
        datagram = payload.get("datagram") if isinstance(payload, dict) else None
        for v in self.check(payload):
            self.violations.append(v)
        if datagram is None:
            return
        self.received.append(datagram)
        header, cmds = datagram.get("header", {}), datagram.get("payload", {}).get("cmd", [])
        classifier = header.get("cmdClassifier")
        ref = header.get("msgCounterReference")
        if classifier in ("reply", "result") and ref in self.pending and not self.pending[ref].done():
            self.pending[ref].set_result(datagram)
        elif classifier == "read":
            await self._answer_read(header, cmds)
        elif classifier == "call":
            await self._answer_call(header, cmds)
        elif classifier == "write":
            await self._answer_write(header, cmds)
        elif classifier == "notify":
            for cmd in cmds:
                if "nodeManagementDetailedDiscoveryData" in cmd and self.remote is not None:
                    self._merge_discovery(cmd["nodeManagementDetailedDiscoveryData"], cmd.get("filter", []))
                if "nodeManagementUseCaseData" in cmd:
                    self.use_cases = cmd["nodeManagementUseCaseData"] or {}
            if header.get("ackRequest"):
                await self._result(header, OK)
        async with self._changed:
            self._changed.notify_all()

    async def _result(self, header, error, description=None):
        data = {"errorNumber": error}
        if description:
            data["description"] = description
        source = {**header.get("addressDestination", {}), "device": self.device.device}
        await self.send("result", source, header["addressSource"], {"resultData": data},
                        reference=header.get("msgCounter"))

    @staticmethod
    def function_of(cmd):
        names = [k for k in cmd if k not in ("function", "filter", "manufacturerSpecificExtension", "lastUpdateAt")]
        return names[0] if len(names) == 1 else None

    async def _answer_read(self, header, cmds):
        dest = header.get("addressDestination", {})
        feature = self.device.feature_at(dest.get("entity", []), dest.get("feature"))
        fn = self.function_of(cmds[0]) if cmds else None
        if feature is None or fn is None or fn not in feature.functions:
            await self._result(header, NOT_SUPPORTED, f"no readable function {fn} at {dest}")
            return
        if fn == "nodeManagementDetailedDiscoveryData":
            data = self.device.detailed_discovery()
        elif fn == "nodeManagementUseCaseData":
            data = self.device.use_cases()
        elif fn == "deviceDiagnosisHeartbeatData":
            data = self._heartbeat_data()
        else:
            data = feature.data.get(fn, {})
        await self.send("reply", self.device.addr(feature), header["addressSource"], {fn: data},
                        reference=header.get("msgCounter"))

    async def _answer_write(self, header, cmds):
        """A write (SPINE TS §5.2.3): only to a writable function, only from a bound client (§7.4.2: errorNumber 9),
        merged by Device.apply_write; the subscribers get a notify of the new data."""
        dest = header.get("addressDestination", {})
        feature = self.device.feature_at(dest.get("entity", []), dest.get("feature"))
        cmd = cmds[0] if cmds else {}
        fn = self.function_of(cmd)
        if feature is None or fn is None or fn not in feature.writable:
            await self._result(header, REJECTED, f"{fn} is not writable at {dest}")
            return
        source = header.get("addressSource", {})
        if not any(same_feature(c, source) and s.get("entity") == feature.entity and s.get("feature") == feature.index
                   for c, s in self.bindings):
            await self._result(header, BINDING_REQUIRED, f"{fn}: the writer is not bound to {dest}")
            return
        error = self.device.apply_write(feature, fn, cmd[fn], cmd.get("filter", []))
        await self._result(header, error)
        if error == OK:
            await self.notify_subscribers(feature, fn)

    async def notify_subscribers(self, feature, function):
        """Sends the function's data to every client subscribed to `feature` (SPINE TS §7.4.1)."""
        for client, server in list(self.subscribers):
            if server.get("entity") == feature.entity and server.get("feature") == feature.index:
                await self.send("notify", self.device.addr(feature), client, {function: feature.data.get(function, {})})

    async def _answer_call(self, header, cmds):
        cmd = cmds[0] if cmds else {}
        if "nodeManagementSubscriptionRequestCall" in cmd or "nodeManagementBindingRequestCall" in cmd:
            binding = "nodeManagementBindingRequestCall" in cmd
            body = cmd.get("nodeManagementBindingRequestCall" if binding else "nodeManagementSubscriptionRequestCall")
            req = (body or {}).get("bindingRequest" if binding else "subscriptionRequest", {})
            server = req.get("serverAddress", {})
            local = self.device.feature_at(server.get("entity", []), server.get("feature"))
            if server.get("device") not in (None, self.device.device) or local is None or local.role == "client" \
                    or req.get("serverFeatureType") != local.type:
                await self._result(header, REJECTED, f"no server feature {req.get('serverFeatureType')} at {server}")
                return
            (self.bindings if binding else self.subscribers).append((req.get("clientAddress"), {**server, "entity": list(server.get("entity", []))}))
            await self._result(header, OK)
        elif "nodeManagementSubscriptionDeleteCall" in cmd:
            req = cmd["nodeManagementSubscriptionDeleteCall"].get("subscriptionDelete", {})
            self.subscribers = [s for s in self.subscribers
                                if not same_feature(s[0], req.get("clientAddress", {}))]
            await self._result(header, OK)
        else:
            await self._result(header, NOT_SUPPORTED, f"call {self.function_of(cmd)} is not supported")

    def _merge_discovery(self, data, filters):
        """A detailed discovery notify (an entity appeared or left): a full notify describes the station anew, a
        `partial` one adds the listed entities and features and removes those marked `lastStateChange` removed, a
        `delete` one removes the listed entities (SPINE TS §7.3.3)."""
        if not filters:  # a notify without a filter carries the whole data (SPINE TS §5.3.4): describe anew
            self.remote = RemoteDevice(data)
            return
        deleting = any("delete" in (f.get("cmdControl") or {}) for f in filters)
        entities = data.get("entityInformation", [])
        gone = {tuple(e["description"]["entityAddress"]["entity"]) for e in entities
                if deleting or e["description"].get("lastStateChange") == "removed"}
        self.remote.entities = {k: v for k, v in self.remote.entities.items() if k not in gone}
        self.remote.features = [f for f in self.remote.features if tuple(f["address"]["entity"]) not in gone]
        if deleting:
            return
        data = {**data, "entityInformation": [e for e in entities
                                              if tuple(e["description"]["entityAddress"]["entity"]) not in gone],
                "featureInformation": [f for f in data.get("featureInformation", [])
                                       if tuple(f["description"]["featureAddress"]["entity"]) not in gone]}
        update = RemoteDevice({"deviceInformation": {"description": {"deviceAddress": {"device": self.remote.device},
                                                                     "deviceType": self.remote.device_type}},
                               **{k: v for k, v in data.items() if k != "deviceInformation"}})
        self.remote.entities.update(update.entities)
        known = {(tuple(f["address"]["entity"]), f["address"]["feature"]) for f in self.remote.features}
        for f in update.features:
            f["entityType"] = self.remote.entities.get(tuple(f["address"]["entity"]))
            if (tuple(f["address"]["entity"]), f["address"]["feature"]) not in known:
                self.remote.features.append(f)

    async def wait_for(self, predicate, timeout=10, what="a condition"):
        """Waits until predicate(self) is truthy (re-checked after every datagram); returns its value."""
        async def loop():
            async with self._changed:
                while True:
                    value = predicate(self)
                    if value:
                        return value
                    if self.closed:
                        raise SpineError(f"connection ended while waiting for {what}: {self.closed}")
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            raise SpineError(f"timed out after {timeout} s waiting for {what}") from None

    # ---- requests -------------------------------------------------------------------------------------------------
    def _nm(self):
        return address(self.remote.device if self.remote else None, [0], 0)

    async def read(self, local, remote_address, function, timeout=10):
        """Reads a function from the station; returns its data (plain). A result instead of a reply raises."""
        answer = await self.request("read", self.device.addr(local), remote_address, {function: {}}, timeout=timeout)
        cmd = answer["payload"]["cmd"][0]
        if answer["header"].get("cmdClassifier") != "reply" or function not in cmd:
            raise SpineError(f"read {function} at {remote_address} answered by {answer['header'].get('cmdClassifier')}: {cmd}")
        data = cmd[function]
        return {} if data == [] else data

    async def discover(self):
        """Reads the station's detailed discovery and use-case data (SPINE TS §7.3, §7.5)."""
        nm = self.device.features[0]
        answer = await self.request("read", self.device.addr(nm), address(None, [0], 0),
                                    {"nodeManagementDetailedDiscoveryData": {}})
        self.remote = RemoteDevice(answer["payload"]["cmd"][0]["nodeManagementDetailedDiscoveryData"])
        self.use_cases = await self.read(nm, self._nm(), "nodeManagementUseCaseData")
        # Subscribing our NodeManagement to the station's brings its discovery and use-case notifies (an EV entity
        # appearing or leaving, SPINE TS §7.3.3).
        self.node_management_subscription = await self._call(nm, {"nodeManagementSubscriptionRequestCall": {
            "subscriptionRequest": {"clientAddress": self.device.addr(nm), "serverAddress": self._nm(),
                                    "serverFeatureType": "NodeManagement"}}})
        return self.remote

    async def _call(self, local, body, timeout=10):
        answer = await self.request("call", self.device.addr(local), self._nm(), body, timeout=timeout)
        result = answer["payload"]["cmd"][0].get("resultData")
        if answer["header"].get("cmdClassifier") != "result" or result is None:
            raise SpineError(f"call {list(body)} answered by {answer['header'].get('cmdClassifier')}: {answer['payload']}")
        return result

    async def subscribe(self, local, remote_feature):
        """nodeManagementSubscriptionRequestCall (SPINE TS §7.4.1); returns the resultData."""
        nm = self.device.features[0]
        return await self._call(nm, {"nodeManagementSubscriptionRequestCall": {"subscriptionRequest": {
            "clientAddress": self.device.addr(local), "serverAddress": remote_feature["address"],
            "serverFeatureType": remote_feature["type"]}}})

    async def bind(self, local, remote_feature):
        """nodeManagementBindingRequestCall (SPINE TS §7.4.2); returns the resultData."""
        nm = self.device.features[0]
        return await self._call(nm, {"nodeManagementBindingRequestCall": {"bindingRequest": {
            "clientAddress": self.device.addr(local), "serverAddress": remote_feature["address"],
            "serverFeatureType": remote_feature["type"]}}})

    async def write(self, local, remote_feature, function, data, partial=True, timeout=10):
        """A write with ackRequest (SPINE TS §5.2.5); `partial` adds the cmdControl partial filter (§5.3.4).
        Returns the station's resultData."""
        cmd = {}
        if partial:
            cmd["function"] = function
            cmd["filter"] = [{"cmdControl": {"partial": {}}}]
        cmd[function] = data
        answer = await self.request("write", self.device.addr(local), remote_feature["address"], cmd, ack=True,
                                    timeout=timeout)
        result = answer["payload"]["cmd"][0].get("resultData")
        if answer["header"].get("cmdClassifier") != "result" or result is None:
            raise SpineError(f"write {function} answered by {answer['header'].get('cmdClassifier')}: {answer['payload']}")
        return result

    def notifies(self, function, entity=None):
        """Every notify received so far carrying `function` (from that entity), oldest first: the function data."""
        out = []
        for d in self.received:
            if d["header"].get("cmdClassifier") != "notify":
                continue
            if entity is not None and list(d["header"].get("addressSource", {}).get("entity", [])) != list(entity):
                continue
            for cmd in d["payload"].get("cmd", []):
                if function in cmd:
                    out.append(cmd[function])
        return out

    # ---- heartbeat (EEBUS UC TS LimitationOfPowerConsumption 1.0.0 scenario 3) -------------------------------------
    def _heartbeat_data(self):
        return {"timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "heartbeatCounter": self.heartbeat_counter, "heartbeatTimeout": f"PT{self.heartbeat_timeout_s}S"}

    heartbeat_timeout_s = 4

    def start_heartbeat(self, interval_s=1.0, timeout_s=4):
        """Notifies heartbeatData to every subscriber of our DeviceDiagnosis server every `interval_s`."""
        self.heartbeat_timeout_s = timeout_s
        self.stop_heartbeat()
        self._heartbeat = asyncio.ensure_future(self._heartbeat_loop(interval_s))

    def stop_heartbeat(self):
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    async def _heartbeat_loop(self, interval_s):
        server = self.device.heartbeat_server
        if server is None:
            return
        while True:
            self.heartbeat_counter += 1
            for client, _ in [s for s in self.subscribers if same_feature(s[1], self.device.addr(server))
                              or (list(s[1].get("entity", [])) == server.entity and s[1].get("feature") == server.index)]:
                await self.send("notify", self.device.addr(server), client,
                                {"deviceDiagnosisHeartbeatData": self._heartbeat_data()})
                self.heartbeats_sent += 1
            async with self._changed:  # a test may wait for a heartbeat to have gone out
                self._changed.notify_all()
            await asyncio.sleep(interval_s)

    async def close(self):
        """Stops the heartbeat and the reader (the SHIP connection stays open for its own close)."""
        self.stop_heartbeat()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
