package notify_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/notify"
)

func TestServeSSE(t *testing.T) {
	hub := notify.NewHub()
	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- notify.SSE{PingInterval: 20 * time.Millisecond}.Serve(w, r, hub.Subscribe(r.Context(), "u1"))
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
	ch := make(chan notify.Hint)
	close(ch)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/events", nil)
	if err := notify.ServeSSE(rec, req, ch); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed || rec.Body.String() != ": open\n\n" {
		t.Errorf("flushed %v, body %q", rec.Flushed, rec.Body.String())
	}
}
