package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestChannelHintsTeam: a new message and its retraction each send a
// "pull" event to the open apps of the team, the care worker's included.
func TestChannelHintsTeam(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.mustRegion()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/v1/events", nil)
	res, err := r.helperC.c.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", err, res)
	}
	pulls := make(chan struct{}, 8)
	go func() {
		rd := bufio.NewReader(res.Body)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "event: pull") {
				pulls <- struct{}{}
			}
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the stream subscribe
	wait := func(what string) {
		t.Helper()
		select {
		case <-pulls:
		case <-time.After(5 * time.Second):
			t.Fatalf("the care worker's stream got no pull event after %s", what)
		}
	}
	m := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "連絡です"})
	wait("a message")
	r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
	wait("a retraction")
}
