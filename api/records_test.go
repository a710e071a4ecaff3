package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type recordJSON struct {
	ID               string    `json:"id"`
	Kind             string    `json:"kind"`
	Version          int64     `json:"version"`
	Status           string    `json:"status"`
	StaleParent      bool      `json:"stale_parent"`
	Text             string    `json:"text"`
	OccurredAt       time.Time `json:"occurred_at"`
	AuthorID         string    `json:"author_id"`
	AuthorProfession string    `json:"author_profession"`
	// who entered and who confirmed the current version
	EnteredBy            string     `json:"entered_by"`
	ConfirmedBy          string     `json:"confirmed_by"`
	ConfirmedAt          *time.Time `json:"confirmed_at"`
	AwaitingConfirmation bool       `json:"awaiting_confirmation"`
	Fields               struct {
		Adherence string `json:"adherence"`
		Title     string `json:"title"`
	} `json:"fields"`
	AttachmentIDs []string `json:"attachment_ids"`
	Flags         []struct {
		Field, Level string
	} `json:"flags"`
	ReadCount int  `json:"read_count"`
	ReadByMe  bool `json:"read_by_me"`
	Versions  []struct {
		Version           int64      `json:"version"`
		ParentVersion     int64      `json:"parent_version"`
		StaleParent       bool       `json:"stale_parent"`
		Status            string     `json:"status"`
		Reason            string     `json:"reason"`
		Text              string     `json:"text"`
		EnteredBy         string     `json:"entered_by"`
		EnteredByName     string     `json:"entered_by_name"`
		NeedsConfirmation bool       `json:"needs_confirmation"`
		ConfirmedBy       string     `json:"confirmed_by"`
		ConfirmedByName   string     `json:"confirmed_by_name"`
		ConfirmedAt       *time.Time `json:"confirmed_at"`
	} `json:"versions"`
	ReadBy []struct {
		UserID string    `json:"user_id"`
		Name   string    `json:"name"`
		ReadAt time.Time `json:"read_at"`
	} `json:"read_by"`
}

type timelineJSON struct {
	Records []recordJSON `json:"records"`
	Next    string       `json:"next"`
}

func (c *client) mustCreateRecord(t *testing.T, patientID string, body map[string]any) recordJSON {
	t.Helper()
	if body["id"] == nil {
		body["id"] = newID()
	}
	if body["occurred_at"] == nil {
		body["occurred_at"] = c.h.clock.Now().Add(-30 * time.Minute)
	}
	var out recordJSON
	c.must(201, "POST", "/api/v1/patients/"+patientID+"/records", body).json(t, &out)
	return out
}

func problemField(t *testing.T, r response) string {
	t.Helper()
	var p struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	r.json(t, &p)
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Location
}

func TestCreateRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		path := "/api/v1/patients/" + r.patientID + "/records"
		body := map[string]any{"id": newID(), "kind": "nursing_visit", "occurred_at": "2026-11-20T10:00:00+09:00", "text": "発熱あり",
			"fields":        map[string]any{"observations": "顔色不良", "care_given": "クーリング", "plan": "明日再訪"},
			"vitals":        map[string]any{"temperature_c": 38.2, "bp_systolic": 150, "bp_diastolic": 88, "spo2": 91, "pulse": 104, "consciousness": "0"},
			"next_visit_on": "2026-11-22", "plan_changed": true, "care_notes": "水分摂取を促す"}

		first := r.nurseC.must(201, "POST", path, body)
		var rec recordJSON
		first.json(t, &rec)
		if rec.Version != 1 || rec.Status != "final" || len(rec.Versions) != 1 || rec.AuthorProfession != "nurse" {
			t.Fatalf("created record: %+v", rec)
		}
		var flags []string
		for _, f := range rec.Flags {
			flags = append(flags, f.Field+":"+f.Level)
		}
		if got := strings.Join(flags, ","); got != "vitals.temperature_c:high,vitals.pulse:high,vitals.spo2:low" {
			t.Errorf("flags %s", got)
		}
		if !rec.OccurredAt.Equal(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)) {
			t.Errorf("occurred_at %v", rec.OccurredAt)
		}

		t.Run("same id and body again answers the same", func(t *testing.T) {
			again := r.nurseC.must(200, "POST", path, body)
			if again.body != first.body {
				t.Fatalf("retry answered differently:\n%s\n%s", first.body, again.body)
			}
		})
		t.Run("same id with another body is a conflict", func(t *testing.T) {
			other := map[string]any{}
			for k, v := range body {
				other[k] = v
			}
			other["text"] = "別の内容"
			if res := r.nurseC.must(409, "POST", path, other); res.code() != care.CodeConflict {
				t.Fatalf("code %s", res.code())
			}
			// and the stored record kept its first content
			var got recordJSON
			r.nurseC.must(200, "GET", "/api/v1/records/"+rec.ID, nil).json(t, &got)
			if got.Text != "発熱あり" || len(got.Versions) != 1 {
				t.Fatalf("stored record changed: %+v", got)
			}
		})
		t.Run("same id by someone else is a conflict", func(t *testing.T) {
			r.doctorC.must(409, "POST", path, body)
		})
		t.Run("id must be a UUIDv7", func(t *testing.T) {
			res := r.nurseC.must(422, "POST", path, map[string]any{"id": "01900000-0000-4000-8000-000000000001", "kind": "note", "occurred_at": "2026-11-20T10:00:00Z", "text": "x"})
			if f := problemField(t, res); f != "body.id" {
				t.Fatalf("field %s", f)
			}
		})
		t.Run("future occurred_at", func(t *testing.T) {
			res := r.nurseC.must(422, "POST", path, map[string]any{"id": newID(), "kind": "note", "occurred_at": h.clock.Now().Add(3 * time.Hour), "text": "x"})
			if f := problemField(t, res); f != "body.occurred_at" {
				t.Fatalf("field %s", f)
			}
		})
	})
}

func TestRecordValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		path := "/api/v1/patients/" + r.patientID + "/records"
		page := h.mustAttachment(r.doctorC, r.patientID, phototest.JPEG(phototest.Halves(40, 20)))
		page2 := h.mustAttachment(r.doctorC, r.patientID, phototest.JPEG(phototest.Halves(20, 40)))
		var other struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "別 患者", "name_kana": "ベツ カンジャ", "birth_date": "1950-01-01", "sex": "male", "address": "", "phone": ""}).json(t, &other)
		otherPage := h.mustAttachment(r.doctorC, other.ID, phototest.JPEG(phototest.Halves(40, 20)))
		cases := []struct {
			name  string
			body  map[string]any
			field string // "" = created
		}{
			{"nursing visit", map[string]any{"kind": "nursing_visit", "fields": map[string]any{"observations": "安定"}}, ""},
			{"nursing visit text too long", map[string]any{"kind": "nursing_visit", "fields": map[string]any{"plan": strings.Repeat("計", 4001)}}, "body.fields.plan"},
			{"vitals spo2 impossible", map[string]any{"kind": "nursing_visit", "vitals": map[string]any{"spo2": 120}}, "body.vitals.spo2"},
			{"vitals temperature impossible", map[string]any{"kind": "nursing_visit", "vitals": map[string]any{"temperature_c": 50}}, "body.vitals.temperature_c"},
			{"vitals diastolic above systolic", map[string]any{"kind": "nursing_visit", "vitals": map[string]any{"bp_systolic": 90, "bp_diastolic": 120}}, "body.vitals.bp_diastolic"},
			{"vitals bad JCS", map[string]any{"kind": "nursing_visit", "vitals": map[string]any{"consciousness": "IV"}}, "body.vitals.consciousness"},
			{"doctor note", map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "点滴継続", "instruction_valid_until": "2026-12-31"}}, ""},
			{"doctor note bad date", map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "x", "instruction_valid_until": "12/31"}}, "body.fields.instruction_valid_until"},
			{"medication", map[string]any{"kind": "medication", "fields": map[string]any{"drugs_checked": []any{map[string]any{"name": "アムロジピン", "dose": "5mg"}}, "adherence": "poor", "flag_to_doctor": true}}, ""},
			{"medication bad adherence", map[string]any{"kind": "medication", "fields": map[string]any{"adherence": "sometimes"}}, "body.fields.adherence"},
			{"medication drug without name", map[string]any{"kind": "medication", "fields": map[string]any{"drugs_checked": []any{map[string]any{"dose": "1錠"}}}}, "body.fields.drugs_checked[0]"},
			{"care note", map[string]any{"kind": "care_note", "fields": map[string]any{"coordination": "担当者会議", "plan_change": "デイ追加"}, "plan_changed": true, "next_visit_on": "2026-12-01"}, ""},
			{"care note with a nursing field", map[string]any{"kind": "care_note", "fields": map[string]any{"observations": "x"}}, "body.fields.observations"},
			{"care note with vitals", map[string]any{"kind": "care_note", "text": "x", "vitals": map[string]any{"pulse": 80}}, "body.vitals"},
			{"note", map[string]any{"kind": "note", "text": "鍵はポスト"}, ""},
			{"note without text", map[string]any{"kind": "note"}, "body.text"},
			{"document", map[string]any{"kind": "document", "fields": map[string]any{"title": "訪問看護指示書"}, "attachment_ids": []string{page, page2}}, ""},
			{"document page never uploaded", map[string]any{"kind": "document", "fields": map[string]any{"title": "指示書"}, "attachment_ids": []string{page, newID()}}, "body.attachment_ids[1]"},
			{"document page of another patient", map[string]any{"kind": "document", "fields": map[string]any{"title": "指示書"}, "attachment_ids": []string{otherPage}}, "body.attachment_ids[0]"},
			{"document without pages", map[string]any{"kind": "document", "fields": map[string]any{"title": "指示書"}}, "body.attachment_ids"},
			{"document page not a uuid", map[string]any{"kind": "document", "fields": map[string]any{"title": "指示書"}, "attachment_ids": []string{"p1"}}, "body.attachment_ids[0]"},
			{"unknown field", map[string]any{"kind": "note", "text": "x", "fields": map[string]any{"colour": "red"}}, "body.fields.colour"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.body["id"] = newID()
				c.body["occurred_at"] = "2026-11-20T10:00:00Z"
				if c.field == "" {
					r.doctorC.must(201, "POST", path, c.body)
					return
				}
				res := r.doctorC.must(422, "POST", path, c.body)
				if res.code() != care.CodeValidation {
					t.Fatalf("code %s", res.code())
				}
				if f := problemField(t, res); !strings.HasPrefix(f, c.field) {
					t.Fatalf("error names %q, want %q: %s", f, c.field, res.body)
				}
			})
		}
	})
}

func TestAmendments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		rec := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": "初回", "vitals": map[string]any{"spo2": 96}})
		amend := func(c *client, want int, body map[string]any) recordJSON {
			t.Helper()
			var out recordJSON
			res := c.must(want, "POST", "/api/v1/records/"+rec.ID+"/amendments", body)
			if want == 201 {
				res.json(t, &out)
			}
			return out
		}
		// The timeline answers from records' JSON kept by version: read
		// once (kept), then again (from what was kept, byte for byte), and
		// after the amendment it gives the new version, not the kept one.
		timeline := "/api/v1/patients/" + r.patientID + "/records"
		first := r.doctorC.must(200, "GET", timeline, nil).body
		if again := r.doctorC.must(200, "GET", timeline, nil).body; again != first {
			t.Fatalf("the timeline read again differs:\n%s\n%s", first, again)
		}
		h.clock.Advance(time.Minute)
		v2 := amend(r.nurseC, 201, map[string]any{"reason": "追記", "base_version": 1, "text": "初回（追記）"})
		var tl struct {
			Records []recordJSON `json:"records"`
		}
		r.doctorC.must(200, "GET", timeline, nil).json(t, &tl)
		for _, x := range tl.Records {
			if x.ID == rec.ID && (x.Version != 2 || x.Text != "初回（追記）") {
				t.Fatalf("the timeline after an amendment: %+v", x)
			}
		}
		if v2.Version != 2 || v2.StaleParent || v2.Text != "初回（追記）" || len(v2.Versions) != 2 {
			t.Fatalf("v2 %+v", v2)
		}
		if v2.Versions[0].Text != "初回" || v2.Versions[1].Reason != "追記" || v2.Versions[1].ParentVersion != 1 {
			t.Fatalf("history lost: %+v", v2.Versions)
		}
		t.Run("a clinical team member may amend a chart record", func(t *testing.T) {
			v3 := amend(r.doctorC, 201, map[string]any{"reason": "バイタル訂正", "base_version": 2, "vitals": map[string]any{"spo2": 92}})
			if v3.Version != 3 || v3.Text != "初回（追記）" || len(v3.Flags) != 1 || v3.Versions[2].EnteredBy != r.doctor.ID {
				t.Fatalf("v3 %+v", v3)
			}
		})
		t.Run("a stale base is kept and flagged", func(t *testing.T) {
			v4 := amend(r.nurseC, 201, map[string]any{"reason": "オフラインで訂正", "base_version": 2, "text": "オフライン版"})
			if v4.Version != 4 || !v4.StaleParent || v4.Versions[3].ParentVersion != 2 || !v4.Versions[3].StaleParent {
				t.Fatalf("v4 %+v", v4)
			}
			if len(v4.Versions) != 4 || v4.Versions[2].Reason != "バイタル訂正" {
				t.Fatalf("the intervening version was lost: %+v", v4.Versions)
			}
		})
		t.Run("entered in error is a status, and the history stays", func(t *testing.T) {
			v5 := amend(r.nurseC, 201, map[string]any{"reason": "別患者の記録", "base_version": 4, "status": "entered_in_error"})
			if v5.Status != "entered_in_error" || v5.Version != 5 || len(v5.Versions) != 5 || v5.Versions[0].Status != "final" {
				t.Fatalf("v5 %+v", v5)
			}
			var got recordJSON
			r.doctorC.must(200, "GET", "/api/v1/records/"+rec.ID, nil).json(t, &got)
			if got.Status != "entered_in_error" || len(got.Versions) != 5 || got.Versions[4].EnteredByName == "" {
				t.Fatalf("get %+v", got)
			}
		})
		t.Run("invalid amendments", func(t *testing.T) {
			if f := problemField(t, r.nurseC.must(422, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"reason": "x", "base_version": 9})); f != "body.base_version" {
				t.Errorf("field %s", f)
			}
			r.nurseC.must(422, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"base_version": 1, "text": "x"})
			if f := problemField(t, r.nurseC.must(422, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"reason": "x", "base_version": 5, "vitals": map[string]any{"pulse": 300}})); f != "body.vitals.pulse" {
				t.Errorf("field %s", f)
			}
		})
		t.Run("only the author amends a shared record", func(t *testing.T) {
			note := r.helperC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "ヘルパーより"})
			if res := r.nurseC.must(403, "POST", "/api/v1/records/"+note.ID+"/amendments", map[string]any{"reason": "x", "base_version": 1, "text": "y"}); res.code() != care.CodeForbidden {
				t.Errorf("code %s", res.code())
			}
			r.helperC.must(201, "POST", "/api/v1/records/"+note.ID+"/amendments", map[string]any{"reason": "訂正", "base_version": 1, "text": "ヘルパーより（訂正）"})
		})
		// Versions are rows of their own; nothing was overwritten.
		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM record_version WHERE record_id = ?`, rec.ID)
		})
		if n != 5 {
			t.Errorf("%d version rows, want 5", n)
		}
	})
}

func TestRecordAccessByKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		note := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "fields": map[string]any{"coordination": "入浴日変更"}})

		if res := r.helperC.must(403, "GET", "/api/v1/records/"+r.recordID, nil); res.code() != care.CodeChartForbidden {
			t.Errorf("helper reading a nursing visit: %s", res.body)
		}
		if res := r.helperC.must(403, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "doctor_note",
			"occurred_at": "2026-11-20T10:00:00Z", "fields": map[string]any{"note": "x"}}); res.code() != care.CodeChartForbidden {
			t.Errorf("helper writing a doctor note: %s", res.body)
		}
		r.helperC.must(200, "GET", "/api/v1/records/"+note.ID, nil)
		r.helperC.must(200, "POST", "/api/v1/records/"+note.ID+"/read", nil)
		r.helperC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "了解しました"})

		// The outsider's 404 is the one an unknown record id gets.
		outsiderC := h.signIn(r.outsider)
		unknown := outsiderC.must(404, "GET", "/api/v1/records/"+newID(), nil)
		known := outsiderC.must(404, "GET", "/api/v1/records/"+r.recordID, nil)
		if stripRequestID(unknown.body) != stripRequestID(known.body) {
			t.Errorf("404s differ: %s vs %s", unknown.body, known.body)
		}
		// Consent withdrawn: the team loses the records at once.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "撤回"})
		r.nurseC.must(404, "GET", "/api/v1/records/"+r.recordID, nil)
	})
}

func TestTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		want := map[string]bool{r.recordID: true}
		kinds := map[string]string{r.recordID: "nursing_visit"}
		for i := 0; i < 30; i++ {
			// Several records share a time, so the id breaks ties.
			at := base.Add(time.Duration(i/3) * 24 * time.Hour)
			c, kind, body := r.nurseC, "nursing_visit", map[string]any{"fields": map[string]any{"observations": fmt.Sprint("観察", i)}}
			switch i % 3 {
			case 1:
				c, kind, body = r.helperC, "note", map[string]any{"text": fmt.Sprint("連絡", i)}
			case 2:
				c, kind, body = r.doctorC, "doctor_note", map[string]any{"fields": map[string]any{"note": fmt.Sprint("所見", i)}}
			}
			body["kind"], body["occurred_at"] = kind, at
			rec := c.mustCreateRecord(t, r.patientID, body)
			want[rec.ID] = true
			kinds[rec.ID] = kind
		}
		pages := func(c *client, query string, limit int) []recordJSON {
			t.Helper()
			var all []recordJSON
			cursor := ""
			for n := 0; ; n++ {
				q := "?limit=" + fmt.Sprint(limit) + query
				if cursor != "" {
					q += "&before=" + url.QueryEscape(cursor)
				}
				var page timelineJSON
				c.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records"+q, nil).json(t, &page)
				if len(page.Records) > limit {
					t.Fatalf("page of %d > limit %d", len(page.Records), limit)
				}
				all = append(all, page.Records...)
				if page.Next == "" {
					return all
				}
				cursor = page.Next
				if n > 100 {
					t.Fatal("paging does not end")
				}
			}
		}
		t.Run("pages cover everything once, newest first", func(t *testing.T) {
			all := pages(r.doctorC, "", 7)
			seen := map[string]bool{}
			for i, rec := range all {
				if seen[rec.ID] {
					t.Fatalf("%s listed twice", rec.ID)
				}
				seen[rec.ID] = true
				if i > 0 {
					prev := all[i-1]
					if rec.OccurredAt.After(prev.OccurredAt) || (rec.OccurredAt.Equal(prev.OccurredAt) && rec.ID > prev.ID) {
						t.Fatalf("out of order at %d", i)
					}
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("listed %d records, want %d", len(seen), len(want))
			}
		})
		t.Run("non-clinical members never see chart kinds", func(t *testing.T) {
			all := pages(r.helperC, "", 4)
			if len(all) != 10 {
				t.Fatalf("helper sees %d records, want the 10 notes", len(all))
			}
			for _, rec := range all {
				if rec.Kind != "note" {
					t.Fatalf("helper sees a %s", rec.Kind)
				}
			}
			var page timelineJSON
			r.helperC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records?kind=nursing_visit", nil).json(t, &page)
			if len(page.Records) != 0 {
				t.Fatalf("helper asked for nursing visits and got %d", len(page.Records))
			}
		})
		t.Run("filters", func(t *testing.T) {
			if got := pages(r.doctorC, "&kind=doctor_note,note", 50); len(got) != 20 {
				t.Errorf("kind filter: %d", len(got))
			}
			if got := pages(r.doctorC, "&profession=care_worker", 50); len(got) != 10 || got[0].Kind != "note" {
				t.Errorf("profession filter: %d", len(got))
			}
			from, to := base.Add(24*time.Hour).Format(time.RFC3339), base.Add(3*24*time.Hour).Format(time.RFC3339)
			got := pages(r.doctorC, "&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), 4)
			if len(got) != 6 {
				t.Errorf("time filter: %d records", len(got))
			}
			for _, rec := range got {
				if rec.OccurredAt.Before(base.Add(24*time.Hour)) || !rec.OccurredAt.Before(base.Add(3*24*time.Hour)) {
					t.Errorf("outside the range: %v", rec.OccurredAt)
				}
			}
			r.doctorC.must(422, "GET", "/api/v1/patients/"+r.patientID+"/records?kind=diary", nil)
			r.doctorC.must(422, "GET", "/api/v1/patients/"+r.patientID+"/records?before=bm90LWEtY3Vyc29y", nil)
		})
	})
}

func TestReadReceiptsAndUnread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		unread := func(c *client) int { t.Helper(); return listedUnread(t, c, r.patientID) }
		// The fixture's nursing visit by the nurse: unread for the doctor,
		// invisible to the helper, the nurse's own.
		if n := unread(r.doctorC); n != 1 {
			t.Fatalf("doctor unread %d, want 1", n)
		}
		if n := unread(r.helperC); n != 0 {
			t.Fatalf("helper unread %d, want 0 (chart kinds are not theirs)", n)
		}
		if n := unread(r.nurseC); n != 0 {
			t.Fatalf("nurse unread %d, want 0 (own record)", n)
		}
		var start struct{ Cursor string }
		r.doctorC.must(200, "GET", "/api/v1/sync/pull", nil).json(t, &start)
		note := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "明日の訪問は午後"})
		if n := unread(r.helperC); n != 1 {
			t.Fatalf("helper unread %d, want 1", n)
		}
		if n := unread(r.doctorC); n != 2 {
			t.Fatalf("doctor unread %d, want 2", n)
		}

		var first, second struct {
			ReadAt time.Time `json:"read_at"`
		}
		r.doctorC.must(200, "POST", "/api/v1/records/"+note.ID+"/read", nil).json(t, &first)
		h.clock.Advance(time.Minute)
		r.doctorC.must(200, "POST", "/api/v1/records/"+note.ID+"/read", nil).json(t, &second)
		if !first.ReadAt.Equal(second.ReadAt) {
			t.Errorf("marking again moved read_at: %v then %v", first.ReadAt, second.ReadAt)
		}
		r.helperC.must(200, "POST", "/api/v1/records/"+note.ID+"/read", nil)
		if n := unread(r.doctorC); n != 1 {
			t.Errorf("doctor unread after reading %d, want 1", n)
		}
		if n := unread(r.helperC); n != 0 {
			t.Errorf("helper unread after reading %d, want 0", n)
		}
		var got recordJSON
		r.nurseC.must(200, "GET", "/api/v1/records/"+note.ID, nil).json(t, &got)
		if got.ReadCount != 2 || len(got.ReadBy) != 2 || got.ReadBy[0].UserID != r.doctor.ID || got.ReadBy[0].Name == "" || got.ReadByMe {
			t.Errorf("read_by %+v", got)
		}
		var page timelineJSON
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records", nil).json(t, &page)
		for _, rec := range page.Records {
			if rec.ID == note.ID && (!rec.ReadByMe || rec.ReadCount != 2) {
				t.Errorf("timeline read state %+v", rec)
			}
			if rec.ID == r.recordID && rec.ReadByMe {
				t.Errorf("unread record shown read")
			}
		}
		// A device pulls the same read state with the record's changes.
		var pulled struct {
			Changes []struct {
				Entity string
				ID     string
				Data   recordJSON
			}
		}
		r.doctorC.must(200, "GET", "/api/v1/sync/pull?cursor="+start.Cursor, nil).json(t, &pulled)
		found := false
		for _, c := range pulled.Changes {
			if c.Entity == "record" && c.ID == note.ID {
				found = true
				if !c.Data.ReadByMe || c.Data.ReadCount != 2 {
					t.Errorf("pulled read state %+v", c.Data)
				}
			}
		}
		if !found {
			t.Errorf("the note is not in the doctor's pull: %+v", pulled.Changes)
		}
	})
}

func TestRecordAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		id := r.recordID
		r.doctorC.must(200, "GET", "/api/v1/records/"+id, nil)
		r.doctorC.must(201, "POST", "/api/v1/records/"+id+"/amendments", map[string]any{"reason": "追記", "base_version": 1, "text": "追記"})
		r.doctorC.must(200, "POST", "/api/v1/records/"+id+"/read", nil)
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records", nil)
		r.doctorC.must(200, "GET", "/api/v1/me/unread", nil)
		r.helperC.must(403, "GET", "/api/v1/records/"+id, nil)
		for _, c := range []struct{ actor, action, result string }{
			{r.nurse.ID, "record.create", "ok"},
			{r.doctor.ID, "record.read", "ok"},
			{r.doctor.ID, "record.amend", "ok"},
			{r.doctor.ID, "record.mark_read", "ok"},
			{r.doctor.ID, "record.list", "ok"},
			{r.doctor.ID, "record.unread", "ok"},
			{r.helper.ID, "record.read", "denied"},
		} {
			var n int
			err := h.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = ? AND result = ? AND patient_id = ?`,
					c.actor, c.action, c.result, r.patientID)
			})
			if err != nil || n != 1 {
				t.Errorf("%s %s: %d events (%v), want 1", c.action, c.result, n, err)
			}
		}
	})
}
