package api_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestConfirmationsList: GET /me/confirmations lists the records awaiting
// the caller's confirmation across their patients, newest first, in pages:
// entered for them or amended by someone else, not yet confirmed, and
// still readable by them. Others' entries, their own and confirmed ones
// are not listed; a later consent without chart sharing hides the chart
// records, leaving the team hides everything. Each listed patient is an
// audited view.
func TestConfirmationsList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		_, cNurseC, _, clerkC := h.clinicStaff(r)
		deputy := h.mustUser(r.clinic, care.ProfDoctor)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": deputy.ID, "role": "deputy_physician"})
		deputyC := h.signIn(deputy)
		// A second patient of the doctor, to list across patients.
		var other struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 二人目", "name_kana": "ミホン フタリメ", "birth_date": "1938-05-06",
			"sex": "male", "address": "架空県", "phone": ""}).json(t, &other)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})

		entered := func(c *client, patientID, kind, at, forWhom string) string {
			t.Helper()
			b := map[string]any{"kind": kind, "occurred_at": at, "on_behalf_of": forWhom}
			if kind == "note" {
				b["text"] = "代行"
			} else {
				b["fields"] = map[string]any{"note": "代行"}
			}
			return c.mustCreateRecord(t, patientID, b).ID
		}
		a := entered(cNurseC, r.patientID, "doctor_note", "2026-11-20T10:00:00+09:00", r.doctor.ID)
		b := entered(clerkC, r.patientID, "note", "2026-11-20T11:00:00+09:00", r.doctor.ID)
		c := entered(cNurseC, r.patientID, "doctor_note", "2026-11-20T09:00:00+09:00", r.doctor.ID)
		forDeputy := entered(cNurseC, r.patientID, "doctor_note", "2026-11-20T12:00:00+09:00", deputy.ID)
		// The doctor's own note, amended by the station's nurse: it awaits too.
		d := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "occurred_at": "2026-11-20T08:00:00+09:00", "fields": map[string]any{"note": "所見"}}).ID
		r.nurseC.must(201, "POST", "/api/v1/records/"+d+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "fields": map[string]any{"note": "所見（追記）"}})
		// The doctor's own, unamended: nothing to confirm.
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "occurred_at": "2026-11-20T13:00:00+09:00", "text": "自分"})
		// A note on the second patient entered for the doctor by a clinic
		// clerk of that patient's team.
		clerk2 := h.mustUser(r.clinic, care.ProfOther)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other.ID+"/team", map[string]any{"user_id": clerk2.ID, "role": "other"})
		e := entered(h.signIn(clerk2), other.ID, "note", "2026-11-20T10:30:00+09:00", r.doctor.ID)

		list := func(c *client, query string) timelineJSON {
			t.Helper()
			var page timelineJSON
			c.must(200, "GET", "/api/v1/me/confirmations"+query, nil).json(t, &page)
			return page
		}
		ids := func(c *client) []string {
			t.Helper()
			var out []string
			for _, x := range list(c, "").Records {
				if x.AuthorID == "" || !x.AwaitingConfirmation || x.EnteredBy == x.AuthorID {
					t.Errorf("listed %+v", x)
				}
				out = append(out, x.ID)
			}
			return out
		}
		same := func(step string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", step, got, want)
			}
		}

		same("the doctor's list, newest first", ids(r.doctorC), b, e, a, c, d)
		same("the deputy's", ids(deputyC), forDeputy)
		same("the one who entered them", ids(cNurseC))
		same("a care worker", ids(r.helperC))

		t.Run("pages", func(t *testing.T) {
			var got []string
			query := "?limit=2"
			for i := 0; i < 5; i++ {
				page := list(r.doctorC, query)
				for _, x := range page.Records {
					got = append(got, x.ID)
				}
				if page.Next == "" {
					break
				}
				query = "?limit=2&before=" + url.QueryEscape(page.Next)
			}
			same("paged", got, b, e, a, c, d)
			if res := r.doctorC.do("GET", "/api/v1/me/confirmations?before=nonsense", nil); res.status != 422 || res.code() != care.CodeValidation {
				t.Errorf("a bad cursor: %d %s", res.status, res.body)
			}
		})

		r.doctorC.confirm(200, a, 1)
		r.doctorC.must(201, "POST", "/api/v1/records/"+c+"/amendments", map[string]any{"reason": "確認のうえ修正", "base_version": 1, "fields": map[string]any{"note": "修正"}})
		same("after confirming one and replacing another with the doctor's own version", ids(r.doctorC), b, e, d)

		var events int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &events, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = 'record.awaiting_confirmation' AND patient_id IN (?, ?)`,
				r.doctor.ID, r.patientID, other.ID)
		})
		if events < 2 {
			t.Errorf("%d audit events for the listed patients", events)
		}

		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-21", "scope": "calendar_shared"})
		same("under a consent without chart sharing", ids(r.doctorC), b, e)
		cNurseC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.doctor.ID, nil)
		same("after leaving the first patient's team", ids(r.doctorC), e)
	})
}
