"""Two Linux network namespaces joined by a veth pair, for interop tests whose peers talk by IPv4 multicast (SSDP).

A multicast test on the host's own interfaces would see every other SSDP device on the LAN and collide with parallel
runs on port 1900; inside a private pair of namespaces the station and its peer are alone on a two-host LAN:

    station namespace  ck<id>-st   veth vst<id>  10.231.0.1/24  ─┐
    manager namespace  ck<id>-em   veth vem<id>  10.231.0.2/24  ─┘   route 224.0.0.0/4 dev <veth> in both

`<id>` is random per pair, so parallel and leftover runs never share names. There is no default route, so each side
needs the explicit multicast route (without it a send to 239.255.255.250 fails with "Network is unreachable").
Needs root and `ip` (Debian package iproute2).

Three ways to run something inside a namespace:
- `ns.popen(argv)` / `ns.run(argv)`: a process under `ip netns exec` (the station binary, pysma-plus' SEMP gateway);
- `ns.call(fn, *args)`: calls `fn` in a fresh thread that entered the namespace (setns), e.g. `ns.call(station.status)`
  to reach the station's local API at 127.0.0.1 inside its namespace; threads started by that thread inherit it;
- `ns.enter_this_thread()`: for a thread you own for good (semp_home_manager.HomeManager's worker does this).
Sockets keep the namespace they were created in, whichever thread uses them later."""
import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import threading

CLONE_NEWNET = 0x40000000
MULTICAST = "224.0.0.0/4"


def can_create():
    """None when this process can create namespaces, else the reason a test should skip with."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if subprocess.run(["sh", "-c", "command -v ip"], capture_output=True).returncode != 0:
        return "the ip command (Debian package iproute2) is missing"
    return None


def _ip(*args, namespace=None):
    argv = ["ip", *(["-n", namespace] if namespace else []), *args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {r.stderr.strip()}")


def _setns(path):
    """Moves the calling thread (only it) into the network namespace at `path`."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if hasattr(os, "setns"):  # Python ≥ 3.12
            os.setns(fd, CLONE_NEWNET)
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Namespace:
    """One side of the pair: its namespace name, veth interface and IPv4 address."""

    def __init__(self, name, interface, address):
        self.name, self.interface, self.address = name, interface, address

    @property
    def path(self):
        return f"/run/netns/{self.name}"

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name, *map(str, argv)]

    def popen(self, argv, **kwargs):
        """subprocess.Popen of `argv` inside the namespace (`ip netns exec` execs, so the pid is the program's)."""
        return subprocess.Popen(self.argv(argv), **kwargs)

    def run(self, argv, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 30)
        return subprocess.run(self.argv(argv), **kwargs)

    def enter_this_thread(self):
        """Moves the calling thread into this namespace for good: only for threads you created for it."""
        _setns(self.path)

    def call(self, fn, *args, timeout=60, **kwargs):
        """`fn(*args, **kwargs)` in a new thread inside this namespace; returns its result or raises its exception."""
        outcome = {}

        def body():
            try:
                self.enter_this_thread()
                outcome["value"] = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller
                outcome["error"] = e

        t = threading.Thread(target=body, name=f"netns-{self.name}", daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            raise TimeoutError(f"{getattr(fn, '__name__', fn)} did not return within {timeout} s in {self.name}")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def pids(self):
        r = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=10)
        return [int(p) for p in r.stdout.split()] if r.returncode == 0 else []

    def __repr__(self):
        return f"Namespace({self.name}, {self.interface}, {self.address})"


class NamespacePair:
    """`station` and `manager` namespaces joined by a veth pair; `close()` removes both (and the veth with them)."""

    PREFIX_LEN = 24

    def __init__(self, station_address="10.231.0.1", manager_address="10.231.0.2"):
        ident = secrets.token_hex(3)
        self.station = Namespace(f"ck{ident}-st", f"vst{ident}", station_address)
        self.manager = Namespace(f"ck{ident}-em", f"vem{ident}", manager_address)
        self.created = []

    def open(self):
        try:
            for ns in (self.station, self.manager):
                _ip("netns", "add", ns.name)
                self.created.append(ns)
            _ip("link", "add", self.station.interface, "type", "veth", "peer", "name", self.manager.interface)
            for ns in (self.station, self.manager):
                _ip("link", "set", ns.interface, "netns", ns.name)
                _ip("link", "set", "lo", "up", namespace=ns.name)
                _ip("addr", "add", f"{ns.address}/{self.PREFIX_LEN}", "dev", ns.interface, namespace=ns.name)
                _ip("link", "set", ns.interface, "up", namespace=ns.name)
                _ip("route", "add", MULTICAST, "dev", ns.interface, namespace=ns.name)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Kills what still runs inside (only this pair's unique namespaces, so only what the test started there),
        then deletes the namespaces; deleting a namespace destroys its end of the veth and so the pair."""
        for ns in reversed(self.created):
            for pid in ns.pids():
                if pid != os.getpid():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(RuntimeError):
                _ip("netns", "del", ns.name)
        self.created = []
        # The veth is normally gone with its namespaces; remove it if the failure came before it moved into one.
        subprocess.run(["ip", "link", "del", self.station.interface], capture_output=True)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()
