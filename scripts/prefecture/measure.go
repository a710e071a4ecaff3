package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
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
	bin := filepath.Join(tmp, "tsunagu")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
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
	defer srv.stop()

	nurse := srv.signIn("pref.nurse.1")
	var caseload struct {
		Patients []struct {
			ID string `json:"id"`
		} `json:"patients"`
	}
	nurse.mustJSON("GET", "/api/v1/patients", nil, &caseload)
	pids := []string{}
	for _, p := range caseload.Patients {
		pids = append(pids, p.ID)
	}
	if len(pids) == 0 {
		return fmt.Errorf("pref.nurse.1 has no patients")
	}
	add("the nurse's caseload", fmt.Sprintf("%d patients", len(pids)))

	t := time.Now()
	n := nurse.syncFromEmpty()
	add("caseload pull from empty (snapshots + changes since)", fmt.Sprintf("%s for %d entities", time.Since(t).Round(time.Millisecond), n))

	// Incremental pull: 10 new records since the device's cursor.
	cur := nurse.cursor()
	dev := uuid.NewString()
	ms := []any{}
	for i := 0; i < 10; i++ {
		ms = append(ms, recordMutation(int64(i+1), pids[i%len(pids)]))
	}
	nurse.mustJSON("POST", "/api/v1/sync/push", map[string]any{"device_id": dev, "mutations": ms}, nil)
	add("incremental pull of 10 changes, p50", median(100, func() error { return nurse.get("/api/v1/sync/pull?limit=500&cursor=" + cur) }))

	k := 0
	add("timeline, newest 100 of a patient, p50", median(100, func() error {
		k++
		return nurse.get("/api/v1/patients/" + pids[k%len(pids)] + "/records?limit=100")
	}))
	month := time.Now().UTC().AddDate(0, 1, 0)
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1)
	add("calendar month, the team's visits (scope=team), p50", median(30, func() error {
		return nurse.get("/api/v1/me/visits?scope=team&from=" + first.Format("2006-01-02") + "&to=" + last.Format("2006-01-02"))
	}))
	words := []string{"褥瘡", "ガーゼ交換", "吸引", "浮腫 保湿剤"}
	add("search across the caseload, 20 a page, p50", median(40, func() error {
		k++
		return nurse.get("/api/v1/search/records?limit=20&q=" + url.QueryEscape(words[k%len(words)]))
	}))
	add("search in one patient, 20 a page, p50", median(40, func() error {
		k++
		return nurse.get("/api/v1/search/records?limit=20&patient_id=" + pids[k%len(pids)] + "&q=" + url.QueryEscape(words[k%len(words)]))
	}))
	add("digest (/me/digest), p50", median(30, func() error { return nurse.get("/api/v1/me/digest") }))
	add("/me/unread, p50", median(30, func() error { return nurse.get("/api/v1/me/unread") }))
	seq := int64(10) // the device pushed 1–10 above
	add("record write via /sync/push (1 client), p50", median(100, func() error {
		seq++
		return nurse.pushOne(dev, recordMutation(seq, pids[int(seq)%len(pids)]))
	}))
	srv.stop()

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
	return fmt.Sprintf("%.1f ms", percentile(lats, 0.5))
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[min(len(xs)-1, int(float64(len(xs))*p))]
}

type server struct {
	base string
	cmd  *exec.Cmd
	once sync.Once
}

func startServer(bin string, env []string, tmp string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{base: "http://" + addr}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(append(os.Environ(), env...), "TSUNAGU_ADDR="+addr)
	logf, _ := os.Create(filepath.Join(tmp, "server.log"))
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 6000; i++ {
		if res, err := http.Get(s.base + "/healthz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			return s, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	b, _ := os.ReadFile(filepath.Join(tmp, "server.log"))
	return nil, fmt.Errorf("server did not start: %s", b)
}

// stop ends the server and waits for it, so that the tools after it have
// the database to themselves.
func (s *server) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	})
}

type client struct {
	base string
	c    *http.Client
}

func (s *server) signIn(login string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{base: s.base, c: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	c.mustJSON("POST", "/api/v1/session", map[string]any{"login_id": login, "password": Password}, nil)
	return c
}

func (c *client) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func (c *client) json(method, path string, body, out any) error {
	st, b, err := c.do(method, path, body)
	if err == nil && st >= 300 {
		err = fmt.Errorf("%s %s: %d %.300s", method, path, st, b)
	}
	if err == nil && out != nil {
		err = json.Unmarshal(b, out)
	}
	return err
}

func (c *client) mustJSON(method, path string, body, out any) {
	if err := c.json(method, path, body, out); err != nil {
		panic(err)
	}
}

func (c *client) get(path string) error {
	st, b, err := c.do("GET", path, nil)
	if err == nil && st != 200 {
		err = fmt.Errorf("GET %s: %d %.300s", path, st, b)
	}
	return err
}

func (c *client) pushOne(device string, m map[string]any) error {
	st, b, err := c.do("POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": []any{m}})
	if err == nil && (st != 200 || !bytes.Contains(b, []byte(`"applied"`))) {
		err = fmt.Errorf("push: %d %.300s", st, b)
	}
	return err
}

func recordMutation(seq int64, patientID string) map[string]any {
	return map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "seq": seq, "type": "record.create", "args": map[string]any{
		"patient_id": patientID, "id": uuid.Must(uuid.NewV7()).String(), "kind": "nursing_visit", "occurred_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"text": "バイタル安定。食事摂取良好。", "vitals": map[string]any{"temperature_c": 36.6, "bp_systolic": 128, "bp_diastolic": 76, "pulse": 72, "spo2": 97}}}
}

type pullPage struct {
	Changes []json.RawMessage `json:"changes"`
	Cursor  string            `json:"cursor"`
	HasMore bool              `json:"has_more"`
	Resets  []struct {
		PatientID string `json:"patient_id"`
	} `json:"resets"`
}

// pullAll follows the cursor to the end; each page's latency goes to lat.
func (c *client) pullAll(cursor string, lat func(time.Duration)) (int, string, error) {
	n := 0
	for {
		var a pullPage
		t := time.Now()
		if err := c.json("GET", "/api/v1/sync/pull?limit=500&cursor="+cursor, nil, &a); err != nil {
			return n, cursor, err
		}
		if lat != nil {
			lat(time.Since(t))
		}
		n += len(a.Changes)
		cursor = a.Cursor
		if !a.HasMore {
			return n, cursor, nil
		}
	}
}

// syncFromEmptyTimed is a new device's first sync: snapshots of every
// patient, then the changes since; each request's latency goes to lat.
func (c *client) syncFromEmptyTimed(lat func(time.Duration)) (int, error) {
	var first pullPage
	t := time.Now()
	if err := c.json("GET", "/api/v1/sync/pull", nil, &first); err != nil {
		return 0, err
	}
	if lat != nil {
		lat(time.Since(t))
	}
	n := 0
	for _, r := range first.Resets {
		var snap pullPage
		t := time.Now()
		if err := c.json("GET", "/api/v1/sync/pull?patient_id="+r.PatientID+"&cursor="+first.Cursor, nil, &snap); err != nil {
			return n, err
		}
		if lat != nil {
			lat(time.Since(t))
		}
		n += len(snap.Changes)
	}
	m, _, err := c.pullAll(first.Cursor, lat)
	return n + m, err
}

func (c *client) syncFromEmpty() int {
	n, err := c.syncFromEmptyTimed(nil)
	if err != nil {
		panic(err)
	}
	return n
}

func (c *client) cursor() string {
	_, cur, err := c.pullAll("", nil)
	if err != nil {
		panic(err)
	}
	return cur
}
