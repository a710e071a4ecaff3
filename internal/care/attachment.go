package care

// AttachmentFacts are what decides who reads one attachment (a photo or a
// scanned form) of a patient.
type AttachmentFacts struct {
	UploadedBy string
	// Records are the patient's records that cite the attachment in any
	// of their versions.
	Records []RecordFacts
	// ConsentForm: a consent of the patient cites it as its scanned form.
	ConsentForm bool
	// Message: a message of the patient's team channel cites it. The
	// channel is read at the shared level, so the photo is too; a message
	// may cite only a photo no chart record or consent form cites.
	Message bool
}

// RecordRead decides whether viewer v, at level lvl for the record's
// patient, reads record r, and answers the refusal the record read gives:
// ErrNotFound off the team (or for a record hidden by facility disclosure,
// as for one that does not exist), ErrChartForbidden for a chart kind and a
// team member of a non-clinical profession, ErrForbidden for any other
// level the kind needs.
func RecordRead(p Policy, v Viewer, lvl Level, r RecordFacts) error {
	need := Shared
	if r.Chart {
		need = Chart
	}
	switch {
	case lvl == None:
		return ErrNotFound
	case need == Chart && lvl != Chart:
		if lvl == Shared && !p.Clinical(v.Profession) {
			return ErrChartForbidden
		}
		return ErrForbidden
	case lvl < need:
		return ErrForbidden
	case !RecordScopeFor(v, lvl).Reads(r):
		return ErrNotFound
	}
	return nil
}

// AttachmentRead decides whether viewer v, at level lvl for patient f,
// reads an attachment: exactly when they read at least one record that
// cites it (RecordRead), or a message cites it and they read the team
// channel (the shared level), or, for a consent's scanned form, when they manage
// the patient (CanManage). An attachment nothing cites yet is read only by
// whoever uploaded it, while they may still upload for the patient.
//
// A refusal looks like the record read's: ErrNotFound off the team;
// otherwise the most telling refusal among the citations (ErrChartForbidden
// before ErrForbidden before ErrNotFound), so a photo in a doctor's note
// answers a care manager exactly as the note does.
func AttachmentRead(p Policy, v Viewer, f PatientFacts, lvl Level, a AttachmentFacts) error {
	if lvl == None {
		return ErrNotFound
	}
	if a.Message && lvl >= Shared {
		return nil
	}
	refusal := ErrNotFound
	keep := func(err *Error) {
		if refusalRank(err) > refusalRank(refusal) {
			refusal = err
		}
	}
	for _, r := range a.Records {
		err := RecordRead(p, v, lvl, r)
		if err == nil {
			return nil
		}
		keep(err.(*Error))
	}
	manage := CanManage(v, f, lvl)
	if a.ConsentForm {
		if manage {
			return nil
		}
		keep(ErrForbidden)
	}
	if len(a.Records) == 0 && !a.ConsentForm && !a.Message && a.UploadedBy == v.UserID && (lvl >= Shared || manage) {
		return nil
	}
	return refusal
}

func refusalRank(e *Error) int {
	switch e.Code {
	case CodeChartForbidden:
		return 2
	case CodeForbidden:
		return 1
	}
	return 0
}
