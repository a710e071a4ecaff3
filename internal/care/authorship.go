package care

// Who entered a record and who confirmed it (代行入力と確定). A record has
// one author: the clinician or staff member responsible for it. Each
// version also names who entered it. Usually that is the author. When
// someone else enters it (a clinic nurse or clerk entering for the doctor,
// 代行入力, or another clinician amending the author's chart record), the
// version awaits the author's confirmation (確定): the author checks it and
// stamps it confirmed_by / confirmed_at. The stamp is written once and
// never changes the content of the version.

// NeedsConfirmation reports whether a version entered by enteredBy into a
// record of authorID awaits the author's confirmation: every version that
// someone other than the author entered.
func NeedsConfirmation(authorID, enteredBy string) bool { return enteredBy != authorID }

// CanEnterOnBehalf decides whether enterer e may write a record of kind for
// author a (代行入力). a's account must be active (active) and a's level for
// the patient is aLevel. The enterer's own level for the kind is checked
// like for any record they write. The author must:
//   - be someone other than the enterer;
//   - reach the patient at the level the kind needs (on the team, with
//     chart rights for chart kinds): the author reads and confirms it;
//   - work at the enterer's facility. Proxy entry is arranged inside one
//     facility, under that facility's own rules (運用管理規程). The record
//     also belongs to the author's facility, whose disclosure setting
//     applies to it, so the enterer can always read it back.
//
// The refusal is CodeOnBehalfNotAllowed on the field on_behalf_of.
func CanEnterOnBehalf(e, a Viewer, active bool, aLevel Level, kind string) error {
	switch {
	case a.UserID == "" || a.UserID == e.UserID:
		return &Error{Code: CodeOnBehalfNotAllowed, Field: "on_behalf_of", Detail: "not another user"}
	case !active:
		return &Error{Code: CodeOnBehalfNotAllowed, Field: "on_behalf_of", Detail: "the author's account is not active"}
	case aLevel < RecordLevel(kind):
		return &Error{Code: CodeOnBehalfNotAllowed, Field: "on_behalf_of", Detail: "the author may not write this kind for this patient"}
	case e.FacilityID == "" || a.FacilityID != e.FacilityID:
		return &Error{Code: CodeOnBehalfNotAllowed, Field: "on_behalf_of", Detail: "the author works at another facility"}
	}
	return nil
}

// VersionFacts describe one version of a record for the confirmation rule.
type VersionFacts struct {
	Version     int64
	EnteredBy   string
	ConfirmedBy string // "" while unconfirmed
}

// Confirm decides whether user userID may confirm version v of record r,
// whose current version is current. Only the author confirms: the person
// the record was entered for. The one who entered it never does, unless
// they are that author, and then there is nothing to confirm. It returns:
//   - true: stamp v confirmed by userID;
//   - false and no error: v is already confirmed (a retry); nothing to do;
//   - CodeConfirmNotAllowed when userID is not the author;
//   - CodeConfirmNotRequired when the author entered v themselves;
//   - ErrConflict when v is no longer the current version (the author
//     would confirm content that has been replaced).
func Confirm(userID string, r RecordFacts, current int64, v VersionFacts) (bool, error) {
	switch {
	case userID != r.AuthorID:
		return false, Errorf(CodeConfirmNotAllowed, "only the author confirms")
	case !NeedsConfirmation(r.AuthorID, v.EnteredBy):
		return false, Errorf(CodeConfirmNotRequired, "version %d was entered by its author", v.Version)
	case v.ConfirmedBy != "":
		return false, nil
	case v.Version != current:
		return false, Errorf(CodeConflict, "version %d is not the current version %d", v.Version, current)
	}
	return true, nil
}
