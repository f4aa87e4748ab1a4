# Sourced by the station benchmarks: takes `--bin PATH` out of the arguments (a binary built before, e.g. an earlier
# commit's for a before/after comparison) or builds the appliance binary — release, -Osize, Swift runtime linked
# statically, one self-contained file as a wallbox runs it. Sets BIN and ARGS (the other arguments).
BIN=""
ARGS=()
while (($#)); do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
if [[ -z "$BIN" ]]; then
  source scripts/bench/appliance-flags.sh
  build=(swift build "${APPLIANCE_BUILD_FLAGS[@]}" --product chargekit --scratch-path .build-static)
  "${build[@]}" >/dev/null 2>&1 || "${build[@]}"
  BIN="$("${build[@]}" --show-bin-path)/chargekit"
fi
