package api_test

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type collabJSON struct {
	Month       string `json:"month"`
	Complete    bool   `json:"complete"`
	ChartHidden bool   `json:"chart_hidden"`
	Items       []struct {
		Key        string `json:"key"`
		Met        bool   `json:"met"`
		Applicable bool   `json:"applicable"`
		Entries    []struct {
			RecordID         string `json:"record_id"`
			AuthorName       string `json:"author_name"`
			AuthorProfession string `json:"author_profession"`
			Value            string `json:"value"`
			ReaderID         string `json:"reader_id"`
		} `json:"entries"`
	} `json:"items"`
}

func (c collabJSON) item(t *testing.T, key string) (met, applicable bool, ids, values []string) {
	t.Helper()
	for _, it := range c.Items {
		if it.Key == key {
			for _, e := range it.Entries {
				ids, values = append(ids, e.RecordID), append(values, e.Value)
			}
			return it.Met, it.Applicable, ids, values
		}
	}
	t.Fatalf("no item %s in %+v", key, c)
	return
}

// TestCollaborationReport: the month's 在宅医療情報連携加算 items — the
// doctor's next visit date, whether and how the plan changed, the points of
// care for the team, and the other professions' records the doctor read —
// each with the records that hold it; a month without records is an empty
// report; a bad month is refused naming month; a member who reads no chart
// sees that the doctor's notes are hidden from them.
func TestCollaborationReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		month := h.clock.Now().In(time.FixedZone("JST", 9*3600)).Format("2006-01")
		path := "/api/v1/patients/" + r.patientID + "/collaboration-report?month="
		report := func(c *client, m string) collabJSON {
			t.Helper()
			var out collabJSON
			c.must(200, "GET", path+m, nil).json(t, &out)
			return out
		}

		// Before the doctor writes: nothing met, the outline not applicable.
		before := report(r.doctorC, month)
		if before.Complete {
			t.Fatal("complete without records")
		}
		if met, app, _, _ := before.item(t, "plan_change_outline"); !met || app {
			t.Errorf("outline before any change: met %v applicable %v", met, app)
		}

		// The doctor reads the nurse's visit and writes the 加算 items.
		h.clock.Advance(time.Minute)
		r.doctorC.must(200, "POST", "/api/v1/records/"+r.recordID+"/read", nil)
		note := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "next_visit_on": "2026-12-24", "plan_changed": true,
			"care_notes": "転倒に注意。夜間の水分摂取を促す", "fields": map[string]any{"findings": "下肢浮腫軽度", "plan": "利尿薬を減量"}}).ID
		// A nurse's record with the same fields is not the doctor's.
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "next_visit_on": "2026-12-20", "care_notes": "看護の留意点"})
		h.clock.Advance(time.Minute)

		got := report(r.doctorC, month)
		if !got.Complete || got.Month != month || got.ChartHidden {
			t.Fatalf("report %+v", got)
		}
		for _, c := range []struct{ key, value string }{
			{"next_visit", "2026-12-24"}, {"plan_change", "changed"}, {"plan_change_outline", "利尿薬を減量"}, {"care_points", "転倒に注意。夜間の水分摂取を促す"},
		} {
			met, _, ids, values := got.item(t, c.key)
			if !met || len(ids) != 1 || ids[0] != note || values[0] != c.value {
				t.Errorf("%s: met %v ids %v values %v, want the doctor's note with %q", c.key, met, ids, values, c.value)
			}
		}
		if met, _, ids, _ := got.item(t, "others_records_used"); !met || len(ids) != 1 || ids[0] != r.recordID {
			t.Errorf("others' records used: met %v %v, want the nurse's visit", met, ids)
		}
		for _, it := range got.Items {
			for _, e := range it.Entries {
				if e.AuthorName == "" || e.AuthorProfession == "" {
					t.Errorf("%s: entry without its author %+v", it.Key, e)
				}
			}
		}

		// The care worker reads no chart: the doctor's note is hidden.
		hw := report(r.helperC, month)
		if !hw.ChartHidden || hw.Complete {
			t.Errorf("care worker's report %+v", hw)
		}
		if _, _, ids, _ := hw.item(t, "next_visit"); len(ids) != 0 {
			t.Errorf("the care worker sees the doctor's note %v", ids)
		}

		// Another month: empty and valid.
		if empty := report(r.doctorC, "2020-01"); empty.Complete || len(empty.Items) != 5 {
			t.Errorf("empty month %+v", empty)
		}
		for _, bad := range []string{"2026-13", "2026-1", "202611", "abcd-ef", "1999-12"} {
			res := r.doctorC.must(422, "GET", path+bad, nil)
			if f := problemField(t, res); f != "query.month" {
				t.Errorf("month %q: location %q: %s", bad, f, res.body)
			}
		}
		r.doctorC.must(422, "GET", "/api/v1/patients/"+r.patientID+"/collaboration-report", nil)

		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = 'record.collaboration_report' AND patient_id = ?`, r.doctor.ID, r.patientID)
		})
		if n != 3 {
			t.Errorf("%d audited report reads, want 3", n)
		}
	})
}
