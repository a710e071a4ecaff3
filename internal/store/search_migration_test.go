package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestSearchMigrationReindexesEveryRecord: records written before
// migration 27 (the schema taken down to 26 and up again, which queues
// every record) are not found until the backlog is indexed, then exactly
// as before: the current version's text, never an amended-away word nor a
// record entered in error; the bigram table is gone, the queue empty.
func TestSearchMigrationReindexesEveryRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		fid, pid := id(), id()
		doc := store.User{ID: id(), LoginID: "doc", Name: "試験", NameKana: "シケン", Profession: care.ProfDoctor, PasswordHash: "x",
			PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
			FacilityID: sql.NullString{String: fid, Valid: true}}
		var kept, amended, errored string
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateFacility(ctx, store.Facility{ID: fid, Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, doc); err != nil {
				return err
			}
			if err := tx.CreatePatient(ctx, store.Patient{ID: pid, FacilityID: fid, Name: "見本", NameKana: "ミホン", BirthDate: "1940-01-01", Sex: "female",
				CreatedAt: now, CreatedBy: doc.ID, UpdatedAt: now, Version: 1}); err != nil {
				return err
			}
			note := func(at time.Time, text string) (string, error) {
				r := store.Record{ID: id(), PatientID: pid, Kind: care.KindNote, Chart: false, AuthorID: doc.ID, AuthorFacilityID: fid,
					AuthorProfession: care.ProfDoctor, OccurredAt: at, CreatedAt: at, RequestHash: id()}
				v := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: doc.ID, CreatedAt: at,
					Content: care.RecordContent{Text: text, AttachmentIDs: []string{}}}
				return r.ID, tx.CreateRecord(ctx, r, v)
			}
			var err error
			if kept, err = note(now, "右足に浮腫あり"); err != nil {
				return err
			}
			if amended, err = note(now.Add(time.Minute), "浮腫なし"); err != nil {
				return err
			}
			if errored, err = note(now.Add(2*time.Minute), "浮腫が強い"); err != nil {
				return err
			}
			for _, a := range []struct{ id, text, status string }{{amended, "むくみなし", care.RecordFinal}, {errored, "浮腫が強い", care.RecordEnteredInError}} {
				if err := tx.AddRecordVersion(ctx, store.RecordVersion{RecordID: a.id, Version: 2, ParentVersion: 1, Status: a.status,
					Reason: "訂正", EnteredBy: doc.ID, CreatedAt: now.Add(3 * time.Minute),
					Content: care.RecordContent{Text: a.text, AttachmentIDs: []string{}}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		find := func(word string) []string {
			t.Helper()
			var got []string
			if err := db.Read(ctx, func(tx *store.Tx) error {
				items, err := tx.SearchRecords(ctx, store.SearchQuery{Viewer: care.Viewer{UserID: doc.ID, FacilityID: fid, Profession: care.ProfDoctor},
					Words: []string{word}, SharedPatients: []string{pid}, Limit: 10})
				for _, it := range items {
					got = append(got, it.Record.ID)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := find("浮腫"); len(got) != 1 || got[0] != kept {
			t.Fatalf("before: %v, want %s", got, kept)
		}
		if err := db.MigrateTo(ctx, 26); err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateTo(ctx, 27); err != nil {
			t.Fatal(err)
		}
		if got := find("浮腫"); len(got) != 0 {
			t.Fatalf("found before the backlog is indexed: %v", got)
		}
		if err := db.IndexBacklog(ctx); err != nil {
			t.Fatal(err)
		}
		if got := find("浮腫"); len(got) != 1 || got[0] != kept {
			t.Errorf("浮腫 after: %v, want %s", got, kept)
		}
		if got := find("むくみ"); len(got) != 1 || got[0] != amended {
			t.Errorf("むくみ after: %v, want %s", got, amended)
		}
		var left, grams int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.Get(ctx, &left, `SELECT COUNT(*) FROM record_search_backlog`); err != nil {
				return err
			}
			q := `SELECT COUNT(*) FROM sqlite_master WHERE name = 'record_gram'`
			if engine == store.Postgres {
				q = `SELECT COUNT(*) FROM pg_class WHERE relname = 'record_gram' AND relnamespace = current_schema()::regnamespace`
			}
			return tx.Get(ctx, &grams, q)
		}); err != nil {
			t.Fatal(err)
		}
		if left != 0 || grams != 0 {
			t.Errorf("backlog left %d, record_gram tables %d", left, grams)
		}
	})
}
