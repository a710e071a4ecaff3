package api_test

import (
	"slices"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// reached is the patients a first pull of c names (a snapshot reset for
// each patient it reaches): the reach the server decides a pull with.
func reached(t *testing.T, c *client) []string {
	t.Helper()
	a := c.pull("", 500)
	ids := []string{}
	for _, r := range a.Resets {
		ids = append(ids, r.PatientID)
	}
	slices.Sort(ids)
	return ids
}

// TestPullReachFollowsEveryAccessChange: the server keeps what each
// viewer reaches between pulls (api/reach.go). After each kind of access
// change — a patient registered, a member added and removed, a consent
// recorded and withdrawn, an account's roles and status changed — the very
// next pull of every user it concerns reaches exactly what the rules say,
// although each of them pulled (and so had their reach kept) just before.
func TestPullReachFollowsEveryAccessChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		P := r.patientID
		outsiderC := h.signIn(r.outsider)
		adminC := h.signIn(r.clinicAdmin)
		netC := h.signIn(r.netAdmin)
		clerk := h.mustUser(r.clinic, care.ProfCareWorker)
		clerkC := h.signIn(clerk)
		users := map[string]*client{"nurse": r.nurseC, "helper": r.helperC, "outsider": outsiderC, "clinic admin": adminC, "clerk": clerkC}
		names := []string{"nurse", "helper", "outsider", "clinic admin", "clerk"}

		// step makes one access change between two pulls of every user and
		// checks what each reaches after it.
		step := func(what string, change func(), want func() map[string][]string) {
			t.Helper()
			for _, n := range names {
				reached(t, users[n])
			}
			change()
			for _, n := range names {
				w := slices.Clone(want()[n])
				if w == nil {
					w = []string{}
				}
				slices.Sort(w)
				if got := reached(t, users[n]); !slices.Equal(got, w) {
					t.Errorf("after %s, %s reaches %v; want %v", what, n, got, w)
				}
			}
		}

		var Q string
		step("a patient registered without consent", func() {
			var p struct{ ID string }
			r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "試験 二", "name_kana": "シケン ニ", "birth_date": "1941-01-01",
				"sex": "male", "address": "架空", "phone": ""}).json(t, &p)
			Q = p.ID
		}, func() map[string][]string {
			// The clinic's administrator reaches its patients without consent.
			return map[string][]string{"nurse": {P}, "helper": {P}, "clinic admin": {Q}}
		})
		step("a member added", func() {
			r.doctorC.must(201, "POST", "/api/v1/patients/"+P+"/team", map[string]any{"user_id": r.outsider.ID, "role": "other"})
		}, func() map[string][]string {
			return map[string][]string{"nurse": {P}, "helper": {P}, "outsider": {P}, "clinic admin": {Q}}
		})
		step("a member removed", func() {
			r.doctorC.must(204, "DELETE", "/api/v1/patients/"+P+"/team/"+r.helper.ID, nil)
		}, func() map[string][]string {
			return map[string][]string{"nurse": {P}, "outsider": {P}, "clinic admin": {Q}}
		})
		step("a consent recorded", func() {
			r.doctorC.must(201, "POST", "/api/v1/patients/"+Q+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		}, func() map[string][]string { return map[string][]string{"nurse": {P}, "outsider": {P}} })
		step("a consent withdrawn", func() {
			r.doctorC.must(200, "POST", "/api/v1/patients/"+P+"/consents/"+r.consentID+"/withdraw", map[string]any{})
		}, func() map[string][]string { return map[string][]string{"clinic admin": {P}} })
		step("an account made facility administrator", func() {
			netC.must(200, "PATCH", "/api/v1/users/"+clerk.ID, map[string]any{"roles": []string{"facility_admin"}})
		}, func() map[string][]string { return map[string][]string{"clinic admin": {P}, "clerk": {P}} })
		step("an account's administrator role taken away", func() {
			netC.must(200, "PATCH", "/api/v1/users/"+clerk.ID, map[string]any{"roles": []string{}})
		}, func() map[string][]string { return map[string][]string{"clinic admin": {P}} })

		// A suspended account pulls nothing at all.
		reached(t, adminC)
		netC.must(200, "PATCH", "/api/v1/users/"+r.clinicAdmin.ID, map[string]any{"status": "suspended"})
		if res := adminC.do("GET", "/api/v1/sync/pull", nil); res.status != 401 {
			t.Fatalf("suspended account's pull: %d %s", res.status, res.body)
		}

		// The incremental pull follows the same reach: a record of P
		// written now reaches the clinic's administrator (P has no consent
		// and is the clinic's) and no one else of them.
		cursors := map[string]string{}
		for _, n := range []string{"nurse", "outsider", "clerk"} {
			_, cursors[n] = users[n].pullAll("", 500)
		}
		r.doctorC.push(newID(), []mutation{recordMutation(1, P)})
		for _, n := range []string{"nurse", "outsider", "clerk"} {
			a, _ := users[n].pullAll(cursors[n], 500)
			for _, c := range a.Changes {
				if c.PatientID == P || strings.Contains(string(c.Data), "訪問記録") {
					t.Errorf("%s pulled %s of a patient they no longer reach", n, c.Entity)
				}
			}
		}
	})
}
