#!/usr/bin/env bash
# HTTP load on the sample API (samples/PgOptimizer.Samples.Api) with wrk, on the local servers
# (scripts/services.sh) and the demo data: the cached endpoints against the same reads and writes on
# plain Npgsql, in the same run, alternating, each after a warm-up of its own.
#   scripts/http-bench.sh [--duration 15] [--warmup 10] [--connections 32] [--threads 2] [--output DIR]
# Each run is preceded by a warm-up of the same load (JIT, pools, PostgreSQL's buffers; for the
# cached endpoints also the cache, as in a service that has been up for a while).
# Writes DIR/http.md and DIR/http.json (default DIR: pgopt-demo) and prints the table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
duration=15; warmup=10; connections=32; threads=2; output=pgopt-demo
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    *) echo "unknown argument '$1': use --duration S, --warmup S, --connections N, --threads N, --output DIR" >&2; exit 2 ;;
  esac
done
[[ "$duration" =~ ^[0-9]+$ && "$warmup" =~ ^[0-9]+$ && "$connections" =~ ^[0-9]+$ && "$threads" =~ ^[0-9]+$ ]] || { echo "--duration, --warmup, --connections and --threads take whole numbers" >&2; exit 2; }

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi

eval "$(scripts/services.sh env)"
export PGOPT_CONNECTION PGOPT_REPLICA_CONNECTIONS REDIS_URL
read -r first last users < <(psql "$PGOPT_CONNECTION" -Atc "SELECT (SELECT min(id) FROM pitches), (SELECT max(id) FROM pitches), (SELECT max(id) FROM users)" | tr '|' ' ')
[[ -n "$first" ]] || { echo "no demo data: run scripts/demo.sh (or pgopt seed) first" >&2; exit 1; }

dotnet build samples/PgOptimizer.Samples.Api -c Release -nologo -v quiet >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="$(mktemp)"
Logging__LogLevel__Default=Warning PgOptimizer__Redis__ApplicationName=pitch-api-bench \
  dotnet samples/PgOptimizer.Samples.Api/bin/Release/net10.0/PgOptimizer.Samples.Api.dll --urls "http://127.0.0.1:$port" >"$log" 2>&1 &
api=$!
trap 'kill $api 2>/dev/null; wait $api 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 $api 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
base="http://127.0.0.1:$port"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$api/stat"; }
state="${PGOPT_STATE_DIR:-$ROOT/.state}"
# PostgreSQL: each local server's postmaster, its exited children and its live backends (ticks)
pg_ticks() {
  local total=0 pid
  for f in "$state"/pg/*/postmaster.pid; do
    [[ -r "$f" ]] || continue
    pid=$(head -1 "$f")
    total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    for c in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
      total=$((total + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
  done
  echo "$total"
}
redis_port=$(sed -E 's#^rediss?://([^@/]*@)?[^:/]+:?([0-9]*).*#\2#' <<<"$REDIS_URL"); redis_port=${redis_port:-6379}
# Redis: used_cpu_user + used_cpu_sys, in ticks
redis_ticks() { redis-cli -p "$redis_port" INFO cpu 2>/dev/null | awk -F: -v hz="$(getconf CLK_TCK)" '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.0f", s * hz}'; }
hz=$(getconf CLK_TCK)
results=()
run() { # name prefix mode
  local name="$1" prefix="$2" mode="$3"
  wrk -t"$threads" -c"$connections" -d"${warmup}s" -s scripts/wrk/pitches.lua "$base" -- "$prefix" "$mode" "$first" "$last" "$users" >/dev/null
  local before after out rps p50 p99 errors
  before=$(cpu_ticks); local pg_before redis_before; pg_before=$(pg_ticks); redis_before=$(redis_ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s scripts/wrk/pitches.lua "$base" -- "$prefix" "$mode" "$first" "$last" "$users")
  after=$(cpu_ticks); local pg_after redis_after; pg_after=$(pg_ticks); redis_after=$(redis_ticks)
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out"); errors=${errors:-0}
  local total; total=$(awk '/requests in/ {print $1}' <<<"$out")
  local cpu_us; cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$total" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  local pg_us redis_us
  pg_us=$(awk -v t=$((pg_after - pg_before)) -v hz="$hz" -v n="$total" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  redis_us=$(awk -v t=$((redis_after - redis_before)) -v hz="$hz" -v n="$total" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  results+=("$name|$rps|$p50|$p99|$cpu_us|$pg_us|$redis_us|$errors")
  printf '  %-20s %10s req/s  p50 %-9s p99 %-9s CPU µs/request: API %s, PostgreSQL %s, Redis %s  non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$cpu_us" "$pg_us" "$redis_us" "$errors" >&2
}

echo "wrk -t$threads -c$connections -d${duration}s (after ${warmup}s of warm-up each) on $base (pitches $first..$last)" >&2
run "raw, full hit set" /raw hit
run "cached, full hit" - hit
run "raw, mixed" /raw mixed
run "cached, mixed" - mixed

mkdir -p "$output"
python3 - "$output" "$threads" "$connections" "$duration" "${results[@]}" <<'PY'
import json, sys
out, threads, conns, duration, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
parsed = []
for r in rows:
    name, rps, p50, p99, cpu, pg, redis, errors = r.split("|")
    parsed.append({"run": name, "rps": float(rps), "p50": p50, "p99": p99, "apiCpuMicrosPerRequest": int(cpu),
                   "postgresCpuMicrosPerRequest": int(pg), "redisCpuMicrosPerRequest": int(redis), "non2xx": int(errors)})
by = {p["run"]: p for p in parsed}
hit = by["cached, full hit"]["rps"] / by["raw, full hit set"]["rps"]
mixed = by["cached, mixed"]["rps"] / by["raw, mixed"]["rps"]
lines = [f"HTTP load on the sample API: wrk -t{threads} -c{conns} -d{duration}s after a warm-up of the same load, cached endpoints against plain Npgsql in the same run", "",
         "| run | requests/s | p50 | p99 | CPU µs/request: API | PostgreSQL | Redis | non-2xx |", "|---|---|---|---|---|---|---|---|"]
for p in parsed:
    lines.append(f"| {p['run']} | {p['rps']:,.0f} | {p['p50']} | {p['p99']} | {p['apiCpuMicrosPerRequest']} | {p['postgresCpuMicrosPerRequest']} | {p['redisCpuMicrosPerRequest']} | {p['non2xx']} |")
lines += ["", f"cached ÷ raw: full hit {hit:.2f}×, mixed {mixed:.2f}×"]
open(f"{out}/http.md", "w").write("\n".join(lines) + "\n")
json.dump({"threads": int(threads), "connections": int(conns), "durationSeconds": int(duration), "runs": parsed, "fullHitRatio": round(hit, 3), "mixedRatio": round(mixed, 3)}, open(f"{out}/http.json", "w"), indent=2)
print("\n".join(lines))
PY
