#!/usr/bin/env bash
# Makes a minimal Debian bookworm root (debootstrap --variant=minbase) for the Debian package's acceptance test and
# benchmark, which install chargekit into it and run the station from it.
#
#   scripts/bookworm-root.sh DIR      DIR/root is the root, DIR/log debootstrap's output, DIR/status its exit code
#                                     (written last: a test waits for it, see Tests/Interop/appliance/debroot.py)
#
# The package's run-time dependencies are included, so that `dpkg -i` needs no network; a Depends added later is
# fetched by `apt-get -f install` in the root. systemd, systemd-sysv, dbus and polkitd: test_systemd.py boots a copy of
# the root with systemd as PID 1 (systemd-nspawn) and checks the package's polkit rule (libpam-systemd: the logind that
# polkitd depends on, which debootstrap does not resolve by itself); test_deb.py's chroot does not start them.
# scripts/test.sh starts this in the background before the Swift build.
set -uo pipefail
dir="${1:?usage: $0 DIR}"
mkdir -p "$dir"
rm -f "$dir/status"
debootstrap --variant=minbase --include=adduser,libsqlite3-0,zlib1g,libpcsclite1,systemd,systemd-sysv,dbus,libpam-systemd,polkitd bookworm "$dir/root" http://deb.debian.org/debian \
  >"$dir/log" 2>&1
echo $? > "$dir/status.tmp" && mv "$dir/status.tmp" "$dir/status"
