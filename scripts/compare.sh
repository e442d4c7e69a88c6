#!/usr/bin/env bash
# The toolkit against raw Npgsql on the demo workload: alternating rounds, each run on freshly seeded
# data, and the ratios with client, PostgreSQL and Redis CPU per request.
#
#   scripts/compare.sh [--rounds 3] [--scale 0.1] [--toolkit "ARGS"] [--before DIR] [--no-reseed]
#                      [--no-build] [--out DIR] [--json] [-- <load-test arguments for both executors>]
#
#   scripts/compare.sh                                   # 3 rounds, scale 0.1, warm cache
#   scripts/compare.sh --toolkit "--no-cache" -- --mix pitch_detail=1 --concurrency 16 --duration 15s --warmup 5s
#   git worktree add ../pgopt-before HEAD~1 && scripts/compare.sh --rounds 4 --before ../pgopt-before
#
# Each round runs both executors one after the other, raw first in odd rounds and the toolkit first
# in even ones, so that neither always meets the machine's state the other left behind. Before every
# run the demo data is seeded again (`pgopt seed --scale`) and the index catalog deployed, because
# the workload's writes age the data and a later run would otherwise start from a different
# database (--no-reseed skips that, e.g. for a large scale). Both executors get the same load-test
# arguments (default: --concurrency 64 --duration 20s --warmup 10s; anything after -- replaces them);
# raw adds --raw, the toolkit adds --toolkit's arguments (default: --clear-cache --cache-warmup
# 20000, a cache warmed the same way every round). The machine's noise moves both executors of a
# round together, so the ratio within a round says more than either figure: the summary gives the
# median ratio and its range over the rounds.
#
# --before DIR measures a change: DIR is another checkout of this repository (a git worktree of the
# commit before the change, say), whose CLI runs the toolkit with the same arguments as a third
# executor in every round ("before"; "toolkit" is this checkout's). The order of the three rotates
# from round to round, and the summary adds the toolkit's throughput and client CPU after ÷ before.
# DIR's CLI is built too unless --no-build.
#
# Connection settings come from the environment, as for every pgopt command: PGOPT_CONNECTION (or
# NEON_DATABASE_URL) and REDIS_URL (`eval "$(scripts/services.sh env)"` for the local services).
# The database's demo data is replaced. Needs python3 to read the runs' JSON.
# --out keeps every run's JSON (round-N-raw.json, round-N-toolkit.json) and summary.json; --json
# prints the summary as JSON on stdout instead of the table. Progress goes to stderr.
# Exit codes: 0 done, 1 a seed, deploy or load test failed, 2 bad arguments or no connection set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=3
scale=0.1
toolkit_args="--clear-cache --cache-warmup 20000"
reseed=1
before=""
build=1
out=""
json=0
common=(--concurrency 64 --duration 20s --warmup 10s)
die2() { echo "$1" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="${2:-}"; shift 2 ;;
    --scale) scale="${2:-}"; shift 2 ;;
    --toolkit) toolkit_args="${2-}"; shift 2 ;;
    --before) before="${2:-}"; [[ -n "$before" ]] || die2 "--before needs the folder of another checkout of this repository"; shift 2 ;;
    --no-reseed) reseed=0; shift ;;
    --no-build) build=0; shift ;;
    --out) out="${2:-}"; [[ -n "$out" ]] || die2 "--out needs a folder"; shift 2 ;;
    --json) json=1; shift ;;
    --) shift; [[ $# -gt 0 ]] && common=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die2 "unknown argument '$1': the load test's arguments go after --, e.g. $0 -- --concurrency 16 --duration 15s" ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die2 "--rounds must be a whole number, 1 or more (got '$rounds')"
[[ "$scale" =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || die2 "--scale must be a number such as 0.1 or 1 (got '$scale')"
read -r -a toolkit <<<"$toolkit_args"
for a in "${common[@]}" "${toolkit[@]}"; do
  case "$a" in
    --raw) die2 "--raw is set by this script for the raw runs; leave it out" ;;
    --json|--json=*) die2 "--json is set by this script (use its own --json for a JSON summary)" ;;
    --rps|--rps=*) die2 "--rps runs an open loop, whose throughput is the rate asked for: compare closed loops (--concurrency) here" ;;
    --connection|--connection=*|--redis|--redis=*) die2 "$a: this script seeds the database the environment names; set PGOPT_CONNECTION and REDIS_URL instead" ;;
  esac
done
if [[ -z "${PGOPT_CONNECTION:-}" && -z "${NEON_DATABASE_URL:-}" ]]; then
  die2 "No database connection is configured: set PGOPT_CONNECTION (for the local services: eval \"\$(scripts/services.sh env)\")."
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to read the runs' JSON (apt-get install python3)" >&2; exit 1; }
[[ -n "${REDIS_URL:-}" ]] || echo "[compare] REDIS_URL is not set: the toolkit runs with its memory tier only" >&2

if [[ -n "$before" ]]; then
  [[ -f "$before/src/PgOptimizer.Cli/PgOptimizer.Cli.csproj" ]] || die2 "--before $before: not a checkout of this repository (no src/PgOptimizer.Cli there); e.g. git worktree add ../pgopt-before HEAD~1"
  before="$(cd "$before" && pwd)"
  [[ "$before" != "$ROOT" ]] || die2 "--before names this checkout itself: give another one (git worktree add ../pgopt-before HEAD~1)"
fi
checkouts=("$ROOT")
[[ -n "$before" ]] && checkouts+=("$before")
for checkout in "${checkouts[@]}"; do
  cli="$checkout/src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll"
  if [[ $build -eq 1 ]]; then
    echo "[compare] building the CLI (Release) in $checkout" >&2
    dotnet build "$checkout/src/PgOptimizer.Cli/PgOptimizer.Cli.csproj" -c Release -nologo -v quiet >/dev/null
  fi
  [[ -f "$cli" ]] || { echo "$cli is missing: build the CLI (dotnet build -c Release) or leave out --no-build" >&2; exit 1; }
done
dll="$ROOT/src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll"
before_dll="$before/src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll"
work="$(mktemp -d)"
if [[ -n "$out" ]]; then mkdir -p "$out"; work="$(cd "$out" && pwd)"; fi
log="$(mktemp)"
cleanup() { rm -f "$log"; [[ -z "$out" ]] && rm -rf "$work"; return 0; }
trap cleanup EXIT

# runs pgopt (this checkout's, or with --cli another's); on failure prints what it said and exits 1
pgopt() {
  local cli="$dll"
  if [[ "$1" == --cli ]]; then cli="$2"; shift 2; fi
  if ! dotnet "$cli" "$@" 2>"$log"; then
    echo "[compare] pgopt $1 failed:" >&2
    tail -5 "$log" >&2
    exit 1
  fi
}

executors=(raw toolkit)
[[ -n "$before" ]] && executors=(raw before toolkit)
n=${#executors[@]}
for ((i = 1; i <= rounds; i++)); do
  # the order rotates by one each round: with two executors raw goes first in odd rounds
  order=()
  for ((k = 0; k < n; k++)); do order+=("${executors[$(((k + i - 1) % n))]}"); done
  for executor in "${order[@]}"; do
    if [[ $reseed -eq 1 ]]; then
      echo "[compare] round $i/$rounds, $executor: seeding scale $scale and deploying the catalog" >&2
      pgopt seed --scale "$scale" >/dev/null
      pgopt deploy --catalog demo >/dev/null
    fi
    echo "[compare] round $i/$rounds, $executor: load test ${common[*]}" >&2
    if [[ $executor == raw ]]; then
      pgopt loadtest --raw "${common[@]}" --json >"$work/round-$i-raw.json"
    elif [[ $executor == before ]]; then
      pgopt --cli "$before_dll" loadtest "${toolkit[@]}" "${common[@]}" --json >"$work/round-$i-before.json"
    else
      pgopt loadtest "${toolkit[@]}" "${common[@]}" --json >"$work/round-$i-toolkit.json"
    fi
  done
  printf '%s\n' "${order[*]}" >"$work/round-$i.order"
done

python3 - "$work" "$rounds" "$json" "$scale" "${common[*]}" "$toolkit_args" "$before" <<'PY'
import json, statistics, sys

work, rounds, as_json, scale, common, toolkit_args, before = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]

def figures(path):
    r = json.load(open(path))
    cpu = r.get("cpu") or {}
    return {
        "requestsPerSecond": r["achievedRate"],
        "p99Ms": r["latency"]["p99Ms"],
        "errors": r["errors"],
        "cacheHitRate": r.get("cacheHitRate"),
        "idealCacheHitRateWithInvalidation": r.get("idealCacheHitRateWithInvalidation"),
        "clientMicrosPerRequest": cpu.get("clientMicrosPerRequest"),
        "databaseMicrosPerRequest": cpu.get("databaseMicrosPerRequest"),
        "redisMicrosPerRequest": cpu.get("redisMicrosPerRequest"),
        "otherMicrosPerRequest": cpu.get("otherMicrosPerRequest"),
        "clientAllocatedBytesPerRequest": cpu.get("clientAllocatedBytesPerRequest"),
    }

def ratio(a, b):
    return a / b if a is not None and b else None

result = []
for i in range(1, rounds + 1):
    raw, tk = figures(f"{work}/round-{i}-raw.json"), figures(f"{work}/round-{i}-toolkit.json")
    order = open(f"{work}/round-{i}.order").read().split()
    entry = {
        "round": i,
        "first": order[0],
        "order": order,
        "raw": raw,
        "toolkit": tk,
        "throughputRatio": ratio(tk["requestsPerSecond"], raw["requestsPerSecond"]),
        "clientCpuRatio": ratio(tk["clientMicrosPerRequest"], raw["clientMicrosPerRequest"]),
        "databaseCpuRatio": ratio(tk["databaseMicrosPerRequest"], raw["databaseMicrosPerRequest"]),
    }
    if before:
        bt = figures(f"{work}/round-{i}-before.json")
        entry["before"] = bt
        entry["beforeThroughputRatio"] = ratio(bt["requestsPerSecond"], raw["requestsPerSecond"])
        entry["afterBeforeThroughputRatio"] = ratio(tk["requestsPerSecond"], bt["requestsPerSecond"])
        entry["afterBeforeClientCpuRatio"] = ratio(tk["clientMicrosPerRequest"], bt["clientMicrosPerRequest"])
    result.append(entry)

def spread(key):
    values = [r[key] for r in result if r[key] is not None]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None

summary = {
    "scale": float(scale),
    "loadTestArguments": common,
    "toolkitArguments": toolkit_args,
    "rounds": result,
    "throughputRatio": spread("throughputRatio"),
    "clientCpuRatio": spread("clientCpuRatio"),
    "databaseCpuRatio": spread("databaseCpuRatio"),
}
if before:
    summary["before"] = before
    for key in ("beforeThroughputRatio", "afterBeforeThroughputRatio", "afterBeforeClientCpuRatio"):
        summary[key] = spread(key)
json.dump(summary, open(f"{work}/summary.json", "w"), indent=2)
if as_json:
    json.dump(summary, sys.stdout, indent=2)
    print()
    sys.exit(0)

def f(v, fmt="{:.1f}"):
    return "-" if v is None else fmt.format(v)

print(f"scale {scale}, all: {common}; toolkit: {toolkit_args or '(no extra arguments)'}")
if before:
    print(f"before: the toolkit built in {before}; toolkit: this checkout's")
print(f"{'round':>5}  {'first':7}  {'raw req/s':>9}  {'toolkit req/s':>13}  {'toolkit ÷ raw':>13}  "
      f"{'client µs raw / tk':>18}  {'PostgreSQL µs raw / tk':>22}  {'Redis µs tk':>11}  {'other µs raw / tk':>17}  {'hit (ideal)':>13}")
for r in result:
    raw, tk = r["raw"], r["toolkit"]
    hit = "-" if tk["cacheHitRate"] is None else f"{tk['cacheHitRate']:.3f} ({f(tk['idealCacheHitRateWithInvalidation'], '{:.3f}')})"
    print(f"{r['round']:>5}  {r['first']:7}  {raw['requestsPerSecond']:>9,.0f}  {tk['requestsPerSecond']:>13,.0f}  {f(r['throughputRatio'], '{:.2f}'):>13}  "
          f"{f(raw['clientMicrosPerRequest']) + ' / ' + f(tk['clientMicrosPerRequest']):>18}  "
          f"{f(raw['databaseMicrosPerRequest']) + ' / ' + f(tk['databaseMicrosPerRequest']):>22}  "
          f"{f(tk['redisMicrosPerRequest']):>11}  "
          f"{f(raw['otherMicrosPerRequest']) + ' / ' + f(tk['otherMicrosPerRequest']):>17}  {hit:>13}")
if before:
    print(f"{'round':>5}  {'order':22}  {'before req/s':>12}  {'before ÷ raw':>12}  {'client µs before / tk':>21}  {'after ÷ before':>14}")
    for r in result:
        bt, tk = r["before"], r["toolkit"]
        print(f"{r['round']:>5}  {' '.join(r['order']):22}  {bt['requestsPerSecond']:>12,.0f}  {f(r['beforeThroughputRatio'], '{:.2f}'):>12}  "
              f"{f(bt['clientMicrosPerRequest']) + ' / ' + f(tk['clientMicrosPerRequest']):>21}  {f(r['afterBeforeThroughputRatio'], '{:.2f}'):>14}")
labels = [("throughputRatio", "throughput, toolkit ÷ raw"), ("clientCpuRatio", "client CPU per request, toolkit ÷ raw"), ("databaseCpuRatio", "PostgreSQL CPU per request, toolkit ÷ raw")]
if before:
    labels += [("beforeThroughputRatio", "throughput, before ÷ raw"), ("afterBeforeThroughputRatio", "throughput, toolkit after ÷ before"), ("afterBeforeClientCpuRatio", "client CPU per request, toolkit after ÷ before")]
for key, what in labels:
    s = summary[key]
    if s:
        print(f"{what}: median {s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f} over {rounds} round{'s' if rounds > 1 else ''})")
errors = sum(r["raw"]["errors"] + r["toolkit"]["errors"] + (r["before"]["errors"] if before else 0) for r in result)
if errors:
    print(f"note: {errors} requests failed across the runs (see each run's JSON with --out)")
PY
