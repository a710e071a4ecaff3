package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// harnessOn starts a server on an open database: a second API instance on
// the database of another, as behind a load balancer. Both sign pull
// cursors with the same key, as app.Run's instances do.
func harnessOn(t *testing.T, db *store.DB, cursorKey []byte) *harness {
	t.Helper()
	opt := defaultOptions()
	c := &clock{t: time.Date(2026, 11, 21, 0, 30, 0, 0, time.UTC)}
	h := auth.NewHasher(4)
	blobs := mustDisk(t)
	handler, hapi := api.New(api.Deps{DB: db, Hasher: h, Now: c.Now, Options: opt, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Blobs: blobs, CursorKey: cursorKey})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &harness{t: t, db: db, clock: c, srv: srv, hapi: hapi, opt: opt, h: h, blobs: blobs}
}

// TestTwoInstancesWriteOnceAndPullEverything runs two API instances, each
// with its own store (its own sequencer), on one PostgreSQL database.
// Writers on both push records at once, each mutation sent first to one
// instance and then again to the other, while a reader pulls in small
// pages, from one instance and then the other. Then:
//   - every mutation was applied once: the resend is answered duplicate,
//     and the patient holds one record per mutation;
//   - the reader pulled every record: no cursor passed a change that
//     became visible after it;
//   - the change log is numbered without a gap or a repeat, and nothing
//     is left pending;
//   - the audit chain verifies from either instance.
func TestTwoInstancesWriteOnceAndPullEverything(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	url := storetest.URL(t, store.Postgres)
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	key := []byte("two instances share one cursor key")
	a, b := harnessOn(t, open(), key), harnessOn(t, open(), key)
	instances := []*harness{a, b}
	r := a.mustRegion()

	readers := []*client{a.signIn(r.doctor), b.signIn(r.doctor)}
	_, cursor := readers[0].syncFromEmpty()

	type writer struct{ on, other *client }
	var writers []writer
	for i, u := range []store.User{r.doctor, r.nurse, r.doctor, r.nurse, r.doctor, r.nurse} {
		on, other := instances[i%2], instances[(i+1)%2]
		writers = append(writers, writer{on.signIn(u), other.signIn(u)})
	}
	const perWriter = 40
	created := make(chan string, len(writers)*perWriter)
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			device := newID()
			for i := range perWriter {
				m := recordMutation(int64(i+1), r.patientID)
				body := map[string]any{"device_id": device, "mutations": []mutation{m}}
				res := w.on.do("POST", "/api/v1/sync/push", body)
				if res.status != 200 || !strings.Contains(res.body, `"applied"`) {
					t.Errorf("push answered %d %s", res.status, res.body)
					return
				}
				created <- m.Args["id"].(string)
				again := w.other.do("POST", "/api/v1/sync/push", body)
				if again.status != 200 || !strings.Contains(again.body, `"duplicate"`) {
					t.Errorf("the other instance answered a resend %d %s", again.status, again.body)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]bool{}
	pulls := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more pass reads what the last writes left
		default:
		}
		for {
			p := readers[pulls%2].pull(cursor, 7)
			pulls++
			for _, c := range p.Changes {
				seen[c.ID] = true
			}
			cursor = p.Cursor
			if !p.HasMore {
				break
			}
		}
	}
	close(created)
	n := 0
	for id := range created {
		n++
		if !seen[id] {
			t.Errorf("record %s was never pulled", id)
		}
	}
	if n != len(writers)*perWriter {
		t.Fatalf("%d of %d writes applied", n, len(writers)*perWriter)
	}

	var records, ledger, pendingChanges, pendingEvents int
	var counter, rows, lowest, highest int64
	if err := a.db.Read(ctx, func(tx *store.Tx) error {
		for dst, q := range map[any]string{
			&records:        `SELECT COUNT(*) FROM record WHERE patient_id = '` + r.patientID + `'`,
			&ledger:         `SELECT COUNT(*) FROM mutation_ledger`,
			&pendingChanges: `SELECT COUNT(*) FROM change_pending`,
			&pendingEvents:  `SELECT COUNT(*) FROM audit_pending`,
			&counter:        `SELECT seq FROM change_counter WHERE id = 1`,
			&rows:           `SELECT COUNT(*) FROM change_log`,
			&lowest:         `SELECT COALESCE(MIN(seq), 0) FROM change_log`,
			&highest:        `SELECT COALESCE(MAX(seq), 0) FROM change_log`,
		} {
			if err := tx.Get(ctx, dst, q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if records != n+1 || ledger != n { // + the region's own record
		t.Errorf("%d records and %d ledger rows for %d mutations", records-1, ledger, n)
	}
	if pendingChanges != 0 || pendingEvents != 0 {
		t.Errorf("left pending: %d changes, %d audit events", pendingChanges, pendingEvents)
	}
	if lowest != 1 || highest != counter || rows != counter {
		t.Errorf("change log: %d rows numbered %d..%d, counter %d", rows, lowest, highest, counter)
	}
	for _, h := range instances {
		if checked, brk, err := audit.Verify(ctx, h.db); err != nil || brk != nil || checked == 0 {
			t.Errorf("audit chain: %d checked, break %v, err %v", checked, brk, err)
		}
	}
	t.Logf("%d mutations through two instances, %d pulls", n, pulls)
}
