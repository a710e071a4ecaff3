package api_test

// The security review of staff messages (スタッフ連絡), attacked as an
// outsider and as insiders would: threads one does not take part in,
// guessed thread ids, a colleague who left the facility, photos carried
// across threads or between a patient's chart and a staff thread, the
// notifications, bad input, and the audit. Each test is one line of
// attack; a hole found is fixed in the code and its test keeps it shut,
// the attacks that held stay as tests.

import (
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

const staffCanary = "カナリア スタッフ連絡の本文"

// staffAudits counts audit events of actor with action and result.
func staffAudits(t *testing.T, h *harness, actor, action, result string) int {
	t.Helper()
	var n int
	if err := h.db.SQL().Get(&n, h.db.SQL().Rebind(`SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = ? AND result = ?`),
		actor, action, result); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAttackSessionStaffAudited: every read and write of a staff thread
// leaves an audit event, the move of a read position included (it records
// that the account read the thread's messages up to there).
func TestAttackSessionStaffAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		m := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "処方の件で相談があります"})
		r.doctorC.staffPage(t, m.ThreadID, "")
		r.doctorC.must(200, "POST", "/api/v1/staff/threads/"+m.ThreadID+"/read", map[string]any{"up_to": m.ID})
		for _, want := range []struct{ actor, action string }{
			{r.nurse.ID, "staff_message.create"},
			{r.doctor.ID, "staff_message.list"},
			{r.doctor.ID, "staff_thread.read"},
		} {
			if staffAudits(t, h, want.actor, want.action, "ok") == 0 {
				t.Errorf("no audit event %+v", want)
			}
		}
		var patient int
		if err := h.db.SQL().Get(&patient, `SELECT COUNT(*) FROM audit_event WHERE action LIKE 'staff_%' AND patient_id <> ''`); err != nil || patient != 0 {
			t.Errorf("staff audit events naming a patient: %d %v", patient, err)
		}
	})
}

// TestAttackSessionStaffGuessedThreads: a thread the caller does not take
// part in answers exactly like an id that names nothing, whatever the id
// names (another pair's thread, another facility, a patient, a user, a
// message, nothing), for reading, paging and marking; and the ids inside
// a request (before, up_to) of another thread answer like unknown ones.
func TestAttackSessionStaffGuessedThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		pair := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": staffCanary})
		group := r.helperC.staffPost(t, map[string]any{"facility_id": r.service, "text": "事業所内の連絡"})
		mine := h.signIn(r.outsider).staffPost(t, map[string]any{"to_user_id": r.helper.ID, "text": "はじめまして"})
		outsiderC := h.signIn(r.outsider)
		var shapes []string
		for name, id := range map[string]string{
			"another pair's thread":      pair.ThreadID,
			"another facility's thread":  r.service,
			"a facility without thread":  r.clinic,
			"a patient":                  r.patientID,
			"a user":                     r.nurse.ID,
			"a message as thread":        pair.ID,
			"nothing":                    newID(),
			"another facility's message": group.ID,
		} {
			for _, res := range []response{
				outsiderC.do("GET", "/api/v1/staff/threads/"+id+"/messages", nil),
				outsiderC.do("GET", "/api/v1/staff/threads/"+id+"/messages?before="+pair.ID, nil),
				outsiderC.do("POST", "/api/v1/staff/threads/"+id+"/read", map[string]any{"up_to": pair.ID}),
			} {
				wantRefused(t, name, res, 404, care.CodeNotFound)
				if strings.Contains(res.body, staffCanary) || strings.Contains(res.body, r.nurse.ID) {
					t.Errorf("%s: the refusal shows the thread: %s", name, res.body)
				}
				shapes = append(shapes, problemShape(t, res.body))
			}
		}
		for _, s := range shapes[1:] {
			if s != shapes[0] {
				t.Errorf("refusals differ: %s / %s", s, shapes[0])
			}
		}
		// In the outsider's own thread: another thread's message as a page
		// start or read position is the same 422 as an unknown id.
		var own []string
		for _, id := range []string{pair.ID, newID()} {
			for _, res := range []response{
				outsiderC.do("GET", "/api/v1/staff/threads/"+mine.ThreadID+"/messages?before="+id, nil),
				outsiderC.do("POST", "/api/v1/staff/threads/"+mine.ThreadID+"/read", map[string]any{"up_to": id}),
			} {
				if res.status != 422 {
					t.Errorf("another thread's message in mine: %d %s", res.status, res.body)
				}
				own = append(own, problemShape(t, res.body))
			}
		}
		if own[0] != own[2] || own[1] != own[3] {
			t.Errorf("another thread's message and an unknown id answer differently: %v", own)
		}
		// A message id of the pair replayed by a third account: 409 without
		// the message, and the pair's thread is untouched.
		res := outsiderC.do("POST", "/api/v1/staff/messages", map[string]any{"id": pair.ID, "to_user_id": r.doctor.ID, "text": staffCanary})
		if res.status != 409 || strings.Contains(res.body, pair.ThreadID) {
			t.Errorf("a third account replays the pair's message: %d %s", res.status, res.body)
		}
		if p := r.doctorC.staffPage(t, pair.ThreadID, ""); len(p.Items) != 1 {
			t.Errorf("the pair's thread after the replay: %+v", p.Items)
		}
	})
}

// TestAttackSessionStaffLeaver: a colleague who leaves the facility loses
// its thread at once by every path: the page, marking, posting, a retry of
// their own message, the photo they posted there; and a suspended account
// reads nothing of its pairs.
func TestAttackSessionStaffLeaver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		leaver := h.mustUser(r.station, care.ProfNurse)
		leaverC := h.signIn(leaver)
		photo := newID()
		if res := leaverC.raw("PUT", "/api/v1/staff/attachments/"+photo, "image/jpeg", accessPhoto); res.status != 201 {
			t.Fatalf("upload: %d %s", res.status, res.body)
		}
		body := map[string]any{"id": newID(), "facility_id": r.station, "text": "退職前の申し送り", "staff_attachment_ids": []string{photo}}
		m := leaverC.staffPost(t, body)
		later := r.nurseC.staffPost(t, map[string]any{"facility_id": r.station, "text": staffCanary})
		leaverC.must(200, "GET", "/api/v1/staff/attachments/"+photo, nil)

		mustExec(t, h, `UPDATE app_user SET facility_id = ? WHERE id = ?`, r.other, leaver.ID)
		for name, res := range map[string]response{
			"page":     leaverC.do("GET", "/api/v1/staff/threads/"+r.station+"/messages", nil),
			"mark":     leaverC.do("POST", "/api/v1/staff/threads/"+r.station+"/read", map[string]any{"up_to": later.ID}),
			"post":     leaverC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station, "text": "x"}),
			"photo":    leaverC.do("GET", "/api/v1/staff/attachments/"+photo, nil),
			"thumb":    leaverC.do("GET", "/api/v1/staff/attachments/"+photo+"/thumbnail", nil),
			"re-put":   leaverC.raw("PUT", "/api/v1/staff/attachments/"+photo, "image/jpeg", accessPhoto),
			"own id":   leaverC.do("POST", "/api/v1/staff/messages", body),
			"own id 2": leaverC.do("POST", "/api/v1/staff/messages", map[string]any{"id": m.ID, "facility_id": r.other, "text": "退職前の申し送り", "staff_attachment_ids": []string{photo}}),
		} {
			if res.status < 400 || res.status >= 500 || strings.Contains(res.body, staffCanary) {
				t.Errorf("leaver %s: %d %s", name, res.status, res.body)
			}
		}
		if ts := leaverC.staffThreads(t); ts.Unread != 0 {
			t.Errorf("the leaver still counts the station's messages: %+v", ts)
		}
		for _, th := range leaverC.staffThreads(t).Items {
			if th.ID == r.station {
				t.Errorf("the leaver lists the station's thread: %+v", th)
			}
		}
		// The station's staff still read the photo.
		r.nurseC.must(200, "GET", "/api/v1/staff/attachments/"+photo, nil)

		// A suspended account: nothing.
		pair := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": staffCanary})
		h.setStatus(r.doctor.ID, care.StatusSuspended)
		if res := r.doctorC.do("GET", "/api/v1/staff/threads/"+pair.ThreadID+"/messages", nil); res.status != 401 || strings.Contains(res.body, staffCanary) {
			t.Errorf("suspended reads the pair: %d %s", res.status, res.body)
		}
	})
}

// TestAttackSessionStaffPhotosStayPut: a patient's photo never enters a
// staff thread, a staff photo is never a patient's attachment, another
// account's upload is never cited, and a photo cited in one thread never
// moves to another.
func TestAttackSessionStaffPhotosStayPut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		chart := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "創部", "attachment_ids": []string{chart}})
		post := func(c *client, to string, atts ...string) response {
			return c.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": to, "text": "写真", "staff_attachment_ids": atts})
		}
		// The chart photo's id, by its uploader, to the care worker.
		if res := post(r.nurseC, r.helper.ID, chart); res.status != 422 {
			t.Errorf("a chart photo into a staff thread: %d %s", res.status, res.body)
		}
		if res := r.helperC.do("GET", "/api/v1/staff/attachments/"+chart, nil); res.status != 404 {
			t.Errorf("the chart photo as a staff attachment: %d %s", res.status, res.body)
		}
		// A staff photo by its id as the patient's attachment.
		staff := newID()
		if res := r.nurseC.raw("PUT", "/api/v1/staff/attachments/"+staff, "image/jpeg", accessPhoto); res.status != 201 {
			t.Fatalf("staff upload: %d %s", res.status, res.body)
		}
		if res := r.nurseC.do("GET", "/api/v1/attachments/"+staff, nil); res.status != 404 {
			t.Errorf("a staff photo as a patient's attachment: %d %s", res.status, res.body)
		}
		if res := r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "text": "x",
			"occurred_at": h.clock.Now().Add(-60e9), "attachment_ids": []string{staff}}); res.status != 422 {
			t.Errorf("a record cites a staff photo: %d %s", res.status, res.body)
		}
		// Another account's upload is not the doctor's to cite.
		if res := post(r.doctorC, r.helper.ID, staff); res.status != 422 {
			t.Errorf("the doctor cites the nurse's upload: %d %s", res.status, res.body)
		}
		// Cited to the doctor, it stays in that thread.
		m := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "写真", "staff_attachment_ids": []string{staff}})
		for name, res := range map[string]response{
			"to the care worker":  post(r.nurseC, r.helper.ID, staff),
			"to the station":      r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station, "text": "写真", "staff_attachment_ids": []string{staff}}),
			"by the doctor again": post(r.doctorC, r.nurse.ID, staff),
		} {
			if res.status != 422 {
				t.Errorf("a cited photo %s: %d %s", name, res.status, res.body)
			}
		}
		r.doctorC.must(200, "GET", "/api/v1/staff/attachments/"+staff, nil)
		for name, res := range map[string]response{
			"care worker reads": r.helperC.do("GET", "/api/v1/staff/attachments/"+staff, nil),
			"care worker thumb": r.helperC.do("GET", "/api/v1/staff/attachments/"+staff+"/thumbnail", nil),
			"care worker puts":  r.helperC.raw("PUT", "/api/v1/staff/attachments/"+staff, "image/jpeg", accessPhoto),
		} {
			if res.status != 404 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if p := r.doctorC.staffPage(t, m.ThreadID, ""); len(p.Items) != 1 || len(p.Items[0].AttachmentIDs) != 1 {
			t.Errorf("the pair's thread: %+v", p.Items)
		}
	})
}

// TestAttackSessionStaffBadInput: a bad staff message is a 422 problem
// naming the field without echoing it, never a 5xx, and writes nothing.
func TestAttackSessionStaffBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		const secret = "ひみつ"
		seven := []string{newID(), newID(), newID(), newID(), newID(), newID(), newID()}
		for name, b := range map[string]map[string]any{
			"both recipients":   {"to_user_id": r.doctor.ID, "facility_id": r.station, "text": "x"},
			"no recipient":      {"text": "x"},
			"to self":           {"to_user_id": r.nurse.ID, "text": "x"},
			"to no one":         {"to_user_id": newID(), "text": "x"},
			"to a patient":      {"to_user_id": r.patientID, "text": "x"},
			"blank":             {"to_user_id": r.doctor.ID, "text": " \n "},
			"NUL":               {"to_user_id": r.doctor.ID, "text": secret + "\x00"},
			"bidi":              {"to_user_id": r.doctor.ID, "text": secret + "\u202e"},
			"2001 characters":   {"to_user_id": r.doctor.ID, "text": strings.Repeat("あ", 2001)},
			"7 photos":          {"to_user_id": r.doctor.ID, "text": "x", "staff_attachment_ids": seven},
			"same photo twice":  {"to_user_id": r.doctor.ID, "text": "x", "staff_attachment_ids": []string{seven[0], seven[0]}},
			"photo not an id":   {"to_user_id": r.doctor.ID, "text": "x", "staff_attachment_ids": []string{secret}},
			"unknown photo":     {"to_user_id": r.doctor.ID, "text": "x", "staff_attachment_ids": []string{seven[0]}},
			"text not a string": {"to_user_id": r.doctor.ID, "text": 7},
			"id not an id":      {"id": secret, "to_user_id": r.doctor.ID, "text": "x"},
			"recipient not id":  {"to_user_id": secret, "text": "x"},
		} {
			if _, ok := b["id"]; !ok {
				b["id"] = newID()
			}
			res := r.nurseC.do("POST", "/api/v1/staff/messages", b)
			if res.status != 422 || strings.Contains(res.body, secret) {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		for name, path := range map[string]string{
			"limit 0":       "/api/v1/staff/threads/" + r.station + "/messages?limit=0",
			"limit 201":     "/api/v1/staff/threads/" + r.station + "/messages?limit=201",
			"before non-id": "/api/v1/staff/threads/" + r.station + "/messages?before=" + secret,
		} {
			if res := r.nurseC.do("GET", path, nil); res.status != 422 || strings.Contains(res.body, secret) {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if res := r.nurseC.raw("PUT", "/api/v1/staff/attachments/"+newID(), "image/jpeg", []byte("not an image "+secret)); res.status < 400 || res.status >= 500 || strings.Contains(res.body, secret) {
			t.Errorf("a non-image upload: %d %s", res.status, res.body)
		}
		var n int
		if err := h.db.SQL().Get(&n, `SELECT COUNT(*) FROM staff_message`); err != nil || n != 0 {
			t.Errorf("bad input wrote %d staff messages (%v)", n, err)
		}
	})
}
