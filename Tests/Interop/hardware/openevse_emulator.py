"""An OpenEVSE controller as a RAPI responder on one end of a `socat` pseudo-terminal pair, for the driver's interop
tests. Written from the protocol description at the top of `firmware/open_evse/rapi_proc.h` of the open_evse firmware
(github.com/lincomatic/open_evse, RAPI 5.2.1 of firmware 8.2.1; the EVSE_STATE_xxx values and the vflags bits named
there from its `open_evse.h` and `J1772EvseController.h`), independently of ChargeKit's code:

- a command is `$cc pp ...^xk` (XOR checksum) or `$cc pp ...*ck` (additive), optionally with a sequence id `:ss`
  before the checksum, ended by a carriage return; the answer is `$OK ...` or `$NK ...` with the sequence id echoed
  and an XOR checksum; a command with a wrong checksum is answered `$NK`;
- `$FE` enable, `$FS` sleep, `$FD` disable, `$SC amps [V|M]` (clamped to the range, `$NK ampsset` when clamped),
  `$GS`, `$GG`, `$GU`, `$GE`, `$GC`, `$GV`;
- the asynchronous `$AT evsestate pilotstate currentcapacity vflags` whenever the EVSE state changes (or the RAPI 4
  `$ST state` with `legacy_st`), `$AB 00 fwrev` at a simulated reboot.

The test drives it: plug/unplug a vehicle, the vehicle asking for charge (state C), a fault state, silence, garbage,
and reads back the commands it received.
"""
import os
import subprocess
import threading
import time
from pathlib import Path

STATE_A, STATE_B, STATE_C, STATE_D = 1, 2, 3, 4
SLEEPING, DISABLED = 0xFE, 0xFF
CHARGING_ON = 0x0040  # ECVF_CHARGING_ON: the charging relay is closed
EV_CONNECTED = 0x0100  # ECVF_EV_CONNECTED
VEHICLE_STATES = {"A": STATE_A, "B": STATE_B, "C": STATE_C, "D": STATE_D}
VOLTS = 240  # the firmware's assumed voltage for energy without a voltmeter (the document's `$SV`)


def xor_checksum(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
    return c


def frame(body: str) -> bytes:
    """`$... ^xk\r` with the XOR checksum of the document."""
    raw = body.encode()
    return raw + b"^%02X\r" % xor_checksum(raw)


class OpenEVSEEmulator:
    def __init__(self, directory: Path, firmware="8.2.1", rapi="5.2.1", min_amps=6, max_amps=32, legacy_st=False):
        self.directory = Path(directory)
        self.station_path = self.directory / "openevse-station"  # the end the station opens
        self.board_path = self.directory / "openevse-board"
        self.firmware, self.rapi = firmware, rapi
        self.min_amps, self.max_amps = min_amps, max_amps
        self.legacy_st = legacy_st
        self.capacity = max_amps  # the EEPROM's capacity at boot
        self.vehicle = "A"
        self.enabled = True  # the firmware boots enabled
        self.backlight = None  # the LCD's backlight colour ($FB), as ChargeKit last set it
        self.sleeping = False
        self.disabled = False
        self.fault = None
        self.silent = False
        self.bad_checksums = False  # answer with wrong checksums (garbage that looks like RAPI)
        self.vehicle_amps = 32  # what the vehicle draws at most
        self.session_ws = 0.0
        self.total_wh = 1000
        self.received = []  # (name, [parameters]) of every well-formed command, in order
        self.rejected = 0  # commands with a wrong checksum
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._state = None
        self._last_energy = time.monotonic()
        self._stop = False
        self._socat = None
        self._fd = None

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self):
        self._open_line()
        self._state = self._evse_state()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        self._close_line()

    def _open_line(self):
        self._socat = subprocess.Popen(["socat", "-d", "-d", f"pty,raw,echo=0,link={self.board_path}",
                                        f"pty,raw,echo=0,link={self.station_path}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.board_path.exists() and self.station_path.exists()):
            if time.monotonic() > deadline or self._socat.poll() is not None:
                raise AssertionError("socat did not create the pty pair")
            time.sleep(0.02)
        self._fd = os.open(self.board_path, os.O_RDWR | os.O_NOCTTY)

    def _close_line(self):
        with self._write_lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if self._socat and self._socat.poll() is None:
            self._socat.terminate()
            self._socat.wait(timeout=5)

    def unplug_line(self):
        """The USB-serial adapter pulled: the pty pair (and the device path the station opened) disappears."""
        self._close_line()

    def replug_line(self):
        """The adapter plugged in again: a new pty pair under the same path."""
        self._open_line()

    # -- the test's controls -------------------------------------------------------------------------------------
    def set_vehicle(self, state):
        """The vehicle's pilot state: "A" (unplugged), "B" (plugged), "C" (asks for charge), "D"."""
        with self._lock:
            self.vehicle = state
            self._changed()

    def plug(self):
        self.set_vehicle("B")

    def request_charge(self):
        self.set_vehicle("C")

    def unplug(self):
        self.set_vehicle("A")

    def set_fault(self, code):
        """Puts the board into a fault state (5 diode check, 6 GFCI, 7 no ground, 8 stuck relay, 11 over current…);
        None clears it."""
        with self._lock:
            self.fault = code
            self._changed()

    def reboot(self):
        """A restart: enabled at the stored capacity, `$AB 00 fwrev`."""
        with self._lock:
            self.enabled, self.sleeping, self.disabled = True, False, False
            self._send(frame(f"$AB 00 {self.firmware}"))
            self._changed()

    def send_garbage(self, data: bytes):
        self._send(data)

    def commands(self, name=None):
        with self._lock:
            return [(n, p) for n, p in self.received if name is None or n == name]

    # -- the firmware's behaviour --------------------------------------------------------------------------------
    def _evse_state(self):
        if self.fault is not None:
            return self.fault
        if self.disabled:
            return DISABLED
        if self.sleeping:
            return SLEEPING
        v = VEHICLE_STATES[self.vehicle]
        return v

    def relay_closed(self):
        with self._lock:
            return self._evse_state() in (STATE_C, STATE_D) and self.fault is None

    def _flags(self):
        f = 0
        if self.relay_closed():
            f |= CHARGING_ON
        if self.vehicle != "A":
            f |= EV_CONNECTED
        return f

    def _changed(self):
        """Sends the state transition notification when the EVSE state changed (the document: "sent whenever EVSE state
        changes")."""
        self._account_energy()
        state = self._evse_state()
        if state != self._state:
            self._state = state
            if self.legacy_st:
                self._send(frame(f"$ST {state:02x}"))
            else:
                self._send(frame(f"$AT {state:02x} {VEHICLE_STATES[self.vehicle]:02x} {self.capacity} {self._flags():04x}"))

    def _account_energy(self):
        now = time.monotonic()
        if self.relay_closed():
            self.session_ws += min(self.capacity, self.vehicle_amps) * VOLTS * (now - self._last_energy)
        self._last_energy = now

    def _charging_milliamps(self):
        return min(self.capacity, self.vehicle_amps) * 1000 if self.relay_closed() else 0

    def _execute(self, name, params):
        """The answer's parameters and whether it is $OK."""
        if name == "FE":
            self.enabled, self.sleeping, self.disabled = True, False, False
            return True, ""
        if name == "FS":
            self.sleeping, self.disabled = True, False
            return True, ""
        if name == "FD":
            self.disabled, self.sleeping = True, False
            return True, ""
        if name == "SC" and params and params[0].lstrip("-").isdigit():
            asked = int(params[0])
            amps = min(max(asked, self.min_amps), self.max_amps)
            self.capacity = amps
            return amps == asked, str(amps)
        if name == "FB" and params and params[0].isdigit() and 0 <= int(params[0]) <= 7:
            self.backlight = int(params[0])
            return True, ""
        if name == "GS":
            return True, f"{self._evse_state():02x} 0 {VEHICLE_STATES[self.vehicle]:02x} {self._flags():04x}"
        if name == "GG":
            return True, f"{self._charging_milliamps()} -1"
        if name == "GU":
            self._account_energy()
            return True, f"{int(self.session_ws)} {self.total_wh}"
        if name == "GE":
            return True, f"{self.capacity} 0201"
        if name == "GC":
            return True, f"{self.min_amps} 80 {self.capacity} {self.max_amps}"
        if name == "GV":
            return True, f"{self.firmware} {self.rapi}"
        return False, ""

    # -- the line ------------------------------------------------------------------------------------------------
    def _send(self, data: bytes):
        if self.silent or self._fd is None:
            return
        with self._write_lock:
            try:
                os.write(self._fd, data)
            except OSError:
                pass

    def _serve(self):
        buffer = b""
        while not self._stop:
            fd = self._fd
            if fd is None:
                time.sleep(0.01)
                continue
            try:
                chunk = os.read(fd, 256)
            except OSError:
                if self._stop:
                    return
                time.sleep(0.01)  # the station's end is not open (yet, or any more)
                continue
            if self.silent:
                buffer = b""
                continue
            buffer += chunk
            while b"\r" in buffer:
                line, buffer = buffer.split(b"\r", 1)
                start = line.rfind(b"$")
                if start >= 0:
                    self._command(line[start:])

    def _command(self, line: bytes):
        body = line
        if len(line) >= 4 and line[-3:-2] in (b"^", b"*"):
            body = line[:-3]
            try:
                given = int(line[-2:], 16)
            except ValueError:
                given = -1
            expected = xor_checksum(body) if line[-3:-2] == b"^" else sum(body) & 0xFF
            if given != expected:
                with self._lock:
                    self.rejected += 1
                self._send(frame("$NK"))
                return
        tokens = body[1:].decode(errors="replace").split()
        if not tokens:
            return
        seq = tokens.pop() if tokens[-1].startswith(":") else None
        name, params = tokens[0], tokens[1:]
        with self._lock:
            self.received.append((name, params))
            self._account_energy()
            ok, answer = self._execute(name, params)
            text = "$OK" if ok else "$NK"
            if answer:
                text += " " + answer
            if seq:
                text += " " + seq
            reply = frame(text)
            if self.bad_checksums:
                reply = reply[:-3] + b"%02X\r" % ((int(reply[-3:-1], 16) + 1) & 0xFF)
            self._send(reply)
            self._changed()
