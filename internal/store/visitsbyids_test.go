package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestVisitsByIDsReadsWhatVisitReads: the visits of a pull's page or a
// snapshot, read together, are each what Visit reads alone: series with
// their exceptions (moved, cancelled, with a substitute), assignees; an id
// that names no visit is left out.
func TestVisitsByIDsReadsWhatVisitReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		_, u, pid := stationNurseAndPatient(t, db, now)
		other := store.User{ID: "01900000-0000-7000-8000-00000000a002", LoginID: "nurse2", Name: "看護師二", NameKana: "カンゴシニ", Profession: care.ProfNurse,
			PasswordHash: "x", PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
			FacilityID: u.FacilityID}
		id := func(i int) string { return fmt.Sprintf("01900000-0000-7000-8000-c%011d", i) }
		var ids []string
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateUser(ctx, other); err != nil {
				return err
			}
			for i := 0; i < 12; i++ {
				at := now.Add(time.Duration(i*7) * time.Hour)
				v := store.Visit{ID: id(i), PatientID: pid, Kind: care.VisitNurse, StartsAt: at, EndsAt: at.Add(time.Hour), SeriesEnd: at.Add(time.Hour),
					Status: care.VisitPlanned, Note: fmt.Sprintf("訪問 %d", i), Version: 1, CreatedAt: now, CreatedBy: u.ID, UpdatedAt: now, UpdatedBy: u.ID,
					AssigneeIDs: []string{u.ID}}
				if i%3 == 1 {
					v.AssigneeIDs = []string{u.ID, other.ID}
				}
				if i%4 == 0 {
					v.Recurrence = &care.Recurrence{Freq: care.FreqWeekly, Interval: 1, ByDay: []string{"MO", "TH"}, Count: 8}
					v.SeriesEnd = at.AddDate(0, 0, 28)
				}
				if err := tx.CreateVisit(ctx, v); err != nil {
					return err
				}
				if v.Recurrence != nil {
					moved := at.AddDate(0, 0, 7)
					if err := tx.PutVisitException(ctx, store.VisitException{VisitID: v.ID, OccurrenceStart: moved,
						StartsAt: sql.NullTime{Time: moved.Add(2 * time.Hour), Valid: true}, EndsAt: sql.NullTime{Time: moved.Add(3 * time.Hour), Valid: true},
						Note: sql.NullString{String: "時間変更", Valid: true}, UpdatedAt: now, UpdatedBy: u.ID, AssigneeIDs: []string{other.ID}}); err != nil {
						return err
					}
					if err := tx.PutVisitException(ctx, store.VisitException{VisitID: v.ID, OccurrenceStart: at.AddDate(0, 0, 14),
						Status: sql.NullString{String: care.VisitCancelled, Valid: true}, UpdatedAt: now, UpdatedBy: u.ID}); err != nil {
						return err
					}
				}
				ids = append(ids, v.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		asked := append([]string{id(99)}, ids...)
		if err := db.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.VisitsByIDs(ctx, asked)
			if err != nil {
				return err
			}
			if len(got) != len(ids) {
				t.Fatalf("%d visits for %d ids of which %d exist", len(got), len(asked), len(ids))
			}
			for _, g := range got {
				want, err := tx.Visit(ctx, g.ID)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("visit %s together %+v, alone %+v", g.ID, g, want)
				}
			}
			none, err := tx.VisitsByIDs(ctx, nil)
			if err != nil || len(none) != 0 {
				t.Errorf("no ids: %v, %v", none, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
