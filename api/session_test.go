package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/app"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

func signInBody(u store.User, pw string, code ...string) map[string]any {
	b := map[string]any{"login_id": u.LoginID, "password": pw}
	if len(code) > 0 {
		b["totp_code"] = code[0]
	}
	return b
}

func TestTOTPEnrolmentAndReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.RequireTOTP = true })
		fac := h.mustFacility("nursing_station")
		u := h.mustUser(fac, care.ProfNurse)

		// Without TOTP enrolled, sign-in reaches only enrolment.
		c := h.anon()
		var me struct{ Stage string }
		c.must(200, "POST", "/api/v1/session", signInBody(u, testPassword)).json(t, &me)
		if me.Stage != "totp_enrolment" {
			t.Fatalf("stage %q, want totp_enrolment", me.Stage)
		}
		if r := c.do("GET", "/api/v1/patients", nil); r.status != 403 || r.code() != care.CodeTOTPEnrolment {
			t.Fatalf("caseload before enrolment: %d %s", r.status, r.body)
		}
		var start struct {
			Secret     string `json:"secret"`
			OTPAuthURL string `json:"otpauth_url"`
		}
		c.must(200, "POST", "/api/v1/me/totp", nil).json(t, &start)
		if !strings.HasPrefix(start.OTPAuthURL, "otpauth://totp/") {
			t.Fatalf("otpauth url %q", start.OTPAuthURL)
		}
		code, _ := auth.TOTPCode(start.Secret, h.clock.Now())
		c.must(422, "POST", "/api/v1/me/totp/confirm", map[string]any{"code": "12345"})
		c.must(200, "POST", "/api/v1/me/totp/confirm", map[string]any{"code": code})
		c.must(200, "GET", "/api/v1/patients", nil)

		// Next sign-in needs the code; the code just used is refused (replay).
		h.clock.Advance(10 * time.Second)
		c2 := h.anon()
		if r := c2.do("POST", "/api/v1/session", signInBody(u, testPassword)); r.status != 401 || r.code() != care.CodeTOTPRequired {
			t.Fatalf("no code: %d %s", r.status, r.body)
		}
		if r := c2.do("POST", "/api/v1/session", signInBody(u, testPassword, code)); r.status != 401 || r.code() != care.CodeTOTPReplayed {
			t.Fatalf("replayed code: %d %s", r.status, r.body)
		}
		if r := c2.do("POST", "/api/v1/session", signInBody(u, testPassword, "000000")); r.status != 401 {
			t.Fatalf("wrong code: %d %s", r.status, r.body)
		}
		h.clock.Advance(30 * time.Second)
		next, _ := auth.TOTPCode(start.Secret, h.clock.Now())
		c2.must(200, "POST", "/api/v1/session", signInBody(u, testPassword, next))
		// ...and that one cannot be used again either.
		if r := h.anon().do("POST", "/api/v1/session", signInBody(u, testPassword, next)); r.code() != care.CodeTOTPReplayed {
			t.Fatalf("second use of a code: %d %s", r.status, r.body)
		}
	})
}

func TestSignInThrottleAndSameAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		fac := h.mustFacility("clinic")
		u := h.mustUser(fac, care.ProfDoctor)
		ghost := store.User{LoginID: "no.such.person"}

		known := h.anon().do("POST", "/api/v1/session", signInBody(u, "wrong-password-123"))
		unknown := h.anon().do("POST", "/api/v1/session", signInBody(ghost, "wrong-password-123"))
		if known.status != 401 || stripRequestID(known.body) != stripRequestID(unknown.body) {
			t.Fatalf("known and unknown login ids answer differently:\n%s\n%s", known.body, unknown.body)
		}
		for i := 0; i < 4; i++ {
			h.anon().must(401, "POST", "/api/v1/session", signInBody(u, "wrong-password-123"))
			h.anon().must(401, "POST", "/api/v1/session", signInBody(ghost, "wrong-password-123"))
		}
		// Five failures: even the right password is refused now, for both.
		r := h.anon().do("POST", "/api/v1/session", signInBody(u, testPassword))
		if r.status != 429 || r.code() != care.CodeTooManyAttempts || r.header.Get("Retry-After") == "" {
			t.Fatalf("throttled known: %d %s", r.status, r.body)
		}
		rg := h.anon().do("POST", "/api/v1/session", signInBody(ghost, testPassword))
		if rg.status != 429 || stripRequestID(rg.body) != stripRequestID(r.body) {
			t.Fatalf("throttled unknown differs: %d %s", rg.status, rg.body)
		}
		// The window passes; the right password works and clears the count.
		h.clock.Advance(16 * time.Minute)
		h.signIn(u)
	})
}

func TestThrottlePerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.MaxFailsAddr = 3 })
		fac := h.mustFacility("clinic")
		u := h.mustUser(fac, care.ProfDoctor)
		for i := 0; i < 3; i++ {
			h.anon().must(401, "POST", "/api/v1/session", signInBody(store.User{LoginID: "guess" + itoa(i)}, "wrong-password-123"))
		}
		if r := h.anon().do("POST", "/api/v1/session", signInBody(u, testPassword)); r.status != 429 {
			t.Fatalf("address throttle: %d %s", r.status, r.body)
		}
	})
}

func TestPasswordExpiryAndFirstSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		fac := h.mustFacility("clinic")
		u := h.mustUser(fac, care.ProfDoctor)
		c := h.signIn(u)
		c.must(200, "GET", "/api/v1/patients", nil)

		// 90 days later the open session is narrowed to the password change.
		h.clock.Advance(90*24*time.Hour - 10*time.Minute)
		c = h.signIn(u)
		h.clock.Advance(11 * time.Minute)
		if r := c.do("GET", "/api/v1/patients", nil); r.status != 403 || r.code() != care.CodePasswordExpired {
			t.Fatalf("after expiry: %d %s", r.status, r.body)
		}
		c2 := h.anon()
		if r := c2.do("POST", "/api/v1/session", signInBody(u, testPassword)); r.status != 403 || r.code() != care.CodePasswordExpired {
			t.Fatalf("sign-in with expired password: %d %s", r.status, r.body)
		}
		c2.must(200, "GET", "/api/v1/me", nil)
		if r := c2.do("PUT", "/api/v1/me/password", map[string]any{"current_password": testPassword, "new_password": "password1234"}); r.code() != care.CodePasswordPolicy {
			t.Fatalf("common password accepted: %d %s", r.status, r.body)
		}
		c2.must(200, "PUT", "/api/v1/me/password", map[string]any{"current_password": testPassword, "new_password": "hydrangea-slope-evening"})
		c2.must(200, "GET", "/api/v1/patients", nil)
		// The other session ended with the change.
		if r := c.do("GET", "/api/v1/me", nil); r.status != 401 {
			t.Fatalf("old session after password change: %d", r.status)
		}

		// An account made by an administrator must change its initial password.
		admin := h.mustUser(fac, care.ProfOther, func(u *store.User) { u.FacilityAdmin = true })
		ac := h.signIn(admin)
		var nu struct{ ID string }
		ac.must(201, "POST", "/api/v1/users", map[string]any{"login_id": "new.nurse", "name": "新人 看護", "name_kana": "シンジン カンゴ",
			"profession": "nurse", "facility_id": fac, "password": "initial-password-for-you"}).json(t, &nu)
		nc := h.anon()
		if r := nc.do("POST", "/api/v1/session", map[string]any{"login_id": "new.nurse", "password": "initial-password-for-you"}); r.status != 403 || r.code() != care.CodePasswordChange {
			t.Fatalf("first sign-in: %d %s", r.status, r.body)
		}
		nc.must(403, "GET", "/api/v1/patients", nil)
		nc.must(200, "PUT", "/api/v1/me/password", map[string]any{"current_password": "initial-password-for-you", "new_password": "my-own-long-passphrase"})
		nc.must(200, "GET", "/api/v1/patients", nil)
	})
}

func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		u := h.mustUser(h.mustFacility("clinic"), care.ProfDoctor)
		c := h.signIn(u)
		h.clock.Advance(14 * time.Minute)
		c.must(200, "GET", "/api/v1/me", nil) // activity keeps it alive
		h.clock.Advance(14 * time.Minute)
		c.must(200, "GET", "/api/v1/me", nil)
		h.clock.Advance(16 * time.Minute)
		if r := c.do("GET", "/api/v1/me", nil); r.status != 401 || r.code() != care.CodeSessionExpired {
			t.Fatalf("idle timeout: %d %s", r.status, r.body)
		}
		// Absolute timeout: active every 10 minutes, still ends after 12 h.
		c = h.signIn(u)
		for i := 0; i < 71; i++ {
			h.clock.Advance(10 * time.Minute)
			c.must(200, "GET", "/api/v1/me", nil)
		}
		h.clock.Advance(10 * time.Minute)
		if r := c.do("GET", "/api/v1/me", nil); r.status != 401 {
			t.Fatalf("absolute timeout: %d %s", r.status, r.body)
		}
		// Sign-out ends the session; a new sign-in gets a new token.
		c = h.signIn(u)
		first := c.c.Jar.Cookies(mustURL(h.srv.URL))[0].Value
		c2 := h.signIn(u)
		if c2.c.Jar.Cookies(mustURL(h.srv.URL))[0].Value == first {
			t.Fatal("two sign-ins share a token")
		}
		c.must(204, "DELETE", "/api/v1/session", nil)
		c.must(401, "GET", "/api/v1/me", nil)
		c2.must(200, "GET", "/api/v1/me", nil)
	})
}

func TestSuspendRevokeAndDormancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		adminC := h.signIn(r.netAdmin)
		// Suspension ends every session at once.
		c1, c2 := h.signIn(r.nurse), h.signIn(r.nurse)
		adminC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "suspended"})
		c1.must(401, "GET", "/api/v1/me", nil)
		c2.must(401, "GET", "/api/v1/patients/"+r.patientID, nil)
		if res := h.anon().do("POST", "/api/v1/session", signInBody(r.nurse, testPassword)); res.code() != care.CodeAccountSuspended {
			t.Fatalf("suspended sign-in: %d %s", res.status, res.body)
		}
		adminC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "active"})
		h.signIn(r.nurse)
		adminC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "revoked"})
		if res := h.anon().do("POST", "/api/v1/session", signInBody(r.nurse, testPassword)); res.code() != care.CodeAccountRevoked {
			t.Fatalf("revoked sign-in: %d %s", res.status, res.body)
		}
		adminC.must(409, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "active"})

		// 13 months without use: the daily job makes the account dormant.
		h.clock.Advance(397 * 24 * time.Hour)
		cfg := app.Config{DormantAfter: 396 * 24 * time.Hour, SessionIdle: 15 * time.Minute, SessionMax: 12 * time.Hour}
		if err := app.Housekeeping(context.Background(), h.db, cfg, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if res := h.anon().do("POST", "/api/v1/session", signInBody(r.helper, testPassword)); res.status != 403 || res.code() != care.CodeAccountDormant {
			t.Fatalf("dormant sign-in: %d %s", res.status, res.body)
		}
		// Without the job, sign-in itself notices.
		u := h.mustUser(r.clinic, care.ProfNurse, func(u *store.User) { u.LastActiveAt = h.clock.Now().Add(-400 * 24 * time.Hour) })
		if res := h.anon().do("POST", "/api/v1/session", signInBody(u, testPassword)); res.code() != care.CodeAccountDormant {
			t.Fatalf("dormant by age: %d %s", res.status, res.body)
		}
	})
}

func TestAdministrationScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		net := h.signIn(r.netAdmin)
		var f struct{ ID string }
		net.must(201, "POST", "/api/v1/facilities", map[string]any{"name": "みさき薬局", "name_kana": "ミサキヤッキョク", "kind": "pharmacy"}).json(t, &f)
		net.must(422, "POST", "/api/v1/facilities", map[string]any{"name": "x", "name_kana": "x", "kind": "pharmacy"})
		net.must(201, "POST", "/api/v1/users", map[string]any{"login_id": "misaki.admin", "name": "岬 管理", "name_kana": "ミサキ カンリ", "profession": "pharmacist",
			"facility_id": f.ID, "roles": []string{"facility_admin"}, "password": "a-long-initial-password"})
		ca := h.signIn(r.clinicAdmin)
		ca.must(201, "POST", "/api/v1/users", map[string]any{"login_id": "clinic.nurse", "name": "診療所 看護", "name_kana": "シンリョウジョ カンゴ", "profession": "nurse",
			"facility_id": r.clinic, "password": "a-long-initial-password"})
		ca.must(409, "POST", "/api/v1/users", map[string]any{"login_id": "Clinic.Nurse", "name": "重複", "name_kana": "ジュウフク", "profession": "nurse",
			"facility_id": r.clinic, "password": "a-long-initial-password"})
		ca.must(403, "POST", "/api/v1/users", map[string]any{"login_id": "other.nurse", "name": "他 看護", "name_kana": "ホカ カンゴ", "profession": "nurse",
			"facility_id": r.station, "password": "a-long-initial-password"})
		ca.must(403, "POST", "/api/v1/users", map[string]any{"login_id": "sneaky", "name": "昇格", "name_kana": "ショウカク", "profession": "other",
			"facility_id": r.clinic, "roles": []string{"network_admin"}, "password": "a-long-initial-password"})
		ca.must(403, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"status": "suspended"})
		ca.must(200, "PATCH", "/api/v1/users/"+r.doctor.ID, map[string]any{"name": "見本 医師"})
		ca.must(403, "POST", "/api/v1/facilities", map[string]any{"name": "勝手", "name_kana": "カッテ", "kind": "clinic"})
		// Facility admins read their own facility's audit only.
		var ev struct {
			Events []struct {
				ActorFacility string `json:"actor_facility_id"`
			}
		}
		ca.must(200, "GET", "/api/v1/audit?limit=200", nil).json(t, &ev)
		for _, e := range ev.Events {
			if e.ActorFacility != r.clinic {
				t.Fatalf("facility admin sees another facility's audit: %+v", e)
			}
		}
		var all struct{ Events []struct{ Action string } }
		net.must(200, "GET", "/api/v1/audit?action=session.&limit=500", nil).json(t, &all)
		if len(all.Events) == 0 {
			t.Fatal("network admin sees no sign-in events")
		}
		for _, e := range all.Events {
			if !strings.HasPrefix(e.Action, "session.") {
				t.Fatalf("action filter: %q", e.Action)
			}
		}
	})
}
