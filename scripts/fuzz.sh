#!/usr/bin/env bash
# Runs every fuzz target for a while (default 10s each; FUZZTIME=1m for
# longer). `go test ./...` already runs each target's seed corpus (f.Add
# seeds and testdata/fuzz/) as a normal test; this explores beyond it.
# A failing input is saved under the package's testdata/fuzz/: commit it,
# and it becomes a seed every test run checks.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz: $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
  done
done
