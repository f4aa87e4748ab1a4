"""An emulated Phoenix Contact EV Charge Control with Ethernet (EM-CP-PP-ETH, EV-CC-AC1-M3-...-ETH): a pymodbus
Modbus TCP server with the controller's register map, and a control surface for the tests (plug, vehicle state, PP
value, error code, digital inputs, silence, garbage).

The register map is written from the public descriptions of the controller's Modbus/TCP table, not from ChargeKit's
code: input registers 100 (IEC 61851-1 status as an ASCII character in the low byte), 101 (cable capacity from PP in A),
102-103 (charging time in s, low word first), 105-106 (firmware, ASCII, low byte first), 107 (error code); holding
register 300 (charging current in A: the EM-CP-PP-ETH's set-point, the current the EV-CC-...-ETH applies) and, on the
EV-CC-...-ETH only, 528 (maximum charging current in A, the set-point); coil 400 (enable charging); discrete inputs from
200 (the digital inputs). Sources: evcc charger/phoenix-em-eth.go and charger/phoenix-ev-eth.go, nymea-plugins-modbus
phoenixconnect/phoenixconnect-registers.json, JNX::PhoenixCharger (input 101, discrete input 200); the error numbers as
in Phoenix Contact's EV Charge Control Basic manual 106377_en_04 Table 9-2 (register 24025). A controller without
register 528 answers it with exception 02 (illegal data address), as any Modbus server does for an address it lacks
(Modbus Application Protocol V1.1b3 §7).

The controller behaves as IEC 61851-1 Annex A describes for the EVSE side: with a vehicle plugged in it reports B; it
offers the current by PWM only while charging is enabled (coil 400), and a vehicle that wants energy then goes to C.
"""
import asyncio
import logging
import sys
import threading
import time
from pathlib import Path

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simutils import SimUtils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from meter_servers import free_port, start_tcp_server, stop_tcp_server  # noqa: E402,F401  (free_port: the tests import it from here)

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

STATUS, PP, TIME, FIRMWARE, ERROR = 100, 101, 102, 105, 107
CURRENT, MAX_CURRENT = 300, 528
ENABLE = 400
FIRST_INPUT, INPUTS = 200, 8


class PhoenixEmulator:
    """The controller. `family` "ev-cc" has register 528 (EV-CC-AC1-M3-...-ETH), "em-cp" has not (EM-CP-PP-ETH)."""

    def __init__(self, unit=180, family="ev-cc", firmware="1.43", port=None):
        self.port = port or free_port()
        self.unit, self.family, self.firmware = unit, family, firmware
        self.lock = threading.Lock()
        # The vehicle and the installation.
        self.plugged = False
        self.vehicle_wants_energy = False
        self.pp_amps = 32
        self.error_code = 0
        self.status_override = None  # e.g. "E" or "F"; None: from the vehicle and the release
        self.inputs = [False] * INPUTS
        # The controller's set-points as ChargeKit wrote them.
        self.enabled = False
        self.current_amps = 16
        self.writes = []  # (kind, address, value) in order: ("coil", 400, True), ("register", 528, 16)
        self.requests = 0
        # Faults on the wire.
        self.silent = False
        self.garbage = False
        self.charging_since = None
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.thread = None

    # -- what the controller reports --------------------------------------------------------------------------------

    def status(self):
        if self.status_override:
            return self.status_override
        if not self.plugged:
            return "A"
        return "C" if self.enabled and self.vehicle_wants_energy else "B"

    def _input_registers(self):
        seconds = int(time.monotonic() - self.charging_since) if self.charging_since is not None else 0
        fw = self.firmware.encode()[:4].ljust(4, b"\0")
        return [ord(self.status()), self.pp_amps if self.plugged else 0, seconds & 0xFFFF, seconds >> 16, 0,
                fw[0] | fw[1] << 8, fw[2] | fw[3] << 8, self.error_code]

    # -- the Modbus side --------------------------------------------------------------------------------------------

    async def _action(self, function, start, address, count, registers, values):
        with self.lock:
            self.requests += 1
            # pymodbus calls the action for a write twice: with the values, then without them for the echo.
            if function == 5 and values:  # write single coil
                self.writes.append(("coil", address, bool(values[0])))
                if address == ENABLE:
                    self.enabled = bool(values[0])
            elif function == 6 and values:  # write single register
                self.writes.append(("register", address, values[0]))
                if address == (MAX_CURRENT if self.family == "ev-cc" else CURRENT):
                    self.current_amps = values[0]
                elif address == CURRENT:
                    return ExcCodes.ILLEGAL_ADDRESS  # read only on the EV-CC-...-ETH
            if self.status() == "C" and self.charging_since is None:
                self.charging_since = time.monotonic()
            elif self.status() != "C":
                self.charging_since = None
            if function == 4:
                registers[:8] = self._input_registers()
            elif function in (3, 6):
                registers[CURRENT - start] = self.current_amps
                if self.family == "ev-cc":
                    registers[MAX_CURRENT - start] = self.current_amps
            elif function in (1, 5):
                self._put_bits(registers, start, {ENABLE: self.enabled})
            elif function == 2:
                self._put_bits(registers, start, {FIRST_INPUT + i: level for i, level in enumerate(self.inputs)})
        return None

    @staticmethod
    def _put_bits(registers, start, bits):
        """pymodbus keeps bits 16 to a register, the block starting at register `start` (= first bit address // 16)."""
        flat = SimUtils.registersToBits(registers)
        for address, level in bits.items():
            flat[address - start * 16] = level
        registers[:] = SimUtils.bitsToRegisters(flat)

    def _trace(self, sending, data):
        if not sending:
            return data
        if self.silent:
            return b""
        if self.garbage:
            return b"\xde\xad\xbe\xef" * 4
        return data

    def _device(self):
        holding = [SimData(CURRENT, values=self.current_amps, datatype=DataType.REGISTERS)]
        if self.family == "ev-cc":
            holding.append(SimData(MAX_CURRENT, values=self.current_amps, datatype=DataType.REGISTERS))
        return SimDevice(id=self.unit, action=self._action, simdata=(
            [SimData(ENABLE, values=False, datatype=DataType.BITS)],
            [SimData(FIRST_INPUT, count=INPUTS, values=False, datatype=DataType.BITS)],
            holding,
            [SimData(STATUS, count=8, values=0, datatype=DataType.REGISTERS)]))

    def start(self):
        start_tcp_server(self, lambda: ModbusTcpServer(self._device(), address=("127.0.0.1", self.port), trace_packet=self._trace),
                         "Phoenix emulator")
        return self

    def stop(self):
        stop_tcp_server(self)

    # -- the control surface of the tests ---------------------------------------------------------------------------

    def set(self, **changes):
        with self.lock:
            for k, v in changes.items():
                if not hasattr(self, k):
                    raise AttributeError(k)
                setattr(self, k, v)

    def plug(self, pp_amps=32, wants_energy=True):
        self.set(plugged=True, pp_amps=pp_amps, vehicle_wants_energy=wants_energy)

    def unplug(self):
        self.set(plugged=False, vehicle_wants_energy=False)

    def set_input(self, number, level):
        with self.lock:
            self.inputs[number - 1] = level

    def written(self, kind=None, address=None):
        with self.lock:
            return [w for w in self.writes if (kind is None or w[0] == kind) and (address is None or w[1] == address)]
