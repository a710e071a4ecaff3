package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tsunagu/internal/alerts"
	"tsunagu/internal/audit"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// BenchmarkAuditAppend is the cost of one audited read (one event, one
// transaction) with and without the alert rules watching:
//   - unwatched: no Engine (what an audited read cost before alerts);
//   - same_patient: a clinician opening one patient again and again (one
//     upsert that finds the patient in the window);
//   - new_patient: a different patient each time (upsert, tally lock on
//     PostgreSQL, count);
//   - refused: a refused access, each its own item, firing every time once
//     past the threshold (the open alert is updated).
//
// Each runs with one event per transaction (a commit, an fsync, each) and
// with 100 events per transaction, where the statements show apart from
// the commit; ns/event is the figure to compare.
//
//	go test ./internal/alerts -run '^$' -bench AuditAppend -count 5
func BenchmarkAuditAppend(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		for _, per := range []int{1, 100} {
			for _, bc := range []struct {
				name    string
				watched bool
				event   func(i int, at time.Time) *audit.Event
			}{
				{"unwatched", false, func(i int, at time.Time) *audit.Event { return viewed(at, patient(i%1000)) }},
				{"same_patient", true, func(i int, at time.Time) *audit.Event { return viewed(at, patient(1)) }},
				{"new_patient", true, func(i int, at time.Time) *audit.Event { return viewed(at, patient(i%1000)) }},
				{"refused", true, func(i int, at time.Time) *audit.Event { return denied(at, patient(1)) }},
			} {
				b.Run(fmt.Sprintf("%s/x%d/%s", engine, per, bc.name), func(b *testing.B) {
					db := storetest.MustOpen(b, engine)
					if bc.watched {
						// Thresholds no window reaches for the reads; every
						// refusal past the fifth fires.
						audit.Watch(db, &alerts.Engine{Config: alerts.Config{alerts.ManyPatients: {Threshold: alerts.MaxThreshold, Window: time.Hour},
							alerts.RefusedAccess: {Threshold: 5, Window: time.Hour}}})
					}
					ctx := context.Background()
					i := 0
					b.ReportAllocs()
					n := 0
					for b.Loop() {
						evs := make([]*audit.Event, per)
						for k := range evs {
							evs[k] = bc.event(i, t0.Add(time.Duration(i)*time.Millisecond))
							i++
						}
						if err := db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, evs...) }); err != nil {
							b.Fatal(err)
						}
						n += per
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
				})
			}
		}
	}
}
