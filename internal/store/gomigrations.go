package store

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// goMigrations are the schema steps whose syntax differs per engine.
func goMigrations(engine string) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(2, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, auditAppendOnly[engine])
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return execAll(ctx, tx, auditAppendOnlyDown[engine])
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
