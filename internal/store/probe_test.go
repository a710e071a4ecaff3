package store_test

import (
	"context"
	"database/sql"
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
	setMaxPages(t, db, "")
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
	setMaxPages(t, db, "1073741823")
	if err := db.ProbeWrite(ctx); err != nil || db.WritesFailing() {
		t.Fatalf("probe with room again: %v, failing %v", err, db.WritesFailing())
	}
}

// setMaxPages sets SQLite's max_page_count on every connection of the
// writer's pool; "" is the current page count: no room to grow.
func setMaxPages(t *testing.T, db *store.DB, pages string) {
	t.Helper()
	ctx := context.Background()
	pool := db.SQL().DB
	var conns []*sql.Conn
	for range pool.Stats().MaxOpenConnections {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if pages == "" {
			if err := c.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.ExecContext(ctx, `PRAGMA max_page_count = `+pages); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
