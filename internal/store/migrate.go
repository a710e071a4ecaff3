package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"tsunagu/migrations"
)

// migrate brings the schema up to this build's newest migration: the SQL
// files of migrations/ and the engine-specific ones written in Go.
func (db *DB) migrate(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Migration is one schema migration and whether the database has it.
type Migration struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Migrations lists every migration this build knows, oldest first, with
// whether the database has applied it.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	p, err := db.migrations()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Migration, 0, len(st))
	for _, m := range st {
		name := filepath.Base(m.Source.Path)
		if m.Source.Path == "" {
			name = "(engine-specific, in Go)"
		}
		out = append(out, Migration{Version: m.Source.Version, Name: name,
			Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt})
	}
	return out, nil
}

func (db *DB) migrations() (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
		id, err := db.migrationLockID()
		if err != nil {
			return nil, err
		}
		// Checked every second, for up to five minutes, while another
		// instance migrates the same schema.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	opts = append(opts, goose.WithGoMigrations(goMigrations(db.Engine)...))
	p, err := goose.NewProvider(dialect, db.x.DB, migrations.SQL, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// migrationLockID is the advisory lock that instances migrating the same
// schema take in turn. Advisory locks belong to the whole database, so
// the schema's name is part of it: schemas side by side in one database
// (a test's each) migrate at once, without waiting for each other. The
// public schema keeps goose's own lock, the one earlier versions took.
func (db *DB) migrationLockID() (int64, error) {
	var schema string
	if err := db.x.Get(&schema, `SELECT current_schema()`); err != nil {
		return 0, fmt.Errorf("migrations: current schema: %w", err)
	}
	if schema == "public" {
		return lock.DefaultLockID, nil
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	return lock.DefaultLockID ^ int64(h.Sum64()&math.MaxInt64), nil
}
