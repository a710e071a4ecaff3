package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

func mustAppend(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		e := &audit.Event{At: time.Date(2026, 11, 21, 9, 0, i, 0, time.UTC), ActorID: fmt.Sprintf("user-%d", i%3),
			Action: "patient.read", PatientID: "p1", ResourceType: "patient", ResourceID: "p1", Result: audit.ResultOK, Address: "127.0.0.1"}
		if i == 5 { // seq 6: a change that names what it changed
			e.Action, e.PatientID, e.ResourceType, e.ResourceID, e.Detail = "user.profession.change", "", "account", "u1", "care_worker>nurse"
		}
		err := db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) })
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		tamper := []struct {
			name   string
			sql    []string
			broken int64
		}{
			{"intact", nil, 0},
			{"changed actor", []string{`UPDATE audit_event SET actor_id = 'someone-else' WHERE seq = 4`}, 4},
			{"deleted middle row", []string{`DELETE FROM audit_event WHERE seq = 3`}, 3},
			{"deleted last row", []string{`DELETE FROM audit_event WHERE seq = 6`}, 6},
			{"changed detail", []string{`UPDATE audit_event SET detail = 'care_worker>doctor' WHERE seq = 6`}, 6},
			{"detail added", []string{`UPDATE audit_event SET detail = 'other>doctor' WHERE seq = 3`}, 3},
			{"detail removed", []string{`UPDATE audit_event SET detail = '' WHERE seq = 6`}, 6},
			{"rehashed row", []string{`UPDATE audit_event SET result = 'denied', hash = 'x' WHERE seq = 2`}, 2},
		}
		for _, c := range tamper {
			t.Run(c.name, func(t *testing.T) {
				db := storetest.MustOpen(t, engine)
				mustAppend(t, db, 6)
				for _, q := range c.sql {
					// The schema refuses changes to the log; a tamperer with
					// owner rights drops the guard first.
					if _, err := db.SQL().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
						t.Fatalf("change to audit_event not refused: %v", err)
					}
					dropGuards(t, db)
					if _, err := db.SQL().Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				n, brk, err := audit.Verify(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if c.broken == 0 {
					if brk != nil || n != 6 {
						t.Fatalf("intact chain: checked %d, break %v", n, brk)
					}
					return
				}
				if brk == nil || brk.Seq != c.broken {
					t.Fatalf("want break at %d, got %+v", c.broken, brk)
				}
			})
		}
	})
}

func dropGuards(t *testing.T, db *store.DB) {
	t.Helper()
	var stmts []string
	if db.Engine == store.Postgres {
		stmts = []string{`DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event`}
	} else {
		stmts = []string{`DROP TRIGGER IF EXISTS audit_event_no_update`, `DROP TRIGGER IF EXISTS audit_event_no_delete`}
	}
	for _, s := range stmts {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentAppendKeepsOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			go func(w int) {
				var err error
				for i := 0; i < 25 && err == nil; i++ {
					err = db.Write(ctx, func(tx *store.Tx) error {
						return audit.Append(ctx, tx, &audit.Event{At: time.Now(), ActorID: fmt.Sprint(w), Action: "record.create", Result: audit.ResultOK},
							&audit.Event{At: time.Now(), ActorID: fmt.Sprint(w), Action: "record.read", Result: audit.ResultOK})
					})
				}
				errs <- err
			}(w)
		}
		for w := 0; w < 8; w++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		n, brk, err := audit.Verify(ctx, db)
		if err != nil || brk != nil || n != 400 {
			t.Fatalf("checked %d, break %v, err %v", n, brk, err)
		}
	})
}

func TestQueryFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		mustAppend(t, db, 9)
		ctx := context.Background()
		var got []audit.Event
		err := db.Read(ctx, func(tx *store.Tx) (err error) {
			got, err = audit.Query(ctx, tx, audit.Filter{ActorID: "user-1", Action: "patient.", Limit: 2})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Seq != 8 || got[1].Seq != 5 {
			t.Fatalf("got %+v", got)
		}
	})
}

// TestRolledBackAppendsLeaveNoTrace: the change log and the audit chain are
// written when a transaction commits; what a savepoint that rolled back had
// appended is dropped, and concurrent writers (a SQLite group commit, or
// PostgreSQL transactions in parallel) still leave one gapless chain and a
// change log in commit order.
func TestRolledBackAppendsLeaveNoTrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		boom := errors.New("refused")
		var wg sync.WaitGroup
		rows := make(chan *store.Change, 400)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					err := db.Write(ctx, func(tx *store.Tx) error {
						serr := tx.Savepoint(ctx, func() error {
							tx.AppendChange(ctx, store.Change{PatientID: "p", Entity: "record", EntityID: "dropped", Op: "upsert", At: time.Now()})
							if err := audit.Append(ctx, tx, &audit.Event{At: time.Now(), Action: "dropped", Result: audit.ResultOK}); err != nil {
								return err
							}
							return boom
						})
						if !errors.Is(serr, boom) {
							return fmt.Errorf("savepoint: %v", serr)
						}
						c := tx.AppendChange(ctx, store.Change{PatientID: "p", Entity: "record", EntityID: fmt.Sprintf("%d-%d", w, i), Op: "upsert", At: time.Now()})
						tx.AfterCommit(func() { rows <- c })
						return audit.Append(ctx, tx, &audit.Event{At: time.Now(), ActorID: fmt.Sprint(w), Action: "kept", Result: audit.ResultOK})
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(rows)
		n, brk, err := audit.Verify(ctx, db)
		if err != nil || brk != nil || n != 200 {
			t.Fatalf("audit: checked %d, break %v, err %v", n, brk, err)
		}
		seen := map[int64]bool{}
		for c := range rows {
			if c.Seq < 1 || c.Seq > 200 || seen[c.Seq] {
				t.Fatalf("change %s got seq %d", c.EntityID, c.Seq)
			}
			seen[c.Seq] = true
		}
		var got []store.Change
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &got, `SELECT seq, patient_id, entity, entity_id, op, chart, subject_id, at FROM change_log ORDER BY seq`)
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 200 || len(seen) != 200 {
			t.Fatalf("change log holds %d rows, %d committed", len(got), len(seen))
		}
		for i, c := range got {
			if c.Seq != int64(i+1) || c.EntityID == "dropped" {
				t.Fatalf("row %d: seq %d entity %s", i, c.Seq, c.EntityID)
			}
		}
	})
}
