package store_test

import (
	"context"
	"testing"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestProbeWrite: the readiness probe commits on both engines, leaves the
// schema as it was (it runs again), and on SQLite really needs room: at a
// page limit that an ordinary empty commit passes, it fails as unavailable
// and WritesFailing says so until a probe commits again.
func TestProbeWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := storetest.MustOpen(t, engine)
		if engine == store.SQLite {
			probeAtPageLimit(t, db)
		}
		for range 2 {
			if err := db.ProbeWrite(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if db.WritesFailing() {
			t.Fatal("writes failing after probes that committed")
		}
	})
}

// probeAtPageLimit runs the probe at a page limit, on a fresh database (the
// pages a probe frees are used again by the next probe, as by any write).
func probeAtPageLimit(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	storetest.SetMaxPages(t, db, "")
	if err := db.Write(ctx, func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatalf("an empty write at the page limit: %v", err)
	}
	if err := db.ProbeWrite(ctx); !store.IsUnavailable(err) {
		t.Fatalf("probe at the page limit: %v", err)
	}
	if !db.WritesFailing() {
		t.Fatal("a probe failed for want of room, and writes are not failing")
	}
	if err := db.Write(ctx, func(tx *store.Tx) error { return nil }); err != nil || !db.WritesFailing() {
		t.Fatalf("an empty write cleared the failure (%v)", err)
	}
	storetest.SetMaxPages(t, db, "1073741823")
	if err := db.ProbeWrite(ctx); err != nil || db.WritesFailing() {
		t.Fatalf("probe with room again: %v, failing %v", err, db.WritesFailing())
	}
}
