#!/usr/bin/env bash
# Makes sure the real services and tools the tests use are there:
# PostgreSQL on 127.0.0.1:5432 (database "test") and the versitygw S3
# server, and the Pebble ACME test server. Idempotent; safe on a developer machine.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "ci-setup: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
  # Every test run makes and drops some hundreds of schemas in "test", and
  # the system catalogs keep their dead rows' space: after a few runs on one
  # machine pg_attribute alone passed 400 MB and each test's migration
  # slowed. Compacting them takes seconds.
  bloat=$(psql -h 127.0.0.1 -U postgres -d test -tAc "SELECT pg_total_relation_size('pg_catalog.pg_attribute') > 64 * 1024 * 1024" 2>/dev/null || echo f)
  if [ "$bloat" = "t" ]; then
    echo "ci-setup: compacting the test database's system catalogs"
    for c in pg_attribute pg_depend pg_class pg_type pg_trigger pg_constraint pg_index pg_attrdef pg_sequence; do
      psql -h 127.0.0.1 -U postgres -d test -qc "VACUUM FULL pg_catalog.$c" >/dev/null || true
    done
  fi
  echo "ci-setup: PostgreSQL ready"
else
  echo "ci-setup: PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi

gobin="$(go env GOPATH)/bin"
if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
  echo "ci-setup: installing versitygw (S3 server for the blob tests, ~2 min)"
  go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
echo "ci-setup: versitygw ready"
if ! command -v pebble >/dev/null 2>&1 && [ ! -x "$gobin/pebble" ]; then
  echo "ci-setup: installing pebble (ACME test server for the HTTPS tests)"
  go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3
fi
echo "ci-setup: pebble ready"
if ! command -v mailpit >/dev/null 2>&1 && [ ! -x "$gobin/mailpit" ]; then
  echo "ci-setup: installing mailpit (SMTP test server for the e-mail notification tests)"
  go install github.com/axllent/mailpit@v1.33.1
fi
echo "ci-setup: mailpit ready"

# Chromium and Japanese fonts for the end-to-end tests (scripts/e2e.sh).
# (fc-list's whole output is read first: `fc-list | grep -q` under pipefail fails
# with SIGPIPE when grep stops early, which would reinstall every time.)
fonts=$(fc-list 2>/dev/null || true)
if [ ! -x /usr/bin/chromium ] || ! grep -qi "noto.*cjk" <<<"$fonts"; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ci-setup: installing chromium and fonts-noto-cjk"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "ci-setup: chromium or fonts-noto-cjk missing and not root; the end-to-end tests will skip" >&2
  fi
fi
if [ -x /usr/bin/chromium ]; then echo "ci-setup: chromium ready"; elif [ "${CI:-}" = "true" ]; then exit 1; fi

# E (record summary): pdftotext and pdfinfo read back the summary printed to PDF
# in the end-to-end scenario pwa/e2e/scenarios/50-summary.mjs.
if ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ci-setup: installing poppler-utils (pdftotext)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "ci-setup: poppler-utils missing and not root; the summary's PDF check will fail" >&2
  fi
fi
if command -v pdftotext >/dev/null 2>&1; then echo "ci-setup: pdftotext ready"; elif [ "${CI:-}" = "true" ]; then exit 1; fi

# FHIR export: the two independent validators (npm "fhir" and @medplum/core)
# that the Go tests run on exported bundles (tools/fhir-validate).
fhirval="$(cd "$(dirname "$0")/.." && pwd)/tools/fhir-validate"
if [ ! -d "$fhirval/node_modules/fhir" ] || [ ! -d "$fhirval/node_modules/@medplum/core" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "ci-setup: installing the FHIR validators (tools/fhir-validate)"
    (cd "$fhirval" && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "ci-setup: npm missing; the FHIR validation tests will skip (fail under CI)" >&2
  fi
fi
if [ -d "$fhirval/node_modules/@medplum/core" ]; then echo "ci-setup: FHIR validators ready"; elif [ "${CI:-}" = "true" ]; then exit 1; fi
