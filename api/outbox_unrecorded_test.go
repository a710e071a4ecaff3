package api_test

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// TestAcceptedPushIsNotSentAgain: when the push service accepted a push
// but the database could not record it (an outage), the worker records it
// before it claims anything again, so the push is not sent twice even once
// its lease has run out.
func TestAcceptedPushIsNotSentAgain(t *testing.T) {
	p := newPushRig(t, "sqlite")
	h, r := p.h, p.r
	ctx := context.Background()
	p.subscribe("doctor", r.doctorC)
	r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note",
		"occurred_at": "2026-11-20T09:00:00Z", "text": "メモ"})

	// The outage: the outbox row cannot be completed.
	if _, err := h.db.SQL().Exec(`CREATE TRIGGER outbox_outage BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'outage'); END`); err != nil {
		t.Fatal(err)
	}
	if n, err := p.worker.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("first send: claimed %d, %v", n, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if got, err := p.rcv.Wait(wctx, 1); err != nil || len(got) != 1 {
		t.Fatalf("delivered %d: %v", len(got), err)
	}
	h.clock.Advance(notify.DefaultLease + time.Second)
	if n, err := p.worker.RunOnce(ctx); n != 0 || err == nil {
		t.Fatalf("while the outcome is unrecorded the worker claimed %d (%v)", n, err)
	}

	// The database is back: the outcome is recorded and nothing is resent.
	if _, err := h.db.SQL().Exec(`DROP TRIGGER outbox_outage`); err != nil {
		t.Fatal(err)
	}
	if n, err := p.worker.RunOnce(ctx); n != 0 || err != nil {
		t.Fatalf("after the outage: claimed %d, %v", n, err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := len(p.rcv.Deliveries()); got != 1 {
		t.Fatalf("the push was delivered %d times", got)
	}
	var left int
	h.db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &left, `SELECT COUNT(*) FROM outbox`) })
	if left != 0 {
		t.Fatalf("%d outbox rows left", left)
	}
}
