#!/usr/bin/env bash
# The specification's deploy script: a thin wrapper over `pgopt deploy`.
#   scripts/deploy-production-optimized.sh --catalog FILE|demo [--test-only] [--json] [--connection URL]
# The database comes from --connection, PGOPT_CONNECTION or NEON_DATABASE_URL. Exit code: 0 when
# every step passed, 1 when one failed (nothing is changed once validation fails), 2 for bad input.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="$root/src/PgOptimizer.Cli/bin/Release/net10.0/pgopt.dll"
if [[ ! -f "$cli" ]]; then
  dotnet build "$root/src/PgOptimizer.Cli" -c Release -nologo -v quiet >&2
fi
exec dotnet "$cli" deploy "$@"
