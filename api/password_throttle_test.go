package api_test

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestChangePasswordThrottled: guessing the current password through
// PUT /me/password is throttled and audited like sign-in, and shares its
// limit, so a stolen session adds no guesses to those of the sign-in form.
func TestChangePasswordThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		fac := h.mustFacility("clinic")
		u := h.mustUser(fac, care.ProfNurse)
		c := h.signIn(u)
		const limit = 5 // api.Options.MaxFailsLogin's default
		for i := 0; i < limit; i++ {
			r := c.do("PUT", "/api/v1/me/password", map[string]any{"current_password": "not-the-password-" + itoa(i), "new_password": "hydrangea-slope-evening"})
			if r.status != 422 {
				t.Fatalf("wrong current password #%d: %d %s", i+1, r.status, r.body)
			}
		}
		if n := countEvents(t, h, u.ID, "account.password_change", audit.ResultFailed); n != limit {
			t.Fatalf("failed password changes audited: %d, want %d", n, limit)
		}
		// At the limit even the right password is refused, before it is checked.
		r := c.do("PUT", "/api/v1/me/password", map[string]any{"current_password": testPassword, "new_password": "hydrangea-slope-evening"})
		if r.status != 429 || r.code() != care.CodeTooManyAttempts || r.header.Get("Retry-After") == "" {
			t.Fatalf("after %d failures: %d %s %v", limit, r.status, r.body, r.header)
		}
		if n := countEvents(t, h, u.ID, "account.password_change", audit.ResultDenied); n != 1 {
			t.Fatalf("throttled password change audited %d times as denied", n)
		}
		// The sign-in form is throttled too: the limit is shared.
		if r := h.anon().do("POST", "/api/v1/session", signInBody(u, testPassword)); r.status != 429 {
			t.Fatalf("sign-in after password-change guesses: %d %s", r.status, r.body)
		}
		mustPasswordUnchanged(t, h, u)

		// Once the window has passed, the right password works again.
		h.clock.Advance(16 * time.Minute)
		c = h.signIn(u)
		c.must(200, "PUT", "/api/v1/me/password", map[string]any{"current_password": testPassword, "new_password": "hydrangea-slope-evening"})
	})
}

func mustPasswordUnchanged(t *testing.T, h *harness, u store.User) {
	t.Helper()
	var now store.User
	if err := h.db.Read(context.Background(), func(tx *store.Tx) (err error) { now, err = tx.User(context.Background(), u.ID); return }); err != nil {
		t.Fatal(err)
	}
	if now.PasswordHash != u.PasswordHash || !now.PasswordChangedAt.Equal(store.UTC(u.PasswordChangedAt)) {
		t.Fatal("the password changed")
	}
}

// countEvents counts audit events of action and result about account id.
func countEvents(t *testing.T, h *harness, id, action, result string) int {
	t.Helper()
	var n int
	err := h.db.Read(context.Background(), func(tx *store.Tx) error {
		evs, err := audit.Query(context.Background(), tx, audit.Filter{Action: action, Result: result, Limit: 1000})
		for _, e := range evs {
			if e.ResourceID == id {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
