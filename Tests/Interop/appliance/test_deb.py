"""The Debian package (issue 23 item 1): it builds, lintian finds no error, systemd-analyze accepts its units, it
installs into a fresh Debian bookworm root (debootstrap) and the station runs from it as its unit says — user
chargekit, the unit's ExecStart and EnvironmentFile, sd_notify READY/WATCHDOG/STOPPING — and serves its web page.
Upgrade and remove keep the data; purge deletes it.

The web page is fetched at the address the station publishes in its station.json: over HTTPS, checked against the
certificate the file names, when the station announces an HTTPS port (`httpsPort`, `tlsCertificate`), else over HTTP.
"""
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import debroot  # noqa: E402

STATION_UNIT = "chargekit-station.service"
GATEWAY_UNIT = "chargekit-gateway.service"
FIRMWARE_UNITS = ("chargekit-firmware.path", "chargekit-firmware.service", "chargekit-firmware-rollback.service")
DATA = "var/lib/chargekit/station"
FIRMWARE = f"{DATA}/firmware"
KEPT = "var/lib/chargekit-rollback"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installing into a debootstrap root needs root")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """This module's own copy of the bookworm root: the original is shared with test_systemd.py, which copies it,
    possibly while these tests run (pytest-xdist), so it must stay as debootstrap left it."""
    copy = tmp_path_factory.mktemp("bookworm") / "root"
    subprocess.run(["cp", "-a", str(debroot.bookworm_root()), str(copy)], check=True)
    yield copy
    subprocess.run(["rm", "-rf", "--one-file-system", str(copy)], check=False)


def wait_for(condition, timeout, what, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.process.poll() is not None:
            raise AssertionError(f"{what}: the station exited with {process.process.returncode}:\n{process.output()}")
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s" + (f":\n{process.output()}" if process else ""))


def station_info(root):
    try:
        return json.loads((Path(root) / DATA / "station.json").read_text())
    except (OSError, ValueError):
        return None


def fetch_web_page(root, info):
    """GET / at the address station.json publishes (see the module's docstring); returns (status, body)."""
    if info.get("httpsPort"):
        context = ssl.create_default_context(cafile=str(Path(root) / info["tlsCertificate"].lstrip("/")))
        context.check_hostname = False  # the certificate is pinned: it is the one the station says it serves
        url, opener = f"https://127.0.0.1:{info['httpsPort']}/", urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    else:
        url, opener = f"http://127.0.0.1:{info['httpPort']}/", urllib.request.build_opener()
    with opener.open(url, timeout=10) as r:
        return r.status, r.read().decode(errors="replace")


def start_station(root, notify):
    debroot.set_options(root, "/etc/chargekit/station.env", "CHARGEKIT_STATION_OPTIONS",
                        **{"http_port": debroot.free_port(), "http_host": "127.0.0.1"})
    return debroot.UnitProcess(root, STATION_UNIT, notify=notify)


def test_package_builds_with_its_files_and_passes_lintian(deb):
    assert deb.name.startswith("chargekit_") and deb.name.endswith(".deb")
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture", "Depends"], capture_output=True,
                            text=True, check=True).stdout
    version = subprocess.run([debroot.package_binary(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert f"Version: {version}" in fields
    for dependency in ("adduser", "tzdata", "libc6", "libsqlite3-0", "libpcsclite1"):
        assert dependency in fields, fields
    # The glibc the binary's loader checks for: its highest GLIBC_x.y version need, and 2.36 for packed relocations
    # (GLIBC_ABI_DT_RELR names no symbol, dpkg-shlibdeps does not count it; package-deb.sh adds it).
    needs = subprocess.run(["objdump", "-p", debroot.package_binary()], capture_output=True, text=True, check=True).stdout
    wanted = max([tuple(map(int, v.split("."))) for v in re.findall(r"\bGLIBC_(\d+\.\d+)\b", needs)]
                 + ([(2, 36)] if "GLIBC_ABI_DT_RELR" in needs else []))
    libc6 = re.search(r"libc6 \(>= (\d+)\.(\d+)", fields)
    assert libc6 and (int(libc6.group(1)), int(libc6.group(2))) >= wanted, f"Depends asks for less than glibc {wanted}: {fields}"
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ("./usr/bin/chargekit", f"./lib/systemd/system/{STATION_UNIT}", f"./lib/systemd/system/{GATEWAY_UNIT}",
                 "./etc/chargekit/station.env", "./etc/chargekit/gateway.env", "./usr/share/doc/chargekit/copyright",
                 "./usr/share/doc/chargekit/sbom.cdx.json", "./usr/share/man/man1/chargekit.1.gz",
                 "./usr/lib/chargekit/firmware-request", "./usr/lib/chargekit/firmware-service",
                 *(f"./lib/systemd/system/{u}" for u in FIRMWARE_UNITS)):
        assert path in listing, f"{path} missing from the package:\n{listing}"
    conffiles = subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True, check=True).stdout.split()
    assert conffiles == ["/etc/chargekit/gateway.env", "/etc/chargekit/station.env"]

    lintian = subprocess.run(["lintian", "--no-tag-display-limit", str(deb)], capture_output=True, text=True)
    errors = [line for line in lintian.stdout.splitlines() if line.startswith("E:")]
    assert not errors, lintian.stdout
    assert lintian.returncode in (0, 2), lintian.stdout + lintian.stderr  # 2: warnings only


def test_sbom_lists_every_resolved_package_and_the_runtime_dependencies(deb, tmp_path):
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    bom = json.loads((tmp_path / "usr/share/doc/chargekit/sbom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5"
    purls = {c.get("purl", "") for c in bom["components"]}
    resolved = json.loads((debroot.REPO / "Package.resolved").read_text())["pins"]
    for pin in resolved:
        name = pin["location"].rstrip("/").split("/")[-1].removesuffix(".git")
        version = pin["state"].get("version") or pin["state"]["revision"]
        assert any(p.startswith("pkg:swift/") and p.endswith(f"/{name}@{version}") for p in purls), f"{name} {version} not in the SBOM"
    assert any(p.startswith("pkg:deb/debian/libsqlite3-0@") for p in purls)
    nio = next(c for c in bom["components"] if c["name"] == "swift-nio")
    assert nio["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    binary = tmp_path / "usr/bin/chargekit"
    assert ".symtab" not in subprocess.run(["readelf", "-S", str(binary)], capture_output=True, text=True).stdout, "not stripped"


def test_systemd_analyze_accepts_the_units(deb, tmp_path):
    """`systemd-analyze verify` on the package's tree as an image's root: the host's systemd units beside it (the
    targets the package's units order themselves after), its manual page found by `man` (Documentation=)."""
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    subprocess.run(["cp", "-an", "/lib/systemd/system/.", str(tmp_path / "lib/systemd/system/")], check=True)
    units = [str(tmp_path / "lib/systemd/system" / u) for u in (STATION_UNIT, GATEWAY_UNIT, *FIRMWARE_UNITS)]
    env = {**os.environ, "MANPATH": str(tmp_path / "usr/share/man")}
    r = subprocess.run(["systemd-analyze", "verify", f"--root={tmp_path}", *units], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and not r.stderr.strip(), r.stdout + r.stderr
    # The hardening is what the units say: systemd's own score of what the sandbox leaves open (0 best, 10 worst;
    # below 4 is "OK"). The station keeps CAP_NET_ADMIN/CAP_NET_RAW for its router and modem, the gateway does not.
    for unit, limit in ((units[0], 3.0), (units[1], 2.5)):
        exposure = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={tmp_path}", unit],
                                  capture_output=True, text=True)
        level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", exposure.stdout)
        assert level and float(level.group(1)) <= limit, exposure.stdout + exposure.stderr


def test_installs_into_bookworm_and_the_station_serves_its_page(deb, root):
    output = debroot.install(root, deb)
    status = debroot.chroot(root, "dpkg-query", "-W", "-f=${Status} ${Version}", "chargekit").stdout
    assert status.startswith("install ok installed"), output
    passwd = debroot.lookup(root, "passwd", "chargekit")
    assert passwd[6] in ("/usr/sbin/nologin", "/bin/false"), passwd
    data = Path(root) / DATA
    stat = data.parent.stat()
    assert (stat.st_uid, stat.st_mode & 0o777) == (int(passwd[2]), 0o750)
    assert (Path(root) / "etc/systemd/system/multi-user.target.wants" / STATION_UNIT).is_symlink(), "the station is not enabled"
    assert not (Path(root) / "etc/systemd/system/multi-user.target.wants" / GATEWAY_UNIT).exists()

    notify = debroot.NotifySocket(root)
    station = start_station(root, notify)
    try:
        log = []  # (arrival, message): the socket is read continuously until the test has what it needs

        def pump(timeout):
            message = notify.receive(timeout)
            if message:
                log.append((time.monotonic(), message))
            return message

        def received(prefix):
            return [t for t, m in log if m.startswith(prefix)]

        wait_for(lambda: pump(0.2) is None and False or received("READY=1"), 60,
                 "READY=1 from the station (the unit is Type=notify)", station)
        info = wait_for(lambda: station_info(root), 10, "station.json", station)
        code, body = fetch_web_page(root, info)
        assert code == 200 and "<html" in body.lower(), body[:500]
        # The watchdog is kept by the control loop at half of the unit's WatchdogSec: the first at the first tick,
        # the next one that interval later — not at every 100 ms tick.
        half = int(station.environment["WATCHDOG_USEC"]) / 2e6
        wait_for(lambda: pump(0.5) is None and False or len(received("WATCHDOG=1")) >= 2, half + 10, "two WATCHDOG=1", station)
        first, second = received("WATCHDOG=1")[:2]
        assert second - first >= half - 2, f"WATCHDOG=1 {second - first:.1f} s apart, expected half of WatchdogSec ({half} s)"
        # The initial passwords go to standard output, i.e. the journal under systemd.
        assert "Initial web interface passwords" in station.output()
        assert debroot.lookup(root, "passwd", "chargekit")[2] == str((data / "station.json").stat().st_uid)
    finally:
        code = station.stop()
    assert code == 0, station.output()
    assert wait_for(lambda: notify.receive(0.2) == "STOPPING=1" or None, 5, "STOPPING=1")
    notify.close()


def test_upgrade_keeps_the_data_and_the_station_answers_again(deb, root):
    database = Path(root) / DATA / "chargekit.sqlite"
    assert database.exists(), "the first start left no database"
    before = {p.name for p in (Path(root) / DATA).iterdir()}
    output = debroot.install(root, deb)  # the same version again: dpkg runs the upgrade path (postinst configure <old>)
    assert "Preparing to unpack" in output
    assert {p.name for p in (Path(root) / DATA).iterdir()} >= before - {"station.json"}
    notify = debroot.NotifySocket(root)
    station = start_station(root, notify)
    try:
        info = wait_for(lambda: station_info(root), 60, "station.json after the upgrade", station)
        wait_for(lambda: fetch_web_page(root, info)[0] == 200, 30, "the web page after the upgrade", station)
        assert "Initial web interface passwords" not in station.output(), "the accounts were created again"
    finally:
        assert station.stop() == 0, station.output()
        notify.close()


# The firmware service (packaging/root/usr/lib/chargekit/firmware-service): the station (user chargekit) cannot run
# dpkg, so /usr/lib/chargekit/firmware-request leaves a request that chargekit-firmware.path hands to the root service.
# systemd does not run in the chroot: the test runs the request as the station would (user chargekit, no new
# privileges) and the service's ExecStart as the path unit would start it, after the request appeared.

@pytest.fixture(scope="module")
def deb_next(tmp_path_factory, deb):
    """The same binary packaged as a later version: the update the station asks for."""
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True).stdout.strip()
    return debroot.build_deb(tmp_path_factory.mktemp("deb-next"), version=f"{version}+fw1")


def deb_version(path):
    return subprocess.run(["dpkg-deb", "-f", str(path), "Version"], capture_output=True, text=True, check=True).stdout.strip()


def installed_version(root):
    return debroot.chroot(root, "dpkg-query", "-W", "-f=${Version}", "chargekit").stdout


def as_station(root, *argv):
    """argv inside the root as the station's process runs: user chargekit, no new privileges."""
    return ["chroot", str(root), "setpriv", "--reuid=chargekit", "--regid=chargekit", "--clear-groups", "--no-new-privs", "--", *argv]


def station_file(root, relative, text):
    """A file the station writes (user chargekit) in its data directory."""
    path = Path(root) / relative
    subprocess.run(as_station(root, "mkdir", "-p", "/" + str(Path(relative).parent)), check=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    passwd = debroot.lookup(root, "passwd", "chargekit")
    os.chown(path, int(passwd[2]), int(passwd[3]))
    return path


def marker(version, previous, phase):
    return f"phase={phase}\nversion={version}\nprevious={previous}\ndeadline={int(time.time()) + 600}\nstarts=1\norigin=web\n"


def read_marker(root):
    return dict(line.split("=", 1) for line in (Path(root) / FIRMWARE / "pending-update").read_text().splitlines())


def request(root, *args, with_proc=False):
    """firmware-request as the station runs it (in the background), then the service as the path unit starts it once
    the request exists. Returns (request's exit status, its standard error, the service's run)."""
    requester = subprocess.Popen(as_station(root, "/usr/lib/chargekit/firmware-request", *args),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (Path(root) / FIRMWARE / "requests/request").exists() or requester.poll() is not None, 30,
             "the request of firmware-request")
    assert requester.poll() is None, requester.communicate()
    # The signature check runs the chargekit binary, which reads its arguments from /proc: mounted for it, as systemd has it.
    run = debroot.chroot_with_proc if with_proc else debroot.chroot
    service = run(root, "/usr/lib/chargekit/firmware-service", "request", check=False)
    try:
        _, err = requester.communicate(timeout=30)
    finally:
        if requester.poll() is None:
            requester.kill()
    assert not (Path(root) / FIRMWARE / "requests/request").exists(), "the service left the request (the path unit would loop)"
    return requester.returncode, err, service


def test_station_request_installs_a_new_version_through_the_root_service(deb, deb_next, root):
    first, second = deb_version(deb), deb_version(deb_next)
    assert installed_version(root) == first
    # Installed by hand (dpkg -i, as apt does from its cache): the service keeps that package for a rollback.
    arch = debroot.chroot(root, "dpkg", "--print-architecture").stdout.strip()
    (Path(root) / "var/cache/apt/archives").mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", str(deb), str(Path(root) / f"var/cache/apt/archives/chargekit_{first}_{arch}.deb")], check=True)
    # What the station has done when it runs the install command: the package staged, the marker "installing".
    station_file(root, f"{FIRMWARE}/staged.pkg", Path(deb_next).read_bytes())
    station_file(root, f"{FIRMWARE}/pending-update", marker(second, first, "installing"))

    code, err, service = request(root, "install", "/var/lib/chargekit/station/firmware/staged.pkg")
    assert service.returncode == 0, service.stdout + service.stderr
    assert code == 0, err + service.stderr
    assert installed_version(root) == second
    assert "Setting up chargekit" in err, err  # dpkg's last lines reach the station's log
    # The restart that follows must find the update to be confirmed, not an interrupted installation.
    assert read_marker(root)["phase"] == "confirming"
    passwd = debroot.lookup(root, "passwd", "chargekit")
    assert (Path(root) / FIRMWARE / "pending-update").stat().st_uid == int(passwd[2])
    kept = Path(root) / KEPT
    assert kept.stat().st_uid == 0 and kept.stat().st_mode & 0o777 == 0o700
    assert deb_version(kept / "previous.deb") == first and deb_version(kept / "installed.deb") == second
    assert not list((Path(root) / FIRMWARE / "requests").glob("*.deb")), "the request's package was left behind"
    result = next((Path(root) / "run/chargekit-firmware").glob("*.result"))
    assert result.stat().st_uid == 0 and result.stat().st_mode & 0o777 == 0o640


def test_unsigned_package_is_refused_when_manufacturer_roots_are_installed(deb, deb_next, root, tmp_path):
    """With a root in /etc/chargekit/firmware-roots the service checks the signature itself: a station process that
    was taken over cannot install a package of its own."""
    roots = Path(root) / "etc/chargekit/firmware-roots"
    roots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                    "-subj", "/CN=Test manufacturer root", "-keyout", str(tmp_path / "root.key"), "-out", str(roots / "maker.pem")],
                   check=True, capture_output=True)
    before = installed_version(root)
    station_file(root, f"{FIRMWARE}/staged.pkg", Path(deb).read_bytes())
    try:
        code, err, service = request(root, "install", "/var/lib/chargekit/station/firmware/staged.pkg", with_proc=True)
    finally:
        (roots / "maker.pem").unlink()
    assert code == 65, err + service.stderr
    assert "refused by the manufacturer roots" in err and "not signed" in err, err
    assert installed_version(root) == before
    # Not the chargekit package at all: refused without roots too.
    other = tmp_path / "other"
    (other / "DEBIAN").mkdir(parents=True)
    (other / "DEBIAN/control").write_text("Package: not-chargekit\nVersion: 1\nArchitecture: all\nMaintainer: x <x@x.invalid>\n"
                                          "Description: x\n x\n")
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(other), str(tmp_path / "other.deb")], check=True, capture_output=True)
    station_file(root, f"{FIRMWARE}/staged.pkg", (tmp_path / "other.deb").read_bytes())
    code, err, _ = request(root, "install", "/var/lib/chargekit/station/firmware/staged.pkg")
    assert code == 65 and "not the chargekit package" in err, err
    assert debroot.chroot(root, "dpkg-query", "-W", "not-chargekit", check=False).returncode != 0


def test_rollback_unit_reinstalls_the_kept_version_of_an_unconfirmed_update(deb, deb_next, root):
    """chargekit-firmware-rollback.service (OnFailure= of the station unit): the new version failed to start, its
    update is still to be confirmed — the previous version comes back and the marker says rolledBack, so that the
    station reports InstallationFailed."""
    first, second = deb_version(deb), deb_version(deb_next)
    assert installed_version(root) == second
    station_file(root, f"{FIRMWARE}/pending-update", marker(second, first, "confirming"))
    r = debroot.chroot(root, "/usr/lib/chargekit/firmware-service", "rollback")
    assert installed_version(root) == first, r.stderr
    m = read_marker(root)
    assert m["phase"] == "rolledBack" and m["version"] == second and m["previous"] == first, m
    assert second in m["reason"] and "did not start" in m["reason"], m
    passwd = debroot.lookup(root, "passwd", "chargekit")
    assert (Path(root) / FIRMWARE / "pending-update").stat().st_uid == int(passwd[2])
    # A failure without an unconfirmed update is not a reason to install anything.
    (Path(root) / FIRMWARE / "pending-update").unlink()
    r = debroot.chroot(root, "/usr/lib/chargekit/firmware-service", "rollback")
    assert "nothing to roll back" in r.stderr and installed_version(root) == first


def test_remove_keeps_the_data_and_purge_deletes_it(root):
    debroot.chroot(root, "dpkg", "--remove", "chargekit")
    assert not (Path(root) / "usr/bin/chargekit").exists()
    assert any((Path(root) / DATA).iterdir()), "remove deleted the data"
    assert (Path(root) / "etc/chargekit/station.env").exists(), "remove deleted the configuration"
    debroot.chroot(root, "dpkg", "--purge", "chargekit")
    assert not (Path(root) / "var/lib/chargekit").exists(), "purge kept the data"
    assert not (Path(root) / KEPT).exists(), "purge kept the firmware service's packages"
    assert not (Path(root) / "etc/chargekit").exists(), "purge kept the configuration"
