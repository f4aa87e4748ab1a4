#!/usr/bin/env bash
# The whole test suite: Swift unit and scenario tests, then the interop suites against the real binary.
# Installs what it needs on a fresh Debian machine (apt-get for system packages, a venv for PyPI peers).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(libsqlite3-dev zlib1g-dev openssl mbpoll socat chromium chromium-driver mosquitto prometheus iproute2 dnsmasq-base nftables udhcpc
              dbus-daemon libdbus-1-dev libglib2.0-dev pkg-config python3-dev systemd binutils)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ! python3 -m venv --help >/dev/null 2>&1; then missing+=(python3-venv); fi
if ((${#missing[@]})); then
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt

echo "== swift build"
swift build
echo "== swift test"
swift test
echo "== interop (pytest, real binary)"
CHARGEKIT_BIN="$(swift build --show-bin-path)/chargekit" "$venv/bin/python" -m pytest Tests/Interop -q -p no:cacheprovider
