package api_test

import (
	"context"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// facilityRow reads a facility from the store.
func facilityRow(t *testing.T, h *harness, id string) store.Facility {
	t.Helper()
	var f store.Facility
	if err := h.db.Read(context.Background(), func(tx *store.Tx) (err error) { f, err = tx.Facility(context.Background(), id); return }); err != nil {
		t.Fatal(err)
	}
	return f
}

// facilityEvents are the facility.update events about id.
func facilityEvents(t *testing.T, h *harness, id string) []audit.Event {
	t.Helper()
	var evs []audit.Event
	if err := h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Select(context.Background(), &evs, `SELECT seq, action, result, resource_id, actor_id, detail FROM audit_event WHERE action = 'facility.update' AND resource_id = ? ORDER BY seq`, id)
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestUpdateFacility: network admins edit a facility; each change is
// audited with the names of the fields that changed; others are refused
// and audited; kana is checked as at creation.
func TestUpdateFacility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		netC, adminC := h.signIn(r.netAdmin), h.signIn(r.clinicAdmin)
		path := "/api/v1/facilities/" + r.clinic
		before := facilityRow(t, h, r.clinic)

		// Not a network admin: refused, audited, nothing moves.
		for who, c := range map[string]*client{"facility admin of it": adminC, "doctor": r.doctorC} {
			if res := c.do("PATCH", path, map[string]any{"name": "乗っ取り"}); res.status != 403 || res.code() != care.CodeAdminOnly {
				t.Errorf("%s: %d %s", who, res.status, res.body)
			}
		}
		if got := facilityRow(t, h, r.clinic); got != before {
			t.Errorf("a refused edit moved the row: %+v", got)
		}
		if evs := facilityEvents(t, h, r.clinic); len(evs) != 2 || evs[0].Result != audit.ResultDenied || evs[1].Result != audit.ResultDenied {
			t.Errorf("refusals audited as %+v", evs)
		}

		// Each field, then several at once; the detail names what changed.
		for _, c := range []struct {
			body   map[string]any
			detail string
		}{
			{map[string]any{"name": "  つなぐ   在宅クリニック "}, "name"},
			{map[string]any{"name_kana": "つなぐ ざいたく"}, "name_kana"},
			{map[string]any{"kind": care.KindHospital}, "kind"},
			{map[string]any{"disclosure": care.DisclosureSharedOnly}, "disclosure"},
			{map[string]any{"name": "つなぐ 在宅クリニック", "kind": care.KindClinic, "disclosure": care.DisclosureFull}, "kind,disclosure"},
		} {
			var out api.FacilityOut
			netC.must(200, "PATCH", path, c.body).json(t, &out)
			evs := facilityEvents(t, h, r.clinic)
			if last := evs[len(evs)-1]; last.Result != audit.ResultOK || last.Detail != c.detail || last.ActorID != r.netAdmin.ID {
				t.Errorf("%v: audited %+v, want detail %q", c.body, last, c.detail)
			}
			if got := facilityRow(t, h, r.clinic); facilityOutOf(got) != out {
				t.Errorf("%v: answered %+v, stored %+v", c.body, out, got)
			}
		}
		got := facilityRow(t, h, r.clinic)
		if got.Name != "つなぐ 在宅クリニック" || got.NameKana != "つなぐ ざいたく" || got.Kind != care.KindClinic || got.Disclosure != care.DisclosureFull || !got.CreatedAt.Equal(before.CreatedAt) {
			t.Errorf("stored %+v", got)
		}

		// Bad input names the field.
		for _, body := range []map[string]any{{"name_kana": "Tsunagu"}, {"name_kana": " "}, {"kind": "castle"}, {"disclosure": "none"}, {"name": ""}} {
			if res := netC.do("PATCH", path, body); res.status != 422 || res.code() != care.CodeValidation {
				t.Errorf("%v: %d %s", body, res.status, res.body)
			}
		}
		netC.must(404, "PATCH", "/api/v1/facilities/"+newID(), map[string]any{"name": "無い"})
	})
}

func facilityOutOf(f store.Facility) api.FacilityOut {
	return api.FacilityOut{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind, Disclosure: f.Disclosure, CreatedAt: f.CreatedAt.UTC()}
}

// TestFacilityKindKeepsStaffEmployed: a new kind must employ the
// profession of every account of the facility that is not revoked (409
// profession_not_employed, audited, nothing moves); revoked accounts do not
// count.
func TestFacilityKindKeepsStaffEmployed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		fac := h.mustFacility(care.KindClinic)
		net := h.mustUser("", care.ProfOther, func(u *store.User) { u.NetworkAdmin = true })
		netC := h.signIn(net)
		doctor := h.mustUser(fac, care.ProfDoctor, func(u *store.User) { u.Status = care.StatusSuspended }) // suspended still counts
		h.mustUser(fac, care.ProfNurse)
		path := "/api/v1/facilities/" + fac

		// A nursing station employs nurses but no doctors.
		res := netC.do("PATCH", path, map[string]any{"kind": care.KindNursingStation, "name": "変更しない"})
		if res.status != 409 || res.code() != care.CodeProfessionNotEmployed {
			t.Fatalf("kind without a doctor's place: %d %s", res.status, res.body)
		}
		if f := facilityRow(t, h, fac); f.Kind != care.KindClinic || f.Name != "テスト施設" {
			t.Errorf("refused change stored: %+v", f)
		}
		if evs := facilityEvents(t, h, fac); len(evs) != 1 || evs[0].Result != audit.ResultDenied {
			t.Errorf("refusal audited as %+v", evs)
		}
		// A hospital employs both.
		netC.must(200, "PATCH", path, map[string]any{"kind": care.KindHospital})
		// Once the doctor is revoked, the station is possible.
		netC.must(200, "PATCH", "/api/v1/users/"+doctor.ID, map[string]any{"status": care.StatusRevoked})
		netC.must(200, "PATCH", path, map[string]any{"kind": care.KindNursingStation})
		// The same kind again is no change, whoever is employed.
		netC.must(200, "PATCH", path, map[string]any{"kind": care.KindNursingStation})
	})
}

// TestFacilityDisclosureResyncs: when a facility's disclosure changes, the
// devices of the teams of patients with its staff's chart records read
// those patients afresh (a snapshot reset), and what the narrower
// disclosure hides is no longer served.
func TestFacilityDisclosureResyncs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion() // the nurse (station) wrote a chart record
		netC := h.signIn(r.netAdmin)
		var first struct{ Cursor string }
		r.doctorC.must(200, "GET", "/api/v1/sync/pull", nil).json(t, &first)
		pullResets := func() []api.Reset {
			var page struct{ Resets []api.Reset }
			r.doctorC.must(200, "GET", "/api/v1/sync/pull?cursor="+first.Cursor, nil).json(t, &page)
			return page.Resets
		}
		if rs := pullResets(); len(rs) != 0 {
			t.Fatalf("resets before the change: %+v", rs)
		}
		// A name change re-reads nothing.
		netC.must(200, "PATCH", "/api/v1/facilities/"+r.station, map[string]any{"name": "改称ステーション"})
		if rs := pullResets(); len(rs) != 0 {
			t.Errorf("resets after a name change: %+v", rs)
		}
		netC.must(200, "PATCH", "/api/v1/facilities/"+r.station, map[string]any{"disclosure": care.DisclosureSharedOnly})
		if rs := pullResets(); len(rs) != 1 || rs[0].PatientID != r.patientID || rs[0].Action != "snapshot" {
			t.Errorf("resets after narrowing: %+v", rs)
		}
		// The doctor (another facility) no longer reads the nurse's record.
		r.doctorC.must(404, "GET", "/api/v1/records/"+r.recordID, nil)
		netC.must(200, "PATCH", "/api/v1/facilities/"+r.station, map[string]any{"disclosure": care.DisclosureFull})
		r.doctorC.must(200, "GET", "/api/v1/records/"+r.recordID, nil)
	})
}
