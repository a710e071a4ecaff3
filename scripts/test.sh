#!/usr/bin/env bash
# The whole test suite. Under CI=true every service is required: a missing
# one fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/ci-setup.sh

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './pwa/node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi

if [ -f pwa/package.json ]; then
  echo "== web app: unit tests and build"
  (cd pwa && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test)
  bash scripts/web.sh
fi

echo "== go test (SQLite and PostgreSQL)"
go test -count=1 -timeout 30m ./...

if [ -f pwa/package.json ]; then
  echo "== end-to-end: the web app in Chromium against the real server"
  bash scripts/e2e.sh
fi

echo "make test finished in $(( $(date +%s) - start ))s"
