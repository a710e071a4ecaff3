package main

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestFillTiny fills a tiny prefecture on each engine and checks that what
// the generator reports is what the database holds, that the rows are the
// API's (teams of 4–8 with consent, records a member can search, an intact
// audit chain, a change row for every record and visit) and that the
// photos' blobs are stored.
func TestFillTiny(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := storetest.MustOpen(t, engine)
		blobs, err := blob.OpenDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p := Plan{Scale: 0.0002, Years: 5, Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Seed: 7, Hash: "x", Workers: 2, Batch: 3}
		sum, err := Fill(ctx, db, blobs, p)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Patients != 12 || sum.Records == 0 || sum.Visits == 0 || sum.Photos == 0 || sum.Versions <= sum.Records-1 {
			t.Fatalf("summary %+v", sum)
		}
		count := func(q string) int {
			var n int
			if err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, q) }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM patient`:                                        sum.Patients,
			`SELECT COUNT(*) FROM record`:                                         sum.Records,
			`SELECT COUNT(*) FROM record_version`:                                 sum.Versions,
			`SELECT COUNT(*) FROM visit`:                                          sum.Visits,
			`SELECT COUNT(*) FROM attachment`:                                     sum.Photos,
			`SELECT COUNT(*) FROM team_member`:                                    sum.TeamMembers,
			`SELECT COUNT(*) FROM consent`:                                        sum.Patients,
			`SELECT COUNT(*) FROM change_log WHERE entity IN ('record', 'visit')`: sum.Versions + sum.Visits,
			`SELECT COUNT(*) FROM audit_event`:                                    sum.AuditEvents + 1, // + prefecture.fill
			`SELECT COUNT(*) FROM (SELECT patient_id FROM team_member GROUP BY patient_id HAVING COUNT(*) < 4 OR COUNT(*) > 8) x`: 0,
		} {
			if got := count(q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		if n, brk, err := audit.Verify(ctx, db); err != nil || brk != nil || n != int64(sum.AuditEvents+1) {
			t.Fatalf("audit verify: %d %v %v", n, brk, err)
		}
		var sha string
		if err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &sha, `SELECT sha256 FROM attachment LIMIT 1`) }); err != nil {
			t.Fatal(err)
		}
		if _, err := blobs.Stat(ctx, blob.ContentKey(blob.KindImage, sha)); err != nil {
			t.Fatalf("photo blob: %v", err)
		}
		// A nurse on the team of a patient with the rare phrase finds it in
		// her patients' records.
		const rare = `SELECT COUNT(*) FROM record_search s JOIN record r ON r.id = s.record_id
			JOIN team_member tm ON tm.patient_id = r.patient_id AND tm.removed_at IS NULL
			WHERE s.body LIKE '%褥瘡%' AND tm.user_id = ?`
		var nurse store.User
		var want int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			var login string
			if err := tx.Get(ctx, &login, `SELECT MIN(u.login_id) FROM app_user u JOIN team_member tm ON tm.user_id = u.id AND tm.removed_at IS NULL
				JOIN record r ON r.patient_id = tm.patient_id JOIN record_search s ON s.record_id = r.id
				WHERE u.profession = 'nurse' AND s.body LIKE '%褥瘡%'`); err != nil {
				return err
			}
			var err error
			if nurse, err = tx.UserByLogin(ctx, login); err != nil {
				return err
			}
			return tx.Get(ctx, &want, rare, nurse.ID)
		}); err != nil {
			t.Fatal(err)
		}
		words, err := care.SearchWords("褥瘡")
		if err != nil {
			t.Fatal(err)
		}
		var found []store.TimelineItem
		if err := db.Read(ctx, func(tx *store.Tx) error {
			ids, err := tx.UserTeamPatientIDs(ctx, nurse.ID)
			if err != nil || len(ids) == 0 {
				t.Fatalf("nurse's patients: %v %v", ids, err)
			}
			found, err = tx.SearchRecords(ctx, store.SearchQuery{Viewer: care.Viewer{UserID: nurse.ID, FacilityID: nurse.FacilityID.String, Profession: nurse.Profession},
				Words: words, ChartPatients: ids, Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if want == 0 || len(found) != want {
			t.Fatalf("search found %d of the %d records with the rare phrase in the nurse's patients", len(found), want)
		}
	})
}

// TestFillResumes stops a fill halfway (a smaller scale writes the first
// patients of the same network) and runs it again: the second run reads the
// network back, writes only the patients missing, and the database is
// whole — each patient once, with its team, and an intact audit chain.
func TestFillResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := storetest.MustOpen(t, engine)
		blobs, err := blob.OpenDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p := Plan{Scale: 0.0001, Years: 5, Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Seed: 7, Hash: "x", Workers: 2, Batch: 2}
		first, err := Fill(ctx, db, blobs, p)
		if err != nil {
			t.Fatal(err)
		}
		p.Scale = 0.0002
		second, err := Fill(ctx, db, blobs, p)
		if err != nil {
			t.Fatal(err)
		}
		if first.Patients != 6 || second.Patients != 6 {
			t.Fatalf("first run wrote %d patients, the second %d; want 6 and 6", first.Patients, second.Patients)
		}
		again, err := Fill(ctx, db, blobs, p)
		if err != nil || again.Patients != 0 || again.Records != 0 {
			t.Fatalf("a finished fill run again wrote %+v (%v)", again, err)
		}
		count := func(q string) int {
			var n int
			if err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, q) }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM patient`:                                        12,
			`SELECT COUNT(DISTINCT name) FROM patient`:                            12,
			`SELECT COUNT(*) FROM app_user WHERE login_id LIKE 'pref.%'`:          first.Staff + 1,
			`SELECT COUNT(*) FROM record`:                                         first.Records + second.Records,
			`SELECT COUNT(*) FROM team_member`:                                    first.TeamMembers + second.TeamMembers,
			`SELECT COUNT(*) FROM audit_event`:                                    first.AuditEvents + second.AuditEvents + 1,
			`SELECT COUNT(*) FROM change_log WHERE entity IN ('record', 'visit')`: first.Versions + first.Visits + second.Versions + second.Visits,
			`SELECT COUNT(*) FROM (SELECT patient_id FROM team_member GROUP BY patient_id HAVING COUNT(*) < 4) x`: 0,
		} {
			if got := count(q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		if n, brk, err := audit.Verify(ctx, db); err != nil || brk != nil || n != int64(first.AuditEvents+second.AuditEvents+1) {
			t.Fatalf("audit verify: %d %v %v", n, brk, err)
		}
	})
}
