package api_test

// The security review of this session (see attack_session_test.go): the
// doctor's digest and the 在宅医療情報連携加算 report. Neither may carry a
// record, or a word of one, that the caller may not read: not text an
// amendment replaced, not a record entered in error, not a chart record to
// a care worker, nothing to a removed member, under a withdrawn consent or
// to an administrator by being one.

import (
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// amendRecord amends record id (at base) as c.
func amendRecord(t *testing.T, c *client, id string, base int, body map[string]any) {
	t.Helper()
	body["reason"], body["base_version"] = "訂正", base
	c.must(201, "POST", "/api/v1/records/"+id+"/amendments", body)
}

// TestAttackSessionDigestAndReportOldText: text an amendment replaced and
// records entered in error leave the digest and the report — the body is
// searched for the old words, whatever field might carry them.
func TestAttackSessionDigestAndReportOldText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		pharmacy := h.mustFacility("pharmacy")
		pharmacist := h.mustUser(pharmacy, care.ProfPharmacist)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": pharmacist.ID, "role": "visiting_pharmacist"})
		pharmC := h.signIn(pharmacist)
		deputy := h.mustUser(r.clinic, care.ProfDoctor)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": deputy.ID, "role": "deputy_physician"})
		deputyC := h.signIn(deputy)
		h.clock.Advance(time.Minute)

		const (
			oldPlan     = "旧計画カナリア"
			oldReport   = "旧報告カナリア"
			oldPoints   = "旧留意点カナリア"
			errorPoints = "誤記録カナリア"
			errorVital  = "誤バイタルカナリア"
		)
		plan := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "plan_changed": true,
			"fields": map[string]any{"plan_change": oldPlan}}).ID
		amendRecord(t, r.nurseC, plan, 1, map[string]any{"fields": map[string]any{"plan_change": "新しい計画"}})
		meds := pharmC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "medication", "fields": map[string]any{
			"drugs_checked": []map[string]any{{"name": "カナリア錠", "leftover": 9}}, "report_to_doctor": oldReport}}).ID
		amendRecord(t, pharmC, meds, 1, map[string]any{"status": "entered_in_error"})
		fever := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": errorVital,
			"vitals": map[string]any{"temperature_c": 39.5}}).ID
		amendRecord(t, r.nurseC, fever, 1, map[string]any{"status": "entered_in_error"})
		// The deputy's notes, for the doctor's digest and the month's report.
		points := deputyC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "next_visit_on": "2026-12-01",
			"plan_changed": true, "care_notes": oldPoints, "fields": map[string]any{"plan": oldPlan}}).ID
		amendRecord(t, deputyC, points, 1, map[string]any{"care_notes": "新しい留意点", "fields": map[string]any{"plan": "新しい方針"}})
		wrong := deputyC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "next_visit_on": "2026-12-24",
			"care_notes": errorPoints, "fields": map[string]any{"instruction": errorPoints}}).ID
		amendRecord(t, deputyC, wrong, 1, map[string]any{"status": "entered_in_error"})
		h.clock.Advance(time.Minute)

		res := r.doctorC.must(200, "GET", "/api/v1/me/digest", nil)
		for _, old := range []string{oldPlan, oldReport, oldPoints, errorPoints, errorVital, "カナリア錠"} {
			if strings.Contains(res.body, old) {
				t.Errorf("the digest carries %q, replaced or entered in error: %s", old, res.body)
			}
		}
		var d digestJSON
		res.json(t, &d)
		if len(d.Patients) != 1 {
			t.Fatalf("digest patients: %+v", d.Patients)
		}
		p := d.Patients[0]
		if len(p.Vitals) != 0 || len(p.Reports) != 0 {
			t.Errorf("records entered in error still flag or report: %+v %+v", p.Vitals, p.Reports)
		}
		if len(p.PlanChanges) != 2 {
			t.Errorf("plan changes %+v, want the care note's and the deputy's, as amended", p.PlanChanges)
		}
		// The deputy's own instruction entered in error awaits no one.
		if res := deputyC.must(200, "GET", "/api/v1/me/digest", nil); strings.Contains(res.body, errorPoints) {
			t.Errorf("an instruction entered in error awaits reading: %s", res.body)
		}

		report := "/api/v1/patients/" + r.patientID + "/collaboration-report?month=2026-11"
		for who, c := range map[string]*client{"doctor": r.doctorC, "care worker": r.helperC} {
			res := c.must(200, "GET", report, nil)
			for _, old := range []string{oldPlan, oldPoints, errorPoints, "2026-12-24"} {
				if strings.Contains(res.body, old) {
					t.Errorf("%s's report carries %q: %s", who, old, res.body)
				}
			}
			// The chart is the doctor's: the care worker sees none of it.
			if chart := strings.Contains(res.body, "新しい留意点"); chart != (who == "doctor") {
				t.Errorf("%s's report shows the doctor's note: %v: %s", who, chart, res.body)
			}
		}
	})
}

// TestAttackSessionDigestAndReportReach: a removed member, a member under a
// withdrawn consent and the administrators get an empty digest and the
// report as of a patient that does not exist (or the registration-level
// refusal the timeline gives).
func TestAttackSessionDigestAndReportReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		const secret = "退室前の記録カナリア"
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "next_visit_on": "2026-12-01", "care_notes": secret})
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note", "plan_changed": true, "fields": map[string]any{"plan_change": secret}})
		h.clock.Advance(time.Minute)
		report := "/api/v1/patients/" + r.patientID + "/collaboration-report?month=2026-11"
		unknown := r.nurseC.must(404, "GET", "/api/v1/patients/"+newID()+"/collaboration-report?month=2026-11", nil)
		absent := func(who string, c *client, reportStatus ...int) {
			t.Helper()
			if res := c.must(200, "GET", "/api/v1/me/digest", nil); strings.Contains(res.body, r.patientID) || strings.Contains(res.body, secret) {
				t.Errorf("%s's digest carries the patient: %s", who, res.body)
			}
			res := c.do("GET", report, nil)
			if !containsInt(reportStatus, res.status) || strings.Contains(res.body, secret) || strings.Contains(res.body, canaryName) {
				t.Errorf("%s's report: %d %s", who, res.status, res.body)
			}
			if res.status == 404 && stripRequestID(res.body) != stripRequestID(unknown.body) {
				t.Errorf("%s's 404 differs from an unknown patient's: %s vs %s", who, res.body, unknown.body)
			}
		}
		for who, u := range map[string]store.User{"network administrator": r.netAdmin, "facility administrator": r.clinicAdmin} {
			absent(who, h.signIn(u), 404)
		}
		// The nurse leaves the team.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
		absent("removed nurse", r.nurseC, 404)
		// The consent is withdrawn: the doctor, still on the team, keeps at
		// most the registration level, which reads no record.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "テスト"})
		absent("doctor under a withdrawn consent", r.doctorC, 403, 404)
		absent("care worker under a withdrawn consent", r.helperC, 403, 404)
	})
}

// TestAttackSessionDigestAndReportInput: odd months and odd "until"s are
// 422 naming the field, never 5xx, never echoing the value; a month an
// off-team caller sends well-formed is the unknown patient's 404 either
// way (the month is checked before the patient, for everyone alike).
func TestAttackSessionDigestAndReportInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		base := "/api/v1/patients/" + r.patientID + "/collaboration-report?month="
		for _, m := range []string{"2026-13", "2026-00", "1999-12", "2101-01", "2026-1", "%25", "2026_11", "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11",
			"2026-11-01", "", "-2026-1", "2026-11%00", "9999-99"} {
			res := r.doctorC.do("GET", base+m, nil)
			if res.status != 422 || !strings.Contains(res.body, "month") {
				t.Errorf("month %q: %d %s", m, res.status, res.body)
			}
			if m != "" && len(m) > 3 && strings.Contains(res.body, `"`+m+`"`) {
				t.Errorf("month %q echoed: %s", m, res.body)
			}
		}
		for name, until := range map[string]any{
			"text": "yesterday", "number": 12345, "zero time": "0001-01-01T00:00:00Z", "far future": "9999-12-31T23:59:59Z",
			"null": nil, "no zone": "2026-11-21T09:00:00", "huge": strings.Repeat("9", 10000), "array": []any{},
		} {
			res := r.doctorC.do("POST", "/api/v1/me/digest/seen", map[string]any{"until": until})
			if res.status < 400 || res.status >= 500 {
				t.Errorf("until %s: %d %s", name, res.status, res.body)
			}
		}
		// Long ago is taken but moves nothing back.
		var seen struct{ Since time.Time }
		r.doctorC.must(200, "POST", "/api/v1/me/digest/seen", map[string]any{"until": h.clock.Now()}).json(t, &seen)
		r.doctorC.must(200, "POST", "/api/v1/me/digest/seen", map[string]any{"until": "1970-01-01T00:00:00Z"}).json(t, &seen)
		if !seen.Since.Equal(h.clock.Now()) {
			t.Errorf("seen moved back to %v", seen.Since)
		}
	})
}
