package api_test

import (
	"sync"
	"testing"

	"tsunagu/internal/store/storetest"
)

// TestNewDeviceRegisteredConcurrently: the app's first requests from a new
// iPad can arrive together (registration and a first push); all of them
// get the one device and its one secret, never a 5xx.
func TestNewDeviceRegisteredConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		for round := range 3 {
			device := newID()
			const n = 8
			secrets := make([]string, n)
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := r.nurseC.do("POST", "/api/v1/devices", map[string]any{"device_id": device})
					statuses[i] = res.status
					var out struct {
						Secret string `json:"secret"`
					}
					if res.status == 200 {
						res.json(t, &out)
					}
					secrets[i] = out.Secret
				}()
			}
			wg.Wait()
			for i := range n {
				if statuses[i] != 200 || secrets[i] == "" || secrets[i] != secrets[0] {
					t.Fatalf("round %d, request %d: status %d, secret shared: %v", round, i, statuses[i], secrets[i] == secrets[0])
				}
			}
			// Another user may not take the device over.
			if res := r.doctorC.do("POST", "/api/v1/devices", map[string]any{"device_id": device}); res.status != 403 {
				t.Fatalf("another user's registration of the device: %d %s", res.status, res.body)
			}
		}
	})
}
