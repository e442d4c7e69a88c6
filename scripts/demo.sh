#!/usr/bin/env bash
# The main job: starts local PostgreSQL 15 (primary + two streaming replicas) and Redis 7, seeds the
# demo pitch platform, checks the setup with 'pgopt doctor', measures the workload before and after
# (indexes, cache) against plain Npgsql, then loads the sample API over HTTP with wrk (cached
# endpoints against plain Npgsql ones, scripts/http-bench.sh).
# Arguments go to 'pgopt demo' (e.g. --scale 0.1, --duration 60s, --output DIR, --json).
# PGOPT_DEMO_HTTP=0 skips the HTTP part. The Monthly Cost row prices a Neon project before and after
# its quick wins: the local double of Neon's API (samples/PgOptimizer.Samples.NeonApi) unless
# PGOPT_DEMO_NEON=0; with NEON_API_KEY and NEON_PROJECT_ID set, the real project, projected only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
output=pgopt-demo
json=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --output) output="${args[$((i + 1))]:-$output}" ;;
    --output=*) output="${args[$i]#--output=}" ;;
    --json) json=1 ;;
  esac
done
dotnet build src/PgOptimizer.Cli/PgOptimizer.Cli.csproj -c Release -nologo -v quiet
neon=()
if [[ -n "${NEON_API_KEY:-}" && -n "${NEON_PROJECT_ID:-}" ]]; then
  neon=(--neon-project "$NEON_PROJECT_ID" --neon-api-url "${NEON_API_URL:-https://console.neon.tech/api/v2}")
elif [[ "${PGOPT_DEMO_NEON:-1}" != 0 ]]; then
  dotnet build samples/PgOptimizer.Samples.NeonApi/PgOptimizer.Samples.NeonApi.csproj -c Release -nologo -v quiet
  port="${PGOPT_NEON_PORT:-55099}"
  dotnet samples/PgOptimizer.Samples.NeonApi/bin/Release/net10.0/PgOptimizer.Samples.NeonApi.dll --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  double_pid=$!
  trap 'kill "$double_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/_double/calls" && break
    kill -0 "$double_pid" 2>/dev/null || { echo "the Neon API double did not start (port $port taken? set PGOPT_NEON_PORT)" >&2; exit 1; }
    sleep 0.1
  done
  export NEON_API_KEY=neon-double-key
  neon=(--neon-project quiet-river-104857 --neon-api-url "http://127.0.0.1:$port/api/v2" --apply-quick-wins)
fi
dotnet src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll demo "$@" "${neon[@]}"
if [[ "${PGOPT_DEMO_HTTP:-1}" != 0 ]]; then
  if [[ $json == 1 ]]; then
    scripts/http-bench.sh --output "$output" >&2
  else
    echo
    echo "HTTP: the sample API (samples/PgOptimizer.Samples.Api) under wrk"
    scripts/http-bench.sh --output "$output"
  fi
fi
