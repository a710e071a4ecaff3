package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tsunagu/internal/store"
)

// Migrated PostgreSQL schemas are kept for the next test of the process
// instead of dropped: migrating a schema cost ~450 ms, most of it the
// server's CPU, and dropping it as much again and bloated the system
// catalogs (every run made and dropped hundreds). When a test that opened
// one with MustOpen ends, its schema is emptied back to what the
// migrations left (the rows deleted with triggers off, the head rows put
// back, the sequences restarted) and handed to the next MustOpen; one
// whose tables, columns, indexes or triggers differ from a just-migrated
// schema's (a test changed them) is dropped instead. URL still makes an
// empty schema each time, for tests of the migrations themselves.
var pool struct {
	sync.Mutex
	free  []string
	shape string // the shape of a just-migrated schema (schemaShape)
	swept bool
}

// openPooled opens a migrated PostgreSQL schema for tb, from the pool
// when one is free.
func openPooled(tb testing.TB) *store.DB {
	tb.Helper()
	pool.Lock()
	if !pool.swept {
		pool.swept = true
		sweepDeadSchemas()
	}
	var schema string
	if n := len(pool.free); n > 0 {
		schema, pool.free = pool.free[n-1], pool.free[:n-1]
	}
	pool.Unlock()
	fresh := schema == ""
	if fresh {
		schema = newSchema(tb)
	}
	db, err := store.Open(context.Background(), schemaURL(tb, schema))
	if err != nil {
		dropSchema(schema)
		tb.Fatalf("open postgres: %v", err)
	}
	if fresh {
		noteShape(schema)
	}
	tb.Cleanup(func() {
		db.Close()
		if err := resetSchema(schema); err != nil {
			tb.Logf("schema %s not kept: %v", schema, err)
			dropSchema(schema)
			return
		}
		pool.Lock()
		pool.free = append(pool.free, schema)
		pool.Unlock()
	})
	return db
}

func newSchema(tb testing.TB) string {
	tb.Helper()
	schema := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	return schema
}

func dropSchema(schema string) {
	a, err := sql.Open("pgx", PostgresURL())
	if err == nil {
		_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		a.Close()
	}
}

// resetSchema empties schema back to what the migrations left, or fails
// when its shape is not a just-migrated schema's.
func resetSchema(schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return err
	}
	defer a.Close()
	a.SetMaxOpenConns(1)
	shape, err := schemaShape(ctx, a, schema)
	if err != nil {
		return err
	}
	pool.Lock()
	want := pool.shape
	pool.Unlock()
	if shape != want || want == "" {
		return fmt.Errorf("its tables, columns, indexes or triggers were changed")
	}
	tables, err := column(ctx, a, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'goose_db_version'`, schema)
	if err != nil {
		return err
	}
	seqs, err := column(ctx, a, `SELECT s.relname FROM pg_class s
		WHERE s.relkind = 'S' AND s.relnamespace = $1::regnamespace
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
			WHERE d.objid = s.oid AND t.relname = 'goose_db_version')`, schema)
	if err != nil {
		return err
	}
	// One round trip: the simple protocol takes several statements. With
	// session_replication_role = replica neither the audit log's
	// append-only trigger nor the foreign keys' fire.
	var b strings.Builder
	b.WriteString("BEGIN; SET LOCAL lock_timeout = '10s'; SET LOCAL session_replication_role = replica; ")
	for _, t := range tables {
		fmt.Fprintf(&b, "DELETE FROM %s.%s; ", schema, t)
	}
	for _, s := range seqs {
		fmt.Fprintf(&b, "ALTER SEQUENCE %s.%s RESTART; ", schema, s)
	}
	fmt.Fprintf(&b, "INSERT INTO %s.change_counter (id, seq) VALUES (1, 0); ", schema)
	fmt.Fprintf(&b, "INSERT INTO %s.audit_head (id, seq, hash) VALUES (1, 0, ''); COMMIT", schema)
	if _, err := a.ExecContext(ctx, b.String()); err != nil {
		_, _ = a.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	return nil
}

// noteShape keeps the shape of schema, just migrated, as the one a schema
// must have to be kept.
func noteShape(schema string) {
	pool.Lock()
	known := pool.shape != ""
	pool.Unlock()
	if known {
		return
	}
	a, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return
	}
	defer a.Close()
	shape, err := schemaShape(context.Background(), a, schema)
	if err != nil {
		return
	}
	// resetSchema puts back the head rows: were the migrations to leave
	// rows in any other table, schemas are not kept (until it learns to).
	if seeded, err := seededTables(a, schema); err != nil || !slices.Equal(seeded, []string{"audit_head", "change_counter"}) {
		return
	}
	pool.Lock()
	if pool.shape == "" {
		pool.shape = shape
	}
	pool.Unlock()
}

// seededTables lists the tables of schema that hold rows, but goose's.
func seededTables(a *sql.DB, schema string) ([]string, error) {
	ctx := context.Background()
	tables, err := column(ctx, a, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'goose_db_version'`, schema)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = fmt.Sprintf("SELECT '%s' WHERE EXISTS (SELECT 1 FROM %s.%s)", t, schema, t)
	}
	return column(ctx, a, strings.Join(parts, " UNION ALL ")+" ORDER BY 1")
}

// column runs q and returns its one text column.
func column(ctx context.Context, a *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := a.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// schemaShape is a digest of schema's tables, columns (with their types
// and defaults), indexes, constraints and triggers, without its name.
func schemaShape(ctx context.Context, a *sql.DB, schema string) (string, error) {
	var shape sql.NullString
	err := a.QueryRowContext(ctx, `SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
		SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text
			|| ':' || replace(COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), $1 || '.', '') AS x
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		WHERE c.relnamespace = $1::regnamespace
		UNION ALL SELECT c.relname || ':' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid AND NOT t.tgisinternal
		WHERE c.relnamespace = $1::regnamespace
		UNION ALL SELECT c.relname || ':' || k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		WHERE c.relnamespace = $1::regnamespace) s`, schema).Scan(&shape)
	return shape.String, err
}

// sweepDeadSchemas drops the schemas that test processes no longer
// running left (a process's pool outlives its last test).
func sweepDeadSchemas() {
	a, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return
	}
	defer a.Close()
	rows, err := a.Query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%'`)
	if err != nil {
		return
	}
	var dead []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		parts := strings.Split(name, "_")
		if len(parts) != 4 {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			dead = append(dead, name)
		}
	}
	rows.Close()
	for _, s := range dead {
		_, _ = a.Exec(`DROP SCHEMA ` + s + ` CASCADE`)
	}
}
