package api_test

import (
	"sync"
	"testing"

	"tsunagu/internal/store/storetest"
)

// TestCareplanImportTwiceAtOnce: the same 予定 file imported twice at the
// same moment (a double tap, a retry of a slow answer) makes its visits
// once; neither answer is a server error.
func TestCareplanImportTwiceAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := careplanRegion(t, h)
		before := countVisits(t, h, r.patientID)
		file := planFile(t, nurseRow("202611", 24, 25, 26, 27, 28, 29, 30))
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := r.nurseC.raw("POST", "/api/v1/careplan/plans?filename="+planName("202611"), "text/csv", file)
				statuses[i] = res.status
			}()
		}
		wg.Wait()
		for i, st := range statuses {
			if st != 200 {
				t.Errorf("import %d: status %d, want 200", i, st)
			}
		}
		if n := countVisits(t, h, r.patientID) - before; n != 7 {
			t.Errorf("four imports of one file at once made %d visits, want 7", n)
		}
	})
}

// TestCareplanAmbiguousRowKeepsVisits: when a row of a re-imported file
// no longer names one patient (another patient of the caller's now has
// the same 介護保険 numbers), it is not imported, and the visits earlier
// imports made from it stay planned: the file still plans them.
func TestCareplanAmbiguousRowKeepsVisits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := careplanRegion(t, h)
		file := planFile(t, nurseRow("202611", 24, 26))
		if res, a := r.nurseC.plan(t, "import", planName("202611"), file); res.status != 200 || a.Created != 2 {
			t.Fatalf("first import: %d %s", res.status, res.body)
		}
		// A second patient of the nurse's with the same numbers.
		var p struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 二重", "name_kana": "ミホン ニジュウ", "birth_date": "1941-03-04",
			"sex": "male", "address": "架空県つなぐ市2-2", "phone": "000-0000-0001", "insurer_number": testInsurer, "insured_number": testInsured}).json(t, &p)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})

		res, a := r.nurseC.plan(t, "import", planName("202611"), file)
		if res.status != 200 {
			t.Fatalf("second import: %d %s", res.status, res.body)
		}
		if a.Cancelled != 0 || len(a.Cancels) != 0 {
			t.Errorf("an ambiguous row cancelled %d visits the file still plans: %s", a.Cancelled, res.body)
		}
		// A row per day of use: both days' rows are ambiguous.
		if len(a.Unmatched) != 2 || a.Unmatched[0].Reason != "ambiguous_patient" || a.Unmatched[1].Reason != "ambiguous_patient" {
			t.Errorf("unmatched: %+v", a.Unmatched)
		}
	})
}
