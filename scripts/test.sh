#!/usr/bin/env bash
# The whole test suite: Swift unit and scenario tests, then the interop suites against the real binary.
# Installs what it needs on a fresh Debian machine (apt-get for system packages, a venv for PyPI peers).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's heading carries the time (UTC) and the seconds since the start: CI's log shows where the time goes.
started=$SECONDS
stage() { echo "== $(date -u +%H:%M:%S) (+$((SECONDS - started)) s) $*"; }

apt_packages=(libsqlite3-dev zlib1g-dev libpcsclite-dev pcscd vsmartcard-vpcd openssl curl mbpoll socat chromium chromium-driver mosquitto prometheus iproute2 dnsmasq-base nftables udhcpc
              dbus-daemon libdbus-1-dev libglib2.0-dev pkg-config python3-dev systemd
              dpkg-dev binutils lintian debootstrap man-db util-linux systemd-container avahi-daemon
              openjdk-17-jre-headless)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ! python3 -m venv --help >/dev/null 2>&1; then missing+=(python3-venv); fi
if ((${#missing[@]})); then
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The Debian package's acceptance test (Tests/Interop/appliance) installs it into a bookworm root made by debootstrap:
# made now, in the background, so that it overlaps the Swift build; the test waits for its status file. Removed at the
# end of the run (no mounts are left in it: the test mounts /proc in a mount namespace of the station's own; test_systemd.py
# boots a copy of it with systemd-nspawn and powers the container off before it ends).
export CHARGEKIT_BOOKWORM="$(mktemp -d /tmp/chargekit-bookworm.XXXXXX)"
setsid scripts/bookworm-root.sh "$CHARGEKIT_BOOKWORM" </dev/null &
bookworm_pid=$!
remove_bookworm() {
  kill -- -"$bookworm_pid" 2>/dev/null && wait "$bookworm_pid" 2>/dev/null || true
  # debootstrap interrupted may leave its /proc and /sys mounts: unmount them, and never cross into another filesystem.
  findmnt -rn -o TARGET | grep "^$CHARGEKIT_BOOKWORM/" | sort -r | xargs -r umount -l || true
  rm -rf --one-file-system "$CHARGEKIT_BOOKWORM"
}
trap remove_bookworm EXIT

venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
# The Python peers download while Swift builds; the interop step waits for them.
pip_log="$(mktemp /tmp/chargekit-pip.XXXXXX)"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt >"$pip_log" 2>&1 </dev/null &
pip_pid=$!
# Josev (the ISO 15118 vehicle and EXI oracle) pins versions the other peers do not run with: a venv of its own.
josev_venv=.venv-josev
if [ ! -x "$josev_venv/bin/python" ]; then python3 -m venv "$josev_venv"; fi
josev_log="$(mktemp /tmp/chargekit-pip-josev.XXXXXX)"
"$josev_venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/iso15118/requirements-josev.txt >"$josev_log" 2>&1 </dev/null &
josev_pid=$!

# `swift test` builds only the test targets on top of `swift build`; nothing is compiled twice.
stage "swift build"
swift build
stage "swift test"
swift test
# The Debian package's binary must carry the Swift runtime: the debug build's objects linked once more with the Swift
# runtime and Foundation linked statically (scripts/link-static.sh: seconds, and the build folder stays as it is, so
# the next `swift build` links as before), as .build/chargekit-static. Every interop suite runs against this one
# binary, the one the package ships.
stage "the debug binary linked with the Swift runtime statically"
export CHARGEKIT_DEB_BIN="$PWD/.build/chargekit-static"
scripts/link-static.sh "$CHARGEKIT_DEB_BIN" 2> >(grep -v "use of \`mktemp' is dangerous" >&2)
if ! wait "$pip_pid"; then cat "$pip_log"; echo "pip install -r Tests/Interop/requirements.txt failed" >&2; exit 1; fi
cat "$pip_log"; rm -f "$pip_log"
if ! wait "$josev_pid"; then cat "$josev_log"; echo "pip install -r Tests/Interop/iso15118/requirements-josev.txt failed" >&2; exit 1; fi
cat "$josev_log"; rm -f "$josev_log"
export CHARGEKIT_JOSEV_PYTHON="$PWD/$josev_venv/bin/python"
# The interop suites and the Debian package's acceptance test (Tests/Interop/appliance) in parallel: pytest-xdist
# workers, each running one test file at a time (`--dist loadfile`: a module's fixtures and test order stay as in a
# serial run; tests of different files share nothing — free ports, random namespace names, their own temporary
# directories). Most of their time is waiting for the station's (simulated) time, so 4 workers fit 2 cores.
# CHARGEKIT_TEST_WORKERS=0 runs them serially in one process. docs/testing.md "How the run is laid out".
stage "interop (pytest, real binary, ${CHARGEKIT_TEST_WORKERS:=4} workers)"
CHARGEKIT_BIN="$CHARGEKIT_DEB_BIN" "$venv/bin/python" -m pytest Tests/Interop -q -p no:cacheprovider \
  -n "$CHARGEKIT_TEST_WORKERS" --dist loadfile --durations=30
