package care_test

import (
	"slices"
	"testing"

	"tsunagu/internal/care"
)

// TestEmploysCoversEveryKind: every facility kind has its row, every code
// in it is a profession, and each clinical profession is given by the kinds
// that employ it and by no other.
func TestEmploysCoversEveryKind(t *testing.T) {
	for _, kind := range care.FacilityKinds {
		ps, ok := care.Employs[kind]
		if !ok || len(ps) == 0 {
			t.Errorf("facility kind %q has no row in care.Employs", kind)
		}
		for _, p := range ps {
			if !care.Valid(care.Professions, p) {
				t.Errorf("%s employs unknown profession %q", kind, p)
			}
		}
	}
	for kind := range care.Employs {
		if !care.Valid(care.FacilityKinds, kind) {
			t.Errorf("care.Employs names unknown kind %q", kind)
		}
	}
	clinicalAt := map[string][]string{
		care.ProfDoctor:     {care.KindHospital, care.KindClinic},
		care.ProfDentist:    {care.KindHospital, care.KindDentalClinic},
		care.ProfPharmacist: {care.KindHospital, care.KindPharmacy},
		care.ProfNurse:      {care.KindHospital, care.KindClinic, care.KindNursingStation},
		care.ProfMSW:        {care.KindHospital, care.KindClinic},
	}
	for _, prof := range care.DefaultClinicalProfessions {
		for _, kind := range care.FacilityKinds {
			want := slices.Contains(clinicalAt[prof], kind)
			if got := care.FacilityEmploys(kind, prof); got != want {
				t.Errorf("FacilityEmploys(%s, %s) = %v, want %v", kind, prof, got, want)
			}
		}
	}
	if care.FacilityEmploys("unknown_kind", care.ProfNurse) || !care.FacilityEmploys("unknown_kind", care.ProfOther) {
		t.Error("an unknown kind employs only other")
	}
}

func TestCanGrantProfession(t *testing.T) {
	netAdmin := care.Viewer{UserID: "n", NetworkAdmin: true}
	cmAdmin := care.Viewer{UserID: "f", FacilityID: "A", FacilityAdmin: true}
	staff := care.Viewer{UserID: "s", FacilityID: "A"}
	cases := []struct {
		name       string
		v          care.Viewer
		kind, prof string
		want       bool
	}{
		{"network admin gives a doctor anywhere", netAdmin, care.KindCareManagement, care.ProfDoctor, true},
		{"care office admin gives a care manager", cmAdmin, care.KindCareManagement, care.ProfCareManager, true},
		{"care office admin gives a care worker", cmAdmin, care.KindCareManagement, care.ProfCareWorker, true},
		{"care office admin cannot give a nurse", cmAdmin, care.KindCareManagement, care.ProfNurse, false},
		{"care office admin cannot give a doctor", cmAdmin, care.KindCareManagement, care.ProfDoctor, false},
		{"clinic admin gives a doctor", cmAdmin, care.KindClinic, care.ProfDoctor, true},
		{"clinic admin cannot give a pharmacist", cmAdmin, care.KindClinic, care.ProfPharmacist, false},
		{"plain staff give nothing", staff, care.KindClinic, care.ProfOther, false},
	}
	for _, c := range cases {
		if got := care.CanGrantProfession(c.v, c.kind, c.prof); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

func TestOwnAccountChange(t *testing.T) {
	a := care.Account{FacilityID: "A", Profession: care.ProfCareWorker, FacilityAdmin: true, Status: care.StatusActive}
	if got := care.OwnAccountChange(a, a); len(got) != 0 {
		t.Fatalf("no change reported as %v", got)
	}
	b := a
	b.Profession, b.NetworkAdmin, b.FacilityID, b.Status = care.ProfNurse, true, "B", care.StatusSuspended
	if got := care.OwnAccountChange(a, b); !slices.Equal(got, []string{"profession", "roles", "facility_id", "status"}) {
		t.Fatalf("got %v", got)
	}
}
