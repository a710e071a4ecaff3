package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultPingInterval keeps idle event streams alive through proxies and
// load balancers that close silent connections (commonly after 30-60 s).
const DefaultPingInterval = 25 * time.Second

// SSE writes hints as a server-sent event stream.
type SSE struct {
	// PingInterval between ": ping" comments; 0 = DefaultPingInterval.
	PingInterval time.Duration
}

// ServeSSE is SSE{}.Serve: the GET /events handler body.
func ServeSSE(w http.ResponseWriter, r *http.Request, ch <-chan Hint) error {
	return SSE{}.Serve(w, r, ch)
}

// Serve streams each hint from ch as
//
//	event: pull
//	data: {"cursor":"…"}
//
// plus a ": ping" comment every PingInterval, flushing after each. It
// returns nil when the request's context ends or ch is closed, and the
// write error when the client has gone. The server's write timeout is
// lifted for this response.
func (s SSE) Serve(w http.ResponseWriter, r *http.Request, ch <-chan Hint) error {
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("sse: clear write deadline: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// An opening comment lets the client see the stream is open at once.
	if err := write(w, rc, ": open\n\n"); err != nil {
		return err
	}

	interval := s.PingInterval
	if interval <= 0 {
		interval = DefaultPingInterval
	}
	ping := time.NewTicker(interval)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case hint, ok := <-ch:
			if !ok {
				return nil
			}
			data, err := json.Marshal(struct {
				Cursor string `json:"cursor"`
			}{hint.Cursor})
			if err != nil {
				return fmt.Errorf("sse: %w", err)
			}
			if err := write(w, rc, "event: pull\ndata: "+string(data)+"\n\n"); err != nil {
				return err
			}
		case <-ping.C:
			if err := write(w, rc, ": ping\n\n"); err != nil {
				return err
			}
		}
	}
}

func write(w http.ResponseWriter, rc *http.ResponseController, s string) error {
	if _, err := w.Write([]byte(s)); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	if err := rc.Flush(); err != nil {
		return fmt.Errorf("sse: flush: %w", err)
	}
	return nil
}
