package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// The credential resets of another account (POST /users/{id}/password-reset
// and /totp-reset) in the vertical sweep (users_vertical_test.go): who may
// reset T, exactly which columns move, the audit events, and that every
// session of T ends (and no other).

// expectReset is the rule of both resets of T as actor: those who manage T
// (its office's other admin, the network office), never T itself.
func expectReset(actor string, cols ...string) outcome {
	switch actor {
	case actStaff, actOtherAdmin:
		return refused(403, care.CodeAdminOnly)
	case actSelf:
		return refused(403, care.CodeOwnAccount)
	}
	return outcome{status: 200, cols: cols}
}

// sweepReset runs one reset as every actor and checks the rule, the audit
// event of action and the sessions; then (a permitted reset) calls after.
func sweepReset(t *testing.T, f *vfixture, op, action string, cols []string, after func(label string, r response)) {
	for _, actor := range actors {
		f.reset(t)
		want := expectReset(actor, cols...)
		before := f.rows(t)
		r := f.clients[actor].do("POST", "/api/v1/users/"+f.target.ID+"/"+op, nil)
		label := actor + " " + op
		checkOutcome(t, label, r, want, moved(before, f.rows(t)), f.target.ID)
		evs := f.events(t)
		result := audit.ResultOK
		if want.status != 200 {
			result = audit.ResultDenied
		}
		if !hasAuditEvent(evs, action, result, f.target.ID) {
			t.Errorf("%s: no %s event %s: %+v", label, action, result, evs)
		}
		for _, other := range []string{"user.profession.change", "user.roles.change", "user.update"} {
			if hasAuditEvent(evs, other, audit.ResultOK, "") {
				t.Errorf("%s: an event %s: %+v", label, other, evs)
			}
		}
		// T's sessions end with a reset, and only T's.
		for _, a := range actors {
			wantMe := 200
			if a == actSelf && want.status == 200 {
				wantMe = 401
			}
			if got := f.clients[a].do("GET", "/api/v1/me", nil); got.status != wantMe {
				t.Errorf("%s: GET /me as %s answered %d, want %d", label, a, got.status, wantMe)
			}
		}
		if want.status == 200 {
			after(label, r)
		}
	}
	// An unknown account: 404, audited.
	f.reset(t)
	unknown := newID()
	f.clients[actNetAdmin].must(404, "POST", "/api/v1/users/"+unknown+"/"+op, nil)
	if !hasAuditEvent(f.events(t), action, audit.ResultDenied, unknown) {
		t.Errorf("%s of an unknown account not audited", op)
	}
}

func sweepResetPassword(t *testing.T, f *vfixture) {
	sweepReset(t, f, "password-reset", "user.password_reset", []string{"must_change_password", "password_changed_at", "password_hash", "updated_at"},
		func(label string, r response) {
			var out struct {
				TemporaryPassword string      `json:"temporary_password"`
				User              api.UserOut `json:"user"`
			}
			r.json(t, &out)
			if out.User.ID != f.target.ID || !out.User.MustChangePassword || out.User.LoginID != f.target.LoginID || out.User.FacilityName != "テスト施設" {
				t.Errorf("%s: answered user %+v", label, out.User)
			}
			if reason := f.h.opt.Password.Problem(out.TemporaryPassword, f.target.LoginID, f.target.Name, f.target.NameKana); reason != "" {
				t.Errorf("%s: temporary password refused by the policy: %s", label, reason)
			}
			for _, e := range f.events(t) {
				if strings.Contains(fmt.Sprint(e), out.TemporaryPassword) {
					t.Errorf("%s: the temporary password is in the audit log", label)
				}
			}
			// The old password no longer signs in (the temporary one's
			// sign-in: TestPasswordResetSignIn).
			code, _ := auth.TOTPCode(f.target.TOTPSecret.String, f.h.clock.Now())
			f.h.anon().must(401, "POST", "/api/v1/session", signInBody(f.target, testPassword, code))
		})
}

func sweepResetTOTP(t *testing.T, f *vfixture) {
	sweepReset(t, f, "totp-reset", "user.totp_reset", []string{"totp_secret", "updated_at"},
		func(label string, r response) {
			var u api.UserOut
			r.json(t, &u)
			if u.ID != f.target.ID || u.TOTPEnabled || u.FacilityName != "テスト施設" {
				t.Errorf("%s: answered %+v", label, u)
			}
		})
}

// TestPasswordResetSignIn: the temporary password signs in once, to the
// password change only; after the change it is gone. It never reaches the
// log, at any level. A revoked account is not reset.
func TestPasswordResetSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		var logMu sync.Mutex
		var logs strings.Builder
		h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) {
			d.Log = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		fac := h.mustFacility(care.KindNursingStation)
		admin := h.mustUser(fac, care.ProfNurse, func(u *store.User) { u.FacilityAdmin = true })
		nurse := h.mustUser(fac, care.ProfNurse)
		adminC, nurseC := h.signIn(admin), h.signIn(nurse)
		var out struct {
			TemporaryPassword string      `json:"temporary_password"`
			User              api.UserOut `json:"user"`
		}
		res := adminC.must(200, "POST", "/api/v1/users/"+nurse.ID+"/password-reset", nil)
		res.json(t, &out)
		pw := out.TemporaryPassword
		if len(pw) < 16 || strings.ContainsAny(pw, "0O1lI") {
			t.Errorf("temporary password %q: too short or with ambiguous characters", pw)
		}
		nurseC.must(401, "GET", "/api/v1/me", nil)
		h.anon().must(401, "POST", "/api/v1/session", signInBody(nurse, testPassword))
		c := h.anon()
		if r := c.do("POST", "/api/v1/session", signInBody(nurse, pw)); r.status != 403 || r.code() != care.CodePasswordChange {
			t.Fatalf("signed in with the temporary password: %d %s", r.status, r.body)
		}
		var me api.MeBody
		c.must(200, "GET", "/api/v1/me", nil).json(t, &me)
		if me.Stage != "password_change" || !me.User.MustChangePassword {
			t.Errorf("session of the temporary password: stage %s, must change %v", me.Stage, me.User.MustChangePassword)
		}
		c.must(403, "GET", "/api/v1/patients", nil)
		c.must(200, "PUT", "/api/v1/me/password", map[string]any{"current_password": pw, "new_password": "hydrangea-slope-evening"})
		h.anon().must(401, "POST", "/api/v1/session", signInBody(nurse, pw))
		h.anon().must(200, "POST", "/api/v1/session", signInBody(nurse, "hydrangea-slope-evening"))
		// Two resets make two different passwords.
		var again struct {
			TemporaryPassword string `json:"temporary_password"`
		}
		adminC.must(200, "POST", "/api/v1/users/"+nurse.ID+"/password-reset", nil).json(t, &again)
		if again.TemporaryPassword == pw {
			t.Error("the same temporary password twice")
		}
		logMu.Lock()
		if strings.Contains(logs.String(), pw) || strings.Contains(logs.String(), again.TemporaryPassword) {
			t.Error("a temporary password is in the log")
		}
		logMu.Unlock()
		// Revoked is final: neither reset applies.
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE app_user SET status = 'revoked' WHERE id = ?`), nurse.ID); err != nil {
			t.Fatal(err)
		}
		for _, op := range []string{"password-reset", "totp-reset"} {
			if r := adminC.do("POST", "/api/v1/users/"+nurse.ID+"/"+op, nil); r.status != 409 {
				t.Errorf("%s of a revoked account: %d %s", op, r.status, r.body)
			}
		}
		// A facility admin does not reset a network admin, even one of
		// their own facility.
		net := h.mustUser(fac, care.ProfOther, func(u *store.User) { u.NetworkAdmin = true })
		if r := adminC.do("POST", "/api/v1/users/"+net.ID+"/password-reset", nil); r.status != 403 || r.code() != care.CodeAdminOnly {
			t.Errorf("facility admin resets a network admin: %d %s", r.status, r.body)
		}
	})
}

// TestTOTPResetSignIn: after a TOTP reset the account signs in with its
// password alone and enrols again.
func TestTOTPResetSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.RequireTOTP = true })
		fac := h.mustFacility(care.KindNursingStation)
		net := h.mustUser("", care.ProfOther, func(u *store.User) {
			u.NetworkAdmin = true
			u.TOTPSecret.String, u.TOTPSecret.Valid = "JBSWY3DPEHPK3PXP", true
		})
		nurse := h.mustUser(fac, care.ProfNurse, func(u *store.User) { u.TOTPSecret.String, u.TOTPSecret.Valid = "KRSXG5CTMVRXEZLU", true })
		code, _ := auth.TOTPCode("JBSWY3DPEHPK3PXP", h.clock.Now())
		netC := h.anon()
		netC.must(200, "POST", "/api/v1/session", signInBody(net, testPassword, code))
		if r := h.anon().do("POST", "/api/v1/session", signInBody(nurse, testPassword)); r.code() != care.CodeTOTPRequired {
			t.Fatalf("before the reset: %d %s", r.status, r.body)
		}
		var u api.UserOut
		netC.must(200, "POST", "/api/v1/users/"+nurse.ID+"/totp-reset", nil).json(t, &u)
		if u.TOTPEnabled {
			t.Error("answered totp_enabled")
		}
		var me api.MeBody
		h.anon().must(200, "POST", "/api/v1/session", signInBody(nurse, testPassword)).json(t, &me)
		if me.Stage != "totp_enrolment" {
			t.Errorf("after the reset: stage %s", me.Stage)
		}
		// Nobody resets their own: the network admin neither.
		if r := netC.do("POST", "/api/v1/users/"+net.ID+"/totp-reset", nil); r.status != 403 || r.code() != care.CodeOwnAccount {
			t.Errorf("own TOTP reset: %d %s", r.status, r.body)
		}
		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE action = 'user.totp_reset' AND result = 'denied' AND resource_id = ?`, net.ID)
		})
		if n != 1 {
			t.Errorf("own TOTP reset audited %d times", n)
		}
	})
}
