package api_test

import (
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// TestNamesAreNotBlank: a name of white space only (ASCII or the
// ideographic space) passes minLength but is stored empty once cleaned: a
// patient, a facility or a staff account nobody can tell apart. Each is
// refused with 422 naming the field, and nothing is written.
func TestNamesAreNotBlank(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		netC := h.signIn(r.netAdmin)
		patient := func(name string) map[string]any {
			return map[string]any{"name": name, "name_kana": "ミホン ハナコ", "birth_date": "1940-02-03", "sex": "female",
				"address": "架空県つなぐ市1-1", "phone": "000-0000-0000"}
		}
		renamed := patient("  ")
		renamed["version"] = 1
		for _, tc := range []struct {
			what, method, path, field string
			c                         *client
			body                      map[string]any
		}{
			{"a patient named with an ideographic space", "POST", "/api/v1/patients", "body.name", r.doctorC, patient("\u3000")},
			{"a patient renamed to spaces", "PATCH", "/api/v1/patients/" + r.patientID, "body.name", r.doctorC, renamed},
			{"a facility named with spaces", "POST", "/api/v1/facilities", "body.name", netC, map[string]any{"name": "   ", "name_kana": "シセツ", "kind": "clinic"}},
			{"a facility renamed to spaces", "PATCH", "/api/v1/facilities/" + r.clinic, "body.name", netC, map[string]any{"name": " \u3000 "}},
			{"an account named with spaces", "POST", "/api/v1/users", "body.name", netC, map[string]any{"login_id": "blank.name", "name": " ",
				"name_kana": "シケン", "profession": "nurse", "facility_id": r.station, "password": "hydrangea-slope-evening-x"}},
			{"an account renamed to spaces", "PATCH", "/api/v1/users/" + r.nurse.ID, "body.name", netC, map[string]any{"name": "\u3000"}},
		} {
			before := writes(t, h)
			res := tc.c.do(tc.method, tc.path, tc.body)
			if res.status != 422 || res.code() != care.CodeValidation || problemField(t, res) != tc.field {
				t.Errorf("%s: want 422 naming %s, got %d %s", tc.what, tc.field, res.status, res.body)
			}
			if after := writes(t, h); !sameCounts(before, after) {
				t.Errorf("%s: a refused request wrote: %v → %v", tc.what, before, after)
			}
		}
	})
}
