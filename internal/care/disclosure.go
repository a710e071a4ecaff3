package care

// Facility disclosure (開示範囲). Each facility of the network may narrow
// what its staff's records disclose to the rest of a patient's team
// (the network's rule "each facility can narrow what it discloses";
// 開示範囲は開示施設ごとに設定). A facility whose disclosure is
// DisclosureSharedOnly keeps its staff's chart content (the chart kinds:
// nursing visits, doctor's notes, medication records) inside the facility:
// team members of other facilities see only its shared kinds (care notes,
// notes, documents), as if the chart records did not exist. The setting that
// counts is the one of the author's facility (record.author_facility_id) as
// it stands now, so narrowing it hides what was written before too.

// RecordFacts are what the rules need to know about one record.
type RecordFacts struct {
	Chart            bool // a chart kind (RecordLevel(kind) == Chart)
	AuthorID         string
	AuthorFacilityID string
	// AuthorDisclosure is the disclosure setting of the author's facility.
	AuthorDisclosure string
}

// RecordScope is which of one patient's records a viewer reads. It follows
// from the viewer's level for the patient (PatientAccess) and from who they
// are; RecordScopeFor makes it. The record queries of the store apply the
// same rule in SQL (store.readsSQL), so that a list never carries a record
// Reads would refuse.
type RecordScope struct {
	Level            Level
	ViewerID         string
	ViewerFacilityID string
}

// RecordScopeFor is the record scope of viewer v at level lvl for a patient.
func RecordScopeFor(v Viewer, lvl Level) RecordScope {
	return RecordScope{Level: lvl, ViewerID: v.UserID, ViewerFacilityID: v.FacilityID}
}

// Reads reports whether a viewer with scope s reads record r:
//   - nothing below the Shared level;
//   - shared kinds at Shared and Chart level;
//   - chart kinds at Chart level only, and of an author whose facility
//     discloses shared_only, only when the viewer works at that facility or
//     wrote the record.
//
// A record a viewer does not read is answered like one that does not exist.
func (s RecordScope) Reads(r RecordFacts) bool {
	switch {
	case s.Level < Shared:
		return false
	case !r.Chart:
		return true
	case s.Level < Chart:
		return false
	case r.AuthorDisclosure != DisclosureSharedOnly:
		return true
	}
	return r.AuthorID == s.ViewerID || (s.ViewerFacilityID != "" && r.AuthorFacilityID == s.ViewerFacilityID)
}
