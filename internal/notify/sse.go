package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultPingInterval keeps idle event streams alive through proxies and
// load balancers that close silent connections (commonly after 30-60 s).
const DefaultPingInterval = 25 * time.Second

// DefaultCheckInterval is how often an open stream checks its session when
// nothing asks it to: an expired session's stream ends within it.
const DefaultCheckInterval = time.Minute

// SSE writes hints as a server-sent event stream.
type SSE struct {
	// PingInterval between ": ping" comments; 0 = DefaultPingInterval.
	PingInterval time.Duration
	// Check tells whether the stream's session still stands; a non-nil
	// answer ends the stream. It runs every CheckInterval and whenever the
	// stream's Recheck signals. nil = never checked (tests of the writer).
	Check func(context.Context) error
	// CheckInterval between checks; 0 = DefaultCheckInterval.
	CheckInterval time.Duration
}

// Serve streams each hint of st as
//
//	event: pull
//	data: {"cursor":"…"}
//
// plus a ": ping" comment every PingInterval, flushing after each. It
// returns nil when the request's context ends or st's hints are closed,
// the write error when the client has gone, and the Check's error (wrapped)
// when the session no longer stands. The server's write timeout is lifted
// for this response.
func (s SSE) Serve(w http.ResponseWriter, r *http.Request, st *Stream) error {
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

	ping := time.NewTicker(cmp.Or(max(s.PingInterval, 0), DefaultPingInterval))
	defer ping.Stop()
	check := time.NewTicker(cmp.Or(max(s.CheckInterval, 0), DefaultCheckInterval))
	defer check.Stop()
	ctx := r.Context()
	stands := func() error {
		if s.Check == nil {
			return nil
		}
		if err := s.Check(ctx); err != nil {
			return fmt.Errorf("sse: session ended: %w", err)
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.Recheck():
			if err := stands(); err != nil {
				return err
			}
		case <-check.C:
			if err := stands(); err != nil {
				return err
			}
		case hint, ok := <-st.Hints():
			if !ok {
				return nil
			}
			// A recheck asked for before this hint goes first, so a
			// session that ended hears nothing more.
			select {
			case <-st.Recheck():
				if err := stands(); err != nil {
					return err
				}
			default:
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
