package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"filippo.io/age"

	"tsunagu/internal/backup"
	"tsunagu/internal/blob"
	"tsunagu/internal/store"
)

// backupCommand runs `tsunagu backup --to DIR [--keep N]` and
// `tsunagu backup verify GEN [--identity FILE]`.
func backupCommand(ctx context.Context, cfg Config, env Env, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return verifyBackup(ctx, env, args[1:])
	}
	fl := flag.NewFlagSet("backup", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	to := fl.String("to", cfg.Backup.Dir, "backup directory (a new generation is made in it)")
	keep := fl.Int("keep", 0, "keep this many generations, removing older ones (0 keeps all)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup: give --to DIR (or set TSUNAGU_BACKUP_DIR)")
	}
	db, blobs, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	gen, err := backup.Run(ctx, db, blobs, *to, backup.Options{Recipients: cfg.Backup.Recipients, Keep: *keep})
	if err != nil {
		return err
	}
	m, err := backup.ReadManifest(gen)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup %s: %d files, schema %d, %d records, %d attachments, audit head %d, in %s\n",
		gen, len(m.Files), m.SchemaVersion, m.Counts["record"], m.Counts["attachment"], m.AuditHead.Seq, time.Since(start).Round(time.Millisecond))
	return nil
}

func verifyBackup(ctx context.Context, env Env, args []string) error {
	fl := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	identity := fl.String("identity", "", "age identity file, to check an encrypted generation's audit chain")
	// GEN may come before or after the flags.
	if err := fl.Parse(args); err != nil {
		return err
	}
	gen := fl.Arg(0)
	if err := fl.Parse(fl.Args()[min(1, fl.NArg()):]); err != nil {
		return err
	}
	if gen == "" || fl.NArg() > 0 {
		return errors.New("backup verify: give the generation directory")
	}
	ids, err := identities(*identity)
	if err != nil {
		return err
	}
	r, err := backup.Verify(ctx, gen, ids)
	if err != nil {
		return err
	}
	return report(env.Stdout, "backup", r)
}

// restoreCommand runs `tsunagu restore --from GEN --to DATADIR [--identity FILE]`.
func restoreCommand(ctx context.Context, env Env, args []string) error {
	fl := flag.NewFlagSet("restore", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	from := fl.String("from", "", "the generation to restore")
	to := fl.String("to", "", "an empty data directory (TSUNAGU_DATA_DIR of the restored server)")
	identity := fl.String("identity", "", "age identity file of an encrypted generation")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return errors.New("restore: give --from GEN and --to DATADIR")
	}
	ids, err := identities(*identity)
	if err != nil {
		return err
	}
	r, err := backup.Restore(ctx, *from, *to, ids)
	if err != nil {
		return err
	}
	if err := report(env.Stdout, "restored", r); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "start the server with TSUNAGU_DATA_DIR=%s\n", *to)
	return nil
}

func report(w io.Writer, what string, r backup.Report) error {
	for _, p := range r.Problems {
		fmt.Fprintf(w, "DAMAGED %s\n", p)
	}
	if len(r.Problems) > 0 {
		return fmt.Errorf("%s: %d problems found", what, len(r.Problems))
	}
	chain := "audit chain not checked (encrypted; give --identity)"
	if r.ChainChecked {
		chain = fmt.Sprintf("audit chain intact: %d events, head %d", r.Events, r.Manifest.AuditHead.Seq)
	}
	fmt.Fprintf(w, "%s intact: %d files (%d bytes) match the manifest; %s\n", what, r.Files, r.Bytes, chain)
	return nil
}

func identities(path string) ([]age.Identity, error) {
	if path == "" {
		return nil, nil
	}
	return backup.ReadIdentities(path)
}

func openData(ctx context.Context, cfg Config) (*store.DB, blob.Store, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, blobs, nil
}

// runBackups makes a generation every cfg.Every while the server runs (the
// first one cfg.Every after start), keeping cfg.Keep.
func runBackups(ctx context.Context, log *slog.Logger, db *store.DB, blobs blob.Store, cfg BackupConfig) {
	t := time.NewTicker(cfg.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		gen, err := backup.Run(ctx, db, blobs, cfg.Dir, backup.Options{Recipients: cfg.Recipients, Keep: cfg.Keep})
		if err != nil {
			log.ErrorContext(ctx, "backup failed", "err", err)
			continue
		}
		log.InfoContext(ctx, "backup made", "generation", gen, "duration_ms", time.Since(start).Milliseconds())
	}
}
