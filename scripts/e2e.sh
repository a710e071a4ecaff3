#!/usr/bin/env bash
# End-to-end tests: the built web app in Debian's Chromium against two real servers
# (SQLite in temp dirs, TOTP required: the demo region for run.mjs, and an empty
# region with only a network administrator for onboarding.mjs) and a local Web Push
# receiver (npm web-push-testing). Screenshots go to test-artifacts/screenshots/.
# Under CI=true a missing Chromium fails the run; elsewhere it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "e2e: installing chromium and fonts-noto-cjk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
if [ ! -x "$chromium" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "e2e: no Chromium at $chromium" >&2
    exit 1
  fi
  echo "e2e: skipped: no Chromium at $chromium (apt-get install chromium fonts-noto-cjk)"
  exit 0
fi

bash scripts/web.sh
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "e2e: building the server"
go build -o "$tmp/tsunagu" .

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
push_port=$(free_port)
(cd "$tmp" && exec node "$root/pwa/node_modules/web-push-testing/src/bin/server.js" "$push_port") >"$tmp/push.log" 2>&1 &
pids+=($!)

# wait_up PORT LOG: the server answers /healthz, or the run fails with its log.
wait_up() {
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && curl -fsS -X POST "http://127.0.0.1:$push_port/status" >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null; then
    echo "e2e: the server did not start" >&2
    cat "$2" >&2
    exit 1
  fi
}
push_env=(TSUNAGU_PUSH_ALLOWED_HOSTS=127.0.0.1:$push_port TSUNAGU_PUSH_SUBJECT=e2e@tsunagu.example)

# E-mail notification (slice H): a mailpit SMTP server for the demo region, read
# back by scenarios/80-mail.mjs through its HTTP API. Without mailpit that
# scenario skips (under CI=true it fails: scripts/ci-setup.sh installs it).
mailpit_bin=$(command -v mailpit || echo "$(go env GOPATH)/bin/mailpit")
mail_env=()
if [ -x "$mailpit_bin" ]; then
  mp_smtp=$(free_port); mp_http=$(free_port)
  "$mailpit_bin" --smtp "127.0.0.1:$mp_smtp" --listen "127.0.0.1:$mp_http" --database "$tmp/mailpit.db" --disable-version-check \
    --smtp-auth-accept-any --smtp-auth-allow-insecure >"$tmp/mailpit.log" 2>&1 &
  pids+=($!)
  mail_env=(TSUNAGU_SMTP_URL=smtp://127.0.0.1:$mp_smtp TSUNAGU_MAIL_FROM=tsunagu@e2e.example)
  export E2E_MAILPIT_URL="http://127.0.0.1:$mp_http"
fi

# The demo region, for the nurse's daily scenarios (run.mjs).
port=$(free_port)
env TSUNAGU_ADDR=127.0.0.1:$port TSUNAGU_DATA_DIR="$tmp/data" TSUNAGU_DEMO=1 TSUNAGU_REQUIRE_TOTP=1 "${push_env[@]}" ${mail_env[@]+"${mail_env[@]}"} \
  "$tmp/tsunagu" serve >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_up "$port" "$tmp/server.log"

# An empty region with only the network administrator made on the command
# line, for starting a region from nothing (onboarding.mjs).
region_port=$(free_port)
region_password='hydrangea-office-2026-e2e'
mkdir -p "$tmp/region"
printf '%s\n' "$region_password" | TSUNAGU_DATA_DIR="$tmp/region" "$tmp/tsunagu" admin create-network-admin --login-id office.admin >/dev/null
env TSUNAGU_ADDR=127.0.0.1:$region_port TSUNAGU_DATA_DIR="$tmp/region" TSUNAGU_REQUIRE_TOTP=1 "${push_env[@]}" \
  "$tmp/tsunagu" serve >"$tmp/region.log" 2>&1 &
pids+=($!)
wait_up "$region_port" "$tmp/region.log"

echo "e2e: demo server on 127.0.0.1:$port, empty region on 127.0.0.1:$region_port, push receiver on 127.0.0.1:$push_port"
# Starting a region from nothing (onboarding.mjs) runs on its own server,
# with accounts of its own, beside the demo region's scenarios: its TOTP
# state is its own directory, and its output follows theirs.
mkdir -p "$tmp/region-state"
E2E_STATE="$tmp/region-state" E2E_BASE_URL="http://127.0.0.1:$region_port" E2E_PUSH_URL="http://127.0.0.1:$push_port" \
  E2E_ADMIN_PASSWORD="$region_password" CHROMIUM="$chromium" E2E_ARTIFACTS="$root/test-artifacts" \
  node pwa/e2e/onboarding.mjs >"$tmp/onboarding.out" 2>&1 &
onboarding=$!
pids+=($onboarding)
# TOTP secrets and used code steps, shared by the scenario processes (lib/client.mjs).
export E2E_STATE="$tmp"
status=0
E2E_BASE_URL="http://127.0.0.1:$port" E2E_PUSH_URL="http://127.0.0.1:$push_port" CHROMIUM="$chromium" \
  E2E_ARTIFACTS="$root/test-artifacts" node pwa/e2e/run.mjs || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: FAILED; server log tail:" >&2
  tail -n 40 "$tmp/server.log" >&2
  exit "$status"
fi
# One scenario a file for each feature (scanner, search, digest, summary, …),
# against the same demo region, in name order; each makes the data it asserts on.
for scenario in pwa/e2e/scenarios/*.mjs; do
  [ -e "$scenario" ] || continue
  echo "e2e: $scenario"
  E2E_BASE_URL="http://127.0.0.1:$port" E2E_PUSH_URL="http://127.0.0.1:$push_port" CHROMIUM="$chromium" \
    E2E_ARTIFACTS="$root/test-artifacts" node "$scenario" || status=$?
  if [ "$status" != 0 ]; then
    echo "e2e: $scenario FAILED; server log tail:" >&2
    tail -n 40 "$tmp/server.log" >&2
    exit "$status"
  fi
done
wait "$onboarding" || status=$?
cat "$tmp/onboarding.out"
if [ "$status" != 0 ]; then
  echo "e2e: onboarding FAILED; server log tail:" >&2
  tail -n 40 "$tmp/region.log" >&2
fi
exit "$status"
