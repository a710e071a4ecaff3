// Command soak holds two (or more) API instances on one PostgreSQL
// database under a steady, realistic mix for hours — 70 % reads (timeline,
// incremental pull, calendar month, search, /me/unread, the digest, a
// photo's thumbnail), 20 % record writes through /sync/push, 10 % photo
// uploads cited by a record — and samples each server process's resident
// set and open file descriptors every 30 s. It fails (exit 1) when either
// grows by 10 % or more from the first window after the warm-up to the
// last one, or when any request failed. Run it by hand (it is no test):
//
//	createdb -h 127.0.0.1 -U postgres soak
//	go run ./scripts/soak -db 'postgres://postgres@127.0.0.1:5432/soak?sslmode=disable' -instances 2 -d 2h -out /tmp/soak/report.csv
//
// -d 2m is a quick check of the tool itself (shorter warm-up, windows and
// sampling interval, scaled to the run).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tsunagu/scripts/internal/loadclient"
)

var (
	dbURL     = flag.String("db", "", "PostgreSQL URL; a fresh schema is made in it (and dropped at the end unless -keep)")
	nInst     = flag.Int("instances", 2, "API instances sharing the database and the blob directory")
	duration  = flag.Duration("d", 2*time.Hour, "length of the run (warm-up included)")
	rate      = flag.Float64("rate", 30, "requests (operations) per second in all, spread evenly in time")
	outPath   = flag.String("out", "soak-report.csv", "CSV file of the samples")
	nPatients = flag.Int("patients", 300, "patients filled before the run (teams of 6)")
	perPat    = flag.Int("records", 40, "records per patient filled before the run")
	nDevices  = flag.Int("devices", 48, "simulated devices (6 users' iPads, in turn), each request on the next instance")
	warmup    = flag.Duration("warmup", 0, "load before the baseline window (0: 10 min for runs of an hour or more, else a third of -d)")
	window    = flag.Duration("window", 0, "the baseline and the final window (0: 10 min, or a quarter of the run after the warm-up if shorter)")
	every     = flag.Duration("every", 0, "sampling interval (0: 30 s, or a fifth of -window if shorter)")
	keep      = flag.Bool("keep", false, "keep the data directory, logs and schema (printed at the end)")
)

func main() {
	flag.Parse()
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// timing is the run's warm-up, windows and sampling interval.
type timing struct{ warmup, window, every time.Duration }

func timings() (timing, error) {
	t := timing{*warmup, *window, *every}
	if t.warmup == 0 {
		t.warmup = 10 * time.Minute
		if *duration < time.Hour {
			t.warmup = *duration / 3
		}
	}
	if t.window == 0 {
		t.window = min(10*time.Minute, (*duration-t.warmup)/4)
	}
	if t.every == 0 {
		t.every = min(30*time.Second, t.window/5)
	}
	if t.every <= 0 || t.window < t.every || t.warmup+2*t.window > *duration {
		return t, fmt.Errorf("-d %s is too short for a warm-up of %s and two windows of %s", *duration, t.warmup, t.window)
	}
	return t, nil
}

func run() (int, error) {
	if *dbURL == "" {
		return 0, errors.New("-db: a PostgreSQL URL is needed (the soak runs several instances on one database)")
	}
	if *nInst < 1 || *rate <= 0 || *nDevices < 1 || *nPatients < 1 {
		return 0, errors.New("-instances, -rate, -devices and -patients must be positive")
	}
	tm, err := timings()
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "tsunagu-soak-")
	if err != nil {
		return 0, err
	}
	if *keep {
		defer fmt.Fprintln(os.Stderr, "soak: data, logs and binary kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin, err := loadclient.Build(tmp)
	if err != nil {
		return 0, err
	}

	url, dropSchema, err := loadclient.FreshSchema(*dbURL, "soak")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", redact(*dbURL), err)
	}
	if *keep {
		defer fmt.Fprintln(os.Stderr, "soak: database", redact(url))
	} else {
		defer func() {
			if err := dropSchema(); err != nil {
				fmt.Fprintln(os.Stderr, "soak: drop schema:", err)
			}
		}()
	}
	// One data directory for all instances: their blobs on one local disk,
	// as on a shared volume.
	data := filepath.Join(tmp, "data")
	env := append(os.Environ(), "TSUNAGU_DATA_DIR="+data, "TSUNAGU_DATABASE_URL="+url, "TSUNAGU_DEMO=1", "TSUNAGU_REQUIRE_TOTP=0",
		"TSUNAGU_SESSION_IDLE=1h", "TSUNAGU_LOG_FORMAT=json")
	var servers []*loadclient.Server
	var logs []string
	defer func() {
		for _, s := range servers {
			s.Stop()
		}
	}()
	for i := 1; i <= *nInst; i++ {
		addr, err := loadclient.FreeAddr()
		if err != nil {
			return 0, err
		}
		logPath := filepath.Join(tmp, fmt.Sprintf("server-%d.log", i))
		logs = append(logs, logPath)
		logf, err := os.Create(logPath)
		if err != nil {
			return 0, err
		}
		defer logf.Close()
		s, err := loadclient.Start(bin, env, addr, logf, 2*time.Minute)
		if err != nil {
			return 0, fmt.Errorf("instance %d: %w (log kept: -keep)", i, err)
		}
		servers = append(servers, s)
	}
	bases := make([]string, len(servers))
	for i, s := range servers {
		bases[i] = s.Base
	}
	fmt.Fprintf(os.Stderr, "soak: %d instances on %s; filling %d patients × %d records …\n", len(servers), redact(url), *nPatients, *perPat)
	t0 := time.Now()
	fx, err := fill(bases, *nPatients, *perPat)
	if err != nil {
		return 0, fmt.Errorf("fill: %w", err)
	}
	fmt.Fprintf(os.Stderr, "soak: filled in %s; signing in %d devices …\n", time.Since(t0).Round(time.Second), *nDevices)
	devs, err := newDevices(bases, *nDevices)
	if err != nil {
		return 0, err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(filepath.Dir(*outPath), 0o755); err != nil {
		return 0, err
	}
	out, err := os.Create(*outPath)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	fmt.Fprintf(os.Stderr, "soak: %s at %.0f/s on %d devices (warm-up %s, windows %s, a sample every %s); CSV %s\n",
		*duration, *rate, len(devs), tm.warmup, tm.window, tm.every, *outPath)
	res := soak(ctx, servers, devs, fx, tm, out)
	res.logErrors = logErrors(logs)
	return res.summary(os.Stdout, tm), nil
}

// logErrors is, per server log, its lines of level ERROR (or worse) from
// the fill on (the whole log); each
// line's message only.
func logErrors(paths []string) [][]string {
	out := make([][]string, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			out[i] = []string{err.Error()}
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct{ Level, Msg string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && (line.Level == "ERROR" || line.Level == "FATAL") {
				out[i] = append(out[i], line.Msg)
			}
		}
		f.Close()
	}
	return out
}

// redact hides a password in a database URL.
func redact(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if i := strings.Index(u, "://"); i > 0 && i < at {
			if c := strings.Index(u[i+3:at], ":"); c >= 0 {
				return u[:i+3+c] + ":***" + u[at:]
			}
		}
	}
	return u
}
