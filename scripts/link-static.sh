#!/usr/bin/env bash
# Links the debug build's `chargekit` once more, with the Swift runtime and Foundation linked statically, into OUT
# (default .build/chargekit-static): a binary that runs on a machine without the Swift toolchain, as the Debian package
# needs it. Run after `swift build`; takes seconds.
#
# Why not `swift build --static-swift-stdlib`: it recompiles objects against the static resource directory, and SwiftPM
# does not recompile them back, so the next ordinary `swift build` or `swift test` fails to link ("cannot find
# -lCoreFoundation"). This script reuses SwiftPM's own link command for the product (from its build manifest,
# .build/debug.yaml) with `-static-stdlib` and Foundation's static archives added; the build folder is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/chargekit-static}"
bin_dir="$(swift build --show-bin-path)"
static="$(dirname "$(dirname "$(command -v swiftc)")")/lib/swift_static/linux"
python3 - "$bin_dir/chargekit" "$out" "$static" <<'PY'
import json, subprocess, sys
product, out, static = sys.argv[1], sys.argv[2], sys.argv[3]
manifest = open(".build/debug.yaml").read().split("\n")
# The product's link command: `outputs: ["<product>"]` then `description: "Linking …"` then `args: [...]`.
for i, line in enumerate(manifest):
    if line.strip() == f'outputs: ["{product}"]' and manifest[i + 1].strip().startswith('description: "Linking'):
        args = json.loads(manifest[i + 2].strip()[len("args: "):])
        break
else:
    sys.exit(f"no link command for {product} in .build/debug.yaml: run `swift build` first")
args[args.index("-o") + 1] = out
# No run-time search path: nothing is loaded from beside the binary (`-Xlinker -rpath=$ORIGIN`, dropped as a pair).
rpath = {j for j, a in enumerate(args) if a.startswith("-rpath=")}
args = [a for j, a in enumerate(args) if j not in rpath and not (a == "-Xlinker" and j + 1 in rpath)]
# Foundation's archives and the ICU they use, as one group (they refer to one another).
foundation = ["libFoundation.a", "libFoundationEssentials.a", "libFoundationInternationalization.a", "lib_FoundationICU.a",
              "libCoreFoundation.a", "lib_FoundationCShims.a", "lib_FoundationCollections.a"]
args[1:1] = ["-static-stdlib"]
args += ["-Xlinker", "--start-group", *[f"{static}/{a}" for a in foundation], "-Xlinker", "--end-group"]
# The static runtime's link options export every symbol into the dynamic symbol table (`-export-dynamic`): nothing
# loads code into the station at run time, so none is exported (6 MB less in the release binary, issue 31 item 1).
args += ["-Xlinker", "--no-export-dynamic"]
subprocess.run(args, check=True)
PY
# The check the package script makes too: no Swift library may be loaded at run time.
if ldd "$out" | grep -E "libswift|libFoundation|libdispatch" >&2; then
  echo "$out still links the Swift runtime dynamically" >&2
  exit 1
fi
echo "$out"
