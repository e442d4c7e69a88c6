#!/usr/bin/env bash
# The main job: starts local PostgreSQL 15 (primary + two streaming replicas) and Redis 7, seeds the
# demo pitch platform, checks the setup with 'pgopt doctor' and replays the workload.
# Arguments go to 'pgopt demo' (e.g. --scale 0.1, --duration 60s, --json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
dotnet build src/PgOptimizer.Cli/PgOptimizer.Cli.csproj -c Release -nologo -v quiet
exec dotnet src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll demo "$@"
