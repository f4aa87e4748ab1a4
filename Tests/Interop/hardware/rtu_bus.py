"""An RS-485 bus for the hardware tests: a socat pseudo-terminal pair, the station opening one end as its serial device
and this module answering on the other as every Modbus RTU slave of the bus (EVSE-DIN boards, charge meters), each by
its unit id.

Written from Modbus over Serial Line V1.02 §2.5.1 (RTU framing: unit id, PDU, CRC-16 low byte first) and the Modbus
Application Protocol V1.1b3 §6 (functions 3, 4, 6, 16; exception 02 for an address outside the device's registers);
the CRC is pymodbus's. A test controls the bus: a unit can fall silent, the bus can put noise on the line, and every
write a unit received is recorded."""
import shutil
import struct
import subprocess
import threading
import time

import serial
from pymodbus.framer.rtu import FramerRTU


def crc(data: bytes) -> bytes:
    """CRC-16/MODBUS of `data` as it travels: low byte first (pymodbus's compute_CRC gives it byte-swapped)."""
    return FramerRTU.compute_CRC(data).to_bytes(2, "big")


class Slave:
    """One unit on the bus: holding and input registers (address → 16-bit value)."""

    def __init__(self, unit, holding=None, inputs=None):
        self.unit = unit
        self.holding = dict(holding or {})
        self.inputs = dict(inputs or {})
        self.silent = False
        self.functions = {3, 4, 6, 16}  # the functions the device takes; others answer exception 01
        self.writes = []  # (address, [values]) in order of arrival
        self.requests = 0

    def on_write(self, address, values):
        """Hook for device models: a write was accepted."""

    def read(self, table, address, quantity):
        regs = self.holding if table == "holding" else self.inputs
        if any(a not in regs for a in range(address, address + quantity)):
            return None
        return [regs[a] for a in range(address, address + quantity)]

    def write(self, address, values):
        if any(a not in self.holding for a in range(address, address + len(values))):
            return False
        for i, v in enumerate(values):
            self.holding[address + i] = v
        self.writes.append((address, list(values)))
        self.on_write(address, values)
        return True


class Bus:
    """A pty pair with the slaves answering on one end; `device` is the path the station opens."""

    def __init__(self, tmp_path, name="bus", baud=9600):
        if shutil.which("socat") is None:
            raise RuntimeError("socat is needed (scripts/test.sh installs it)")
        self.device = str(tmp_path / f"{name}-station")
        self.peer = str(tmp_path / f"{name}-devices")
        self.baud = baud
        self.slaves = {}
        self.noise = b""           # sent once before the next answer
        self.garbage = False       # answer every request with bytes that are no frame
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={self.device}", f"pty,raw,echo=0,link={self.peer}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import os
        while not (os.path.exists(self.device) and os.path.exists(self.peer)):
            if time.monotonic() > deadline or self.socat.poll() is not None:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.02)
        self.port = serial.Serial(self.peer, baudrate=baud, timeout=0.02)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def add(self, slave):
        self.slaves[slave.unit] = slave
        return slave

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.port.close()
        self.socat.terminate()
        try:
            self.socat.wait(5)
        except subprocess.TimeoutExpired:
            self.socat.kill()

    @staticmethod
    def request_length(buf):
        """A request's length from its function code (None: too short to tell)."""
        if len(buf) < 2:
            return None
        if buf[1] in (0x0F, 0x10):
            return 9 + buf[6] if len(buf) >= 7 else None
        return 8

    def _run(self):
        buf = b""
        last = time.monotonic()
        while not self.stopped.is_set():
            chunk = self.port.read(256)
            now = time.monotonic()
            if chunk:
                # A silence longer than a frame gap ends a partial frame (Modbus over Serial Line §2.5.1.1).
                if now - last > 0.05:
                    buf = b""
                buf += chunk
                last = now
            while True:
                n = self.request_length(buf)
                if n is None or len(buf) < n:
                    break
                frame, rest = buf[:n], buf[n:]
                if crc(frame[:-2]) != frame[-2:]:
                    buf = buf[1:]
                    continue
                buf = rest
                self._answer(frame)

    def _answer(self, frame):
        unit, function, body = frame[0], frame[1], frame[2:-2]
        with self.lock:
            slave = self.slaves.get(unit)
            if slave is None or slave.silent:
                return
            slave.requests += 1
            if self.garbage:
                self.port.write(bytes([unit, function, 0xFF, 0x00, 0x13, 0x37, 0xAA]))
                return
            pdu = self._pdu(slave, function, body)
            noise, self.noise = self.noise, b""
        out = bytes([unit]) + pdu
        self.port.write(noise + out + crc(out))

    @staticmethod
    def _pdu(slave, function, body):
        def exception(code):
            return bytes([function | 0x80, code])
        if function not in slave.functions:
            return exception(1)
        if function in (3, 4):
            address, quantity = struct.unpack(">HH", body[:4])
            values = slave.read("holding" if function == 3 else "input", address, quantity)
            if values is None:
                return exception(2)
            return bytes([function, 2 * quantity]) + b"".join(struct.pack(">H", v) for v in values)
        if function == 6:
            address, value = struct.unpack(">HH", body[:4])
            return bytes([function]) + body[:4] if slave.write(address, [value]) else exception(2)
        if function == 16:
            address, quantity, count = struct.unpack(">HHB", body[:5])
            values = list(struct.unpack(f">{quantity}H", body[5:5 + count]))
            return bytes([function]) + body[:4] if slave.write(address, values) else exception(2)
        return exception(1)


def words(fmt, value, low_word_first=False):
    """A value as registers: struct format `fmt` big-endian, in the given word order."""
    data = struct.pack(">" + fmt, value)
    w = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return list(reversed(w)) if low_word_first else w
