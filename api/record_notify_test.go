package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// expectRecordPush checks that exactly the pushes in want ("member:type",
// type record or confirm) were queued about record recordID, sends them,
// decrypts them at the receiver and checks each payload: opaque ids, the
// generic text of its type, the patient's topic for a new record and the
// confirmation topic (and tag) for a confirmation, nothing of the patient
// or of the record's text.
func (p *pushRig) expectRecordPush(t *testing.T, step, recordID string, want ...string) {
	t.Helper()
	got := p.deliver(t, step, want)
	var names []string
	for _, d := range got {
		text := string(d.Plaintext)
		if strings.Contains(text, "カナリア") || strings.Contains(text, "見本") || strings.Contains(text, "褥瘡") {
			t.Fatalf("%s: payload carries patient details: %s", step, text)
		}
		var pl struct {
			Type      string `json:"type"`
			PatientID string `json:"patient_id"`
			RecordID  string `json:"record_id"`
			VisitID   string `json:"visit_id"`
			Title     string `json:"title"`
			Body      string `json:"body"`
			Tag       string `json:"tag"`
		}
		if err := json.Unmarshal(d.Plaintext, &pl); err != nil {
			t.Fatal(err)
		}
		if pl.PatientID != p.r.patientID || pl.RecordID != recordID || pl.VisitID != "" || pl.Title != "つなぐ" {
			t.Fatalf("%s: payload %s", step, text)
		}
		switch pl.Type {
		case "record":
			if pl.Body != "新しい記録があります" || pl.Tag != "" || d.Topic != testTopics.For(p.r.patientID) {
				t.Fatalf("%s: record push %s, topic %q", step, text, d.Topic)
			}
		case "confirm":
			if pl.Body != "確定待ちの記録があります" || pl.Tag != notify.ConfirmTag(p.r.patientID) || d.Topic != testTopics.ConfirmFor(p.r.patientID) ||
				d.Topic == testTopics.For(p.r.patientID) {
				t.Fatalf("%s: confirmation push %s, topic %q", step, text, d.Topic)
			}
		default:
			t.Fatalf("%s: payload type %q", step, pl.Type)
		}
		names = append(names, p.who[d.Endpoint]+":"+pl.Type)
	}
	slices.Sort(names)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("%s: pushed %v, want %v", step, names, want)
	}
}

// listedUnread is c's unread count of patient patientID, which must be
// listed.
func listedUnread(t *testing.T, c *client, patientID string) int {
	t.Helper()
	n, listed := unreadCount(t, c, patientID)
	if !listed {
		t.Fatalf("patient %s missing from /me/unread", patientID)
	}
	return n
}

// unreadOf is c's unread count of patient patientID (0 when not listed).
func unreadOf(t *testing.T, c *client, patientID string) int {
	t.Helper()
	n, _ := unreadCount(t, c, patientID)
	return n
}

// unreadCount reads GET /me/unread: c's count of patientID, and whether the
// patient was listed.
func unreadCount(t *testing.T, c *client, patientID string) (int, bool) {
	t.Helper()
	var out struct {
		Patients []struct {
			PatientID string `json:"patient_id"`
			Unread    int    `json:"unread"`
		} `json:"patients"`
	}
	c.must(200, "GET", "/api/v1/me/unread", nil).json(t, &out)
	for _, p := range out.Patients {
		if p.PatientID == patientID {
			return p.Unread, true
		}
	}
	return 0, false
}

func setDisclosure(t *testing.T, h *harness, facilityID, disclosure string) {
	t.Helper()
	if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = ? WHERE id = ?`), disclosure, facilityID); err != nil {
		t.Fatal(err)
	}
}

// TestRecordPushReachesItsReadersOnly: a record is pushed to the members
// who can open it and to no one else. A chart record reaches the doctor
// and the nurses but not the care worker or the care manager; a shared
// note reaches them all; once the nurses' station discloses shared_only,
// its chart records reach its own staff only, its notes still everyone.
// The author is never pushed. After every write each member's unread
// badge has grown by exactly the pushes they got.
func TestRecordPushReachesItsReadersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		p := newPushRig(t, engine)
		r, h := p.r, p.h
		colleague := h.mustUser(r.station, care.ProfNurse)
		manager := h.mustUser(r.service, care.ProfCareManager)
		for _, m := range []struct {
			u    store.User
			role string
		}{{colleague, "visiting_nurse"}, {manager, "care_manager"}} {
			r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": m.u.ID, "role": m.role})
		}
		members := map[string]*client{"doctor": r.doctorC, "nurse": r.nurseC, "helper": r.helperC, "colleague": h.signIn(colleague), "manager": h.signIn(manager)}
		for name, c := range members {
			p.subscribe(name, c)
		}
		write := func(step string, by *client, body map[string]any, want ...string) string {
			t.Helper()
			before := map[string]int{}
			for name, c := range members {
				before[name] = unreadOf(t, c, r.patientID)
			}
			rec := by.mustCreateRecord(t, r.patientID, body)
			p.expectRecordPush(t, step, rec.ID, want...)
			for name, c := range members {
				grew := 0
				if slices.Contains(want, name+":record") {
					grew = 1
				}
				if got := unreadOf(t, c, r.patientID) - before[name]; got != grew {
					t.Errorf("%s: %s's unread grew by %d, want %d", step, name, got, grew)
				}
			}
			return rec.ID
		}

		write("a nursing visit", r.nurseC, map[string]any{"kind": "nursing_visit", "text": canaryName + " 褥瘡処置", "vitals": map[string]any{"spo2": 96}},
			"doctor:record", "colleague:record")
		write("a doctor's note", r.doctorC, map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "様子観察"}},
			"nurse:record", "colleague:record")
		write("a note", r.nurseC, map[string]any{"kind": "note", "text": "次回は午後"},
			"doctor:record", "colleague:record", "helper:record", "manager:record")
		write("a care worker's note", r.helperC, map[string]any{"kind": "note", "text": "食欲あり"},
			"doctor:record", "nurse:record", "colleague:record", "manager:record")

		setDisclosure(t, h, r.station, care.DisclosureSharedOnly)
		write("shared_only: the station's nursing visit", r.nurseC, map[string]any{"kind": "nursing_visit", "text": "褥瘡処置"},
			"colleague:record")
		write("shared_only: the station's care note", r.nurseC, map[string]any{"kind": "care_note", "fields": map[string]any{"coordination": "訪問日変更"}},
			"doctor:record", "colleague:record", "helper:record", "manager:record")
		write("shared_only: the clinic's note is still disclosed", r.doctorC, map[string]any{"kind": "doctor_note", "fields": map[string]any{"note": "所見"}},
			"nurse:record", "colleague:record")

		// An amendment by the author and a read receipt push nothing.
		r.nurseC.must(201, "POST", "/api/v1/records/"+r.recordID+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "text": "追記"})
		members["colleague"].must(200, "POST", "/api/v1/records/"+r.recordID+"/read", nil)
		p.expectRecordPush(t, "amendment by the author, read receipt", r.recordID)
	})
}

// hintRecorder is a Broadcaster that keeps every hint sent.
type hintRecorder struct {
	mu    sync.Mutex
	hints []notify.Hint
}

func (b *hintRecorder) Broadcast(_ context.Context, h notify.Hint) error {
	b.mu.Lock()
	b.hints = append(b.hints, h)
	b.mu.Unlock()
	return nil
}

func (b *hintRecorder) Run(ctx context.Context, _ func(notify.Hint)) error {
	<-ctx.Done()
	return ctx.Err()
}

// take returns the users hinted since the last take, sorted.
func (b *hintRecorder) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var users []string
	for _, h := range b.hints {
		users = append(users, h.UserIDs...)
	}
	b.hints = nil
	slices.Sort(users)
	return slices.Compact(users)
}

// TestRecordHintsReachItsReadersOnly: the "pull now" hint of a record's
// change goes to the members who read it, the same as its push (and the
// author and whoever entered it, who read it too): a care worker's app
// is not woken for a chart record it will never receive, nor another
// facility's for a chart record of a station that discloses shared_only.
// Other changes of the patient still wake the whole team.
func TestRecordHintsReachItsReadersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		rec := &hintRecorder{}
		h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) { d.Hints = rec })
		r := h.mustRegion()
		rec.take()
		ids := func(us ...store.User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			slices.Sort(out)
			return out
		}
		check := func(step string, want []string) {
			t.Helper()
			if got := rec.take(); !slices.Equal(got, want) {
				t.Errorf("%s: hinted %v, want %v", step, got, want)
			}
		}
		clinical, team := ids(r.doctor, r.nurse), ids(r.doctor, r.nurse, r.helper)
		chart := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "訪問"})
		check("a chart record", clinical)
		r.doctorC.must(201, "POST", "/api/v1/records/"+chart.ID+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "text": "追記"})
		check("its amendment", clinical)
		r.doctorC.must(200, "POST", "/api/v1/records/"+chart.ID+"/read", nil)
		check("its first read receipt", clinical)
		r.nurseC.confirm(200, chart.ID, 2)
		check("its confirmation", clinical)
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "メモ"})
		check("a note", team)

		setDisclosure(t, h, r.station, care.DisclosureSharedOnly)
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "訪問"})
		check("shared_only: the station's chart record", ids(r.nurse))
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "fields": map[string]any{"coordination": "調整"}})
		check("shared_only: the station's care note", team)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"})
		check("a visit", team)
	})
}

// TestProxyEntryAsksTheAuthorToConfirm: a record entered on the doctor's
// behalf (代行入力) tells the doctor, with its own generic text and topic,
// that it awaits their confirmation; the one who entered it hears
// nothing; the rest of those who read it hear of a new record as usual.
// An amendment of the doctor's record by another clinician asks again,
// the doctor's own amendment and the confirmation push nothing, and an
// author who has left the team is not told. Over HTTP and through sync
// push alike.
func TestProxyEntryAsksTheAuthorToConfirm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		p := newPushRig(t, engine)
		r, h := p.r, p.h
		_, cNurseC, _, clerkC := h.clinicStaff(r)
		for name, c := range map[string]*client{"doctor": r.doctorC, "nurse": r.nurseC, "helper": r.helperC, "cnurse": cNurseC, "clerk": clerkC} {
			p.subscribe(name, c)
		}
		path := "/api/v1/patients/" + r.patientID + "/records"
		body := map[string]any{"id": newID(), "kind": "doctor_note", "occurred_at": "2026-11-20T10:00:00+09:00",
			"fields": map[string]any{"instruction": canaryName + " 点滴継続"}, "on_behalf_of": r.doctor.ID}
		var note recordJSON
		cNurseC.must(201, "POST", path, body).json(t, &note)
		// Not the clerk (no chart rights), not the clinic nurse (entered it).
		p.expectRecordPush(t, "a doctor's note entered for the doctor", note.ID, "doctor:confirm", "nurse:record")
		cNurseC.must(200, "POST", path, body)
		p.expectRecordPush(t, "the same entry again", note.ID)

		shared := clerkC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "電話連絡あり", "on_behalf_of": r.doctor.ID})
		p.expectRecordPush(t, "a note the clerk entered for the doctor", shared.ID, "doctor:confirm", "nurse:record", "helper:record", "cnurse:record")

		amend := func(c *client, id string, base int64) {
			t.Helper()
			c.must(201, "POST", "/api/v1/records/"+id+"/amendments", map[string]any{"reason": "訂正", "base_version": base, "text": "訂正"})
		}
		amend(r.nurseC, note.ID, 1)
		p.expectRecordPush(t, "another clinician amends the doctor's note", note.ID, "doctor:confirm")
		r.doctorC.confirm(200, note.ID, 2)
		p.expectRecordPush(t, "the doctor confirms", note.ID)
		amend(r.doctorC, shared.ID, 1)
		p.expectRecordPush(t, "the doctor amends their own note", shared.ID)

		// The same through sync push, as the clinic nurse's iPad sends it
		// after an offline visit.
		offline := newID()
		res := cNurseC.push(newID(), []mutation{{ID: newID(), Seq: 1, Type: "record.create", Args: map[string]any{"patient_id": r.patientID,
			"id": offline, "kind": "doctor_note", "occurred_at": "2026-11-20T14:00:00+09:00", "fields": map[string]any{"instruction": "継続"},
			"on_behalf_of": r.doctor.ID}}})
		if res.Results[0].Status != "applied" {
			t.Fatalf("record.create: %+v", res.Results[0])
		}
		p.expectRecordPush(t, "entered for the doctor through sync push", offline, "doctor:confirm", "nurse:record")

		cNurseC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.doctor.ID, nil)
		amend(cNurseC, note.ID, 2)
		p.expectRecordPush(t, "an amendment after the doctor left the team", note.ID)
	})
}
