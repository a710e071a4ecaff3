// Package mailpittest starts a real SMTP server for tests: mailpit
// (go install github.com/axllent/mailpit@v1.33.1; scripts/ci-setup.sh
// installs it) on free ports, read back through its HTTP API. Without
// mailpit the test skips, or fails under CI=true.
package mailpittest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is one running mailpit.
type Server struct {
	SMTPAddr string // host:port of its SMTP listener
	api      string // http://host:port of its HTTP API
}

// Binary finds mailpit on PATH or in $(go env GOPATH)/bin.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gp)), "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("mailpit (the SMTP test server) is not installed; scripts/ci-setup.sh installs it")
	}
	t.Skip("mailpit not installed: go install github.com/axllent/mailpit@v1.33.1")
	return ""
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start runs mailpit for the test's lifetime. It keeps one copy of
// messages that share a Message-ID (--ignore-duplicate-ids), as a mail
// client does.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	smtpAddr, httpAddr := freePort(t), freePort(t)
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check", "--ignore-duplicate-ids", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--max", "5000")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	s := &Server{SMTPAddr: smtpAddr, api: "http://" + httpAddr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.api + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if c, err := net.Dial("tcp", smtpAddr); err == nil {
					c.Close()
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Host and Port of the SMTP listener.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.SMTPAddr); return h }
func (s *Server) Port() string { _, p, _ := net.SplitHostPort(s.SMTPAddr); return p }

// Message is what mailpit holds of one message.
type Message struct {
	ID        string
	MessageID string
	To        []string // envelope and header recipients
	Subject   string
	Text      string
	Raw       string
}

type address struct{ Address string }

// Messages returns every held message, oldest first, with its text and raw
// source.
func (s *Server) Messages(t testing.TB) []Message {
	t.Helper()
	var list struct {
		Messages []struct {
			ID, MessageID, Subject string
			To, Bcc                []address
		} `json:"messages"`
	}
	s.get(t, "/api/v1/messages?limit=5000", &list)
	out := make([]Message, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- {
		m := list.Messages[i]
		msg := Message{ID: m.ID, MessageID: m.MessageID, Subject: m.Subject}
		for _, a := range append(m.To, m.Bcc...) {
			msg.To = append(msg.To, a.Address)
		}
		var full struct{ Text string }
		s.get(t, "/api/v1/message/"+m.ID, &full)
		msg.Text = full.Text
		msg.Raw = s.raw(t, "/api/v1/message/"+m.ID+"/raw")
		out = append(out, msg)
	}
	return out
}

// Wait returns the held messages once there are at least n (or fails
// after a while).
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var c struct {
			Total int `json:"messages_count"`
		}
		s.get(t, "/api/v1/messages?limit=1", &c)
		if c.Total >= n {
			return s.Messages(t)
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit holds %d messages, want %d", c.Total, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Count is how many messages mailpit holds.
func (s *Server) Count(t testing.TB) int {
	t.Helper()
	var c struct {
		Total int `json:"messages_count"`
	}
	s.get(t, "/api/v1/messages?limit=1", &c)
	return c.Total
}

// Clear deletes every held message.
func (s *Server) Clear(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, s.api+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mailpit delete: %d", resp.StatusCode)
	}
}

func (s *Server) get(t testing.TB, path string, dst any) {
	t.Helper()
	b := s.raw(t, path)
	if err := json.Unmarshal([]byte(b), dst); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

func (s *Server) raw(t testing.TB, path string) string {
	t.Helper()
	resp, err := http.Get(s.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("mailpit %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// String names the server in failures.
func (s *Server) String() string { return fmt.Sprintf("mailpit smtp=%s api=%s", s.SMTPAddr, s.api) }
