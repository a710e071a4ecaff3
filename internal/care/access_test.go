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
	pending := care.PatientFacts{Exists: true, PatientFacilityID: "clinicC", RegistrarID: "u3"}
	pendingOnTeam := pending
	pendingOnTeam.OnTeam = true
	colleague := care.Viewer{UserID: "u4", FacilityID: "clinicC", Profession: care.ProfOther}
	clinicAdmin := care.Viewer{UserID: "u5", FacilityID: "clinicC", Profession: care.ProfOther, FacilityAdmin: true}
	otherAdmin := care.Viewer{UserID: "u6", FacilityID: "stationA", Profession: care.ProfOther, FacilityAdmin: true}
	movedRegistrar := care.Viewer{UserID: "u3", FacilityID: "stationA", Profession: care.ProfDoctor}

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
		{"registrar on the team before consent", registrar, pendingOnTeam, care.Registration},
		{"colleague of the registrar before consent", colleague, pending, care.None},
		{"colleague of the registrar on the team before consent", colleague, pendingOnTeam, care.None},
		{"admin of the registering facility before consent", clinicAdmin, pending, care.Registration},
		{"admin of another facility before consent", otherAdmin, pending, care.None},
		{"registrar who moved to another facility", movedRegistrar, pending, care.None},
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

func TestConsentNeedsForm(t *testing.T) {
	cases := []struct {
		had, active, want bool
	}{
		{false, false, false}, // the first consent
		{true, true, false},   // a new consent replaces the active one
		{true, false, true},   // after a withdrawal
	}
	for _, c := range cases {
		if got := care.ConsentNeedsForm(c.had, c.active); got != c.want {
			t.Errorf("ConsentNeedsForm(had %v, active %v) = %v, want %v", c.had, c.active, got, c.want)
		}
	}
}

func TestCanManageWithoutConsent(t *testing.T) {
	pol := care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}
	f := care.PatientFacts{Exists: true, PatientFacilityID: "clinicC", RegistrarID: "u3", OnTeam: true, TeamRole: care.RolePrimaryPhysician}
	cases := []struct {
		name string
		v    care.Viewer
		want bool
	}{
		{"registrar", care.Viewer{UserID: "u3", FacilityID: "clinicC", Profession: care.ProfDoctor}, true},
		{"admin of the registering facility", care.Viewer{UserID: "u5", FacilityID: "clinicC", FacilityAdmin: true}, true},
		{"colleague who is the team's physician", care.Viewer{UserID: "u4", FacilityID: "clinicC", Profession: care.ProfDoctor}, false},
		{"physician of another facility on the team", care.Viewer{UserID: "u7", FacilityID: "stationA", Profession: care.ProfDoctor}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := care.CanManage(c.v, f, care.PatientAccess(pol, c.v, f)); got != c.want {
				t.Fatalf("CanManage = %v, want %v", got, c.want)
			}
		})
	}
}
