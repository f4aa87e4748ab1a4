"""The service port's DHCP server and the WAN router (issue 24 item 2; seeds/004 §4 "3.2 Gateway Configuratie": the
controller in DHCP-server mode takes 172.16.23.1/24 and leases 172.16.23.100–.254; "WAN-router: Aan" shares its uplink
with the devices on its LAN) against real peers in three network namespaces (netns.py):

    lan-host   ck<id>-lh  veth vh<id>  (DHCP: busybox udhcpc)      ─── vl<id>  station  ck<id>-st  (172.16.23.1/24, added by the station)
    uplink     ck<id>-up  veth vp<id>  10.231.9.2/24               ─── vu<id>  station             10.231.9.1/24

The station runs dnsmasq (Debian dnsmasq-base) and nft (nftables) inside its namespace; udhcpc (Debian udhcpc) asks for
an address from the lan-host namespace; a Python http.server on the uplink host is what the LAN host should reach
through the router, and a server on the LAN host is what the uplink host must not reach. Needs root."""
import contextlib
import http.server
import secrets
import shutil
import socket
import subprocess
import threading

import pytest

import netns
from station import Station, cli, wait_for
from web_browser import Web, initial_passwords

UDHCPC_SCRIPT = """#!/bin/sh
# Records what the DHCP server offered and configures the interface with ip(8); never touches /etc/resolv.conf.
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
    printf 'ip=%s\\nmask=%s\\nrouter=%s\\ndns=%s\\nlease=%s\\n' "$ip" "$mask" "$router" "$dns" "$lease" > "$UDHCPC_OUT"
    ;;
esac
exit 0
"""


class Topology:
    """The three namespaces and two veth pairs above; `close()` removes them (and kills what still runs inside)."""

    def __init__(self):
        ident = secrets.token_hex(3)
        self.station = netns.Namespace(f"ck{ident}-st", f"vl{ident}", None)
        self.lan_host = netns.Namespace(f"ck{ident}-lh", f"vh{ident}", None)
        self.uplink_host = netns.Namespace(f"ck{ident}-up", f"vp{ident}", "10.231.9.2")
        self.uplink = f"vu{ident}"  # the station's uplink end
        self.created = []

    def open(self):
        try:
            for ns in (self.station, self.lan_host, self.uplink_host):
                netns._ip("netns", "add", ns.name)
                self.created.append(ns)
                netns._ip("link", "set", "lo", "up", namespace=ns.name)
            for here, there, peer in ((self.station.interface, self.lan_host, self.lan_host.interface),
                                      (self.uplink, self.uplink_host, self.uplink_host.interface)):
                netns._ip("link", "add", here, "type", "veth", "peer", "name", peer)
                netns._ip("link", "set", here, "netns", self.station.name)
                netns._ip("link", "set", peer, "netns", there.name)
                netns._ip("link", "set", here, "up", namespace=self.station.name)
                netns._ip("link", "set", peer, "up", namespace=there.name)
            netns._ip("addr", "add", "10.231.9.1/24", "dev", self.uplink, namespace=self.station.name)
            netns._ip("addr", "add", "10.231.9.2/24", "dev", self.uplink_host.interface, namespace=self.uplink_host.name)
            # Forwarding starts off in the station's namespace (a new namespace may inherit the host's value).
            r = self.station.run(["sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward"])
            assert r.returncode == 0, r.stderr
            # The uplink host knows the way to the LAN: only the router's rules may keep it out.
            netns._ip("route", "add", "172.16.23.0/24", "via", "10.231.9.1", namespace=self.uplink_host.name)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        netns.NamespacePair.close(self)  # same clean-up: kill what runs inside, delete the namespaces (and veths)


@pytest.fixture
def topology():
    reason = netns.can_create()
    if reason:
        pytest.skip(reason)
    for program in ("dnsmasq", "nft", "udhcpc"):
        if not shutil.which(program, path="/usr/sbin:/sbin:/usr/bin:/bin"):
            pytest.skip(f"{program} is missing (Debian packages dnsmasq-base, nftables, udhcpc)")
    t = Topology().open()
    yield t
    t.close()


def start(data_dir, t, **params):
    settings = {"DHCPServer": "On", "DHCPServerInterface": t.station.interface, "WANRouterUplinkInterface": t.uplink, **params}
    for key, value in settings.items():
        r = cli("config", "set", key, str(value), "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    station = Station(data_dir)
    station.namespace = t.station
    return station.start()


def dhcp(station):
    code, body = station.get("/api/network/dhcp")
    assert code == 200, body
    return body


def set_parameter(station, key, value):
    code, body = station.request("PUT", f"/api/config/{key}", {"value": value})
    assert code == 200, body


def lease(t, tmp_path, hostname="lan-host"):
    """Runs udhcpc once on the LAN host; returns what the server offered (the script's record)."""
    script, out = tmp_path / "udhcpc.sh", tmp_path / "udhcpc.out"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    r = t.lan_host.run(["env", f"UDHCPC_OUT={out}", "udhcpc", "-i", t.lan_host.interface, "-f", "-q", "-n", "-t", "10", "-T", "1",
                        "-s", str(script), "-x", f"hostname:{hostname}"], timeout=40)
    assert r.returncode == 0, r.stdout + r.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def nft_tables(t):
    r = t.station.run(["nft", "list", "tables"])
    assert r.returncode == 0, r.stderr
    return r.stdout


def dnsmasq_pids(t):
    """The pids of the dnsmasq processes in the station's namespace."""
    found = []
    for pid in t.station.pids():
        with contextlib.suppress(OSError):
            if open(f"/proc/{pid}/comm").read().strip() == "dnsmasq":
                found.append(pid)
    return found


@contextlib.contextmanager
def http_server(ns, address):
    """A Python http.server listening on `address`:8000 inside `ns`."""
    holder = {}

    def make():
        server = http.server.ThreadingHTTPServer((address, 8000), http.server.SimpleHTTPRequestHandler)
        holder["server"] = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()  # the thread inherits the namespace; the socket keeps it anyway
    ns.call(make)
    try:
        yield holder["server"]
    finally:
        holder["server"].shutdown()
        holder["server"].server_close()


def reaches(ns, address, timeout=2):
    """Whether a TCP connection from `ns` to `address`:8000 opens (answered by its HTTP server)."""
    r = ns.run(["python3", "-c", f"import socket; socket.create_connection(({address!r}, 8000), timeout={timeout}).close()"],
               timeout=timeout + 10)
    return r.returncode == 0


@contextlib.contextmanager
def forwarded(ns, port):
    """127.0.0.1:<free port> of this namespace forwarded to 127.0.0.1:`port` inside `ns` (for the browser, which runs
    outside): every accepted connection gets a socket opened from inside the namespace."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def pump(a, b):
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    def accept():
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            inner = ns.call(socket.create_connection, ("127.0.0.1", port))
            for a, b in ((client, inner), (inner, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def test_seeds004_4_dhcp_server_leases_from_172_16_23_100_to_a_lan_host_and_shows_it(data_dir, topology, tmp_path, browser):
    station = start(data_dir, topology)
    try:
        status = wait_for(lambda: dhcp(station)["state"] == "running" and dhcp(station), timeout=30, what="dnsmasq running")
        assert status["address"] == "172.16.23.1/24" and status["interface"] == topology.station.interface
        assert (status["poolFirst"], status["poolLast"]) == ("172.16.23.100", "172.16.23.254")
        assert status["router"]["state"] == "off" and status["leases"] == []
        offered = lease(topology, tmp_path)
        ip = offered["ip"]
        assert ip.startswith("172.16.23.") and 100 <= int(ip.rsplit(".", 1)[1]) <= 254, offered
        # Without the WAN router the station offers neither a gateway nor a DNS server (and answers no DNS).
        assert offered["router"] == "" and offered["dns"] == "", offered
        assert offered["lease"] == "3600"
        mac = topology.lan_host.run(["cat", f"/sys/class/net/{topology.lan_host.interface}/address"]).stdout.strip()
        leases = wait_for(lambda: dhcp(station)["leases"], what="the lease in /api/network/dhcp")
        assert [(entry["mac"], entry["ip"], entry.get("hostname")) for entry in leases] == [(mac, ip, "lan-host")]
        assert "expiresAt" in leases[0]
        # Nothing listens on DNS (port=0) and DHCP only on the service interface's address.
        listening = topology.station.run(["ss", "-lunp"]).stdout
        assert ":53 " not in listening and ":67 " in listening, listening
        with forwarded(topology.station, int(station.base.rsplit(":", 1)[1])) as port:
            class Peer:
                base = f"http://127.0.0.1:{port}"
                log_path = station.log_path
            web = Web(browser, Peer)
            web.first_login("installer", initial_passwords(Peer)["installer"])
            web.open("/menu/network#s-dhcp")
            assert web.el("#dhcp-state").text == "Running"
            row = web.el("#dhcp-leases tbody tr").text
            assert mac in row and ip in row and "lan-host" in row, row
            assert web.el("#dhcp-pool").text == "172.16.23.100 – 172.16.23.254"
            browser.execute_script("document.getElementById('s-dhcp').scrollIntoView({block: 'center'});")
            web.shot("network-dhcp-server-leases")
            web.open("/menu/network#s-dhcp-server-and-wan-router")
            browser.execute_script("document.getElementById('s-dhcp-server-and-wan-router').scrollIntoView();")
            web.shot("network-dhcp-server-settings")
    finally:
        station.terminate()
    assert dnsmasq_pids(topology) == [], "dnsmasq stops with the station"


def test_seeds004_4_wan_router_lan_reaches_uplink_not_back_and_off_removes_tables_and_stops_dnsmasq(data_dir, topology, tmp_path):
    station = start(data_dir, topology, WANRouter="On")
    try:
        wait_for(lambda: dhcp(station)["state"] == "running" and dhcp(station)["router"]["state"] == "active", timeout=30,
                 what="dnsmasq running and the router active")
        tables = nft_tables(topology)
        assert "table inet chargekit" in tables and "table ip chargekit_nat" in tables, tables
        assert topology.station.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "1"
        offered = lease(topology, tmp_path)
        # seeds/004 §4: gateway and DNS are the station's address.
        assert offered["router"] == "172.16.23.1" and offered["dns"].split() == ["172.16.23.1"], offered
        lan_ip = offered["ip"]
        listening = topology.station.run(["ss", "-lunp"]).stdout
        assert "172.16.23.1:53 " in listening and "10.231.9.1:53 " not in listening, "the DNS relay only on the LAN: " + listening
        with http_server(topology.uplink_host, "10.231.9.2") as up, http_server(topology.lan_host, lan_ip):
            seen = []
            up.RequestHandlerClass = type("Recorder", (http.server.SimpleHTTPRequestHandler,), {
                "do_GET": lambda self: (seen.append(self.client_address[0]), self.send_response(204), self.end_headers()),
                "log_message": lambda *a: None})
            r = topology.lan_host.run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://10.231.9.2:8000/', timeout=5).status)"])
            assert r.stdout.strip() == "204", r.stdout + r.stderr
            assert seen == ["10.231.9.1"], "masqueraded behind the station's uplink address"
            assert not reaches(topology.uplink_host, lan_ip), "nothing is opened from the uplink side"
            # Off: the tables are gone, forwarding is back to what it was (off here), so the LAN reaches nothing.
            set_parameter(station, "WANRouter", False)
            wait_for(lambda: dhcp(station)["router"]["state"] == "off", what="the router reported off")
            assert "chargekit" not in nft_tables(topology), "ChargeKit's tables removed"
            assert topology.station.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "0", "forwarding as before"
            assert not reaches(topology.lan_host, "10.231.9.2"), "no forwarding without the router"
        set_parameter(station, "DHCPServer", False)
        wait_for(lambda: dhcp(station)["state"] == "off" and not dnsmasq_pids(topology), what="dnsmasq stopped")
        assert dhcp(station)["leases"] == []
    finally:
        station.terminate()
    assert "chargekit" not in nft_tables(topology)


def test_issue24_2_after_kill9_the_next_start_stops_the_orphaned_dnsmasq_and_removes_the_tables(data_dir, topology):
    """A station killed with dnsmasq running and its tables loaded leaves both behind (a child outlives a SIGKILLed
    parent); the next start must stop that dnsmasq (else port 67 stays taken) and, with the router now off, remove the
    tables (else "off" would still filter and masquerade)."""
    station = start(data_dir, topology, WANRouter="On")
    try:
        wait_for(lambda: dhcp(station)["state"] == "running" and dhcp(station)["router"]["state"] == "active", timeout=30,
                 what="dnsmasq running and the router active")
        orphan = dnsmasq_pids(topology)
        assert len(orphan) == 1, orphan
        station.kill9()
        assert dnsmasq_pids(topology) == orphan and "table inet chargekit" in nft_tables(topology), "left behind"
        r = cli("config", "set", "WANRouter", "Off", "--role", "installer", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
        station = Station(data_dir)
        station.namespace = topology.station
        station.start()
        wait_for(lambda: dhcp(station)["state"] == "running", timeout=30, what="dnsmasq running again")
        now = dnsmasq_pids(topology)
        assert len(now) == 1 and now != orphan, (orphan, now)
        assert "chargekit" not in nft_tables(topology)
        assert dhcp(station)["router"]["state"] == "off"
    finally:
        station.terminate()
