package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// registrationReach says what the registrar and the registering
// facility's admins get from each patient operation while the patient has
// no active consent: before the first consent, and after a withdrawal.
// Everyone else gets the 404 of an unknown patient.
//
// Before the first consent no visit, record or consent exists, so the
// operations on one of them answer 404 to everyone. After a withdrawal the
// demographics, team, consent and the scanned forms stay reachable to
// them; the shared and chart content does not (403: they know the patient).
var registrationReach = map[string]struct{ before, after int }{
	"getPatient":             {200, 200},
	"getTeam":                {200, 200},
	"updatePatient":          {200, 200},
	"getAccessLog":           {200, 200},
	"createConsent":          {201, 422}, // after a withdrawal the body cites no form
	"withdrawConsent":        {404, 409}, // before: no consent; after: already withdrawn
	"addTeamMember":          {201, 201},
	"removeTeamMember":       {204, 204},
	"uploadAttachment":       {200, 200}, // the same image again: a retry
	"getAttachment":          {200, 200},
	"getAttachmentThumbnail": {200, 200},
	"listPatientVisits":      {403, 403},
	"createVisit":            {403, 403},
	"getVisit":               {404, 403},
	"updateVisit":            {404, 403},
	"listRecords":            {403, 403},
	"createRecord":           {403, 403},
	"getRecord":              {404, 403},
	"amendRecord":            {404, 403},
	"markRecordRead":         {404, 403},
	"confirmRecord":          {404, 403},
	// The 加算 report reads the records (collab_report.go).
	"getCollaborationReport": {403, 403},
	// The team channel is read at the shared level, as the records.
	"listMessages":     {403, 403},
	"createMessage":    {403, 403},
	"markMessagesRead": {403, 403},
	"retractMessage":   {404, 403},
	// The FHIR export at the Registration level: the demographics, team and
	// consents, no visit or record (fhir.go).
	"exportPatientFHIR": {200, 200},
}

// uncitedBeforeConsent are the operations on the scene's photo, which no
// consent cites before the first one: an uncited upload is readable by its
// uploader (the registrar) alone, so the facility's admin gets a 404 there.
var uncitedBeforeConsent = map[string]bool{"uploadAttachment": true, "getAttachment": true, "getAttachmentThumbnail": true}

// registrationScene is one patient without an active consent and the ids
// of what it has, in the shape fill and the access cases take.
func (h *harness) registrationScene(r *region, withdrawn bool, clinicMember, removed store.User) *region {
	h.t.Helper()
	sc := *r
	var p struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 " + canaryName, "name_kana": "ミホン カナリア", "birth_date": "1940-02-03",
		"sex": "female", "address": "架空県つなぐ市1-1", "phone": "000-0000-0000"}).json(h.t, &p)
	sc.patientID = p.ID
	base := "/api/v1/patients/" + p.ID
	sc.attachmentID = h.mustAttachment(r.doctorC, p.ID, accessPhoto)
	// Nothing else exists before the first consent: ids nobody holds.
	sc.consentID, sc.visitID, sc.recordID, sc.messageID = newID(), newID(), newID(), newID()
	if withdrawn {
		var c struct{ ID string }
		r.doctorC.must(201, "POST", base+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full", "attachment_id": sc.attachmentID}).json(h.t, &c)
		sc.consentID = c.ID
	}
	for _, m := range []store.User{r.nurse, r.helper, clinicMember, removed} {
		r.doctorC.must(201, "POST", base+"/team", map[string]any{"user_id": m.ID, "role": "other"})
	}
	r.doctorC.must(204, "DELETE", base+"/team/"+removed.ID, nil)
	if withdrawn {
		sc.recordID = newID()
		r.nurseC.must(201, "POST", base+"/records", map[string]any{"id": sc.recordID, "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z", "text": "訪問"})
		var v struct{ ID string }
		r.nurseC.must(201, "POST", base+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(h.t, &v)
		sc.visitID = v.ID
		sc.messageID = r.nurseC.mustMessage(h.t, p.ID, map[string]any{"text": "連絡"}).ID
		r.doctorC.must(200, "POST", base+"/consents/"+sc.consentID+"/withdraw", map[string]any{"reason": "本人の希望"})
	}
	return &sc
}

// TestRegistrationLevelReach walks every patient operation of the OpenAPI
// document for a patient without an active consent, before the first
// consent and after a withdrawal: the registrar and the registering
// facility's admins reach what registrationReach says; the facility's other
// staff (on the team or not), staff and admins of other facilities, team
// members and former team members get the audited 404 of an unknown
// patient, byte for byte, and never see the patient in their caseload,
// calendar or pull.
func TestRegistrationLevelReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		clinicMember := h.mustUser(r.clinic, care.ProfNurse) // on the team, a colleague of the registrar
		removed := h.mustUser(r.clinic, care.ProfDoctor)     // was on the team
		colleague := h.mustUser(r.clinic, care.ProfOther)    // never on the team
		otherAdmin := h.mustUser(r.station, care.ProfOther, func(u *store.User) { u.FacilityAdmin = true })
		reachers := []struct {
			who string
			c   *client
		}{{"registrar", r.doctorC}, {"facility admin", h.signIn(r.clinicAdmin)}}
		refused := []struct {
			who string
			u   store.User
			c   *client
		}{
			{"colleague", colleague, h.signIn(colleague)},
			{"colleague on the team", clinicMember, h.signIn(clinicMember)},
			{"former team member", removed, h.signIn(removed)},
			{"team member of another facility", r.nurse, r.nurseC},
			{"off-team staff of another facility", r.outsider, h.signIn(r.outsider)},
			{"admin of another facility", otherAdmin, h.signIn(otherAdmin)},
		}
		unknown := refused[0].c.must(404, "GET", "/api/v1/patients/01900000-0000-7000-8000-000000000000", nil)

		var ops []operation
		for _, o := range operations(h) {
			c, ok := accessCases[o.id]
			if !ok || (c.kind != kPatient && c.kind != kManage && c.kind != kChart) {
				continue // TestEveryOperationAccess asks for a case
			}
			if _, ok := registrationReach[o.id]; !ok {
				t.Errorf("patient operation %s has no entry in registrationReach: say what the registrar gets", o.id)
				continue
			}
			ops = append(ops, o)
		}
		send := func(cl *client, o operation, sc *region) response {
			t.Helper()
			c := accessCases[o.id]
			path := fill(o.path, sc)
			if c.query != nil {
				path += c.query(sc)
			}
			if c.raw != nil {
				return cl.raw(o.method, path, c.contentType, c.raw)
			}
			var body any
			if c.body != nil {
				body = c.body(sc)
			} else if o.method != http.MethodGet && o.method != http.MethodDelete {
				body = map[string]any{}
			}
			return cl.do(o.method, path, body)
		}
		denials := func(u store.User) int {
			var n int
			h.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND result = 'denied'`, u.ID)
			})
			return n
		}

		for _, phase := range []struct {
			name      string
			withdrawn bool
		}{{"before the first consent", false}, {"after a withdrawal", true}} {
			t.Run(phase.name, func(t *testing.T) {
				shared := h.registrationScene(r, phase.withdrawn, clinicMember, removed)
				for _, o := range ops {
					// Those who register the patient: what the table says,
					// each on a patient of their own when the operation writes.
					for _, a := range reachers {
						sc := shared
						if o.method != http.MethodGet {
							sc = h.registrationScene(r, phase.withdrawn, clinicMember, removed)
						}
						want := registrationReach[o.id].before
						if phase.withdrawn {
							want = registrationReach[o.id].after
						} else if a.who == "facility admin" && uncitedBeforeConsent[o.id] {
							want = 404
						}
						res := send(a.c, o, sc)
						if res.status != want {
							t.Errorf("%s as %s: %d, want %d: %s", o.id, a.who, res.status, want, res.body)
						}
						if o.id == "createConsent" && phase.withdrawn && (res.code() != care.CodeConsentFormRequired || !strings.Contains(res.body, `"location":"body.attachment_id"`)) {
							t.Errorf("consent after a withdrawal without the form: %s", res.body)
						}
					}
					// Everyone else: the unknown patient's 404, audited.
					for _, a := range refused {
						before := denials(a.u)
						res := send(a.c, o, shared)
						if res.status != 404 || stripRequestID(res.body) != stripRequestID(unknown.body) {
							t.Errorf("%s as %s: %d %s, want the 404 of an unknown patient %s", o.id, a.who, res.status, res.body, unknown.body)
						}
						if denials(a.u) <= before {
							t.Errorf("%s as %s: the refusal was not audited", o.id, a.who)
						}
					}
				}
				// The lists: the patient is in the caseload of those who
				// register it only; its snapshot is refused like an unknown
				// patient's.
				for _, a := range reachers {
					if res := a.c.must(200, "GET", "/api/v1/patients", nil); !strings.Contains(res.body, shared.patientID) {
						t.Errorf("%s: the caseload misses the patient", a.who)
					}
				}
				for _, a := range refused {
					for _, path := range []string{"/api/v1/patients", "/api/v1/sync/pull", "/api/v1/me/visits?from=2026-11-20&to=2026-11-30&scope=team", "/api/v1/me/unread"} {
						if res := a.c.must(200, "GET", path, nil); strings.Contains(res.body, shared.patientID) {
							t.Errorf("%s: %s carries the patient: %s", a.who, path, res.body)
						}
					}
					res := a.c.do("GET", "/api/v1/sync/pull?patient_id="+shared.patientID, nil)
					if res.status != 404 || stripRequestID(res.body) != stripRequestID(unknown.body) {
						t.Errorf("%s: snapshot of the patient: %d %s", a.who, res.status, res.body)
					}
				}
			})
		}
	})
}
