"""pymodbus servers that emulate the register maps of the grid meters, written from
the manufacturers' published Modbus register maps (not from ChargeKit's own code)."""
import asyncio
import logging
import socket
import struct
import threading
import time
import warnings

from pymodbus.server import ModbusTcpServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSparseDataBlock

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

VOLTS = (231.0, 229.5, 230.0)
AMPS = (10.5, 3.2, 7.0)
WATTS = (2425.5, 732.8, -1610.0)
IMPORT_WH = 123456.7
EXPORT_WH = 9876.5


def words(fmt, value, low_word_first=False):
    data = struct.pack(">" + fmt, value)
    w = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return list(reversed(w)) if low_word_first else w


def put(regs, address, fmt, value, low_word_first=False):
    for i, w in enumerate(words(fmt, value, low_word_first)):
        regs[address + i] = w


def tq_em300():  # §1: uint32/uint64 ABCD, 0.1 W, 0.001 A, 0.001 V, 0.1 Wh; import and export registers
    r = {}
    total = sum(WATTS)
    put(r, 0, "I", round(max(total, 0) * 10)); put(r, 2, "I", round(max(-total, 0) * 10))
    for base, v, a, p in zip((40, 80, 120), VOLTS, AMPS, WATTS):
        put(r, base, "I", round(max(p, 0) * 10)); put(r, base + 2, "I", round(max(-p, 0) * 10))
        put(r, base + 20, "I", round(a * 1000)); put(r, base + 22, "I", round(v * 1000))
    put(r, 512, "Q", round(IMPORT_WH * 10)); put(r, 516, "Q", round(EXPORT_WH * 10))
    return r


def janitza_512():  # §4: float32 ABCD, the 19000 block 19000..19121 exists completely
    r = {a: 0 for a in range(19000, 19122)}
    for i in range(3):
        put(r, 19000 + 2 * i, "f", VOLTS[i]); put(r, 19012 + 2 * i, "f", AMPS[i]); put(r, 19020 + 2 * i, "f", WATTS[i])
    put(r, 19026, "f", sum(WATTS)); put(r, 19068, "f", IMPORT_WH); put(r, 19076, "f", EXPORT_WH)
    return r


def janitza_605():  # §5: UMG 604 layout, float32 ABCD; the measured-value and energy blocks exist completely
    r = {a: 0 for a in list(range(1317, 1441)) + list(range(9843, 9865))}
    for i in range(3):
        put(r, 1317 + 2 * i, "f", VOLTS[i]); put(r, 1325 + 2 * i, "f", AMPS[i]); put(r, 1333 + 2 * i, "f", WATTS[i])
    put(r, 1369, "f", sum(WATTS)); put(r, 9851, "f", IMPORT_WH); put(r, 9863, "f", EXPORT_WH)
    return r


def phoenix_mb371():  # §6: float32 CDAB (low word first), 0x8000 block
    r = {a: 0 for a in list(range(0x8000, 0x8040)) + list(range(0x8100, 0x8108))}
    for i in range(3):
        put(r, 0x8006 + 2 * i, "f", VOLTS[i], True); put(r, 0x800E + 2 * i, "f", AMPS[i], True)
        put(r, 0x801E + 2 * i, "f", WATTS[i], True)
    put(r, 0x8016, "f", sum(WATTS), True); put(r, 0x8100, "f", IMPORT_WH, True); put(r, 0x8106, "f", EXPORT_WH, True)
    return r


def siemens_pac2200():  # §7: float32 ABCD, float64 energy at 801/809; the registers in between exist too
    r = {a: 0 for a in list(range(1, 73)) + list(range(801, 841))}
    for i in range(3):
        put(r, 1 + 2 * i, "f", VOLTS[i]); put(r, 13 + 2 * i, "f", AMPS[i]); put(r, 25 + 2 * i, "f", WATTS[i])
    put(r, 65, "f", sum(WATTS)); put(r, 801, "d", IMPORT_WH); put(r, 809, "d", EXPORT_WH)
    return r


#: model → (register image, unit id the device answers)
MODELS = {
    "tqEM300LR": (tq_em300, 247),
    "janitzaUMG512PRO": (janitza_512, 1),
    "janitzaUMG605PRO": (janitza_605, 2),
    "phoenixEEMMB371": (phoenix_mb371, 1),
    "siemens7KM2200": (siemens_pac2200, 1),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MeterServer:
    """A pymodbus TCP server with one device holding a register image, in a background thread."""

    def __init__(self, registers, unit, port=None):
        self.port = port or free_port()
        self.registers, self.unit = registers, unit
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.thread = None

    def start(self):
        context = ModbusServerContext(devices={self.unit: ModbusDeviceContext(hr=ModbusSparseDataBlock(dict(self.registers)))},
                                      single=False)
        ready = threading.Event()

        async def main():
            self.server = ModbusTcpServer(context, address=("127.0.0.1", self.port))
            ready.set()
            await self.server.serve_forever()

        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(main()), daemon=True)
        self.thread.start()
        ready.wait(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError("meter server did not start")

    def stop(self):
        if self.server:
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(5)
            self.thread.join(5)
            self.server = None

    def set_registers(self, registers):
        """Changes register values while the server runs (e.g. a new building load), through Modbus itself: one Write
        Multiple Registers (16) per run of consecutive addresses."""
        from pymodbus.client import ModbusTcpClient
        client = ModbusTcpClient("127.0.0.1", port=self.port)
        assert client.connect()
        try:
            addresses = sorted(registers)
            start = 0
            while start < len(addresses):
                end = start
                while end + 1 < len(addresses) and addresses[end + 1] == addresses[end] + 1:
                    end += 1
                values = [registers[a] for a in addresses[start:end + 1]]
                r = client.write_registers(addresses[start], values, device_id=self.unit)
                assert not r.isError(), r
                start = end + 1
        finally:
            client.close()
        self.registers.update(registers)
