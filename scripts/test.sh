#!/usr/bin/env bash
# The whole test suite: Swift unit and scenario tests, then the interop suites against the real binary.
# Installs what it needs on a fresh Debian machine (apt-get for system packages, a venv for PyPI peers).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(libsqlite3-dev zlib1g-dev openssl mbpoll socat chromium chromium-driver mosquitto prometheus iproute2 dnsmasq-base nftables udhcpc
              dbus-daemon libdbus-1-dev libglib2.0-dev pkg-config python3-dev systemd
              dpkg-dev binutils lintian debootstrap man-db util-linux systemd-container)
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
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt

echo "== swift build"
swift build
echo "== swift test"
swift test
echo "== interop (pytest, real binary)"
CHARGEKIT_BIN="$(swift build --show-bin-path)/chargekit" "$venv/bin/python" -m pytest Tests/Interop -q -p no:cacheprovider \
  --ignore=Tests/Interop/appliance
# The Debian package's binary must carry the Swift runtime: the debug build's objects linked once more, with the Swift
# runtime and Foundation linked statically (seconds; the build folder stays as it is), as .build/chargekit-static.
echo "== the Debian package (debug binary, Swift runtime linked statically)"
export CHARGEKIT_DEB_BIN="$PWD/.build/chargekit-static"
scripts/link-static.sh "$CHARGEKIT_DEB_BIN" 2> >(grep -v "use of \`mktemp' is dangerous" >&2)
CHARGEKIT_BIN="$CHARGEKIT_DEB_BIN" "$venv/bin/python" -m pytest Tests/Interop/appliance -q -p no:cacheprovider
