"""SHIP node discovery by mDNS/DNS-SD (EEBUS SHIP TS 1.0.1 §7: service type `_ship._tcp`, TXT record §7.3.2) with the
`zeroconf` package: browse for SHIP nodes (the station) and register our own service (so the station can list the
energy manager on its web page and connect to it).

TXT keys (SHIP TS 1.0.1 §7.3.2): `txtvers` (1), `id` (the SHIP id), `path` (the WebSocket path), `ski` (40 hex digits),
`register` (true/false: the node accepts automatic registration), `brand`, `type`, `model`; `serial` and `cat`
are optional. `txt_problems` names every deviation.

Create a Discovery inside the network namespace it should work in (netns.Namespace.call): zeroconf opens its sockets
in the constructor, and the thread it starts inherits the namespace."""
import re
import threading
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

SERVICE_TYPE = "_ship._tcp.local."
REQUIRED_TXT = ("txtvers", "id", "path", "ski", "register")
KNOWN_TXT = set(REQUIRED_TXT) | {"brand", "type", "model", "serial", "cat"}


def txt_problems(txt):
    """Every deviation of a TXT record (str → str) from SHIP TS 1.0.1 §7.3.2."""
    problems = [f"TXT {k} missing" for k in REQUIRED_TXT if k not in txt]
    if txt.get("txtvers") not in (None, "1"):
        problems.append(f"TXT txtvers {txt['txtvers']!r}, expected '1'")
    if "ski" in txt and not re.fullmatch(r"[0-9a-fA-F]{40}", txt["ski"]):
        problems.append(f"TXT ski {txt['ski']!r} is not 40 hex digits")
    if "register" in txt and txt["register"] not in ("true", "false"):
        problems.append(f"TXT register {txt['register']!r}, expected true or false")
    if "path" in txt and not txt["path"].startswith("/"):
        problems.append(f"TXT path {txt['path']!r} does not start with /")
    for k in txt:
        if k not in KNOWN_TXT:
            problems.append(f"TXT {k} is not a SHIP key")
    return problems


class Node:
    """A discovered SHIP node."""

    def __init__(self, info):
        self.name = info.name
        self.host = info.parsed_addresses(IPVersion.V4Only)[0] if info.parsed_addresses(IPVersion.V4Only) else None
        self.port = info.port
        self.txt = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
        self.ski = (self.txt.get("ski") or "").lower()

    def __repr__(self):
        return f"Node({self.name}, {self.host}:{self.port}, ski={self.ski})"


class Discovery:
    def __init__(self, address):
        """mDNS on the interface with IPv4 `address` only."""
        self.zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
        self.address = address
        self.nodes = {}  # service name → Node, as resolved
        self.removed = []
        self._lock = threading.Lock()
        self._browser = None

    def browse(self):
        def changed(zeroconf, service_type, name, state_change):
            if state_change is ServiceStateChange.Removed:
                with self._lock:
                    self.nodes.pop(name, None)
                    self.removed.append(name)
                return
            threading.Thread(target=self._resolve, args=(name,), daemon=True).start()
        self._browser = ServiceBrowser(self.zc, SERVICE_TYPE, handlers=[changed])
        return self

    def _resolve(self, name):
        info = self.zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
        if info is not None:
            with self._lock:
                self.nodes[name] = Node(info)

    def wait_for(self, predicate, timeout=15, what="a SHIP node"):
        """The first resolved node for which predicate(node) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for node in self.nodes.values():
                    if predicate(node):
                        return node
            time.sleep(0.05)
        raise AssertionError(f"no {what} by mDNS within {timeout} s; seen {list(self.nodes.values())}")

    def register(self, identity, port, brand="ChargeKit Tests", model="Peer EM", device_type="EnergyManagementSystem",
                 register=False):
        """Announces our SHIP service with the TXT record of SHIP TS 1.0.1 §7.3.2."""
        name = f"{identity.ship_id}.{SERVICE_TYPE}"
        import socket
        info = ServiceInfo(SERVICE_TYPE, name, addresses=[socket.inet_aton(self.address)], port=port,
                           properties={"txtvers": "1", "id": identity.ship_id, "path": "/ship/", "ski": identity.ski,
                                       "register": "true" if register else "false", "brand": brand,
                                       "type": device_type, "model": model},
                           server=f"{identity.ship_id}.local.")
        self.zc.register_service(info)
        self.registered = info
        return info

    def unregister(self):
        if getattr(self, "registered", None) is not None:
            self.zc.unregister_service(self.registered)
            self.registered = None

    def close(self):
        if self._browser is not None:
            self._browser.cancel()
        self.unregister()
        self.zc.close()
