// Command bench is Tsunagu's load generator: it builds and starts a real
// server (SQLite by default, or PostgreSQL with -db), fills it through the
// API, and measures the figures of docs/BUDGETS.md from a
// client on the same machine. Run it with `make bench`.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"tsunagu/internal/notify/pushtest"
	"tsunagu/scripts/internal/loadclient"
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
	bin, err := loadclient.Build(tmp)
	if err != nil {
		return err
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
			return cl.PushOne(w.device, ds.mutation(w.seq, patients[w.n%len(patients)]))
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
	changes := loadclient.Must(fresh.SyncFromEmpty(nil))
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

var recordMutation = loadclient.RecordMutation

func start(bin, dir, receiverHost string) (*server, error) {
	addr, err := loadclient.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{eng: "SQLite (synchronous=FULL)"}
	env := append(os.Environ(), "TSUNAGU_DATA_DIR="+dir, "TSUNAGU_DEMO=1", "TSUNAGU_REQUIRE_TOTP=0",
		"TSUNAGU_PUSH_ALLOWED_HOSTS="+receiverHost, "TSUNAGU_SESSION_IDLE=1h", "TSUNAGU_LOG_FORMAT=json")
	if *profile != "" {
		if s.debug, err = loadclient.FreeAddr(); err != nil {
			return nil, err
		}
		env = append(env, "TSUNAGU_DEBUG_ADDR="+s.debug)
	}
	if *dbURL != "" {
		url, _, err := loadclient.FreshSchema(*dbURL, "bench")
		if err != nil {
			return nil, err
		}
		env = append(env, "TSUNAGU_DATABASE_URL="+url)
		if s.db, err = sql.Open("pgx", url); err != nil {
			return nil, err
		}
		s.eng = "PostgreSQL"
	}
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	ls, err := loadclient.Start(bin, env, addr, logf, 20*time.Second)
	if err != nil {
		return nil, fmt.Errorf("server did not start; see %s", filepath.Join(dir, "server.log"))
	}
	s.base, s.cmd = ls.Base, ls.Cmd
	if s.db == nil {
		s.db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "tsunagu.db")+"?_pragma=busy_timeout(30000)")
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// client is a bench user's session; search.go calls it by the short
// names below.
type client struct{ *loadclient.Client }

func (c *client) get(path string) error { return c.Get(path) }

func (c *client) mustJSON(method, path string, body, out any) { c.MustJSON(method, path, body, out) }

func (s *server) signIn(login string) *client {
	base := s.base
	if b := nextBase(); b != "" { // -instances: each client on one of them, in turn
		base = b
	}
	return &client{loadclient.MustSignIn(base, login, loadclient.DemoPassword)}
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
	return float64(done.Load()) / el.Seconds(), loadclient.Percentile(lats, 0.5)
}

// sampleRSS samples the server's resident set every 50 ms until the
// returned function is called, which stops and reports the largest sample:
// in all, and the anonymous part (heap, stacks) and the file-backed part
// (mostly the memory-mapped database, which the kernel can drop).
func (s *server) sampleRSS() func() string {
	peak := loadclient.PeakMemory(s.cmd.Process.Pid)
	return func() string {
		top := peak()
		return fmt.Sprintf("%d MB (anon %d, file %d)", top.RSS/1024, top.Anon/1024, top.File/1024)
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

func humanInt(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

func runtimeCPUs() int { return numCPU() }
