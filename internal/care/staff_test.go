package care_test

import (
	"testing"

	"tsunagu/internal/care"
)

func TestStaffParticipant(t *testing.T) {
	pair := care.StaffThreadFacts{Kind: care.StaffDirect, UserA: "a", UserB: "b"}
	group := care.StaffThreadFacts{Kind: care.StaffFacility, FacilityID: "f1"}
	cases := []struct {
		name string
		v    care.Viewer
		t    care.StaffThreadFacts
		want bool
	}{
		{"first of the pair", care.Viewer{UserID: "a", FacilityID: "f1"}, pair, true},
		{"second of the pair", care.Viewer{UserID: "b"}, pair, true},
		{"a third account", care.Viewer{UserID: "c", FacilityID: "f1"}, pair, false},
		{"the facility's staff", care.Viewer{UserID: "c", FacilityID: "f1"}, group, true},
		{"another facility's staff", care.Viewer{UserID: "a", FacilityID: "f2"}, group, false},
		{"no facility (network office)", care.Viewer{UserID: "a"}, group, false},
		{"an empty viewer never matches an empty pair", care.Viewer{}, care.StaffThreadFacts{Kind: care.StaffDirect}, false},
		{"an unknown kind", care.Viewer{UserID: "a", FacilityID: "f1"}, care.StaffThreadFacts{Kind: "x", UserA: "a", FacilityID: "f1"}, false},
	}
	for _, c := range cases {
		if got := care.StaffParticipant(c.v, c.t); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStaffAttachmentRead(t *testing.T) {
	group := care.StaffThreadFacts{Kind: care.StaffFacility, FacilityID: "f1"}
	uploader := care.Viewer{UserID: "u", FacilityID: "f1"}
	colleague := care.Viewer{UserID: "c", FacilityID: "f1"}
	left := care.Viewer{UserID: "u", FacilityID: "f2"}
	if !care.StaffAttachmentRead(uploader, care.StaffAttachmentFacts{UploadedBy: "u"}) {
		t.Error("the uploader does not read an uncited upload")
	}
	if care.StaffAttachmentRead(colleague, care.StaffAttachmentFacts{UploadedBy: "u"}) {
		t.Error("a colleague reads an uncited upload")
	}
	cited := care.StaffAttachmentFacts{UploadedBy: "u", Cited: true, Thread: group}
	if !care.StaffAttachmentRead(colleague, cited) {
		t.Error("a participant does not read a cited photo")
	}
	if care.StaffAttachmentRead(left, cited) {
		t.Error("the uploader reads a cited photo after leaving the thread")
	}
}
