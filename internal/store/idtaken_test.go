package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestTakenIDIsOneSentinel: on both engines a create whose id is taken
// answers store.ErrIDTaken (the application error id_taken), whether the
// id is held by an entity of another kind (the claim in entity_id) or the
// table's own primary key refuses it (a row written around the claim),
// and a taken login id stays ErrLoginIDTaken.
func TestTakenIDIsOneSentinel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		write := func(fn func(tx *store.Tx) error) error { return db.Write(ctx, fn) }
		fac := store.Facility{ID: "01900000-0000-7000-8000-00000000f001", Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: "full", CreatedAt: now}
		if err := write(func(tx *store.Tx) error { return tx.CreateFacility(ctx, fac, "") }); err != nil {
			t.Fatal(err)
		}
		user := func(id, login string) store.User {
			u := store.User{ID: id, LoginID: login, Name: "利用者", NameKana: "リヨウシャ", Profession: care.ProfDoctor, PasswordHash: "x",
				PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
			u.FacilityID.String, u.FacilityID.Valid = fac.ID, true
			return u
		}
		if err := write(func(tx *store.Tx) error {
			return tx.CreateUser(ctx, user("01900000-0000-7000-8000-00000000a001", "first"))
		}); err != nil {
			t.Fatal(err)
		}
		// Another kind holds the id.
		err := write(func(tx *store.Tx) error { return tx.CreateUser(ctx, user(fac.ID, "second")) })
		if !errors.Is(err, store.ErrIDTaken) {
			t.Errorf("user with a facility's id: %v, want ErrIDTaken", err)
		}
		// The same kind holds it.
		err = write(func(tx *store.Tx) error { return tx.CreateFacility(ctx, fac, "") })
		if !errors.Is(err, store.ErrIDTaken) {
			t.Errorf("facility id again: %v, want ErrIDTaken", err)
		}
		// A login id in use is still that.
		err = write(func(tx *store.Tx) error {
			return tx.CreateUser(ctx, user("01900000-0000-7000-8000-00000000a002", "first"))
		})
		if !errors.Is(err, store.ErrLoginIDTaken) {
			t.Errorf("taken login id: %v, want ErrLoginIDTaken", err)
		}
		// A row written around the claim: the table's primary key refuses
		// the id, and the store still answers the sentinel.
		const raw = "01900000-0000-7000-8000-00000000f002"
		if _, err := db.SQL().Exec(db.SQL().Rebind(`INSERT INTO facility (id, name, name_kana, kind, disclosure, created_at) VALUES (?, 'x', 'エックス', 'clinic', 'full', ?)`), raw, now); err != nil {
			t.Fatal(err)
		}
		f2 := fac
		f2.ID = raw
		err = write(func(tx *store.Tx) error { return tx.CreateFacility(ctx, f2, "") })
		if !errors.Is(err, store.ErrIDTaken) {
			t.Errorf("primary key violation: %v, want ErrIDTaken", err)
		}
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.CodeIDTaken || ce.Field != "id" {
			t.Errorf("ErrIDTaken is not the application error id_taken on field id: %#v", err)
		}
		// Nothing of the refused creates was kept.
		var n int
		if err := db.SQL().Get(&n, `SELECT COUNT(*) FROM app_user`); err != nil || n != 1 {
			t.Errorf("accounts: %d (%v), want 1", n, err)
		}
	})
}
