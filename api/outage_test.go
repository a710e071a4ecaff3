package api_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
)

// setMaxPages sets SQLite's page limit on every connection of the writer
// pool: at the database's current size it behaves as a full disk.
func setMaxPages(t *testing.T, h *harness, pages string) {
	t.Helper()
	ctx := context.Background()
	pool := h.db.SQL().DB
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

// TestFullDiskAnswers503: when the database cannot commit (here SQLite at
// its page limit, as on a full disk) a write answers 503 unavailable with
// Retry-After and keeps nothing, /healthz fails, and both recover once
// there is room again.
func TestFullDiskAnswers503(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.mustRegion()
	health := func() int {
		res, err := http.Get(h.srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if health() != 200 {
		t.Fatal("not healthy at the start")
	}
	setMaxPages(t, h, "")
	text := ""
	for len([]rune(text)) < 3900 {
		text += "記録がディスクに入りきらない。"
	}
	text = string([]rune(text)[:3900])
	// The pages left in the file fill up within a few records.
	var id string
	var res response
	for range 50 {
		id = newID()
		res = r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": id, "kind": "nursing_visit",
			"occurred_at": "2026-11-20T09:00:00Z", "text": text})
		if res.status != 201 {
			break
		}
	}
	if res.status != 503 || res.code() != "unavailable" || res.header.Get("Retry-After") == "" {
		t.Fatalf("write on a full disk: %d %s (Retry-After %q)", res.status, res.body, res.header.Get("Retry-After"))
	}
	if got := health(); got != 503 {
		t.Fatalf("healthz while writes fail: %d", got)
	}
	setMaxPages(t, h, "1073741823")
	r.nurseC.must(404, "GET", "/api/v1/records/"+id, nil) // nothing of the refused write was kept
	r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": id, "kind": "nursing_visit",
		"occurred_at": "2026-11-20T09:00:00Z", "text": "空きができた"})
	if got := health(); got != 200 {
		t.Fatalf("healthz after the disk has room again: %d", got)
	}
}
