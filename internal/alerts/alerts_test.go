package alerts_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/internal/alerts"
	"tsunagu/internal/audit"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// env is a database whose audit log an Engine watches.
type env struct {
	t      *testing.T
	db     *store.DB
	engine *alerts.Engine
	mu     sync.Mutex
	opened []alerts.Alert // what OnNew heard
}

func newEnv(t *testing.T, engine string, cfg alerts.Config) *env {
	t.Helper()
	e := &env{t: t, db: storetest.MustOpen(t, engine)}
	e.engine = &alerts.Engine{Config: cfg, OnNew: func(ctx context.Context, tx *store.Tx, a alerts.Alert) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.opened = append(e.opened, a)
		return nil
	}}
	audit.Watch(e.db, e.engine)
	return e
}

// write appends events in one transaction.
func (e *env) write(evs ...*audit.Event) {
	e.t.Helper()
	if err := e.db.Write(context.Background(), func(tx *store.Tx) error { return audit.Append(context.Background(), tx, evs...) }); err != nil {
		e.t.Fatal(err)
	}
}

// reset empties the alert tables and sets the rules, for a subtest.
func (e *env) reset(t *testing.T, cfg alerts.Config) {
	e.t = t
	for _, table := range []string{"alert_seen", "alert_tally", "alert"} {
		if _, err := e.db.SQL().Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
	e.engine.Config = cfg
	e.mu.Lock()
	e.opened = nil
	e.mu.Unlock()
}

func (e *env) list(status string) []alerts.Alert {
	e.t.Helper()
	var out []alerts.Alert
	if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
		out, err = alerts.List(context.Background(), tx, alerts.Filter{Status: status})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) newCount() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.opened) }

const user = "01900000-0000-7000-8000-00000000aa01"

func denied(at time.Time, patient string) *audit.Event {
	return &audit.Event{At: at, ActorID: user, ActorFacility: "f1", Action: "record.read", PatientID: patient, ResourceType: "record", Result: audit.ResultDenied}
}

func viewed(at time.Time, patient string) *audit.Event {
	return &audit.Event{At: at, ActorID: user, ActorFacility: "f1", Action: "patient.read", PatientID: patient, ResourceType: "patient", Result: audit.ResultOK}
}

func signIn(at time.Time, addr string) *audit.Event {
	return &audit.Event{At: at, ActorID: user, ActorFacility: "f1", Action: "session.create", ResourceType: "account", ResourceID: user, Address: addr, Result: audit.ResultOK}
}

func change(at time.Time, action string) *audit.Event {
	return &audit.Event{At: at, ActorID: user, ActorFacility: "f1", Action: action, ResourceType: "account", ResourceID: "someone", Result: audit.ResultOK}
}

func patient(i int) string { return fmt.Sprintf("01900000-0000-7000-8000-%012d", i) }

// ruleCase makes the i-th event of a rule: a new item each time (a new
// patient, a new address, one more change).
var ruleCases = []struct {
	rule string
	nth  func(i int, at time.Time) *audit.Event
	// again is an event that repeats the first item: it must not count
	// for the distinct rules (nil for the rules that count every event).
	again func(at time.Time) *audit.Event
}{
	{alerts.RefusedAccess, func(i int, at time.Time) *audit.Event { return denied(at, patient(1)) }, nil},
	{alerts.ManyPatients, func(i int, at time.Time) *audit.Event { return viewed(at, patient(i)) }, func(at time.Time) *audit.Event { return viewed(at, patient(0)) }},
	{alerts.PrivilegeChange, func(i int, at time.Time) *audit.Event {
		return change(at, []string{"user.profession.change", "user.roles.change"}[i%2])
	}, nil},
	{alerts.CredentialReset, func(i int, at time.Time) *audit.Event {
		return change(at, []string{"user.password_reset", "user.totp_reset"}[i%2])
	}, nil},
	{alerts.ManyAddresses, func(i int, at time.Time) *audit.Event { return signIn(at, fmt.Sprintf("192.0.2.%d", i+1)) },
		func(at time.Time) *audit.Event { return signIn(at, "192.0.2.1") }},
}

// TestEachRuleFiresAtItsThreshold: threshold-1 counted events (and
// repeats of an item already counted) open nothing; one more opens the
// alert, announced once.
func TestEachRuleFiresAtItsThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, nil)
		for _, rc := range ruleCases {
			for _, threshold := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/%d", rc.rule, threshold), func(t *testing.T) {
					e.reset(t, alerts.Config{rc.rule: {Threshold: threshold, Window: time.Hour}})
					at := t0
					for i := 0; i < threshold-1; i++ {
						e.write(rc.nth(i, at))
						at = at.Add(time.Minute)
					}
					if rc.again != nil && threshold > 1 {
						e.write(rc.again(at), rc.again(at.Add(time.Second)))
					}
					if got := e.list(""); len(got) != 0 || e.newCount() != 0 {
						t.Fatalf("%d events below the threshold %d opened %+v", threshold-1, threshold, got)
					}
					e.write(rc.nth(threshold-1, at))
					got := e.list(alerts.StatusOpen)
					if len(got) != 1 || e.newCount() != 1 {
						t.Fatalf("at the threshold: %d alerts, %d announced", len(got), e.newCount())
					}
					a := got[0]
					if a.Rule != rc.rule || a.UserID != user || a.FacilityID != "f1" || a.Count != int64(threshold) || !a.FirstAt.Equal(at) || !a.LastAt.Equal(at) {
						t.Errorf("alert %+v", a)
					}
					// Only the events of other rules: nothing else fires.
					for _, other := range got {
						if other.Rule != rc.rule {
							t.Errorf("rule %s fired too", other.Rule)
						}
					}
				})
			}
		}
	})
}

// TestOtherEventsCountForNoRule: reads outside the view actions, failed
// sign-ins, other users' events and rules that are off count nothing.
func TestOtherEventsCountForNoRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		cfg := alerts.Config{alerts.ManyPatients: {1, time.Hour}, alerts.ManyAddresses: {1, time.Hour}, alerts.RefusedAccess: {1, time.Hour}}
		e := newEnv(t, engine, cfg)
		e.write(&audit.Event{At: t0, ActorID: user, Action: "patient.list", PatientID: patient(1), Result: audit.ResultOK},
			&audit.Event{At: t0, ActorID: user, Action: "sync.pull", PatientID: patient(2), Result: audit.ResultOK},
			&audit.Event{At: t0, ActorID: user, Action: "session.create", Address: "192.0.2.1", Result: audit.ResultFailed},
			&audit.Event{At: t0, ActorID: "", Action: "session.create", Address: "192.0.2.1", Result: audit.ResultFailed},
			&audit.Event{At: t0, ActorID: user, Action: "audit.read", Result: audit.ResultDenied}, // no patient
			change(t0, "user.roles.change")) // privilege_change is off
		if got := e.list(""); len(got) != 0 {
			t.Fatalf("opened %+v", got)
		}
		// The profession a new account is given is routine; roles given at
		// creation, a refused profession and a changed one count.
		e = newEnv(t, engine, alerts.Config{alerts.PrivilegeChange: {1, time.Hour}})
		made := change(t0, "user.profession.change")
		made.Detail = ">nurse"
		e.write(made)
		if got := e.list(""); len(got) != 0 {
			t.Fatalf("a new account's profession opened %+v", got)
		}
		for i, d := range []struct{ action, detail, result string }{
			{"user.roles.change", ">facility_admin", audit.ResultOK},
			{"user.profession.change", ">doctor", audit.ResultDenied},
			{"user.profession.change", "care_worker>nurse", audit.ResultOK},
		} {
			e = newEnv(t, engine, alerts.Config{alerts.PrivilegeChange: {1, time.Hour}})
			ev := change(t0, d.action)
			ev.Detail, ev.Result = d.detail, d.result
			e.write(ev)
			if got := e.list(""); len(got) != 1 {
				t.Errorf("case %d (%s %s %s): %d alerts", i, d.action, d.detail, d.result, len(got))
			}
		}
	})
}

// TestWindowSlides: what left the window no longer counts, whatever the
// clock's hour; what is still in it does.
func TestWindowSlides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, alerts.Config{alerts.RefusedAccess: {3, time.Hour}, alerts.ManyPatients: {3, time.Hour}})
		// Two refusals at 9:00, one at 10:00 sharp: the first two are out
		// of the window (10:00 - 1h, 10:00].
		e.write(denied(t0, patient(1)), denied(t0, patient(1)))
		e.write(denied(t0.Add(time.Hour), patient(1)))
		// Patients 1 and 2 read at 9:00; patient 1 read again at 9:50; at
		// 10:10 patient 3: patients 1 and 3 are in the window, 2 is not.
		e.write(viewed(t0, patient(1)), viewed(t0, patient(2)))
		e.write(viewed(t0.Add(50*time.Minute), patient(1)))
		e.write(viewed(t0.Add(70*time.Minute), patient(3)))
		if got := e.list(""); len(got) != 0 {
			t.Fatalf("events out of the window counted: %+v", got)
		}
		// 10:30: two more refusals (10:00, 10:30, 10:30 within the hour).
		e.write(denied(t0.Add(90*time.Minute), patient(2)), denied(t0.Add(90*time.Minute), patient(3)))
		// 10:20: patient 2 again, back in the window with 1 and 3.
		e.write(viewed(t0.Add(80*time.Minute), patient(2)))
		got := e.list("")
		if len(got) != 2 {
			t.Fatalf("want both rules fired, got %+v", got)
		}
		for _, a := range got {
			if a.Count != 3 {
				t.Errorf("%s counted %d, want 3", a.Rule, a.Count)
			}
		}
	})
}

// TestOpenAlertIsUpdatedUntilAcknowledged: one open alert per rule and
// user; further firings update it; after acknowledgement the next firing
// opens (and announces) a new one.
func TestOpenAlertIsUpdatedUntilAcknowledged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, alerts.Config{alerts.ManyPatients: {2, time.Hour}})
		e.write(viewed(t0, patient(1)), viewed(t0, patient(2)))
		e.write(viewed(t0.Add(time.Minute), patient(3)))
		e.write(viewed(t0.Add(2*time.Minute), patient(3))) // no new patient: no firing
		got := e.list("")
		if len(got) != 1 || e.newCount() != 1 {
			t.Fatalf("want one alert announced once: %+v (%d)", got, e.newCount())
		}
		a := got[0]
		if a.Count != 3 || !a.FirstAt.Equal(t0) || !a.LastAt.Equal(t0.Add(time.Minute)) || strings.Join(a.PatientIDs, ",") != patient(1)+","+patient(2)+","+patient(3) {
			t.Fatalf("updated alert %+v", a)
		}
		ctx := context.Background()
		if err := e.db.Write(ctx, func(tx *store.Tx) error {
			ok, err := alerts.Acknowledge(ctx, tx, a.ID, "admin", "確認済み", t0.Add(3*time.Minute))
			if !ok && err == nil {
				err = fmt.Errorf("not acknowledged")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.write(viewed(t0.Add(4*time.Minute), patient(4)))
		open, acked := e.list(alerts.StatusOpen), e.list(alerts.StatusAcknowledged)
		if len(open) != 1 || len(acked) != 1 || open[0].ID == a.ID || e.newCount() != 2 {
			t.Fatalf("after acknowledgement: open %+v acknowledged %+v announced %d", open, acked, e.newCount())
		}
		if acked[0].Note != "確認済み" || acked[0].AcknowledgedBy.String != "admin" || !acked[0].AcknowledgedAt.Time.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("acknowledged %+v", acked[0])
		}
		// The new alert names every patient of its window.
		if open[0].Count != 4 || strings.Join(open[0].PatientIDs, ",") != strings.Join([]string{patient(1), patient(2), patient(3), patient(4)}, ",") {
			t.Errorf("new alert %+v", open[0])
		}
	})
}

// TestPatientIDsAreCapped: an alert keeps the newest MaxPatientIDs.
func TestPatientIDsAreCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, alerts.Config{alerts.ManyPatients: {1, time.Hour}})
		var evs []*audit.Event
		for i := range alerts.MaxPatientIDs + 10 {
			evs = append(evs, viewed(t0, patient(i)))
		}
		e.write(evs[:30]...)
		e.write(evs[30:]...)
		got := e.list("")
		if len(got) != 1 || len(got[0].PatientIDs) != alerts.MaxPatientIDs || got[0].PatientIDs[0] != patient(10) || got[0].Count != int64(len(evs)) {
			t.Fatalf("%+v", got)
		}
	})
}

// TestRolledBackEventsCountNothing: events of a savepoint that rolled back
// (a refused mutation of a sync push, a write of a SQLite group that
// failed) are neither written nor counted.
func TestRolledBackEventsCountNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, alerts.Config{alerts.RefusedAccess: {2, time.Hour}})
		ctx := context.Background()
		err := e.db.Write(ctx, func(tx *store.Tx) error {
			if err := audit.Append(ctx, tx, denied(t0, patient(1))); err != nil {
				return err
			}
			_ = tx.Savepoint(ctx, func() error {
				_ = audit.Append(ctx, tx, denied(t0, patient(2)))
				return fmt.Errorf("refused")
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.list(""); len(got) != 0 {
			t.Fatalf("a rolled-back event counted: %+v", got)
		}
		e.write(denied(t0, patient(3)))
		if got := e.list(""); len(got) != 1 || got[0].Count != 2 {
			t.Fatalf("%+v", got)
		}
	})
}

// TestPruneKeepsTheWindows: the daily prune removes only what is out of
// every window, so counts do not change.
func TestPruneKeepsTheWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		cfg := alerts.Config{alerts.RefusedAccess: {3, time.Hour}, alerts.ManyPatients: {30, time.Hour}}
		e := newEnv(t, engine, cfg)
		e.write(denied(t0, patient(1)), viewed(t0, patient(1)))
		e.write(denied(t0.Add(30*time.Minute), patient(1)), change(t0, "user.roles.change"))
		ctx := context.Background()
		seen := func() (n int) {
			e.db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, `SELECT COUNT(*) FROM alert_seen`) })
			return n
		}
		if n := seen(); n != 3 {
			t.Fatalf("%d items seen", n)
		}
		if err := e.db.Write(ctx, func(tx *store.Tx) error { return alerts.Prune(ctx, tx, cfg, t0.Add(80*time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		if n := seen(); n != 1 {
			t.Fatalf("after the prune: %d items seen, want the refusal at 9:30", n)
		}
		e.write(denied(t0.Add(85*time.Minute), patient(1)))
		e.write(denied(t0.Add(86*time.Minute), patient(1)))
		if got := e.list(""); len(got) != 1 || got[0].Count != 3 {
			t.Fatalf("%+v", got)
		}
	})
}

// TestConcurrentWritersCountExactly: on PostgreSQL transactions of one
// user run at once (mutations of different pushes); each counts in turn,
// so the last one counts every refusal and one alert is opened.
func TestConcurrentWritersCountExactly(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			const writers, each = 16, 5
			e := newEnv(t, engine, alerts.Config{alerts.RefusedAccess: {10, time.Hour}, alerts.ManyPatients: {10, time.Hour}})
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						ctx := context.Background()
						at := t0.Add(time.Duration(i) * time.Second)
						err := e.db.Write(ctx, func(tx *store.Tx) error {
							return audit.Append(ctx, tx, denied(at, patient(w)), viewed(at, patient(w*each+i)), viewed(at, patient(0)))
						})
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			got := e.list("")
			if len(got) != 2 || e.newCount() != 2 {
				t.Fatalf("want one alert per rule, announced once each: %+v (%d)", got, e.newCount())
			}
			for _, a := range got {
				// refusals: every one; patients: 0..79 (patient 0, read by
				// every writer, is writer 0's first as well).
				want := int64(writers * each)
				if a.Count != want {
					t.Errorf("%s counted %d, want %d", a.Rule, a.Count, want)
				}
			}
		})
	}
}

// TestParseRule: the configuration's form.
func TestParseRule(t *testing.T) {
	for in, want := range map[string]alerts.Rule{"5/1h": {5, time.Hour}, " 30 / 90m ": {30, 90 * time.Minute}, "off": {}, "OFF": {}, "1/720h": {1, 720 * time.Hour}} {
		if got, err := alerts.ParseRule(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "5/", "/1h", "0/1h", "-1/1h", "x/1h", "5/1", "5/30s", "5/721h", "100001/1h", "5/1h/2", "on"} {
		if r, err := alerts.ParseRule(in); err == nil {
			t.Errorf("%q accepted as %v", in, r)
		} else if in != "" && strings.Contains(err.Error(), "%!") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
