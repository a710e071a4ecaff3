#!/usr/bin/env bash
# make bench: the load generator against a real server (SQLite, or
# PostgreSQL with BENCH_DB=postgres://…), then the Go micro-benchmarks.
# Figures are medians, to compare with the budgets in docs/BUDGETS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ci-setup.sh
args=(-d "${BENCH_DURATION:-5s}" -biglog "${BENCH_BIGLOG:-1000000}")
[ -n "${BENCH_DB:-}" ] && args+=(-db "$BENCH_DB")
# BENCH_SET=anchor: 500 patients, teams of 6, 100,000 records of 500 bytes
# (the side-by-side comparison's data set); the default is the quick small set.
[ -n "${BENCH_SET:-}" ] && args+=(-set "$BENCH_SET")
go run ./scripts/bench "${args[@]}"
echo
echo "== Go benchmarks (photo sanitize of 12 MP, timeline page of 50 from 10,000 records, sync push, record search over 100,000 records)"
go test -run '^$' -bench 'Sanitize12MP$|Timeline|SyncPushRecord|Search' -benchtime 20x -count 3 ./internal/photo ./api
echo
echo "== E-mail notification: record write → e-mail accepted by the SMTP server (mailpit), p50/p99, both engines"
go test -run '^$' -bench 'RecordToMail' -benchtime 200x -count 1 ./api
echo
echo "== Team channel: message write → pushes decrypted by the receiver and e-mail accepted by the SMTP server (mailpit), p50/p99, both engines"
go test -run '^$' -bench 'MessageToPushAndMail' -benchtime 200x -count 1 ./api
