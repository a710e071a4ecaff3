package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/notify/pushtest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type syncMutation struct {
	ID   string         `json:"id"`
	Seq  int64          `json:"seq"`
	Type string         `json:"type"`
	Args map[string]any `json:"args"`
}

type pushResults struct {
	Results []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"results"`
}

// pair is one record's push to one subscription.
type pair struct{ record, endpoint string }

// TestKillDuringBurstLosesNothing runs the real server in a process of its
// own, has four staff write records through /sync/push at once, kills the
// process with SIGKILL in the middle, and starts it again on the same
// database. Then:
//   - every mutation answered "applied" is there exactly once: sending
//     everything again answers "duplicate" for each of them, and the rest
//     are applied (or found applied) now;
//   - every team member's subscription gets every record of the others,
//     decrypted at a local push service: the outbox rows claimed by the
//     dead process go out once their lease runs out, and nothing is sent
//     twice except a push that had reached the push service while its row
//     was still claimed at the kill (its completion died with the process).
func TestKillDuringBurstLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		rcv := pushtest.Start(t)
		// A push service a little far away, so that the kill finds pushes
		// in flight.
		rcv.SetDelay(10 * time.Millisecond)
		dbURL := storetest.URL(t, engine)
		vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": t.TempDir(), "TSUNAGU_DATABASE_URL": dbURL,
			"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0", "TSUNAGU_PUSH_ALLOWED_HOSTS": rcv.Host(),
			"TSUNAGU_PUSH_SUBJECT": "ops@tsunagu.example.jp", "TSUNAGU_PUSH_LEASE": "3s"}
		srv := startServerProcess(t, vars)
		var base atomic.Value
		base.Store("http://" + srv.addr)
		baseURL := func() string { return base.Load().(string) }

		// Five members of one patient's team, each with an iPad subscribed
		// to pushes; four of them write.
		logins := []string{"demo.doctor", "demo.nurse", "demo.caremanager", "demo.pharmacist", "demo.helper"}
		clients, userIDs, owner := map[string]*apiClient{}, map[string]string{}, map[string]string{}
		for _, l := range logins {
			c := newAPIClient(baseURL)
			userIDs[l] = c.signIn(t, l)
			s := rcv.NewSubscription()
			c.must(t, 204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": s.Endpoint, "keys": map[string]any{"p256dh": s.P256dh, "auth": s.Auth}}, nil)
			clients[l], owner[s.Endpoint] = c, l
		}
		patientID, patientName := sharedPatient(t, clients["demo.nurse"], userIDs)

		writers := logins[:4]
		const perWriter, batch = 40, 4
		muts := map[string][]syncMutation{}
		author := map[string]string{} // record id → login
		for _, w := range writers {
			for i := range perWriter {
				rec := uuid.Must(uuid.NewV7()).String()
				author[rec] = w
				muts[w] = append(muts[w], syncMutation{ID: uuid.Must(uuid.NewV7()).String(), Seq: int64(i + 1), Type: "record.create",
					Args: map[string]any{"patient_id": patientID, "id": rec, "kind": "note", "occurred_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
						"text": patientName + "さん、訪問時の様子 " + fmt.Sprint(i)}})
			}
		}
		devices := map[string]string{}
		for _, w := range writers {
			devices[w] = uuid.Must(uuid.NewV7()).String()
		}

		// The burst: each writer sends its mutations in batches, as the
		// app does, until the server is gone.
		var mu sync.Mutex
		acked := map[string]bool{} // mutation ids answered "applied"
		var nAcked atomic.Int64
		var wg sync.WaitGroup
		for _, w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := 0
				for next < perWriter {
					end := min(next+batch, perWriter)
					status, body, err := clients[w].do("POST", "/api/v1/sync/push", map[string]any{"device_id": devices[w], "mutations": muts[w][next:end]})
					if err != nil {
						return // killed
					}
					var res pushResults
					if status != 200 || json.Unmarshal(body, &res) != nil {
						t.Errorf("%s: push answered %d %s", w, status, body)
						return
					}
					for _, r := range res.Results {
						switch r.Status {
						case "applied":
							mu.Lock()
							acked[r.ID] = true
							mu.Unlock()
							nAcked.Add(1)
							next++
						case "retry":
							// Sent again with the next request.
						default:
							t.Errorf("%s: mutation %s answered %s", w, r.ID, r.Status)
							return
						}
						if r.Status != "applied" {
							break
						}
					}
				}
			}()
		}
		burst := make(chan struct{})
		go func() { wg.Wait(); close(burst) }()
		total := int64(len(writers) * perWriter)
	wait:
		for nAcked.Load() < total/3 {
			select {
			case <-burst:
				break wait
			case <-time.After(time.Millisecond):
			}
		}
		srv.kill()
		<-burst
		if t.Failed() {
			return
		}
		if nAcked.Load() == total {
			t.Fatal("the burst was over before the kill")
		}

		// What the push service had when the process died (a push it was
		// holding when the sender vanished still counts), and which outbox
		// rows the dead process held.
		for settle := time.Now().Add(10 * time.Second); rcv.Requests() != len(rcv.Deliveries())+len(rcv.Rejections()); {
			if time.Now().After(settle) {
				t.Fatal("the push service never finished the pushes it was sent")
			}
			time.Sleep(10 * time.Millisecond)
		}
		deliveredBefore := map[pair]bool{}
		for _, d := range rcv.Deliveries() {
			deliveredBefore[pair{recordOf(t, d), d.Endpoint}] = true
		}
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var held []struct {
			Payload  string `db:"payload"`
			Endpoint string `db:"endpoint"`
		}
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &held, `SELECT o.payload, s.endpoint FROM outbox o JOIN push_subscription s ON s.id = o.subscription_id
				WHERE o.claimed_until IS NOT NULL`)
		}); err != nil {
			t.Fatal(err)
		}
		inFlight := map[pair]bool{} // may arrive twice
		for _, h := range held {
			var p struct {
				RecordID string `json:"record_id"`
			}
			json.Unmarshal([]byte(h.Payload), &p)
			if k := (pair{p.RecordID, h.Endpoint}); deliveredBefore[k] {
				inFlight[k] = true
			}
		}

		// The same server, started again on the same database; every app
		// sends everything again.
		srv = startServerProcess(t, vars)
		base.Store("http://" + srv.addr)
		for _, w := range writers {
			for i := 0; i < perWriter; i += batch {
				var res pushResults
				clients[w].must(t, 200, "POST", "/api/v1/sync/push", map[string]any{"device_id": devices[w], "mutations": muts[w][i:min(i+batch, perWriter)]}, &res)
				for _, r := range res.Results {
					switch {
					case acked[r.ID] && r.Status != "duplicate":
						t.Fatalf("mutation %s was answered applied before the kill, and %s now", r.ID, r.Status)
					case r.Status != "duplicate" && r.Status != "applied":
						t.Fatalf("mutation %s answered %s after the restart", r.ID, r.Status)
					}
				}
			}
		}
		var records, versions, ledger int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.Get(ctx, &records, `SELECT COUNT(*) FROM record WHERE patient_id = ?`, patientID); err != nil {
				return err
			}
			if err := tx.Get(ctx, &versions, `SELECT COUNT(*) FROM record_version v JOIN record r ON r.id = v.record_id WHERE r.patient_id = ?`, patientID); err != nil {
				return err
			}
			return tx.Get(ctx, &ledger, `SELECT COUNT(*) FROM mutation_ledger`)
		}); err != nil {
			t.Fatal(err)
		}
		if records != int(total) || versions != int(total) || ledger != int(total) {
			t.Fatalf("%d records, %d versions, %d ledger rows; want %d of each", records, versions, ledger, total)
		}

		// Every record reaches every other member's iPad.
		want := map[pair]bool{}
		for rec, a := range author {
			for ep, who := range owner {
				if who != a {
					want[pair{rec, ep}] = true
				}
			}
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			var pending int
			if err := db.Read(ctx, func(tx *store.Tx) (err error) { pending, err = tx.PendingPushes(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			got := map[pair]int{}
			for _, d := range rcv.Deliveries() {
				got[pair{recordOf(t, d), d.Endpoint}]++
			}
			missing := 0
			for k := range want {
				if got[k] == 0 {
					missing++
				}
			}
			if pending == 0 && missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d pushes never arrived, %d outbox rows left", missing, pending)
			}
			time.Sleep(100 * time.Millisecond)
		}
		srv.stop()
		got := map[pair]int{}
		for _, d := range rcv.Deliveries() {
			if text := string(d.Plaintext); strings.Contains(text, patientName) || strings.Contains(text, "様子") {
				t.Fatalf("a push carries patient details: %s", text)
			}
			got[pair{recordOf(t, d), d.Endpoint}]++
		}
		twice := 0
		for k, n := range got {
			switch {
			case !want[k]:
				t.Errorf("record %s pushed to %s, its author or a stranger", k.record, owner[k.endpoint])
			case n == 2 && inFlight[k]:
				twice++ // sent before the kill, its row still claimed: allowed
			case n != 1:
				t.Errorf("record %s reached %s %d times (in flight at the kill: %v)", k.record, owner[k.endpoint], n, inFlight[k])
			}
		}
		// A push the process was sending when it was killed reaches the
		// receiver cut short ("read body: unexpected EOF"); its row is sent
		// again once the lease runs out. Any other refusal is a bad push.
		var rej []pushtest.Rejection
		for _, r := range rcv.Rejections() {
			if !strings.HasPrefix(r.Reason, "read body:") {
				rej = append(rej, r)
			}
		}
		if len(rej) > 0 {
			t.Errorf("the push service refused %d pushes, first: %+v", len(rej), rej[0])
		}
		t.Logf("%d of %d mutations acknowledged before the kill; %d outbox rows held by the dead process, %d of them already delivered; %d pushes arrived twice; %d in all",
			len(acked), total, len(held), len(inFlight), twice, len(rcv.Deliveries()))
	})
}

// sharedPatient finds a patient, with an active full consent, whose team
// holds all the given users, and returns its id and name.
func sharedPatient(t *testing.T, c *apiClient, userIDs map[string]string) (string, string) {
	t.Helper()
	var list struct {
		Patients []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"patients"`
	}
	c.must(t, 200, "GET", "/api/v1/patients", nil, &list)
	for _, p := range list.Patients {
		var team struct {
			Members []struct {
				UserID string `json:"user_id"`
			} `json:"members"`
		}
		c.must(t, 200, "GET", "/api/v1/patients/"+p.ID+"/team", nil, &team)
		var members []string
		for _, m := range team.Members {
			members = append(members, m.UserID)
		}
		all := true
		for _, id := range userIDs {
			all = all && slices.Contains(members, id)
		}
		if all && p.Name != "" {
			return p.ID, p.Name
		}
	}
	t.Fatal("no demo patient has the whole team")
	return "", ""
}

// recordOf reads the record id of a decrypted push.
func recordOf(t *testing.T, d pushtest.Delivery) string {
	t.Helper()
	var p struct {
		Type     string `json:"type"`
		RecordID string `json:"record_id"`
	}
	if err := json.Unmarshal(d.Plaintext, &p); err != nil || p.Type != "record" || p.RecordID == "" {
		t.Fatalf("push %s: %v", d.Plaintext, err)
	}
	return p.RecordID
}
