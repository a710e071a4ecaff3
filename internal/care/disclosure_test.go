package care_test

import (
	"testing"

	"tsunagu/internal/care"
)

func TestRecordScopeReads(t *testing.T) {
	nurseA := care.Viewer{UserID: "nurseA", FacilityID: "stationA", Profession: care.ProfNurse}
	nurseA2 := care.Viewer{UserID: "nurseA2", FacilityID: "stationA", Profession: care.ProfNurse}
	doctorB := care.Viewer{UserID: "doctorB", FacilityID: "clinicB", Profession: care.ProfDoctor}
	chartOpen := care.RecordFacts{Chart: true, AuthorID: "nurseA", AuthorFacilityID: "stationA", AuthorDisclosure: care.DisclosureFull}
	chartClosed := chartOpen
	chartClosed.AuthorDisclosure = care.DisclosureSharedOnly
	sharedClosed := chartClosed
	sharedClosed.Chart = false
	// The author moved to another facility: they still read what they wrote.
	movedAuthor := care.Viewer{UserID: "nurseA", FacilityID: "clinicB", Profession: care.ProfNurse}

	cases := []struct {
		name string
		v    care.Viewer
		lvl  care.Level
		r    care.RecordFacts
		want bool
	}{
		{"chart record, full disclosure, other facility", doctorB, care.Chart, chartOpen, true},
		{"chart record, shared_only, other facility", doctorB, care.Chart, chartClosed, false},
		{"chart record, shared_only, same facility", nurseA2, care.Chart, chartClosed, true},
		{"chart record, shared_only, the author", nurseA, care.Chart, chartClosed, true},
		{"chart record, shared_only, the author elsewhere now", movedAuthor, care.Chart, chartClosed, true},
		{"shared kind, shared_only, other facility", doctorB, care.Chart, sharedClosed, true},
		{"shared kind at shared level", doctorB, care.Shared, sharedClosed, true},
		{"chart record at shared level, same facility", nurseA2, care.Shared, chartOpen, false},
		{"nothing at registration level", nurseA, care.Registration, sharedClosed, false},
		{"nothing without access", nurseA, care.None, sharedClosed, false},
		{"no facility is not every facility", care.Viewer{UserID: "x"}, care.Chart, care.RecordFacts{Chart: true, AuthorID: "y", AuthorDisclosure: care.DisclosureSharedOnly}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := care.RecordScopeFor(c.v, c.lvl).Reads(c.r); got != c.want {
				t.Fatalf("Reads = %v, want %v", got, c.want)
			}
		})
	}
}
