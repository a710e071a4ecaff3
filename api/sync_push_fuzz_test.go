package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"tsunagu/internal/store"
)

// FuzzSyncPush sends any body to POST /api/v1/sync/push, through the real
// handler on SQLite, as a nurse on the region's patient. The answer is never
// a 5xx (a panic becomes one in the middleware); a refusal is problem+json
// with a code; a 200 answers every mutation of the body, in order, each
// applied, duplicate, conflict or rejected with a problem that has a code
// — never "retry", which a push alone answers only when the server failed.
//
// The seeds (testdata/fuzz/FuzzSyncPush) are the pushes the app sends,
// with placeholders the target fills in before sending so that mutations
// reach the handlers: $DEVICE (a new device for each input, so seq 1 is
// next), $FRESH (a new UUID at each place), $PATIENT, $RECORD, $VISIT,
// $NURSE (the region's) and $PAGE (an attachment the nurse uploaded).
func FuzzSyncPush(f *testing.F) {
	h := newHarness(f, store.SQLite)
	r := h.mustRegion()
	var v struct {
		ID string `json:"id"`
	}
	r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
		"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(f, &v)
	// The nurse is also the care manager, so that consent.create reaches
	// its handler, with a page she uploaded.
	r.nurseCareManager(f)
	page := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
	fixed := strings.NewReplacer("$PATIENT", r.patientID, "$RECORD", r.recordID, "$VISIT", v.ID, "$NURSE", r.nurse.ID, "$PAGE", page)
	nurse := r.nurseC.c
	url := h.srv.URL + "/api/v1/sync/push"

	f.Fuzz(func(t *testing.T, body []byte) {
		s := fixed.Replace(strings.ReplaceAll(string(body), "$DEVICE", newID()))
		for strings.Contains(s, "$FRESH") {
			s = strings.Replace(s, "$FRESH", newID(), 1)
		}
		req, err := http.NewRequest("POST", url, strings.NewReader(s))
		if err != nil {
			t.Skip() // not a request Go can send
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := nurse.Do(req)
		if err != nil {
			t.Fatalf("push: %v (did the server drop the connection?)\n%s", err, s)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("push answered %d: %s\nbody: %s", res.StatusCode, b, s)
		}
		if res.StatusCode >= 400 {
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") || (response{body: string(b)}).code() == "" {
				t.Fatalf("refusal %d is not problem+json with a code (%s): %s", res.StatusCode, ct, b)
			}
			return
		}
		var in struct {
			Mutations []struct {
				ID string `json:"id"`
			} `json:"mutations"`
		}
		if err := json.Unmarshal([]byte(s), &in); err != nil {
			t.Fatalf("push accepted a body that is not JSON: %v", err)
		}
		var out struct {
			Results []struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				Problem *struct {
					Code string `json:"code"`
				} `json:"problem"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer %d is not JSON: %v: %s", res.StatusCode, err, b)
		}
		if len(out.Results) != len(in.Mutations) {
			t.Fatalf("%d mutations, %d results: %s", len(in.Mutations), len(out.Results), b)
		}
		for i, res := range out.Results {
			if res.ID != in.Mutations[i].ID {
				t.Fatalf("result %d answers %q, want %q", i, res.ID, in.Mutations[i].ID)
			}
			switch res.Status {
			case "applied", "duplicate", "conflict":
			case "rejected":
				if res.Problem == nil || res.Problem.Code == "" {
					t.Fatalf("mutation %d rejected without a problem code: %s", i, b)
				}
				if res.Problem.Code == "internal" {
					t.Fatalf("mutation %d rejected as an internal error: %s\nbody: %s", i, b, s)
				}
			default:
				t.Fatalf("mutation %d answered %q (a server failure): %s\nbody: %s", i, res.Status, b, s)
			}
		}
		if bytes.Contains(b, []byte(`"code":"internal"`)) {
			t.Fatalf("an internal error in the answer: %s", b)
		}
	})
}
