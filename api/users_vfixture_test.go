package api_test

// The fixture of the account sweep (users_vertical_test.go): the actors' rows,
// their sessions, and what moved between before and after.

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type vfixture struct {
	h          *harness
	office     string // care_management
	clinic     string
	users      map[string]store.User // by actor
	target     store.User
	snapshot   map[string]store.User // every account row after setup
	clients    map[string]*client
	auditAfter int64
}

func newVFixture(t *testing.T, engine string) *vfixture {
	h := newHarness(t, engine)
	f := &vfixture{h: h, office: h.mustFacility(care.KindCareManagement), clinic: h.mustFacility(care.KindClinic), users: map[string]store.User{}}
	f.users[actSelf] = h.mustUser(f.office, care.ProfCareWorker, func(u *store.User) {
		u.FacilityAdmin = true
		u.TOTPSecret.String, u.TOTPSecret.Valid = "JBSWY3DPEHPK3PXP", true
	})
	f.users[actSameAdmin] = h.mustUser(f.office, care.ProfCareManager, func(u *store.User) { u.FacilityAdmin = true })
	f.users[actOtherAdmin] = h.mustUser(f.clinic, care.ProfOther, func(u *store.User) { u.FacilityAdmin = true })
	f.users[actNetAdmin] = h.mustUser("", care.ProfOther, func(u *store.User) { u.NetworkAdmin = true })
	f.users[actStaff] = h.mustUser(f.office, care.ProfCareWorker)
	f.target = f.users[actSelf]
	f.snapshot = f.rows(t)
	return f
}

// reset puts every account row back as it was after setup, removes the
// accounts a case created, the sessions and sign-in failures, moves the
// clock on a minute (so updated_at shows a write) and opens a fresh session
// for every actor.
func (f *vfixture) reset(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	f.h.clock.Advance(time.Minute)
	now := f.h.clock.Now()
	err := f.h.db.Write(ctx, func(tx *store.Tx) error {
		ids := []string{}
		for id, u := range f.snapshot {
			ids = append(ids, id)
			u.LastActiveAt = now // not dormant, and not touched by the request
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		rows, err := f.rowsTx(ctx, tx)
		if err != nil {
			return err
		}
		for id := range rows {
			if !slices.Contains(ids, id) {
				if _, err := tx.Exec(ctx, `DELETE FROM app_user WHERE id = ?`, id); err != nil {
					return err
				}
			}
		}
		for _, q := range []string{`DELETE FROM user_session`, `DELETE FROM signin_failure`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.clients = map[string]*client{}
	for _, a := range actors {
		f.clients[a] = f.session(t, f.users[a])
	}
	f.auditAfter = f.lastSeq(t)
}

// session opens a full session for u directly in the store (a sign-in per
// case would cost an argon2id hash each).
func (f *vfixture) session(t *testing.T, u store.User) *client {
	t.Helper()
	tok, hash := auth.NewToken()
	now := f.h.clock.Now()
	if err := f.h.db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.CreateSession(context.Background(), store.Session{TokenHash: hash, UserID: u.ID, CreatedAt: now, LastSeenAt: now, Address: "127.0.0.1"})
	}); err != nil {
		t.Fatal(err)
	}
	c := f.h.anon()
	c.who = u.LoginID
	c.c.Jar.SetCookies(mustURL(f.h.srv.URL), []*http.Cookie{{Name: api.SessionCookie, Value: tok, Path: "/"}})
	return c
}

func (f *vfixture) rows(t *testing.T) map[string]store.User {
	t.Helper()
	var out map[string]store.User
	if err := f.h.db.Read(context.Background(), func(tx *store.Tx) (err error) { out, err = f.rowsTx(context.Background(), tx); return }); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *vfixture) rowsTx(ctx context.Context, tx *store.Tx) (map[string]store.User, error) {
	us, err := tx.Users(ctx, "")
	out := map[string]store.User{}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, err
}

func (f *vfixture) lastSeq(t *testing.T) int64 {
	t.Helper()
	var seq int64
	if err := f.h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Get(context.Background(), &seq, `SELECT COALESCE(MAX(seq), 0) FROM audit_event`)
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}

// events are the audit events of the case, as "action result resource".
func (f *vfixture) events(t *testing.T) []audit.Event {
	t.Helper()
	var evs []audit.Event
	if err := f.h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Select(context.Background(), &evs, `SELECT seq, action, result, resource_id, actor_id, detail FROM audit_event WHERE seq > ? ORDER BY seq`, f.auditAfter)
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// hasEvent: an event of action and result about resource ("" = any), with
// detail if given.
func hasAuditEvent(evs []audit.Event, action, result, resource string, detail ...string) bool {
	for _, e := range evs {
		if e.Action == action && e.Result == result && (resource == "" || e.ResourceID == resource) && (len(detail) == 0 || e.Detail == detail[0]) {
			return true
		}
	}
	return false
}

// columns are an account row's stored columns by name (the db tags), so a
// column added later is compared without a change here.
func columns(u store.User) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(u)
	for i := 0; i < v.NumField(); i++ {
		val := v.Field(i).Interface()
		if tm, ok := val.(time.Time); ok {
			val = tm.UTC().Format(time.RFC3339Nano)
		}
		out[v.Type().Field(i).Tag.Get("db")] = fmt.Sprint(val)
	}
	return out
}

// moved lists the columns of row id that differ between before and after
// ("+" for a row that appeared, "-" for one that went).
func moved(before, after map[string]store.User) map[string][]string {
	out := map[string][]string{}
	for id, a := range after {
		b, ok := before[id]
		if !ok {
			out[id] = []string{"+"}
			continue
		}
		cb, ca := columns(b), columns(a)
		for col := range ca {
			if cb[col] != ca[col] {
				out[id] = append(out[id], col)
			}
		}
		sort.Strings(out[id])
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			out[id] = []string{"-"}
		}
	}
	return out
}
