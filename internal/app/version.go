package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"tsunagu/internal/store"
)

// Version, Commit and BuildTime are stamped into release builds with
// -ldflags "-X tsunagu/internal/app.Version=…"; otherwise they come from
// the Go toolchain's record of the checkout (vcs.revision, vcs.time).
var (
	Version   = "dev"
	Commit    = ""
	BuildTime = ""
)

// buildInfo returns the version, commit and build time of this binary.
func buildInfo() (version, commit, built string) {
	version, commit, built = Version, Commit, BuildTime
	if bi, ok := debug.ReadBuildInfo(); ok {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if built == "" {
					built = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && Commit == "" && commit != "" {
			commit += "+modified"
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	if built == "" {
		built = "unknown"
	}
	return version, commit, built
}

// versionCommand prints the build and the schema version this binary
// migrates databases to.
func versionCommand(env Env) error {
	v, c, b := buildInfo()
	fmt.Fprintf(env.Stdout, "tsunagu %s\ncommit %s\nbuilt %s\nschema %d\n%s\n", v, c, b, store.SchemaVersion(), runtime.Version())
	return nil
}

// migrateStatus prints which migrations the configured database has;
// the server applies the missing ones when it starts.
func migrateStatus(ctx context.Context, cfg Config, env Env) error {
	db, err := store.OpenUnmigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := db.Migrations(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	pending := 0
	for _, m := range ms {
		state := "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		if !m.Applied {
			state = "pending"
			pending++
		}
		fmt.Fprintf(w, "%05d\t%s\t%s\n", m.Version, m.Name, state)
	}
	w.Flush()
	if pending > 0 {
		fmt.Fprintf(env.Stdout, "%d pending: they are applied when the server starts\n", pending)
	} else {
		fmt.Fprintln(env.Stdout, "up to date")
	}
	return nil
}
