"""An EVSE-DIN / SimpleEVSE-WB board (EV Racing) on the test's RS-485 bus, written from the manufacturer's datasheet
"EVSE Wallbox, DIN, W16" (evracing, document update 1 September 2020, chapter "Modbus"): holding registers read with
function 3 and written with function 16;
1000 configured amps (volatile; 0: no PWM), 1001 amps output, 1002 vehicle state (1 ready, 2 EV is present,
3 charging, 4 charging with ventilation, 5 failure), 1003 cable (PP) limit, 1004 turn off / self test bits,
1005 firmware revision, 1006 EVSE state (1 steady 12 V, 2 PWM is being generated — only if 1000 ≥ 6 —, 3 OFF),
1007 status and fails (bit 1 diode check fail, bit 2 vent required fail, bit 4 RCD check error);
2000–2017 configuration (2000 current after boot, 2001 Modbus address, 2002 minimum current, 2005 behaviour bits,
2007 PP detection).

The vehicle is modelled as the pilot sees it: plugged or not, and whether it asks for energy, which it does (state C)
only while the board generates PWM."""
from rtu_bus import Slave

FIRMWARE = 18


class EVSEDIN(Slave):
    def __init__(self, unit=1, pp_limit=32, current_after_boot=0):
        holding = {a: 0 for a in range(1000, 1008)}
        holding.update({a: 0 for a in range(2000, 2018)})
        holding[1000] = current_after_boot
        holding[1003] = pp_limit
        holding[1005] = FIRMWARE
        holding[1006] = 1
        holding[2000] = current_after_boot
        holding[2001] = unit
        holding[2002] = 6
        holding[2005] = 1 << 3 | 1 << 9  # the datasheet's defaults: charging on state D, pilot auto recover delay
        super().__init__(unit, holding=holding)
        self.functions = {3, 16}
        self.plugged = False
        self.wants_energy = True
        self.fails = 0
        self.pp_limit = pp_limit
        self._update()

    # The test's control surface.
    def plug(self, wants_energy=True):
        self.plugged, self.wants_energy = True, wants_energy
        self._update()

    def unplug(self):
        self.plugged = False
        self.fails = 0
        self._update()

    def fault(self, bits):
        """Sets register 1007's fail bits (e.g. 1 << 4 RCD check error); 0 clears them."""
        self.fails = bits
        self._update()

    @property
    def configured_amps(self):
        return self.holding[1000]

    def on_write(self, address, values):
        self._update()

    def read(self, table, address, quantity):
        self._update()
        return super().read(table, address, quantity)

    def _update(self):
        h = self.holding
        amps = h[1000]
        pwm = self.plugged and amps >= 6 and not (h[1004] & 1) and not self.fails
        h[1006] = 2 if pwm else 1
        h[1001] = min(amps, self.pp_limit) if pwm else 0
        h[1003] = self.pp_limit if self.plugged else 0
        h[1007] = self.fails
        if self.fails:
            h[1002] = 5
        elif not self.plugged:
            h[1002] = 1
        elif pwm and self.wants_energy:
            h[1002] = 3
        else:
            h[1002] = 2
