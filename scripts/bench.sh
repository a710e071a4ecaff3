#!/usr/bin/env bash
# Go benchmarks, 5 runs each so the median can be read (benchstat if present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ci-setup.sh
out=$(mktemp)
go test -run '^$' -bench . -benchmem -count 5 ./... | tee "$out"
if command -v benchstat >/dev/null 2>&1; then benchstat "$out"; fi
