package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestSlowPushArrives: a sync batch whose body takes 8 seconds to arrive
// (an island link) is applied, not refused with a timeout: the body may
// take as long as its size limit needs at the minimum rate.
func TestSlowPushArrives(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.mustRegion()
	device := newID()
	ms := make([]mutation, 20)
	for i := range ms {
		ms[i] = recordMutation(int64(i+1), r.patientID)
	}
	body, _ := json.Marshal(map[string]any{"device_id": device, "mutations": ms})
	pr, pw := io.Pipe()
	go func() {
		const steps = 16
		chunk := len(body)/steps + 1
		for off := 0; off < len(body); off += chunk {
			pw.Write(body[off:min(off+chunk, len(body))])
			time.Sleep(500 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/sync/push", pr)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	res, err := r.nurseC.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var a pushAnswer
	if res.StatusCode != 200 || json.Unmarshal(b, &a) != nil || len(a.Results) != len(ms) {
		t.Fatalf("slow push: %d %s", res.StatusCode, b)
	}
	for _, x := range a.Results {
		if x.Status != "applied" {
			t.Fatalf("slow push: %s", bytes.TrimSpace(b))
		}
	}
}
