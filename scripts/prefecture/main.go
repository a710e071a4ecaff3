// Command prefecture fills a database with a prefecture's home-care network
// through the store (not the HTTP API) — 61,134 patients, 323 facilities,
// 1,600 staff, teams of 4–8, five years of records, versions, visits,
// photos, change log and audit events — and measures Tsunagu on it.
//
//	go run ./scripts/prefecture -scale 0.05 -db /tmp/pref/tsunagu.db      # fill (SQLite)
//	go run ./scripts/prefecture -scale 0.05 -db postgres://…/pref -blobs /tmp/pref/blobs
//	go run ./scripts/prefecture -measure -db /tmp/pref/tsunagu.db         # figures on it
//	go run ./scripts/prefecture -storm -db /tmp/pref/tsunagu.db           # 500 devices at 08:30
//
// -scale is the fraction of the prefecture's patients; staff and
// facilities scale with it, so a member's caseload is the full one's at
// every scale. Every generated account's password is Password.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"tsunagu/internal/auth"
	"tsunagu/internal/blob"
	"tsunagu/internal/store"
)

// Password of every generated account (fictional data, a bench database).
const Password = "prefecture-bench-2026"

var (
	dbFlag    = flag.String("db", "", "SQLite file path or postgres:// URL (required)")
	blobsFlag = flag.String("blobs", "", "blob directory (default: blobs beside the SQLite file; required for PostgreSQL)")
	scale     = flag.Float64("scale", 0.05, "fraction of the prefecture (1 = 61,134 patients, ≥ 10M records)")
	seed      = flag.Uint64("seed", 1, "random seed (the same seed and scale make the same network)")
	workers   = flag.Int("workers", 0, "concurrent patient writers (default: 1 on SQLite, 4 on PostgreSQL)")
	measure   = flag.Bool("measure", false, "measure the figures of docs/BUDGETS.md on a filled database instead of filling")
	storm     = flag.Bool("storm", false, "run the morning storm (500 devices pulling at once) on a filled database")
	batch     = flag.Int("batch", 16, "patients a transaction")
	devices   = flag.Int("devices", 500, "devices of the morning storm")
	cpuprof   = flag.String("cpuprofile", "", "write the generator's CPU profile here")
)

func main() {
	flag.Parse()
	if *dbFlag == "" {
		fmt.Fprintln(os.Stderr, "prefecture: -db is required")
		os.Exit(2)
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	// Interrupted, a fill finishes the batches it is writing and stops
	// (run it again to resume); the profile is written either way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *measure || *storm:
		err = measureRun(ctx)
	default:
		err = fill(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "prefecture:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func blobDir() (string, error) {
	if *blobsFlag != "" {
		return *blobsFlag, nil
	}
	if isPostgres(*dbFlag) {
		return "", fmt.Errorf("-blobs is required with PostgreSQL")
	}
	return filepath.Join(filepath.Dir(*dbFlag), "blobs"), nil
}

func fill(ctx context.Context) error {
	dir, err := blobDir()
	if err != nil {
		return err
	}
	blobs, err := blob.OpenDisk(dir)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer db.Close()
	hash, err := auth.NewHasher(1).Hash(ctx, Password)
	if err != nil {
		return err
	}
	w := *workers
	if w == 0 {
		// SQLite has one writer; PostgreSQL overlaps the round trips of a
		// few.
		w = 1
		if isPostgres(*dbFlag) {
			w = 4
		}
	}
	p := Plan{Scale: *scale, Years: 5, Now: time.Now().UTC().Truncate(time.Second), Seed: *seed, Password: Password, Hash: hash, Workers: w, Batch: *batch, Progress: os.Stderr}
	sz := p.Sizes()
	fmt.Fprintf(os.Stderr, "filling %s at scale %g: %d patients, %d facilities, %d staff, ~%d records\n", redact(*dbFlag), *scale, sz.Patients, sz.Facilities, sz.Staff, sz.Patients*meanRecords)
	sum, err := Fill(ctx, db, blobs, p)
	if err != nil && ctx.Err() != nil {
		fmt.Printf("interrupted after %s: %d patients, %d records written; the same command resumes the fill\n", sum.Elapsed.Round(time.Second), sum.Patients, sum.Records)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("filled in %s: %d patients, %d facilities, %d staff, %d team members, %d records (%d versions), %d visits, %d photos, %d audit events (%.0f records/s)\n",
		sum.Elapsed.Round(time.Second), sum.Patients, sum.Facilities, sum.Staff, sum.TeamMembers, sum.Records, sum.Versions, sum.Visits, sum.Photos, sum.AuditEvents,
		float64(sum.Records)/sum.Elapsed.Seconds())
	if db.Engine == store.Postgres {
		// A database just filled has no statistics and no visibility map
		// until autovacuum's next pass, and none at all where autovacuum is
		// off: measured at once, its plans and its index-only scans would
		// measure that (a search in one patient took 1.6 s at scale 0.1,
		// 6 ms after).
		t := time.Now()
		if _, err := db.SQL().ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		fmt.Printf("vacuumed and analysed in %s\n", time.Since(t).Round(time.Second))
	}
	return nil
}

// redact drops a URL's password from what is printed.
func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 && isPostgres(u) {
		return "postgres://…" + u[i:]
	}
	return u
}
