#!/usr/bin/env bash
# Debian package benchmark: builds the package (scripts/package-deb.sh; --bin PATH packages a binary built before) and
# prints
#   (a) its size: the .deb, and installed (Installed-Size and the files on disk)
#   (b) the install time: `dpkg -i` into a fresh Debian bookworm root (debootstrap minbase with the Depends)
#   (c) the update time: from `dpkg -i` of the package over the running station until the station's web page answers
#       again — dpkg, then the restart postinst asks systemd for (SIGTERM, start with the unit's ExecStart), then
#       the first answer; median of 3. The same package is installed again (dpkg's upgrade path, the same work).
# Figures are printed, not asserted. Usage: scripts/bench-deb.sh [--bin PATH] [--bookworm DIR]
# --bookworm: a root made by scripts/bookworm-root.sh DIR (made there when missing; default: a new temporary one).
# Needs root (chroot, mount namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=""
BOOKWORM=""
while (($#)); do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --bookworm) BOOKWORM="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin PATH] [--bookworm DIR]" >&2; exit 64 ;;
  esac
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
deb="$(scripts/package-deb.sh ${BIN:+--bin "$BIN"} --out "$out")"
if [[ -z "$BOOKWORM" ]]; then BOOKWORM="$out/bookworm"; fi
if [[ ! -f "$BOOKWORM/status" ]]; then
  echo "making a bookworm root in $BOOKWORM (debootstrap, a few minutes)" >&2
  scripts/bookworm-root.sh "$BOOKWORM"
fi
python3 - "$deb" "$BOOKWORM" "$out" <<'PY'
import os, shutil, statistics, subprocess, sys, time, urllib.request
from pathlib import Path
sys.path.insert(0, "Tests/Interop/appliance")
import debroot

deb, bookworm, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
os.environ["CHARGEKIT_BOOKWORM"] = str(bookworm)
pristine = debroot.bookworm_root(timeout=60)
root = out / "root"
subprocess.run(["cp", "-a", str(pristine), str(root)], check=True)

installed_kib = int(subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True, text=True).stdout)
print(f"package {deb.name}")
print(f"  .deb           {deb.stat().st_size / 1024 / 1024:6.2f} MiB")
t0 = time.perf_counter()
debroot.install(root, deb)
install_s = time.perf_counter() - t0
files = subprocess.run(["chroot", str(root), "dpkg-query", "-L", "chargekit"], capture_output=True, text=True).stdout.split()
on_disk = sum((root / f.lstrip("/")).stat().st_size for f in files if (root / f.lstrip("/")).is_file())
print(f"  installed      {installed_kib / 1024:6.2f} MiB (Installed-Size), {on_disk / 1024 / 1024:.2f} MiB of files")
print(f"install: dpkg -i into a fresh bookworm root   {install_s * 1000:6.0f} ms")

def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            return r.status == 200
    except Exception:
        return False

def start():
    port = debroot.free_port()
    debroot.set_options(root, "/etc/chargekit/station.env", "CHARGEKIT_STATION_OPTIONS", http_port=port, http_host="127.0.0.1")
    return debroot.UnitProcess(root, "chargekit-station.service"), port

def wait(station, port):
    deadline = time.monotonic() + 60
    while not answers(port):
        if station.process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the station did not answer:\n{station.output()}")
        time.sleep(0.005)

station, port = start()
wait(station, port)
totals, dpkgs = [], []
for _ in range(3):
    t0 = time.perf_counter()
    debroot.install(root, deb)
    t1 = time.perf_counter()
    assert station.stop() == 0, station.output()
    station, port = start()
    wait(station, port)
    t2 = time.perf_counter()
    dpkgs.append(t1 - t0)
    totals.append(t2 - t0)
station.stop()
print("update: dpkg -i over the running station → its web page answers again, 3 runs: "
      + ", ".join(f"{t * 1000:.0f}" for t in totals) + " ms")
print(f"  median {statistics.median(totals) * 1000:.0f} ms (of which dpkg -i {statistics.median(dpkgs) * 1000:.0f} ms)")
PY
