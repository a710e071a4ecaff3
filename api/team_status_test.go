package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type teamAnswer struct {
	Members []struct {
		UserID       string `json:"user_id"`
		Role         string `json:"role"`
		Status       string `json:"status"`
		FacilityKind string `json:"facility_kind"`
		FacilityName string `json:"facility_name"`
	} `json:"members"`
}

func (a teamAnswer) byUser() map[string]string {
	m := map[string]string{}
	for _, x := range a.Members {
		m[x.UserID] = x.Status + "/" + x.FacilityKind
	}
	return m
}

func (h *harness) setStatus(userID, status string) {
	h.t.Helper()
	err := h.db.Write(context.Background(), func(tx *store.Tx) error {
		u, err := tx.User(context.Background(), userID)
		if err != nil {
			return err
		}
		u.Status = status
		return tx.UpdateUser(context.Background(), u)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// TestTeamListsMemberStatus: a suspended or revoked member stays on the team
// with their account status (a dormant one shows as suspended), with their
// facility's kind; the synced team follows a status change.
func TestTeamListsMemberStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		base := "/api/v1/patients/" + r.patientID + "/team"
		_, cursor := r.doctorC.syncFromEmpty()

		var a teamAnswer
		r.doctorC.must(200, "GET", base, nil).json(t, &a)
		got := a.byUser()
		if got[r.doctor.ID] != "active/clinic" || got[r.nurse.ID] != "active/nursing_station" || got[r.helper.ID] != "active/care_service" {
			t.Fatalf("team before: %v", got)
		}

		netAdminC := h.signIn(r.netAdmin)
		netAdminC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "suspended"})
		netAdminC.must(200, "PATCH", "/api/v1/users/"+r.helper.ID, map[string]any{"status": "revoked"})
		r.doctorC.must(200, "GET", base, nil).json(t, &a)
		got = a.byUser()
		if len(got) != 3 || got[r.doctor.ID] != "active/clinic" || got[r.nurse.ID] != "suspended/nursing_station" || got[r.helper.ID] != "revoked/care_service" {
			t.Fatalf("team after suspension and revocation: %v", got)
		}

		// The device's copy of the team was resent with the new statuses.
		changes, _ := r.doctorC.pullAll(cursor, 500)
		var synced teamAnswer
		for _, c := range changes.Changes {
			if c.Entity == "team" && c.ID == r.patientID {
				if err := json.Unmarshal(c.Data, &synced); err != nil {
					t.Fatal(err)
				}
			}
		}
		if s := synced.byUser(); s[r.nurse.ID] != "suspended/nursing_station" || s[r.helper.ID] != "revoked/care_service" {
			t.Fatalf("synced team after the status change: %v", s)
		}

		// A dormant account (unused for long) shows as suspended; reactivated, active.
		h.setStatus(r.nurse.ID, care.StatusDormant)
		r.doctorC.must(200, "GET", base, nil).json(t, &a)
		if got := a.byUser(); got[r.nurse.ID] != "suspended/nursing_station" {
			t.Fatalf("dormant member: %v", got)
		}
		netAdminC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "active"})
		r.doctorC.must(200, "GET", base, nil).json(t, &a)
		if got := a.byUser(); got[r.nurse.ID] != "active/nursing_station" {
			t.Fatalf("reactivated member: %v", got)
		}
	})
}

// TestTeamRefusesInactiveAndUnknownAccounts: only an active account of a
// facility joins a care team. A suspended, dormant or revoked one is refused
// with member_not_active, an unknown id or an account without a facility
// with validation_failed naming user_id; the team does not move.
func TestTeamRefusesInactiveAndUnknownAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		base := "/api/v1/patients/" + r.patientID + "/team"
		var before teamAnswer
		r.doctorC.must(200, "GET", base, nil).json(t, &before)

		for _, st := range []string{care.StatusSuspended, care.StatusDormant, care.StatusRevoked} {
			u := h.mustUser(r.station, care.ProfNurse, func(u *store.User) { u.Status = st })
			res := r.doctorC.do("POST", base, map[string]any{"user_id": u.ID, "role": "visiting_nurse"})
			// The message names the field and the rule, not the account's state.
			if res.status != 422 || res.code() != care.CodeMemberNotActive || !strings.Contains(res.body, "user_id") || strings.Contains(res.body, u.ID) ||
				!strings.Contains(res.body, "only an active account") || strings.Contains(res.body, st) {
				t.Fatalf("%s account: %d %s", st, res.status, res.body)
			}
		}
		other := h.mustUser(r.station, care.ProfNurse)
		for name, id := range map[string]string{"unknown": newID(), "no facility": r.netAdmin.ID} {
			res := r.doctorC.do("POST", base, map[string]any{"user_id": id, "role": "other"})
			if res.status != 422 || res.code() != care.CodeValidation || !strings.Contains(res.body, "user_id") || strings.Contains(res.body, id) {
				t.Fatalf("%s user: %d %s", name, res.status, res.body)
			}
		}
		// A member suspended after joining cannot be added twice either way.
		h.setStatus(r.nurse.ID, care.StatusSuspended)
		if res := r.doctorC.do("POST", base, map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"}); res.status != 422 || res.code() != care.CodeMemberNotActive {
			t.Fatalf("suspended member added again: %d %s", res.status, res.body)
		}

		var after teamAnswer
		r.doctorC.must(200, "GET", base, nil).json(t, &after)
		if len(after.Members) != len(before.Members) {
			t.Fatalf("refused additions moved the team: %d -> %d members", len(before.Members), len(after.Members))
		}
		// The same active colleague joins.
		r.doctorC.must(201, "POST", base, map[string]any{"user_id": other.ID, "role": "visiting_nurse"})
	})
}

// TestAccessLogNamesActorFacility: each entry of "who viewed this patient"
// names the actor's facility (none for the network office).
func TestAccessLogNamesActorFacility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		ctx := context.Background()
		fid := newID()
		err := h.db.Write(ctx, func(tx *store.Tx) error {
			return tx.CreateFacility(ctx, store.Facility{ID: fid, Name: "つなぐ訪問看護ステーション", NameKana: "ツナグホウモンカンゴステーション",
				Kind: "nursing_station", Disclosure: "full", CreatedAt: h.clock.Now()}, "")
		})
		if err != nil {
			t.Fatal(err)
		}
		nurse := h.mustUser(fid, care.ProfNurse)
		base := "/api/v1/patients/" + r.patientID
		r.doctorC.must(201, "POST", base+"/team", map[string]any{"user_id": nurse.ID, "role": "visiting_nurse"})
		h.signIn(nurse).must(200, "GET", base, nil)
		h.signIn(r.netAdmin).must(200, "GET", base+"/access-log", nil)

		var log struct {
			Events []struct {
				ActorID           string `json:"actor_id"`
				Action            string `json:"action"`
				ActorFacilityName string `json:"actor_facility_name"`
			} `json:"events"`
		}
		r.doctorC.must(200, "GET", base+"/access-log", nil).json(t, &log)
		var nurseSeen, adminSeen bool
		for _, e := range log.Events {
			switch e.ActorID {
			case nurse.ID:
				nurseSeen = true
				if e.ActorFacilityName != "つなぐ訪問看護ステーション" {
					t.Fatalf("nurse's entry names facility %q", e.ActorFacilityName)
				}
			case r.netAdmin.ID:
				adminSeen = true
				if e.ActorFacilityName != "" {
					t.Fatalf("network office entry names facility %q", e.ActorFacilityName)
				}
			case r.doctor.ID:
				if e.ActorFacilityName != "テスト施設" {
					t.Fatalf("doctor's entry names facility %q", e.ActorFacilityName)
				}
			}
		}
		if !nurseSeen || !adminSeen {
			t.Fatalf("access log misses the nurse (%v) or the office (%v)", nurseSeen, adminSeen)
		}
	})
}
