"""EEBUS discovery (SHIP TS 1.0.1 §7.3: DNS-SD `_ship._tcp` over multicast DNS) against independent peers:
python-zeroconf (PyPI `zeroconf`) and avahi-daemon, the station's side being `chargekit eebus-discover` (the same
MDNSService the station runs). The station side runs in the station namespace, the peer in the manager namespace of a
veth pair (netns.py), so nothing else on the host's LAN is seen and parallel runs cannot collide on port 5353.

Both directions: zeroconf finds the service the Swift responder announces, with every TXT key, and sees its goodbye;
the Swift browser finds a service zeroconf registers and loses it after zeroconf's goodbye; a name conflict with a
zeroconf service makes the Swift responder pick "NAME (2)"; over IPv6 alone both directions work; 400 hostile packets
on port 5353 change nothing; a station on two LANs gives each only its own address; and with avahi-daemon running on the same host (sharing port
5353) the Swift browser finds avahi's static `_ship._tcp` service while zeroconf finds the Swift one. Every wait is for
a condition with a time limit."""
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading

import pytest

from station import BIN

zeroconf = pytest.importorskip("zeroconf")
from zeroconf import ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf  # noqa: E402

SHIP = "_ship._tcp.local."
SKI = "0123456789abcdef0123456789abcdef01234567"
TXT = [("txtvers", "1"), ("id", "ChargeKit-TEST-0001"), ("path", "/ship/"), ("ski", SKI), ("register", "false"),
       ("brand", "ChargeKit"), ("type", "ChargingStation"), ("model", "CK-1"), ("serial", "0001"), ("cat", "1")]


class Collector(ServiceListener):
    """zeroconf's browser events as a queue of (event, name)."""

    def __init__(self):
        self.events = queue.Queue()

    def add_service(self, zc, type_, name):
        self.events.put(("add", name))

    def remove_service(self, zc, type_, name):
        self.events.put(("remove", name))

    def update_service(self, zc, type_, name):
        self.events.put(("update", name))

    def wait(self, event, name, timeout_s=15):
        seen = []
        try:
            while True:
                e = self.events.get(timeout=timeout_s)
                seen.append(e)
                if e == (event, name):
                    return
        except queue.Empty:
            raise AssertionError(f"zeroconf did not report {event} {name} within {timeout_s} s; saw {seen}") from None


class Discover:
    """`chargekit eebus-discover` in a namespace; stdout lines (JSON with --json --watch) are queued, stderr kept."""

    def __init__(self, ns, *args):
        self.proc = ns.popen([BIN, "eebus-discover", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)

    def wait_list(self, match, what, timeout_s=15):
        """The first printed list (a JSON line) that `match`es."""
        seen = []
        try:
            while True:
                line = self.lines.get(timeout=timeout_s)
                seen.append(line.strip())
                listed = json.loads(line)
                if match(listed):
                    return listed
        except queue.Empty:
            raise AssertionError(f"eebus-discover did not list {what} within {timeout_s} s; printed {seen}; "
                                 f"stderr {''.join(self.stderr)[-2000:]}") from None

    def stop(self):
        """SIGTERM (the graceful way: the goodbye goes out) and wait for the exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"eebus-discover did not stop on SIGTERM; stderr {''.join(self.stderr)[-2000:]}")


def txt_args():
    return [a for k, v in TXT for a in ("--txt", f"{k}={v}")]


@pytest.fixture
def zc(netns_pair):
    """A zeroconf instance in the manager namespace, on its veth address only."""
    z = netns_pair.manager.call(lambda: Zeroconf(interfaces=[netns_pair.manager.address]))
    yield z
    z.close()


def test_zeroconf_finds_the_announced_service_with_every_txt_key_and_sees_its_goodbye(netns_pair, zc):
    st = netns_pair.station
    collector = Collector()
    ServiceBrowser(zc, SHIP, collector)
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--announce", "ChargeKit Zero", "--host-name", "ck-zero",
                 "--port", "4712", *txt_args())
    try:
        name = f"ChargeKit Zero.{SHIP}"
        collector.wait("add", name)
        info = zc.get_service_info(SHIP, name, timeout=5000)
        assert info is not None, "zeroconf could not resolve the service"
        assert info.port == 4712
        assert info.server == "ck-zero.local."
        assert info.parsed_addresses() == [st.address]
        assert {k.decode(): v.decode() for k, v in info.properties.items()} == dict(TXT)
        # The order of the TXT strings is the given one (RFC 6763 §6; SHIP lists txtvers first).
        strings, i = [], 0
        while i < len(info.text):
            n = info.text[i]
            strings.append(info.text[i + 1:i + 1 + n].decode())
            i += 1 + n
        assert strings == [f"{k}={v}" for k, v in TXT]
    finally:
        assert d.stop() == 0
    collector.wait("remove", name)


def test_the_swift_browser_finds_a_zeroconf_service_and_loses_it_after_the_goodbye(netns_pair, zc):
    st, em = netns_pair.station, netns_pair.manager
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--watch", "--json")
    try:
        d.wait_list(lambda listed: listed == [], "the empty list first")
        props = {"txtvers": "1", "id": "HEMS-TEST-7", "path": "/ship/", "ski": "fedcba9876543210fedcba9876543210fedcba98",
                 "register": "true", "brand": "Test", "type": "EnergyManagementSystem", "model": "HEMS"}
        info = ServiceInfo(SHIP, f"HEMS Seven.{SHIP}", addresses=[socket.inet_aton(em.address)], port=4711,
                           properties=props, server="hems-seven.local.")
        zc.register_service(info)
        found = d.wait_list(lambda listed: any(s["instance"] == "HEMS Seven" and s["addresses"] and s["txt"] == props for s in listed),
                            "the zeroconf service with its address and every TXT pair")
        s = next(s for s in found if s["instance"] == "HEMS Seven")
        assert s["host"] == "hems-seven.local" and s["port"] == 4711 and s["addresses"] == [em.address]
        # Read as SHIP's TXT record (SHIP TS 1.0.1 §7.3.2).
        assert s["ship"] == {"id": "HEMS-TEST-7", "ski": props["ski"], "register": True, "brand": "Test",
                             "type": "EnergyManagementSystem", "model": "HEMS"}, s
        zc.unregister_service(info)
        d.wait_list(lambda listed: not any(x["instance"] == "HEMS Seven" for x in listed), "the service gone after the goodbye")
    finally:
        assert d.stop() == 0


def test_a_name_taken_by_a_zeroconf_service_makes_the_responder_pick_a_numbered_name(netns_pair, zc):
    st, em = netns_pair.station, netns_pair.manager
    taken = ServiceInfo(SHIP, f"ChargeKit Twin.{SHIP}", addresses=[socket.inet_aton(em.address)], port=4711,
                        properties={"txtvers": "1"}, server="hems-twin.local.")
    zc.register_service(taken)
    collector = Collector()
    ServiceBrowser(zc, SHIP, collector)
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--announce", "ChargeKit Twin", "--host-name", "ck-twin",
                 "--port", "4712", *txt_args())
    try:
        collector.wait("add", f"ChargeKit Twin (2).{SHIP}")
        info = zc.get_service_info(SHIP, f"ChargeKit Twin (2).{SHIP}", timeout=5000)
        assert info is not None and info.port == 4712 and info.parsed_addresses() == [st.address]
        assert "now 'ChargeKit Twin (2)'" in "".join(d.stderr)
    finally:
        assert d.stop() == 0
        zc.unregister_service(taken)


AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces={interface}
enable-dbus=no
host-name={host}
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
"""

AVAHI_SERVICE = """<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>Avahi HEMS</name>
  <service>
    <type>_ship._tcp</type>
    <port>4713</port>
    <txt-record>txtvers=1</txt-record>
    <txt-record>id=AVAHI-HEMS-1</txt-record>
    <txt-record>path=/ship/</txt-record>
    <txt-record>ski=aaaabbbbccccddddeeeeffff0000111122223333</txt-record>
    <txt-record>register=false</txt-record>
  </service>
</service-group>
"""


@pytest.fixture
def avahi(netns_pair, tmp_path):
    """avahi-daemon in the station namespace (next to the Swift side, sharing port 5353), without D-Bus, with one
    static `_ship._tcp` service. Its fixed paths (/run/avahi-daemon, /etc/avahi/services) are covered by private
    tmpfs mounts in a mount namespace of its own, so it collides with neither the host's avahi nor a parallel run."""
    daemon = shutil.which("avahi-daemon") or ("/usr/sbin/avahi-daemon" if os.path.exists("/usr/sbin/avahi-daemon") else None)
    if daemon is None:
        pytest.skip("avahi-daemon (Debian package avahi-daemon) is not installed")
    st = netns_pair.station
    conf = tmp_path / "avahi-daemon.conf"
    conf.write_text(AVAHI_CONF.format(interface=st.interface, host=f"avahi-{st.interface}"))
    services = tmp_path / "services"
    services.mkdir()
    (services / "ship.service").write_text(AVAHI_SERVICE)
    script = (f"mount -t tmpfs tmpfs /run/avahi-daemon 2>/dev/null || (mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon); "
              f"mount --bind {services} /etc/avahi/services && exec {daemon} --no-drop-root --no-chroot --no-rlimits -f {conf}")
    proc = st.popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_next_to_avahi_on_the_same_host_both_are_found(netns_pair, zc, avahi):
    st = netns_pair.station
    collector = Collector()
    ServiceBrowser(zc, SHIP, collector)
    collector.wait("add", f"Avahi HEMS.{SHIP}", timeout_s=20)
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--watch", "--json", "--announce", "ChargeKit Avahi",
                 "--host-name", "ck-avahi", "--port", "4712", *txt_args())
    try:
        found = d.wait_list(lambda listed: any(s["instance"] == "Avahi HEMS" and s["addresses"] for s in listed), "avahi's service")
        s = next(s for s in found if s["instance"] == "Avahi HEMS")
        # avahi also publishes the interface's link-local IPv6 address over IPv4 (publish-aaaa-on-ipv4).
        assert [a for a in s["addresses"] if ":" not in a] == [st.address]
        assert s["port"] == 4713 and s["host"] == f"avahi-{st.interface}.local"
        assert s["ship"]["ski"] == "aaaabbbbccccddddeeeeffff0000111122223333" and s["ship"]["register"] is False
        collector.wait("add", f"ChargeKit Avahi.{SHIP}")
        info = zc.get_service_info(SHIP, f"ChargeKit Avahi.{SHIP}", timeout=5000)
        assert info is not None and {k.decode(): v.decode() for k, v in info.properties.items()} == dict(TXT)
        assert avahi.poll() is None, f"avahi-daemon ended: {avahi.stderr.read() if avahi.stderr else ''}"
    finally:
        assert d.stop() == 0


def test_over_ipv6_alone_zeroconf_finds_the_swift_service_and_the_swift_browser_finds_zeroconfs(netns_pair):
    """ff02::fb (RFC 6762 §3): zeroconf restricted to IPv6 on the manager's veth, so every packet it sees or sends is
    IPv6; the Swift side must answer and browse over IPv6 for either direction to work."""
    from zeroconf import IPVersion
    st, em = netns_pair.station, netns_pair.manager
    z6 = em.call(lambda: Zeroconf(interfaces=[socket.if_nametoindex(em.interface)], ip_version=IPVersion.V6Only))
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--watch", "--json", "--announce", "ChargeKit Six",
                 "--host-name", "ck-six", "--port", "4712", *txt_args())
    try:
        collector = Collector()
        ServiceBrowser(z6, SHIP, collector)
        collector.wait("add", f"ChargeKit Six.{SHIP}")
        info = z6.get_service_info(SHIP, f"ChargeKit Six.{SHIP}", timeout=5000)
        assert info is not None and info.port == 4712
        assert {k.decode(): v.decode() for k, v in info.properties.items()} == dict(TXT)
        theirs = ServiceInfo(SHIP, f"HEMS Six.{SHIP}", addresses=[socket.inet_pton(socket.AF_INET6, "fd00:6::2")], port=4711,
                             properties={"txtvers": "1", "id": "HEMS-SIX"}, server="hems-six.local.")
        z6.register_service(theirs)
        found = d.wait_list(lambda listed: any(s["instance"] == "HEMS Six" and s["addresses"] for s in listed), "the service zeroconf announced over IPv6")
        assert next(s for s in found if s["instance"] == "HEMS Six")["addresses"] == ["fd00:6::2"]
        z6.unregister_service(theirs)
        d.wait_list(lambda listed: not any(s["instance"] == "HEMS Six" for s in listed), "its goodbye over IPv6")
    finally:
        assert d.stop() == 0
        z6.close()


def hostile_packets():
    """DNS messages a hostile or broken host might multicast: compression loops, forward pointers, truncations, counts
    far beyond the packet, RDLENGTH past the end, an overlong name, and random bytes (a fixed seed)."""
    import random
    header = bytes.fromhex("00008400")
    yield bytes.fromhex("000000000001000000000000") + bytes.fromhex("c00c00010001")            # pointer to itself
    yield bytes.fromhex("000000000002000000000000") + bytes.fromhex("0161c012000100010c00c0010001")  # loop via a forward pointer
    yield header + bytes.fromhex("0000ffff00000000")                                               # 65535 answers, none there
    yield header + bytes.fromhex("000000010000000000000100010000007800ffc0a80001")                  # RDLENGTH 255, 4 left
    yield header + bytes.fromhex("00000001000000") + b"\x3f" + b"a" * 63                           # cut inside a name
    yield bytes.fromhex("000000000001000000000000") + (b"\x01a" * 200) + b"\x00\x00\x01\x00\x01"    # a 401-octet name
    rng = random.Random(26)
    for _ in range(200):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(12, 300)))


def test_hostile_packets_on_5353_are_ignored_and_the_service_is_still_found(netns_pair, zc):
    st, em = netns_pair.station, netns_pair.manager
    d = Discover(st, "--interface", st.interface, "--seconds", "0", "--announce", "ChargeKit Hardy", "--host-name", "ck-hardy",
                 "--port", "4712", *txt_args())

    def flood():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(em.address))
        sent = 0
        for packet in hostile_packets():
            s.sendto(packet, ("224.0.0.251", 5353))
            s.sendto(packet, (st.address, 5353))
            sent += 2
        s.close()
        return sent

    try:
        assert em.call(flood) > 400
        collector = Collector()
        ServiceBrowser(zc, SHIP, collector)
        collector.wait("add", f"ChargeKit Hardy.{SHIP}")
        assert d.proc.poll() is None, f"eebus-discover ended: {''.join(d.stderr)[-2000:]}"
    finally:
        assert d.stop() == 0


def test_on_two_lans_each_lan_is_given_only_its_own_address(netns_pair, zc):
    """RFC 6762 §14: a station on two LANs (its LAN and, say, its service port) answers each with the address it has
    there; a manager must never be handed the address of the other LAN. A second veth pair joins the station namespace
    to a third namespace (10.232.0.0/24), and the Swift side runs on every interface."""
    import secrets
    st = netns_pair.station
    ident = secrets.token_hex(3)
    other, near, far = f"ck{ident}-ot", f"vso{ident}", f"vot{ident}"

    def ip(*args):
        r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, f"ip {' '.join(args)}: {r.stderr}"

    ip("netns", "add", other)
    try:
        ip("link", "add", near, "type", "veth", "peer", "name", far)
        ip("link", "set", near, "netns", st.name)
        ip("link", "set", far, "netns", other)
        ip("-n", st.name, "addr", "add", "10.232.0.1/24", "dev", near)
        ip("-n", other, "addr", "add", "10.232.0.2/24", "dev", far)
        ip("-n", st.name, "link", "set", near, "up")
        ip("-n", other, "link", "set", far, "up")
        ip("-n", st.name, "route", "add", "224.0.0.0/4", "dev", near, "metric", "10")
        d = Discover(st, "--seconds", "0", "--announce", "ChargeKit Two", "--host-name", "ck-two", "--port", "4712", *txt_args())
        try:
            collector = Collector()
            ServiceBrowser(zc, SHIP, collector)
            collector.wait("add", f"ChargeKit Two.{SHIP}")
            info = zc.get_service_info(SHIP, f"ChargeKit Two.{SHIP}", timeout=5000)
            assert info is not None
            assert info.parsed_addresses() == [st.address], info.parsed_addresses()
            log = "".join(d.stderr)
            assert st.interface in log and near in log, log
        finally:
            assert d.stop() == 0
    finally:
        subprocess.run(["ip", "netns", "del", other], capture_output=True, timeout=10)
        subprocess.run(["ip", "-n", st.name, "link", "del", near], capture_output=True, timeout=10)


def test_an_interface_with_two_ipv4_addresses_announces_both(netns_pair, zc):
    """One interface, two IPv4 addresses (a DHCP lease and a fixed one, say): the group is joined once per interface,
    and the A records carry both addresses."""
    st = netns_pair.station
    second = "10.231.0.11"
    r = subprocess.run(["ip", "-n", st.name, "addr", "add", f"{second}/24", "dev", st.interface], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    try:
        d = Discover(st, "--interface", st.interface, "--seconds", "0", "--announce", "ChargeKit Both", "--host-name", "ck-both",
                     "--port", "4712", *txt_args())
        try:
            collector = Collector()
            ServiceBrowser(zc, SHIP, collector)
            collector.wait("add", f"ChargeKit Both.{SHIP}")
            info = zc.get_service_info(SHIP, f"ChargeKit Both.{SHIP}", timeout=5000)
            assert info is not None and sorted(info.parsed_addresses()) == sorted([st.address, second])
        finally:
            assert d.stop() == 0
    finally:
        subprocess.run(["ip", "-n", st.name, "addr", "del", f"{second}/24", "dev", st.interface], capture_output=True, timeout=10)
