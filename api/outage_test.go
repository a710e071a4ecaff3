package api_test

import (
	"net/http"
	"testing"

	"tsunagu/internal/store/storetest"
)

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
	storetest.SetMaxPages(t, h.db, "")
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
	storetest.SetMaxPages(t, h.db, "1073741823")
	r.nurseC.must(404, "GET", "/api/v1/records/"+id, nil) // nothing of the refused write was kept
	r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": id, "kind": "nursing_visit",
		"occurred_at": "2026-11-20T09:00:00Z", "text": "空きができた"})
	if got := health(); got != 200 {
		t.Fatalf("healthz after the disk has room again: %d", got)
	}
}
