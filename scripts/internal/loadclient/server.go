package loadclient

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is a server process the generator started (`tsunagu serve`).
type Server struct {
	Base string // http://127.0.0.1:port
	Cmd  *exec.Cmd
	once sync.Once
}

// FreeAddr is a loopback address with a port nobody listens on.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Start runs `bin serve` with the environment env (complete: the caller
// adds os.Environ() when it wants it) on addr, its log on logTo, and waits
// until it answers /healthz (at most wait).
func Start(bin string, env []string, addr string, logTo io.Writer, wait time.Duration) (*Server, error) {
	s := &Server{Base: "http://" + addr}
	s.Cmd = exec.Command(bin, "serve")
	s.Cmd.Env = append(slices.Clip(env), "TSUNAGU_ADDR="+addr)
	s.Cmd.Stdout, s.Cmd.Stderr = io.Discard, logTo
	if err := s.Cmd.Start(); err != nil {
		return nil, err
	}
	if err := WaitHealthy(s.Base, wait); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// WaitHealthy waits until base answers /healthz with 200.
func WaitHealthy(base string, wait time.Duration) error {
	for t := time.Now(); time.Since(t) < wait; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s did not start in %s", base, wait)
}

// Stop ends the server (SIGTERM, then after 30 s SIGKILL) and waits for it.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.Cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.Cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.Cmd.Process.Kill()
			<-done
		}
	})
}

// Memory is a process's resident set in kB (/proc/PID/status): in all,
// the anonymous part (heap, stacks) and the file-backed part.
type Memory struct{ RSS, Anon, File int }

// ReadMemory reads pid's resident set.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, line := range strings.Split(string(b), "\n") {
		for name, dst := range map[string]*int{"VmRSS:": &m.RSS, "RssAnon:": &m.Anon, "RssFile:": &m.File} {
			if rest, ok := strings.CutPrefix(line, name); ok {
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), dst)
			}
		}
	}
	return m, nil
}

// OpenFDs counts pid's open file descriptors (/proc/PID/fd).
func OpenFDs(pid int) (int, error) {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(es), err
}

// PeakMemory samples pid's resident set every 50 ms until the returned
// function is called, which stops and returns the largest sample.
func PeakMemory(pid int) func() Memory {
	stop := make(chan struct{})
	done := make(chan Memory)
	go func() {
		var top Memory
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := ReadMemory(pid); err == nil && m.RSS > top.RSS {
				top = m
			}
			select {
			case <-stop:
				done <- top
				return
			case <-t.C:
			}
		}
	}()
	return func() Memory {
		close(stop)
		return <-done
	}
}

// Build builds the server (the module in the working directory: run the
// generators from the repository's root) into dir and returns its path;
// the compiler's output goes to stderr.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "tsunagu")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	return bin, nil
}
