package care_test

import (
	"testing"

	"tsunagu/internal/care"
)

func TestPatientAccess(t *testing.T) {
	pol := care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}
	nurse := care.Viewer{UserID: "u1", FacilityID: "stationA", Profession: care.ProfNurse}
	helper := care.Viewer{UserID: "u2", FacilityID: "serviceB", Profession: care.ProfCareWorker}
	registrar := care.Viewer{UserID: "u3", FacilityID: "clinicC", Profession: care.ProfDoctor}
	active := care.PatientFacts{Exists: true, PatientFacilityID: "clinicC", ConsentActive: true, ConsentScope: care.ConsentFull}
	onTeam := active
	onTeam.OnTeam = true
	narrow := onTeam
	narrow.ConsentScope = care.ConsentCalendarShared
	pending := care.PatientFacts{Exists: true, PatientFacilityID: "clinicC"}
	pendingOnTeam := pending
	pendingOnTeam.OnTeam = true

	cases := []struct {
		name string
		v    care.Viewer
		f    care.PatientFacts
		want care.Level
	}{
		{"unknown patient", nurse, care.PatientFacts{}, care.None},
		{"off the team", nurse, active, care.None},
		{"clinical member", nurse, onTeam, care.Chart},
		{"non-clinical member", helper, onTeam, care.Shared},
		{"clinical member under narrow consent", nurse, narrow, care.Shared},
		{"member before consent", nurse, pendingOnTeam, care.None},
		{"registering facility before consent", registrar, pending, care.Registration},
		{"registering facility after consent, off team", registrar, active, care.None},
		{"consent withdrawn, member", nurse, care.PatientFacts{Exists: true, PatientFacilityID: "clinicC", OnTeam: true}, care.None},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := care.PatientAccess(pol, c.v, c.f); got != c.want {
				t.Fatalf("PatientAccess = %v, want %v", got, c.want)
			}
		})
	}
}

func TestClinicalIsConfiguration(t *testing.T) {
	pol := care.Policy{ClinicalProfessions: []string{care.ProfDoctor}}
	if pol.Clinical(care.ProfNurse) {
		t.Fatal("nurse must not be clinical when only doctors are configured")
	}
	if !pol.Clinical(care.ProfDoctor) {
		t.Fatal("doctor must be clinical")
	}
}

func TestCanManageUser(t *testing.T) {
	netAdmin := care.Viewer{UserID: "n", NetworkAdmin: true}
	facAdmin := care.Viewer{UserID: "f", FacilityID: "A", FacilityAdmin: true}
	staff := care.Viewer{UserID: "s", FacilityID: "A"}
	cases := []struct {
		name     string
		v        care.Viewer
		facility string
		netAdmin bool
		want     bool
	}{
		{"network admin, any facility", netAdmin, "B", false, true},
		{"facility admin, own facility", facAdmin, "A", false, true},
		{"facility admin, other facility", facAdmin, "B", false, false},
		{"facility admin, network admin target", facAdmin, "A", true, false},
		{"plain staff", staff, "A", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := care.CanManageUser(c.v, c.facility, c.netAdmin); got != c.want {
				t.Fatalf("got %v want %v", got, c.want)
			}
		})
	}
}
