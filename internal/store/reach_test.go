package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestEveryAccessWriteChangesTheAccessEpoch: the API keeps each viewer's
// reach under the access epoch (api/reach.go), so every write of what
// Reaches reads (and of an account or a facility) must give a new epoch,
// in the write's own transaction; a write of anything else leaves it as
// it was.
func TestEveryAccessWriteChangesTheAccessEpoch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		epoch := func() string {
			t.Helper()
			var e string
			if err := db.Read(ctx, func(tx *store.Tx) (err error) { e, err = tx.AccessEpoch(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			return e
		}
		fac := store.Facility{ID: id(), Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: care.DisclosureFull, CreatedAt: now}
		user := store.User{ID: id(), LoginID: "epoch.user", Name: "試験", NameKana: "シケン", Profession: care.ProfNurse, PasswordHash: "x",
			PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
		user.FacilityID.String, user.FacilityID.Valid = fac.ID, true
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateFacility(ctx, fac, ""); err != nil {
				return err
			}
			return tx.CreateUser(ctx, user)
		}); err != nil {
			t.Fatal(err)
		}
		pat := store.Patient{ID: id(), FacilityID: fac.ID, Name: "患者", NameKana: "カンジャ", BirthDate: "1940-01-01", Sex: "female",
			CreatedAt: now, CreatedBy: user.ID, UpdatedAt: now, Version: 1}
		consent := store.Consent{ID: id(), PatientID: pat.ID, ObtainedOn: "2026-11-01", Scope: "full", ObtainedBy: user.ID, RecordedBy: user.ID, RecordedAt: now}
		writes := []struct {
			what   string
			access bool
			write  func(tx *store.Tx) error
		}{
			{"patient registered", true, func(tx *store.Tx) error { return tx.CreatePatient(ctx, pat) }},
			{"member added", true, func(tx *store.Tx) error { return tx.AddTeamMember(ctx, id(), pat.ID, user.ID, "other", user.ID, now) }},
			{"consent recorded", true, func(tx *store.Tx) error { return tx.CreateConsent(ctx, consent) }},
			{"demographics edited", false, func(tx *store.Tx) error {
				p := pat
				p.Phone = "000"
				return tx.UpdatePatient(ctx, p)
			}},
			{"session touched", false, func(tx *store.Tx) error { return tx.TouchUser(ctx, user.ID, now) }},
			{"consent withdrawn", true, func(tx *store.Tx) error { return tx.WithdrawConsent(ctx, consent.ID, user.ID, "", now) }},
			{"member removed", true, func(tx *store.Tx) error { return tx.RemoveTeamMember(ctx, pat.ID, user.ID, user.ID, now) }},
			{"account changed", true, func(tx *store.Tx) error {
				u := user
				u.FacilityAdmin = true
				return tx.UpdateUser(ctx, u)
			}},
			{"facility changed", true, func(tx *store.Tx) error {
				f := fac
				f.Disclosure = care.DisclosureSharedOnly
				return tx.UpdateFacility(ctx, f)
			}},
			{"account made dormant", true, func(tx *store.Tx) error {
				_, err := tx.MarkDormant(ctx, now.Add(time.Hour), now)
				return err
			}},
		}
		seen := map[string]bool{}
		for _, w := range writes {
			before := epoch()
			var inside string
			if err := db.Write(ctx, func(tx *store.Tx) error {
				if err := w.write(tx); err != nil {
					return err
				}
				var err error
				inside, err = tx.AccessEpoch(ctx)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", w.what, err)
			}
			after := epoch()
			switch {
			case !w.access && after != before:
				t.Errorf("%s changed the access epoch", w.what)
			case w.access && (after == before || after == "" || seen[after] || inside != after):
				t.Errorf("%s: access epoch %q → %q (inside the write %q); want a new one", w.what, before, after, inside)
			}
			seen[after] = true
		}
	})
}
