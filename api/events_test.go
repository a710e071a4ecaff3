package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEventStreamHintsTeam: an open app gets a "pull" event when a team
// member writes, and an outsider's stream stays silent.
func TestEventStreamHintsTeam(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.mustRegion()
	open := func(c *client) (*bufio.Reader, context.CancelFunc) {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/v1/events", nil)
		res, err := c.c.Do(req)
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("event stream: %v %v", err, res)
		}
		return bufio.NewReader(res.Body), cancel
	}
	if res := h.anon().do("GET", "/api/v1/events", nil); res.status != 401 {
		t.Fatalf("anonymous stream: %d", res.status)
	}
	doctor, stop := open(r.doctorC)
	defer stop()
	outsider, stopOut := open(h.signIn(r.outsider))
	defer stopOut()
	time.Sleep(50 * time.Millisecond) // let both streams subscribe
	r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": "2026-11-20T09:00:00Z", "text": "メモ"})
	got := make(chan string, 1)
	go func() {
		for {
			line, err := doctor.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "event: pull") {
				got <- line
				return
			}
		}
	}()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the team member's stream got no pull event")
	}
	quiet := make(chan string, 1)
	go func() {
		for {
			line, err := outsider.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "event:") {
				quiet <- line
				return
			}
		}
	}()
	select {
	case line := <-quiet:
		t.Fatalf("outsider's stream got %q", line)
	case <-time.After(300 * time.Millisecond):
	}
}
