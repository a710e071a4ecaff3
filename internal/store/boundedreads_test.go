package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// boundedWorld is a facility with a doctor, a nurse and a clerk who enters
// for the doctor (代行入力), and one patient whose team holds the three
// under an active consent.
type boundedWorld struct {
	fid, pid             string
	doctor, nurse, clerk care.Viewer
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func mustBoundedWorld(t *testing.T, db *store.DB, now time.Time) boundedWorld {
	t.Helper()
	ctx := context.Background()
	w := boundedWorld{fid: newID(), pid: newID()}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFacility(ctx, store.Facility{ID: w.fid, Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: care.DisclosureFull, CreatedAt: now}, ""); err != nil {
			return err
		}
		user := func(login, prof string) (care.Viewer, error) {
			u := store.User{ID: newID(), LoginID: login, Name: "試験", NameKana: "シケン", Profession: prof, PasswordHash: "x",
				PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now,
				FacilityID: sql.NullString{String: w.fid, Valid: true}}
			return care.Viewer{UserID: u.ID, FacilityID: w.fid, Profession: prof}, tx.CreateUser(ctx, u)
		}
		var err error
		if w.doctor, err = user("doc", care.ProfDoctor); err != nil {
			return err
		}
		if w.nurse, err = user("nurse", care.ProfNurse); err != nil {
			return err
		}
		if w.clerk, err = user("clerk", care.ProfNurse); err != nil {
			return err
		}
		if err := tx.CreatePatient(ctx, store.Patient{ID: w.pid, FacilityID: w.fid, Name: "見本", NameKana: "ミホン", BirthDate: "1940-01-01", Sex: "female",
			CreatedAt: now, CreatedBy: w.doctor.UserID, UpdatedAt: now, Version: 1}); err != nil {
			return err
		}
		for _, m := range []struct {
			v    care.Viewer
			role string
		}{{w.doctor, care.RolePrimaryPhysician}, {w.nurse, care.RoleVisitingNurse}, {w.clerk, care.RoleVisitingNurse}} {
			if err := tx.AddTeamMember(ctx, newID(), w.pid, m.v.UserID, m.role, w.doctor.UserID, now); err != nil {
				return err
			}
		}
		return tx.CreateConsent(ctx, store.Consent{ID: newID(), PatientID: w.pid, ObtainedOn: now.Format(time.DateOnly), Scope: care.ConsentFull,
			ObtainedBy: w.doctor.UserID, RecordedBy: w.doctor.UserID, RecordedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestVisitsOverlappingARange: the calendar's visits are bounded by the
// range (migration 28 walks the visits ending after its start), and still
// every visit that can overlap it is found: a series begun long before and
// running through it, an occurrence moved into it from a series that ended
// before it, one moved out of it, and for "mine" an occurrence a member
// substitutes on. Visits wholly before or after the range are not.
func TestVisitsOverlappingARange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(0, 1, 0)
		w := mustBoundedWorld(t, db, from.AddDate(-2, 0, 0))
		weekly := &care.Recurrence{Freq: care.FreqWeekly, Interval: 1, ByDay: []string{"MO"}, Until: "2027-06-30"}
		ids := map[string]string{}
		err := db.Write(ctx, func(tx *store.Tx) error {
			visit := func(name string, start, seriesEnd time.Time, rec *care.Recurrence, assignee string) error {
				id := newID()
				ids[name] = id
				return tx.CreateVisit(ctx, store.Visit{ID: id, PatientID: w.pid, Kind: care.VisitNurse, StartsAt: start, EndsAt: start.Add(time.Hour),
					SeriesEnd: seriesEnd, Status: care.VisitPlanned, Recurrence: rec, Version: 1, CreatedAt: start, CreatedBy: w.doctor.UserID,
					UpdatedAt: start, UpdatedBy: w.doctor.UserID, AssigneeIDs: []string{assignee}})
			}
			at := func(d time.Time) time.Time { return d.Add(9 * time.Hour) }
			for _, v := range []struct {
				name       string
				start, end time.Time
				rec        *care.Recurrence
				assignee   string
			}{
				{"history", at(from.AddDate(-1, 0, 0)), at(from.AddDate(-1, 0, 0)).Add(time.Hour), nil, w.nurse.UserID},
				{"just before", at(from.AddDate(0, 0, -1)), at(from.AddDate(0, 0, -1)).Add(time.Hour), nil, w.nurse.UserID},
				{"series through", at(from.AddDate(0, -3, 0)), at(from.AddDate(0, 6, 0)), weekly, w.nurse.UserID},
				{"series ended, one moved in", at(from.AddDate(0, -2, 0)), at(from.AddDate(0, 0, -7)), weekly, w.doctor.UserID},
				{"in range", at(from.AddDate(0, 0, 14)), at(from.AddDate(0, 0, 14)).Add(time.Hour), nil, w.doctor.UserID},
				{"series ahead, substitute", at(from.AddDate(0, 0, 3)), at(from.AddDate(0, 3, 0)), weekly, w.doctor.UserID},
				{"after", at(to), at(to).Add(time.Hour), nil, w.nurse.UserID},
			} {
				if err := visit(v.name, v.start, v.end, v.rec, v.assignee); err != nil {
					return err
				}
			}
			// The ended series' occurrence of two months before, moved
			// into the range; the nurse substitutes for the doctor on one
			// occurrence of the series ahead.
			moved := at(from.AddDate(0, -2, 0))
			if err := tx.PutVisitException(ctx, store.VisitException{VisitID: ids["series ended, one moved in"], OccurrenceStart: moved,
				StartsAt: sql.NullTime{Time: at(from.AddDate(0, 0, 20)), Valid: true}, EndsAt: sql.NullTime{Time: at(from.AddDate(0, 0, 20)).Add(time.Hour), Valid: true},
				UpdatedAt: from, UpdatedBy: w.doctor.UserID}); err != nil {
				return err
			}
			return tx.PutVisitException(ctx, store.VisitException{VisitID: ids["series ahead, substitute"], OccurrenceStart: at(from.AddDate(0, 0, 10)),
				UpdatedAt: from, UpdatedBy: w.doctor.UserID, AssigneeIDs: []string{w.nurse.UserID}})
		})
		if err != nil {
			t.Fatal(err)
		}
		names := func(vs []store.Visit) []string {
			var out []string
			for _, v := range vs {
				for n, id := range ids {
					if id == v.ID {
						out = append(out, n)
					}
				}
			}
			slices.Sort(out)
			return out
		}
		overlapping := []string{"in range", "series ahead, substitute", "series ended, one moved in", "series through"}
		err = db.Read(ctx, func(tx *store.Tx) error {
			for _, c := range []struct {
				what string
				get  func() ([]store.Visit, error)
				want []string
			}{
				{"patient", func() ([]store.Visit, error) { return tx.PatientVisits(ctx, w.pid, from, to) }, overlapping},
				{"team", func() ([]store.Visit, error) { return tx.TeamVisits(ctx, w.nurse.UserID, from, to) }, overlapping},
				{"the nurse's", func() ([]store.Visit, error) { return tx.AssignedVisits(ctx, w.nurse.UserID, from, to) },
					[]string{"series ahead, substitute", "series through"}},
				{"the doctor's", func() ([]store.Visit, error) { return tx.AssignedVisits(ctx, w.doctor.UserID, from, to) },
					[]string{"in range", "series ahead, substitute", "series ended, one moved in"}},
				{"the clerk's", func() ([]store.Visit, error) { return tx.AssignedVisits(ctx, w.clerk.UserID, from, to) }, nil},
				{"the month before", func() ([]store.Visit, error) { return tx.PatientVisits(ctx, w.pid, from.AddDate(0, -1, 0), from) },
					[]string{"just before", "series ended, one moved in", "series through"}},
			} {
				vs, err := c.get()
				if err != nil {
					return err
				}
				if got := names(vs); !slices.Equal(got, c.want) {
					t.Errorf("%s visits: got %q, want %q", c.what, got, c.want)
				}
				if !slices.IsSortedFunc(vs, func(a, b store.Visit) int { return a.StartsAt.Compare(b.StartsAt) }) {
					t.Errorf("%s visits not in start order", c.what)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestNewsFollowTheCurrentVersionsEnterer: the record row keeps who entered
// its current version (migration 28), which the unread counts, the digest
// and the list awaiting confirmation read instead of the version. A record
// the clerk enters for the doctor is news to the doctor and awaits their
// confirmation, not the clerk's news; the doctor's amendment makes it theirs
// (no longer news to them, news to the clerk, awaiting nothing); a
// confirmation ends the waiting too.
func TestNewsFollowTheCurrentVersionsEnterer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		w := mustBoundedWorld(t, db, now.Add(-time.Hour))
		n := 0
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		proxy := func(tx *store.Tx) (string, error) {
			n++
			at := now.Add(time.Duration(n) * time.Minute)
			r := store.Record{ID: newID(), PatientID: w.pid, Kind: care.KindDoctorNote, Chart: true, AuthorID: w.doctor.UserID, AuthorFacilityID: w.fid,
				AuthorProfession: care.ProfDoctor, OccurredAt: at, CreatedAt: at, RequestHash: fmt.Sprint(n)}
			return r.ID, tx.CreateRecord(ctx, r, store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, EnteredBy: w.clerk.UserID,
				CreatedAt: at, Content: care.RecordContent{Fields: care.RecordFields{Findings: "著変なし"}, AttachmentIDs: []string{}}})
		}
		var amended, confirmed string
		write(func(tx *store.Tx) (err error) {
			if amended, err = proxy(tx); err != nil {
				return err
			}
			confirmed, err = proxy(tx)
			return err
		})
		check := func(when string, unread map[care.Viewer]int, awaiting []string) {
			t.Helper()
			err := db.Read(ctx, func(tx *store.Tx) error {
				for v, want := range unread {
					counts, err := tx.UnreadCounts(ctx, v, []string{w.pid}, nil)
					if err != nil {
						return err
					}
					if counts[w.pid] != want {
						t.Errorf("%s: unread of %s %d, want %d", when, v.UserID, counts[w.pid], want)
					}
					digest, err := tx.DigestRecords(ctx, store.DigestQuery{Viewer: v, ChartPatients: []string{w.pid}, Since: now, Limit: 10})
					if err != nil {
						return err
					}
					if len(digest) != want {
						t.Errorf("%s: digest of %s has %d records, want %d", when, v.UserID, len(digest), want)
					}
				}
				items, err := tx.AwaitingConfirmation(ctx, store.AwaitingQuery{Author: w.doctor, ChartPatients: []string{w.pid}, Limit: 10})
				if err != nil {
					return err
				}
				var got []string
				for _, it := range items {
					got = append(got, it.ID)
				}
				if !slices.Equal(got, awaiting) {
					t.Errorf("%s: awaiting the doctor's confirmation %q, want %q", when, got, awaiting)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check("entered by the clerk", map[care.Viewer]int{w.doctor: 2, w.clerk: 0, w.nurse: 2}, []string{confirmed, amended})

		write(func(tx *store.Tx) error {
			return tx.AddRecordVersion(ctx, store.RecordVersion{RecordID: amended, Version: 2, ParentVersion: 1, Status: care.RecordFinal, Reason: "追記",
				EnteredBy: w.doctor.UserID, CreatedAt: now.Add(time.Hour), Content: care.RecordContent{Fields: care.RecordFields{Findings: "追記"}, AttachmentIDs: []string{}}})
		})
		check("amended by the doctor", map[care.Viewer]int{w.doctor: 1, w.clerk: 1, w.nurse: 2}, []string{confirmed})

		write(func(tx *store.Tx) error {
			return tx.ConfirmRecordVersion(ctx, confirmed, 1, w.doctor.UserID, now.Add(2*time.Hour))
		})
		check("confirmed", map[care.Viewer]int{w.doctor: 1, w.clerk: 1, w.nurse: 2}, nil)
	})
}
