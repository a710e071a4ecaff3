package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"tsunagu/scripts/internal/loadclient"
)

// measureRun builds the server, starts it on the filled database and
// prints the figures of docs/BUDGETS.md's prefecture section (-measure) or
// runs the morning storm (-storm).
func measureRun(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "tsunagu-prefecture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := loadclient.Build(tmp)
	if err != nil {
		return err
	}
	blobs, err := blobDir()
	if err != nil {
		return err
	}
	// The server keeps its blobs in DATA_DIR/blobs: the data directory is
	// the one that holds the generator's blob directory.
	if filepath.Base(blobs) != "blobs" {
		return fmt.Errorf("-blobs must be a directory named blobs (the server's DATA_DIR/blobs)")
	}
	env := []string{"TSUNAGU_DATA_DIR=" + filepath.Dir(blobs), "TSUNAGU_DATABASE_URL=" + *dbFlag, "TSUNAGU_REQUIRE_TOTP=0",
		"TSUNAGU_SESSION_IDLE=1h", "TSUNAGU_LOG_FORMAT=json"}
	if *storm {
		return stormRun(bin, env)
	}
	rows := [][2]string{}
	add := func(what, got string) {
		rows = append(rows, [2]string{what, got})
		fmt.Fprintf(os.Stderr, "  %s: %s\n", what, got)
	}

	t0 := time.Now()
	srv, err := startServer(bin, env, tmp)
	if err != nil {
		return err
	}
	add("start-up (exec → /healthz 200)", time.Since(t0).Round(time.Millisecond).String())
	defer srv.Stop()

	nurse := srv.signIn("pref.nurse.1")
	var caseload struct {
		Patients []struct {
			ID string `json:"id"`
		} `json:"patients"`
	}
	nurse.MustJSON("GET", "/api/v1/patients", nil, &caseload)
	pids := []string{}
	for _, p := range caseload.Patients {
		pids = append(pids, p.ID)
	}
	if len(pids) == 0 {
		return fmt.Errorf("pref.nurse.1 has no patients")
	}
	add("the nurse's caseload", fmt.Sprintf("%d patients", len(pids)))

	t := time.Now()
	n := loadclient.Must(nurse.SyncFromEmpty(nil))
	add("caseload pull from empty (snapshots + changes since)", fmt.Sprintf("%s for %d entities", time.Since(t).Round(time.Millisecond), n))

	// Incremental pull: 10 new records since the device's cursor.
	cur := loadclient.Must(nurse.Cursor())
	dev := uuid.NewString()
	ms := []any{}
	for i := 0; i < 10; i++ {
		ms = append(ms, loadclient.RecordMutation(int64(i+1), pids[i%len(pids)]))
	}
	if err := nurse.Push(dev, ms...); err != nil {
		return err
	}
	add("incremental pull of 10 changes, p50", median(100, func() error { return nurse.Get("/api/v1/sync/pull?limit=500&cursor=" + cur) }))

	k := 0
	add("timeline, newest 100 of a patient, p50", median(100, func() error {
		k++
		return nurse.Get("/api/v1/patients/" + pids[k%len(pids)] + "/records?limit=100")
	}))
	month := time.Now().UTC().AddDate(0, 1, 0)
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1)
	add("calendar month, the team's visits (scope=team), p50", median(30, func() error {
		return nurse.Get("/api/v1/me/visits?scope=team&from=" + first.Format("2006-01-02") + "&to=" + last.Format("2006-01-02"))
	}))
	words := []string{"褥瘡", "ガーゼ交換", "吸引", "浮腫 保湿剤"}
	add("search across the caseload, 20 a page, p50", median(40, func() error {
		k++
		return nurse.Get("/api/v1/search/records?limit=20&q=" + url.QueryEscape(words[k%len(words)]))
	}))
	add("search in one patient, 20 a page, p50", median(40, func() error {
		k++
		return nurse.Get("/api/v1/search/records?limit=20&patient_id=" + pids[k%len(pids)] + "&q=" + url.QueryEscape(words[k%len(words)]))
	}))
	add("digest (/me/digest), p50", median(30, func() error { return nurse.Get("/api/v1/me/digest") }))
	add("/me/unread, p50", median(30, func() error { return nurse.Get("/api/v1/me/unread") }))
	seq := int64(10) // the device pushed 1–10 above
	add("record write via /sync/push (1 client), p50", median(100, func() error {
		seq++
		return nurse.PushOne(dev, loadclient.RecordMutation(seq, pids[int(seq)%len(pids)]))
	}))
	srv.Stop()

	// audit verify: time and peak memory of the command, server stopped.
	t = time.Now()
	out, rss, err := runTool(bin, env, "audit", "verify")
	if err != nil {
		return fmt.Errorf("audit verify: %v: %s", err, out)
	}
	add("audit verify", fmt.Sprintf("%s, peak RSS %d MB: %s", time.Since(t).Round(time.Millisecond), rss>>10, strings.TrimSpace(lastLine(out))))
	if !isPostgres(*dbFlag) {
		gen := filepath.Join(tmp, "backup")
		t = time.Now()
		out, rss, err = runTool(bin, env, "backup", "--to", gen)
		if err != nil {
			return fmt.Errorf("backup: %v: %s", err, out)
		}
		add("backup (tsunagu backup --to)", fmt.Sprintf("%s, peak RSS %d MB, %s", time.Since(t).Round(time.Millisecond), rss>>10, duSize(gen)))
		gens, _ := filepath.Glob(filepath.Join(gen, "*"))
		if len(gens) > 0 {
			sort.Strings(gens)
			to := filepath.Join(tmp, "restored")
			t = time.Now()
			out, rss, err = runTool(bin, env, "restore", "--from", gens[len(gens)-1], "--to", to)
			if err != nil {
				return fmt.Errorf("restore: %v: %s", err, out)
			}
			add("restore (tsunagu restore)", fmt.Sprintf("%s, peak RSS %d MB", time.Since(t).Round(time.Millisecond), rss>>10))
			os.RemoveAll(to)
		}
		os.RemoveAll(gen)
	}
	fmt.Printf("\nprefecture figures — %s, %s\n\n| what | measured |\n|---|---|\n", redact(*dbFlag), engineName())
	for _, r := range rows {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
	return nil
}

func engineName() string {
	if isPostgres(*dbFlag) {
		return "PostgreSQL"
	}
	return "SQLite (synchronous=FULL)"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func duSize(dir string) string {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return fmt.Sprintf("%d MB", n>>20)
}

// runTool runs a tsunagu command and returns its output and peak RSS (KB).
func runTool(bin string, env []string, args ...string) (string, int64, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return b.String(), rss, err
}

// median runs op n times (after 5 to warm up) and gives its median latency.
func median(n int, op func() error) string {
	for i := 0; i < 5; i++ {
		if err := op(); err != nil {
			return "error: " + err.Error()
		}
	}
	lats := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := op(); err != nil {
			return "error: " + err.Error()
		}
		lats = append(lats, float64(time.Since(t).Microseconds())/1000)
	}
	return fmt.Sprintf("%.1f ms", loadclient.Percentile(lats, 0.5))
}

// server is the server process the measurements run against.
type server struct{ *loadclient.Server }

type client = loadclient.Client

func startServer(bin string, env []string, tmp string) (*server, error) {
	addr, err := loadclient.FreeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(tmp, "server.log")
	logf, _ := os.Create(logPath)
	s, err := loadclient.Start(bin, append(os.Environ(), env...), addr, logf, time.Minute)
	if err != nil {
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("server did not start: %s", b)
	}
	return &server{s}, nil
}

func (s *server) signIn(login string) *client {
	return loadclient.MustSignIn(s.Base, login, Password)
}
