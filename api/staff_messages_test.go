package api_test

import (
	"context"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// The ids of the helper's photo and message in the care service's thread,
// which the access sweep's staff cases name.
const (
	staffAccessAttachment = "01900000-0000-7000-8000-00000000a5a1"
	staffAccessMessage    = "01900000-0000-7000-8000-00000000a5a2"
)

// staffAccessFixture has the helper upload a photo and post it to the
// care service's thread, once (again: the same answers, as retries).
func staffAccessFixture(r *region) {
	if res := r.helperC.raw("PUT", "/api/v1/staff/attachments/"+staffAccessAttachment, "image/jpeg", accessPhoto); res.status != 201 && res.status != 200 {
		r.helperC.h.t.Fatalf("staff fixture upload: %d %s", res.status, res.body)
	}
	body := map[string]any{"id": staffAccessMessage, "facility_id": r.service, "text": "写真です", "attachment_ids": []string{staffAccessAttachment}}
	if res := r.helperC.do("POST", "/api/v1/staff/messages", body); res.status != 201 && res.status != 200 {
		r.helperC.h.t.Fatalf("staff fixture message: %d %s", res.status, res.body)
	}
}

type staffThread struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	FacilityID  string `json:"facility_id"`
	OtherUserID string `json:"other_user_id"`
	OtherName   string `json:"other_name"`
	LastSeq     int64  `json:"last_seq"`
	ReadSeq     int64  `json:"read_seq"`
	Unread      int64  `json:"unread"`
}

type staffThreads struct {
	Items  []staffThread `json:"items"`
	Unread int64         `json:"unread"`
}

type staffMessage struct {
	ID            string   `json:"id"`
	ThreadID      string   `json:"thread_id"`
	Seq           int64    `json:"seq"`
	AuthorID      string   `json:"author_id"`
	Text          string   `json:"text"`
	AttachmentIDs []string `json:"attachment_ids"`
}

type staffPage struct {
	Thread staffThread    `json:"thread"`
	Items  []staffMessage `json:"items"`
	Next   string         `json:"next"`
}

func (c *client) staffThreads(t *testing.T) staffThreads {
	t.Helper()
	var out staffThreads
	c.must(200, "GET", "/api/v1/staff/threads", nil).json(t, &out)
	return out
}

func (c *client) staffPost(t *testing.T, body map[string]any) staffMessage {
	t.Helper()
	if body["id"] == nil {
		body["id"] = newID()
	}
	var m staffMessage
	c.must(201, "POST", "/api/v1/staff/messages", body).json(t, &m)
	return m
}

func (c *client) staffPage(t *testing.T, threadID, query string) staffPage {
	t.Helper()
	var p staffPage
	c.must(200, "GET", "/api/v1/staff/threads/"+threadID+"/messages"+query, nil).json(t, &p)
	return p
}

func threadOf(ts staffThreads, id string) (staffThread, bool) {
	for _, th := range ts.Items {
		if th.ID == id {
			return th, true
		}
	}
	return staffThread{}, false
}

// wantRefused checks a refusal's status and code.
func wantRefused(t *testing.T, what string, res response, status int, code string) {
	t.Helper()
	if res.status != status || res.code() != code {
		t.Errorf("%s: %d %s, want %d %s", what, res.status, res.body, status, code)
	}
}

// TestStaffDirectThread: a one-to-one thread is read by its two accounts
// only; the others get the 404 of an unknown thread, their refusals
// audited; unread counts and read positions follow who read what; a retry
// is answered once, another body under the id is 409.
func TestStaffDirectThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		outsiderC := h.signIn(r.outsider)
		unknown := outsiderC.must(404, "GET", "/api/v1/staff/threads/01900000-0000-7000-8000-000000000000/messages", nil)

		first := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "明日の往診の件でご相談です"})
		if first.Seq != 1 || first.AuthorID != r.nurse.ID {
			t.Fatalf("first message: %+v", first)
		}
		second := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "お手すきの際に"})
		if second.ThreadID != first.ThreadID || second.Seq != 2 {
			t.Fatalf("second message not in the same thread: %+v", second)
		}
		ts := r.doctorC.staffThreads(t)
		th, ok := threadOf(ts, first.ThreadID)
		if !ok || th.Kind != "direct" || th.OtherUserID != r.nurse.ID || th.Unread != 2 || ts.Unread != 2 {
			t.Fatalf("doctor's threads: %+v", ts)
		}
		// Reading: forward only.
		var read staffThread
		r.doctorC.must(200, "POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": first.ID}).json(t, &read)
		if read.ReadSeq != 1 || read.Unread != 1 {
			t.Fatalf("after reading the first: %+v", read)
		}
		r.doctorC.must(200, "POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": second.ID})
		r.doctorC.must(200, "POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": first.ID})
		if th, _ := threadOf(r.doctorC.staffThreads(t), first.ThreadID); th.Unread != 0 || th.ReadSeq != 2 {
			t.Fatalf("after reading: %+v", th)
		}
		// The doctor answers in the same thread, whoever wrote first; the
		// nurse has one unread.
		reply := r.doctorC.staffPost(t, map[string]any{"to_user_id": r.nurse.ID, "text": "承知しました"})
		if reply.ThreadID != first.ThreadID || reply.Seq != 3 {
			t.Fatalf("the reply: %+v", reply)
		}
		if th, _ := threadOf(r.nurseC.staffThreads(t), first.ThreadID); th.Unread != 1 || th.ReadSeq != 2 {
			t.Fatalf("the nurse's unread: %+v", th)
		}
		page := r.doctorC.staffPage(t, first.ThreadID, "")
		if len(page.Items) != 3 || page.Items[0].ID != reply.ID || page.Items[2].Text != "明日の往診の件でご相談です" {
			t.Fatalf("doctor's page: %+v", page)
		}
		// Paging: one per page, newest first.
		p1 := r.doctorC.staffPage(t, first.ThreadID, "?limit=1")
		p2 := r.doctorC.staffPage(t, first.ThreadID, "?limit=1&before="+p1.Next)
		if len(p1.Items) != 1 || p1.Items[0].ID != reply.ID || p1.Next != reply.ID || len(p2.Items) != 1 || p2.Items[0].ID != second.ID {
			t.Fatalf("pages: %+v then %+v", p1, p2)
		}

		// Anyone else: the same 404 as an unknown thread, for every operation.
		for _, c := range []*client{outsiderC, r.helperC} {
			for _, res := range []response{
				c.do("GET", "/api/v1/staff/threads/"+first.ThreadID+"/messages", nil),
				c.do("POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": first.ID}),
			} {
				if res.status != 404 || stripRequestID(res.body) != stripRequestID(unknown.body) {
					t.Errorf("%s reaches the pair's thread: %d %s", c.who, res.status, res.body)
				}
			}
			if _, ok := threadOf(c.staffThreads(t), first.ThreadID); ok {
				t.Errorf("%s lists the pair's thread", c.who)
			}
		}
		// Writing to the doctor puts the outsider in a thread of their own,
		// never the pair's; and the outsider cannot take a message's id.
		own := outsiderC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "はじめまして"})
		if own.ThreadID == first.ThreadID {
			t.Fatal("the outsider wrote into the pair's thread")
		}
		wantRefused(t, "another's message id", outsiderC.do("POST", "/api/v1/staff/messages", map[string]any{"id": first.ID, "to_user_id": r.doctor.ID,
			"text": "明日の往診の件でご相談です"}), 409, care.CodeIDTaken)
		if page := r.nurseC.staffPage(t, first.ThreadID, ""); len(page.Items) != 3 {
			t.Fatalf("the pair's thread changed: %+v", page.Items)
		}

		// A retry answers the stored message; another body under its id 409;
		// an id of another entity 409.
		var again staffMessage
		res := r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": first.ID, "to_user_id": r.doctor.ID, "text": "明日の往診の件でご相談です"})
		if res.status != 200 {
			t.Fatalf("retry: %d %s", res.status, res.body)
		}
		res.json(t, &again)
		if again.ID != first.ID || again.Seq != 1 {
			t.Fatalf("retry answer: %+v", again)
		}
		wantRefused(t, "another text under the id", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": first.ID, "to_user_id": r.doctor.ID, "text": "別文"}), 409, care.CodeIDTaken)
		wantRefused(t, "a record's id", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": r.recordID, "to_user_id": r.doctor.ID, "text": "x"}), 409, care.CodeIDTaken)

		// Ids in the body: the recipient, the read position and the page's
		// start are checked; none moves anything.
		wantRefused(t, "to oneself", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.nurse.ID, "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "to an unknown account", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": newID(), "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "to a patient's id", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.patientID, "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "both a person and a facility", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.doctor.ID, "facility_id": r.station, "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "neither", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "blank text", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.doctor.ID, "text": "   "}), 422, care.CodeValidation)
		wantRefused(t, "up_to of another thread", r.doctorC.do("POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": own.ID}), 422, care.CodeValidation)
		wantRefused(t, "up_to unknown", r.doctorC.do("POST", "/api/v1/staff/threads/"+first.ThreadID+"/read", map[string]any{"up_to": newID()}), 422, care.CodeValidation)
		wantRefused(t, "before of another thread", r.doctorC.do("GET", "/api/v1/staff/threads/"+first.ThreadID+"/messages?before="+own.ID, nil), 422, care.CodeValidation)

		// A suspended account is not written to, and its session is refused.
		suspended := h.mustUser(r.station, care.ProfNurse)
		suspendedC := h.signIn(suspended)
		suspendedC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "休職前の連絡"})
		mustExec(t, h, `UPDATE app_user SET status = 'suspended' WHERE id = ?`, suspended.ID)
		wantRefused(t, "to a suspended account", r.doctorC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": suspended.ID, "text": "x"}), 422, care.CodeValidation)
		wantRefused(t, "a suspended account's list", suspendedC.do("GET", "/api/v1/staff/threads", nil), 401, care.CodeUnauthenticated)
		wantRefused(t, "a suspended account writes", suspendedC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.doctor.ID, "text": "x"}), 401, care.CodeUnauthenticated)

		// Every read, write and refusal is audited, without a patient.
		counts := map[string]int{}
		var rows []struct {
			Action    string `db:"action"`
			Result    string `db:"result"`
			PatientID string `db:"patient_id"`
		}
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Select(context.Background(), &rows, `SELECT action, result, patient_id FROM audit_event WHERE action LIKE 'staff_%' ORDER BY seq`)
		})
		for _, row := range rows {
			counts[row.Action+"/"+row.Result]++
			if row.PatientID != "" {
				t.Errorf("a staff event names a patient: %+v", row)
			}
		}
		if counts["staff_message.create/ok"] != 5 || counts["staff_message.list/ok"] != 4 || counts["staff_message.list/denied"] < 3 || counts["staff_thread.read/denied"] < 2 {
			t.Errorf("audit: %v", counts)
		}
	})
}

func mustExec(t *testing.T, h *harness, query string, args ...any) {
	t.Helper()
	if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(query), args...); err != nil {
		t.Fatal(err)
	}
}

// TestStaffFacilityThread: a facility's thread is its active staff's:
// another facility's staff neither read nor write it, and who leaves the
// facility stops reading it at once.
func TestStaffFacilityThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		colleague := h.mustUser(r.station, care.ProfNurse)
		colleagueC := h.signIn(colleague)
		outsiderC := h.signIn(r.outsider)

		// Before anyone writes, the thread is listed (empty) and opens.
		ts := r.nurseC.staffThreads(t)
		if th, ok := threadOf(ts, r.station); !ok || th.Kind != "facility" || th.LastSeq != 0 {
			t.Fatalf("the facility's thread is not listed: %+v", ts)
		}
		if p := colleagueC.staffPage(t, r.station, ""); len(p.Items) != 0 || p.Thread.ID != r.station {
			t.Fatalf("empty thread: %+v", p)
		}
		m := r.nurseC.staffPost(t, map[string]any{"facility_id": r.station, "text": "本日の申し送りです"})
		if m.ThreadID != r.station {
			t.Fatalf("the facility's thread id: %s", m.ThreadID)
		}
		if th, _ := threadOf(colleagueC.staffThreads(t), r.station); th.Unread != 1 {
			t.Fatalf("colleague's unread: %+v", th)
		}
		if p := colleagueC.staffPage(t, r.station, ""); len(p.Items) != 1 || p.Items[0].Text != "本日の申し送りです" {
			t.Fatalf("colleague's page: %+v", p)
		}
		// Another facility's staff: 404 for reading, writing and marking.
		wantRefused(t, "outsider reads", outsiderC.do("GET", "/api/v1/staff/threads/"+r.station+"/messages", nil), 404, care.CodeNotFound)
		wantRefused(t, "outsider posts", outsiderC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station, "text": "x"}), 404, care.CodeNotFound)
		wantRefused(t, "outsider marks", outsiderC.do("POST", "/api/v1/staff/threads/"+r.station+"/read", map[string]any{"up_to": m.ID}), 404, care.CodeNotFound)
		wantRefused(t, "the doctor posts to the station", r.doctorC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station, "text": "x"}), 404, care.CodeNotFound)
		if _, ok := threadOf(outsiderC.staffThreads(t), r.station); ok {
			t.Fatal("the outsider lists the station's thread")
		}
		// An unknown facility, or a patient's id: the same 404.
		wantRefused(t, "a patient's id as facility", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.patientID, "text": "x"}), 404, care.CodeNotFound)
		if p := r.nurseC.staffPage(t, r.station, ""); len(p.Items) != 1 {
			t.Fatalf("refused posts left messages: %+v", p.Items)
		}

		// The colleague moves to another facility: the station's thread is
		// no longer theirs (their session stays).
		mustExec(t, h, `UPDATE app_user SET facility_id = ? WHERE id = ?`, r.other, colleague.ID)
		wantRefused(t, "after leaving", colleagueC.do("GET", "/api/v1/staff/threads/"+r.station+"/messages", nil), 404, care.CodeNotFound)
		wantRefused(t, "posting after leaving", colleagueC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station, "text": "x"}), 404, care.CodeNotFound)
		if _, ok := threadOf(colleagueC.staffThreads(t), r.station); ok {
			t.Fatal("the former colleague lists the station's thread")
		}
	})
}

// TestStaffAttachments: a photo is its uploader's alone until a message
// cites it, then its thread's; it cannot be cited twice (into another
// thread) or by another account; downloads are signed and audited.
func TestStaffAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		outsiderC := h.signIn(r.outsider)
		img := phototest.JPEG(phototest.Halves(64, 48))
		id := newID()
		up := r.nurseC.raw("PUT", "/api/v1/staff/attachments/"+id, "image/jpeg", img)
		if up.status != 201 {
			t.Fatalf("upload: %d %s", up.status, up.body)
		}
		if res := r.nurseC.raw("PUT", "/api/v1/staff/attachments/"+id, "image/jpeg", img); res.status != 200 {
			t.Fatalf("the same upload again: %d %s", res.status, res.body)
		}
		// Uncited: the uploader alone.
		r.nurseC.must(200, "GET", "/api/v1/staff/attachments/"+id, nil)
		wantRefused(t, "the doctor before citing", r.doctorC.do("GET", "/api/v1/staff/attachments/"+id, nil), 404, care.CodeNotFound)
		wantRefused(t, "another's upload under the id", r.doctorC.raw("PUT", "/api/v1/staff/attachments/"+id, "image/jpeg", img), 404, care.CodeNotFound)
		// Another account cannot cite it.
		wantRefused(t, "the doctor cites the nurse's photo", r.doctorC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.nurse.ID,
			"text": "x", "attachment_ids": []string{id}}), 422, care.CodeValidation)
		m := r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": "創部の写真です", "attachment_ids": []string{id}})
		// Cited: the pair reads it, and the signed URL serves the image.
		var u struct{ URL string }
		r.doctorC.must(200, "GET", "/api/v1/staff/attachments/"+id, nil).json(t, &u)
		res, body := r.doctorC.fetch(u.URL)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || len(body) == 0 {
			t.Fatalf("download: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		r.doctorC.must(200, "GET", "/api/v1/staff/attachments/"+id+"/thumbnail", nil).json(t, &u)
		if res, _ := r.doctorC.fetch(u.URL); res.StatusCode != 200 {
			t.Fatalf("thumbnail download: %d", res.StatusCode)
		}
		for _, c := range []*client{outsiderC, r.helperC} {
			wantRefused(t, c.who+" reads the pair's photo", c.do("GET", "/api/v1/staff/attachments/"+id, nil), 404, care.CodeNotFound)
			wantRefused(t, c.who+" thumbnail", c.do("GET", "/api/v1/staff/attachments/"+id+"/thumbnail", nil), 404, care.CodeNotFound)
		}
		// Cited once: the uploader cannot carry it into another thread.
		wantRefused(t, "citing into another thread", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "facility_id": r.station,
			"text": "転送", "attachment_ids": []string{id}}), 422, care.CodeValidation)
		wantRefused(t, "an unknown photo", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.doctor.ID,
			"text": "x", "attachment_ids": []string{newID()}}), 422, care.CodeValidation)
		wantRefused(t, "a patient's attachment", r.nurseC.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": r.doctor.ID,
			"text": "x", "attachment_ids": []string{h.mustAttachment(r.nurseC, r.patientID, img)}}), 422, care.CodeValidation)
		if p := r.nurseC.staffPage(t, m.ThreadID, ""); len(p.Items) != 1 || len(p.Items[0].AttachmentIDs) != 1 {
			t.Fatalf("refused citations moved something: %+v", p.Items)
		}
		if p := r.nurseC.staffPage(t, r.station, ""); len(p.Items) != 0 {
			t.Fatalf("the refused forward was stored: %+v", p.Items)
		}
		// A staff photo is not a patient's attachment.
		wantRefused(t, "via the patient API", r.doctorC.do("GET", "/api/v1/attachments/"+id, nil), 404, care.CodeNotFound)
		// Downloads are audited.
		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE action = 'staff_attachment.read' AND result = 'ok' AND actor_id = ?`, r.doctor.ID)
		})
		if n != 2 {
			t.Errorf("audited downloads: %d", n)
		}
	})
}

// TestStaffMessageNotifies: the other participants hear of a message by
// push and e-mail with the generic text, never its author or text; the
// author and a suspended colleague hear nothing.
func TestStaffMessageNotifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		m := newMailRig(t, engine)
		r, h := m.r, m.h
		const canary = "カナリア本文 佐藤様の件"
		sub := m.rcv.NewSubscription()
		r.doctorC.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": sub.Endpoint, "keys": map[string]any{"p256dh": sub.P256dh, "auth": sub.Auth}})
		r.doctorC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": "doctor@example.jp"})
		m.queued(t)
		m.send(t)
		msgs := m.mp.Wait(t, 1)
		r.doctorC.must(200, "POST", "/api/v1/me/email/confirm", map[string]any{"token": confirmLink.FindStringSubmatch(msgs[0].Text)[1]})
		m.mp.Clear(t)

		r.nurseC.staffPost(t, map[string]any{"to_user_id": r.doctor.ID, "text": canary})
		var payloads []string
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Select(context.Background(), &payloads, `SELECT payload FROM outbox ORDER BY id`)
		})
		if len(payloads) != 1 || !strings.Contains(payloads[0], "スタッフ連絡があります") || !strings.Contains(payloads[0], `"type":"staff_message"`) {
			t.Fatalf("push payloads: %v", payloads)
		}
		for _, leak := range []string{"カナリア", "佐藤", r.nurse.ID, "試験"} {
			if strings.Contains(payloads[0], leak) {
				t.Fatalf("the push carries %q: %s", leak, payloads[0])
			}
		}
		if p, ml := m.queued(t); p != 1 || ml != 1 {
			t.Fatalf("queued: %d pushes, %d mails", p, ml)
		}
		m.send(t)
		got := m.mp.Wait(t, 1)
		if len(got) != 1 || got[0].To[0] != "doctor@example.jp" || got[0].Subject != "つなぐ: スタッフ連絡があります" {
			t.Fatalf("mail: %+v", got)
		}
		for _, leak := range []string{"カナリア", "佐藤", canaryName} {
			if strings.Contains(got[0].Raw, leak) {
				t.Fatalf("the mail carries %q", leak)
			}
		}
		m.mp.Clear(t)

		// To the clinic's staff: the clinic admin hears of it, not the
		// author, not a suspended colleague; "none" silences the doctor.
		suspended := h.mustUser(r.clinic, care.ProfNurse)
		suspendedSub := m.rcv.NewSubscription()
		h.signIn(suspended).must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": suspendedSub.Endpoint,
			"keys": map[string]any{"p256dh": suspendedSub.P256dh, "auth": suspendedSub.Auth}})
		mustExec(t, h, `UPDATE app_user SET status = 'suspended' WHERE id = ?`, suspended.ID)
		r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", testPrefs("none", false, "22:00", "07:00"))
		adminC := h.signIn(r.clinicAdmin)
		adminSub := m.rcv.NewSubscription()
		adminC.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": adminSub.Endpoint, "keys": map[string]any{"p256dh": adminSub.P256dh, "auth": adminSub.Auth}})
		r.doctorC.staffPost(t, map[string]any{"facility_id": r.clinic, "text": canary})
		var subs []string
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Select(context.Background(), &subs, `SELECT s.user_id FROM outbox o JOIN push_subscription s ON s.id = o.subscription_id`)
		})
		if len(subs) != 1 || subs[0] != r.clinicAdmin.ID {
			t.Fatalf("pushed to %v, want the clinic admin only", subs)
		}
	})
}

// TestStaffPairOneThread: two accounts writing their first messages to
// each other at the same moment end in one thread.
func TestStaffPairOneThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		for round := 0; round < 4; round++ {
			a, b := h.mustUser(r.station, care.ProfNurse), h.mustUser(r.clinic, care.ProfDoctor)
			ac, bc := h.signIn(a), h.signIn(b)
			got := make(chan response, 2)
			go func() {
				got <- ac.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": b.ID, "text": "a"})
			}()
			go func() {
				got <- bc.do("POST", "/api/v1/staff/messages", map[string]any{"id": newID(), "to_user_id": a.ID, "text": "b"})
			}()
			var threads []string
			for range 2 {
				res := <-got
				if res.status != 201 {
					t.Fatalf("round %d: %d %s", round, res.status, res.body)
				}
				var m staffMessage
				res.json(t, &m)
				threads = append(threads, m.ThreadID)
			}
			if threads[0] != threads[1] {
				t.Fatalf("round %d: two threads for one pair: %v", round, threads)
			}
			if p := ac.staffPage(t, threads[0], ""); len(p.Items) != 2 || p.Items[0].Seq != 2 {
				t.Fatalf("round %d: %+v", round, p.Items)
			}
		}
	})
}
