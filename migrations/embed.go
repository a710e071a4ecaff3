// Package migrations holds the schema of Tsunagu as goose migrations.
//
// The SQL files are written once for both engines (SQLite and PostgreSQL):
// TEXT UUIDv7 keys, BIGINT, BOOLEAN and TIMESTAMP in UTC; no SERIAL, JSONB or
// now(). The few statements whose syntax differs per engine (the triggers
// that keep the audit log append-only) are Go migrations in this package.
package migrations

import "embed"

// SQL is the embedded set of *.sql migrations.
//
//go:embed *.sql
var SQL embed.FS
