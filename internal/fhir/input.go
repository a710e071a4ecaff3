package fhir

import (
	"time"

	"tsunagu/internal/care"
)

// Input is what one caller may read of one patient, gathered by the API
// under the access rules: every slice holds only readable items (records
// the caller's record scope reads, visits at the Shared level, the consent
// form only for those who manage the patient).
type Input struct {
	Patient       Patient
	Organizations []Organization // the home facility and the facilities of team members and authors
	People        []Person       // team members and record authors
	Team          []Member       // the current care team
	Consents      []Consent
	Encounters    []Encounter // visits done
	Records       []Record
	Attachments   map[string]Attachment // by id: those the records and readable consent forms cite
	// AttachmentURL is the address of an attachment's download; it needs a
	// session (the API authorises and audits each download).
	AttachmentURL func(id string) string
	// Loc is the time zone dates are written in (Asia/Tokyo).
	Loc *time.Location
}

// Patient is a patient's demographics.
type Patient struct {
	ID, FacilityID, Name, NameKana, BirthDate, Sex, Address, Phone string
}

// Organization is a facility of the network.
type Organization struct {
	ID, Name, NameKana, Kind string
}

// Person is a staff member named by the export.
type Person struct {
	ID, Name, NameKana, Profession, FacilityID string
	Active                                     bool
}

// Member is a current member of the care team.
type Member struct {
	ID, UserID, Role, Profession, FacilityID string
	AddedAt                                  time.Time
}

// Consent is a consent with its signed form's pages (Pages is empty when
// the caller may not read the form).
type Consent struct {
	ID, ObtainedOn, Scope, ObtainedBy, RecordedBy string
	RecordedAt                                    time.Time
	WithdrawnAt                                   *time.Time
	Pages                                         []string
}

// Encounter is one visit done: a single visit, or one occurrence of a
// series (OccurrenceStart set).
type Encounter struct {
	VisitID         string
	OccurrenceStart *time.Time
	Kind            string
	Start, End      time.Time
	AllDay          bool
	AssigneeIDs     []string
	RecordID        string
}

// ID is the encounter's resource id: the visit's id, or for an occurrence
// of a series one derived from the series and the occurrence's start.
func (e Encounter) ID() string {
	if e.OccurrenceStart == nil {
		return e.VisitID
	}
	return DerivedID(e.VisitID, "occurrence", e.OccurrenceStart.UTC().Format(time.RFC3339))
}

// Record is a record at its current version.
type Record struct {
	ID, Kind, AuthorID, AuthorFacilityID, VisitID string
	OccurredAt, CreatedAt, UpdatedAt              time.Time
	Version                                       int64
	Status                                        string
	Content                                       care.RecordContent
}

// Attachment is an attachment's metadata (never its bytes).
type Attachment struct {
	ID, ContentType string
	Size            int64
	UploadedAt      time.Time
}
