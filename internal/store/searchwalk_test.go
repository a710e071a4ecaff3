package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestSearchPagesAcrossPatients pages through a search across patients
// at the chart and the shared level, a word in every record (each patient
// walked by time) and a word in a few (candidates by key), and checks the
// pages against the records in the timeline's order: every record the
// viewer reads that holds the word, once, newest first, ties on time in id
// order, and no chart record of a patient read at the shared level.
func TestSearchPagesAcrossPatients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		fid := id()
		doc := store.User{ID: id(), LoginID: "doc", Name: "試験", NameKana: "シケン", Profession: care.ProfDoctor, PasswordHash: "x",
			PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
			FacilityID: sql.NullString{String: fid, Valid: true}}
		type rec struct {
			id, patient string
			at          time.Time
			chart       bool
			text        string
		}
		var recs []rec
		patients := make([]string, 5)
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateFacility(ctx, store.Facility{ID: fid, Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, doc); err != nil {
				return err
			}
			for p := range patients {
				patients[p] = id()
				if err := tx.CreatePatient(ctx, store.Patient{ID: patients[p], FacilityID: fid, Name: "見本", NameKana: "ミホン", BirthDate: "1940-01-01", Sex: "female",
					CreatedAt: now, CreatedBy: doc.ID, UpdatedAt: now, Version: 1}); err != nil {
					return err
				}
				for i := 0; i < 130; i++ {
					// Every third minute shared by two records, so that pages
					// end on ties of time.
					at := now.Add(-time.Duration((i*5+p)/2) * time.Minute)
					text := fmt.Sprintf("定期訪問 %d", i)
					if i%23 == 4 {
						text += " 褥瘡あり"
					}
					r := store.Record{ID: id(), PatientID: patients[p], Kind: care.KindNote, Chart: i%2 == 0, AuthorID: doc.ID, AuthorFacilityID: fid,
						AuthorProfession: care.ProfDoctor, OccurredAt: at, CreatedAt: now, RequestHash: id()}
					v := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: doc.ID, CreatedAt: now,
						Content: care.RecordContent{Text: text, AttachmentIDs: []string{}}}
					if err := tx.CreateRecord(ctx, r, v); err != nil {
						return err
					}
					recs = append(recs, rec{r.ID, r.PatientID, at, r.Chart, text})
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		viewer := care.Viewer{UserID: doc.ID, FacilityID: fid, Profession: care.ProfDoctor}
		chart, shared := patients[:3], patients[3:]
		for _, word := range []string{"定期訪問", "褥瘡"} {
			var want []string
			slices.SortFunc(recs, func(a, b rec) int {
				if c := b.at.Compare(a.at); c != 0 {
					return c
				}
				return strings.Compare(b.id, a.id)
			})
			for _, r := range recs {
				if strings.Contains(r.text, word) && (slices.Contains(chart, r.patient) || !r.chart) {
					want = append(want, r.id)
				}
			}
			var got []string
			var before *store.TimelineKey
			for page := 0; page < 200; page++ {
				var items []store.TimelineItem
				if err := db.Read(ctx, func(tx *store.Tx) (err error) {
					items, err = tx.SearchRecords(ctx, store.SearchQuery{Viewer: viewer, Words: []string{word}, ChartPatients: chart, SharedPatients: shared,
						Before: before, Limit: 7})
					return
				}); err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					got = append(got, it.Record.ID)
				}
				if len(items) < 7 {
					break
				}
				last := items[len(items)-1]
				before = &store.TimelineKey{OccurredAt: last.Record.OccurredAt, ID: last.Record.ID}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d records paged, want %d (first difference at %d)", word, len(got), len(want), firstDiff(got, want))
			}
		}
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
