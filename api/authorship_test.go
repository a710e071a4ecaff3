package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// clinicStaff adds a nurse and a clerk of the doctor's clinic to the
// region's team, signed in.
func (h *harness) clinicStaff(r *region) (nurse store.User, nurseC *client, clerk store.User, clerkC *client) {
	h.t.Helper()
	nurse = h.mustUser(r.clinic, care.ProfNurse)
	clerk = h.mustUser(r.clinic, care.ProfOther)
	for _, m := range []struct {
		u    store.User
		role string
	}{{nurse, "visiting_nurse"}, {clerk, "other"}} {
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": m.u.ID, "role": m.role})
	}
	return nurse, h.signIn(nurse), clerk, h.signIn(clerk)
}

func (c *client) confirm(want int, recordID string, version int64) response {
	c.h.t.Helper()
	return c.must(want, "POST", "/api/v1/records/"+recordID+"/confirm", map[string]any{"version": version})
}

// TestEnteredOnBehalfAndConfirmed: a clinic nurse enters the doctor's note
// for the doctor (代行入力); the record is the doctor's, the version says
// who entered it, and only the doctor confirms it — the current version,
// once.
func TestEnteredOnBehalfAndConfirmed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		cNurse, cNurseC, _, _ := h.clinicStaff(r)
		path := "/api/v1/patients/" + r.patientID + "/records"
		body := map[string]any{"id": newID(), "kind": "doctor_note", "occurred_at": "2026-11-20T10:00:00+09:00",
			"fields": map[string]any{"instruction": "点滴 500mL/日 継続"}, "on_behalf_of": r.doctor.ID}
		nurseUnread, doctorUnread := unreadOf(t, cNurseC, r.patientID), unreadOf(t, r.doctorC, r.patientID)
		first := cNurseC.must(201, "POST", path, body)
		var rec recordJSON
		first.json(t, &rec)
		if rec.AuthorID != r.doctor.ID || rec.AuthorProfession != "doctor" || rec.EnteredBy != cNurse.ID || !rec.AwaitingConfirmation || rec.ConfirmedBy != "" {
			t.Fatalf("entered on behalf: %s", first.body)
		}
		if v := rec.Versions[0]; v.EnteredBy != cNurse.ID || !v.NeedsConfirmation || v.ConfirmedBy != "" || v.ConfirmedAt != nil {
			t.Fatalf("version 1: %+v", v)
		}
		t.Run("what she entered is not unread for the one who entered it", func(t *testing.T) {
			if n := unreadOf(t, cNurseC, r.patientID); n != nurseUnread {
				t.Fatalf("the clinic nurse has %d unread after entering the doctor's note, %d before", n, nurseUnread)
			}
			if n := unreadOf(t, r.doctorC, r.patientID); n != doctorUnread+1 {
				t.Fatalf("the doctor, whose note it is but who did not write it, has %d unread, %d before", n, doctorUnread)
			}
		})
		t.Run("a retry answers the same", func(t *testing.T) {
			if again := cNurseC.must(200, "POST", path, body); again.body != first.body {
				t.Fatalf("retry answered differently:\n%s\n%s", first.body, again.body)
			}
			// The doctor sending the same id and body is another request.
			r.doctorC.must(409, "POST", path, body)
		})

		t.Run("only the author confirms", func(t *testing.T) {
			if res := cNurseC.confirm(403, rec.ID, 1); res.code() != care.CodeConfirmNotAllowed {
				t.Errorf("the one who entered it: %s", res.body)
			}
			if res := r.nurseC.confirm(403, rec.ID, 1); res.code() != care.CodeConfirmNotAllowed {
				t.Errorf("another clinician: %s", res.body)
			}
			if res := r.helperC.confirm(403, rec.ID, 1); res.code() != care.CodeChartForbidden {
				t.Errorf("a non-clinical member: %s", res.body)
			}
			h.signIn(r.outsider).confirm(404, rec.ID, 1)
		})

		// What a page shows of the record, found by id (the record cache
		// holds it from the first read on; the confirmation must show).
		entry := func(t *testing.T) recordJSON {
			t.Helper()
			var page timelineJSON
			r.nurseC.must(200, "GET", path, nil).json(t, &page)
			for _, x := range page.Records {
				if x.ID == rec.ID {
					return x
				}
			}
			t.Fatalf("record %s not in the timeline", rec.ID)
			return recordJSON{}
		}
		if x := entry(t); !x.AwaitingConfirmation || x.ConfirmedAt != nil {
			t.Fatalf("timeline entry before the confirmation %+v", x)
		}
		var start struct{ Cursor string }
		r.nurseC.must(200, "GET", "/api/v1/sync/pull", nil).json(t, &start)

		h.clock.Advance(10 * time.Minute) // within the session's idle timeout
		var confirmed recordJSON
		r.doctorC.confirm(200, rec.ID, 1).json(t, &confirmed)
		at := h.clock.Now()
		if confirmed.ConfirmedBy != r.doctor.ID || confirmed.ConfirmedAt == nil || !confirmed.ConfirmedAt.Equal(at) || confirmed.AwaitingConfirmation {
			t.Fatalf("confirmed: %+v", confirmed)
		}
		if v := confirmed.Versions[0]; v.ConfirmedBy != r.doctor.ID || v.ConfirmedByName == "" || v.ConfirmedAt == nil || !v.ConfirmedAt.Equal(at) || v.EnteredBy != cNurse.ID {
			t.Fatalf("version 1 after confirmation: %+v", v)
		}

		t.Run("confirming again changes nothing", func(t *testing.T) {
			h.clock.Advance(time.Minute)
			var again recordJSON
			r.doctorC.confirm(200, rec.ID, 1).json(t, &again)
			if !again.ConfirmedAt.Equal(at) {
				t.Fatalf("confirmed_at moved to %v", again.ConfirmedAt)
			}
		})

		t.Run("the timeline and a pull show who entered and who confirmed", func(t *testing.T) {
			if x := entry(t); x.EnteredBy != cNurse.ID || x.ConfirmedBy != r.doctor.ID || x.ConfirmedAt == nil || !x.ConfirmedAt.Equal(at) || x.AwaitingConfirmation {
				t.Fatalf("timeline entry %+v", x)
			}
			var pulled struct {
				Changes []struct {
					Entity, ID string
					Data       recordJSON
				}
			}
			r.nurseC.must(200, "GET", "/api/v1/sync/pull?cursor="+start.Cursor, nil).json(t, &pulled)
			n := 0
			for _, c := range pulled.Changes {
				if c.Entity == "record" && c.ID == rec.ID {
					n++
					if c.Data.ConfirmedBy != r.doctor.ID || c.Data.ConfirmedAt == nil || !c.Data.ConfirmedAt.Equal(at) || c.Data.AwaitingConfirmation {
						t.Fatalf("pulled %+v", c.Data)
					}
				}
			}
			if n != 1 {
				t.Fatalf("the confirmation reached a pull %d times, want once", n)
			}
		})

		t.Run("an amendment by someone else awaits the author again; a replaced version is a conflict", func(t *testing.T) {
			amend := func(c *client, base int64, text string) recordJSON {
				var out recordJSON
				c.must(201, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"reason": "指示変更", "base_version": base,
					"fields": map[string]any{"instruction": text}}).json(t, &out)
				return out
			}
			v2 := amend(cNurseC, 1, "点滴 1000mL/日")
			if !v2.AwaitingConfirmation || !v2.Versions[1].NeedsConfirmation || v2.Versions[0].ConfirmedBy != r.doctor.ID {
				t.Fatalf("v2 %+v", v2)
			}
			if x := entry(t); x.Version != 2 || !x.AwaitingConfirmation || x.ConfirmedAt != nil || x.ConfirmedBy != "" {
				t.Fatalf("timeline entry of v2 %+v", x)
			}
			amend(cNurseC, 2, "点滴 750mL/日")
			res := r.doctorC.confirm(409, rec.ID, 2)
			var p struct {
				Code    string     `json:"code"`
				Current recordJSON `json:"current"`
			}
			res.json(t, &p)
			if p.Code != care.CodeConflict || p.Current.Version != 3 || !p.Current.AwaitingConfirmation || p.Current.Versions[1].ConfirmedBy != "" {
				t.Fatalf("stale confirmation: %s", res.body)
			}
			var v3 recordJSON
			r.doctorC.confirm(200, rec.ID, 3).json(t, &v3)
			if v3.ConfirmedBy != r.doctor.ID || v3.Versions[1].ConfirmedBy != "" {
				t.Fatalf("v3 %+v", v3)
			}
			// The author's own version needs no confirmation.
			v4 := amend(r.doctorC, 3, "点滴 中止")
			if v4.AwaitingConfirmation || v4.Versions[3].NeedsConfirmation {
				t.Fatalf("v4 %+v", v4)
			}
			if res := r.doctorC.confirm(409, rec.ID, 4); res.code() != care.CodeConfirmNotRequired {
				t.Errorf("own version: %s", res.body)
			}
			if f := problemField(t, r.doctorC.confirm(422, rec.ID, 9)); f != "body.version" {
				t.Errorf("unknown version names %q", f)
			}
		})

		t.Run("who may be entered for", func(t *testing.T) {
			cases := []struct {
				name, kind, onBehalf string
			}{
				{"a clinician of another facility", "doctor_note", r.nurse.ID},
				{"a member without chart rights, for a chart kind", "doctor_note", r.helper.ID},
				{"someone off the team", "note", r.outsider.ID},
				{"an unknown user", "note", newID()},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					res := cNurseC.must(422, "POST", path, map[string]any{"id": newID(), "kind": c.kind, "occurred_at": "2026-11-20T10:00:00Z",
						"text": "代行", "fields": map[string]any{}, "on_behalf_of": c.onBehalf})
					if res.code() != care.CodeOnBehalfNotAllowed || problemField(t, res) != "body.on_behalf_of" {
						t.Fatalf("%s", res.body)
					}
				})
			}
			own := cNurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "自分の記録", "on_behalf_of": cNurse.ID})
			if own.AuthorID != cNurse.ID || own.AwaitingConfirmation {
				t.Errorf("entering for oneself is plain entering: %+v", own)
			}
		})
	})
}

// TestClerkEntersSharedKindsOnly: a non-clinical clerk may enter a shared
// kind for the doctor, never chart content (their own level still counts).
func TestClerkEntersSharedKindsOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		_, _, clerk, clerkC := h.clinicStaff(r)
		if res := clerkC.must(403, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "doctor_note",
			"occurred_at": "2026-11-20T10:00:00Z", "fields": map[string]any{"note": "x"}, "on_behalf_of": r.doctor.ID}); res.code() != care.CodeChartForbidden {
			t.Fatalf("clerk entering a doctor's note: %s", res.body)
		}
		note := clerkC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "電話連絡あり（代行入力）", "on_behalf_of": r.doctor.ID})
		if note.AuthorID != r.doctor.ID || note.EnteredBy != clerk.ID || !note.AwaitingConfirmation {
			t.Fatalf("%+v", note)
		}
		var done recordJSON
		r.doctorC.confirm(200, note.ID, 1).json(t, &done)
		if done.ConfirmedBy != r.doctor.ID {
			t.Fatalf("%+v", done)
		}
	})
}

// TestConfirmationTravels: the confirmation is audited in its own
// transaction's event, pulled by the team as a record change, and can be
// pushed offline as the mutation record.confirm.
func TestConfirmationTravels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		_, cNurseC, _, _ := h.clinicStaff(r)
		enter := func() recordJSON {
			return cNurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "fields": map[string]any{"note": "所見"}, "on_behalf_of": r.doctor.ID})
		}
		a, b := enter(), enter()
		_, cursor := cNurseC.syncFromEmpty()

		device := newID()
		ans := r.doctorC.push(device, []mutation{
			{ID: newID(), Seq: 1, Type: "record.confirm", Args: map[string]any{"record_id": a.ID, "version": 1}},
			{ID: newID(), Seq: 2, Type: "record.confirm", Args: map[string]any{"record_id": b.ID, "version": 2}},
		})
		var applied, current recordJSON
		if ans.Results[0].Status != "applied" || json.Unmarshal(ans.Results[0].Entity, &applied) != nil || applied.ConfirmedBy != r.doctor.ID {
			t.Fatalf("confirm mutation: %+v", ans.Results[0])
		}
		if ans.Results[1].Status != "rejected" || ans.Results[1].Problem == nil || ans.Results[1].Problem.Code != care.CodeValidation {
			t.Fatalf("confirming a version that does not exist: %+v", ans.Results[1])
		}
		// A replaced version: the app is answered with the current record.
		cNurseC.must(201, "POST", "/api/v1/records/"+b.ID+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "text": "追記"})
		ans = r.doctorC.push(device, []mutation{{ID: newID(), Seq: 3, Type: "record.confirm", Args: map[string]any{"record_id": b.ID, "version": 1}}})
		if ans.Results[0].Status != "conflict" || json.Unmarshal(ans.Results[0].Entity, &current) != nil || current.Version != 2 {
			t.Fatalf("stale confirm mutation: %+v", ans.Results[0])
		}

		got, _ := cNurseC.pullAll(cursor, 100)
		found := false
		for _, c := range got.Changes {
			if c.Entity == "record" && c.ID == a.ID {
				var x recordJSON
				if err := json.Unmarshal(c.Data, &x); err != nil {
					t.Fatal(err)
				}
				found = x.ConfirmedBy == r.doctor.ID && x.ConfirmedAt != nil && !x.AwaitingConfirmation && x.EnteredBy != r.doctor.ID
			}
		}
		if !found {
			t.Errorf("the confirmation did not reach the team's pull: %+v", got.Changes)
		}

		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = 'record.confirm' AND result = 'ok' AND resource_id = ?`, r.doctor.ID, a.ID)
		})
		if n != 1 {
			t.Errorf("%d record.confirm audit events, want 1", n)
		}
	})
}
