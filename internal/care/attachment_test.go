package care_test

import (
	"testing"

	"tsunagu/internal/care"
)

func TestAttachmentRead(t *testing.T) {
	p := care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}
	onTeam := care.PatientFacts{Exists: true, PatientFacilityID: "clinic", OnTeam: true, TeamRole: care.RoleOther, ConsentActive: true, ConsentScope: care.ConsentFull}
	doctorNote := care.RecordFacts{Chart: true, AuthorID: "doc", AuthorFacilityID: "clinic", AuthorDisclosure: care.DisclosureFull}
	hiddenVisit := care.RecordFacts{Chart: true, AuthorID: "nurse", AuthorFacilityID: "station", AuthorDisclosure: care.DisclosureSharedOnly}
	note := care.RecordFacts{AuthorID: "nurse", AuthorFacilityID: "station", AuthorDisclosure: care.DisclosureSharedOnly}
	manager := care.Viewer{UserID: "cm", FacilityID: "office", Profession: care.ProfCareManager}
	doctor := care.Viewer{UserID: "doc2", FacilityID: "other", Profession: care.ProfDoctor}
	tests := []struct {
		name string
		v    care.Viewer
		f    care.PatientFacts
		a    care.AttachmentFacts
		want error
	}{
		{"care manager, doctor's note photo", manager, onTeam, care.AttachmentFacts{UploadedBy: "doc", Records: []care.RecordFacts{doctorNote}}, care.ErrChartForbidden},
		{"care manager, also cited by a note", manager, onTeam, care.AttachmentFacts{UploadedBy: "doc", Records: []care.RecordFacts{doctorNote, note}}, nil},
		{"doctor elsewhere, shared_only visit", doctor, onTeam, care.AttachmentFacts{UploadedBy: "nurse", Records: []care.RecordFacts{hiddenVisit}}, care.ErrNotFound},
		{"doctor, doctor's note", doctor, onTeam, care.AttachmentFacts{UploadedBy: "doc", Records: []care.RecordFacts{doctorNote}}, nil},
		{"uploader, uncited", manager, onTeam, care.AttachmentFacts{UploadedBy: "cm"}, nil},
		{"someone else's uncited upload", doctor, onTeam, care.AttachmentFacts{UploadedBy: "cm"}, care.ErrNotFound},
		{"consent form, not managing", doctor, onTeam, care.AttachmentFacts{UploadedBy: "doc", ConsentForm: true}, care.ErrForbidden},
		{"consent form, care manager role", manager, func() care.PatientFacts { f := onTeam; f.TeamRole = care.RoleCareManager; return f }(),
			care.AttachmentFacts{UploadedBy: "doc", ConsentForm: true}, nil},
		{"off the team", doctor, care.PatientFacts{Exists: true, PatientFacilityID: "clinic", ConsentActive: true, ConsentScope: care.ConsentFull},
			care.AttachmentFacts{UploadedBy: "doc2", Records: []care.RecordFacts{note}}, care.ErrNotFound},
		// The team channel: a photo a message cites is read at the shared level.
		{"care manager, team channel photo", manager, onTeam, care.AttachmentFacts{UploadedBy: "nurse", Message: true}, nil},
		{"team channel photo, off the team", doctor, care.PatientFacts{Exists: true, PatientFacilityID: "clinic", ConsentActive: true, ConsentScope: care.ConsentFull},
			care.AttachmentFacts{UploadedBy: "nurse", Message: true}, care.ErrNotFound},
		{"team channel photo, consent withdrawn", manager, func() care.PatientFacts { f := onTeam; f.ConsentActive, f.ConsentScope = false, ""; return f }(),
			care.AttachmentFacts{UploadedBy: "nurse", Message: true}, care.ErrNotFound},
	}
	for _, tt := range tests {
		lvl := care.PatientAccess(p, tt.v, tt.f)
		if got := care.AttachmentRead(p, tt.v, tt.f, lvl, tt.a); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
