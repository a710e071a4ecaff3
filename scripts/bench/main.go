// Command bench is Tsunagu's load generator: it builds and starts a real
// server (SQLite by default, or PostgreSQL with -db), fills it through the
// API, and measures the figures of docs/BUDGETS.md from a
// client on the same machine. Run it with `make bench`.
package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"tsunagu/internal/notify/pushtest"
)

var (
	dbURL    = flag.String("db", "", "PostgreSQL URL (a fresh schema is made in it); empty = SQLite file")
	duration = flag.Duration("d", 5*time.Second, "duration of each throughput run")
	bigLog   = flag.Int("biglog", 1_000_000, "change-log rows for the incremental-pull comparison")
	profile  = flag.String("cpuprofile", "", "save the server's CPU profile of each throughput run to <prefix>-<run>.pprof")
	keep     = flag.Bool("keep", false, "keep the server's data directory (printed at the end) for looking into")
	set      = flag.String("set", "small", "data set: small (50 patients × 200 short records) or anchor (500 patients with teams of 6, 100,000 records of 500-byte texts: the side-by-side comparison's set, see anchor.go)")
	only     = flag.String("only", "", "run only the throughput runs whose name contains this, or one of these comma-separated (writes, timeline, pull, search), or \"rest\" for the runs after them")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type server struct {
	base  string
	debug string // the server's profiler address (with -cpuprofile)
	cmd   *exec.Cmd
	db    *sql.DB
	eng   string
}

func run() error {
	tmp, err := os.MkdirTemp("", "tsunagu-bench-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintln(os.Stderr, "data kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := filepath.Join(tmp, "tsunagu")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	rcv := pushtest.NewReceiver()
	defer rcv.Close()
	srv, err := start(bin, tmp, rcv.Host())
	if err != nil {
		return err
	}
	defer srv.cmd.Process.Kill()
	stopInstances, err := srv.startInstances(bin, tmp)
	if err != nil {
		return err
	}
	defer stopInstances()

	ds, err := dataSet(*set)
	if err != nil {
		return err
	}
	doctor := srv.signIn("demo.doctor")
	members := []string{srv.userID("demo.nurse")}
	for _, login := range ds.others {
		members = append(members, srv.userID(login))
	}
	fmt.Fprintf(os.Stderr, "filling: %d patients (teams of %d) × %d records of %d bytes …\n", ds.patients, len(members)+1, ds.perPatient, len(ds.text(0)))
	patients := make([]string, ds.patients)
	for i := range patients {
		var p struct{ ID string }
		doctor.mustJSON("POST", "/api/v1/patients", map[string]any{"name": fmt.Sprintf("負荷 試験%d", i), "name_kana": "フカ シケン", "birth_date": "1940-01-01",
			"sex": "unknown", "address": "架空", "phone": ""}, &p)
		doctor.mustJSON("POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"}, nil)
		for k, uid := range members {
			role := "visiting_nurse"
			if k > 0 {
				role = ds.roles[k-1]
			}
			doctor.mustJSON("POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": uid, "role": role}, nil)
		}
		patients[i] = p.ID
	}
	seed := srv.signIn("demo.nurse")
	// A cursor from before the records, for the 500-change pulls.
	var first struct{ Cursor string }
	seed.mustJSON("GET", "/api/v1/sync/pull", nil, &first)
	dev, seq := uuid.NewString(), int64(0)
	for i, pid := range patients {
		for done := 0; done < ds.perPatient; done += 500 {
			ms := make([]map[string]any, 0, 500)
			for j := done; j < min(ds.perPatient, done+500); j++ {
				seq++
				ms = append(ms, ds.mutation(seq, pid))
			}
			seed.mustJSON("POST", "/api/v1/sync/push", map[string]any{"device_id": dev, "mutations": ms}, nil)
		}
		if i%(max(10, ds.patients/10)) == max(10, ds.patients/10)-1 {
			fmt.Fprintf(os.Stderr, "  %d patients filled\n", i+1)
		}
	}

	rows := [][]string{}
	add := func(what, got, budget string) {
		if !strings.HasPrefix(got, "0/s") { // a run left out with -only
			rows = append(rows, []string{what, got, budget})
		}
	}

	for _, c := range []int{1, 8, 64} {
		n, lat := srv.load(fmt.Sprintf("writes-%d", c), c, "demo.nurse", func(cl *client, w *worker) error {
			w.seq++
			return cl.pushOne(w.device, ds.mutation(w.seq, patients[w.n%len(patients)]))
		})
		budget := ""
		if c == 8 {
			budget = ds.budgets.writes
		}
		add(fmt.Sprintf("record writes via /sync/push, %d clients", c), fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), budget)
	}
	n1, lat1 := srv.load("timeline-1client", 1, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/patients/" + patients[w.n%len(patients)] + "/records?limit=100")
	})
	add("timeline, newest 100 of a patient, 1 client", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n1, lat1), "")
	n, lat := srv.load("timeline", 8, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/patients/" + patients[w.n%len(patients)] + "/records?limit=100")
	})
	add("timeline, newest 100 of a patient, 8 clients", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), ds.budgets.timeline)
	rss := srv.sampleRSS()
	n, lat = srv.load("timeline-64", 64, "demo.nurse", func(cl *client, w *worker) error {
		return cl.get("/api/v1/patients/" + patients[w.n%len(patients)] + "/records?limit=100")
	})
	add("timeline, 64 clients: the server's RSS during the run", fmt.Sprintf("%.0f/s (p50 %.1f ms), RSS max %s", n, lat, rss()), "RSS < 300 MB")
	n, lat = srv.load("pull", 8, "demo.nurse", func(cl *client, w *worker) error { return cl.get("/api/v1/sync/pull?limit=500&cursor=" + first.Cursor) })
	add("pull page of 500 changes, 8 clients", fmt.Sprintf("%.0f/s (p50 %.1f ms)", n, lat), ds.budgets.pull)

	// C: record search over 100,000 records, beside the timeline (search.go).
	if err := srv.searchRuns(seed, patients, &dev, &seq, add); err != nil {
		return err
	}

	if *only != "" && *only != "rest" { // "rest": only what follows the throughput runs
		printTable(srv.eng+", set "+*set, rows)
		return nil
	}
	fresh := srv.signIn("demo.nurse")
	t0 := time.Now()
	changes := fresh.syncFromEmpty()
	add(fmt.Sprintf("caseload pull from empty (%d patients, %d of them × %d records)", ds.patients+20, ds.patients, ds.perPatient), fmt.Sprintf("%s for %d entities", time.Since(t0).Round(time.Millisecond), changes), "")

	small := srv.incremental(seed, patients[0], &dev, &seq)
	if err := srv.growLog(*bigLog); err != nil {
		return err
	}
	big := srv.incremental(seed, patients[0], &dev, &seq)
	add(fmt.Sprintf("incremental pull of 10 changes, log %s → %s rows", "~10k", humanInt(*bigLog)), fmt.Sprintf("%.2f ms → %.2f ms (ratio %.2f)", small, big, big/small), "ratio ≤ 1.3")

	p50, p99 := srv.pushLatency(rcv, patients[1])
	add("record written → notification decrypted at a local receiver", fmt.Sprintf("p50 %.0f ms, p99 %.0f ms", p50, p99), "p50 ≤ 200 ms, p99 ≤ 1 s")

	printTable(srv.eng+", set "+*set, rows)
	return nil
}

func printTable(eng string, rows [][]string) {
	fmt.Printf("\nTsunagu benchmark — %s, %d cores\n\n", eng, runtimeCPUs())
	fmt.Printf("| %-62s | %-34s | %-20s |\n|%s|%s|%s|\n", "what", "measured (median)", "budget", strings.Repeat("-", 64), strings.Repeat("-", 36), strings.Repeat("-", 22))
	for _, r := range rows {
		fmt.Printf("| %-62s | %-34s | %-20s |\n", r[0], r[1], r[2])
	}
	if len(cpuNotes) > 0 {
		fmt.Println("\nCPU an operation costs (independent of other work on the machine):")
		for _, n := range cpuNotes {
			fmt.Println("  " + n)
		}
	}
}

func recordMutation(seq int64, patientID string) map[string]any {
	return map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "seq": seq, "type": "record.create", "args": map[string]any{
		"patient_id": patientID, "id": uuid.Must(uuid.NewV7()).String(), "kind": "nursing_visit", "occurred_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"text": "バイタル安定。食事摂取良好。", "vitals": map[string]any{"temperature_c": 36.6, "bp_systolic": 128, "bp_diastolic": 76, "pulse": 72, "spo2": 97}}}
}

func start(bin, dir, receiverHost string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{base: "http://" + addr, eng: "SQLite (synchronous=FULL)"}
	env := append(os.Environ(), "TSUNAGU_ADDR="+addr, "TSUNAGU_DATA_DIR="+dir, "TSUNAGU_DEMO=1", "TSUNAGU_REQUIRE_TOTP=0",
		"TSUNAGU_PUSH_ALLOWED_HOSTS="+receiverHost, "TSUNAGU_SESSION_IDLE=1h", "TSUNAGU_LOG_FORMAT=json")
	if *profile != "" {
		dl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.debug = dl.Addr().String()
		dl.Close()
		env = append(env, "TSUNAGU_DEBUG_ADDR="+s.debug)
	}
	if *dbURL != "" {
		admin, err := sql.Open("pgx", *dbURL)
		if err != nil {
			return nil, err
		}
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(*dbURL, "?") {
			sep = "&"
		}
		url := *dbURL + sep + "search_path=" + schema
		env = append(env, "TSUNAGU_DATABASE_URL="+url)
		s.db, err = sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		s.eng = "PostgreSQL"
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = env
	s.cmd.Stdout = io.Discard
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	s.cmd.Stderr = logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 200; i++ {
		if res, err := http.Get(s.base + "/healthz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			if s.db == nil {
				s.db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "tsunagu.db")+"?_pragma=busy_timeout(30000)")
				if err != nil {
					return nil, err
				}
			}
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("server did not start; see %s", filepath.Join(dir, "server.log"))
}

type client struct {
	base string
	c    *http.Client
}

func (s *server) signIn(login string) *client {
	jar, _ := cookiejar.New(nil)
	base := s.base
	if b := nextBase(); b != "" { // -instances: each client on one of them, in turn
		base = b
	}
	c := &client{base: base, c: &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	c.mustJSON("POST", "/api/v1/session", map[string]any{"login_id": login, "password": "tsunagu-demo-2026"}, nil)
	return c
}

func (s *server) userID(login string) string {
	c := s.signIn("demo.admin")
	var us struct {
		Users []struct {
			ID      string `json:"id"`
			LoginID string `json:"login_id"`
		} `json:"users"`
	}
	c.mustJSON("GET", "/api/v1/users", nil, &us)
	for _, u := range us.Users {
		if u.LoginID == login {
			return u.ID
		}
	}
	panic("no user " + login)
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

func (c *client) mustJSON(method, path string, body, out any) {
	st, b, err := c.do(method, path, body)
	if err != nil || st >= 300 {
		panic(fmt.Sprintf("%s %s: %d %v %s", method, path, st, err, b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			panic(err)
		}
	}
}

// get reads path and only counts the answer's bytes (of a 500-record
// pull, 400 KB), so that the load generator, on the same two cores as the
// server, takes as little of them as it can.
func (c *client) get(path string) error {
	res, err := c.c.Get(c.base + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("GET %s: %d %s", path, res.StatusCode, b)
	}
	bp := discardBuffers.Get().(*[]byte)
	defer discardBuffers.Put(bp)
	for {
		if _, err := res.Body.Read(*bp); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

var discardBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func (c *client) pushOne(device string, m map[string]any) error {
	st, b, err := c.do("POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": []any{m}})
	if err == nil && (st != 200 || !bytes.Contains(b, []byte(`"applied"`))) {
		err = fmt.Errorf("push: %d %s", st, b)
	}
	return err
}

func (c *client) pullAll(cursor string) int {
	n := 0
	for {
		var a struct {
			Changes []json.RawMessage `json:"changes"`
			Cursor  string            `json:"cursor"`
			HasMore bool              `json:"has_more"`
		}
		c.mustJSON("GET", "/api/v1/sync/pull?limit=500&cursor="+cursor, nil, &a)
		n += len(a.Changes)
		cursor = a.Cursor
		if !a.HasMore {
			return n
		}
	}
}

// syncFromEmpty is a new device's first sync: snapshots of every patient,
// then the changes since.
func (c *client) syncFromEmpty() int {
	var first struct {
		Cursor string
		Resets []struct {
			PatientID string `json:"patient_id"`
		}
	}
	c.mustJSON("GET", "/api/v1/sync/pull", nil, &first)
	n := 0
	for _, r := range first.Resets {
		var snap struct{ Changes []json.RawMessage }
		c.mustJSON("GET", "/api/v1/sync/pull?patient_id="+r.PatientID+"&cursor="+first.Cursor, nil, &snap)
		n += len(snap.Changes)
	}
	return n + c.pullAll(first.Cursor)
}

func (c *client) cursor() string {
	cur := ""
	for {
		var a struct {
			Cursor  string `json:"cursor"`
			HasMore bool   `json:"has_more"`
		}
		c.mustJSON("GET", "/api/v1/sync/pull?limit=1000&cursor="+cur, nil, &a)
		cur = a.Cursor
		if !a.HasMore {
			return cur
		}
	}
}

type worker struct {
	n      int
	device string
	seq    int64
}

// load runs op from c clients for the configured duration and returns the
// rate per second and the median latency in milliseconds.
func (s *server) load(name string, c int, login string, op func(*client, *worker) error) (float64, float64) {
	if *only != "" && !slices.ContainsFunc(strings.Split(*only, ","), func(o string) bool { return strings.Contains(name, o) }) {
		return 0, 0
	}
	clients := make([]*client, c)
	for i := range clients {
		clients[i] = s.signIn(login)
	}
	if s.debug != "" {
		done := s.cpuProfile(name)
		defer done()
	}
	cpu0 := s.cpuNow()
	var done atomic.Int64
	var mu sync.Mutex
	var lats []float64
	var wg sync.WaitGroup
	deadline := time.Now().Add(*duration)
	start := time.Now()
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := &worker{n: i, device: uuid.NewString()}
			local := []float64{}
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := op(clients[i], w); err != nil {
					fmt.Fprintln(os.Stderr, "bench:", err)
					return
				}
				local = append(local, float64(time.Since(t).Microseconds())/1000)
				w.n += c
				done.Add(1)
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	el := time.Since(start)
	s.noteCPU(name, cpu0, done.Load())
	return float64(done.Load()) / el.Seconds(), percentile(lats, 0.5)
}

// sampleRSS samples the server's resident set every 50 ms until the
// returned function is called, which stops and reports the largest sample:
// in all, and the anonymous part (heap, stacks) and the file-backed part
// (mostly the memory-mapped database, which the kernel can drop).
func (s *server) sampleRSS() func() string {
	type sample struct{ rss, anon, file int }
	read := func() (sample, bool) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
		if err != nil {
			return sample{}, false
		}
		var x sample
		for _, line := range strings.Split(string(b), "\n") {
			for name, dst := range map[string]*int{"VmRSS:": &x.rss, "RssAnon:": &x.anon, "RssFile:": &x.file} {
				if rest, ok := strings.CutPrefix(line, name); ok {
					fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), dst)
				}
			}
		}
		return x, true
	}
	stop := make(chan struct{})
	done := make(chan sample)
	go func() {
		var top sample
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if x, ok := read(); ok && x.rss > top.rss {
				top = x
			}
			select {
			case <-stop:
				done <- top
				return
			case <-t.C:
			}
		}
	}()
	return func() string {
		close(stop)
		top := <-done
		return fmt.Sprintf("%d MB (anon %d, file %d)", top.rss/1024, top.anon/1024, top.file/1024)
	}
}

// cpuProfile starts the server's CPU profile for the length of one run and
// returns the function that waits for it and saves it.
func (s *server) cpuProfile(name string) func() {
	secs := int(duration.Seconds())
	if secs < 1 {
		secs = 1
	}
	ch := make(chan error, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.debug, secs))
		if err != nil {
			ch <- err
			return
		}
		defer res.Body.Close()
		f, err := os.Create(fmt.Sprintf("%s-%s.pprof", *profile, name))
		if err != nil {
			ch <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		f.Close()
		ch <- err
	}()
	return func() {
		if err := <-ch; err != nil {
			fmt.Fprintln(os.Stderr, "bench: profile:", err)
		}
	}
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[min(len(xs)-1, int(float64(len(xs))*p))]
}

func humanInt(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

func runtimeCPUs() int { return numCPU() }
