"""Charge meters on the test's RS-485 bus, each holding a chosen reading in its manufacturer's register layout:
- Eastron SDM630-Modbus V2 and SDM72D-M ("Modbus protocol" documents of Eastron): input registers, float32 high word
  first; 0x0000/2/4 V L1–L3, 0x0006/8/A A, 0x000C/E/10 W, 0x0034 total W, 0x0048 import kWh, 0x004A export kWh;
- ABB B23/B24 (User Manual 2CMC485003M0201, Modbus mapping tables): holding registers, integers high word first;
  0x5000 import (uint64, 0.01 kWh), 0x5004 export, 0x5B00/2/4 V (uint32, 0.1 V), 0x5B0C/E/10 A (uint32, 0.01 A),
  0x5B14 total W and 0x5B16/8/A W (int32, 0.01 W);
- Carlo Gavazzi EM340 (EM340 communication protocol): INT32 least significant word first; 0x0000/2/4 V (×10),
  0x000C/E/10 A (×1000), 0x0012/4/6 W (×10), 0x0028 W sys (×10), 0x0034 kWh (+) TOT (×10), 0x004E kWh (−) TOT."""
from rtu_bus import Slave, words

VOLTS = (231.0, 229.5, 230.2)
AMPS = (15.5, 15.25, 14.75)
WATTS = (3580.5, 3499.8, 3395.0)
IMPORT_KWH = 4321.5
EXPORT_KWH = 1.25


def put(regs, address, fmt, value, low_word_first=False):
    for i, w in enumerate(words(fmt, value, low_word_first)):
        regs[address + i] = w


def eastron(reading):
    r = {a: 0 for a in range(0, 0x50)}
    for i in range(3):
        put(r, 2 * i, "f", reading["V"][i]); put(r, 6 + 2 * i, "f", reading["A"][i]); put(r, 0x0C + 2 * i, "f", reading["W"][i])
    put(r, 0x34, "f", sum(reading["W"])); put(r, 0x48, "f", reading["kWh"]); put(r, 0x4A, "f", reading["exportKWh"])
    return {"inputs": r}


def abb(reading):
    r = {a: 0 for a in list(range(0x5000, 0x5010)) + list(range(0x5B00, 0x5B30))}
    put(r, 0x5000, "Q", round(reading["kWh"] * 100)); put(r, 0x5004, "Q", round(reading["exportKWh"] * 100))
    for i in range(3):
        put(r, 0x5B00 + 2 * i, "I", round(reading["V"][i] * 10)); put(r, 0x5B0C + 2 * i, "I", round(reading["A"][i] * 100))
        put(r, 0x5B16 + 2 * i, "i", round(reading["W"][i] * 100))
    put(r, 0x5B14, "i", round(sum(reading["W"]) * 100))
    return {"holding": r}


def em340(reading):
    r = {a: 0 for a in range(0, 0x60)}
    for i in range(3):
        put(r, 2 * i, "i", round(reading["V"][i] * 10), True); put(r, 0x0C + 2 * i, "i", round(reading["A"][i] * 1000), True)
        put(r, 0x12 + 2 * i, "i", round(reading["W"][i] * 10), True)
    put(r, 0x28, "i", round(sum(reading["W"]) * 10), True)
    put(r, 0x34, "i", round(reading["kWh"] * 10), True); put(r, 0x4E, "i", round(reading["exportKWh"] * 10), True)
    return {"holding": r, "inputs": dict(r)}


LAYOUTS = {"eastron-sdm630": eastron, "eastron-sdm72d": eastron, "abb-b23": abb, "carlo-gavazzi-em340": em340}


def reading(kwh=IMPORT_KWH, volts=VOLTS, amps=AMPS, watts=WATTS):
    return {"V": volts, "A": amps, "W": watts, "kWh": kwh, "exportKWh": EXPORT_KWH}


class ChargeMeter(Slave):
    def __init__(self, model, unit, value=None):
        self.model = model
        super().__init__(unit)
        self.set(value or reading())
        if model == "abb-b23":
            self.functions = {3, 16}
        elif model.startswith("eastron"):
            self.functions = {3, 4, 16}

    def set(self, value):
        """Shows another reading (e.g. more energy after charging)."""
        self.value = value
        image = LAYOUTS[self.model](value)
        self.holding = image.get("holding", {})
        self.inputs = image.get("inputs", {})
