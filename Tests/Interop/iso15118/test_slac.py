"""Issue 27 item 1: the station's ISO 15118-3 SLAC (EVSE side) against a vehicle-side SLAC and an emulated powerline
modem (slac_ev.py), over AF_PACKET on a veth pair between two network namespaces (netns.py). The station runs as
`chargekit slac-match --interface <veth>`: one EVSE matching, its result as JSON on standard output.

What the tests hold the station to (ISO 15118-3:2015 Annex A, Table A.1 for the timers):
- a full match: a fresh NMK and its NID set on the modem by CM_SET_KEY.REQ (NID = HomePlug AV 1.1 §4.4.3.1: SHA-256
  five times over the NMK, left 52 bits, security level 0), the same NMK/NID in CM_SLAC_MATCH.CNF, CM_SLAC_PARM.CNF with
  10 sounds and Time_Out 6 (TT_EVSE_match_MNBC), CM_ATTEN_CHAR.IND with the per-group average;
- the attenuation threshold, two EVs on one line, an EV that falls silent (the EVSE repeats CM_ATTEN_CHAR.IND
  C_EV_match_retry times, then waits TT_matching_repetition for the EV's new run), garbage and other runs' frames;
- a clear start-up error for a missing interface or a missing CAP_NET_RAW."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import slac_ev as slac  # noqa: E402
from station import BIN  # noqa: E402

EV_A = bytes.fromhex("02aa00000001")
EV_B = bytes.fromhex("02bb00000002")


@pytest.fixture(scope="module")
def pair():
    from netns import NamespacePair, can_create
    reason = can_create()
    if reason:
        pytest.skip(reason)
    with NamespacePair(station_address="10.232.0.1", manager_address="10.232.0.2") as p:
        # The peer plays several stations (modem, EVs): its veth end takes frames to any MAC address.
        subprocess.run(["ip", "-n", p.manager.name, "link", "set", p.manager.interface, "promisc", "on"], check=True)
        yield p


@pytest.fixture
def line(pair):
    ln = pair.manager.call(slac.Line, pair.manager.interface)
    yield ln
    ln.close()


class Matching:
    """One `chargekit slac-match` in the station's namespace."""

    def __init__(self, pair, *extra, timeout_s=40):
        self.proc = pair.station.popen([BIN, "slac-match", "--interface", pair.station.interface, "--timeout", timeout_s,
                                        "--slac-init", 20, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        result = json.loads(out) if out.strip() else None
        return result, err, self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def matching(pair):
    runs = []

    def start(*extra, timeout_s=40):
        m = Matching(pair, *extra, timeout_s=timeout_s)
        runs.append(m)
        return m
    yield start
    for m in runs:
        m.kill()


def nid_of(nmk):
    """HomePlug AV 1.1 §4.4.3.1: PBKDF1(NMK, no salt, SHA-256, 5 iterations), 52 bits, then security level 0."""
    digest = nmk
    for _ in range(5):
        digest = hashlib.sha256(digest).digest()
    return digest[:6] + bytes([digest[6] >> 4])


def wait_for_key(line):
    assert line.wait_for(lambda: line.keys, 15), "the station set no key on the modem (no CM_SET_KEY.REQ)"


def test_issue27_1_full_match_gives_the_ev_the_key_set_on_the_modem(line, matching):
    m = matching()
    wait_for_key(line)
    ev = slac.EV(line, EV_A, attenuation_db=20)
    r = ev.match()
    assert r["result"] == "matched", r
    result, err, rc = m.finish()
    assert rc == 0, err
    assert result["result"] == "matched" and result["evMac"] == slac.mac_text(EV_A), result
    assert result["runId"] == r["run_id"].hex().upper() and result["sounds"] == 10 and result["attenuationDb"] == 20
    assert len(line.keys) == 1
    nmk, nid = line.keys[0]
    assert r["match_cnf"]["nmk"] == nmk and r["match_cnf"]["nid"] == nid
    assert r["match_cnf"]["mvf_length"] == 0x56 and r["match_cnf"]["pev_mac"] == EV_A and r["match_cnf"]["evse_mac"] == r["evse_mac"]
    assert nid == nid_of(nmk) and result["nid"] == nid.hex().upper()
    assert len(set(nmk)) > 4, "the NMK looks constant, not random"
    key = slac.parse_set_key_req(line.frames_of(slac.CM_SET_KEY_REQ)[0][3])
    assert key["key_type"] == 1 and key["pid"] == 4 and key["new_eks"] == 1
    cnf = r["parm_cnf"]
    assert (cnf["sound_target"], cnf["sounds"], cnf["timeout_100ms"], cnf["resp_type"], cnf["forwarding_sta"]) == (slac.BROADCAST, 10, 6, 1, EV_A)
    assert r["atten_char"]["sounds"] == 10 and r["atten_char"]["groups"] == [20] * 58 and r["atten_char"]["source_address"] == EV_A
    assert "NMK" not in err or "not shown" in err
    assert nmk.hex() not in err.lower()


def test_issue27_1_a_second_session_gets_a_new_key(line, matching):
    keys = []
    for _ in range(2):
        before = len(line.keys)
        m = matching()
        assert line.wait_for(lambda: len(line.keys) > before, 15)
        keys.append(line.keys[-1][0])
        assert slac.EV(line, EV_A, attenuation_db=25).match()["result"] == "matched"
        assert m.finish()[2] == 0
    assert keys[0] != keys[1]


def test_issue27_1_ev_above_the_attenuation_threshold_is_not_matched(line, matching):
    m = matching("--threshold", "40")
    wait_for_key(line)
    r = slac.EV(line, EV_A, attenuation_db=47).match()
    assert r["result"] == "no_match_cnf", r
    assert r["atten_char"]["groups"] == [47] * 58
    # The EV does not come back: after TT_matching_repetition (10 s) the station gives up, naming the reason.
    result, err, rc = m.finish()
    assert rc == 1 and result["result"] == "failed" and result["reason"] == "attenuation_above_threshold", (result, err)
    assert "47.0 dB above the threshold of 40.0 dB" in result["message"]
    assert not line.frames_of(slac.CM_SLAC_MATCH_CNF)


def test_issue27_1_two_evs_on_one_line_the_better_one_matches(line, matching):
    m = matching("--verbose")
    wait_for_key(line)
    near, far = slac.EV(line, EV_A, attenuation_db=18), slac.EV(line, EV_B, attenuation_db=44)
    results = {}
    # Both sound at once; the far EV (heard through crosstalk) asks to be matched first, the near one 0.5 s later.
    threads = [threading.Thread(target=lambda ev=ev, delay=delay: results.__setitem__(ev.mac, ev.match(match_request_delay_s=delay)))
               for ev, delay in ((far, 0), (near, 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results[EV_A]["result"] == "matched", results
    assert results[EV_B]["result"] == "no_match_cnf", results
    assert results[EV_B]["atten_char"]["groups"] == [44] * 58
    result, err, rc = m.finish()
    assert rc == 0 and result["evMac"] == slac.mac_text(EV_A), (result, err)
    assert "another EV was heard better (18.0 dB against 44.0 dB)" in err


def test_issue27_1_ev_silent_mid_sounding_then_the_standards_retry_matches(line, matching):
    m = matching("--verbose")
    wait_for_key(line)
    ev = slac.EV(line, EV_A, attenuation_db=22)
    first = ev.match(silent_after_sounds=4)
    assert first["result"] == "silent"
    run = first["run_id"]
    # TT_EVSE_match_MNBC closes the window with 4 sounds; CM_ATTEN_CHAR.IND goes out 1 + C_EV_match_retry times,
    # TT_match_response apart.
    mine = lambda: [f for f in line.frames_of(slac.CM_ATTEN_CHAR_IND) if slac.parse_atten_char_ind(f[3])["run_id"] == run]
    assert line.wait_for(lambda: len(mine()) == 3, 5), mine()
    sent = mine()
    assert all(slac.parse_atten_char_ind(f[3])["sounds"] == 4 for f in sent)
    gaps = [b[0] - a[0] for a, b in zip(sent, sent[1:])]
    assert all(0.15 <= g <= 0.6 for g in gaps), gaps
    second = ev.match()
    assert second["result"] == "matched", second
    assert len(mine()) == 3, "a fourth CM_ATTEN_CHAR.IND: more than C_EV_match_retry repetitions"
    result, err, rc = m.finish()
    assert rc == 0 and result["runId"] == second["run_id"].hex().upper(), (result, err)
    assert "no CM_ATTEN_CHAR.RSP" in err


def test_issue27_1_ev_that_never_returns_fails_after_the_repetition_window(line, matching):
    m = matching()
    wait_for_key(line)
    assert slac.EV(line, EV_A, attenuation_db=22).match(silent_after_sounds=2)["result"] == "silent"
    started = time.monotonic()
    result, err, rc = m.finish()
    assert rc == 1 and result["reason"] == "no_response" and "CM_ATTEN_CHAR.RSP" in result["message"], (result, err)
    assert 9 <= time.monotonic() - started <= 15


def test_issue27_1_garbage_truncated_and_other_runs_frames_are_ignored(line, matching):
    m = matching()
    wait_for_key(line)
    st, ev_mac = line.station_mac, EV_B
    other_run = bytes(range(0x40, 0x48))
    header = st + ev_mac + b"\x88\xe1"
    garbage = [
        header + b"\x01\x64",                                                             # ends inside the MMTYPE
        header + b"\x00" + bytes(45),                                                     # MMV 0
        slac.frame(st, ev_mac, 0xA0B8, bytes(20)),                                        # a vendor MME
        slac.frame(st, ev_mac, slac.CM_SLAC_MATCH_REQ, slac.slac_match_req(ev_mac, st, other_run))[:40],  # truncated
        slac.frame(st, ev_mac, slac.CM_SLAC_MATCH_REQ, slac.slac_match_req(ev_mac, st, other_run)),       # unknown run
        slac.frame(slac.BROADCAST, ev_mac, slac.CM_MNBC_SOUND_IND, slac.mnbc_sound_ind(other_run, 3)),    # unknown run
        slac.frame(st, ev_mac, slac.CM_ATTEN_CHAR_RSP, slac.atten_char_rsp(ev_mac, other_run)),           # unknown run
        header + b"\x01" + bytes(200),                                                    # MMTYPE 0x0000
    ]
    for g in garbage:
        line.send_raw(g)
    ev = slac.EV(line, EV_A, attenuation_db=21)
    stop = threading.Event()

    def noise():  # another run's frames during the matching
        while not stop.is_set():
            line.send_raw(slac.frame(slac.BROADCAST, ev_mac, slac.CM_START_ATTEN_CHAR_IND, slac.start_atten_char_ind(ev_mac, other_run)))
            line.send_raw(os.urandom(14) + bytes(50))
            time.sleep(0.03)
    t = threading.Thread(target=noise, daemon=True)
    t.start()
    try:
        r = ev.match()
    finally:
        stop.set()
        t.join(2)
    assert r["result"] == "matched", r
    result, err, rc = m.finish()
    assert rc == 0 and result["evMac"] == slac.mac_text(EV_A), (result, err)
    ignored = [l for l in err.splitlines() if "ignored" in l]
    assert len(ignored) >= 8, err
    assert "SLAC frame: MMTYPE" in err and "SLAC frame: MMV" in err and "unknown run 4041424344454647" in err
    assert "SLAC frame: PEV MAC" in err


def test_issue27_1_missing_interface_is_a_clear_start_up_error():
    r = subprocess.run([BIN, "slac-match", "--interface", "ck-nosuch0"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert "PLC interface ck-nosuch0 does not exist" in r.stderr and "ip link" in r.stderr and "plcInterface" in r.stderr
    assert r.stdout == ""


def test_issue27_1_without_cap_net_raw_the_error_says_so():
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        pytest.skip("needs root and setpriv (util-linux) to drop to an unprivileged user")
    directory = tempfile.mkdtemp(prefix="ck-slac-")  # pytest's tmp_path is private to root; nobody must reach the copy
    try:
        os.chmod(directory, 0o755)
        binary = os.path.join(directory, "chargekit")
        shutil.copy(BIN, binary)
        r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", binary,
                            "slac-match", "--interface", "lo"], capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert r.returncode == 2, r
    assert "raw packet socket for PLC interface lo" in r.stderr and "CAP_NET_RAW" in r.stderr
