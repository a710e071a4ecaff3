package api

import (
	"database/sql"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

func TestVisitChangeNotifies(t *testing.T) {
	start := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	occ := start.AddDate(0, 0, 7)
	base := func() store.Visit {
		return store.Visit{StartsAt: start, EndsAt: start.Add(45 * time.Minute), Status: care.VisitPlanned, AssigneeIDs: []string{"a", "b"},
			Recurrence: &care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"MO"}, Count: 4}, Note: "メモ"}
	}
	exc := func(mod func(e *store.VisitException)) []store.VisitException {
		e := store.VisitException{OccurrenceStart: occ}
		mod(&e)
		return []store.VisitException{e}
	}
	tests := []struct {
		name string
		mod  func(v *store.Visit)
		want bool
	}{
		{"nothing", func(v *store.Visit) {}, false},
		{"note", func(v *store.Visit) { v.Note = "別のメモ" }, false},
		{"kind", func(v *store.Visit) { v.Kind = care.VisitDoctor }, false},
		{"done", func(v *store.Visit) { v.Status = care.VisitDone }, false},
		{"linked record", func(v *store.Visit) { v.RecordID = "r" }, false},
		{"same assignees in another order", func(v *store.Visit) { v.AssigneeIDs = []string{"b", "a"} }, false},
		{"assignee added", func(v *store.Visit) { v.AssigneeIDs = []string{"a", "b", "c"} }, true},
		{"assignee removed", func(v *store.Visit) { v.AssigneeIDs = []string{"a"} }, true},
		{"moved", func(v *store.Visit) { v.StartsAt, v.EndsAt = v.StartsAt.Add(time.Hour), v.EndsAt.Add(time.Hour) }, true},
		{"longer", func(v *store.Visit) { v.EndsAt = v.EndsAt.Add(time.Hour) }, true},
		{"all day", func(v *store.Visit) { v.AllDay = true }, true},
		{"cancelled", func(v *store.Visit) { v.Status = care.VisitCancelled }, true},
		{"rule", func(v *store.Visit) {
			v.Recurrence = &care.Recurrence{Freq: "weekly", Interval: 1, ByDay: []string{"TU"}, Count: 4}
		}, true},
		{"occurrence note", func(v *store.Visit) {
			v.Exceptions = exc(func(e *store.VisitException) { e.Note = sql.NullString{String: "x", Valid: true} })
		}, false},
		{"occurrence done", func(v *store.Visit) {
			v.Exceptions = exc(func(e *store.VisitException) { e.Status = sql.NullString{String: care.VisitDone, Valid: true} })
		}, false},
		{"occurrence cancelled", func(v *store.Visit) {
			v.Exceptions = exc(func(e *store.VisitException) { e.Status = sql.NullString{String: care.VisitCancelled, Valid: true} })
		}, true},
		{"occurrence moved", func(v *store.Visit) {
			v.Exceptions = exc(func(e *store.VisitException) {
				e.StartsAt = sql.NullTime{Time: occ.Add(2 * time.Hour), Valid: true}
				e.EndsAt = sql.NullTime{Time: occ.Add(3 * time.Hour), Valid: true}
			})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := base()
			tt.mod(&after)
			if got := visitChangeNotifies(base(), after); got != tt.want {
				t.Fatalf("visitChangeNotifies = %v, want %v", got, tt.want)
			}
		})
	}
	// An occurrence already moved, moved back to where the series puts it,
	// and a cancelled one restored, are changes too.
	moved := base()
	moved.Exceptions = exc(func(e *store.VisitException) {
		e.StartsAt = sql.NullTime{Time: occ.Add(2 * time.Hour), Valid: true}
		e.EndsAt = sql.NullTime{Time: occ.Add(3 * time.Hour), Valid: true}
	})
	back := base()
	back.Exceptions = exc(func(e *store.VisitException) {
		e.StartsAt = sql.NullTime{Time: occ, Valid: true}
		e.EndsAt = sql.NullTime{Time: occ.Add(45 * time.Minute), Valid: true}
	})
	if !visitChangeNotifies(moved, back) {
		t.Error("an occurrence moved back did not notify")
	}
	cancelled := base()
	cancelled.Status = care.VisitCancelled
	restored := base()
	if !visitChangeNotifies(cancelled, restored) {
		t.Error("a series restored from cancelled did not notify")
	}
}
