package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestIndexAtGroupEnd: the search index of records written in a group
// (on SQLite indexed when the group ends, indexlater.go) is the current
// version's, whatever the savepoints around the writes did: a create or
// an amendment whose savepoint rolls back leaves nothing in the index, an
// amendment in the same transaction replaces the create's entry, and of
// concurrent writes sharing a group only those that succeed are found.
func TestIndexAtGroupEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		fac, u, pid := stationNurseAndPatient(t, db, now)
		id := func(i int) string { return fmt.Sprintf("01900000-0000-7000-8000-d%011d", i) }
		version := func(rid string, n int64, text string) store.RecordVersion {
			c := care.RecordContent{Text: text}
			c.Normalize(care.KindNursingVisit)
			return store.RecordVersion{RecordID: rid, Version: n, ParentVersion: n - 1, Status: care.RecordFinal, Content: c, EnteredBy: u.ID, CreatedAt: now}
		}
		create := func(tx *store.Tx, i int, text string) error {
			r := store.Record{ID: id(i), PatientID: pid, Kind: care.KindNursingVisit, Chart: true, AuthorID: u.ID, AuthorFacilityID: fac.ID,
				AuthorProfession: care.ProfNurse, OccurredAt: now.Add(-time.Duration(i) * time.Minute), CreatedAt: now, RequestHash: "h"}
			return tx.CreateRecord(ctx, r, version(r.ID, 1, text))
		}
		search := func(word string) []string {
			t.Helper()
			var got []string
			if err := db.Read(ctx, func(tx *store.Tx) error {
				words, err := care.SearchWords(word)
				if err != nil {
					return err
				}
				found, err := tx.SearchRecords(ctx, store.SearchQuery{Viewer: care.Viewer{UserID: u.ID, FacilityID: fac.ID, Profession: care.ProfNurse},
					Words: words, ChartPatients: []string{pid}, Limit: 100})
				for _, f := range found {
					got = append(got, f.Record.ID)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			return got
		}
		boom := errors.New("refused")
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := create(tx, 1, "褥瘡あり。"); err != nil {
				return err
			}
			// A create rolled back with its savepoint.
			if err := tx.Savepoint(ctx, func() error {
				if err := create(tx, 2, "嚥下困難あり。"); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				return fmt.Errorf("savepoint: %v", err)
			}
			// An amendment kept, then one rolled back.
			if err := tx.Savepoint(ctx, func() error { return tx.AddRecordVersion(ctx, version(id(1), 2, "発熱あり。")) }); err != nil {
				return err
			}
			return tx.Savepoint(ctx, func() error {
				if err := tx.AddRecordVersion(ctx, version(id(1), 3, "血圧低下あり。")); err != nil {
					return err
				}
				if err := create(tx, 3, "血圧低下あり。"); err != nil {
					return err
				}
				return boom
			})
		}); !errors.Is(err, boom) {
			t.Fatalf("write: %v", err)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := create(tx, 1, "褥瘡あり。"); err != nil {
				return err
			}
			if err := tx.Savepoint(ctx, func() error {
				if err := create(tx, 2, "嚥下困難あり。"); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				return fmt.Errorf("savepoint: %v", err)
			}
			if err := tx.Savepoint(ctx, func() error { return tx.AddRecordVersion(ctx, version(id(1), 2, "発熱あり。")) }); err != nil {
				return err
			}
			if err := tx.Savepoint(ctx, func() error {
				if err := tx.AddRecordVersion(ctx, version(id(1), 3, "血圧低下あり。")); err != nil {
					return err
				}
				if err := create(tx, 3, "血圧低下あり。"); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				return fmt.Errorf("savepoint: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for word, want := range map[string][]string{"発熱": {id(1)}, "褥瘡": nil, "嚥下": nil, "血圧": nil} {
			if got := search(word); !slices.Equal(got, want) {
				t.Errorf("search %s: %v, want %v", word, got, want)
			}
		}
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.Get(ctx, &n, `SELECT COUNT(*) FROM record_search`)
		}); err != nil || n != 1 {
			t.Fatalf("record_search rows: %d, %v", n, err)
		}

		// Concurrent writes (grouped): every third fails after its create.
		const writers = 60
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Write(ctx, func(tx *store.Tx) error {
					if err := create(tx, 100+i, fmt.Sprintf("訪問%d回目。", 100+i)); err != nil {
						return err
					}
					if i%3 == 0 {
						return boom
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i := range writers {
			want := []string{id(100 + i)}
			if i%3 == 0 {
				want = nil
				if !errors.Is(errs[i], boom) {
					t.Fatalf("writer %d: %v", i, errs[i])
				}
			} else if errs[i] != nil {
				t.Fatalf("writer %d: %v", i, errs[i])
			}
			if got := search(fmt.Sprintf("訪問%d回目", 100+i)); !slices.Equal(got, want) {
				t.Errorf("writer %d: search found %v, want %v", i, got, want)
			}
		}
	})
}
