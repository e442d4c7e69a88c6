#!/usr/bin/env bash
# Runs every test against real servers: installs and starts the local PostgreSQL primary, its
# streaming replica and Redis (scripts/services.sh), installs chromium for the dashboard's browser
# tests, runs the xunit suite, then stops the servers.
# Extra arguments go to 'dotnet test' (e.g. --filter Category=...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started_here=0
if ! scripts/services.sh status >/dev/null 2>&1; then started_here=1; fi
cleanup() { if [ "$started_here" = 1 ] && [ "${PGOPT_KEEP_SERVICES:-0}" != 1 ]; then scripts/services.sh down || true; fi; }
trap cleanup EXIT

# A server that fails to start must stop the run here, not show up later as dozens of failing tests
# ('eval "$(...)"' alone would swallow the failure).
if ! service_env="$(scripts/services.sh up)"; then
  echo "test: the local servers did not all start (see the [services] lines above and .state/pg/*.log); is a port taken? set PGOPT_PG_PORT, PGOPT_REPLICA_PORT, PGOPT_REPLICA2_PORT or PGOPT_REDIS_PORT" >&2
  exit 1
fi
eval "$service_env"
export PGOPT_CONNECTION PGOPT_REPLICA_CONNECTIONS REDIS_URL

# The dashboard's browser tests drive Debian's chromium through Playwright's bundled driver.
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium (apt) for the dashboard's browser tests"
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q chromium >/dev/null || { DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q chromium >/dev/null; }
fi

dotnet build PgOptimizer.sln -c Release -warnaserror -nologo -v quiet
log="$(mktemp)"
set +e
dotnet test tests/PgOptimizer.Tests/PgOptimizer.Tests.csproj -c Release --no-build --nologo \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One plain closing line: "N passed, N failed, N skipped" (from the console logger's totals).
count() { { grep -E "^ +$1: +[0-9]+" "$log" || true; } | tail -1 | grep -oE '[0-9]+' || echo 0; }
total=$({ grep -E '^Total tests: +[0-9]+' "$log" || true; } | tail -1 | grep -oE '[0-9]+' || true)
# Each failing test again at the very end, with the head of its message, so the last lines of a
# long run say what broke.
if grep -qE '^ +Failed [A-Za-z]' "$log"; then
  echo "failing tests:"
  awk '/^ +Failed [A-Za-z]/ { show = 14; print; next }
       /^ +(Passed|Skipped) [A-Za-z]/ { show = 0 }
       /^ +Stack Trace:/ { show = 4 }
       show > 0 { print; show-- }' "$log"
fi
if [ -n "$total" ]; then
  echo "tests: $(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
fi
rm -f "$log"
exit "$rc"
