"""A ModemManager for the mobile modem tests (issue 24 item 3), on python-dbusmock's `modemmanager` template.

The template (python-dbusmock 0.38) has the manager object with ObjectManager.GetManagedObjects and `AddSimpleModem`
(a modem at /org/freedesktop/ModemManager1/Modems/8 with Modem, Modem3gpp and a SIM at /SIM/2), but none of the
methods a client calls to use the modem. This peer adds them with the behaviour the ModemManager 1.x D-Bus API
reference describes (interfaces org.freedesktop.ModemManager1.Modem, .Modem.Simple, .Modem.Modem3gpp, .Sim,
.Bearer; enumerations MMModemState, MMModemLock, MMBearerIpMethod):

- Sim.SendPin(s): the right PIN unlocks (UnlockRequired NONE, State REGISTERED); a wrong one costs an attempt
  (UnlockRetries[SIM_PIN] − 1) and fails with ModemManager's IncorrectPassword error; at 0 the SIM needs its PUK.
- Modem.Simple.Connect(a{sv}) → o: State CONNECTED and the bearer's path; Disconnect(o): State REGISTERED.
- Modem.Enable(b), Modem.SetCurrentModes((uu)) (CurrentModes follows), Modem3gpp.Register(s): recorded.
- A bearer object whose Interface and Ip4Config the test chooses (PPP, or static on a real interface).

The station sees nothing of this but D-Bus; the test reads back what it called through the mock's call log."""
import dbus

MM = "org.freedesktop.ModemManager1"
ROOT = "/org/freedesktop/ModemManager1"
MODEM_IFACE = "org.freedesktop.ModemManager1.Modem"
SIMPLE_IFACE = "org.freedesktop.ModemManager1.Modem.Simple"
THREE_GPP_IFACE = "org.freedesktop.ModemManager1.Modem.Modem3gpp"
SIM_IFACE = "org.freedesktop.ModemManager1.Sim"
BEARER_IFACE = "org.freedesktop.ModemManager1.Bearer"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
BEARER = "/org/freedesktop/ModemManager1/Bearer/0"

STATE_LOCKED, STATE_ENABLED, STATE_REGISTERED, STATE_CONNECTED = 2, 6, 8, 11
LOCK_NONE, LOCK_SIM_PIN, LOCK_SIM_PUK = 1, 2, 4

SEND_PIN = """
m = objects[MODEM]
p = m.props[MODEM_IFACE]
if args[0] == PIN:
    m.UpdateProperties(MODEM_IFACE, {'UnlockRequired': dbus.UInt32(LOCK_NONE), 'State': dbus.Int32(STATE_REGISTERED)})
else:
    left = max(0, int(p['UnlockRetries'].get(dbus.UInt32(LOCK_SIM_PIN), 3)) - 1)
    m.UpdateProperties(MODEM_IFACE, {'UnlockRetries': dbus.Dictionary({dbus.UInt32(LOCK_SIM_PIN): dbus.UInt32(left)}, signature='uu')})
    if left == 0:
        m.UpdateProperties(MODEM_IFACE, {'UnlockRequired': dbus.UInt32(LOCK_SIM_PUK)})
    raise dbus.exceptions.DBusException('Incorrect password', name='org.freedesktop.ModemManager1.Error.MobileEquipment.IncorrectPassword')
"""


def send_pin_code(modem, pin):
    """SEND_PIN with its constants filled in (the mock runs the code with only `self`, `args`, `objects` and `dbus`)."""
    header = (f"MODEM = {modem!r}\nPIN = {pin!r}\nMODEM_IFACE = {MODEM_IFACE!r}\nLOCK_NONE = {LOCK_NONE}\n"
              f"LOCK_SIM_PIN = {LOCK_SIM_PIN}\nLOCK_SIM_PUK = {LOCK_SIM_PUK}\nSTATE_REGISTERED = {STATE_REGISTERED}\n")
    return header + SEND_PIN


class ModemManagerPeer:
    def __init__(self, bus, pin="1234", iccid="89883030000045459887", imsi="206018037157525", locked=True,
                 bearer_interface="ppp0", ip4=None):
        self.bus = bus
        self.mock = bus.mock("modemmanager")
        self.pin = pin
        manager = self._obj(ROOT)
        self.modem, self.sim = (str(p) for p in manager.AddSimpleModem(dbus_interface=MOCK_IFACE))
        modem = self._obj(self.modem)
        modem.AddProperties(MODEM_IFACE, {"Manufacturer": "Fibocom Wireless Inc.", "EquipmentIdentifier": "867567040000000"},
                            dbus_interface=MOCK_IFACE)
        modem.UpdateProperties(MODEM_IFACE, {
            "Model": "NL668_EU_10",
            "State": dbus.Int32(STATE_LOCKED if locked else STATE_REGISTERED),
            "UnlockRequired": dbus.UInt32(LOCK_SIM_PIN if locked else LOCK_NONE),
            "UnlockRetries": dbus.Dictionary({dbus.UInt32(LOCK_SIM_PIN): dbus.UInt32(3)}, signature="uu"),
            "CurrentModes": dbus.Struct((dbus.UInt32(14), dbus.UInt32(8)), signature="(uu)"),
        }, dbus_interface=MOCK_IFACE)
        modem.AddProperties(THREE_GPP_IFACE, {"RegistrationState": dbus.UInt32(1)}, dbus_interface=MOCK_IFACE)
        modem.AddMethod(MODEM_IFACE, "Enable", "b", "", "", dbus_interface=MOCK_IFACE)
        modem.AddMethod(MODEM_IFACE, "SetCurrentModes", "(uu)", "",
                        f"self.UpdateProperties('{MODEM_IFACE}', {{'CurrentModes': dbus.Struct((args[0][0], args[0][1]), signature='(uu)')}})",
                        dbus_interface=MOCK_IFACE)
        modem.AddMethod(THREE_GPP_IFACE, "Register", "s", "", "", dbus_interface=MOCK_IFACE)
        modem.AddMethod(SIMPLE_IFACE, "Connect", "a{sv}", "o",
                        f"self.UpdateProperties('{MODEM_IFACE}', {{'State': dbus.Int32({STATE_CONNECTED})}}); ret = dbus.ObjectPath({BEARER!r})",
                        dbus_interface=MOCK_IFACE)
        modem.AddMethod(SIMPLE_IFACE, "Disconnect", "o", "",
                        f"self.UpdateProperties('{MODEM_IFACE}', {{'State': dbus.Int32({STATE_REGISTERED})}})", dbus_interface=MOCK_IFACE)
        sim = self._obj(self.sim)
        sim.UpdateProperties(SIM_IFACE, {"Imsi": imsi}, dbus_interface=MOCK_IFACE)
        sim.AddProperties(SIM_IFACE, {"SimIdentifier": iccid}, dbus_interface=MOCK_IFACE)
        sim.AddMethod(SIM_IFACE, "SendPin", "s", "", send_pin_code(self.modem, pin), dbus_interface=MOCK_IFACE)
        ip4 = ip4 or {"method": dbus.UInt32(1)}  # PPP unless the test gives a static configuration
        manager.AddObject(BEARER, BEARER_IFACE, {"Interface": bearer_interface, "Ip4Config": dbus.Dictionary(ip4, signature="sv")}, [],
                          dbus_interface=MOCK_IFACE)

    def _obj(self, path):
        return self.bus.connection().get_object(MM, path)

    def set_signal(self, percent):
        self._obj(self.modem).UpdateProperties(MODEM_IFACE, {"SignalQuality": dbus.Struct((dbus.UInt32(percent), True), signature="(ub)")},
                                               dbus_interface=MOCK_IFACE)

    def modem_calls(self, method):
        return self.mock.method_calls(method, path=self.modem)

    def sim_calls(self, method):
        return self.mock.method_calls(method, path=self.sim)

    def polls(self):
        """How often the station listed the modems (GetManagedObjects on the manager): one per poll."""
        return len(self.mock.method_calls("GetManagedObjects", path=ROOT))

    def wait_polls(self, more, timeout=60):
        """Waits until the station polled `more` more times than now (so that what it would do in those polls is done)."""
        import time
        target = self.polls() + more
        deadline = time.monotonic() + timeout
        while self.polls() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"the station polled ModemManager {self.polls()} times, expected {target}")
            time.sleep(0.1)
