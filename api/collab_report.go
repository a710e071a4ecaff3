package api

import (
	"context"
	"regexp"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The 在宅医療情報連携加算 (2024 fee schedule, C002 注15 and the like)
// asks, for the month it is claimed, that the physician records in the ICT
// shared with the team: (1) the date of the next home visit and whether
// the treatment plan changed, (2) an outline of the change when it did,
// (3) points of care for the team (留意点); and that the physician makes
// use of what the other professions recorded. The report shows which of
// these the records of a month hold, by whom and when.
const (
	collabNextVisit     = "next_visit"
	collabPlanChange    = "plan_change"
	collabPlanOutline   = "plan_change_outline"
	collabCarePoints    = "care_points"
	collabOthersRecords = "others_records_used"
	collabMaxRecords    = 2000
	collabMaxReads      = 500
)

// physicianProfessions are whose records and reads count as the doctor's
// (the dental version of the 加算 counts the dentist's).
var physicianProfessions = []string{care.ProfDoctor, care.ProfDentist}

var monthPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

type CollabReportInput struct {
	ID    string `path:"id" format:"uuid"`
	Month string `query:"month" required:"true" maxLength:"7" doc:"the month, YYYY-MM (Asia/Tokyo)"`
}

type CollabReportOutput struct {
	Body CollabReport
}

type CollabReport struct {
	PatientID   string       `json:"patient_id" format:"uuid"`
	Month       string       `json:"month"`
	From        time.Time    `json:"from" doc:"the month's first instant (Asia/Tokyo midnight)"`
	To          time.Time    `json:"to" doc:"the next month's first instant"`
	Complete    bool         `json:"complete" doc:"every item is met"`
	ChartHidden bool         `json:"chart_hidden,omitempty" doc:"the caller does not read chart records, so the doctor's notes are not counted"`
	Items       []CollabItem `json:"items"`
}

type CollabItem struct {
	Key        string        `json:"key" enum:"next_visit,plan_change,plan_change_outline,care_points,others_records_used"`
	Met        bool          `json:"met"`
	Applicable bool          `json:"applicable" doc:"false only for plan_change_outline in a month without a recorded change"`
	Entries    []CollabEntry `json:"entries"`
}

// CollabEntry is one record holding an item (for others_records_used: one
// read of another profession's record by a physician).
type CollabEntry struct {
	RecordID         string     `json:"record_id" format:"uuid"`
	Kind             string     `json:"kind"`
	AuthorID         string     `json:"author_id" format:"uuid"`
	AuthorName       string     `json:"author_name"`
	AuthorProfession string     `json:"author_profession"`
	OccurredAt       time.Time  `json:"occurred_at"`
	RecordedAt       *time.Time `json:"recorded_at,omitempty" doc:"when the record's current version was written (not for reads)"`
	Value            string     `json:"value,omitempty" doc:"next_visit: the date; plan_change: changed or unchanged; plan_change_outline and care_points: the text"`
	ReaderID         string     `json:"reader_id,omitempty" format:"uuid"`
	ReaderName       string     `json:"reader_name,omitempty"`
	ReadAt           *time.Time `json:"read_at,omitempty"`
}

// monthBounds parses YYYY-MM into its first instant and the next month's,
// in Asia/Tokyo.
func monthBounds(m string) (time.Time, time.Time, error) {
	bad := care.Invalid("query.month", "must be a month YYYY-MM between 2000-01 and 2100-12")
	if !monthPattern.MatchString(m) {
		return time.Time{}, time.Time{}, bad
	}
	t, err := time.ParseInLocation("2006-01", m, tokyo)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, time.Time{}, bad
	}
	return t, t.AddDate(0, 1, 0), nil
}

// getCollaborationReport answers the 加算 report of a patient's month,
// from the records the caller reads (a member without chart rights sees
// chart_hidden and no doctor's notes). Audited as a view of the patient's
// records.
func (s *Server) getCollaborationReport(ctx context.Context, in *CollabReportInput) (*CollabReportOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	from, to, err := monthBounds(in.Month)
	if err != nil {
		return nil, err
	}
	rep := CollabReport{PatientID: in.ID, Month: in.Month, From: from.UTC(), To: to.UTC()}
	err = s.readPatient(ctx, pr, "record.collaboration_report", in.ID, "record", "", care.Shared, func(tx *store.Tx, sc patientScope) error {
		scope := care.RecordScopeFor(pr.Viewer, sc.Level)
		rep.ChartHidden = sc.Level < care.Chart
		items, err := tx.Timeline(ctx, store.TimelineQuery{PatientID: in.ID, Scope: scope, From: from, To: to, Limit: collabMaxRecords})
		if err != nil {
			return err
		}
		reads, err := tx.ReadsByPhysicians(ctx, in.ID, scope, physicianProfessions, from, to, collabMaxReads)
		if err != nil {
			return err
		}
		var ids []string
		for _, it := range items {
			ids = append(ids, it.AuthorID)
		}
		names, err := tx.UserNames(ctx, ids)
		if err != nil {
			return err
		}
		rep.Items = collabItems(items, reads, names)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Complete = true
	for _, it := range rep.Items {
		rep.Complete = rep.Complete && it.Met
	}
	return &CollabReportOutput{Body: rep}, nil
}

// collabItems sorts a month's records (newest first, as the timeline
// gives them) and the physicians' reads into the items of the 加算, oldest
// first.
func collabItems(items []store.TimelineItem, reads []store.OthersRead, names map[string]string) []CollabItem {
	next := CollabItem{Key: collabNextVisit, Applicable: true, Entries: []CollabEntry{}}
	plan := CollabItem{Key: collabPlanChange, Applicable: true, Entries: []CollabEntry{}}
	outline := CollabItem{Key: collabPlanOutline, Entries: []CollabEntry{}}
	points := CollabItem{Key: collabCarePoints, Applicable: true, Entries: []CollabEntry{}}
	others := CollabItem{Key: collabOthersRecords, Applicable: true, Entries: []CollabEntry{}}
	outlined := true
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		c := it.Current.Content
		if it.Current.Status != care.RecordFinal || !care.Valid(physicianProfessions, it.AuthorProfession) {
			continue
		}
		recorded := it.Current.CreatedAt
		e := CollabEntry{RecordID: it.ID, Kind: it.Kind, AuthorID: it.AuthorID, AuthorName: names[it.AuthorID], AuthorProfession: it.AuthorProfession,
			OccurredAt: it.OccurredAt, RecordedAt: &recorded}
		if c.NextVisitOn != "" {
			x := e
			x.Value = c.NextVisitOn
			next.Entries = append(next.Entries, x)
		}
		// A physician's record that fills the 加算 section (a next visit,
		// the plan flag or care points) states whether the plan changed.
		if c.NextVisitOn != "" || c.PlanChanged || c.CareNotes != "" {
			x := e
			x.Value = "unchanged"
			if c.PlanChanged {
				x.Value = "changed"
			}
			plan.Entries = append(plan.Entries, x)
		}
		if c.PlanChanged {
			outline.Applicable = true
			x := e
			for _, s := range []string{c.Fields.Plan, c.Fields.PrescriptionChanges, c.Fields.PlanChange, c.Text} {
				if s != "" {
					x.Value = s
					break
				}
			}
			outlined = outlined && x.Value != ""
			outline.Entries = append(outline.Entries, x)
		}
		if c.CareNotes != "" {
			x := e
			x.Value = c.CareNotes
			points.Entries = append(points.Entries, x)
		}
	}
	for _, r := range reads {
		at := r.ReadAt
		others.Entries = append(others.Entries, CollabEntry{RecordID: r.RecordID, Kind: r.Kind, AuthorID: r.AuthorID, AuthorName: r.AuthorName,
			AuthorProfession: r.AuthorProfession, OccurredAt: r.OccurredAt, ReaderID: r.ReaderID, ReaderName: r.ReaderName, ReadAt: &at})
	}
	next.Met = len(next.Entries) > 0
	plan.Met = len(plan.Entries) > 0
	outline.Met = !outline.Applicable || outlined
	points.Met = len(points.Entries) > 0
	others.Met = len(others.Entries) > 0
	return []CollabItem{next, plan, outline, points, others}
}
