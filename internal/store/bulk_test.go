package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestBulkCreatesWriteWhatTheSingleOnesWrite: CreateRecords and
// CreateVisits, over more rows than one statement takes, leave records,
// versions, search text and visits that read back exactly as those of
// CreateRecord and CreateVisit with the same content; an id already taken
// fails the whole call with ErrIDTaken and, rolled back, keeps nothing.
func TestBulkCreatesWriteWhatTheSingleOnesWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		fac, u, pid := stationNurseAndPatient(t, db, now)
		// Pairs: record i is written in bulk, record i+n the same one at a
		// time; so are visits.
		const n = 300
		id := func(kind byte, i int) string { return fmt.Sprintf("01900000-0000-7000-8000-%c%011d", kind, i) }
		mk := func(i int) (store.Visit, store.Record, store.RecordVersion) {
			k := i % n
			at := now.Add(-time.Duration(k) * time.Hour)
			temp, pulse := 36.5, 70+k%20
			c := care.RecordContent{Text: fmt.Sprintf("バイタル安定。訪問%d回目。", k), Vitals: &care.Vitals{TemperatureC: &temp, Pulse: &pulse}}
			c.Normalize(care.KindNursingVisit)
			vis := store.Visit{ID: id('c', i), PatientID: pid, Kind: care.VisitNurse, StartsAt: at.Add(-time.Hour), EndsAt: at, SeriesEnd: at, Status: care.VisitDone,
				Version: 1, CreatedAt: at, CreatedBy: u.ID, UpdatedAt: at, UpdatedBy: u.ID, AssigneeIDs: []string{u.ID}}
			r := store.Record{ID: id('d', i), PatientID: pid, Kind: care.KindNursingVisit, Chart: true, AuthorID: u.ID, AuthorFacilityID: fac.ID,
				AuthorProfession: care.ProfNurse, VisitID: sql.NullString{String: vis.ID, Valid: true}, OccurredAt: at, CreatedAt: at.Add(time.Minute), RequestHash: "h"}
			v := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, Content: c, EnteredBy: u.ID, CreatedAt: r.CreatedAt}
			return vis, r, v
		}
		if err := db.Write(ctx, func(tx *store.Tx) error {
			var vs []store.Visit
			var rs []store.Record
			var vers []store.RecordVersion
			for i := 0; i < n; i++ {
				vis, r, v := mk(i)
				vs, rs, vers = append(vs, vis), append(rs, r), append(vers, v)
			}
			if err := tx.CreateVisits(ctx, vs); err != nil {
				return err
			}
			if err := tx.CreateRecords(ctx, rs, vers); err != nil {
				return err
			}
			for i := n; i < 2*n; i++ {
				vis, r, v := mk(i)
				if err := tx.CreateVisit(ctx, vis); err != nil {
					return err
				}
				if err := tx.CreateRecord(ctx, r, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var body func(string) string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			body = func(rid string) string {
				var s string
				if err := tx.Get(ctx, &s, `SELECT body FROM record_search WHERE record_id = ?`, rid); err != nil {
					t.Fatal(err)
				}
				return s
			}
			for i := 0; i < n; i++ {
				bv, err := tx.Visit(ctx, id('c', i))
				if err != nil {
					return err
				}
				sv, err := tx.Visit(ctx, id('c', i+n))
				if err != nil {
					return err
				}
				sv.ID = bv.ID
				if !reflect.DeepEqual(bv, sv) {
					t.Fatalf("visit %d in bulk %+v, alone %+v", i, bv, sv)
				}
				br, err := tx.Record(ctx, id('d', i))
				if err != nil {
					return err
				}
				sr, err := tx.Record(ctx, id('d', i+n))
				if err != nil {
					return err
				}
				sr.ID, sr.VisitID = br.ID, br.VisitID
				if !reflect.DeepEqual(br, sr) {
					t.Fatalf("record %d in bulk %+v, alone %+v", i, br, sr)
				}
				bvs, err := tx.RecordVersions(ctx, id('d', i))
				if err != nil {
					return err
				}
				svs, err := tx.RecordVersions(ctx, id('d', i+n))
				if err != nil {
					return err
				}
				if len(bvs) != 1 || len(svs) != 1 {
					t.Fatalf("record %d versions: %d in bulk, %d alone", i, len(bvs), len(svs))
				}
				svs[0].RecordID = bvs[0].RecordID
				if !reflect.DeepEqual(bvs[0], svs[0]) {
					t.Fatalf("record %d version in bulk %+v, alone %+v", i, bvs[0], svs[0])
				}
				// A column the Record struct does not carry, kept on the row
				// for the unread and awaiting-confirmation indexes.
				var cols [2]string
				for k, rid := range []string{id('d', i), id('d', i+n)} {
					if err := tx.Get(ctx, &cols[k], `SELECT entered_by FROM record WHERE id = ?`, rid); err != nil {
						t.Fatal(err)
					}
				}
				if cols[0] != cols[1] || cols[0] == "" {
					t.Fatalf("record %d entered_by in bulk %q, alone %q", i, cols[0], cols[1])
				}
				if i%50 == 7 { // the bulk index finds what the single one finds
					words, err := care.SearchWords(fmt.Sprintf("訪問%d回目", i))
					if err != nil {
						t.Fatal(err)
					}
					found, err := tx.SearchRecords(ctx, store.SearchQuery{Viewer: care.Viewer{UserID: u.ID, FacilityID: fac.ID, Profession: care.ProfNurse},
						Words: words, ChartPatients: []string{pid}, Limit: 10})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, f := range found {
						got = append(got, f.Record.ID)
					}
					if want := []string{id('d', i), id('d', i+n)}; !reflect.DeepEqual(got, want) && !reflect.DeepEqual(got, []string{want[1], want[0]}) {
						t.Fatalf("search for record %d found %v, want %v", i, got, want)
					}
				}
				if b, s := body(id('d', i)), body(id('d', i+n)); b != s || b == "" {
					t.Fatalf("record %d search text in bulk %q, alone %q", i, b, s)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A batch with one taken id (a visit's, for a record) is refused
		// whole.
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, r, v := mk(2*n + 1)
			_, r2, v2 := mk(2*n + 2)
			r2.ID, v2.RecordID = id('c', 5), id('c', 5)
			return tx.CreateRecords(ctx, []store.Record{r, r2}, []store.RecordVersion{v, v2})
		})
		if !errors.Is(err, store.ErrIDTaken) {
			t.Fatalf("records with a taken id: %v, want ErrIDTaken", err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			vis, _, _ := mk(2*n + 3)
			vis2, _, _ := mk(0)
			return tx.CreateVisits(ctx, []store.Visit{vis, vis2})
		})
		if !errors.Is(err, store.ErrIDTaken) {
			t.Fatalf("visits with a taken id: %v, want ErrIDTaken", err)
		}
		var records, visits int
		if err := db.SQL().Get(&records, `SELECT COUNT(*) FROM record`); err != nil || records != 2*n {
			t.Errorf("records: %d (%v), want %d", records, err, 2*n)
		}
		if err := db.SQL().Get(&visits, `SELECT COUNT(*) FROM visit`); err != nil || visits != 2*n {
			t.Errorf("visits: %d (%v), want %d", visits, err, 2*n)
		}
	})
}

// stationNurseAndPatient writes a nursing station, a nurse of it and a
// patient of it, the fixture of the store tests that write records.
func stationNurseAndPatient(t *testing.T, db *store.DB, now time.Time) (store.Facility, store.User, string) {
	t.Helper()
	ctx := context.Background()
	fac := store.Facility{ID: "01900000-0000-7000-8000-00000000f001", Name: "施設", NameKana: "シセツ", Kind: care.KindNursingStation, Disclosure: care.DisclosureFull, CreatedAt: now}
	u := store.User{ID: "01900000-0000-7000-8000-00000000a001", LoginID: "nurse", Name: "看護師", NameKana: "カンゴシ", Profession: care.ProfNurse, PasswordHash: "x",
		PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
		FacilityID: sql.NullString{String: fac.ID, Valid: true}}
	pid := "01900000-0000-7000-8000-00000000b001"
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFacility(ctx, fac, ""); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreatePatient(ctx, store.Patient{ID: pid, FacilityID: fac.ID, Name: "患者", NameKana: "カンジャ", BirthDate: "1940-01-01", Sex: "female",
			CreatedAt: now, CreatedBy: u.ID, UpdatedAt: now, Version: 1})
	}); err != nil {
		t.Fatal(err)
	}
	return fac, u, pid
}
