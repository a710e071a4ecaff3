package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/internal/blob"
)

// InstallCommand installs the S3 server the tests run against.
const InstallCommand = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

const testRegion = "us-east-1"

// server is the one versitygw process of this test binary.
type server struct {
	endpoint  string
	accessKey string
	secretKey string
	dir       string
	cmd       *exec.Cmd
	exited    chan struct{}
	output    *lockedBuffer
}

var (
	startOnce sync.Once
	srv       *server
	errStart  error
	errAbsent error // the binary is not installed
)

// S3Config returns the configuration of a new, empty bucket on a versitygw
// server private to this test binary, starting the server on first use
// (posix backend in a temporary directory, a free 127.0.0.1 port, random
// credentials). Each call names a new bucket, so tests do not see each
// other's blobs; blob.OpenS3 creates it.
//
// When versitygw is not installed (neither on PATH nor in $GOPATH/bin) the
// test is skipped, or fails when the environment has CI=true, so that CI
// never passes without having run the S3 code path.
//
// The server stops when the test binary exits: call Main from TestMain to
// stop it and remove its directory cleanly; without that the kernel kills it
// when the test process ends (Linux), leaving its temporary directory.
func S3Config(tb testing.TB) blob.S3Config {
	tb.Helper()
	startOnce.Do(func() { srv, errStart = startVersitygw() })
	if errAbsent != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("versitygw is required in CI: %v; install it with: %s", errAbsent, InstallCommand)
		}
		tb.Skipf("versitygw not installed (%v); install it with: %s", errAbsent, InstallCommand)
	}
	if errStart != nil {
		tb.Fatalf("start versitygw: %v", errStart)
	}
	return blob.S3Config{
		Endpoint:  srv.endpoint,
		Bucket:    "tsunagu-test-" + randomHex(6),
		Region:    testRegion,
		AccessKey: srv.accessKey,
		SecretKey: srv.secretKey,
		UseTLS:    false,
	}
}

// MustS3 opens an S3 store on a new bucket of the test versitygw server
// (see S3Config for skipping and lifetime).
func MustS3(tb testing.TB) *blob.S3 {
	tb.Helper()
	cfg := S3Config(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blob.OpenS3(ctx, cfg)
	if err != nil {
		tb.Fatalf("open S3 store: %v\nversitygw output:\n%s", err, srv.output)
	}
	return s
}

// Main runs the tests and then stops the versitygw server if one was
// started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(blobtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop ends the versitygw server of this test binary, if any, and removes
// its data. Later calls of S3Config fail.
func Stop() {
	startOnce.Do(func() { errStart = errors.New("versitygw stopped") })
	if srv == nil {
		return
	}
	_ = srv.cmd.Process.Kill()
	<-srv.exited
	_ = os.RemoveAll(srv.dir)
	srv = nil
	errStart = errors.New("versitygw stopped")
}

// versitygwPath finds the binary on PATH or in $(go env GOPATH)/bin.
func versitygwPath() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	var tried []string
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("not on PATH, not at %s", strings.Join(tried, ", "))
}

func startVersitygw() (*server, error) {
	bin, err := versitygwPath()
	if err != nil {
		errAbsent = err
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "tsunagu-versitygw-")
	if err != nil {
		return nil, err
	}
	s, err := launch(bin, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func launch(bin, dir string) (*server, error) {
	data, meta := filepath.Join(dir, "data"), filepath.Join(dir, "meta")
	for _, d := range []string{data, meta} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{
		endpoint:  addr,
		accessKey: "test" + randomHex(8),
		secretKey: randomHex(20),
		dir:       dir,
		exited:    make(chan struct{}),
		output:    &lockedBuffer{},
	}
	// --sidecar keeps object metadata in files, so the server works on
	// file systems without user extended attributes (tmpfs, some overlays).
	s.cmd = exec.Command(bin,
		"--access", s.accessKey, "--secret", s.secretKey,
		"--region", testRegion, "--port", addr, "--quiet",
		"posix", "--sidecar", meta, data)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	setParentDeathSignal(s.cmd)

	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the
		// child exits. Lock this goroutine to its thread and keep it in Wait
		// for the child's whole life, so that thread lives until the child
		// is stopped or the process ends.
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}

	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("versitygw exited at start:\n%s", s.output)
		default:
		}
		// Any HTTP answer (403 for an anonymous request) means it serves.
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			_ = s.cmd.Process.Kill()
			<-s.exited
			return nil, fmt.Errorf("versitygw did not answer on %s within 30s: %v\n%s", addr, err, s.output)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr picks a free loopback port. Another process could take it before
// versitygw binds it; the start then fails loudly rather than flakily pass.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lockedBuffer collects the server's output for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 { // keep the start, where the reasons are
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
