package api

import (
	"context"
	"slices"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// One occurrence of a series: how the views expand a series into its
// occurrences with their exceptions applied, and how a change of one
// occurrence (its times, status, note, record, or a substitute assignee)
// is kept as an exception.

// occurrences lists the entries of v that overlap [from, to): v itself,
// or the occurrences of a series with their exceptions applied (an
// occurrence moved into the range is listed, one moved out of it is not).
func occurrences(v store.Visit, from, to time.Time) []VisitOut {
	if v.Recurrence == nil {
		if v.StartsAt.Before(to) && v.EndsAt.After(from) {
			return []VisitOut{visitSeriesOut(v)}
		}
		return nil
	}
	first := care.Span{Start: v.StartsAt, End: v.EndsAt}
	cands := care.Occurrences(*v.Recurrence, first, tokyo, from, to)
	for _, e := range v.Exceptions {
		if e.StartsAt.Valid && e.StartsAt.Time.Before(to) && e.EndsAt.Time.After(from) &&
			!slices.ContainsFunc(cands, func(s care.Span) bool { return s.Start.Equal(e.OccurrenceStart) }) &&
			care.IsOccurrence(*v.Recurrence, first, tokyo, e.OccurrenceStart) {
			cands = append(cands, care.Span{Start: e.OccurrenceStart.In(tokyo), End: e.OccurrenceStart.Add(v.EndsAt.Sub(v.StartsAt)).In(tokyo)})
		}
	}
	var out []VisitOut
	for _, c := range cands {
		o := visitSeriesOut(v)
		os := c.Start
		o.OccurrenceStart = &os
		o.StartsAt, o.EndsAt = c.Start, c.End
		if e, ok := v.Exception(c.Start); ok {
			o.Exception = true
			if e.StartsAt.Valid {
				o.StartsAt, o.EndsAt = inTokyo(e.StartsAt.Time), inTokyo(e.EndsAt.Time)
			}
			if e.Status.Valid {
				o.Status = e.Status.String
			}
			if e.Note.Valid {
				o.Note = e.Note.String
			}
			if e.RecordID.Valid {
				o.RecordID = e.RecordID.String
			}
			if e.AssigneeIDs != nil {
				o.AssigneeIDs = slices.Clone(e.AssigneeIDs)
			}
		}
		if o.StartsAt.Before(to) && o.EndsAt.After(from) {
			out = append(out, o)
		}
	}
	return out
}

// changeOccurrence keeps the change of one occurrence as an exception of
// the series, and widens the series' extent when the occurrence moved
// after its end.
func (s *Server) changeOccurrence(ctx context.Context, tx *store.Tx, pr *Principal, v *store.Visit, in *UpdateVisitInput) error {
	b := in.Body
	switch {
	case v.Recurrence == nil:
		return care.Invalid("occurrence_start", "this visit does not repeat; change it without occurrence_start")
	case b.Kind != nil || b.AllDay != nil || b.Recurrence != nil:
		return care.Invalid("occurrence_start", "one occurrence can change only its times, status, note, record and assignees")
	}
	occ := store.UTC(*b.OccurrenceStart)
	first := care.Span{Start: v.StartsAt, End: v.EndsAt}
	if !care.IsOccurrence(*v.Recurrence, first, tokyo, occ) {
		return care.Invalid("occurrence_start", "not an occurrence of this series")
	}
	e, ok := v.Exception(occ)
	if !ok {
		e = store.VisitException{VisitID: v.ID, OccurrenceStart: occ}
	}
	start, end := occ, occ.Add(v.EndsAt.Sub(v.StartsAt))
	if e.StartsAt.Valid {
		start, end = e.StartsAt.Time, e.EndsAt.Time
	}
	if b.StartsAt != nil || b.EndsAt != nil {
		start, end = moved(start, end, b.StartsAt, b.EndsAt)
		if err := validSpan(start, end, v.AllDay); err != nil {
			return err
		}
		e.StartsAt.Time, e.StartsAt.Valid = start, true
		e.EndsAt.Time, e.EndsAt.Valid = end, true
	}
	if b.Status != nil {
		e.Status.String, e.Status.Valid = *b.Status, true
	}
	if b.Note != nil {
		e.Note.String, e.Note.Valid = *b.Note, true
	}
	if b.RecordID != nil {
		e.RecordID.String, e.RecordID.Valid = *b.RecordID, *b.RecordID != ""
	}
	if b.AssigneeIDs != nil {
		// A substitute for this occurrence: on the team like any assignee,
		// at least one. The series' own assignees again clear the override.
		ids, err := validAssignees(ctx, tx, v.PatientID, b.AssigneeIDs, append(slices.Clone(v.AssigneeIDs), e.AssigneeIDs...))
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return care.Invalid("assignee_ids", "an occurrence needs at least one assignee")
		}
		e.AssigneeIDs = ids
		if slices.Equal(ids, v.AssigneeIDs) {
			e.AssigneeIDs = nil
		}
	}
	e.UpdatedAt, e.UpdatedBy = s.now(), pr.User.ID
	if err := tx.PutVisitException(ctx, e); err != nil {
		return err
	}
	if end.After(v.SeriesEnd) {
		v.SeriesEnd = end
	}
	return nil
}

// substituteChanged reports whether an occurrence of the series got other
// assignees of its own (a substitute set, changed or withdrawn).
func substituteChanged(before, after store.Visit) bool {
	for _, a := range after.Exceptions {
		b, _ := before.Exception(a.OccurrenceStart)
		if !slices.Equal(a.AssigneeIDs, b.AssigneeIDs) {
			return true
		}
	}
	return false
}

// concerned lists who hears of a change: the assignees of the series and of
// its occurrences (substitutes), before and after it.
func concerned(before, after store.Visit) []string {
	ids := append(slices.Clone(before.AssigneeIDs), after.AssigneeIDs...)
	for _, v := range []store.Visit{before, after} {
		for _, e := range v.Exceptions {
			ids = append(ids, e.AssigneeIDs...)
		}
	}
	return ids
}
