package care_test

import (
	"errors"
	"testing"

	"tsunagu/internal/care"
)

func TestCanEnterOnBehalf(t *testing.T) {
	nurse := care.Viewer{UserID: "nurse", FacilityID: "clinicA", Profession: care.ProfNurse}
	doctor := care.Viewer{UserID: "doctor", FacilityID: "clinicA", Profession: care.ProfDoctor}
	otherDoctor := care.Viewer{UserID: "doctor2", FacilityID: "clinicB", Profession: care.ProfDoctor}
	cases := []struct {
		name   string
		a      care.Viewer
		active bool
		lvl    care.Level
		kind   string
		ok     bool
	}{
		{"doctor of the same facility on the team", doctor, true, care.Chart, care.KindDoctorNote, true},
		{"shared kind for a member with shared level", doctor, true, care.Shared, care.KindDocument, true},
		{"chart kind for a member without chart rights", doctor, true, care.Shared, care.KindDoctorNote, false},
		{"off the team", doctor, true, care.None, care.KindNote, false},
		{"suspended author", doctor, false, care.Chart, care.KindDoctorNote, false},
		{"another facility", otherDoctor, true, care.Chart, care.KindDoctorNote, false},
		{"oneself", nurse, true, care.Chart, care.KindDoctorNote, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := care.CanEnterOnBehalf(nurse, c.a, c.active, c.lvl, c.kind)
			if c.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, c.ok)
			}
			var ce *care.Error
			if err != nil && (!errors.As(err, &ce) || ce.Code != care.CodeOnBehalfNotAllowed || ce.Field != "on_behalf_of") {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	rec := care.RecordFacts{Chart: true, AuthorID: "doctor", AuthorFacilityID: "clinicA"}
	proxy := care.VersionFacts{Version: 2, EnteredBy: "nurse"}
	confirmed := proxy
	confirmed.ConfirmedBy = "doctor"
	own := care.VersionFacts{Version: 2, EnteredBy: "doctor"}
	cases := []struct {
		name    string
		user    string
		current int64
		v       care.VersionFacts
		stamp   bool
		code    string
	}{
		{"the author confirms the current proxy version", "doctor", 2, proxy, true, ""},
		{"the one who entered it may not", "nurse", 2, proxy, false, care.CodeConfirmNotAllowed},
		{"nor another team member", "doctor2", 2, proxy, false, care.CodeConfirmNotAllowed},
		{"the author's own version needs none", "doctor", 2, own, false, care.CodeConfirmNotRequired},
		{"a replaced version is a conflict", "doctor", 3, proxy, false, care.CodeConflict},
		{"confirming again is a no-op", "doctor", 2, confirmed, false, ""},
		{"confirming again after a later version is still a no-op", "doctor", 3, confirmed, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stamp, err := care.Confirm(c.user, rec, c.current, c.v)
			code := ""
			var ce *care.Error
			if errors.As(err, &ce) {
				code = ce.Code
			} else if err != nil {
				t.Fatalf("untyped error %v", err)
			}
			if stamp != c.stamp || code != c.code {
				t.Fatalf("Confirm = %v, %q; want %v, %q", stamp, code, c.stamp, c.code)
			}
		})
	}
}
