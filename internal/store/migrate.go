package store

import (
	"context"
	"fmt"
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
		locker, err := lock.NewPostgresSessionLocker()
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
