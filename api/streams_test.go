package api_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// instances are two API servers on one database, each with its own hub,
// joined by the engine's broadcaster (LISTEN/NOTIFY on PostgreSQL), as
// behind a load balancer. A session made on one works on the other.
type instances struct {
	a, b  *harness
	hints notify.Broadcaster // a's, to send test hints with
}

func newInstances(t *testing.T, engine string, mod ...func(*api.Options)) *instances {
	t.Helper()
	hubA, hubB := notify.NewHub(), notify.NewHub()
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	var bcA, bcB notify.Broadcaster
	var a *harness
	a = newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) {
		if engine == store.Postgres {
			listening := make(chan struct{}, 2)
			for _, bc := range []*notify.Broadcaster{&bcA, &bcB} {
				pg, err := notify.NewPGBroadcaster(notify.PGBroadcasterConfig{ConnString: storetest.PostgresURL(), DB: d.DB.SQL(),
					OnListen: func() { listening <- struct{}{} }})
				if err != nil {
					t.Fatal(err)
				}
				*bc = pg
			}
			go bcA.Run(ctx, hubA.Deliver)
			go bcB.Run(ctx, hubB.Deliver)
			<-listening
			<-listening
		} else {
			local := notify.NewLocalBroadcaster()
			bcA, bcB = local, local
			go local.Run(ctx, hubA.Deliver)
			go local.Run(ctx, hubB.Deliver)
		}
		d.Hub, d.Hints = hubA, bcA
	}, mod...)
	handler, hapi := api.New(api.Deps{DB: a.db, Hasher: a.h, Now: a.clock.Now, Options: a.opt, Blobs: a.blobs,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Hub: hubB, Hints: bcB})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	b := *a
	b.srv, b.hapi = srv, hapi
	// The local broadcaster drops hints until both Runs have registered.
	probe := "probe-" + newID()
	pa, _ := hubA.Subscribe(ctx, probe, "s")
	pb, _ := hubB.Subscribe(ctx, probe, "s")
	for got := 0; got < 2; {
		bcA.Broadcast(ctx, notify.Hint{UserIDs: []string{probe}})
		for _, ch := range []<-chan notify.Hint{pa.Hints(), pb.Hints()} {
			select {
			case <-ch:
				got++
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return &instances{a: a, b: &b, hints: bcA}
}

// on is c's browser talking to instance h (cookies ignore the port).
func (c *client) on(h *harness) *client { return &client{h: h, c: c.c, who: c.who} }

// stream is an open GET /events response.
type stream struct {
	t      testing.TB
	events chan string // "event: …" lines
	ended  chan struct{}
	cancel context.CancelFunc
}

// openStream opens c's event stream, or returns the refusal.
func openStream(t testing.TB, c *client) (*stream, response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.h.srv.URL+"/api/v1/events", nil)
	res, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		return nil, response{status: res.StatusCode, body: string(b), header: res.Header}
	}
	rd := bufio.NewReader(res.Body)
	if l, err := rd.ReadString('\n'); err != nil || l != ": open\n" {
		t.Fatalf("stream opened with %q %v", l, err)
	}
	s := &stream{t: t, events: make(chan string, 16), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.ended)
		defer res.Body.Close()
		for {
			l, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(l, "event:") {
				s.events <- strings.TrimSpace(l)
			}
		}
	}()
	return s, response{status: 200}
}

func mustOpenStream(t testing.TB, c *client) *stream {
	t.Helper()
	s, res := openStream(t, c)
	if s == nil {
		t.Fatalf("event stream of %s refused: %d %s", c.who, res.status, res.body)
	}
	return s
}

// mustEnd waits until the server ends the stream.
func (s *stream) mustEnd(why string) {
	s.t.Helper()
	select {
	case <-s.ended:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("the stream is still open after %s", why)
	}
}

// mustPull waits for a pull event: the stream is open and still hears.
func (s *stream) mustPull(why string) {
	s.t.Helper()
	select {
	case e := <-s.events:
		if e != "event: pull" {
			s.t.Fatalf("%s: event %q", why, e)
		}
	case <-s.ended:
		s.t.Fatalf("the stream ended %s", why)
	case <-time.After(10 * time.Second):
		s.t.Fatalf("no pull event %s", why)
	}
}

// pull asks the users' apps to pull, through the broadcaster (every
// instance), after first asking their streams to check their sessions: a
// stream that then hears the pull passed its check.
func (in *instances) pull(t testing.TB, users ...string) {
	t.Helper()
	ctx := context.Background()
	if err := in.hints.Broadcast(ctx, notify.Hint{UserIDs: users, Recheck: true}); err != nil {
		t.Fatal(err)
	}
	if err := in.hints.Broadcast(ctx, notify.Hint{UserIDs: users, Cursor: "1"}); err != nil {
		t.Fatal(err)
	}
}

// TestEventStreamLimits: a session opens at most 3 streams and a user 8
// across sessions; one more is refused with 429 too_many_streams while the
// open ones go on, and a closed stream frees its place.
func TestEventStreamLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		f := h.mustFacility("clinic")
		nurse := h.mustUser(f, care.ProfNurse)
		other := h.signIn(h.mustUser(f, care.ProfNurse))
		first := h.signIn(nurse)
		var firsts []*stream
		for range notify.DefaultStreamLimits.PerSession {
			firsts = append(firsts, mustOpenStream(t, first))
		}
		refused := func(c *client, why string) {
			t.Helper()
			s, res := openStream(t, c)
			if s != nil || res.status != 429 || res.code() != care.CodeTooManyStreams || res.header.Get("Retry-After") == "" {
				t.Fatalf("%s: %d %s, want 429 %s", why, res.status, res.body, care.CodeTooManyStreams)
			}
		}
		refused(first, "one stream more than a session may hold")
		// Other sessions of the same user, up to the user's limit.
		open := len(firsts)
		var last *client
		for open < notify.DefaultStreamLimits.PerUser {
			last = h.signIn(nurse)
			for i := 0; i < notify.DefaultStreamLimits.PerSession && open < notify.DefaultStreamLimits.PerUser; i++ {
				mustOpenStream(t, last)
				open++
			}
		}
		refused(h.signIn(nurse), "one stream more than a user may hold, from a new session")
		mustOpenStream(t, other) // another user is not affected
		// The refusals left the open streams alone.
		for _, s := range firsts {
			select {
			case <-s.ended:
				t.Fatal("a refusal closed an open stream")
			default:
			}
		}
		// A closed stream frees its place (once the server has seen it go).
		firsts[0].cancel()
		<-firsts[0].ended
		deadline := time.Now().Add(10 * time.Second)
		for {
			s, res := openStream(t, last)
			if s != nil {
				break
			}
			if res.status != 429 || time.Now().After(deadline) {
				t.Fatalf("after a stream closed: %d %s", res.status, res.body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestEventStreamEndsWithSession: every way the API ends a session ends
// its event streams at once, on the other instance too (the periodic check
// is an hour away here), and the streams of sessions that stand go on:
// sign-out, a password change (the other sessions), an administrator's
// suspension, revocation, password reset or TOTP reset.
func TestEventStreamEndsWithSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		in := newInstances(t, engine, func(o *api.Options) { o.StreamRecheck = time.Hour })
		a := in.a
		f := a.mustFacility("clinic")
		admin := a.signIn(a.mustUser("", care.ProfOther, func(u *store.User) { u.NetworkAdmin = true }))
		bystander := a.mustUser(f, care.ProfNurse)
		bystanderS := mustOpenStream(t, a.signIn(bystander).on(in.b))

		t.Run("sign-out", func(t *testing.T) {
			u := a.mustUser(f, care.ProfNurse)
			leaving, staying := a.signIn(u), a.signIn(u)
			ends, goesOn := mustOpenStream(t, leaving.on(in.b)), mustOpenStream(t, staying.on(in.b))
			leaving.must(204, "DELETE", "/api/v1/session", nil)
			ends.mustEnd("sign-out on the other instance")
			in.pull(t, u.ID)
			goesOn.mustPull("after another session of the user signed out")
		})
		t.Run("password change", func(t *testing.T) {
			u := a.mustUser(f, care.ProfNurse)
			changing, elsewhere := a.signIn(u), a.signIn(u)
			goesOn, ends := mustOpenStream(t, changing.on(in.b)), mustOpenStream(t, elsewhere.on(in.b))
			changing.must(200, "PUT", "/api/v1/me/password", map[string]any{"current_password": testPassword, "new_password": "a-new-kagami-mochi-2027"})
			ends.mustEnd("a password change in another session")
			in.pull(t, u.ID)
			goesOn.mustPull("in the session that changed the password")
		})
		for _, change := range []struct {
			name string
			body map[string]any
		}{
			{"suspension", map[string]any{"status": "suspended"}},
			{"revocation", map[string]any{"status": "revoked"}},
			{"password reset", map[string]any{"password": "an-initial-password-2027"}},
			{"totp reset", map[string]any{"reset_totp": true}},
		} {
			t.Run(change.name, func(t *testing.T) {
				u := a.mustUser(f, care.ProfNurse)
				s1, s2 := mustOpenStream(t, a.signIn(u).on(in.b)), mustOpenStream(t, a.signIn(u))
				admin.must(200, "PATCH", "/api/v1/users/"+u.ID, change.body)
				s1.mustEnd(change.name + " (stream on the other instance)")
				s2.mustEnd(change.name + " (stream on the same instance)")
			})
		}
		// Through all of it, the bystander's stream went on.
		in.pull(t, bystander.ID)
		bystanderS.mustPull("after other users' sessions ended")
	})
}

// TestEventStreamChecksItsSession: with no hint at all, a stream checks its
// session periodically, so it ends at the idle timeout (injected clock) and
// when its session goes some other way (here deleted behind the API's back)
// — and a stream whose session stands is not ended by the checks, nor do
// they keep the session alive.
func TestEventStreamChecksItsSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		in := newInstances(t, engine, func(o *api.Options) { o.StreamRecheck = 20 * time.Millisecond })
		a := in.a
		f := a.mustFacility("clinic")
		t.Run("session deleted in the database", func(t *testing.T) {
			u := a.mustUser(f, care.ProfNurse)
			s := mustOpenStream(t, a.signIn(u).on(in.b))
			if _, err := a.db.SQL().Exec(a.db.SQL().Rebind(`DELETE FROM user_session WHERE user_id = ?`), u.ID); err != nil {
				t.Fatal(err)
			}
			s.mustEnd("its session was deleted, with no hint")
		})
		t.Run("idle expiry", func(t *testing.T) {
			u := a.mustUser(f, care.ProfNurse)
			s := mustOpenStream(t, a.signIn(u).on(in.b))
			a.clock.Advance(a.opt.SessionIdle - time.Minute)
			in.pull(t, u.ID)
			s.mustPull("a minute before the idle timeout")
			a.clock.Advance(time.Minute)
			s.mustEnd("the session's idle timeout, with no hint")
		})
	})
}
