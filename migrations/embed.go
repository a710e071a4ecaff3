// Package migrations holds the schema of Tsunagu as goose migrations.
//
// The SQL files are written once for both engines (SQLite and PostgreSQL):
// TEXT UUIDv7 keys, BIGINT, BOOLEAN and TIMESTAMP in UTC; no SERIAL, JSONB or
// now(). The few steps that differ per engine (2: the triggers that keep
// the audit log append-only; 9: SQLite's logs keyed by rowid) are Go
// migrations in internal/store/gomigrations.go.
package migrations

import "embed"

// SQL is the embedded set of *.sql migrations.
//
//go:embed *.sql
var SQL embed.FS
