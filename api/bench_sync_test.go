package api_test

import (
	"sync/atomic"
	"testing"

	"tsunagu/internal/store"
)

// BenchmarkSyncPushRecord: one record.create per request through HTTP, from
// parallel clients (b.SetParallelism scales them), on SQLite.
func BenchmarkSyncPushRecord(b *testing.B) {
	h := newHarness(b, store.SQLite)
	r := h.mustRegion()
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := h.signIn(r.nurse)
		device := newID()
		seq := int64(0)
		for pb.Next() {
			seq++
			a := c.push(device, []mutation{recordMutation(seq, r.patientID)})
			if a.Results[0].Status != "applied" {
				b.Fatalf("%+v", a.Results[0])
			}
			n.Add(1)
		}
	})
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "writes/s")
}
