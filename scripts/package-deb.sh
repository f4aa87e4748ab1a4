#!/usr/bin/env bash
# Builds the Debian package chargekit_<version>_<arch>.deb with dpkg-deb (no debhelper) and prints its path.
#
#   scripts/package-deb.sh [--bin PATH] [--out DIR] [--scratch-path DIR] [--fast] [--version V]
#
# Without --bin it builds the appliance binary as scripts/bench.sh does (release, -Osize, Swift runtime linked
# statically). --bin packages a binary built before — it must be self-contained (Swift runtime linked statically),
# e.g. the test suite's debug build relinked by scripts/link-static.sh. The version is the one the binary reports
# (`chargekit --version`, i.e. ChargeKitVersion.current), the architecture dpkg's, the Depends dpkg-shlibdeps'.
# --fast compresses with gzip -1 instead of xz (a debug binary of 160 MB takes minutes with xz on a busy machine).
# --version gives the package another version than the binary's (a test's second version to update to).
#
# The package's files:
#   packaging/root/**          copied as they are into the package root (units, /etc/chargekit/*.env, rules, the
#                              firmware service's scripts in usr/lib/chargekit, …);
#                              a file under etc/ is a conffile. Add a udev rule or a unit there, nothing else to do.
#   packaging/debian/          the maintainer scripts (postinst, prerm, postrm)
#   packaging/chargekit.1      the manual page (compressed here)
#   packaging/sbom.py          writes the SBOM (CycloneDX 1.5) and the copyright file
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=""
OUT="$PWD/dist"
SCRATCH=""
COMPRESSION=(-Zxz)
VERSION=""
while (($#)); do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --scratch-path) SCRATCH="$2"; shift 2 ;;
    --fast) COMPRESSION=(-Zgzip -z1); shift ;;
    --version) VERSION="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin PATH] [--out DIR] [--scratch-path DIR] [--fast] [--version V]" >&2; exit 64 ;;
  esac
done

if [[ -z "$BIN" ]]; then
  SCRATCH="${SCRATCH:-.build-static}"
  source scripts/bench/appliance-flags.sh
  build=(swift build "${APPLIANCE_BUILD_FLAGS[@]}" --product chargekit --scratch-path "$SCRATCH")
  "${build[@]}" >&2
  BIN="$("${build[@]}" --show-bin-path)/chargekit"
fi
[[ -x "$BIN" ]] || { echo "error: $BIN is not an executable" >&2; exit 1; }
# The licences are read from the resolved packages' sources (the scratch path the binary was built in, or any).
if [[ -z "$SCRATCH" ]]; then
  for s in "$(dirname "$BIN")" "$(dirname "$BIN")/.." .build .build-static; do
    [[ -d "$s/checkouts" ]] && { SCRATCH="$s"; break; }
  done
fi
[[ -n "$SCRATCH" && -d "$SCRATCH/checkouts" ]] || { echo "error: no checkouts of the Swift packages found (give --scratch-path)" >&2; exit 1; }

# A binary that needs the Swift runtime's shared libraries would not run on a board without a toolchain.
if readelf -d "$BIN" | grep -q 'NEEDED.*libswift'; then
  echo "error: $BIN links the Swift runtime dynamically; build it with --static-swift-stdlib" >&2; exit 1
fi

VERSION="${VERSION:-$("$BIN" --version)}"
[[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "error: the version '$VERSION' (--version, else '$BIN --version') is not a version" >&2; exit 1; }
ARCH="$(dpkg --print-architecture)"
SWIFT_VERSION="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkg="$work/chargekit"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/doc/chargekit" "$pkg/usr/share/man/man1"

cp -a packaging/root/. "$pkg/"
install -m 0755 "$BIN" "$pkg/usr/bin/chargekit"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/chargekit"
gzip -9n < packaging/chargekit.1 > "$pkg/usr/share/man/man1/chargekit.1.gz"
install -m 0644 packaging/README.Debian "$pkg/usr/share/doc/chargekit/README.Debian"
for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$pkg/DEBIAN/$s"; done
(cd "$pkg" && find etc -type f 2>/dev/null | sort | sed 's|^|/|') > "$pkg/DEBIAN/conffiles"
[[ -s "$pkg/DEBIAN/conffiles" ]] || rm "$pkg/DEBIAN/conffiles"

# Depends: what the binary's shared libraries need (dpkg-shlibdeps reads debian/control of a source tree),
# adduser for postinst, and tzdata: named time zones (the Timezone parameter, the gateway's BMS time zone) are read
# from /usr/share/zoneinfo, since the binary carries no ICU (CivilDate's TimeZoneRules).
mkdir -p "$work/src/debian"
printf 'Source: chargekit\n\nPackage: chargekit\nArchitecture: any\n' > "$work/src/debian/control"
shlibs="$(cd "$work/src" && dpkg-shlibdeps -O "$pkg/usr/bin/chargekit" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[[ -n "$shlibs" ]] || { echo "error: dpkg-shlibdeps found no dependencies of the binary" >&2; exit 1; }
# A binary with packed relocations (DT_RELR: scripts/bench/appliance-flags.sh) needs glibc 2.36 — its loader checks the
# version GLIBC_ABI_DT_RELR, which names no symbol, so dpkg-shlibdeps does not count it.
if objdump -p "$pkg/usr/bin/chargekit" | grep -q GLIBC_ABI_DT_RELR; then
  shlibs="$(sed -E 's/libc6 \(>= 2\.([0-9]|[12][0-9]|3[0-5])(\.[0-9]+)?\)/libc6 (>= 2.36)/' <<<"$shlibs")"
fi
DEPENDS="adduser, tzdata, $shlibs"

changelog_date="$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
printf 'chargekit (%s) stable; urgency=medium\n\n  * ChargeKit %s, built from commit %s.\n\n -- ChargeKit <dev@chargekit.invalid>  %s\n' \
  "$VERSION" "$VERSION" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$changelog_date" \
  | gzip -9n > "$pkg/usr/share/doc/chargekit/changelog.gz"

python3 packaging/sbom.py --version "$VERSION" --arch "$ARCH" --checkouts "$SCRATCH/checkouts" --depends "$DEPENDS" \
  --swift-version "${SWIFT_VERSION:-unknown}" --sbom "$pkg/usr/share/doc/chargekit/sbom.cdx.json" \
  --copyright "$pkg/usr/share/doc/chargekit/copyright"

installed_kb="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<EOF
Package: chargekit
Version: $VERSION
Architecture: $ARCH
Maintainer: ChargeKit <dev@chargekit.invalid>
Installed-Size: $installed_kb
Depends: $DEPENDS
Section: misc
Priority: optional
Description: EV charge point controller and OCPP/Modbus gateway
 ChargeKit runs a charging station (chargekit-station.service: its
 connectors, sessions, web interface, local API, Modbus TCP, load
 management and OCPP 1.6J) or a gateway between chargers and a
 building management system (chargekit-gateway.service), as the
 system user chargekit. Configuration is in /etc/chargekit, data in
 /var/lib/chargekit; the initial passwords of the first start are in
 the journal (journalctl -u chargekit-station).
EOF

# Reproducible modes and owners: root owns everything, directories 0755, files 0644 unless executable.
find "$pkg" -type d -exec chmod 0755 {} +
find "$pkg" -type f ! -perm -u+x -exec chmod 0644 {} +
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
mkdir -p "$OUT"
deb="$OUT/chargekit_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group "${COMPRESSION[@]}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
