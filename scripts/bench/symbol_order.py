"""Writes the linker's symbol ordering file of the appliance binary (scripts/symbol-order.sh, issue 31 item 2).

The kernel maps a binary's page cache into a process in windows of 64 kB (fault-around: at the first touch of a page it
maps the cached pages around it too), so each function a station runs makes the window around it resident: with the
functions in the linker's default order (object by object) the few thousand a station runs are spread over most of
`.text`. lld's `--symbol-ordering-file` puts the sections of the listed symbols first, in the order listed (every Swift
function has its own section with `-function-sections`, every C one with `-ffunction-sections`, and lld's code generator
gives LTO's outlined functions one each too), so the code a station runs sits together.

The list comes from a real run: the unstripped appliance binary runs under valgrind's callgrind (every function that
executes at least one instruction is recorded, unlike a sampling profiler) twice:
  1. "station": as scripts/bench.sh measures it — start, both connectors charging; a logged-in installer on the
     dashboard and the history page; charging with the status API polled until 35 s after the start, then 35 s more;
     the sessions stopped by the card, the vehicles unplugged, plugged in again for a second session each, stopped and
     unplugged again;
  2. "backend": the same with an OCPP 1.6J central system (ocpp_central_system.py, the Python `ocpp` library) and the
     Modbus TCP server on, read by a client (FC03, seeds/000 MODBUS-REGISTERSATZ's blocks).
`callgrind_control --dump` cuts each run's profile into parts (start, web, charging, steady, sessions). The file lists,
each tier by instructions executed (the busiest first): the functions of the steady parts (the second 35 s of
charging), then the others of the charging, web and session parts, then those only the starts ran (see the tiers at
the end of this file); then the names that several local functions share; then the `.bss` symbols the same two runs
wrote, run natively (see written_bss).

The list belongs to the binary it was made from: LTO numbers its outlined functions (`OUTLINED_FUNCTION_N`, a third of
the names) and merged helpers anew whenever any code changes, so regenerate it from the binary of the commit that is
measured. A stale list only costs memory: a listed symbol that no longer exists is ignored
(`--no-warn-symbol-ordering`), a new function that is not listed goes after the listed ones, where the linker would
have put it anyway.

Usage: symbol_order.py BINARY PYTHON OUT   (PYTHON: the Python with the `ocpp` library, for the central system)"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from station_process import Client, free_port, read_passwords

binary, python, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
binary_path = None  # the copy that runs: valgrind 3.19 cannot read Swift 6's DWARF 5, so the copy has no debug info
CARDS = ("04567DAA5F3580", "0A0E9B83")


def wait(what, predicate, timeout_s=600):
    """Waits for predicate() to hold (valgrind makes the station 20–50× slower: generous deadlines)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if predicate():
                return
        except (OSError, RuntimeError, ValueError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"symbol_order: {what} did not happen within {timeout_s} s")
        time.sleep(0.2)


def modbus_read(port, address, count, unit=255):
    """One FC03 request (Modbus Application Protocol V1.1b3 §6.3) over Modbus TCP (MBAP header, §4.1); returns the
    response's function code (3, or 0x83 with an exception)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(struct.pack(">HHHBBHH", 1, 0, 6, unit, 3, address, count))
        header = s.recv(9)
        return header[7]


def run(phase, workdir, profiled=True):
    """One run of the station (see the module's docstring); under callgrind: the instructions per function, natively:
    the `.bss` symbols it wrote."""
    workdir.mkdir()
    data = workdir / "data"
    profile = workdir / f"callgrind.{phase}"
    cs = None
    modbus_port = free_port()

    def cli(*argv):
        subprocess.run([binary, *argv, "--data-dir", str(data)], check=True, capture_output=True, timeout=120)

    if phase == "backend":
        cs_port = free_port()
        cs = subprocess.Popen([python, str(Path(__file__).with_name("ocpp_central_system.py")), str(cs_port)])
        for key, value in (("BackendURL", f"ws://127.0.0.1:{cs_port}/ocpp"), ("ChargeBoxIdentity", "CK-ORDER-01"),
                           ("MeterValueSampleInterval", "10"), ("ModbusTCPServer", "On"),
                           ("ModbusTCPServerBasePort", str(modbus_port))):
            cli("config", "set", key, value, "--role", "manufacturer")
    tool = ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={profile}"] if profiled else []
    started = time.monotonic()
    station = subprocess.Popen([*tool, binary, "station", "--simulate", "--connectors", "2", "--data-dir", str(data),
                                "--http-port", "0", "--https-port", "0", "--modbus-host", "127.0.0.1", "--log-level", "error"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               # As bench.sh starts it: a simulated station leaves the host's network alone without
                               # CHARGEKIT_NETWORK_SERVICE; set, it would run the network service's detection instead.
                               env={k: v for k, v in os.environ.items() if k != "CHARGEKIT_NETWORK_SERVICE"})
    try:
        try:
            passwords = read_passwords(station)
        except RuntimeError as e:
            sys.exit(f"symbol_order: {e}")
        wait("station.json", lambda: (data / "station.json").exists() and json.loads((data / "station.json").read_text()))
        info = json.loads((data / "station.json").read_text())
        api = Client(info["httpPort"], info["apiToken"], timeout_s=120)
        if phase == "backend":
            wait("the central system's acceptance",
                 lambda: (api.api("GET", "/api/status").get("backend") or {}).get("registration") == "accepted")
            for connector in (0, 1):
                wait("a Modbus answer", lambda: modbus_read(modbus_port + connector, 100, 53) == 3)
                modbus_read(modbus_port + connector, 200, 28)
                modbus_read(modbus_port + connector, 700, 47)
        for n, card in zip((1, 2), CARDS):
            if phase == "station":
                api.api("POST", "/api/whitelist", {"id": card})
            api.api("POST", "/api/sim/plug", {"connector": n, "ev": "3p-16a", "batteryCapacityWh": 100000})
            api.api("POST", "/api/sim/rfid", {"uid": card})
        charging = lambda: [c["status"] for c in api.api("GET", "/api/status")["connectors"]] == ["Charging", "Charging"]
        wait("both connectors charging", charging)

        def part(name):
            """Ends a part of the profile: what ran since the last one is written to FILE.1, FILE.2, … (the last part to
            FILE at the exit). callgrind_control returns when the part is written."""
            if profiled:
                subprocess.run(["callgrind_control", f"--dump={name}", str(station.pid)], check=True, capture_output=True, timeout=600)

        part("start")  # FILE.1
        web = Client(info["httpPort"], timeout_s=120)
        web.request("GET", "/login")
        web.request("POST", "/login", form={"name": "installer", "password": passwords["installer"]})
        for path in ("/", "/history", "/"):
            web.request("GET", path)
        part("web")  # FILE.2
        # Charging with the status API polled (and Modbus read): what a station does nearly all the time. Two parts:
        # the first until at least 35 s after the start (what runs once, at the first poll or the first meter values,
        # lands here), the second for 35 s more (so that the services' 30 s passes run in it): what keeps running.
        def charge(seconds_from_start, polls_at_least):
            polls = 0
            while polls < polls_at_least or time.monotonic() - started < seconds_from_start:
                api.api("GET", "/api/status")
                if phase == "backend":
                    modbus_read(modbus_port, 100, 53)
                polls += 1
                time.sleep(1)
        charge(35, 10)
        part("charging")  # FILE.3
        charge(time.monotonic() - started + 35, 20)
        part("steady")  # FILE.4
        for cycle in range(2):  # the second session of each connector: the code every session runs again
            for n, card in zip((1, 2), CARDS):
                api.api("POST", "/api/sim/rfid", {"uid": card})
                wait(f"connector {n} finishing", lambda: api.api("GET", "/api/status")["connectors"][n - 1]["status"] != "Charging")
                api.api("POST", "/api/sim/unplug", {"connector": n})
            wait("both connectors available",
                 lambda: [c["status"] for c in api.api("GET", "/api/status")["connectors"]] == ["Available", "Available"])
            if cycle == 0:
                for n, card in zip((1, 2), CARDS):
                    api.api("POST", "/api/sim/plug", {"connector": n, "ev": "3p-16a", "batteryCapacityWh": 100000})
                    api.api("POST", "/api/sim/rfid", {"uid": card})
                wait("both connectors charging again", charging)
                for _ in range(5):
                    api.api("GET", "/api/status")
                    time.sleep(1)
        written = None if profiled else written_bss(station.pid)
    finally:
        if station.poll() is None:
            station.send_signal(signal.SIGTERM)  # callgrind writes its profile when the station exits
        station.wait(timeout=600)
        if cs is not None:
            cs.terminate()
            cs.wait()
    if not profiled:
        return written
    return {"start": self_costs(Path(f"{profile}.1")), "web": self_costs(Path(f"{profile}.2")),
            "charging": self_costs(Path(f"{profile}.3")), "steady": self_costs(Path(f"{profile}.4")),
            "sessions": self_costs(profile)}


def written_bss(pid):
    """The `.bss` symbols of BINARY that hold a byte other than zero in the running process `pid` (/proc/PID/mem at the
    binary's load address): the ones the station wrote. `.bss` starts as zero pages, and the kernel gives a page memory
    of its own (Pss_Anon) at the first write to any byte of it; most of the binary's 1.6 MB of `.bss` are Swift's caches,
    one per generic conformance or type (128 bytes each), of which a station fills a tenth — spread over half of
    `.bss`'s pages in the linker's default order. Listed, they sit together. With LTO every symbol has a section of its
    own (lld's code generator), so the ordering file places data as well as functions."""
    exe = os.readlink(f"/proc/{pid}/exe")
    base = next(int(line.split("-")[0], 16) for line in open(f"/proc/{pid}/maps")
                if line.split()[5:6] == [exe] and int(line.split()[2], 16) == 0)
    symbols = [(int(p[0], 16), int(p[1], 16), p[3]) for p in
               (line.split() for line in subprocess.run(["nm", "-S", binary], check=True, capture_output=True, text=True).stdout.splitlines())
               if len(p) == 4 and p[2] in "bB" and int(p[1], 16) > 0]
    written = set()
    with open(f"/proc/{pid}/mem", "rb") as memory:
        for address, size, name in symbols:
            memory.seek(base + address)
            if any(memory.read(size)):
                written.add(name)
    return written


def self_costs(profile):
    """Instructions executed per function of BINARY (the callgrind format, valgrind manual §3.x "Callgrind Format
    Specification"): `ob=`/`fn=` set the object and function of the cost lines that follow, with `(id)` name
    compression; the cost line after a `calls=` line is the callee's inclusive cost and is not the function's own."""
    objects, functions, costs = {}, {}, {}
    current_object = current_function = None
    skip_next = False

    def name(table, value):
        m = re.match(r"\((\d+)\)(?: (.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table[m.group(1)]

    for line in Path(profile).read_text(errors="replace").splitlines():
        if line.startswith("ob="):
            current_object = name(objects, line[3:])
        elif line.startswith("fn="):
            current_function = name(functions, line[3:])
        elif line.startswith(("cfn=", "cfi=", "cfl=")):
            if line.startswith("cfn="):
                name(functions, line[4:])
        elif line.startswith("cob="):
            name(objects, line[4:])
        elif line.startswith("calls="):
            skip_next = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            if skip_next:
                skip_next = False
                continue
            parts = line.split()
            if len(parts) >= 2 and current_function and current_object and os.path.realpath(current_object) == binary_path:
                # A recursive call's function carries its depth ("name'2", with --separate-recs, the default 2).
                function = re.sub(r"'\d+$", "", current_function)
                costs[function] = costs.get(function, 0) + int(parts[1])
    return costs


def read_only_segments_writable(path):
    """Marks the read-only data segments (`PT_LOAD` with flags R only) of the ELF-64 file at `path` writable (R W), in
    place. valgrind 3.19 writes into the signal mask a program hands to sigsuspend (it takes its own signals out of the
    set) and dies with an internal SIGSEGV when that mask is a constant: libdispatch's `_dispatch_sigsuspend.mask`,
    which lies in `.rodata`, read-only in the appliance binary. Only the profiled copy is changed; its layout, and so
    every address the profile names, stays as it is. The ELF-64 header's e_phoff (offset 32), e_phentsize and e_phnum
    (54, 56) locate the program headers; p_type and p_flags are their first two 32-bit words (System V gABI)."""
    image = bytearray(Path(path).read_bytes())
    headers = struct.unpack_from("<Q", image, 32)[0]
    size, count = struct.unpack_from("<HH", image, 54)
    for index in range(count):
        kind, flags = struct.unpack_from("<II", image, headers + index * size)
        if kind == 1 and flags == 4:  # PT_LOAD, PF_R
            struct.pack_into("<I", image, headers + index * size + 4, 4 | 2)  # PF_R | PF_W
    Path(path).write_bytes(image)


with tempfile.TemporaryDirectory(prefix="chargekit-order-") as tmp:
    # Symbols stay (the symbol table is not debug information); only the copy without DWARF runs.
    binary_path = str(Path(tmp) / "chargekit")
    subprocess.run(["objcopy", "--strip-debug", binary, binary_path], check=True)
    read_only_segments_writable(binary_path)
    binary = binary_path
    station = run("station", Path(tmp) / "station")
    backend = run("backend", Path(tmp) / "backend")
    data = sorted(run("station", Path(tmp) / "data-station", profiled=False) | run("backend", Path(tmp) / "data-backend", profiled=False))
    counts = Counter(line.split()[2] for line in subprocess.run(["nm", binary], check=True, capture_output=True, text=True).stdout.splitlines()
                     if len(line.split()) == 3 and line.split()[1] in "tTwWbB")

def busiest_first(*profiles, seen=()):
    """The functions of the profiles (instructions per function) not in `seen`: each profile's busiest first, then the
    next profile's that are new."""
    listed, names = set(seen), []
    for costs in profiles:
        for function in sorted(costs, key=lambda f: (-costs[f], f)):
            if function not in listed:
                listed.add(function)
                names.append(function)
    return names


# Three tiers, each busiest first: what a charging station keeps running (the steady parts: the runtime's ticks, the
# simulated board and meters, the status API, OCPP's meter values and heartbeats, Modbus, the services' periodic
# passes), then what it runs now and then or once after its start (the first charging part, the web pages, sessions
# starting and ending), then what only the starts ran. Hosting's StartupPages hands the binary's pages back 30 s after
# the start, and what the station touches after that comes back in windows of 64 kB (fault-around): the code it keeps
# running must sit together, apart from the rest.
steady = busiest_first(station["steady"], backend["steady"])
occasional = busiest_first(station["charging"], station["web"], station["sessions"],
                           backend["charging"], backend["web"], backend["sessions"], seen=steady)
start_only = busiest_first(station["start"], backend["start"], seen=steady + occasional)
# Names valgrind made up for code without a symbol ("0x…") cannot be ordered. A name that several local functions
# share (the compiler's merged helpers "…Tm", "objectdestroy", BoringSSL's static functions in both copies) moves every
# function of that name, and the one in a toolchain library whose objects keep one `.text` for all their functions
# (libswift_RegexParser.a: 475 KiB) drags that whole section along: such names go last, after the code that surely runs.
ranked = steady + occasional + start_only
ordered = [f for f in ranked if not f.startswith("0x") and counts[f] <= 1]
ordered += [f for f in ranked if not f.startswith("0x") and counts[f] > 1]
# Then the `.bss` symbols the two runs wrote (natively, without valgrind), by name: lld orders each output section's
# input sections by the symbols they hold, so these only move within `.bss`. Names several symbols share go as above.
ordered += [d for d in data if counts[d] <= 1] + [d for d in data if counts[d] > 1]
out.write_text("".join(f + "\n" for f in ordered))
print(f"symbol_order: {len(steady)} functions kept running while charging (the station run and the one with the central "
      f"system and Modbus), {len(occasional)} more once or now and then, {len(start_only)} more only while they started; "
      f"{len(data)} .bss symbols written; wrote {len(ordered)} names to {out}")
