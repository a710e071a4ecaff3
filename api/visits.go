package api

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// VisitOut is a calendar entry as the views list it: a single visit, or
// one occurrence of a series. An occurrence carries the series' id and its
// original start in occurrence_start, which names it: PATCH
// /visits/{id} with that occurrence_start changes this occurrence only.
// Times are RFC 3339 in Asia/Tokyo.
type VisitOut struct {
	ID              string           `json:"id" format:"uuid" doc:"the visit, or for an occurrence the series"`
	PatientID       string           `json:"patient_id" format:"uuid"`
	OccurrenceStart *time.Time       `json:"occurrence_start,omitempty" doc:"occurrence of a series: its original (unmoved) start, which names it"`
	Kind            string           `json:"kind" enum:"nurse_visit,doctor_visit,pharmacist_visit,care_service,care_conference,hospital_appointment,other"`
	AssigneeIDs     []string         `json:"assignee_ids"`
	StartsAt        time.Time        `json:"starts_at"`
	EndsAt          time.Time        `json:"ends_at" doc:"exclusive; for all-day entries the midnight after the last day"`
	AllDay          bool             `json:"all_day"`
	Note            string           `json:"note"`
	Status          string           `json:"status" enum:"planned,done,cancelled,missed"`
	RecordID        string           `json:"record_id,omitempty" doc:"the record written for this visit"`
	Recurrence      *care.Recurrence `json:"recurrence,omitempty"`
	Exception       bool             `json:"exception,omitempty" doc:"this occurrence was changed on its own"`
	Version         int64            `json:"version" doc:"version of the visit (series and its exceptions); send as base_version"`
}

// VisitExceptionOut is one occurrence of a series changed on its own;
// absent fields keep the series' value.
type VisitExceptionOut struct {
	OccurrenceStart time.Time  `json:"occurrence_start"`
	StartsAt        *time.Time `json:"starts_at,omitempty" doc:"set when the occurrence was moved"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	Status          string     `json:"status,omitempty"`
	Note            *string    `json:"note,omitempty"`
	RecordID        string     `json:"record_id,omitempty"`
	AssigneeIDs     []string   `json:"assignee_ids,omitempty" doc:"set when this occurrence has its own assignees (a substitute) instead of the series'"`
	UpdatedAt       time.Time  `json:"updated_at"`
	UpdatedBy       string     `json:"updated_by" format:"uuid"`
}

// VisitDetail is a visit (for a series: its first entry and rule) with its
// exceptions.
type VisitDetail struct {
	VisitOut
	Exceptions []VisitExceptionOut `json:"exceptions"`
	CreatedAt  time.Time           `json:"created_at"`
	CreatedBy  string              `json:"created_by" format:"uuid"`
	UpdatedAt  time.Time           `json:"updated_at"`
	UpdatedBy  string              `json:"updated_by" format:"uuid"`
}

// VisitHistoryOut is one version of a visit as it was after a change.
type VisitHistoryOut struct {
	Version   int64       `json:"version"`
	ChangedBy string      `json:"changed_by" format:"uuid"`
	ChangedAt time.Time   `json:"changed_at"`
	Snapshot  VisitDetail `json:"snapshot"`
}

func inTokyo(t time.Time) time.Time { return t.In(tokyo) }

func visitSeriesOut(v store.Visit) VisitOut {
	return VisitOut{ID: v.ID, PatientID: v.PatientID, Kind: v.Kind, AssigneeIDs: v.AssigneeIDs, StartsAt: inTokyo(v.StartsAt),
		EndsAt: inTokyo(v.EndsAt), AllDay: v.AllDay, Note: v.Note, Status: v.Status, RecordID: v.RecordID, Recurrence: v.Recurrence,
		Version: v.Version}
}

func visitDetail(v store.Visit) VisitDetail {
	d := VisitDetail{VisitOut: visitSeriesOut(v), Exceptions: []VisitExceptionOut{}, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy,
		UpdatedAt: v.UpdatedAt, UpdatedBy: v.UpdatedBy}
	for _, e := range v.Exceptions {
		o := VisitExceptionOut{OccurrenceStart: inTokyo(e.OccurrenceStart), Status: e.Status.String, RecordID: e.RecordID.String,
			UpdatedAt: e.UpdatedAt, UpdatedBy: e.UpdatedBy}
		if e.StartsAt.Valid {
			s, en := inTokyo(e.StartsAt.Time), inTokyo(e.EndsAt.Time)
			o.StartsAt, o.EndsAt = &s, &en
		}
		if e.Note.Valid {
			n := e.Note.String
			o.Note = &n
		}
		if e.AssigneeIDs != nil {
			o.AssigneeIDs = slices.Clone(e.AssigneeIDs)
		}
		d.Exceptions = append(d.Exceptions, o)
	}
	return d
}

func sortVisits(vs []VisitOut) {
	sort.SliceStable(vs, func(i, j int) bool {
		if !vs[i].StartsAt.Equal(vs[j].StartsAt) {
			return vs[i].StartsAt.Before(vs[j].StartsAt)
		}
		return vs[i].ID < vs[j].ID
	})
}

// maxVisitLength bounds one entry (a multi-day stay, not a season).
const maxVisitLength = 92 * 24 * time.Hour

// validSpan checks the times of an entry.
func validSpan(start, end time.Time, allDay bool) error {
	if !end.After(start) {
		return care.Invalid("ends_at", "must be after starts_at")
	}
	if end.Sub(start) > maxVisitLength {
		return care.Invalid("ends_at", "an entry lasts at most 92 days")
	}
	if allDay {
		for f, t := range map[string]time.Time{"starts_at": start, "ends_at": end} {
			if lt := t.In(tokyo); lt.Hour() != 0 || lt.Minute() != 0 || lt.Second() != 0 || lt.Nanosecond() != 0 {
				return care.Invalid(f, "an all-day entry runs from midnight to midnight in Asia/Tokyo")
			}
		}
	}
	return nil
}

func validRecurrence(r *care.Recurrence, start time.Time) error {
	if r == nil {
		return nil
	}
	return r.ValidateFrom(start, tokyo)
}

func validRecordID(field, id string) error {
	if id == "" {
		return nil
	}
	if _, err := uuid.Parse(id); err != nil {
		return care.Invalid(field, "must be a UUID")
	}
	return nil
}

// validAssignees checks that every assignee is a current member of the
// patient's team with an active account, and returns them sorted without
// repeats. Those in kept (the visit's assignees as they are) stay
// assignable after their account is suspended: the rule stops a visit
// being newly given to an account that cannot sign in (it would leave the
// list of the one who does the visit and be missed), not the restoring of
// a series' own assignees.
func validAssignees(ctx context.Context, tx *store.Tx, patientID string, ids, kept []string) ([]string, error) {
	team, err := tx.TeamUserIDs(ctx, patientID)
	if err != nil {
		return nil, err
	}
	refused := care.Invalid("assignee_ids", "every assignee must be an active member of the care team")
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(team, id) {
			return nil, refused
		}
		if !slices.Contains(kept, id) {
			u, err := tx.User(ctx, id)
			if err != nil {
				return nil, err
			}
			if u.Status != care.StatusActive {
				return nil, refused
			}
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

func seriesEnd(v store.Visit) time.Time {
	if v.Recurrence == nil {
		return v.EndsAt
	}
	return care.SeriesEnd(*v.Recurrence, care.Span{Start: v.StartsAt, End: v.EndsAt}, tokyo)
}

// keepHistory stores the visit as it is now in tx as its current version.
func keepHistory(ctx context.Context, tx *store.Tx, id, by string, at time.Time) (store.Visit, error) {
	v, err := tx.Visit(ctx, id)
	if err != nil {
		return v, err
	}
	snap, err := json.Marshal(visitDetail(v))
	if err != nil {
		return v, err
	}
	return v, tx.AddVisitHistory(ctx, v.ID, v.Version, by, at, snap)
}

type VisitFields struct {
	Kind        string           `json:"kind" enum:"nurse_visit,doctor_visit,pharmacist_visit,care_service,care_conference,hospital_appointment,other"`
	AssigneeIDs []string         `json:"assignee_ids" maxItems:"20" doc:"current members of the patient's care team"`
	StartsAt    time.Time        `json:"starts_at" doc:"RFC 3339; stored in UTC"`
	EndsAt      time.Time        `json:"ends_at" doc:"RFC 3339, after starts_at; exclusive"`
	AllDay      bool             `json:"all_day,omitempty" doc:"starts_at and ends_at are then midnights in Asia/Tokyo (ends_at the one after the last day)"`
	Note        string           `json:"note,omitempty" maxLength:"2000"`
	Status      string           `json:"status,omitempty" enum:"planned,done,cancelled,missed" default:"planned"`
	RecordID    string           `json:"record_id,omitempty" format:"uuid" doc:"the record written for this visit"`
	Recurrence  *care.Recurrence `json:"recurrence,omitempty" doc:"repeat weekly; the entry is then the first of a series"`
}

type CreateVisitInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		VisitID string `json:"id,omitempty" format:"uuid" doc:"client-generated UUIDv7"`
		VisitFields
	}
}

type VisitOutput struct{ Body VisitDetail }

// createVisit puts a visit or a weekly series on a patient's calendar. Any
// team member may; assignees must be on the team.
func (s *Server) createVisit(ctx context.Context, in *CreateVisitInput) (*VisitOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if b.Status == "" {
		b.Status = care.VisitPlanned
	}
	if err := validSpan(b.StartsAt, b.EndsAt, b.AllDay); err != nil {
		return nil, err
	}
	if err := validRecurrence(b.Recurrence, b.StartsAt); err != nil {
		return nil, err
	}
	now := s.now()
	v := store.Visit{ID: b.VisitID, PatientID: in.ID, Kind: b.Kind, StartsAt: store.UTC(b.StartsAt), EndsAt: store.UTC(b.EndsAt), AllDay: b.AllDay,
		Note: b.Note, Status: b.Status, RecordID: b.RecordID, Recurrence: b.Recurrence, Version: 1,
		CreatedAt: now, CreatedBy: pr.User.ID, UpdatedAt: now, UpdatedBy: pr.User.ID}
	if v.ID == "" {
		v.ID = s.newID()
	}
	v.SeriesEnd = seriesEnd(v)
	out := &VisitOutput{}
	err = s.withPatient(ctx, pr, "visit.create", in.ID, "visit", v.ID, care.Shared, false, func(tx *store.Tx, _ patientScope) error {
		if v.AssigneeIDs, err = validAssignees(ctx, tx, in.ID, b.AssigneeIDs, nil); err != nil {
			return err
		}
		if err := checkPatientRefs(ctx, tx, in.ID, b); err != nil {
			return err
		}
		if err := tx.CreateVisit(ctx, v); err != nil {
			return err
		}
		saved, err := keepHistory(ctx, tx, v.ID, pr.User.ID, now)
		if err != nil {
			return err
		}
		out.Body = visitDetail(saved)
		if err := s.changed(ctx, tx, store.Change{PatientID: in.ID, Entity: "visit", EntityID: v.ID}); err != nil {
			return err
		}
		// The assignees hear of a visit planned for them; an entry made
		// for the record (done, missed, cancelled) asks nothing of them.
		if v.Status == care.VisitPlanned {
			if err := s.notifyVisit(ctx, tx, in.ID, v.ID, pr.User.ID, true, v.AssigneeIDs); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "visit.create", in.ID, "visit", v.ID))
	})
	return out, err
}

type VisitIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type VisitWithHistory struct {
	VisitDetail
	History []VisitHistoryOut `json:"history" doc:"every version, oldest first"`
}

type VisitHistoryOutput struct{ Body VisitWithHistory }

// visitPatient finds the patient of visit id for the access decision. An
// unknown visit is refused (and audited) exactly as a visit of a patient
// the caller cannot reach.
func (s *Server) visitPatient(ctx context.Context, pr *Principal, action, id string) (string, error) {
	var patientID string
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		patientID, err = tx.VisitPatientID(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", s.denied(ctx, pr, action, "", "visit", id, care.ErrNotFound)
	}
	return patientID, err
}

func (s *Server) getVisit(ctx context.Context, in *VisitIDInput) (*VisitHistoryOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	patientID, err := s.visitPatient(ctx, pr, "visit.read", in.ID)
	if err != nil {
		return nil, err
	}
	out := &VisitHistoryOutput{}
	err = s.withPatient(ctx, pr, "visit.read", patientID, "visit", in.ID, care.Shared, false, func(tx *store.Tx, _ patientScope) error {
		v, err := tx.Visit(ctx, in.ID)
		if err != nil {
			return err
		}
		hs, err := tx.VisitHistory(ctx, in.ID)
		if err != nil {
			return err
		}
		out.Body.VisitDetail = visitDetail(v)
		out.Body.History = make([]VisitHistoryOut, 0, len(hs))
		for _, h := range hs {
			o := VisitHistoryOut{Version: h.Version, ChangedBy: h.ChangedBy, ChangedAt: h.ChangedAt}
			if err := json.Unmarshal([]byte(h.Snapshot), &o.Snapshot); err != nil {
				return err
			}
			out.Body.History = append(out.Body.History, o)
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "visit.read", patientID, "visit", in.ID))
	})
	return out, err
}

type UpdateVisitInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		BaseVersion     int64            `json:"base_version" minimum:"1" doc:"the version the change is based on; a stale one answers 409 with the current visit"`
		OccurrenceStart *time.Time       `json:"occurrence_start,omitempty" doc:"change only this occurrence of a series (its original start); then only starts_at, ends_at, status, note, record_id and assignee_ids (a substitute for this occurrence) may change"`
		Kind            *string          `json:"kind,omitempty" enum:"nurse_visit,doctor_visit,pharmacist_visit,care_service,care_conference,hospital_appointment,other"`
		AssigneeIDs     []string         `json:"assignee_ids,omitempty" maxItems:"20" doc:"current members of the care team; with occurrence_start the assignees of that occurrence alone (a substitute)"`
		StartsAt        *time.Time       `json:"starts_at,omitempty" doc:"moving the start alone keeps the length"`
		EndsAt          *time.Time       `json:"ends_at,omitempty"`
		AllDay          *bool            `json:"all_day,omitempty"`
		Note            *string          `json:"note,omitempty" maxLength:"2000"`
		Status          *string          `json:"status,omitempty" enum:"planned,done,cancelled,missed"`
		RecordID        *string          `json:"record_id,omitempty" doc:"a record UUID; empty string unlinks"`
		Recurrence      *care.Recurrence `json:"recurrence,omitempty" doc:"replace the rule (a series stays a series)"`
	}
}

// conflictWith is a stale-version refusal that carries the current state,
// which the problem shows in its current field.
type conflictWith struct {
	err     *care.Error
	current any
}

func (c *conflictWith) Error() string { return c.err.Error() }
func (c *conflictWith) Unwrap() error { return c.err }

// moved applies a new start and/or end; a start alone keeps the length.
func moved(start, end time.Time, newStart, newEnd *time.Time) (time.Time, time.Time) {
	switch {
	case newStart != nil && newEnd != nil:
		return store.UTC(*newStart), store.UTC(*newEnd)
	case newStart != nil:
		return store.UTC(*newStart), store.UTC(newStart.Add(end.Sub(start)))
	case newEnd != nil:
		return start, store.UTC(*newEnd)
	}
	return start, end
}

// updateVisit changes a visit or series, or with occurrence_start one
// occurrence of a series (kept as an exception). Team members may: care
// managers coordinate, assignees mark visits done. A stale base_version
// answers 409 with the current visit, and the app shows both.
func (s *Server) updateVisit(ctx context.Context, in *UpdateVisitInput) (*VisitOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if err := validRecordID("record_id", deref(b.RecordID)); err != nil {
		return nil, err
	}
	patientID, err := s.visitPatient(ctx, pr, "visit.update", in.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &VisitOutput{}
	var stale bool
	err = s.withPatient(ctx, pr, "visit.update", patientID, "visit", in.ID, care.Shared, false, func(tx *store.Tx, _ patientScope) error {
		if err := checkPatientRefs(ctx, tx, patientID, b); err != nil {
			return err
		}
		v, err := tx.Visit(ctx, in.ID)
		if err != nil {
			return err
		}
		if v.Version != b.BaseVersion {
			stale = true
			return &conflictWith{err: care.Errorf(care.CodeConflict, "visit version %d, change based on %d", v.Version, b.BaseVersion), current: visitDetail(v)}
		}
		before := v
		if b.OccurrenceStart != nil {
			if err := s.changeOccurrence(ctx, tx, pr, &v, in); err != nil {
				return err
			}
		} else if err := changeSeries(ctx, tx, &v, in); err != nil {
			return err
		}
		v.UpdatedAt, v.UpdatedBy = now, pr.User.ID
		if err := tx.UpdateVisit(ctx, v, b.BaseVersion); errors.Is(err, store.ErrStaleVersion) {
			stale = true
			return care.Errorf(care.CodeConflict, "visit changed concurrently")
		} else if err != nil {
			return err
		}
		saved, err := keepHistory(ctx, tx, v.ID, pr.User.ID, now)
		if err != nil {
			return err
		}
		out.Body = visitDetail(saved)
		if err := s.changed(ctx, tx, store.Change{PatientID: patientID, Entity: "visit", EntityID: in.ID}); err != nil {
			return err
		}
		// Everyone it concerns hears of a move, a cancellation or a new
		// assignee: those who had it, and those who have it now.
		if visitChangeNotifies(before, saved) || substituteChanged(before, saved) {
			if err := s.notifyVisit(ctx, tx, patientID, v.ID, pr.User.ID, false, concerned(before, saved)); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "visit.update", patientID, "visit", in.ID))
	})
	if stale {
		// The refusal shows the current visit: a read worth auditing. The
		// work's transaction rolled back, so it gets one of its own.
		e := s.event(ctx, pr, "visit.update", patientID, "visit", in.ID)
		e.Result = audit.ResultFailed
		if werr := s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) }); werr != nil {
			s.log.ErrorContext(ctx, "audit visit conflict", "request_id", requestID(ctx), "err", werr)
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func changeSeries(ctx context.Context, tx *store.Tx, v *store.Visit, in *UpdateVisitInput) error {
	b := in.Body
	if b.Kind != nil {
		v.Kind = *b.Kind
	}
	if b.AssigneeIDs != nil {
		ids, err := validAssignees(ctx, tx, v.PatientID, b.AssigneeIDs, v.AssigneeIDs)
		if err != nil {
			return err
		}
		v.AssigneeIDs = ids
	}
	v.StartsAt, v.EndsAt = moved(v.StartsAt, v.EndsAt, b.StartsAt, b.EndsAt)
	if b.AllDay != nil {
		v.AllDay = *b.AllDay
	}
	if b.Note != nil {
		v.Note = *b.Note
	}
	if b.Status != nil {
		v.Status = *b.Status
	}
	if b.RecordID != nil {
		v.RecordID = *b.RecordID
	}
	if b.Recurrence != nil {
		if v.Recurrence == nil {
			return care.Invalid("recurrence", "a single visit cannot become a series; create the series instead")
		}
		v.Recurrence = b.Recurrence
	}
	if err := validSpan(v.StartsAt, v.EndsAt, v.AllDay); err != nil {
		return err
	}
	// A series stored before the two-year bound can still be edited (or
	// cancelled) as long as its rule and start stay as they are.
	if err := validRecurrence(v.Recurrence, v.StartsAt); err != nil && (b.Recurrence != nil || b.StartsAt != nil) {
		return err
	}
	v.SeriesEnd = seriesEnd(*v)
	return nil
}
