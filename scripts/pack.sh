#!/usr/bin/env bash
# Packs the three packages: PgOptimizer (the library), PgOptimizer.AspNetCore (endpoints and
# probes) and PgOptimizer.Cli (the pgopt tool), each with its .snupkg symbols.
#   scripts/pack.sh [OUTPUT_DIR] [VERSION]      default: artifacts/packages, the version in Directory.Build.props
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/packages}"
version_arg=()
if [[ -n "${2:-}" ]]; then version_arg=("-p:Version=$2"); fi
mkdir -p "$out"
for project in src/PgOptimizer src/PgOptimizer.AspNetCore src/PgOptimizer.Cli; do
  dotnet pack "$project" -c Release -o "$out" -nologo -v quiet "${version_arg[@]}"
done
ls -1 "$out"
