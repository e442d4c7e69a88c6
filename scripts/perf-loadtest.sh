#!/usr/bin/env bash
# Where a load test's client CPU goes, by code: microseconds per request for each library and each
# PgOptimizer concern, from perf samples of the load test's measured window.
#
#   scripts/perf-loadtest.sh [--skip 5] [--seconds 8] [--out DIR] -- <pgopt loadtest arguments>
#   scripts/perf-loadtest.sh -- --raw --mix pitch_detail=1 --concurrency 16 --duration 20s --warmup 5s
#   scripts/perf-loadtest.sh -- --no-cache --mix pitch_detail=1 --concurrency 16 --duration 20s --warmup 5s
#
# perf records the process for --seconds once --skip seconds of the measured run have passed (the
# warm-up, the cache warm-up and the JIT's last recompilations are not in it: give the load test a
# --duration of at least skip + seconds + 2); the requests of the same seconds come from the run's
# one-second intervals. Each sample goes to the innermost frame outside the .NET runtime's own
# libraries, so a system call made by Npgsql counts for Npgsql; samples with no such frame are
# "kernel and runtime only"; the garbage collector's and the JIT's threads are counted apart. Run it
# for two executors and compare the tables (docs/benchmarks.md, "Where the cache's extra client CPU
# goes, by code"). Needs perf (Debian: linux-perf, installed here when missing), python3, and the
# right to profile (root, or kernel.perf_event_paranoid <= 1). The connection settings are the
# load test's own: flags, or PGOPT_CONNECTION and REDIS_URL (scripts/services.sh env).
# Exit codes: 0 done, 1 the load test or perf failed, 2 bad arguments.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=8
skip=5
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 ;;
    --skip) skip="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument '$1': the load test's arguments go after --, e.g. $0 -- --raw --duration 20s" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "--seconds must be a whole number of seconds, 1 or more (got '$seconds')" >&2; exit 2; }
[[ "$skip" =~ ^[0-9]+$ ]] || { echo "--skip must be a whole number of seconds, 0 or more (got '$skip')" >&2; exit 2; }
for a in "$@"; do
  case "$a" in
    --json|--progress|--progress=*) echo "$a is set by this script (--json, --progress 1s); leave it out" >&2; exit 2 ;;
  esac
done

if ! command -v perf >/dev/null 2>&1; then
  echo "[perf-loadtest] installing linux-perf" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >/dev/null || { echo "perf is not installed and could not be (apt-get install linux-perf)" >&2; exit 1; }
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to attribute the samples (apt-get install python3)" >&2; exit 1; }

dotnet build "$ROOT/src/PgOptimizer.Cli/PgOptimizer.Cli.csproj" -c Release -nologo -v quiet >/dev/null
work="$(mktemp -d)"
[[ -n "$out" ]] && mkdir -p "$out" && work="$(cd "$out" && pwd)"
cleanup() { [[ -z "$out" ]] && rm -rf "$work"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; return 0; }
trap cleanup EXIT

# The runtime writes a map of its compiled code for perf (DOTNET_PerfMapEnabled), at the addresses
# the code runs from (with W^X on, it runs from a second mapping the map does not name).
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "$ROOT/src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll" loadtest "$@" --progress 1s --json \
  >"$work/run.json" 2>"$work/run.err" &
pid=$!
first=""
while kill -0 "$pid" 2>/dev/null; do
  if [[ "$(grep -c '^progress:' "$work/run.err" 2>/dev/null)" -ge $((skip > 0 ? skip : 1)) ]]; then first=1; break; fi
  sleep 0.2
done
if [[ -z "$first" ]]; then
  wait "$pid" || true
  pid=""
  echo "the load test ended before $skip s of its measured run had passed (give it a longer --duration):" >&2
  tail -5 "$work/run.err" >&2
  exit 1
fi
started="$(grep -c '^progress:' "$work/run.err")"
perf record -F 999 -g -p "$pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>"$work/perf.err" || { echo "perf record failed: $(tail -2 "$work/perf.err")" >&2; exit 1; }
if ! wait "$pid"; then
  pid=""
  echo "the load test failed:" >&2
  tail -5 "$work/run.err" >&2
  exit 1
fi
pid=""
perf script -i "$work/perf.data" 2>/dev/null >"$work/perf.txt"

python3 - "$work/perf.txt" "$work/run.json" "$started" "$seconds" <<'PY'
import collections, json, re, sys

samples_file, run_file, started, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
run = json.load(open(run_file))
intervals = run.get("intervals") or []
# interval k (1-based) covers the measured run's seconds (k-1, k]; perf began after interval `started`
window = intervals[started:started + seconds]
if len(window) < seconds:
    print(f"note: the run ended {seconds - len(window)} s into the recording; the figures cover {len(window)} s", file=sys.stderr)
requests = sum(i["requests"] for i in window) if window else run["achievedRate"] * seconds
runtime = {"unknown", "System.Private.CoreLib", "System.Runtime", "System.Collections.Concurrent",
           "System.Collections", "System.Linq", "System.Threading", "System.Memory"}
counts = collections.Counter()
total = 0
header = None
frames = []

def flush():
    global total
    if header is None:
        return
    total += 1
    if "Server GC" in header or ".NET BGC" in header or "GC thread" in header:
        counts["(garbage collector's threads)"] += 1
        return
    if "Tiered Com" in header:
        counts["(JIT compiler's thread)"] += 1
        return
    key = "(kernel and runtime only)"
    for frame in frames:
        m = re.search(r"\[([A-Za-z0-9_.]+)\] ", frame)
        if m and m.group(1) not in runtime:
            key = m.group(1)
            if key == "PgOptimizer":
                concern = re.search(r"PgOptimizer\.(\w+)\.(\w+)", frame)
                key = "PgOptimizer." + (concern.group(1) + "." + concern.group(2) if concern else "?")
            break
    counts[key] += 1

for line in open(samples_file, errors="replace"):
    if not line.strip():
        flush()
        header, frames = None, []
    elif not line.startswith((" ", "\t")):
        header, frames = line, []
    else:
        parts = line.strip().split(" ", 1)
        frames.append(parts[1] if len(parts) > 1 else parts[0])
flush()

if total == 0 or requests <= 0:
    sys.exit("no samples or no requests in the window: is the load test long enough for --seconds?")
us = 1e6 / 999  # one sample's share of a second
print(f"{run['executor']}: {requests:,.0f} requests in {len(window) or seconds} s, {total:,} samples at 999 Hz")
print(f"client CPU per request, whole run (getrusage): {run['cpu']['clientMicrosPerRequest']:.1f} µs")
print(f"{'where':60s} {'µs/request':>10s} {'share':>7s}")
for key, n in counts.most_common():
    per = n * us / requests
    if per >= 0.05:
        print(f"{key[:60]:60s} {per:10.1f} {n / total:7.1%}")
print(f"{'total':60s} {total * us / requests:10.1f}")
PY
