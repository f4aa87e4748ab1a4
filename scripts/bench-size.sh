#!/usr/bin/env bash
# Size benchmark and check (issue 31 item 1): the appliance binary's stripped size, what it is made of, the Debian
# package's size — and a failure when the binary grows above a bound.
#
#   scripts/bench-size.sh [--bin PATH] [--max-mb N] [--no-deb]
#
# Prints
#   (a) the reference in the same run: three one-line programs linked as the appliance binary is (release, -Osize,
#       Swift runtime static, the same linker options), stripped — the Swift runtime alone, with FoundationEssentials,
#       and with the whole of Foundation (which brings ICU and its 34 MB data table). They are the floor any Swift
#       binary pays, whatever it does;
#   (b) the appliance binary stripped as the package strips it, its biggest sections, and — when the script built it
#       (no --bin) — what it is made of, from the linker's map of a second link of the same objects: the bytes each
#       input brings, summed per Swift module of ours, per dependency module, and per static library (Swift runtime,
#       Foundation, FoundationEssentials, ICU code, ICU data, C runtime). The binary is linked with LTO, so all bitcode
#       becomes one object of the linker's; its functions and data are counted by the module their Swift name starts
#       with. The second link optimizes the whole program again: about 9 minutes;
#   (c) the .deb's size (scripts/package-deb.sh, xz) unless --no-deb.
# Fails (exit 1) when the stripped binary is larger than --max-mb (default: the bound below, the last measured size
# with a little room, lowered as the binary shrinks; issue 31's goal is 30 MB), and when anything brings the whole of
# Foundation (with ICU) back into it.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_MB=30
DEB=1
BIN=""
while (($#)); do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --max-mb) MAX_MB="$2"; shift 2 ;;
    --no-deb) DEB=0; shift ;;
    *) echo "usage: $0 [--bin PATH] [--max-mb N] [--no-deb]" >&2; exit 64 ;;
  esac
done
source scripts/bench/appliance-flags.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
MAP=""
if [[ -z "$BIN" ]]; then
  build=(swift build "${APPLIANCE_BUILD_FLAGS[@]}" --product chargekit --scratch-path .build-static)
  "${build[@]}" >/dev/null 2>&1 || "${build[@]}" >&2
  BIN="$("${build[@]}" --show-bin-path)/chargekit"
  # The same link once more with a map of what each input brought (SwiftPM's own command, from its build manifest).
  MAP="$work/chargekit.map"
  python3 - "$BIN" "$work/chargekit-mapped" "$MAP" <<'PY'
import json, subprocess, sys
product, out, mapfile = sys.argv[1:]
manifest = open(".build-static/release.yaml").read().split("\n")
for i, line in enumerate(manifest):
    if line.strip() == f'outputs: ["{product}"]' and manifest[i + 1].strip().startswith('description: "Linking'):
        args = json.loads(manifest[i + 2].strip()[len("args: "):])
        break
else:
    sys.exit(f"no link command for {product} in .build-static/release.yaml")
args[args.index("-o") + 1] = out
subprocess.run(args + ["-Xlinker", f"-Map={mapfile}", "-Xlinker", f"--why-extract={mapfile}.why"], check=True,
               stderr=subprocess.DEVNULL)
PY
fi
[[ -x "$BIN" ]] || { echo "error: $BIN is not an executable" >&2; exit 1; }
strip_flags=(--strip-unneeded --remove-section=.comment --remove-section=.note)

# (a) the reference: the floor of a Swift binary linked as the appliance is.
swift_flags=("${APPLIANCE_SWIFTC_FLAGS[@]}" "${APPLIANCE_LTO_SWIFTC_FLAGS[@]}" -static-stdlib "${APPLIANCE_LINK_SWIFTC_FLAGS[@]}")
printf 'print(CommandLine.arguments.count)\n' > "$work/runtime.swift"
printf 'import FoundationEssentials\nprint(try! JSONEncoder().encode([Date().timeIntervalSince1970]).count)\n' > "$work/essentials.swift"
printf 'import Foundation\nprint(try! JSONEncoder().encode([Date().timeIntervalSince1970]).count, String(format: "%%.1f", 1.25))\n' > "$work/foundation.swift"
echo "reference: one-line programs, release -Osize, Swift runtime static, the appliance's linker options, stripped"
for r in runtime essentials foundation; do
  swiftc "${swift_flags[@]}" "$work/$r.swift" -o "$work/$r" 2>/dev/null
  strip "${strip_flags[@]}" "$work/$r"
  "$work/$r" >/dev/null
  printf '  %-34s %7.2f MB\n' "$(case $r in runtime) echo "Swift runtime only";; essentials) echo "+ FoundationEssentials";; foundation) echo "+ Foundation (ICU)";; esac)" \
    "$(echo "$(stat -c %s "$work/$r") / 1000000" | bc -l)"
done

# The unwind tables are left out (appliance-no-unwind.ld): a crash must still end the process at once and say why. A
# small program linked the same way traps in a thread of its own, as a fault in an event loop would.
printf 'import Glibc\nvar t = pthread_t()\npthread_create(&t, nil, { _ in fatalError("crash check \\(CommandLine.arguments.count)") }, nil)\npthread_join(t, nil)\n' > "$work/crash.swift"
swiftc "${swift_flags[@]}" "$work/crash.swift" -o "$work/crash" 2>/dev/null
# (The status through a command substitution whose stderr is dropped: the shell's own "Illegal instruction" line.)
crash_status="$({ timeout 20 "$work/crash" 2> "$work/crash.err"; echo $?; } 2>/dev/null)"
if ((crash_status != 132 && crash_status != 133)) || ! grep -q "Fatal error: crash check 1" "$work/crash.err"; then
  echo "FAIL: a program linked as the appliance did not die of its trap with its message (status $crash_status):" >&2
  cat "$work/crash.err" >&2
  exit 1
fi
echo "  a trap in a thread: dies at once (SIGILL) with \"$(grep -o 'Fatal error: .*' "$work/crash.err")\""

# (b) the appliance binary.
cp "$BIN" "$work/chargekit"
strip "${strip_flags[@]}" "$work/chargekit"
bytes="$(stat -c %s "$work/chargekit")"
echo "appliance binary $BIN"
printf '  stripped                           %7.2f MB  (bound %s MB; goal 30 MB)\n' "$(echo "$bytes / 1000000" | bc -l)" "$MAX_MB"
echo "  biggest sections (MB):"
size -A "$work/chargekit" | awk 'NR > 2 && $2 > 0 && $1 != "Total" { printf "    %-28s %7.2f\n", $1, $2 / 1000000 }' | sort -k2 -n -r | head -8
if [[ -n "$MAP" ]]; then
  python3 - "$MAP" <<'PY'
import collections, os, re, subprocess, sys
# lld's map (-Map): "VMA LMA Size Align" then the output section (no indent), its input sections (8 spaces:
# "/path/file.o:(.text.foo)" or "/path/lib.a(member.o):(.rodata)"; "<internal>" for what the linker makes) and their
# symbols (16 spaces). Sums the input sections' sizes per origin; .bss and .tbss (no bytes in the file) and the
# sections that are not loaded (address 0: symbols, debug information) are left out.
ours = set(os.listdir("Sources"))
whole = ("libFoundation.a", "libFoundationInternationalization.a", "libCoreFoundation.a", "lib_FoundationICU.a")
def swift_module(symbol):
    """The module a Swift symbol's mangled name starts with ($s, then the module's length and name), or None."""
    m = re.match(r"\$s(\d+)", symbol)
    if not m:
        return None
    start = m.end()
    return symbol[start:start + int(m.group(1))]
def lto_origin(section):
    # With LTO the linker compiles all bitcode into one object ("….lto.o"); every function and datum still has a
    # section of its own (".text.SYMBOL", ".rodata.SYMBOL", …), so the origin is read from the symbol's name: the
    # module a Swift name starts with, BoringSSL's prefixes; what has no such name (merged strings and constants,
    # the runtime's records of all modules: swift5_*) is counted apart.
    symbol = section.split("$", 1)
    module = swift_module("$" + symbol[1]) if len(symbol) == 2 else None
    if module:
        return ("ours: " if module in ours else "dependency: ") + module
    if "CNIOBoringSSL_" in section or "CCryptoBoringSSL_" in section:
        return "dependency: " + ("CNIOBoringSSL" if "CNIOBoringSSL_" in section else "CCryptoBoringSSL") + " (named functions)"
    if section.startswith("swift5_"):
        return "lto: Swift records of all modules (" + section + ")"
    if len(symbol) == 2:
        return "lto: Swift, the Swift library's generics specialized for our types, and outlined copies"
    if "OUTLINED_FUNCTION" in section:
        return "lto: sequences the machine outliner made into functions"
    return "lto: C functions without a prefix, merged constants and strings"
def origin(path, section=""):
    if re.search(r"\.lto(\.\d+)?\.o$", path):
        return lto_origin(section)
    if path == "<internal>":
        return "linker: merged constants and strings, dynamic symbols, relocations"
    m = re.match(r"(.*)\((.*)\)$", path)
    if m:
        lib, member = os.path.basename(m.group(1)), m.group(2)
        if lib == "lib_FoundationICU.a":
            return "library: ICU data" if member.startswith("icu_packaged_data") else "library: ICU code"
        if lib in whole:
            return "library: Foundation, CoreFoundation, FoundationInternationalization"
        if lib in ("libFoundationEssentials.a", "lib_FoundationCShims.a", "lib_FoundationCollections.a"):
            return "library: FoundationEssentials"
        if lib.startswith("libswift") or lib in ("libdispatch.a", "libBlocksRuntime.a"):
            return "library: Swift runtime, Concurrency, Dispatch"
        return f"library: {lib}"
    m = re.search(r"/([^/]+)\.build/", path)
    if m:
        return ("ours: " if m.group(1) in ours else "dependency: ") + m.group(1)
    return "library: C runtime and start files"
sizes = collections.Counter()
line_re = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\s*)(\S.*)$")
out_section = None
for line in open(sys.argv[1], errors="replace"):
    m = line_re.match(line)
    if not m:
        continue
    indent, text = len(m.group(3)), m.group(4)
    if indent == 0:
        # Sections at address 0 are not loaded (symbols, debug information: strip removes them).
        out_section = text if int(m.group(1), 16) else None
    elif indent == 8 and out_section not in (None, ".bss", ".tbss"):
        path, _, section = text.rpartition(":(")
        sizes[origin(path, section.rstrip(")"))] += int(m.group(2), 16)
groups = collections.Counter()
for k, v in sizes.items():
    groups[k.split(":")[0]] += v
print("  what it is made of (bytes the inputs bring, before stripping, MB; from the linker's map):")
for k, v in groups.most_common():
    print(f"    {k:<30} {v / 1e6:7.2f}")
# Who brings the whole of Foundation (and ICU): lld's --why-extract, "reference<TAB>extracted<TAB>symbol", the members
# of Foundation's archives taken for a reference from outside them.
brought = collections.defaultdict(list)
for row in open(sys.argv[1] + ".why", errors="replace").read().split("\n")[1:]:
    f = row.split("\t")
    if len(f) == 3 and any(f"/{w}(" in f[1] for w in whole) and not any(f"/{w}(" in f[0] for w in whole):
        brought[origin(f[0])].append(f[2])
if brought:
    open(sys.argv[1] + ".foundation", "w").write("\n".join(brought))
    print("  what brings the whole of Foundation (and with it ICU): the first references from outside it")
    names = [x for v in brought.values() for x in v[:3]]
    demangled = subprocess.run(["swift-demangle", "--simplified"], input="\n".join(names), capture_output=True,
                               text=True).stdout.split("\n")
    k = 0
    for who, symbols in sorted(brought.items()):
        shown = demangled[k:k + min(3, len(symbols))]
        k += len(shown)
        print(f"    {who}: {len(symbols)} symbol(s), e.g. " + "; ".join(x[:90] for x in shown))
else:
    print("  nothing brings the whole of Foundation (no ICU)")
print("  the biggest inputs (MB):")
for k, v in sizes.most_common(24):
    print(f"    {k:<64} {v / 1e6:7.2f}")
PY
fi

# (c) the Debian package.
if ((DEB)); then
  deb="$(scripts/package-deb.sh --bin "$BIN" --out "$work" 2>/dev/null)"
  printf '  .deb (xz)                          %7.2f MB  (goal 12 MB)\n' "$(echo "$(stat -c %s "$deb") / 1000000" | bc -l)"
fi
if [[ -n "${MAP:-}" && -e "$MAP.foundation" ]]; then
  echo "FAIL: the binary carries the whole of Foundation and ICU again (see above: what brings it); use FoundationEssentials" >&2
  exit 1
fi
if ((bytes > MAX_MB * 1000000)); then
  echo "FAIL: the stripped binary ($bytes bytes) is above the bound of $MAX_MB MB" >&2
  exit 1
fi
echo "OK: within the bound of $MAX_MB MB"
