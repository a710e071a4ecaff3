package api_test

// The security review of the team channel (連絡), attacked as an outsider
// and as insiders would: a member who left the team, a withdrawn consent,
// a suspended account, a retracted message's text, replays of message ids
// and sync mutations across accounts and patients, forged sync arguments,
// and bad input. Each test is one line of attack; a hole found is fixed in
// the code and its test keeps it shut, the attacks that held stay as tests.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// canaryMessage is a message text that must never reach anyone but its
// author once retracted.
const canaryMessage = "カナリア連絡 取り消す本文"

// tableHolds reports the rows of table whose printed form contains s.
func tableHolds(t *testing.T, h *harness, table, s string) int {
	t.Helper()
	rows, err := h.db.SQL().Queryx("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Fatal(err)
		}
		for _, v := range m {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if strings.Contains(fmt.Sprint(v), s) {
				n++
				break
			}
		}
	}
	return n
}

// consentedOther is a second patient of the doctor with an active consent.
func (h *harness) consentedOther(r *region) string {
	h.t.Helper()
	p := h.mustOtherPatient(r)
	r.doctorC.must(201, "POST", "/api/v1/patients/"+p+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
	return p
}

// TestAttackSessionChannelLeftTeam: a member removed from the team, every
// member after the consent is withdrawn, and a suspended account reach
// nothing of the channel by any path: no page, no post, no read pointer, no
// retraction of their own message, no mentions, no unread counts, no
// photo, no sync write; each refusal the 404 of an unknown patient.
func TestAttackSessionChannelLeftTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		photo := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		own := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "写真です", "attachment_ids": []string{photo}})
		m := r.doctorC.mustMessage(t, r.patientID, map[string]any{"text": "看護師さんへ", "mentions": []string{r.nurse.ID, r.helper.ID}})
		r.nurseC.must(200, "GET", "/api/v1/attachments/"+photo, nil)
		if n, k := r.nurseC.unreadMessages(t, r.patientID); n != 1 || k != 1 {
			t.Fatalf("nurse's unread before removal: %d %d", n, k)
		}
		unknown := newID()
		probe := func(who string, c *client, want int) {
			t.Helper()
			for _, p := range []struct {
				method, path string
				body         func() any
			}{
				{"GET", "/api/v1/patients/%s/messages", func() any { return nil }},
				{"POST", "/api/v1/patients/%s/messages", func() any { return map[string]any{"id": newID(), "text": "まだ読めますか"} }},
				{"POST", "/api/v1/patients/%s/messages/read", func() any { return map[string]any{"up_to": m.ID} }},
			} {
				var shapes []string
				for _, pid := range []string{r.patientID, unknown} {
					body := p.body()
					res := c.do(p.method, fmt.Sprintf(p.path, pid), body)
					if res.status != want {
						t.Errorf("%s %s %s: %d %s", who, p.method, p.path, res.status, res.body)
					}
					if strings.Contains(res.body, m.ID) || strings.Contains(res.body, "看護師さんへ") {
						t.Errorf("%s %s: the refusal names the channel: %s", who, p.path, res.body)
					}
					shapes = append(shapes, problemShape(t, res.body))
				}
				if shapes[0] != shapes[1] {
					t.Errorf("%s %s: the patient's channel and an unknown patient answer differently: %s / %s", who, p.path, shapes[0], shapes[1])
				}
			}
			if res := c.do("POST", "/api/v1/messages/"+own.ID+"/retract", nil); res.status != want {
				t.Errorf("%s retracts: %d %s", who, res.status, res.body)
			}
			if res := c.do("GET", "/api/v1/attachments/"+photo, nil); res.status == 200 {
				t.Errorf("%s reads the channel's photo", who)
			}
		}
		listed := func(c *client) (mentions int, unread bool) {
			t.Helper()
			var ms messagesJSON
			c.must(200, "GET", "/api/v1/me/mentions", nil).json(t, &ms)
			var u unreadJSON
			c.must(200, "GET", "/api/v1/me/unread", nil).json(t, &u)
			for _, p := range u.Patients {
				unread = unread || p.PatientID == r.patientID
			}
			return len(ms.Items), unread
		}

		// The nurse leaves the team.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
		probe("removed nurse", r.nurseC, 404)
		if n, u := listed(r.nurseC); n != 0 || u {
			t.Errorf("removed nurse: %d mentions, unread listed %v", n, u)
		}
		dev := newID()
		res, raw := r.nurseC.pushOne(t, dev, mutation{ID: newID(), Seq: 1, Type: "message.create",
			Args: map[string]any{"patient_id": r.patientID, "id": newID(), "text": "オフラインで書いた"}})
		if res.Status != "rejected" || res.Problem == nil || res.Problem.Code != care.CodeNotFound || len(res.Entity) > 0 && string(res.Entity) != "null" {
			t.Errorf("removed nurse's sync write: %s", raw)
		}

		// The helper is still on the team: then the consent is withdrawn.
		if n, u := listed(r.helperC); n != 1 || !u {
			t.Fatalf("helper before the withdrawal: %d mentions, unread %v", n, u)
		}
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{})
		probe("helper after withdrawal", r.helperC, 404)
		if n, u := listed(r.helperC); n != 0 || u {
			t.Errorf("helper after withdrawal: %d mentions, unread listed %v", n, u)
		}
		// The doctor registered the patient: he still reaches the
		// demographics, but not the channel.
		if res := r.doctorC.do("GET", "/api/v1/patients/"+r.patientID+"/messages", nil); res.status != 404 && res.status != 403 {
			t.Errorf("registrar reads the channel after withdrawal: %d %s", res.status, res.body)
		}

		// A suspended account: its session is refused before anything.
		h.setStatus(r.helper.ID, care.StatusSuspended)
		if res := r.helperC.do("GET", "/api/v1/me/mentions", nil); res.status != 401 {
			t.Errorf("suspended reads mentions: %d %s", res.status, res.body)
		}
	})
}

// TestAttackSessionChannelRetractedText: once retracted, a message's text
// and photo reach nobody but its author through any path: the page, the
// mentions list, a pull (incremental and a fresh device's snapshot), the
// search, and no notification or e-mail ever held it (nor the patient's
// name).
func TestAttackSessionChannelRetractedText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		_, helperCursor := r.helperC.syncFromEmpty()
		photo := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		m := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": canaryMessage, "attachment_ids": []string{photo},
			"mentions": []string{r.helper.ID, r.doctor.ID}, "urgent": true})
		// A record made from it by the doctor, before the retraction.
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "連絡から作成", "source_message_id": m.ID})
		r.helperC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m.ID})
		r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)

		hidden := func(what string, body string) {
			t.Helper()
			if strings.Contains(body, canaryMessage) || strings.Contains(body, photo) {
				t.Errorf("%s shows the retracted message: %s", what, body)
			}
		}
		for name, c := range map[string]*client{"doctor": r.doctorC, "helper": r.helperC} {
			hidden(name+" page", c.must(200, "GET", "/api/v1/patients/"+r.patientID+"/messages", nil).body)
			hidden(name+" mentions", c.must(200, "GET", "/api/v1/me/mentions", nil).body)
			snap, _ := c.syncFromEmpty()
			b, _ := json.Marshal(snap)
			hidden(name+" snapshot", string(b))
			hidden(name+" search", c.must(200, "GET", "/api/v1/search/records?q="+"カナリア連絡", nil).body)
			if res := c.do("GET", "/api/v1/attachments/"+photo, nil); res.status == 200 {
				t.Errorf("%s reads the retracted message's photo", name)
			}
		}
		inc, _ := r.helperC.pullAll(helperCursor, 100)
		var last map[string]any
		for _, c := range inc.Changes {
			if c.Entity == "message" && c.ID == m.ID {
				_ = json.Unmarshal(c.Data, &last)
			}
		}
		if last == nil || last["retracted"] != true || last["text"] != "" {
			t.Errorf("helper's incremental pull ends with %v", last)
		}
		// The author still reads her own words.
		var mine messagesJSON
		r.nurseC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/messages", nil).json(t, &mine)
		if len(mine.Items) != 1 || mine.Items[0].Text != canaryMessage || !mine.Items[0].Retracted {
			t.Errorf("the author's view: %+v", mine.Items)
		}
		// Notifications and e-mails never held the text nor the name.
		for _, table := range []string{"outbox", "mail_outbox", "audit_event", "change_log"} {
			for _, s := range []string{canaryMessage, canaryName} {
				if n := tableHolds(t, h, table, s); n != 0 {
					t.Errorf("%d rows of %s hold %q", n, table, s)
				}
			}
		}
	})
}

// TestAttackSessionChannelReplay: a message id is its author's on its
// patient. The same id with the same body by another member, on another
// patient, or pushed by another account's device answers a refusal that
// shows nothing of the stored message; a device never gets another
// device's mutation answered.
func TestAttackSessionChannelReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		other := h.consentedOther(r)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})
		body := map[string]any{"id": newID(), "text": "鍵の置き場所は玄関横です"}
		nurseDev := newID()
		mu := mutation{ID: newID(), Seq: 1, Type: "message.create", Args: map[string]any{"patient_id": r.patientID, "id": body["id"], "text": body["text"]}}
		if got, raw := r.nurseC.pushOne(t, nurseDev, mu); got.Status != "applied" {
			t.Fatalf("nurse's push: %s", raw)
		}
		before := writes(t, h)
		for name, res := range map[string]response{
			"helper, same id and body":       r.helperC.do("POST", "/api/v1/patients/"+r.patientID+"/messages", body),
			"doctor, same id and body":       r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/messages", body),
			"nurse, same id, other patient":  r.nurseC.do("POST", "/api/v1/patients/"+other+"/messages", body),
			"doctor, same id, other patient": r.doctorC.do("POST", "/api/v1/patients/"+other+"/messages", body),
		} {
			if res.status != 409 || strings.Contains(res.body, "玄関") {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		// The doctor's device sends the nurse's mutation (same id, args and
		// seq): refused, without the nurse's message.
		got, raw := r.doctorC.pushOne(t, newID(), mu)
		if got.Status != "rejected" || strings.Contains(raw, "玄関") {
			t.Errorf("doctor replays the nurse's mutation: %s", raw)
		}
		// The doctor takes the nurse's device id: refused.
		if res := r.doctorC.do("POST", "/api/v1/sync/push", map[string]any{"device_id": nurseDev, "mutations": []mutation{mu}}); res.status < 400 || strings.Contains(res.body, "玄関") {
			t.Errorf("doctor on the nurse's device: %d %s", res.status, res.body)
		}
		// A fresh mutation id carrying the nurse's message id, by the doctor.
		mu2 := mutation{ID: newID(), Seq: 1, Type: "message.create", Args: mu.Args}
		if got, raw := r.doctorC.pushOne(t, newID(), mu2); got.Status == "applied" || got.Status == "duplicate" || strings.Contains(raw, "玄関") {
			t.Errorf("doctor's new mutation with the nurse's message id: %s", raw)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Errorf("replays wrote: %v → %v", before, after)
		}
		var n int
		if err := h.db.SQL().Get(&n, h.db.SQL().Rebind("SELECT COUNT(*) FROM message WHERE author_id <> ?"), r.nurse.ID); err != nil || n != 0 {
			t.Errorf("messages by others: %d %v", n, err)
		}
	})
}

// TestAttackSessionChannelForgedSync: message.create's args name the
// patient; everything else about who wrote it comes from the session. An
// author_id, a profession or a created_at in args changes nothing, and a
// patient off the caller's team is refused as unknown.
func TestAttackSessionChannelForgedSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		other := h.consentedOther(r)
		dev := newID()
		id := newID()
		got, raw := r.helperC.pushOne(t, dev, mutation{ID: newID(), Seq: 1, Type: "message.create", Args: map[string]any{
			"patient_id": r.patientID, "id": id, "text": "医師の指示です", "author_id": r.doctor.ID, "author_name": "偽医師",
			"profession": "doctor", "created_at": "2020-01-01T00:00:00Z", "retracted": true}})
		var e messageJSON
		_ = json.Unmarshal(got.Entity, &e)
		if got.Status == "applied" && (e.AuthorID != r.helper.ID || e.Profession != "care_worker" || e.Retracted) {
			t.Errorf("forged author applied: %s", raw)
		}
		if got.Status != "applied" && got.Status != "rejected" {
			t.Errorf("forged fields: %s", raw)
		}
		before := writes(t, h)
		got, raw = r.helperC.pushOne(t, dev, mutation{ID: newID(), Seq: 2, Type: "message.create", Args: map[string]any{
			"patient_id": other, "id": newID(), "text": "別の患者へ"}})
		if got.Status != "rejected" || got.Problem == nil || got.Problem.Code != care.CodeNotFound {
			t.Errorf("off-team patient by sync: %s", raw)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Errorf("the refused push wrote: %v → %v", before, after)
		}
	})
}

// TestAttackSessionChannelBadInput: whatever the body, a bad message is a
// 422 problem naming the field, never a 5xx, never echoing the value, and
// writes nothing.
func TestAttackSessionChannelBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		other := h.consentedOther(r)
		foreign := r.doctorC.mustMessage(t, other, map[string]any{"text": "別の患者の連絡"})
		otherPhoto := h.mustAttachment(r.doctorC, other, accessPhoto)
		many := func(n int, f func(i int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = f(i)
			}
			return out
		}
		const secret = "ひみつ"
		before := writes(t, h)
		for name, b := range map[string]map[string]any{
			"empty text":        {"text": ""},
			"no text":           {},
			"text not a string": {"text": 42},
			"NUL":               {"text": secret + "\x00"},
			"escape":            {"text": secret + "\x1b[2J"},
			"bidi override":     {"text": secret + "\u202e"},
			"zero width":        {"text": secret + "\u200b"},
			"2001 characters":   {"text": strings.Repeat("あ", 2001)},
			"51 mentions":       {"text": "x", "mentions": many(51, func(int) string { return r.doctor.ID })},
			"11 photos":         {"text": "x", "attachment_ids": many(11, func(int) string { return newID() })},
			"mention not an id": {"text": "x", "mentions": []string{secret}},
			"photo not an id":   {"text": "x", "attachment_ids": []string{secret}},
			"another's photo":   {"text": "x", "attachment_ids": []string{otherPhoto}},
			"foreign reply":     {"text": "x", "reply_to": foreign.ID},
			"reply to a record": {"text": "x", "reply_to": r.recordID},
			"urgent as text":    {"text": "x", "urgent": "はい"},
			"id not v7":         {"id": "6f1c1a2e-8a1b-4c3d-9e4f-0a1b2c3d4e5f", "text": "x"},
			"id not an id":      {"id": secret, "text": "x"},
		} {
			if _, ok := b["id"]; !ok {
				b["id"] = newID()
			}
			res := r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/messages", b)
			if res.status != 422 || !strings.Contains(res.body, `"code"`) || strings.Contains(res.body, secret) {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		for name, path := range map[string]string{
			"limit 0":           "/api/v1/patients/" + r.patientID + "/messages?limit=0",
			"limit 201":         "/api/v1/patients/" + r.patientID + "/messages?limit=201",
			"before foreign":    "/api/v1/patients/" + r.patientID + "/messages?before=" + foreign.ID,
			"before not an id":  "/api/v1/patients/" + r.patientID + "/messages?before=" + secret,
			"mentions foreign":  "/api/v1/me/mentions?before=" + foreign.ID,
			"mentions limit -1": "/api/v1/me/mentions?limit=-1",
		} {
			if res := r.nurseC.do("GET", path, nil); res.status != 422 || strings.Contains(res.body, secret) {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		for name, b := range map[string]any{"foreign up_to": map[string]any{"up_to": foreign.ID}, "no up_to": map[string]any{}, "record up_to": map[string]any{"up_to": r.recordID}} {
			if res := r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/messages/read", b); res.status != 422 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if res := r.nurseC.do("POST", "/api/v1/messages/"+secret+"/retract", nil); res.status != 422 && res.status != 404 {
			t.Errorf("retract of a non-id: %d %s", res.status, res.body)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Errorf("bad input wrote: %v → %v", before, after)
		}
	})
}

// TestAttackSessionChannelAudit: every read and write of the channel is an
// audit event naming the patient: a post, a page, a read pointer, a
// retraction, the mentions list; a refused one is audited as denied.
func TestAttackSessionChannelAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		m := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "記録します", "mentions": []string{r.helper.ID}})
		r.helperC.messages(t, r.patientID, "")
		r.helperC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m.ID})
		r.helperC.must(200, "GET", "/api/v1/me/mentions", nil)
		r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		r.helperC.must(403, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		h.signIn(r.outsider).must(404, "GET", "/api/v1/patients/"+r.patientID+"/messages", nil)
		for _, want := range []struct{ actor, action, result string }{
			{r.nurse.ID, "message.create", "ok"},
			{r.helper.ID, "message.list", "ok"},
			{r.helper.ID, "message.read", "ok"},
			{r.helper.ID, "message.mentions", "ok"},
			{r.nurse.ID, "message.retract", "ok"},
			{r.helper.ID, "message.retract", "denied"},
			{r.outsider.ID, "message.list", "denied"},
		} {
			var n int
			if err := h.db.SQL().Get(&n, h.db.SQL().Rebind(`SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = ? AND result = ? AND patient_id = ?`),
				want.actor, want.action, want.result, r.patientID); err != nil || n == 0 {
				t.Errorf("no audit event %+v (%v)", want, err)
			}
		}
	})
}
