package api

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// dateRange reads the from/to dates of a calendar view (to inclusive, at
// most 62 days) as the instants [from 00:00, to+1 00:00) in Asia/Tokyo.
func dateRange(from, to string) (time.Time, time.Time, int, error) {
	f, err1 := time.ParseInLocation(time.DateOnly, from, tokyo)
	t, err2 := time.ParseInLocation(time.DateOnly, to, tokyo)
	if err1 != nil || err2 != nil {
		return f, t, 0, huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "query.from", Message: "from and to are dates YYYY-MM-DD"})
	}
	days := daysFrom(f, t) + 1
	if days < 1 || days > 62 {
		return f, t, 0, huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "query.to", Message: "to is on or after from, at most 62 days in all"})
	}
	return f, t.AddDate(0, 0, 1), days, nil
}

func daysFrom(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// CalendarRecordOut is a record shown on a calendar day.
type CalendarRecordOut struct {
	ID         string    `json:"id" format:"uuid"`
	Kind       string    `json:"kind"`
	OccurredAt time.Time `json:"occurred_at"`
	VisitID    string    `json:"visit_id,omitempty"`
	AuthorID   string    `json:"author_id,omitempty"`
}

// CalendarDay is one day (Asia/Tokyo) of a patient calendar: the visits
// overlapping it (a multi-day entry is on each of its days) and the
// records written that day.
type CalendarDay struct {
	Date    string              `json:"date" format:"date"`
	Visits  []VisitOut          `json:"visits"`
	Records []CalendarRecordOut `json:"records"`
}

type PatientVisitsInput struct {
	ID   string `path:"id" format:"uuid"`
	From string `query:"from" required:"true" format:"date" doc:"first day (Asia/Tokyo)"`
	To   string `query:"to" required:"true" format:"date" doc:"last day, inclusive; at most 62 days in all"`
}

type PatientVisitsOutput struct {
	Body struct {
		From string        `json:"from" format:"date"`
		To   string        `json:"to" format:"date"`
		Days []CalendarDay `json:"days"`
	}
}

// listPatientVisits is the patient calendar (month or week): every day of
// the range with its visits (series expanded) and its records.
func (s *Server) listPatientVisits(ctx context.Context, in *PatientVisitsInput) (*PatientVisitsOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	from, to, n, err := dateRange(in.From, in.To)
	if err != nil {
		return nil, err
	}
	out := &PatientVisitsOutput{}
	out.Body.From, out.Body.To = in.From, in.To
	err = s.withPatient(ctx, pr, "visit.list", in.ID, "visit", "", care.Shared, false, func(tx *store.Tx, sc patientScope) error {
		vs, err := tx.PatientVisits(ctx, in.ID, from, to)
		if err != nil {
			return err
		}
		var all []VisitOut
		for _, v := range vs {
			all = append(all, occurrences(v, from, to)...)
		}
		sortVisits(all)
		recs, err := tx.CalendarRecords(ctx, in.ID, from, to, care.RecordScopeFor(pr.Viewer, sc.Level))
		if err != nil {
			return err
		}
		out.Body.Days = make([]CalendarDay, n)
		for i := range out.Body.Days {
			ds := from.AddDate(0, 0, i)
			de := from.AddDate(0, 0, i+1)
			d := CalendarDay{Date: ds.Format(time.DateOnly), Visits: []VisitOut{}, Records: []CalendarRecordOut{}}
			for _, o := range all {
				if o.StartsAt.Before(de) && o.EndsAt.After(ds) {
					d.Visits = append(d.Visits, o)
				}
			}
			for _, r := range recs {
				if !r.OccurredAt.Before(ds) && r.OccurredAt.Before(de) {
					d.Records = append(d.Records, CalendarRecordOut{ID: r.ID, Kind: r.Kind, OccurredAt: r.OccurredAt, VisitID: r.VisitID, AuthorID: r.AuthorID})
				}
			}
			out.Body.Days[i] = d
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "visit.list", in.ID, "visit", ""))
	})
	return out, err
}

// MyVisitOut is an occurrence in a staff member's own list, with the
// patient's name (the list spans patients).
type MyVisitOut struct {
	VisitOut
	PatientName string `json:"patient_name"`
}

type MyVisitsInput struct {
	From  string `query:"from" required:"true" format:"date" doc:"first day (Asia/Tokyo)"`
	To    string `query:"to" required:"true" format:"date" doc:"last day, inclusive; at most 62 days in all"`
	Scope string `query:"scope" enum:"mine,team" default:"mine" doc:"mine: visits I am assigned to; team: every visit of the patients whose team I am on (care managers coordinating the week)"`
}

type MyVisitsOutput struct {
	Body struct {
		Visits []MyVisitOut `json:"visits"`
	}
}

// reachableVisits returns the occurrences in [from, to) of visits (series
// expanded) of the patients userID reaches now, by the same rule as every
// patient operation, with one audit event per patient.
func (s *Server) reachableVisits(ctx context.Context, tx *store.Tx, pr *Principal, vs []store.Visit, from, to time.Time, action string) ([]MyVisitOut, []*audit.Event, error) {
	names := map[string]string{}
	var out []MyVisitOut
	var events []*audit.Event
	for _, v := range vs {
		name, seen := names[v.PatientID]
		if !seen {
			facts, err := tx.PatientFacts(ctx, v.PatientID, pr.User.ID)
			if err != nil {
				return nil, nil, err
			}
			if care.PatientAccess(s.opt.Care, pr.Viewer, facts) >= care.Shared {
				p, err := tx.Patient(ctx, v.PatientID)
				if err != nil {
					return nil, nil, err
				}
				name = p.Name
				events = append(events, s.event(ctx, pr, action, v.PatientID, "visit", ""))
			}
			names[v.PatientID] = name
		}
		if name == "" {
			continue
		}
		for _, o := range occurrences(v, from, to) {
			out = append(out, MyVisitOut{VisitOut: o, PatientName: name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartsAt.Equal(out[j].StartsAt) {
			return out[i].StartsAt.Before(out[j].StartsAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, events, nil
}

// listMyVisits is "my visits": occurrences I am assigned to, or with
// scope=team every visit of my patients, across the patients I still
// reach (a patient I lost vanishes from the list).
func (s *Server) listMyVisits(ctx context.Context, in *MyVisitsInput) (*MyVisitsOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	from, to, _, err := dateRange(in.From, in.To)
	if err != nil {
		return nil, err
	}
	out := &MyVisitsOutput{}
	// Read in a read transaction, the audit events written after it (before
	// the answer), as the digest does: in the write transaction the list
	// held every writer of the server for its length.
	var events []*audit.Event
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		var vs []store.Visit
		if in.Scope == "team" {
			vs, err = tx.TeamVisits(ctx, pr.User.ID, from, to)
		} else {
			vs, err = tx.AssignedVisits(ctx, pr.User.ID, from, to)
		}
		if err != nil {
			return err
		}
		list, evs, err := s.reachableVisits(ctx, tx, pr, vs, from, to, "visit.list")
		if err != nil {
			return err
		}
		if in.Scope != "team" {
			list = assignedTo(list, pr.User.ID)
		}
		out.Body.Visits = list
		if out.Body.Visits == nil {
			out.Body.Visits = []MyVisitOut{}
		}
		events = evs
		return nil
	})
	if err != nil || len(events) == 0 {
		return out, err
	}
	if err := s.auditAfterRead(ctx, events); err != nil {
		return nil, err
	}
	return out, nil
}

// assignedTo keeps the occurrences userID is assigned to: not one a
// substitute takes for them, and of a series where they substitute only
// that occurrence.
func assignedTo(list []MyVisitOut, userID string) []MyVisitOut {
	return slices.DeleteFunc(list, func(o MyVisitOut) bool { return !slices.Contains(o.AssigneeIDs, userID) })
}
