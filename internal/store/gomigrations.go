package store

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/pressly/goose/v3"

	"tsunagu/migrations"
)

// goMigrations are the schema steps whose syntax differs per engine.
func goMigrations(engine string) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(2, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, auditAppendOnly[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, auditAppendOnlyDown[engine])
		}}),
		goose.NewGoMigration(9, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, logsKeyedByRowid[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, logsKeyedByRowidDown[engine])
		}}),
		goose.NewGoMigration(15, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, attachmentCitations[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, []string{`DROP TABLE attachment_citation`})
		}}),
		goose.NewGoMigration(26, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, pendingLogs[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, pendingLogsDown[engine])
		}}),
		goose.NewGoMigration(27, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, compactSearchIndex[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, compactSearchIndexDown[engine])
		}}),
	}
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// auditAppendOnly makes the database itself refuse UPDATE and DELETE on the
// audit log, on top of the application never issuing them. Someone with
// owner rights can still drop the trigger; the hash chain is what detects
// that (tsunagu audit verify).
var auditAppendOnly = map[string][]string{
	SQLite: {
		`CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END`,
		`CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END`,
	},
	Postgres: {
		`CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$`,
		`CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()`,
	},
}

var auditAppendOnlyDown = map[string][]string{
	SQLite:   {`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`},
	Postgres: {`DROP TRIGGER audit_event_no_change ON audit_event`, `DROP FUNCTION audit_event_append_only()`},
}

// logsKeyedByRowid makes seq the rowid of the two logs on SQLite. Declared
// BIGINT PRIMARY KEY, a SQLite table keeps a separate unique index on seq
// beside its rowid b-tree: every append (each write, and each audited read)
// updated one b-tree more than needed, and a scan by seq (a pull, the audit
// export) went through that index and then looked up each row. As INTEGER
// PRIMARY KEY, seq is the rowid itself. PostgreSQL's BIGINT key is already
// the table's one index on seq.
var logsKeyedByRowid = map[string][]string{
	SQLite:   rebuildLogs("INTEGER"),
	Postgres: {},
}

var logsKeyedByRowidDown = map[string][]string{
	SQLite:   rebuildLogs("BIGINT"),
	Postgres: {},
}

// rebuildLogs copies change_log and audit_event into tables whose seq is
// declared seqType PRIMARY KEY, with their indexes and (audit) triggers.
func rebuildLogs(seqType string) []string {
	return []string{
		`CREATE TABLE change_log_new (
			seq         ` + seqType + ` PRIMARY KEY,
			patient_id  TEXT NOT NULL,
			entity      TEXT NOT NULL,
			entity_id   TEXT NOT NULL,
			op          TEXT NOT NULL,
			chart       BOOLEAN NOT NULL,
			subject_id  TEXT NOT NULL,
			at          TIMESTAMP NOT NULL
		)`,
		`INSERT INTO change_log_new (seq, patient_id, entity, entity_id, op, chart, subject_id, at)
			SELECT seq, patient_id, entity, entity_id, op, chart, subject_id, at FROM change_log ORDER BY seq`,
		`DROP TABLE change_log`,
		`ALTER TABLE change_log_new RENAME TO change_log`,
		`CREATE INDEX change_log_patient ON change_log (patient_id, seq)`,
		`CREATE INDEX change_log_access ON change_log (entity, subject_id, seq)`,

		`CREATE TABLE audit_event_new (
			seq            ` + seqType + ` PRIMARY KEY,
			at             TIMESTAMP NOT NULL,
			actor_id       TEXT NOT NULL,
			actor_facility TEXT NOT NULL,
			action         TEXT NOT NULL,
			patient_id     TEXT NOT NULL,
			resource_type  TEXT NOT NULL,
			resource_id    TEXT NOT NULL,
			result         TEXT NOT NULL,
			address        TEXT NOT NULL,
			request_id     TEXT NOT NULL,
			prev_hash      TEXT NOT NULL,
			hash           TEXT NOT NULL
		)`,
		`INSERT INTO audit_event_new (seq, at, actor_id, actor_facility, action, patient_id, resource_type, resource_id, result, address, request_id, prev_hash, hash)
			SELECT seq, at, actor_id, actor_facility, action, patient_id, resource_type, resource_id, result, address, request_id, prev_hash, hash
			FROM audit_event ORDER BY seq`,
		`DROP TABLE audit_event`, // and its triggers
		`ALTER TABLE audit_event_new RENAME TO audit_event`,
		`CREATE INDEX audit_event_patient ON audit_event (patient_id, seq)`,
		`CREATE INDEX audit_event_actor ON audit_event (actor_id, seq)`,
		`CREATE INDEX audit_event_facility ON audit_event (actor_facility, seq)`,
		`CREATE INDEX audit_event_at ON audit_event (at)`,
		auditAppendOnly[SQLite][0],
		auditAppendOnly[SQLite][1],
	}
}

// SchemaVersion is the schema version this build migrates databases to:
// the highest version among the SQL migrations and the Go ones.
func SchemaVersion() int64 {
	var v int64
	for _, m := range goMigrations(SQLite) {
		v = max(v, m.Version)
	}
	entries, _ := fs.ReadDir(migrations.SQL, ".")
	for _, e := range entries {
		if n, err := goose.NumericComponent(e.Name()); err == nil {
			v = max(v, n)
		}
	}
	return v
}

// attachmentCitations keeps, as rows, which records cite which attachment
// in any version (record_version.attachment_ids is JSON text): who reads an
// attachment follows from the records that cite it, looked up by index on
// every download. Existing versions are copied in; reading their JSON is
// the engine-specific part.
var attachmentCitations = map[string][]string{
	SQLite: {citationTable,
		`INSERT INTO attachment_citation (attachment_id, record_id)
			SELECT DISTINCT j.value, v.record_id FROM record_version v, json_each(v.attachment_ids) j`},
	Postgres: {citationTable,
		`INSERT INTO attachment_citation (attachment_id, record_id)
			SELECT DISTINCT j, v.record_id FROM record_version v, json_array_elements_text(v.attachment_ids::json) j`},
}

const citationTable = `CREATE TABLE attachment_citation (
	attachment_id TEXT NOT NULL,
	record_id     TEXT NOT NULL REFERENCES record(id),
	PRIMARY KEY (attachment_id, record_id)
)`

// pendingLogs are where a PostgreSQL write leaves its change-log rows and
// audit events, unnumbered, in its own transaction; the sequencer
// (pgseq.go) numbers them into change_log and audit_event in a short
// transaction of its own, so that no write holds the head rows through its
// commit's flush. The identity is only the order the rows were written in.
// SQLite numbers them inside its group commit and needs no such table.
var pendingLogs = map[string][]string{
	SQLite: {},
	Postgres: {
		`CREATE TABLE change_pending (
			id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			patient_id  TEXT NOT NULL,
			entity      TEXT NOT NULL,
			entity_id   TEXT NOT NULL,
			op          TEXT NOT NULL,
			chart       BOOLEAN NOT NULL,
			subject_id  TEXT NOT NULL,
			at          TIMESTAMP NOT NULL
		)`,
		`CREATE TABLE audit_pending (
			id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			at             TIMESTAMP NOT NULL,
			actor_id       TEXT NOT NULL,
			actor_facility TEXT NOT NULL,
			action         TEXT NOT NULL,
			patient_id     TEXT NOT NULL,
			resource_type  TEXT NOT NULL,
			resource_id    TEXT NOT NULL,
			result         TEXT NOT NULL,
			address        TEXT NOT NULL,
			request_id     TEXT NOT NULL,
			detail         TEXT NOT NULL
		)`,
	},
}

var pendingLogsDown = map[string][]string{
	SQLite:   {},
	Postgres: {`DROP TABLE audit_pending`, `DROP TABLE change_pending`},
}
