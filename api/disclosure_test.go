package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestFacilityDisclosureSharedOnly: the visiting-nurse station discloses
// shared_only, so its chart records (the region's nursing visit, written
// before the setting changed, and a later one) reach its own staff only.
// The doctor of the clinic, a clinical member of the same team, never sees
// them: not one by one, not on the timeline, the calendar, the unread
// counts, nor in a pull; the station's shared notes still reach them.
func TestFacilityDisclosureSharedOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = ? WHERE id = ?`), care.DisclosureSharedOnly, r.station); err != nil {
			t.Fatal(err)
		}
		colleague := h.mustUser(r.station, care.ProfNurse)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": colleague.ID, "role": "visiting_nurse"})
		colleagueC := h.signIn(colleague)

		hidden := r.recordID
		careNote := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "fields": map[string]any{"coordination": "訪問日変更"}})
		docNote := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "様子観察"}})

		// The doctor's device starts before the next records are written.
		first := r.doctorC.must(200, "GET", "/api/v1/sync/pull", nil)
		var start pullAnswer
		first.json(t, &start)
		snapshot := r.doctorC.must(200, "GET", "/api/v1/sync/pull?patient_id="+r.patientID+"&cursor="+url.QueryEscape(start.Cursor), nil)

		hidden2 := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "褥瘡処置", "vitals": map[string]any{"spo2": 95}}).ID
		r.nurseC.must(201, "POST", "/api/v1/records/"+hidden2+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "text": "褥瘡処置（追記）"})
		colleagueC.must(200, "POST", "/api/v1/records/"+hidden2+"/read", nil)
		note := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "次回は午後"})

		t.Run("one by one: the same 404 as an unknown record, audited", func(t *testing.T) {
			unknown := r.doctorC.must(404, "GET", "/api/v1/records/"+newID(), nil)
			for _, id := range []string{hidden, hidden2} {
				for _, call := range []struct {
					method, path string
					body         any
				}{
					{"GET", "/api/v1/records/" + id, nil},
					{"POST", "/api/v1/records/" + id + "/amendments", map[string]any{"reason": "x", "base_version": 1, "text": "y"}},
					{"POST", "/api/v1/records/" + id + "/read", nil},
					{"POST", "/api/v1/records/" + id + "/confirm", map[string]any{"version": 1}},
				} {
					res := r.doctorC.must(404, call.method, call.path, call.body)
					if stripRequestID(res.body) != stripRequestID(unknown.body) {
						t.Errorf("%s %s: %s differs from %s", call.method, call.path, res.body, unknown.body)
					}
				}
			}
			var denied int
			h.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.Get(context.Background(), &denied, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND resource_id = ? AND action = 'record.read' AND result = 'denied'`, r.doctor.ID, hidden)
			})
			if denied != 1 {
				t.Errorf("%d denied record.read events, want 1", denied)
			}
			// The station's staff and the other facility's shared content.
			colleagueC.must(200, "GET", "/api/v1/records/"+hidden, nil)
			r.nurseC.must(200, "GET", "/api/v1/records/"+hidden2, nil)
			r.doctorC.must(200, "GET", "/api/v1/records/"+careNote.ID, nil)
			r.nurseC.must(200, "GET", "/api/v1/records/"+docNote.ID, nil) // the clinic discloses fully
		})

		t.Run("timeline", func(t *testing.T) {
			ids := func(c *client, query string) map[string]bool {
				var page timelineJSON
				c.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records"+query, nil).json(t, &page)
				out := map[string]bool{}
				for _, x := range page.Records {
					out[x.ID] = true
				}
				return out
			}
			got := ids(r.doctorC, "")
			if got[hidden] || got[hidden2] || !got[careNote.ID] || !got[docNote.ID] || !got[note.ID] || len(got) != 3 {
				t.Errorf("doctor's timeline %v", got)
			}
			if got := ids(r.doctorC, "?kind=nursing_visit"); len(got) != 0 {
				t.Errorf("doctor's nursing visits %v", got)
			}
			if got := ids(colleagueC, ""); !got[hidden] || !got[hidden2] || len(got) != 5 {
				t.Errorf("colleague's timeline %v", got)
			}
		})

		t.Run("unread counts", func(t *testing.T) {
			unread := func(c *client) int {
				var out struct {
					Patients []struct {
						PatientID string `json:"patient_id"`
						Unread    int    `json:"unread"`
					} `json:"patients"`
				}
				c.must(200, "GET", "/api/v1/me/unread", nil).json(t, &out)
				for _, p := range out.Patients {
					if p.PatientID == r.patientID {
						return p.Unread
					}
				}
				return -1
			}
			// doctor: the care note and the note; colleague: the nurse's four
			// and the doctor's note, less the one they marked read.
			if n := unread(r.doctorC); n != 2 {
				t.Errorf("doctor unread %d, want 2", n)
			}
			if n := unread(colleagueC); n != 4 {
				t.Errorf("colleague unread %d, want 4", n)
			}
		})

		t.Run("the patient calendar's records of each day", func(t *testing.T) {
			res := r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/visits?from=2026-11-15&to=2026-11-25", nil)
			if strings.Contains(res.body, hidden) || strings.Contains(res.body, hidden2) || !strings.Contains(res.body, careNote.ID) {
				t.Errorf("doctor's calendar: %s", res.body)
			}
			res = colleagueC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/visits?from=2026-11-15&to=2026-11-25", nil)
			if !strings.Contains(res.body, hidden) || !strings.Contains(res.body, hidden2) {
				t.Errorf("colleague's calendar lacks the station's records: %s", res.body)
			}
		})

		t.Run("pull never carries them, not even as an id", func(t *testing.T) {
			incremental := r.doctorC.must(200, "GET", "/api/v1/sync/pull?limit=500&cursor="+url.QueryEscape(start.Cursor), nil)
			for name, res := range map[string]response{"snapshot": snapshot, "incremental pull": incremental} {
				if strings.Contains(res.body, hidden) || strings.Contains(res.body, hidden2) {
					t.Errorf("%s carries a hidden record: %s", name, res.body)
				}
			}
			if !strings.Contains(snapshot.body, careNote.ID) || !strings.Contains(snapshot.body, docNote.ID) {
				t.Errorf("snapshot lacks the visible records: %s", snapshot.body)
			}
			if !strings.Contains(incremental.body, note.ID) {
				t.Errorf("incremental pull lacks the new note: %s", incremental.body)
			}
			// The station's colleague pulls them.
			all, _ := colleagueC.syncFromEmpty()
			seen := map[string]bool{}
			for _, c := range all.Changes {
				seen[c.ID] = c.Op == "upsert"
			}
			if !seen[hidden] || !seen[hidden2] {
				t.Errorf("colleague's snapshot lacks the station's records")
			}
		})

		t.Run("nor does a push reach them", func(t *testing.T) {
			a := r.doctorC.push(newID(), []mutation{{ID: newID(), Seq: 1, Type: "record.amend",
				Args: map[string]any{"record_id": hidden, "reason": "x", "base_version": 1, "text": "y"}}})
			if a.Results[0].Status != "rejected" || a.Results[0].Problem == nil || a.Results[0].Problem.Code != care.CodeNotFound || len(a.Results[0].Entity) > 0 {
				t.Errorf("amend mutation on a hidden record: %+v", a.Results[0])
			}
		})
	})
}
