#!/usr/bin/env bash
# Backup and restore drill for Tsunagu on PostgreSQL: dump the database
# (pg_dump, custom format, consistent while the servers keep writing),
# restore the dump into a scratch database on the same server, check the
# restored audit chain with `tsunagu audit verify` and compare row counts,
# then drop the scratch database. The dump and its sha256 stay in DIR.
#
#   scripts/pg-backup-drill.sh postgres://user@host:5432/tsunagu [DIR]
#
# Blobs (photos, scanned forms) live in the S3 bucket: keep bucket
# versioning and object lock on, so a backup of the database always finds
# the objects it refers to (see "Back up and restore" in the README).
set -euo pipefail
src=${1:?usage: pg-backup-drill.sh postgres://user@host:5432/db [DIR]}
dir=${2:-$(mktemp -d)}
cd "$(dirname "$0")/.."
tsunagu=${TSUNAGU_BIN:-}
run_tsunagu() { if [ -n "$tsunagu" ]; then "$tsunagu" "$@"; else go run . "$@"; fi; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$dir/tsunagu-$stamp.dump"
mkdir -p "$dir"
pg_dump --format=custom --no-owner --no-privileges --file "$dump" "$src"
(cd "$dir" && sha256sum "$(basename "$dump")" > "$(basename "$dump").sha256")
echo "drill: dumped to $dump ($(du -h "$dump" | cut -f1))"

base=${src%%\?*}
query=${src#"$base"}
scratch="tsunagu_restore_drill_$(date +%s)_$$"
restored="${base%/*}/$scratch$query"
psql -q -v ON_ERROR_STOP=1 "$src" -c "CREATE DATABASE $scratch"
cleanup() { psql -q "$src" -c "DROP DATABASE IF EXISTS $scratch" >/dev/null 2>&1 || true; }
trap cleanup EXIT

(cd "$dir" && sha256sum --check --quiet "$(basename "$dump").sha256")
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$restored" "$dump"
echo "drill: restored into $scratch"

TSUNAGU_DATABASE_URL="$restored" run_tsunagu audit verify

fail=0
for t in facility app_user patient consent team_member record record_version visit attachment audit_event; do
  n_src=$(psql -tA "$src" -c "SELECT count(*) FROM $t")
  n_dst=$(psql -tA "$restored" -c "SELECT count(*) FROM $t")
  # The source may have grown since the dump; the restore never holds more.
  if [ "$n_dst" -gt "$n_src" ]; then fail=1; fi
  printf 'drill: %-15s %8s restored (%s in the source now)\n' "$t" "$n_dst" "$n_src"
done
[ "$fail" = 0 ] || { echo "drill: the restore holds rows the source does not" >&2; exit 1; }
echo "drill: passed; keep $dump off this machine"
