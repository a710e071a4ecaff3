// Package storetest opens throwaway Tsunagu databases for tests on every
// engine: a SQLite file in a temporary directory, and a fresh schema on the
// PostgreSQL server named by TSUNAGU_TEST_POSTGRES_URL (default: the local
// server's database "test"). With CI=true a PostgreSQL that cannot be
// reached fails the test instead of skipping it.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"tsunagu/internal/store"
)

// DefaultPostgresURL is used when TSUNAGU_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engines lists the engines tests run on: always SQLite; PostgreSQL when it
// answers (and always under CI, where a missing server fails the test).
func Engines(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv("TSUNAGU_TEST_ENGINES") == "sqlite" && os.Getenv("CI") != "true" {
		return []string{store.SQLite}
	}
	if err := pingPostgres(); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is required under CI (%s): %v", PostgresURL(), err)
		}
		tb.Logf("PostgreSQL tests skipped: %v", err)
		return []string{store.SQLite}
	}
	return []string{store.SQLite, store.Postgres}
}

// PostgresURL returns the server URL tests use.
func PostgresURL() string {
	if u := os.Getenv("TSUNAGU_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

func pingPostgres() error {
	db, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

var schemaSeq atomic.Int64

// URL makes an empty database for engine and returns its URL; it is removed
// when the test ends.
func URL(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case store.SQLite:
		return filepath.Join(tb.TempDir(), "tsunagu.db")
	case store.Postgres:
		schema := newSchema(tb)
		tb.Cleanup(func() { dropSchema(schema) })
		return schemaURL(tb, schema)
	}
	tb.Fatalf("unknown engine %q", engine)
	return ""
}

// schemaURL is the URL of schema on the test server.
func schemaURL(tb testing.TB, schema string) string {
	tb.Helper()
	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustOpen opens a migrated database on engine with nothing in it: a new
// SQLite file, or a PostgreSQL schema from this process's pool (pool.go).
func MustOpen(tb testing.TB, engine string) *store.DB {
	tb.Helper()
	if engine == store.Postgres {
		return openPooled(tb)
	}
	db, err := store.Open(context.Background(), URL(tb, engine))
	if err != nil {
		tb.Fatalf("open %s: %v", engine, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range Engines(t) {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

// IsPostgres reports whether a URL names PostgreSQL.
func IsPostgres(u string) bool { return strings.HasPrefix(u, "postgres") }

// SetMaxPages sets SQLite's max_page_count on every connection of the
// writer's pool; "" is the current page count: no room to grow, as on a
// full disk.
func SetMaxPages(t testing.TB, db *store.DB, pages string) {
	t.Helper()
	ctx := context.Background()
	pool := db.SQL().DB
	var conns []*sql.Conn
	for range pool.Stats().MaxOpenConnections {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if pages == "" {
			if err := c.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.ExecContext(ctx, `PRAGMA max_page_count = `+pages); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
