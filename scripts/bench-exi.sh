#!/bin/sh
# EXI codec benchmark: encode and decode time per message type, ChargeKit's codec (Sources/EXI) against EXIficient 1.55
# (Josev's EXICodec.jar) in the same run, on the same random valid messages (Tests/Interop/iso15118/exi_samples.py).
#
#   scripts/bench-exi.sh [--release] [--repeat N]
#
# Ours: `chargekit v2g-exi bench` times N encodes and N decodes in-process (ContinuousClock) per message. The jar: N
# calls each way through py4j (exi_oracle.py "time"), so its figures include py4j's round trip per call (a socket
# round trip to the JVM, tens of µs); the JVM is warmed by the same N calls. Build with --release for the figures
# that matter (a debug build is several times slower).
set -eu
cd "$(dirname "$0")/.."
CONFIG=debug
REPEAT=300
while [ $# -gt 0 ]; do
  case "$1" in
    --release) CONFIG=release ;;
    --repeat) REPEAT="$2"; shift ;;
    *) echo "usage: $0 [--release] [--repeat N]" >&2; exit 2 ;;
  esac
  shift
done
SCRATCH="${CHARGEKIT_SCRATCH:-.build}"
if [ -z "${CHARGEKIT_BIN:-}" ]; then
  swift build -c "$CONFIG" --product chargekit --scratch-path "$SCRATCH" >&2
  CHARGEKIT_BIN="$SCRATCH/$CONFIG/chargekit"
fi
PY="${CHARGEKIT_TEST_PYTHON:-/work/main/.venv-test/bin/python}"
CHARGEKIT_BIN="$CHARGEKIT_BIN" REPEAT="$REPEAT" "$PY" - <<'PYEOF'
import json, os, subprocess, sys, zlib
sys.path.insert(0, "Tests/Interop/iso15118")
import xmlschema
from exi_samples import Samples
josev = os.environ.get("CHARGEKIT_JOSEV_PYTHON", "/work/main/.venv-josev/bin/python")
root = subprocess.run([josev, "-c", "import iso15118,os;print(os.path.dirname(iso15118.__file__))"],
                      check=True, capture_output=True, text=True).stdout.strip() + "/shared/schemas/"
n = int(os.environ["REPEAT"])
oracle = subprocess.Popen([josev, "Tests/Interop/iso15118/exi_oracle.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print("EXIficient", json.loads(oracle.stdout.readline())["ready"], "| ours:", os.environ["CHARGEKIT_BIN"], "| repeat", n)
def jar(req):
    oracle.stdin.write(json.dumps(req) + "\n"); oracle.stdin.flush()
    return json.loads(oracle.stdout.readline())
cases = []
s = xmlschema.XMLSchema10(root + "V2G_CI_AppProtocol.xsd")
for r in ["supportedAppProtocolReq", "supportedAppProtocolRes"]:
    cases.append(("appHand", "urn:iso:15118:2:2010:AppProtocol", r, Samples(s, 1).message(r)))
for schema, ns, xsd, group in [("iso2", "urn:iso:15118:2:2013:MsgDef", "iso15118_2/V2G_CI_MsgDef.xsd", "{urn:iso:15118:2:2013:MsgBody}BodyElement"),
                                ("din", "urn:din:70121:2012:MsgDef", "din_spec/V2G_CI_MsgBody.xsd", "{urn:din:70121:2012:MsgDef}BodyElement")]:
    s = xmlschema.XMLSchema10(root + xsd)
    for m in sorted(s.maps.substitution_groups.get(group, []), key=lambda m: m.local_name):
        if m.abstract:
            continue
        root_el = "{%s}V2G_Message" % ns
        cases.append((schema, ns, m.local_name, Samples(s, zlib.crc32(m.local_name.encode())).message(root_el, force=m.local_name)))
ours = {}
print("%-6s %-34s %6s %12s %12s %12s %12s" % ("schema", "message", "bytes", "ours enc µs", "ours dec µs", "jar enc µs", "jar dec µs"))
for schema, ns, name, msg in cases:
    if schema not in ours:
        ours[schema] = subprocess.Popen([os.environ["CHARGEKIT_BIN"], "v2g-exi", "bench", "--schema", schema, "--repeat", str(n)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    p = ours[schema]
    p.stdin.write(json.dumps(msg) + "\n"); p.stdin.flush()
    line = p.stdout.readline()
    if line.startswith("error"):
        print("%-6s %-34s %s" % (schema, name, line.strip())); continue
    a = json.loads(line)
    b = jar({"op": "time", "ns": ns, "json": json.dumps(msg), "n": n})
    print("%-6s %-34s %6d %12.1f %12.1f %12.1f %12.1f" % (schema, name, a["bytes"], a["encode_us"], a["decode_us"],
                                                         b.get("encode_us", float("nan")), b.get("decode_us", float("nan"))))
PYEOF
