package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tsunagu/internal/app"
)

// serveEnv makes the test binary run the server instead of the tests, so a
// test can start the real server in a process of its own and kill it.
const serveEnv = "TSUNAGU_TEST_SERVE_PROCESS"

// readyLine is what such a process prints, with its address, once it
// accepts connections.
const readyLine = "TSUNAGU_TEST_READY"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(serveProcess())
	}
	os.Exit(m.Run())
}

// serveProcess is main as the tsunagu binary has it, plus the ready line.
func serveProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := app.Run(ctx, app.Env{Args: []string{"tsunagu", "serve"}, Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Ready: func(addr string) { fmt.Fprintln(os.Stdout, readyLine, addr) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// serverProcess is a tsunagu server running in a child process.
type serverProcess struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServerProcess starts the server with vars (and no other TSUNAGU_
// variable of this process) and waits until it listens.
func startServerProcess(t testing.TB, vars map[string]string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TSUNAGU_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, serveEnv+"=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &serverProcess{t: t, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), readyLine+" "); ok {
				ready <- addr
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.addr = <-ready:
	case <-p.done:
		t.Fatalf("server process ended before listening:\n%s", p.logs.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("server process did not start:\n%s", p.logs.String())
	}
	return p
}

// kill ends the process with SIGKILL: no shutdown, no deferred work.
func (p *serverProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// stop asks the process to shut down gracefully and waits for it.
func (p *serverProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("server process did not shut down:\n%s", p.logs.String())
	}
}

// apiClient is a browser-like client of a server whose address may change
// (a restarted process); the session cookie outlives the process.
type apiClient struct {
	c    *http.Client
	base func() string
}

func newAPIClient(base func() string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{c: &http.Client{Jar: jar, Timeout: 60 * time.Second}, base: base}
}

// do sends a JSON request; err is a transport failure (the server is gone).
func (c *apiClient) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base()+path, rd)
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

// must sends a request and decodes the answer into out, failing the test
// unless the status is want.
func (c *apiClient) must(t testing.TB, want int, method, path string, body, out any) {
	t.Helper()
	status, b, err := c.do(method, path, body)
	if err != nil || status != want {
		t.Fatalf("%s %s: want %d, got %d %s %v", method, path, want, status, b, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// signIn signs a demo account in and returns its user id.
func (c *apiClient) signIn(t testing.TB, login string) string {
	t.Helper()
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Stage string `json:"stage"`
	}
	c.must(t, 200, "POST", "/api/v1/session", map[string]string{"login_id": login, "password": "tsunagu-demo-2026"}, &me)
	if me.Stage != "full" {
		t.Fatalf("%s signed in at stage %s", login, me.Stage)
	}
	return me.User.ID
}
