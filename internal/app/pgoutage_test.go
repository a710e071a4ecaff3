package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestPostgresConnectionsCutDuringWrites: while nurses write, every
// connection of the server to PostgreSQL is cut, again and again (what a
// restart or a failover does to it). Each write is answered 201, or 503
// with Retry-After to send again — never a bare 500 — and every write that
// was answered 201 is there afterwards.
func TestPostgresConnectionsCutDuringWrites(t *testing.T) {
	if !strings.Contains(strings.Join(storetest.Engines(t), ","), store.Postgres) {
		t.Skip("no PostgreSQL")
	}
	admin, name, url := pgDatabase(t, "tsunagu_outage")
	addr, logs := startLogged(t, map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": t.TempDir(), "TSUNAGU_DATABASE_URL": url,
		"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"})
	c := newAPIClient(func() string { return "http://" + addr })
	nurse := c.signIn(t, "demo.nurse")
	patientID, _ := sharedPatient(t, c, map[string]string{"nurse": nurse})

	stop := make(chan struct{})
	var mu sync.Mutex
	acked := map[string]bool{}
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := uuid.Must(uuid.NewV7()).String()
				status, body, err := c.do("POST", "/api/v1/patients/"+patientID+"/records", map[string]any{"id": id, "kind": "nursing_visit",
					"occurred_at": "2026-12-02T10:00:00+09:00", "text": fmt.Sprintf("記録 %d-%d", w, i)})
				mu.Lock()
				statuses[status]++
				if err == nil && status == 201 {
					acked[id] = true
				}
				mu.Unlock()
				if err == nil && status != 201 && status != 503 {
					t.Errorf("write during the outage: %d %s\n%s", status, body, errorLines(logs.String()))
					return
				}
			}
		}()
	}
	for range 6 {
		time.Sleep(300 * time.Millisecond)
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("answers: %v, %d acknowledged", statuses, len(acked))
	if len(acked) == 0 {
		t.Fatal("no write went through")
	}
	for id := range acked {
		if status, body, err := c.do("GET", "/api/v1/records/"+id, nil); err != nil || status != 200 {
			t.Fatalf("acknowledged record %s: %d %s %v", id, status, body, err)
		}
	}
}

// errorLines are the ERROR lines of a server log.
func errorLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
