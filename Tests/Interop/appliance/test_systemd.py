"""The Debian package under a real systemd (issue 23 items 1 and 5): a bookworm root with systemd and the package
installed boots in a systemd-nspawn container (container.py) and systemd itself runs the package's units as they are
shipped, with their sandbox — what test_deb.py can only emulate in a chroot and check with `systemd-analyze verify`:
Type=notify readiness, Restart=on-failure, the watchdog, chargekit-firmware.path → chargekit-firmware.service for
the station's firmware request, and OnFailure= → chargekit-firmware-rollback.service after the start limit.

The tests share one booted container and run in order (each starts from the station running): the first install
leaves version V, the update V+fw1, the broken update V+broken is rolled back to V+fw1.
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import container as nspawn  # noqa: E402
import debroot  # noqa: E402
import pki  # noqa: E402

STATION = "chargekit-station.service"
DATA = "/var/lib/chargekit/station"
FIRMWARE = f"{DATA}/firmware"
DROP_IN = "etc/systemd/system/chargekit-station.service.d/50-test-watchdog.conf"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="booting a container needs root")


@pytest.fixture(scope="module")
def box(tmp_path_factory, deb):
    """The booted container (powered off at the end of the module, whatever happened)."""
    root = nspawn.systemd_root(tmp_path_factory.mktemp("systemd-root"), deb)
    with nspawn.Container(root) as c:
        yield c
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)  # about 1 GB


def running(box):
    """MainPID, NRestarts and the rest once the station's unit is active (running): with Type=notify that is after
    READY=1."""
    def state():
        s = box.show(STATION, "ActiveState", "SubState", "MainPID", "NRestarts", "User", "Type", "Result")
        return s if s["ActiveState"] == "active" and s["SubState"] == "running" else None
    return nspawn.wait_for(state, 120, f"{STATION} active", lambda: box.systemctl("status", STATION, check=False).stdout
                           + box.journal(STATION)[-3000:])


def web_page(box, pid=None):
    """The station's page over HTTPS at the port and with the certificate its station.json publishes (written by the
    process `pid` when given). Returns the body."""
    def info():
        try:
            value = json.loads((box.root / DATA.lstrip("/") / "station.json").read_text())
        except (OSError, ValueError):
            return None
        return value if pid is None or value.get("pid") == pid else None
    published = nspawn.wait_for(info, 60, f"station.json of process {pid}")
    answer = nspawn.wait_for(lambda: (r := nspawn.fetch_https(box, published["httpsPort"], published["tlsCertificate"]))[0] and r,
                             60, "the web page over HTTPS", lambda: box.journal(STATION)[-3000:])
    status, body = answer
    assert status == 200 and "<html" in body.lower(), body[:500]
    return body


def journal_with(box, unit, *texts, timeout=30):
    """The unit's journal once it holds every one of `texts`. journald takes in a unit's output and systemd's own
    messages asynchronously, so a line may arrive a moment after what it reports has happened."""
    def holds():
        journal = box.journal(unit)
        return journal if all(t in journal for t in texts) else None
    return nspawn.wait_for(holds, timeout, f"{texts} in the journal of {unit}", lambda: box.journal(unit)[-3000:])


def process_uid(box, pid):
    status = box.run("cat", f"/proc/{pid}/status").stdout
    return re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M).groups()


def test_issue23_1_station_is_ready_through_sd_notify_as_chargekit_and_serves_https(box):
    s = running(box)
    assert s["Type"] == "notify" and s["User"] == "chargekit", s
    assert s["NRestarts"] == "0", s
    uid = debroot.lookup(box.root, "passwd", "chargekit")[2]
    assert process_uid(box, s["MainPID"]) == (uid, uid)
    web_page(box, int(s["MainPID"]))
    # The first start's passwords in the journal; READY=1 came from the station: systemd reports the start only after
    # it (Type=notify, NotifyAccess=main).
    journal_with(box, STATION, "Initial web interface passwords", "Started chargekit-station.service")
    # `systemctl stop`: SIGTERM, the station persists everything and exits 0 (systemd counts that a success).
    box.systemctl("stop", STATION)
    stopped = box.show(STATION, "ActiveState", "Result", "ExecMainStatus")
    assert stopped == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}, stopped
    journal_with(box, STATION, "everything persisted")
    box.systemctl("start", STATION)


def test_issue23_1_restart_on_failure_after_kill_9(box):
    before = running(box)
    box.systemctl("kill", "--signal=SIGKILL", "--kill-whom=main", STATION)
    after = nspawn.wait_for(lambda: (s := running(box))["MainPID"] != before["MainPID"] and s, 60, "a new main process")
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1, (before, after)
    journal_with(box, STATION, "status=9/KILL")
    web_page(box, int(after["MainPID"]))


def watchdog_pings(box):
    return box.show(STATION, "WatchdogTimestampMonotonic", "MainPID")


def test_issue23_1_watchdog_keeps_a_healthy_station_and_restarts_a_stopped_one(box):
    """With WatchdogSec lowered to 5 s (a drop-in of the test): systemd sees WATCHDOG=1 at least every 5 s from a
    healthy station over several periods (its WatchdogTimestamp advances, the process stays), and kills and
    restarts one whose process is stopped (SIGSTOP: the control loop stops turning)."""
    drop_in = box.root / DROP_IN
    drop_in.parent.mkdir(parents=True, exist_ok=True)
    drop_in.write_text("[Service]\nWatchdogSec=5s\n")
    try:
        box.systemctl("daemon-reload")
        box.systemctl("restart", STATION)
        start = running(box)
        assert box.show(STATION, "WatchdogUSec")["WatchdogUSec"] == "5s"
        pings = set()

        def three_periods():
            w = watchdog_pings(box)
            assert w["MainPID"] == start["MainPID"], f"the healthy station was restarted: {w}"
            if w["WatchdogTimestampMonotonic"] != "0":
                pings.add(int(w["WatchdogTimestampMonotonic"]))
            return len(pings) >= 2 and max(pings) - min(pings) >= 15_000_000
        nspawn.wait_for(three_periods, 40, "WATCHDOG=1 over three watchdog periods of 5 s")
        assert running(box)["NRestarts"] == start["NRestarts"]

        box.systemctl("kill", "--signal=SIGSTOP", "--kill-whom=main", STATION)
        after = nspawn.wait_for(lambda: (s := running(box))["MainPID"] != start["MainPID"] and s, 60,
                                "the restart after the watchdog timeout")
        assert int(after["NRestarts"]) == int(start["NRestarts"]) + 1
        journal_with(box, STATION, "Watchdog timeout (limit 5s)", "Failed with result 'watchdog'")
        web_page(box, int(after["MainPID"]))
    finally:
        drop_in.unlink(missing_ok=True)
        box.systemctl("daemon-reload")
    box.systemctl("restart", STATION)


def timedated(box, *argv, user=None):
    """A call to systemd-timedated (busctl) as a transient unit: with the station unit's user and sandbox, or as
    `user`. Returns its run."""
    identity = ["-p", f"User={user}"] if user else station_sandbox(box)
    return box.run("systemd-run", "--quiet", "--wait", "--pipe", "--collect", *identity, "busctl", "call",
                   "org.freedesktop.timedate1", "/org/freedesktop/timedate1", "org.freedesktop.timedate1", *argv, check=False)


def test_issue23_1_polkit_rule_lets_the_station_set_the_time_zone_and_nobody_else(box):
    """The package's polkit rule (/usr/share/polkit-1/rules.d/50-chargekit.rules) with the real polkitd and
    systemd-timedated: the station's user, in its unit's sandbox, sets the time zone without a prompt (as the station's
    clock settings do over D-Bus); another user may not, nor may the station's user do what the rule does not name."""
    zone = box.root / "etc/localtime"
    r = timedated(box, "SetTimezone", "sb", "Europe/Amsterdam", "false")
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.readlink(zone).endswith("zoneinfo/Europe/Amsterdam")
    r = timedated(box, "SetTimezone", "sb", "Europe/Berlin", "false", user="nobody")
    assert r.returncode != 0 and "Interactive authentication required" in r.stderr, r.stdout + r.stderr
    r = timedated(box, "SetLocalRTC", "bbb", "true", "false", "false")  # org.freedesktop.timedate1.set-local-rtc
    assert r.returncode != 0 and "Interactive authentication required" in r.stderr, r.stdout + r.stderr
    assert os.readlink(zone).endswith("zoneinfo/Europe/Amsterdam")


# The firmware service: the station (user chargekit, its unit's sandbox) cannot run dpkg; firmware-request leaves a
# request that chargekit-firmware.path hands to chargekit-firmware.service. With a manufacturer root in
# /etc/chargekit/firmware-roots the service installs only packages signed by it (as a station with
# RequireSignedFirmware On installs only those).

@pytest.fixture(scope="module")
def signing(tmp_path_factory):
    return pki.make_firmware_signing(tmp_path_factory.mktemp("fw-pki"))


def deb_version(path):
    return subprocess.run(["dpkg-deb", "-f", str(path), "Version"], capture_output=True, text=True, check=True).stdout.strip()


def sign(deb, signing):
    r = subprocess.run([debroot.package_binary(), "firmware", "sign", str(deb), "--key", str(signing / "fw-sign.key"),
                        "--cert", str(signing / "fw-sign.pem")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return deb


def broken_deb(deb, out, version):
    """`deb` as `version` whose chargekit exits at once with status 1: a release that cannot start."""
    tree = out / "tree"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    binary = tree / "usr/bin/chargekit"
    binary.write_text("#!/bin/sh\necho 'this release cannot start' >&2\nexit 1\n")
    binary.chmod(0o755)
    control = tree / "DEBIAN/control"
    control.write_text(re.sub(r"^Version: .*$", f"Version: {version}", control.read_text(), flags=re.M))
    target = out / f"chargekit_{version}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(tree), str(target)], check=True,
                   capture_output=True)
    return target


def installed_version(box):
    return box.run("dpkg-query", "-W", "-f=${Version}", "chargekit").stdout


def request_install(box, package, version, previous):
    """What the station does for an update: the package staged and the marker "installing" in its firmware directory,
    then the install command (FirmwareInstallCommand's packaged default, `firmware-request install FILE`), run here
    as a transient unit with the station unit's user and sandbox. Returns its run."""
    nspawn.copy_into(box, package, f"{FIRMWARE}/staged.pkg", owner="chargekit")
    marker = box.root / FIRMWARE.lstrip("/") / "pending-update"
    marker.write_text(f"phase=installing\nversion={version}\nprevious={previous}\ndeadline={int(time.time()) + 600}\n"
                      "starts=0\norigin=web\n")
    passwd = debroot.lookup(box.root, "passwd", "chargekit")
    os.chown(marker, int(passwd[2]), int(passwd[3]))
    return box.run("systemd-run", "--quiet", "--wait", "--pipe", "--collect", "--unit=chargekit-test-firmware-request",
                   *station_sandbox(box), "/usr/lib/chargekit/firmware-request", "install", f"{FIRMWARE}/staged.pkg",
                   check=False, timeout=300)


# The station unit's settings that are about its life cycle, not about what its processes may do.
LIFE_CYCLE = {"Type", "NotifyAccess", "WatchdogSec", "TimeoutStartSec", "TimeoutStopSec", "Restart", "RestartSec",
              "EnvironmentFile", "ExecStart"}


def station_sandbox(box):
    """systemd-run's `-p` for every [Service] setting of the installed station unit but its life cycle: user,
    capabilities, ProtectSystem=strict, ReadWritePaths, the system call filter… — what the station's own child
    processes (the install command) run with."""
    return [a for key, values in debroot.read_unit(box.root, STATION).items() if key not in LIFE_CYCLE
            for value in values for a in ("-p", f"{key}={value}")]


def test_issue23_5_station_request_installs_a_signed_update_through_the_path_unit(box, deb, signing, tmp_path):
    first = deb_version(deb)
    second = f"{first}+fw1"
    update = sign(debroot.build_deb(tmp_path, version=second), signing)
    nspawn.copy_into(box, signing / "mfr-root.pem", "/etc/chargekit/firmware-roots/maker.pem")
    # Installed by dpkg -i, as apt does from its cache: the service keeps that package for a rollback.
    arch = box.run("dpkg", "--print-architecture").stdout.strip()
    nspawn.copy_into(box, deb, f"/var/cache/apt/archives/chargekit_{first}_{arch}.deb")
    before = running(box)
    assert box.show("chargekit-firmware.path", "ActiveState")["ActiveState"] == "active"

    r = request_install(box, update, second, first)
    assert r.returncode == 0, r.stdout + r.stderr + box.journal("chargekit-firmware.service")
    assert "Setting up chargekit" in r.stderr  # dpkg's last lines reach the station
    assert installed_version(box) == second
    journal_with(box, "chargekit-firmware.service", f"installing chargekit {second}", "done")
    # The service restarted the station; the new version finds its update to be confirmed and confirms it.
    after = nspawn.wait_for(lambda: (s := running(box))["MainPID"] != before["MainPID"] and s, 120, "the station's restart")
    nspawn.wait_for(lambda: f"firmware {second} passed its health check" in box.journal(STATION), 120,
                    "the new version's health check", lambda: box.journal(STATION)[-3000:])
    assert not (box.root / FIRMWARE.lstrip("/") / "pending-update").exists()
    web_page(box, int(after["MainPID"]))


def test_issue23_5_a_release_that_cannot_start_is_rolled_back_by_on_failure(box, deb, signing, tmp_path):
    """The new version exits at once: systemd restarts it (Restart=on-failure, RestartSec=5s) until the start limit
    (StartLimitBurst=5) fails the unit, OnFailure= starts chargekit-firmware-rollback.service, which reinstalls the
    version kept before the update and starts the station again."""
    previous = installed_version(box)
    broken = sign(broken_deb(deb, tmp_path, f"{deb_version(deb)}+broken"), signing)
    version = deb_version(broken)
    r = request_install(box, broken, version, previous)
    assert r.returncode == 0, r.stdout + r.stderr + box.journal("chargekit-firmware.service")

    def rolled_back():
        return "rolled back to" in box.journal("chargekit-firmware-rollback.service") and installed_version(box) == previous
    nspawn.wait_for(rolled_back, 150, "the rollback after the start limit",
                    lambda: box.journal(STATION)[-3000:] + box.journal("chargekit-firmware-rollback.service"))
    journal_with(box, STATION, "Start request repeated too quickly", "this release cannot start", "Triggering OnFailure= dependencies")
    s = running(box)
    web_page(box, int(s["MainPID"]))
    # The station read the marker the rollback service left (phase rolledBack: it reports the update failed, and
    # removes it), and did not take the update for its own confirmed one.
    journal_with(box, "chargekit-firmware-rollback.service", f"rolled back to {previous}")
    nspawn.wait_for(lambda: not (box.root / FIRMWARE.lstrip("/") / "pending-update").exists(), 60,
                    "the station's report of the rollback (the marker removed)")
    assert f"firmware {version} passed its health check" not in box.journal(STATION)
