"""A vehicle-side SLAC (the EV of ISO 15118-3:2015 Annex A) and an emulator of the station's powerline modem, written
from the standard for the interop tests of the station's SLAC (test_slac.py). No code of another SLAC implementation.

Real hardware: station host ─ Ethernet ─ station's Green PHY modem ═ control pilot ═ EV's modem ─ EV host.
Here: the station runs in one network namespace on its veth end; everything else sits behind the other veth end in
the peer's namespace, on ONE AF_PACKET socket (Python `socket.AF_PACKET`, ethertype 0x88E1, the veth in promiscuous
mode so that frames to the EVs' and the modem's MAC addresses arrive):

- `Line` is the cable plus the station's modem: it answers CM_SET_KEY.REQ with CM_SET_KEY.CNF (HomePlug AV 1.1
  §11.5.4/5) and records each key (NMK, NID); for every CM_MNBC_SOUND.IND an EV sends it hands the station a
  CM_ATTEN_PROFILE.IND with that EV's configured attenuation (58 groups, dB) — what the real modem measures;
- `EV` runs the EV's matching (§A.9): CM_SLAC_PARM.REQ, 3 × CM_START_ATTEN_CHAR.IND, N × CM_MNBC_SOUND.IND every
  TP_EV_batch_msg_interval, waits for CM_ATTEN_CHAR.IND (TT_EV_atten_results) and answers CM_ATTEN_CHAR.RSP, then
  CM_SLAC_MATCH.REQ, repeated C_EV_match_retry times every TT_match_response without CM_SLAC_MATCH.CNF.

Frame layout (HomePlug AV 1.1 §11.1, MMV 0x01): dst(6) src(6) ethertype 88E1 (big endian), MMV 01, MMTYPE (little
endian; low two bits REQ 0 / CNF 1 / IND 2 / RSP 3), FMI 0000, then the entry; multi-octet fields little endian;
frames padded to 60 octets."""
import os
import queue
import socket
import struct
import threading
import time

ETHERTYPE = 0x88E1
BROADCAST = b"\xff" * 6
LOCAL_MODEM = bytes.fromhex("00b052000001")  # the local management address the station sends CM_SET_KEY.REQ to
MODEM_MAC = bytes.fromhex("00b052c0ffee")   # the emulated modem's own address (source of its frames)
PACKET_OUTGOING = 4

# MMTYPEs (ISO 15118-3:2015 Annex A; CM_SET_KEY: HomePlug AV 1.1 §11.5.4)
CM_SET_KEY_REQ, CM_SET_KEY_CNF = 0x6008, 0x6009
CM_SLAC_PARM_REQ, CM_SLAC_PARM_CNF = 0x6064, 0x6065
CM_START_ATTEN_CHAR_IND = 0x606A
CM_ATTEN_CHAR_IND, CM_ATTEN_CHAR_RSP = 0x606E, 0x606F
CM_MNBC_SOUND_IND = 0x6076
CM_VALIDATE_REQ, CM_VALIDATE_CNF = 0x6078, 0x6079
CM_SLAC_MATCH_REQ, CM_SLAC_MATCH_CNF = 0x607C, 0x607D
CM_ATTEN_PROFILE_IND = 0x6086

# ISO 15118-3:2015 Table A.1 (seconds)
TT_MATCH_RESPONSE = 0.2
TT_EV_ATTEN_RESULTS = 1.2
TP_EV_BATCH_MSG_INTERVAL = 0.02
C_EV_MATCH_RETRY = 2
C_EV_START_ATTEN_CHAR_INDS = 3
GROUPS = 58
ZERO_ID = bytes(17)


def mac_text(mac):
    return ":".join(f"{b:02x}" for b in mac)


def frame(dst, src, mmtype, entry):
    data = dst + src + struct.pack(">HB", ETHERTYPE, 1) + struct.pack("<HH", mmtype, 0) + entry
    return data + bytes(max(0, 60 - len(data)))


def parse(data):
    """(dst, src, mmtype, entry) of a HomePlug AV MME, or None for anything else."""
    if len(data) < 19 or struct.unpack(">H", data[12:14])[0] != ETHERTYPE or data[14] != 1:
        return None
    mmtype, _fmi = struct.unpack("<HH", data[15:19])
    return data[0:6], data[6:12], mmtype, data[19:]


# Entries (field order of the standard's tables)
def slac_parm_req(run_id):
    return bytes([0, 0]) + run_id


def start_atten_char_ind(ev_mac, run_id, sounds=10, timeout_100ms=6):
    return bytes([0, 0, sounds, timeout_100ms, 1]) + ev_mac + run_id


def mnbc_sound_ind(run_id, remaining):
    return bytes([0, 0]) + ZERO_ID + bytes([remaining]) + run_id + bytes(8) + os.urandom(16)


def atten_profile_ind(ev_mac, groups):
    return ev_mac + bytes([len(groups), 0]) + bytes(groups)


def atten_char_rsp(ev_mac, run_id, result=0):
    return bytes([0, 0]) + ev_mac + run_id + ZERO_ID + ZERO_ID + bytes([result])


def slac_match_req(ev_mac, evse_mac, run_id):
    return bytes([0, 0]) + struct.pack("<H", 0x3E) + ZERO_ID + ev_mac + ZERO_ID + evse_mac + run_id + bytes(8)


def set_key_cnf(result=0):
    return bytes([result]) + bytes(8) + bytes([4]) + bytes(2) + bytes([0, 0])


def parse_slac_parm_cnf(e):
    return {"sound_target": e[0:6], "sounds": e[6], "timeout_100ms": e[7], "resp_type": e[8], "forwarding_sta": e[9:15],
            "application_type": e[15], "security_type": e[16], "run_id": e[17:25]}


def parse_atten_char_ind(e):
    groups = e[51]
    return {"source_address": e[2:8], "run_id": e[8:16], "sounds": e[50], "groups": list(e[52:52 + groups])}


def parse_slac_match_cnf(e):
    (mvf,) = struct.unpack("<H", e[2:4])
    return {"mvf_length": mvf, "pev_mac": e[21:27], "evse_mac": e[44:50], "run_id": e[50:58], "nid": e[66:73], "nmk": e[74:90]}


def parse_set_key_req(e):
    return {"key_type": e[0], "pid": e[9], "nid": e[14:21], "new_eks": e[21], "nmk": e[22:38]}


class Line:
    """The cable and the station's modem, on the peer's veth end (create it inside the peer's namespace)."""

    def __init__(self, interface):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
        self.sock.bind((interface, ETHERTYPE))
        self.sock.settimeout(0.2)
        self.attenuation = {}       # EV MAC -> dB per group (int) or a list of 58
        self.keys = []              # (NMK, NID) of each CM_SET_KEY.REQ
        self.station_frames = []    # (time, mmtype, dst, entry) of every frame the station sent
        self.station_mac = None
        self.answer_set_key = True
        self.evs = {}
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="slac-line", daemon=True)
        self.thread.start()

    def close(self):
        self.closed = True
        self.thread.join(2)
        self.sock.close()

    def send(self, data):
        self.sock.send(data)

    def send_raw(self, data):
        """Any bytes onto the wire (garbage tests)."""
        self.sock.send(data)

    def wait_for(self, predicate, timeout):
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def frames_of(self, mmtype):
        with self.cond:
            return [f for f in self.station_frames if f[1] == mmtype]

    def ev_sent(self, ev, data):
        """An EV's frame onto the cable; a sound is also measured by the station's modem."""
        self.send(data)
        parsed = parse(data)
        if parsed and parsed[2] == CM_MNBC_SOUND_IND and ev.mac in self.attenuation and self.station_mac:
            value = self.attenuation[ev.mac]
            groups = value if isinstance(value, list) else [value] * GROUPS
            self.send(frame(self.station_mac, MODEM_MAC, CM_ATTEN_PROFILE_IND, atten_profile_ind(ev.mac, groups)))

    def _run(self):
        while not self.closed:
            try:
                data, address = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if address[2] == PACKET_OUTGOING:
                continue
            parsed = parse(data)
            if not parsed:
                continue
            dst, src, mmtype, entry = parsed
            with self.cond:
                self.station_frames.append((time.monotonic(), mmtype, dst, entry))
                if mmtype == CM_SET_KEY_REQ:
                    self.station_mac = src
                    k = parse_set_key_req(entry)
                    self.keys.append((k["nmk"], k["nid"]))
                self.cond.notify_all()
            if mmtype == CM_SET_KEY_REQ and dst in (LOCAL_MODEM, MODEM_MAC) and self.answer_set_key:
                self.send(frame(src, MODEM_MAC, CM_SET_KEY_CNF, set_key_cnf()))
            for ev in list(self.evs.values()):
                if dst in (ev.mac, BROADCAST):
                    ev.inbox.put((src, mmtype, entry))


class EV:
    """One vehicle's SLAC on the line (ISO 15118-3:2015 §A.9, the EV's side)."""

    def __init__(self, line, mac, attenuation_db, sounds=10):
        self.line, self.mac, self.sounds = line, mac, sounds
        self.inbox = queue.Queue()
        self.log = []
        line.attenuation[mac] = attenuation_db
        line.evs[mac] = self

    def _send(self, dst, mmtype, entry):
        self.line.ev_sent(self, frame(dst, self.mac, mmtype, entry))

    def _wait(self, mmtype, run_id, timeout, run_offset):
        """The next frame of `mmtype` for this run within `timeout` s (other frames are dropped), or None."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                src, t, entry = self.inbox.get(timeout=left)
            except queue.Empty:
                return None
            if t == mmtype and entry[run_offset:run_offset + 8] == run_id:
                return src, entry
        return None

    def match(self, silent_after_sounds=None, send_match_request=True, run_id=None, match_request_delay_s=0):
        """One matching run. Returns {"result": "matched"|"no_parm_cnf"|"silent"|"no_atten_char"|"no_match_cnf", ...}."""
        run_id = run_id or os.urandom(8)
        out = {"run_id": run_id}
        cnf = None
        for _ in range(1 + C_EV_MATCH_RETRY):
            self._send(BROADCAST, CM_SLAC_PARM_REQ, slac_parm_req(run_id))
            cnf = self._wait(CM_SLAC_PARM_CNF, run_id, TT_MATCH_RESPONSE * 2, 17)
            if cnf:
                break
        if not cnf:
            return {**out, "result": "no_parm_cnf"}
        evse_mac, entry = cnf
        out["evse_mac"], out["parm_cnf"] = evse_mac, parse_slac_parm_cnf(entry)
        for _ in range(C_EV_START_ATTEN_CHAR_INDS):
            self._send(BROADCAST, CM_START_ATTEN_CHAR_IND, start_atten_char_ind(self.mac, run_id, self.sounds))
            time.sleep(TP_EV_BATCH_MSG_INTERVAL)
        for i in range(self.sounds):
            if silent_after_sounds is not None and i == silent_after_sounds:
                return {**out, "result": "silent"}
            self._send(BROADCAST, CM_MNBC_SOUND_IND, mnbc_sound_ind(run_id, self.sounds - 1 - i))
            time.sleep(TP_EV_BATCH_MSG_INTERVAL)
        got = self._wait(CM_ATTEN_CHAR_IND, run_id, TT_EV_ATTEN_RESULTS, 8)
        if not got:
            return {**out, "result": "no_atten_char"}
        out["atten_char"] = parse_atten_char_ind(got[1])
        self._send(got[0], CM_ATTEN_CHAR_RSP, atten_char_rsp(self.mac, run_id))
        if not send_match_request:
            return {**out, "result": "characterized"}
        time.sleep(match_request_delay_s)  # an EV that takes its time to decide (within TT_EVSE_match_session)
        for _ in range(1 + C_EV_MATCH_RETRY):
            self._send(evse_mac, CM_SLAC_MATCH_REQ, slac_match_req(self.mac, evse_mac, run_id))
            confirm = self._wait(CM_SLAC_MATCH_CNF, run_id, TT_MATCH_RESPONSE, 50)
            if confirm:
                out["match_cnf"] = parse_slac_match_cnf(confirm[1])
                return {**out, "result": "matched"}
        return {**out, "result": "no_match_cnf"}
