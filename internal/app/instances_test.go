package app_test

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// eventStream is an open GET /api/v1/events; its "pull" events arrive on
// pulls.
type eventStream struct {
	pulls chan string
}

// openEvents opens c's event stream and returns once the server has
// subscribed it (the stream's opening comment has arrived).
func openEvents(t *testing.T, c *apiClient) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base()+"/api/v1/events", nil)
	res, err := (&http.Client{Jar: c.c.Jar}).Do(req)
	if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("event stream: %v %v", err, res)
	}
	rd := bufio.NewReader(res.Body)
	if line, err := rd.ReadString('\n'); err != nil || line != ": open\n" {
		t.Fatalf("event stream opened with %q: %v", line, err)
	}
	s := &eventStream{pulls: make(chan string, 64)}
	go func() {
		defer res.Body.Close()
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "event: pull") {
				s.pulls <- line
			}
		}
	}()
	return s
}

// TestHintsCrossInstancesOnPostgres runs two server processes on one
// PostgreSQL database, as behind a load balancer: an app whose event
// stream is open on instance B is told to pull when a colleague writes a
// record through instance A (the hint travels by LISTEN/NOTIFY, wired by
// app.Run for postgres URLs), and a stream of someone off that patient's
// team stays silent.
func TestHintsCrossInstancesOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skip("needs PostgreSQL")
	}
	dbURL := storetest.URL(t, store.Postgres)
	vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": t.TempDir(), "TSUNAGU_DATABASE_URL": dbURL,
		"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"}
	a := startServerProcess(t, vars)
	vars["TSUNAGU_DATA_DIR"] = t.TempDir()
	b := startServerProcess(t, vars)
	onA := func() string { return "http://" + a.addr }
	onB := func() string { return "http://" + b.addr }

	nurse := newAPIClient(onA)
	nurse.signIn(t, "demo.nurse")
	doctor := newAPIClient(onB)
	doctor.signIn(t, "demo.doctor")
	pharmacist := newAPIClient(onB)
	pharmacistID := pharmacist.signIn(t, "demo.pharmacist")

	// The nurse's patients, with and without the pharmacist on the team
	// (the doctor is on every demo team).
	var list struct {
		Patients []struct {
			ID string `json:"id"`
		} `json:"patients"`
	}
	nurse.must(t, 200, "GET", "/api/v1/patients", nil, &list)
	var withPharmacist, without string
	for _, p := range list.Patients {
		var team struct {
			Members []struct {
				UserID string `json:"user_id"`
			} `json:"members"`
		}
		nurse.must(t, 200, "GET", "/api/v1/patients/"+p.ID+"/team", nil, &team)
		on := false
		for _, m := range team.Members {
			on = on || m.UserID == pharmacistID
		}
		if on && withPharmacist == "" {
			withPharmacist = p.ID
		} else if !on && without == "" {
			without = p.ID
		}
	}
	write := func(patientID string) {
		t.Helper()
		nurse.must(t, 201, "POST", "/api/v1/patients/"+patientID+"/records", map[string]any{"id": uuid.Must(uuid.NewV7()).String(),
			"kind": "note", "occurred_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "text": "訪問メモ"}, nil)
	}

	doctorEvents := openEvents(t, doctor)
	pharmacistEvents := openEvents(t, pharmacist)
	// B listens from a moment after it starts; a hint sent before that is
	// lost (apps pull on launch anyway), so write until one arrives.
	deadline := time.After(15 * time.Second)
	for heard := false; !heard; {
		write(without)
		select {
		case <-doctorEvents.pulls:
			heard = true
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no pull hint reached instance B\nA:\n%s\nB:\n%s", a.logs.String(), b.logs.String())
		}
	}
	select {
	case line := <-pharmacistEvents.pulls:
		t.Fatalf("a member off the patient's team was hinted: %q", line)
	default:
	}

	// Now that B listens, each write is heard once, and only by the team.
	drain(doctorEvents.pulls, 300*time.Millisecond)
	write(withPharmacist)
	for name, s := range map[string]*eventStream{"doctor": doctorEvents, "pharmacist": pharmacistEvents} {
		select {
		case <-s.pulls:
		case <-time.After(5 * time.Second):
			t.Fatalf("the %s's stream on B missed the hint of a write on A", name)
		}
	}
	write(without)
	select {
	case <-doctorEvents.pulls:
	case <-time.After(5 * time.Second):
		t.Fatal("the doctor's stream on B missed the hint of a write on A")
	}
	select {
	case line := <-pharmacistEvents.pulls:
		t.Fatalf("a member off the patient's team was hinted: %q", line)
	case <-time.After(500 * time.Millisecond):
	}
}

// drain empties ch of what arrives within d.
func drain(ch chan string, d time.Duration) {
	for {
		select {
		case <-ch:
		case <-time.After(d):
			return
		}
	}
}
