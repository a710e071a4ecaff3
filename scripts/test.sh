#!/usr/bin/env bash
# The whole test suite. Under CI=true every service is required: a missing
# one fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/ci-setup.sh

# Without -trimpath the build cache keys every compiled package by the
# checkout's absolute path, so each fresh clone (CI clones anew) compiled
# the whole project again for vet, the tests, the fuzzing and the
# end-to-end server; with it a clone at another path reuses the cache.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"

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
# The api package's tests ran one after another in one process, as long
# as all the other packages together: they are dealt round-robin to three
# processes of one test binary, which run beside each other and beside
# the other packages' tests. The list comes from the binary, so a new
# test is in a shard without anyone adding it; an empty list fails.
gotmp=$(mktemp -d)
trap 'rm -rf "$gotmp"' EXIT
pids=()
go test -count=1 -timeout 30m $(go list ./... | grep -vx 'tsunagu/api') >"$gotmp/packages.log" 2>&1 &
pids+=($!)
go test -c -o "$gotmp/api.test" ./api
mapfile -t apitests < <(cd api && "$gotmp/api.test" -test.list '^(Test|Fuzz)')
if [ "${#apitests[@]}" = 0 ]; then
  echo "go test: the api test binary listed no tests" >&2
  exit 1
fi
shards=3
shardstart=$SECONDS
for ((i = 0; i < shards; i++)); do
  names=()
  for ((j = i; j < ${#apitests[@]}; j += shards)); do names+=("${apitests[j]}"); done
  run="^($(IFS='|'; echo "${names[*]}"))\$"
  (
    cd api
    rc=0
    "$gotmp/api.test" -test.count=1 -test.timeout 30m -test.run "$run" || rc=$?
    echo "(${#names[@]} of ${#apitests[@]} tests and fuzz seeds in $((SECONDS - shardstart)) s)"
    exit $rc
  ) >"$gotmp/api-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat "$gotmp/packages.log"
for ((i = 0; i < shards; i++)); do
  echo "-- tsunagu/api, shard $((i + 1)) of $shards"
  cat "$gotmp/api-$i.log"
done
[ "$failed" = 0 ] || { echo "go test failed" >&2; exit 1; }

# Each fuzz target for a few seconds beyond its seeds (which go test ran),
# one target per invocation as go test -fuzz requires. The budgets are
# counts of executions, not durations: a duration's deadline races Go's
# fuzzing coordinator (golang/go#75804, fixed after Go 1.26) and fails a
# target that found nothing with "context deadline exceeded". A real
# failure leaves the input that broke it in testdata/fuzz/FuzzX/ of the
# package, where go test then replays it. The fuzzing runs on one worker
# beside the end-to-end tests, which mostly wait on the browser; its
# output follows theirs.
echo "== fuzz (beside the end-to-end tests; its output follows theirs)"
(
  for target in FuzzOrientation:./internal/photo:300000x FuzzDecodeCursor:./api:30000x FuzzICSCalendar:./api:3000x FuzzSyncPush:./api:5000x; do
    IFS=: read -r name pkg budget <<<"$target"
    go test -run='^$' -fuzz="^${name}\$" -fuzztime="$budget" -parallel=1 "$pkg" || exit 1
  done
) >"$gotmp/fuzz.log" 2>&1 &
fuzzpid=$!
trap 'kill "$fuzzpid" 2>/dev/null || true; rm -rf "$gotmp"' EXIT

if [ -f pwa/package.json ]; then
  echo "== end-to-end: the web app in Chromium against the real server"
  bash scripts/e2e.sh
fi

echo "== fuzz"
fuzzrc=0
wait "$fuzzpid" || fuzzrc=$?
cat "$gotmp/fuzz.log"
[ "$fuzzrc" = 0 ] || { echo "fuzzing failed" >&2; exit 1; }

echo "make test finished in $(( $(date +%s) - start ))s"
