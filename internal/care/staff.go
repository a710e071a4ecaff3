package care

// Staff messages (スタッフ連絡): conversations between staff outside any
// patient. Who takes part in a thread is decided from the accounts as they
// are now, never from a stored member list, so that leaving a facility or
// losing an account ends access at once.

// Kinds of staff thread.
const (
	StaffDirect   = "direct"   // two accounts
	StaffFacility = "facility" // the staff of one facility
)

// StaffThreadFacts are what decide who takes part in a staff thread.
type StaffThreadFacts struct {
	Kind       string
	FacilityID string // StaffFacility: whose staff
	UserA      string // StaffDirect: the two accounts
	UserB      string
}

// StaffParticipant reports whether v, an active account (the caller of a
// request is one), takes part in thread t: one of a pair's two accounts,
// or a member of the facility's staff now.
func StaffParticipant(v Viewer, t StaffThreadFacts) bool {
	switch t.Kind {
	case StaffDirect:
		return v.UserID != "" && (v.UserID == t.UserA || v.UserID == t.UserB)
	case StaffFacility:
		return v.FacilityID != "" && v.FacilityID == t.FacilityID
	}
	return false
}

// StaffAttachmentFacts are what decide who reads a staff message's photo.
type StaffAttachmentFacts struct {
	UploadedBy string
	Cited      bool             // a message cites it
	Thread     StaffThreadFacts // the thread of that message
}

// StaffAttachmentRead reports whether v reads a staff attachment: while
// no message cites it, its uploader alone; once cited, whoever takes part
// in the citing message's thread (the uploader too, only as long as they
// do).
func StaffAttachmentRead(v Viewer, a StaffAttachmentFacts) bool {
	if !a.Cited {
		return v.UserID != "" && v.UserID == a.UploadedBy
	}
	return StaffParticipant(v, a.Thread)
}
