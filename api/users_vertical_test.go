package api_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// The vertical rules (who may change whom) are tested by a sweep over every
// operation that writes an account row × every actor × every writable
// field. Each case reads every account row before and after and checks that
// exactly the expected columns of exactly the expected row moved.

// Actors of the sweep. The target T is a care worker of a care-management
// office who is that office's facility admin (the penetration test's case).
const (
	actSelf       = "self"        // T
	actSameAdmin  = "same_admin"  // another facility admin of T's office
	actOtherAdmin = "other_admin" // the facility admin of a clinic
	actNetAdmin   = "net_admin"   // the network office
	actStaff      = "staff"       // plain staff of T's office
)

var actors = []string{actSelf, actSameAdmin, actOtherAdmin, actNetAdmin, actStaff}

// outcome is what a case must answer and change.
type outcome struct {
	status int
	code   string   // on refusal
	cols   []string // the target row's columns that move (sorted; "+" = a new row)
}

func refused(status int, code string) outcome { return outcome{status: status, code: code} }

// updateFieldCase changes one body field of PATCH /users/{T}.
type updateFieldCase struct {
	field  string // the request body's property it exercises
	name   string
	body   map[string]any
	cols   []string // the columns a permitted change moves, besides updated_at
	grant  string   // the audit action of a change of profession or roles
	detail string   // and its detail: the codes before and after
	// kind of change for the expectations below
	own  bool // nobody does this to their own account
	prof string
	net  bool // gives network_admin
}

var updateFieldCases = []updateFieldCase{
	{field: "name", name: "name", body: map[string]any{"name": "改名 太郎"}, cols: []string{"name"}},
	{field: "name_kana", name: "name_kana", body: map[string]any{"name_kana": "カイメイ タロウ"}, cols: []string{"name_kana"}},
	{field: "profession", name: "profession_employed", body: map[string]any{"profession": care.ProfCareManager}, cols: []string{"profession"}, grant: "user.profession.change", detail: "care_worker>care_manager", own: true, prof: care.ProfCareManager},
	{field: "profession", name: "profession_nurse", body: map[string]any{"profession": care.ProfNurse}, cols: []string{"profession"}, grant: "user.profession.change", detail: "care_worker>nurse", own: true, prof: care.ProfNurse},
	{field: "profession", name: "profession_doctor", body: map[string]any{"profession": care.ProfDoctor}, cols: []string{"profession"}, grant: "user.profession.change", detail: "care_worker>doctor", own: true, prof: care.ProfDoctor},
	{field: "roles", name: "roles_none", body: map[string]any{"roles": []string{}}, cols: []string{"facility_admin"}, grant: "user.roles.change", detail: "facility_admin>", own: true},
	{field: "roles", name: "roles_network_admin", body: map[string]any{"roles": []string{"facility_admin", "network_admin"}}, cols: []string{"network_admin"}, grant: "user.roles.change", detail: "facility_admin>network_admin,facility_admin", own: true, net: true},
	{field: "status", name: "status_suspended", body: map[string]any{"status": care.StatusSuspended}, cols: []string{"status"}, own: true},
	{field: "password", name: "password", body: map[string]any{"password": "fresh-initial-passphrase-77"}, cols: []string{"must_change_password", "password_changed_at", "password_hash"}, grant: "user.password_reset", own: true},
	{field: "reset_totp", name: "reset_totp", body: map[string]any{"reset_totp": true}, cols: []string{"totp_secret"}, grant: "user.totp_reset", own: true},
}

// expectUpdate is the rule for PATCH /users/{T} as actor.
func expectUpdate(actor string, c updateFieldCase) outcome {
	ok := outcome{status: 200, cols: append(slices.Clone(c.cols), "updated_at")}
	sort.Strings(ok.cols)
	switch actor {
	case actStaff, actOtherAdmin:
		return refused(403, care.CodeAdminOnly)
	case actNetAdmin:
		return ok
	case actSelf:
		if c.own {
			return refused(403, care.CodeOwnAccount)
		}
		return ok
	case actSameAdmin:
		switch {
		case c.net:
			return refused(403, care.CodeAdminOnly)
		case c.prof != "" && !care.FacilityEmploys(care.KindCareManagement, c.prof):
			return refused(403, care.CodeProfessionNotGiven)
		}
		return ok
	}
	panic(actor)
}

// createFieldCase is one POST /users body.
type createFieldCase struct {
	name       string
	fields     []string // the request body's properties it exercises
	facility   string   // "office" or "clinic"
	profession string
	roles      []string
}

var createFieldCases = []createFieldCase{
	{name: "employed_profession", fields: []string{"id", "login_id", "name", "name_kana", "password", "profession", "facility_id"}, facility: "office", profession: care.ProfCareManager},
	{name: "clinical_profession", fields: []string{"profession"}, facility: "office", profession: care.ProfNurse},
	{name: "doctor", fields: []string{"profession"}, facility: "office", profession: care.ProfDoctor},
	{name: "facility_admin", fields: []string{"roles"}, facility: "office", profession: care.ProfCareWorker, roles: []string{"facility_admin"}},
	{name: "network_admin", fields: []string{"roles"}, facility: "office", profession: care.ProfCareWorker, roles: []string{"network_admin"}},
	{name: "other_facility", fields: []string{"facility_id"}, facility: "clinic", profession: care.ProfDoctor},
}

func expectCreate(actor string, c createFieldCase) outcome {
	ok := outcome{status: 201, cols: []string{"+"}}
	switch actor {
	case actStaff:
		return refused(403, care.CodeAdminOnly)
	case actNetAdmin:
		return ok
	case actOtherAdmin: // the clinic's admin
		if c.facility != "clinic" {
			return refused(403, care.CodeAdminOnly)
		}
		return ok // a clinic employs doctors
	case actSelf, actSameAdmin: // the office's admins (creating is no change of one's own account)
		switch {
		case c.facility != "office" || slices.Contains(c.roles, "network_admin"):
			return refused(403, care.CodeAdminOnly)
		case !care.FacilityEmploys(care.KindCareManagement, c.profession):
			return refused(403, care.CodeProfessionNotGiven)
		}
		return ok
	}
	panic(actor)
}

// userWriters are the operations that write account rows, each with its
// sweep. nonUserWriters are the other operations of the account-shaped
// parts of the API (tags session and admin, paths /me and /users), each with
// a body: the sweep runs them as every actor and checks that no account row
// moves. TestEveryAccountOperationSwept fails on an operation in neither.
var userWriters = map[string]func(t *testing.T, f *vfixture){
	"updateUser":     sweepUpdateUser,
	"createUser":     sweepCreateUser,
	"changePassword": sweepChangePassword,
	"startTOTP":      sweepTOTP,
	"confirmTOTP":    sweepTOTP,
	"signIn":         sweepSignIn,
	"resetPassword":  sweepResetPassword, // users_reset_test.go
	"resetTOTP":      sweepResetTOTP,
}

var nonUserWriters = map[string]func(f *vfixture) (method, path string, body any){
	"signOut": func(*vfixture) (string, string, any) { return "DELETE", "/api/v1/session", nil },
	"createFacility": func(*vfixture) (string, string, any) {
		return "POST", "/api/v1/facilities", map[string]any{"name": "新施設", "name_kana": "シンシセツ", "kind": "clinic"}
	},
	"createCalendarFeed": func(*vfixture) (string, string, any) { return "POST", "/api/v1/me/calendar-feed", nil },
	"deleteCalendarFeed": func(*vfixture) (string, string, any) { return "DELETE", "/api/v1/me/calendar-feed", nil },
	"updateFacility": func(f *vfixture) (string, string, any) {
		return "PATCH", "/api/v1/facilities/" + f.office, map[string]any{"name": "改称施設", "disclosure": "shared_only"}
	},
	// E-mail notification and preferences (slice H): rows of their own,
	// never an account row.
	"setMyEmail": func(*vfixture) (string, string, any) {
		return "PUT", "/api/v1/me/email", map[string]any{"address": "someone@example.jp"}
	},
	"confirmMyEmail": func(*vfixture) (string, string, any) {
		return "POST", "/api/v1/me/email/confirm", map[string]any{"token": strings.Repeat("A", 43)}
	},
	"deleteMyEmail": func(*vfixture) (string, string, any) { return "DELETE", "/api/v1/me/email", nil },
	"putNotificationPreferences": func(*vfixture) (string, string, any) {
		return "PUT", "/api/v1/me/notification-preferences", testPrefs("both", true, "21:00", "06:30")
	},
	// The digest's "last looked" is the caller's own row, never an account's.
	"markDigestSeen": func(*vfixture) (string, string, any) {
		return "POST", "/api/v1/me/digest/seen", map[string]any{"until": "2020-01-01T00:00:00Z"}
	},
	"acknowledgeAlert": func(*vfixture) (string, string, any) {
		return "POST", "/api/v1/alerts/" + newID() + "/acknowledge", map[string]any{"note": "確認"}
	},
	// The team channel's retraction (under /api/v1/messages, which the
	// /api/v1/me prefix catches) writes a message's status, never an account.
	"retractMessage": func(*vfixture) (string, string, any) {
		return "POST", "/api/v1/messages/" + newID() + "/retract", nil
	},
}

// accountShaped reports whether an operation belongs to the part of the API
// that may write accounts: anything not a read under the session and admin
// tags, /me or /users.
func accountShaped(h *harness, o operation) bool {
	if o.method == "GET" {
		return false
	}
	if strings.HasPrefix(o.path, "/api/v1/me") || strings.HasPrefix(o.path, "/api/v1/users") || strings.HasPrefix(o.path, "/api/v1/session") {
		return true
	}
	op := opOf(h, o)
	return slices.Contains(op.Tags, "session") || slices.Contains(op.Tags, "admin")
}

func opOf(h *harness, o operation) *huma.Operation {
	item := h.hapi.OpenAPI().Paths[o.path]
	return map[string]*huma.Operation{"POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete, "GET": item.Get}[o.method]
}

// bodyProperties are the names of the JSON body's properties of o.
func bodyProperties(t *testing.T, h *harness, o operation) []string {
	t.Helper()
	op := opOf(h, o)
	if op.RequestBody == nil {
		return nil
	}
	sc := op.RequestBody.Content["application/json"].Schema
	if sc.Ref != "" {
		sc = h.hapi.OpenAPI().Components.Schemas.SchemaFromRef(sc.Ref)
	}
	var props []string
	for name := range sc.Properties {
		if !strings.HasPrefix(name, "$") {
			props = append(props, name)
		}
	}
	if len(props) == 0 {
		t.Fatalf("%s: no body properties found", o.id)
	}
	return props
}

// TestEveryAccountOperationSwept: each write under session, admin, /me and
// /users has a sweep, and each body property of createUser and updateUser a
// case, so the next operation or field added cannot skip the vertical rules.
func TestEveryAccountOperationSwept(t *testing.T) {
	h := newHarness(t, store.SQLite)
	for _, o := range operations(h) {
		if !accountShaped(h, o) {
			continue
		}
		_, w := userWriters[o.id]
		_, n := nonUserWriters[o.id]
		if !w && !n {
			t.Errorf("operation %s (%s %s) writes in the account part of the API but has no entry in userWriters or nonUserWriters (users_vertical_test.go)", o.id, o.method, o.path)
		}
	}
	covered := map[string][]string{"updateUser": {}, "createUser": {}}
	for _, c := range updateFieldCases {
		covered["updateUser"] = append(covered["updateUser"], c.field)
	}
	for _, c := range createFieldCases {
		covered["createUser"] = append(covered["createUser"], c.fields...)
	}
	for _, o := range operations(h) {
		fields, ok := covered[o.id]
		if !ok {
			continue
		}
		for _, prop := range bodyProperties(t, h, o) {
			if !slices.Contains(fields, prop) {
				t.Errorf("%s: body property %q has no sweep case", o.id, prop)
			}
		}
	}
}

// TestAccountWritesVertical is the sweep: every account-writing operation,
// every actor, every writable field.
func TestAccountWritesVertical(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		f := newVFixture(t, engine)
		for _, id := range sortedKeys(userWriters) {
			if id == "confirmTOTP" { // swept together with startTOTP
				continue
			}
			t.Run(id, func(t *testing.T) { userWriters[id](t, f) })
		}
		for _, id := range sortedKeys(nonUserWriters) {
			for _, actor := range actors {
				f.reset(t)
				before := f.rows(t)
				method, path, body := nonUserWriters[id](f)
				r := f.clients[actor].do(method, path, body)
				if r.status >= 500 {
					t.Fatalf("%s as %s: %d %s", id, actor, r.status, r.body)
				}
				if m := moved(before, f.rows(t)); len(m) > 0 {
					t.Errorf("%s as %s moved account rows: %v", id, actor, m)
				}
			}
		}
	})
}

func sweepUpdateUser(t *testing.T, f *vfixture) {
	for _, actor := range actors {
		for _, c := range updateFieldCases {
			f.reset(t)
			want := expectUpdate(actor, c)
			before := f.rows(t)
			r := f.clients[actor].do("PATCH", "/api/v1/users/"+f.target.ID, c.body)
			got := moved(before, f.rows(t))
			label := actor + " " + c.name
			checkOutcome(t, label, r, want, got, f.target.ID)
			evs := f.events(t)
			switch {
			case want.status == 200 && c.grant != "" && !hasAuditEvent(evs, c.grant, audit.ResultOK, f.target.ID, c.detail):
				t.Errorf("%s: no %s event %q: %+v", label, c.grant, c.detail, evs)
			case want.status != 200 && c.grant != "" && !hasAuditEvent(evs, c.grant, audit.ResultDenied, f.target.ID, c.detail):
				t.Errorf("%s: refused %s not audited: %+v", label, c.grant, evs)
			case want.status != 200 && !hasAuditEvent(evs, "user.update", audit.ResultDenied, f.target.ID):
				t.Errorf("%s: refusal not audited: %+v", label, evs)
			case want.status == 200 && c.grant == "" && (hasAuditEvent(evs, "user.profession.change", audit.ResultOK, "") || hasAuditEvent(evs, "user.roles.change", audit.ResultOK, "")):
				t.Errorf("%s: a grant event without a grant: %+v", label, evs)
			case want.status == 200 && c.field != "password" && c.field != "reset_totp" && (hasAuditEvent(evs, "user.password_reset", audit.ResultOK, "") || hasAuditEvent(evs, "user.totp_reset", audit.ResultOK, "")):
				t.Errorf("%s: a reset event without a reset: %+v", label, evs)
			}
		}
	}
	// Sending one's own unchanged profession and roles is no change.
	f.reset(t)
	f.clients[actSelf].must(200, "PATCH", "/api/v1/users/"+f.target.ID, map[string]any{"profession": f.target.Profession, "roles": []string{"facility_admin"}, "status": "active"})
}

func sweepCreateUser(t *testing.T, f *vfixture) {
	for _, actor := range actors {
		for i, c := range createFieldCases {
			f.reset(t)
			want := expectCreate(actor, c)
			fac := map[string]string{"office": f.office, "clinic": f.clinic}[c.facility]
			id := newID()
			body := map[string]any{"id": id, "login_id": fmt.Sprintf("new.%s.%d", strings.ReplaceAll(actor, "_", ""), i), "name": "新規 職員", "name_kana": "シンキ ショクイン",
				"profession": c.profession, "facility_id": fac, "password": "fresh-initial-passphrase-77"}
			if c.roles != nil {
				body["roles"] = c.roles
			}
			before := f.rows(t)
			r := f.clients[actor].do("POST", "/api/v1/users", body)
			after := f.rows(t)
			label := actor + " " + c.name
			checkOutcome(t, label, r, want, moved(before, after), id)
			evs := f.events(t)
			if want.status != 201 {
				if !hasAuditEvent(evs, "user.profession.change", audit.ResultDenied, "", ">"+c.profession) {
					t.Errorf("%s: refused grant not audited: %+v", label, evs)
				}
				continue
			}
			u := after[id]
			if u.Profession != c.profession || u.FacilityID.String != fac || !slices.Equal(rolesOfUser(u), sortedCopy(c.roles)) ||
				u.Status != care.StatusActive || !u.MustChangePassword || u.TOTPSecret.Valid {
				t.Errorf("%s: stored %+v", label, u)
			}
			if !hasAuditEvent(evs, "user.profession.change", audit.ResultOK, id, ">"+c.profession) ||
				(len(c.roles) > 0) != hasAuditEvent(evs, "user.roles.change", audit.ResultOK, id, ">"+strings.Join(c.roles, ",")) {
				t.Errorf("%s: grant events %+v", label, evs)
			}
		}
	}
}

// sweepChangePassword: every actor changes their own password (right and
// wrong current password); only their own password columns move.
func sweepChangePassword(t *testing.T, f *vfixture) {
	for _, actor := range actors {
		for _, right := range []bool{true, false} {
			f.reset(t)
			cur := testPassword
			want := outcome{status: 200, cols: []string{"password_changed_at", "password_hash", "updated_at"}}
			if !right {
				cur, want = "not-the-password-9", refused(422, care.CodeValidation)
			}
			before := f.rows(t)
			r := f.clients[actor].do("PUT", "/api/v1/me/password", map[string]any{"current_password": cur, "new_password": "hydrangea-slope-evening"})
			checkOutcome(t, fmt.Sprintf("%s right=%v", actor, right), r, want, moved(before, f.rows(t)), f.users[actor].ID)
		}
	}
}

// sweepTOTP: every actor starts and confirms their own enrolment; only
// their own TOTP columns move (T, already enrolled, is refused).
func sweepTOTP(t *testing.T, f *vfixture) {
	for _, actor := range actors {
		f.reset(t)
		me := f.users[actor].ID
		before := f.rows(t)
		r := f.clients[actor].do("POST", "/api/v1/me/totp", nil)
		if actor == actSelf {
			checkOutcome(t, actor+" start", r, refused(409, care.CodeConflict), moved(before, f.rows(t)), me)
			continue
		}
		checkOutcome(t, actor+" start", r, outcome{status: 200, cols: []string{"totp_pending_secret", "updated_at"}}, moved(before, f.rows(t)), me)
		var s struct{ Secret string }
		r.json(t, &s)
		code, err := auth.TOTPCode(s.Secret, f.h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		before = f.rows(t)
		r = f.clients[actor].do("POST", "/api/v1/me/totp/confirm", map[string]any{"code": code})
		checkOutcome(t, actor+" confirm", r, outcome{status: 200, cols: []string{"totp_last_step", "totp_pending_secret", "totp_secret"}}, moved(before, f.rows(t)), me)
	}
}

// sweepSignIn: signing in moves only the last activity (and with TOTP the
// last step used); a failure moves nothing.
func sweepSignIn(t *testing.T, f *vfixture) {
	for _, actor := range actors {
		for _, right := range []bool{true, false} {
			f.reset(t)
			f.h.clock.Advance(2 * time.Hour)
			u := f.users[actor]
			body := signInBody(u, testPassword)
			want := outcome{status: 200, cols: []string{"last_active_at"}}
			if u.TOTPSecret.Valid {
				code, _ := auth.TOTPCode(u.TOTPSecret.String, f.h.clock.Now())
				body = signInBody(u, testPassword, code)
				want.cols = []string{"last_active_at", "totp_last_step"}
			}
			if !right {
				body["password"] = "not-the-password-9"
				want = refused(401, care.CodeBadCredentials)
			}
			before := f.rows(t)
			r := f.h.anon().do("POST", "/api/v1/session", body)
			checkOutcome(t, fmt.Sprintf("%s right=%v", actor, right), r, want, moved(before, f.rows(t)), u.ID)
		}
	}
}

// checkOutcome: the answer, and exactly want.cols of row id moved (nothing
// at all on a refusal, and never another row).
func checkOutcome(t *testing.T, label string, r response, want outcome, got map[string][]string, id string) {
	t.Helper()
	if r.status != want.status || (want.code != "" && r.code() != want.code) {
		t.Errorf("%s: answered %d %s, want %d %s", label, r.status, r.body, want.status, want.code)
	}
	for row, cols := range got {
		if row != id {
			t.Errorf("%s: another account row moved: %s %v", label, row, cols)
		}
	}
	if !slices.Equal(got[id], want.cols) {
		t.Errorf("%s: columns moved %v, want %v", label, got[id], want.cols)
	}
}

func rolesOfUser(u store.User) []string {
	var rs []string
	if u.FacilityAdmin {
		rs = append(rs, "facility_admin")
	}
	if u.NetworkAdmin {
		rs = append(rs, "network_admin")
	}
	return rs
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}
