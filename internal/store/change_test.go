package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestChangesSinceMatchesTheLog pages through a log where one patient's
// changes are dense and another's are rare among everyone else's, so that
// pages come from the sequence window, from the patient index after it,
// and from both: every page is exactly the next changes the viewer may
// see, in order, whatever the cursor and page size.
func TestChangesSinceMatchesTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		rnd := rand.New(rand.NewPCG(7, 11))
		// busy writes half of the log, rare one change in 150; the others
		// are patients the viewer does not reach.
		type row struct {
			patient, entity string
			chart           bool
		}
		var log []row
		for i := 0; i < 1200; i++ {
			r := row{patient: fmt.Sprintf("other-%d", rnd.IntN(5)), entity: "visit"}
			switch {
			case rnd.IntN(150) == 0:
				r.patient = "rare"
			case rnd.IntN(2) == 0:
				r.patient = "busy"
			}
			switch rnd.IntN(10) {
			case 0:
				r.entity = "access"
			case 1, 2:
				r.entity, r.chart = "record", true
			}
			log = append(log, r)
		}
		var first int64
		if err := db.Write(ctx, func(tx *store.Tx) error {
			var err error
			first, err = tx.LastChangeSeq(ctx)
			if err != nil {
				return err
			}
			for i, r := range log {
				tx.AppendChange(ctx, store.Change{PatientID: r.patient, Entity: r.entity, EntityID: fmt.Sprintf("e%04d", i), Op: "upsert",
					Chart: r.chart, At: time.Now()})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		viewer := care.Viewer{UserID: "u", FacilityID: "f", Profession: care.ProfNurse}
		for _, tc := range []struct {
			patients, chart []string
		}{
			{[]string{"busy", "rare"}, []string{"busy", "rare"}},
			{[]string{"rare"}, []string{"rare"}},
			{[]string{"busy", "rare"}, []string{"rare"}},
			{[]string{"rare", "busy"}, nil},
		} {
			var want []int64
			for i, r := range log {
				if slices.Contains(tc.patients, r.patient) && r.entity != "access" && (!r.chart || slices.Contains(tc.chart, r.patient)) {
					want = append(want, first+int64(i)+1)
				}
			}
			for _, limit := range []int{1, 3, 10, 50, 500} {
				after, got := first, []int64{}
				for pages := 0; ; pages++ {
					if pages > len(log) {
						t.Fatalf("%v limit %d: no end", tc.patients, limit)
					}
					var page []store.Change
					if err := db.Read(ctx, func(tx *store.Tx) (err error) {
						head, err := tx.LastChangeSeq(ctx)
						if err != nil {
							return err
						}
						page, err = tx.ChangesSince(ctx, after, head, tc.patients, tc.chart, viewer, limit)
						return err
					}); err != nil {
						t.Fatal(err)
					}
					if len(page) > limit {
						t.Fatalf("%v limit %d: page of %d", tc.patients, limit, len(page))
					}
					for _, c := range page {
						got = append(got, c.Seq)
						after = c.Seq
					}
					if len(page) < limit {
						break
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v (chart %v) limit %d:\n got %v\nwant %v", tc.patients, tc.chart, limit, got, want)
				}
			}
		}
	})
}
