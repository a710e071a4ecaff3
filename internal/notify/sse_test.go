package notify_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tsunagu/internal/notify"
)

func TestServeSSE(t *testing.T) {
	hub := notify.NewHub()
	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- notify.SSE{PingInterval: 20 * time.Millisecond}.Serve(w, r, mustStream(t, hub, r.Context(), "u1", "s1"))
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("cache control %q", cc)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		return lines.Text()
	}
	if l := next(); l != ": open" {
		t.Fatalf("first line %q", l)
	}
	next()

	// The subscription exists once the stream is open; a hint is flushed
	// at once, not when a buffer fills.
	hub.Publish([]string{"u1"}, `c"1`)
	var event []string
	for {
		l := next()
		if l == ": ping" || (l == "" && len(event) == 0) {
			continue
		}
		if l == "" {
			break
		}
		event = append(event, l)
	}
	if got := strings.Join(event, "\n"); got != "event: pull\ndata: {\"cursor\":\"c\\\"1\"}" {
		t.Errorf("event %q", got)
	}
	for next() != ": ping" {
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after the client left", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the client left")
	}
	// The hub forgets the connection when the request context ends.
	for deadline := time.Now().Add(5 * time.Second); hub.Connections() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left in the hub", hub.Connections())
		}
	}
}

func TestServeSSEEndsWhenChannelCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := mustStream(t, notify.NewHub(), ctx, "u1", "s1")
	cancel()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/events", nil)
	if err := (notify.SSE{}).Serve(rec, req, st); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed || rec.Body.String() != ": open\n\n" {
		t.Errorf("flushed %v, body %q", rec.Flushed, rec.Body.String())
	}
}

// TestServeSSEEndsWhenSessionEnds: a recheck whose Check fails ends the
// stream, and a hint that follows a recheck is written only if the session
// still stands.
func TestServeSSEEndsWhenSessionEnds(t *testing.T) {
	hub := notify.NewHub()
	var ended atomic.Bool
	gone := errors.New("signed out")
	check := func(context.Context) error {
		if ended.Load() {
			return gone
		}
		return nil
	}
	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- notify.SSE{Check: check, CheckInterval: time.Hour}.Serve(w, r, mustStream(t, hub, r.Context(), "u1", "s1"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ": open"
	for hub.Connections() == 0 {
		time.Sleep(time.Millisecond)
	}
	// A recheck that passes leaves the stream open: the hint after it comes.
	hub.Deliver(notify.Hint{UserIDs: []string{"u1"}, Recheck: true})
	hub.Publish([]string{"u1"}, "c1")
	for lines.Scan() && lines.Text() != "event: pull" {
	}
	// The session ends: the recheck ends the stream before the next hint.
	ended.Store(true)
	hub.Deliver(notify.Hint{UserIDs: []string{"u1"}, Recheck: true})
	hub.Publish([]string{"u1"}, "c2")
	if err := <-served; !errors.Is(err, gone) {
		t.Errorf("Serve returned %v, want the check's error", err)
	}
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "event:") || strings.Contains(lines.Text(), "c2") {
			t.Errorf("an ended session's stream got %q", lines.Text())
		}
	}
}
