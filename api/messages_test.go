package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"tsunagu/internal/store/storetest"
)

type messageJSON struct {
	ID            string   `json:"id"`
	PatientID     string   `json:"patient_id"`
	AuthorID      string   `json:"author_id"`
	AuthorName    string   `json:"author_name"`
	Profession    string   `json:"profession"`
	Text          string   `json:"text"`
	ReplyTo       string   `json:"reply_to"`
	Mentions      []string `json:"mentions"`
	AttachmentIDs []string `json:"attachment_ids"`
	Urgent        bool     `json:"urgent"`
	Retracted     bool     `json:"retracted"`
	RecordIDs     []string `json:"record_ids"`
	ReadBy        []struct {
		UserID string `json:"user_id"`
	} `json:"read_by"`
}

type messagesJSON struct {
	Items []messageJSON `json:"items"`
	Next  string        `json:"next"`
}

// mustMessage writes a message to patientID's channel as c.
func (c *client) mustMessage(t *testing.T, patientID string, body map[string]any) messageJSON {
	t.Helper()
	if body["id"] == nil {
		body["id"] = newID()
	}
	var out messageJSON
	c.must(201, "POST", "/api/v1/patients/"+patientID+"/messages", body).json(t, &out)
	return out
}

func (c *client) messages(t *testing.T, patientID, query string) messagesJSON {
	t.Helper()
	var out messagesJSON
	c.must(200, "GET", "/api/v1/patients/"+patientID+"/messages"+query, nil).json(t, &out)
	return out
}

type unreadJSON struct {
	Patients []struct {
		PatientID string `json:"patient_id"`
		Unread    int    `json:"unread"`
		Messages  int    `json:"messages"`
		Mentions  int    `json:"mentions"`
	} `json:"patients"`
}

// unreadMessages is c's unread messages and mentions of patientID.
func (c *client) unreadMessages(t *testing.T, patientID string) (int, int) {
	t.Helper()
	var u unreadJSON
	c.must(200, "GET", "/api/v1/me/unread", nil).json(t, &u)
	for _, p := range u.Patients {
		if p.PatientID == patientID {
			return p.Messages, p.Mentions
		}
	}
	t.Fatalf("patient not in /me/unread: %+v", u)
	return 0, 0
}

// TestChannelWriteReadRetract: the team channel end to end by REST. Every
// member reads it, the care worker included; a retry answers the same and
// another body under the same id is 409; the author alone retracts, and
// the others then see that it was retracted but not what it said, while
// the author still reads it.
func TestChannelWriteReadRetract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		body := map[string]any{"id": newID(), "text": "明日の訪問は午後に変更できますか", "mentions": []string{r.doctor.ID}}
		m := r.nurseC.mustMessage(t, r.patientID, body)
		if m.AuthorID != r.nurse.ID || m.Profession != "nurse" || m.Text != body["text"] || len(m.Mentions) != 1 || m.Mentions[0] != r.doctor.ID || m.Retracted {
			t.Fatalf("created %+v", m)
		}
		// A retry answers the same message with 200; another body is 409.
		var again messageJSON
		r.nurseC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/messages", body).json(t, &again)
		if again.ID != m.ID || again.Text != m.Text {
			t.Fatalf("retry answered %+v", again)
		}
		r.nurseC.must(409, "POST", "/api/v1/patients/"+r.patientID+"/messages", map[string]any{"id": m.ID, "text": "別の本文"})

		reply := r.helperC.mustMessage(t, r.patientID, map[string]any{"text": "承知しました", "reply_to": m.ID})
		if reply.ReplyTo != m.ID || reply.Profession != "care_worker" {
			t.Fatalf("reply %+v", reply)
		}
		for _, c := range []*client{r.doctorC, r.nurseC, r.helperC} {
			got := c.messages(t, r.patientID, "")
			if len(got.Items) != 2 || got.Items[0].ID != reply.ID || got.Items[1].ID != m.ID {
				t.Fatalf("channel as read: %+v", got)
			}
		}
		// Paging: one at a time, newest first.
		p1 := r.doctorC.messages(t, r.patientID, "?limit=1")
		if len(p1.Items) != 1 || p1.Items[0].ID != reply.ID || p1.Next != reply.ID {
			t.Fatalf("page 1 %+v", p1)
		}
		p2 := r.doctorC.messages(t, r.patientID, "?limit=1&before="+p1.Next)
		if len(p2.Items) != 1 || p2.Items[0].ID != m.ID || p2.Next != "" {
			t.Fatalf("page 2 %+v", p2)
		}

		// Only the author retracts; a refused retraction moves nothing.
		before := writes(t, h)
		r.helperC.must(403, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		r.doctorC.must(403, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		var retracted int
		if err := h.db.SQL().Get(&retracted, "SELECT COUNT(*) FROM message_retraction"); err != nil || retracted != 0 {
			t.Fatalf("retractions after refusals: %d %v", retracted, err)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Fatalf("a refused retraction wrote: %v → %v", before, after)
		}
		if got := r.helperC.messages(t, r.patientID, ""); got.Items[1].Retracted || got.Items[1].Text != m.Text {
			t.Fatalf("after refused retractions: %+v", got.Items[1])
		}
		var gone messageJSON
		r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil).json(t, &gone)
		if !gone.Retracted || gone.Text != m.Text {
			t.Fatalf("the author's view of the retracted message: %+v", gone)
		}
		r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		for _, c := range []*client{r.doctorC, r.helperC} {
			got := c.messages(t, r.patientID, "")
			if !got.Items[1].Retracted || got.Items[1].Text != "" {
				t.Fatalf("another member's view of the retracted message: %+v", got.Items[1])
			}
		}
		// The history is kept: the row and its text are still there.
		var n int
		if err := h.db.SQL().Get(&n, h.db.SQL().Rebind("SELECT COUNT(*) FROM message WHERE id = ? AND text = ?"), m.ID, m.Text); err != nil || n != 1 {
			t.Fatalf("retracted message's text kept: %d %v", n, err)
		}
		if got := r.nurseC.messages(t, r.patientID, ""); got.Items[1].Text != m.Text {
			t.Fatalf("author reads the retracted text: %+v", got.Items[1])
		}
	})
}

// TestChannelOffTeam: the channel answers outsiders, including a member
// removed from the team, exactly as an unknown patient does (and the
// removed member's device purges the patient), and a consent withdrawal
// cuts it for the whole team.
func TestChannelOffTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		m := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "連絡です"})
		out := h.signIn(r.outsider)
		unknown := out.do("GET", "/api/v1/patients/"+newID()+"/messages", nil)
		for _, res := range []response{
			out.do("GET", "/api/v1/patients/"+r.patientID+"/messages", nil),
			out.do("POST", "/api/v1/patients/"+r.patientID+"/messages", map[string]any{"id": newID(), "text": "部外者"}),
			out.do("POST", "/api/v1/messages/"+m.ID+"/retract", nil),
			out.do("POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m.ID}),
		} {
			if res.status != 404 || problemShape(t, res.body) != problemShape(t, unknown.body) {
				t.Errorf("outsider: %d %s, want as unknown %s", res.status, res.body, unknown.body)
			}
		}
		// A member removed from the team: the same 404, and her device's
		// next pull purges the patient (messages included).
		_, cur := r.helperC.syncFromEmpty()
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		if res := r.helperC.do("GET", "/api/v1/patients/"+r.patientID+"/messages", nil); res.status != 404 || problemShape(t, res.body) != problemShape(t, unknown.body) {
			t.Errorf("removed member: %d %s", res.status, res.body)
		}
		after, _ := r.helperC.pullAll(cur, 100)
		purged := false
		for _, rs := range after.Resets {
			purged = purged || (rs.PatientID == r.patientID && rs.Action == "purge")
		}
		for _, c := range after.Changes {
			if c.Entity == "message" && c.Op == "upsert" {
				t.Errorf("a message after the removal: %+v", c)
			}
		}
		if !purged {
			t.Errorf("no purge after the removal: %+v", after.Resets)
		}
		// Withdrawal: nobody reads it any more.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{})
		for _, c := range []*client{r.doctorC, r.nurseC} {
			res := c.do("GET", "/api/v1/patients/"+r.patientID+"/messages", nil)
			rec := c.do("GET", "/api/v1/patients/"+r.patientID+"/records", nil)
			if res.status == 200 || res.status != rec.status || res.code() != rec.code() {
				t.Errorf("after withdrawal: %d %s, records answer %d %s", res.status, res.body, rec.status, rec.body)
			}
		}
	})
}

// TestChannelUnreadAndReadPointer: messages by others count as unread
// (and mentions of me apart) until my pointer passes them; it never moves
// back; read_by shows who read each.
func TestChannelUnreadAndReadPointer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		m1 := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "一件目"})
		h.clock.Advance(1)
		m2 := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "二件目", "mentions": []string{r.doctor.ID}})
		if msgs, ments := r.doctorC.unreadMessages(t, r.patientID); msgs != 2 || ments != 1 {
			t.Fatalf("doctor unread %d/%d, want 2/1", msgs, ments)
		}
		if msgs, ments := r.nurseC.unreadMessages(t, r.patientID); msgs != 0 || ments != 0 {
			t.Fatalf("author's own messages unread: %d/%d", msgs, ments)
		}
		r.doctorC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m1.ID})
		if msgs, ments := r.doctorC.unreadMessages(t, r.patientID); msgs != 1 || ments != 1 {
			t.Fatalf("after reading one: %d/%d", msgs, ments)
		}
		r.doctorC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m2.ID})
		r.doctorC.must(204, "POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": m1.ID}) // never back
		if msgs, ments := r.doctorC.unreadMessages(t, r.patientID); msgs != 0 || ments != 0 {
			t.Fatalf("after reading all: %d/%d", msgs, ments)
		}
		got := r.nurseC.messages(t, r.patientID, "")
		for _, m := range got.Items {
			if len(m.ReadBy) != 1 || m.ReadBy[0].UserID != r.doctor.ID {
				t.Fatalf("read_by of %s: %+v", m.Text, m.ReadBy)
			}
		}
		// up_to must be a message of this channel.
		if res := r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/messages/read", map[string]any{"up_to": newID()}); res.status != 422 {
			t.Fatalf("unknown up_to: %d %s", res.status, res.body)
		}
		// My mentions across patients.
		var mine messagesJSON
		r.doctorC.must(200, "GET", "/api/v1/me/mentions", nil).json(t, &mine)
		if len(mine.Items) != 1 || mine.Items[0].ID != m2.ID || mine.Items[0].PatientID != r.patientID {
			t.Fatalf("mentions %+v", mine)
		}
		r.helperC.must(200, "GET", "/api/v1/me/mentions", nil).json(t, &mine)
		if len(mine.Items) != 0 {
			t.Fatalf("helper's mentions %+v", mine)
		}
	})
}

// TestChannelBodyRules: mentions name current team members; a message
// cites only photos its author uploaded that no chart record cites, so a
// chart photo never becomes readable to the care worker through it.
func TestChannelBodyRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		post := func(c *client, body map[string]any) response {
			body["id"] = newID()
			return c.do("POST", "/api/v1/patients/"+r.patientID+"/messages", body)
		}
		for name, res := range map[string]response{
			"outsider mentioned": post(r.nurseC, map[string]any{"text": "宛先", "mentions": []string{r.outsider.ID}}),
			"blank text":         post(r.nurseC, map[string]any{"text": "   "}),
			"too long":           post(r.nurseC, map[string]any{"text": strings.Repeat("あ", 2001)}),
		} {
			if res.status != 422 || strings.Contains(res.body, r.outsider.ID) {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		// The doctor's chart photo: cited by a doctor's note, which the care
		// worker does not read.
		chartPhoto := h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "text": "所見", "attachment_ids": []string{chartPhoto}})
		if res := post(r.doctorC, map[string]any{"text": "写真", "attachment_ids": []string{chartPhoto}}); res.status != 422 || problemField(t, res) != "body.attachment_ids[0]" {
			t.Fatalf("chart photo cited in the channel: %d %s", res.status, res.body)
		}
		if res := r.helperC.do("GET", "/api/v1/attachments/"+chartPhoto, nil); res.status == 200 {
			t.Fatal("the care worker reads the chart photo")
		}
		// Someone else's upload is not the caller's to share.
		nursePhoto := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		if res := post(r.doctorC, map[string]any{"text": "写真", "attachment_ids": []string{nursePhoto}}); res.status != 422 {
			t.Fatalf("another's upload cited: %d %s", res.status, res.body)
		}
		// The caller's own fresh photo: the whole team reads it then.
		m := r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "褥瘡の写真です", "attachment_ids": []string{nursePhoto}})
		if len(m.AttachmentIDs) != 1 {
			t.Fatalf("message %+v", m)
		}
		r.helperC.must(200, "GET", "/api/v1/attachments/"+nursePhoto, nil)
		// Retracted: the others no longer read the photo; its author does.
		r.nurseC.must(200, "POST", "/api/v1/messages/"+m.ID+"/retract", nil)
		if res := r.helperC.do("GET", "/api/v1/attachments/"+nursePhoto, nil); res.status == 200 {
			t.Fatal("the photo of a retracted message stays readable to the team")
		}
		r.nurseC.must(200, "GET", "/api/v1/attachments/"+nursePhoto, nil)
	})
}

// TestMessageToRecord: a record made from a message names it
// (source_message_id), and the message lists the record (record_ids) to
// those who read the record only.
func TestMessageToRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		m := r.doctorC.mustMessage(t, r.patientID, map[string]any{"text": "明日から利尿剤を半量に"})
		rec := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "text": "利尿剤を半量に変更", "source_message_id": m.ID})
		var got struct {
			SourceMessageID string `json:"source_message_id"`
		}
		r.doctorC.must(200, "GET", "/api/v1/records/"+rec.ID, nil).json(t, &got)
		if got.SourceMessageID != m.ID {
			t.Fatalf("record's source_message_id %q", got.SourceMessageID)
		}
		note := r.helperC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "text": "服薬の声かけ", "source_message_id": m.ID})
		if ms := r.doctorC.messages(t, r.patientID, ""); len(ms.Items[0].RecordIDs) != 2 {
			t.Fatalf("doctor reads record_ids %+v", ms.Items[0].RecordIDs)
		}
		// The care worker does not read the doctor's note: its id is not named.
		if ms := r.helperC.messages(t, r.patientID, ""); len(ms.Items[0].RecordIDs) != 1 || ms.Items[0].RecordIDs[0] != note.ID {
			t.Fatalf("care worker reads record_ids %+v", ms.Items[0].RecordIDs)
		}
		// Another patient's message: refused like any foreign id.
		if res := r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "text": "x",
			"occurred_at": h.clock.Now().Add(-60e9), "source_message_id": newID()}); res.status != 422 {
			t.Fatalf("unknown source message: %d %s", res.status, res.body)
		}
	})
}

// TestMessageSyncOnceAndPurge: message.create pushed twice exists once and
// answers the same; the pull carries it to every member's device, and a
// consent withdrawal purges it.
func TestMessageSyncOnceAndPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		_, helperCursor := r.helperC.syncFromEmpty()
		dev := newID()
		id := newID()
		mu := mutation{ID: newID(), Seq: 1, Type: "message.create", Args: map[string]any{"patient_id": r.patientID, "id": id, "text": "オフラインで書いた連絡", "urgent": true}}
		first, raw1 := r.nurseC.pushOne(t, dev, mu)
		second, _ := r.nurseC.pushOne(t, dev, mu)
		if first.Status != "applied" || second.Status != "duplicate" {
			t.Fatalf("answers %s / %s", first.Status, second.Status)
		}
		var e1, e2 messageJSON
		_ = json.Unmarshal(first.Entity, &e1)
		_ = json.Unmarshal(second.Entity, &e2)
		if e1.ID != id || e2.ID != id || !e1.Urgent || e1.Text != e2.Text {
			t.Fatalf("entities %s / %s", raw1, second.Entity)
		}
		var n int
		if err := h.db.SQL().Get(&n, h.db.SQL().Rebind("SELECT COUNT(*) FROM message WHERE id = ?"), id); err != nil || n != 1 {
			t.Fatalf("messages with the id: %d %v", n, err)
		}
		// The care worker's device gets it.
		got, cur := r.helperC.pullAll(helperCursor, 100)
		found := false
		for _, c := range got.Changes {
			if c.Entity == "message" && c.ID == id && c.Op == "upsert" {
				var m map[string]any
				_ = json.Unmarshal(c.Data, &m)
				_, hasReadBy := m["read_by"]
				found = m["text"] == "オフラインで書いた連絡" && !hasReadBy
			}
		}
		if !found {
			t.Fatalf("pull without the message: %+v", got.Changes)
		}
		// A fresh device's snapshot holds it too.
		snap, _ := r.doctorC.syncFromEmpty()
		found = false
		for _, c := range snap.Changes {
			found = found || (c.Entity == "message" && c.ID == id)
		}
		if !found {
			t.Fatal("snapshot without the message")
		}
		// Withdrawal: a purge reset, and no message afterwards.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{})
		after, _ := r.helperC.pullAll(cur, 100)
		purged := false
		for _, rs := range after.Resets {
			purged = purged || (rs.PatientID == r.patientID && rs.Action == "purge")
		}
		if !purged {
			t.Fatalf("no purge after withdrawal: %+v", after.Resets)
		}
		for _, c := range after.Changes {
			if c.Entity == "message" && c.Op == "upsert" {
				t.Fatalf("a message after the purge: %+v", c)
			}
		}
	})
}

// TestChannelBodyRefs: the ids of a message's body that the name walk of
// TestBodyIDsNameThePatientsOwnEntities does not catch (reply_to, and the
// users of mentions) name this patient's message and this patient's team:
// another patient's message answers as an unknown id, by REST and by sync,
// and nothing is written.
func TestChannelBodyRefs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		own := r.doctorC.mustMessage(t, r.patientID, map[string]any{"text": "連絡"})
		var p struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "別の 患者", "name_kana": "ベツノ カンジャ", "birth_date": "1938-05-06",
			"sex": "male", "address": "架空県つなぐ市2-2", "phone": "000-0000-0001"}).json(t, &p)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		foreign := r.doctorC.mustMessage(t, p.ID, map[string]any{"text": "別の患者の連絡"})
		dev := newID()
		seq := int64(0)
		for _, c := range []struct {
			field, loc string
			values     []any
		}{
			{"reply_to", "body.reply_to", []any{foreign.ID, newID()}},
			// A user off this team, and an id of no user at all.
			{"mentions", "body.mentions[0]", []any{[]string{r.outsider.ID}, []string{newID()}}},
		} {
			var shapes []string
			for _, v := range c.values {
				before := writes(t, h)
				res := r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/messages", map[string]any{"id": newID(), "text": "返信", c.field: v})
				if res.status != 422 || problemField(t, res) != c.loc {
					t.Errorf("%s = %v: %d %s", c.field, v, res.status, res.body)
				}
				shapes = append(shapes, problemShape(t, res.body))
				seq++
				got, raw := r.doctorC.pushOne(t, dev, mutation{ID: newID(), Seq: seq, Type: "message.create",
					Args: map[string]any{"patient_id": r.patientID, "id": newID(), "text": "返信", c.field: v}})
				if got.Status != "rejected" || got.Problem == nil || len(got.Problem.Errors) == 0 || got.Problem.Errors[0].Location != c.loc {
					t.Errorf("%s = %v by sync: %s", c.field, v, raw)
				}
				if after := writes(t, h); !sameCounts(before, after) {
					t.Errorf("%s = %v: wrote %v → %v", c.field, v, before, after)
				}
			}
			if shapes[0] != shapes[1] {
				t.Errorf("%s: another patient's and an unknown id answer differently: %s / %s", c.field, shapes[0], shapes[1])
			}
		}
		// The patient's own message and team member pass.
		r.doctorC.mustMessage(t, r.patientID, map[string]any{"text": "返信", "reply_to": own.ID, "mentions": []string{r.helper.ID}})
	})
}
