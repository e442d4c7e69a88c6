#!/usr/bin/env bash
# The main job: starts local PostgreSQL 15 (primary + two streaming replicas) and Redis 7, seeds the
# demo pitch platform, checks the setup with 'pgopt doctor', measures the workload before and after
# (indexes, cache) against plain Npgsql, then loads the sample API over HTTP with wrk (cached
# endpoints against plain Npgsql ones, scripts/http-bench.sh).
# Arguments go to 'pgopt demo' (e.g. --scale 0.1, --duration 60s, --output DIR, --json).
# PGOPT_DEMO_HTTP=0 skips the HTTP part.
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
dotnet src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll demo "$@"
if [[ "${PGOPT_DEMO_HTTP:-1}" != 0 ]]; then
  if [[ $json == 1 ]]; then
    scripts/http-bench.sh --output "$output" >&2
  else
    echo
    echo "HTTP: the sample API (samples/PgOptimizer.Samples.Api) under wrk"
    scripts/http-bench.sh --output "$output"
  fi
fi
