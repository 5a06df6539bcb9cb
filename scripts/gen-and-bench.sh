#!/usr/bin/env bash
# Generates a repository with planted keys (internal/repogen) in a temporary
# directory, benchmarks it with scripts/bench.sh, and checks the full scan's
# report against the generator's manifest, so a speed-up that loses recall
# shows up in the same run.
#
# usage: scripts/gen-and-bench.sh [COMMITS] [bench.sh options]
#   COMMITS defaults to 50000. Set KEEP=1 to keep the repository.
set -euo pipefail

commits=50000
if [[ $# -gt 0 && $1 != -* ]]; then
	commits=$1
	shift
fi
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
if [[ ${KEEP:-0} == 1 ]]; then
	trap 'echo "gen-and-bench.sh: kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi

(cd "$root" && go build -o "$tmp/repogen" ./internal/repogen/cmd/repogen)
"$tmp/repogen" -commits "$commits" -bare -out "$tmp/repo.git" >&2
bash "$root/scripts/bench.sh" "$tmp/repo.git" --report "$tmp/report.json" "$@"
echo
"$tmp/repogen" -check "$tmp/report.json" -manifest "$tmp/repo.git.manifest.json"
