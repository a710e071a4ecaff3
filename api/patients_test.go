package api_test

import (
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// TestConsentGatesSharing follows a patient from registration to consent
// withdrawal: before consent only the registering facility sees it, with
// consent the team does, and withdrawal stops sharing at once.
func TestConsentGatesSharing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		colleague := h.signIn(h.mustUser(r.clinic, care.ProfNurse)) // same facility, not on team
		var p struct {
			ID, Access, Consent string
		}
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "試験 新患", "name_kana": "しけん しんかん", "birth_date": "1938-04-01",
			"sex": "male", "address": "架空県", "phone": "000-1111-2222"}).json(t, &p)
		if p.Access != "registration" || p.Consent != "none" {
			t.Fatalf("new patient: %+v", p)
		}
		base := "/api/v1/patients/" + p.ID
		r.doctorC.must(201, "POST", base+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})
		// No consent: the team member from another facility does not see it,
		// nor does a colleague of the registrar; the facility's admin does
		// (TestRegistrationLevelReach walks every operation).
		r.nurseC.must(404, "GET", base, nil)
		colleague.must(404, "GET", base, nil)
		clinicAdminC := h.signIn(r.clinicAdmin)
		clinicAdminC.must(200, "GET", base, nil)
		if res := r.nurseC.must(200, "GET", "/api/v1/patients", nil); strings.Contains(res.body, p.ID) {
			t.Fatal("caseload lists a patient without consent")
		}
		var c struct{ ID string }
		r.doctorC.must(422, "POST", base+"/consents", map[string]any{"obtained_on": "2999-01-01", "scope": "full"})
		r.doctorC.must(201, "POST", base+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full"}).json(t, &c)
		// Consent: the team sees it, the non-member colleague no longer does.
		var seen struct{ Access string }
		r.nurseC.must(200, "GET", base, nil).json(t, &seen)
		if seen.Access != "chart" {
			t.Fatalf("nurse access %q", seen.Access)
		}
		colleague.must(404, "GET", base, nil)
		// The helper (care worker) added to the team reads it at shared level.
		r.doctorC.must(201, "POST", base+"/team", map[string]any{"user_id": r.helper.ID, "role": "helper"})
		r.helperC.must(200, "GET", base, nil).json(t, &seen)
		if seen.Access != "shared" {
			t.Fatalf("helper access %q", seen.Access)
		}
		r.doctorC.must(409, "POST", base+"/team", map[string]any{"user_id": r.helper.ID, "role": "helper"})
		// Only managers edit: the nurse may not remove the helper.
		r.nurseC.must(403, "DELETE", base+"/team/"+r.helper.ID, nil)
		r.doctorC.must(204, "DELETE", base+"/team/"+r.helper.ID, nil)
		r.helperC.must(404, "GET", base, nil)
		// A stale version of the demographics is refused.
		r.doctorC.must(200, "PATCH", base, map[string]any{"version": 1, "name": "試験 新患", "name_kana": "シケン シンカン", "birth_date": "1938-04-01", "sex": "male", "address": "架空県2", "phone": ""})
		r.doctorC.must(409, "PATCH", base, map[string]any{"version": 1, "name": "試験 新患", "name_kana": "シケン シンカン", "birth_date": "1938-04-01", "sex": "male", "address": "架空県3", "phone": ""})
		// Withdrawal stops sharing at once.
		r.doctorC.must(200, "POST", base+"/consents/"+c.ID+"/withdraw", map[string]any{"reason": "本人の希望"})
		r.nurseC.must(404, "GET", base, nil)
		r.doctorC.must(409, "POST", base+"/consents/"+c.ID+"/withdraw", map[string]any{})
		colleague.must(404, "GET", base, nil) // back to the registrar and the facility's admins only
		clinicAdminC.must(200, "GET", base, nil)

		// Who viewed the patient: the access log names the nurse and the
		// refused attempt of the withdrawn member.
		var log struct {
			Events []struct {
				ActorID        string `json:"actor_id"`
				Action, Result string
				ActorName      string `json:"actor_name"`
			}
		}
		r.doctorC.must(200, "GET", base+"/access-log", nil).json(t, &log)
		var viewed, refused bool
		for _, e := range log.Events {
			if e.ActorID == r.nurse.ID && e.Action == "patient.read" && e.Result == "ok" {
				viewed = true
			}
			if e.ActorID == r.nurse.ID && e.Result == "denied" {
				refused = true
			}
		}
		if !viewed || !refused {
			t.Fatalf("access log misses the nurse's view (%v) or refusal (%v): %+v", viewed, refused, log.Events)
		}
		h.signIn(r.netAdmin).must(200, "GET", base+"/access-log", nil)
		r.nurseC.must(404, "GET", base+"/access-log", nil)
	})
}

func TestValidationErrorsAreProblems(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.mustRegion()
	res := r.doctorC.do("POST", "/api/v1/patients", map[string]any{"name": "見本", "name_kana": "mihon", "birth_date": "1940-01-01", "sex": "female", "address": "", "phone": ""})
	if res.status != 422 || res.code() != care.CodeValidation || !strings.Contains(res.body, "body.name_kana") || res.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("kana validation: %d %s %s", res.status, res.header.Get("Content-Type"), res.body)
	}
	res = r.doctorC.do("POST", "/api/v1/patients", "not json")
	if res.status != 422 && res.status != 400 {
		t.Fatalf("malformed body: %d %s", res.status, res.body)
	}
	res = r.doctorC.do("GET", "/api/v1/patients/not-a-uuid", nil)
	if res.status != 422 || res.code() != care.CodeValidation {
		t.Fatalf("bad id: %d %s", res.status, res.body)
	}
}
