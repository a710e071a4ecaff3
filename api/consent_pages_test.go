package api_test

import (
	"encoding/json"
	"slices"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store/storetest"
)

type consentJSON struct {
	ID               string   `json:"id"`
	ObtainedOn       string   `json:"obtained_on"`
	Scope            string   `json:"scope"`
	ObtainedBy       string   `json:"obtained_by"`
	RecordedBy       string   `json:"recorded_by"`
	AttachmentID     string   `json:"attachment_id"`
	AttachmentIDs    []string `json:"attachment_ids"`
	Active           bool     `json:"active"`
	WithdrawalReason string   `json:"withdrawal_reason"`
}

// consents reads the patient's consents as c, newest first.
func (c *client) consents(t *testing.T, patientID string) []consentJSON {
	t.Helper()
	var p struct{ Consents []consentJSON }
	c.must(200, "GET", "/api/v1/patients/"+patientID, nil).json(t, &p)
	return p.Consents
}

// pages uploads n pages of a signed form for the patient as c.
func (h *harness) pages(c *client, patientID string, n int) []string {
	h.t.Helper()
	img := phototest.JPEG(phototest.Halves(40, 20))
	var ids []string
	for range n {
		ids = append(ids, h.mustAttachment(c, patientID, img))
	}
	return ids
}

// TestConsentFormPages records a consent with a form of several pages: the
// pages come back in the order sent, the first is attachment_id, and the
// patient's detail shows them. Refused, with nothing written, each naming
// the field and the rule: a page of another patient (or unknown), the same
// page twice, more than 20 pages, no page, both attachment_id and
// attachment_ids, a page of an earlier consent. attachment_id alone stays a
// one-page form. After a withdrawal the new consent needs the form
// (consent_form_required), which attachment_ids satisfies.
func TestConsentFormPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		url := "/api/v1/patients/" + r.patientID + "/consents"
		p := h.pages(r.doctorC, r.patientID, 3)
		order := []string{p[2], p[0], p[1]}
		var c consentJSON
		r.doctorC.must(201, "POST", url, map[string]any{"obtained_on": "2026-11-20", "scope": "calendar_shared", "attachment_ids": order}).json(t, &c)
		if !slices.Equal(c.AttachmentIDs, order) || c.AttachmentID != order[0] || !c.Active || c.Scope != "calendar_shared" || c.ObtainedBy != r.doctor.ID {
			t.Fatalf("consent with pages %v answered %+v", order, c)
		}
		if got := r.doctorC.consents(t, r.patientID); got[0].ID != c.ID || !slices.Equal(got[0].AttachmentIDs, order) || got[0].AttachmentID != order[0] {
			t.Errorf("the patient's detail shows %+v, want pages %v", got[0], order)
		}
		if got := r.doctorC.consents(t, r.patientID); len(got[1].AttachmentIDs) != 0 || got[1].Active {
			t.Errorf("the region's first consent (no form, superseded) shows %+v", got[1])
		}

		var other struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "別の 患者", "name_kana": "ベツノ カンジャ", "birth_date": "1938-05-06",
			"sex": "male", "address": "架空県つなぐ市2-2", "phone": "000-0000-0001"}).json(t, &other)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		foreign := h.pages(r.doctorC, other.ID, 1)[0]
		fresh := h.pages(r.doctorC, r.patientID, 2)
		many := h.pages(r.doctorC, r.patientID, 21)
		body := func(k string, v any) map[string]any {
			return map[string]any{"obtained_on": "2026-11-20", "scope": "full", k: v}
		}
		both := body("attachment_ids", fresh)
		both["attachment_id"] = fresh[0]
		for _, tc := range []struct {
			what, field string
			body        map[string]any
		}{
			{"a page of another patient", "body.attachment_ids[1]", body("attachment_ids", []string{fresh[0], foreign})},
			{"an unknown page", "body.attachment_ids[0]", body("attachment_ids", []string{newID()})},
			{"the same page twice", "body.attachment_ids[1]", body("attachment_ids", []string{fresh[0], fresh[0]})},
			{"21 pages", "body.attachment_ids", body("attachment_ids", many)},
			{"no page", "body.attachment_ids", body("attachment_ids", []string{})},
			{"attachment_id and attachment_ids", "body.attachment_ids", both},
			{"a page of the earlier consent", "body.attachment_ids[1]", body("attachment_ids", []string{fresh[0], p[0]})},
			{"the earlier consent's page as attachment_id", "body.attachment_id", body("attachment_id", p[1])},
		} {
			before := writes(t, h)
			res := r.doctorC.do("POST", url, tc.body)
			if res.status != 422 || res.code() != care.CodeValidation || problemField(t, res) != tc.field {
				t.Errorf("%s: want 422 naming %s, got %d %s", tc.what, tc.field, res.status, res.body)
			}
			if after := writes(t, h); !sameCounts(before, after) {
				t.Errorf("%s: a refused consent wrote: %v → %v", tc.what, before, after)
			}
		}
		if got := r.doctorC.consents(t, r.patientID); got[0].ID != c.ID || !got[0].Active {
			t.Fatalf("a refusal changed the active consent: %+v", got[0])
		}

		// attachment_id alone: a one-page form.
		var one consentJSON
		r.doctorC.must(201, "POST", url, body("attachment_id", fresh[1])).json(t, &one)
		if !slices.Equal(one.AttachmentIDs, []string{fresh[1]}) || one.AttachmentID != fresh[1] {
			t.Errorf("a one-page form answered %+v", one)
		}

		// Withdrawn: a new consent needs the signed form.
		r.doctorC.must(200, "POST", url+"/"+one.ID+"/withdraw", map[string]any{"reason": "家族の意向"})
		res := r.doctorC.do("POST", url, map[string]any{"obtained_on": "2026-11-20", "scope": "full"})
		if res.status != 422 || res.code() != care.CodeConsentFormRequired {
			t.Errorf("a consent after a withdrawal without the form: %d %s", res.status, res.body)
		}
		var again consentJSON
		r.doctorC.must(201, "POST", url, body("attachment_ids", many[:20])).json(t, &again)
		if !slices.Equal(again.AttachmentIDs, many[:20]) || !again.Active {
			t.Errorf("a 20-page form after a withdrawal answered %+v", again)
		}
		got := r.doctorC.consents(t, r.patientID)
		if got[1].ID != one.ID || got[1].Active || got[1].WithdrawalReason != "家族の意向" {
			t.Errorf("the withdrawn consent shows %+v", got[1])
		}
	})
}

// TestConsentPagesReadByWhoManages: every page of a consent's form is
// read by those who manage the patient (the registering facility's doctor,
// the team's care manager), and by no other team member (403, as for a
// one-page form) nor anyone off the team (404 as an unknown id).
func TestConsentPagesReadByWhoManages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		manager := h.mustUser(r.service, care.ProfCareManager)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": manager.ID, "role": "care_manager"})
		managerC := h.signIn(manager)
		// The care manager photographs the form: she reads her uploads.
		p := h.pages(managerC, r.patientID, 3)
		managerC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full", "attachment_ids": p})
		for _, v := range []struct {
			name   string
			c      *client
			status int
		}{{"doctor", r.doctorC, 200}, {"care manager", managerC, 200}, {"nurse", r.nurseC, 403}, {"care worker", r.helperC, 403}, {"outsider", h.signIn(r.outsider), 404}} {
			for i, id := range p {
				for _, path := range []string{"/api/v1/attachments/" + id, "/api/v1/attachments/" + id + "/thumbnail"} {
					if res := v.c.do("GET", path, nil); res.status != v.status {
						t.Errorf("%s reads page %d (%s): %d %s, want %d", v.name, i+1, path, res.status, res.body, v.status)
					}
				}
			}
		}
		// Nobody cites a page they cannot read: the nurse's consent citing
		// the form is refused as an unknown page would be (she does not
		// manage the patient either, which is refused first).
		res := r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full", "attachment_ids": p})
		if res.status != 403 {
			t.Errorf("the nurse records a consent: %d %s", res.status, res.body)
		}
	})
}

// TestConsentCreateBySync: consent.create, the mutation the app queues
// offline after uploading the photographed pages, is the REST operation:
// the same answer (but for ids and times), the same refusal naming the
// same field, nothing written on a refusal; a resend answers the stored
// consent as duplicate, without recording a second.
func TestConsentCreateBySync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		dev := newID()
		url := "/api/v1/patients/" + r.patientID + "/consents"
		restPages, syncPages := h.pages(r.doctorC, r.patientID, 2), h.pages(r.doctorC, r.patientID, 2)
		args := func(pages []string) map[string]any {
			return map[string]any{"obtained_on": "2026-11-20", "scope": "calendar_shared", "obtained_by": r.doctor.ID, "attachment_ids": pages}
		}
		var rest consentJSON
		r.doctorC.must(201, "POST", url, args(restPages)).json(t, &rest)
		m := mutation{ID: newID(), Seq: 1, Type: "consent.create", Args: args(syncPages)}
		m.Args["patient_id"], m.Args["id"] = r.patientID, newID()
		res, raw := r.doctorC.pushOne(t, dev, m)
		var synced consentJSON
		json.Unmarshal(res.Entity, &synced)
		if res.Status != "applied" || synced.ID != m.Args["id"] || !slices.Equal(synced.AttachmentIDs, syncPages) {
			t.Fatalf("consent.create answered %s", raw)
		}
		rest.ID, rest.AttachmentID, rest.AttachmentIDs = synced.ID, synced.AttachmentID, synced.AttachmentIDs
		if !equalConsent(rest, synced) {
			t.Errorf("REST answered %+v, sync %+v", rest, synced)
		}
		before := writes(t, h)
		again, raw := r.doctorC.pushOne(t, dev, m)
		if again.Status != "duplicate" || !sameJSON(again.Entity, res.Entity) {
			t.Errorf("the resend answered %s", raw)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Errorf("the resend wrote: %v → %v", before, after)
		}
		if n := len(r.doctorC.consents(t, r.patientID)); n != 3 {
			t.Errorf("%d consents, want the region's, REST's and sync's", n)
		}

		// The same refusal both ways: a page of an earlier consent.
		bad := args([]string{h.pages(r.doctorC, r.patientID, 1)[0], syncPages[1]})
		restRes := r.doctorC.do("POST", url, bad)
		bad["patient_id"], bad["id"] = r.patientID, newID()
		before = writes(t, h)
		got, raw := r.doctorC.pushOne(t, dev, mutation{ID: newID(), Seq: 2, Type: "consent.create", Args: bad})
		if restRes.status != 422 || got.Status != "rejected" || got.Problem == nil || got.Problem.Code != restRes.code() ||
			len(got.Problem.Errors) == 0 || got.Problem.Errors[0].Location != problemField(t, restRes) || problemField(t, restRes) != "body.attachment_ids[1]" {
			t.Errorf("REST refused %d %s, sync %s", restRes.status, restRes.body, raw)
		}
		if after := writes(t, h); !sameCounts(before, after) {
			t.Errorf("a refused mutation wrote: %v → %v", before, after)
		}
	})
}

// equalConsent compares two consents as the API shows them.
func equalConsent(a, b consentJSON) bool {
	return a.ID == b.ID && a.ObtainedOn == b.ObtainedOn && a.Scope == b.Scope && a.ObtainedBy == b.ObtainedBy && a.RecordedBy == b.RecordedBy &&
		a.AttachmentID == b.AttachmentID && slices.Equal(a.AttachmentIDs, b.AttachmentIDs) && a.Active == b.Active
}
