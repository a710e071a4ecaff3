package notify_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"tsunagu/internal/notify"
)

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// mustPostgres opens the test database. Unreachable: the test fails under
// CI=true (the service is part of CI) and is skipped elsewhere.
func mustPostgres(tb testing.TB) (*sql.DB, string) {
	tb.Helper()
	url := os.Getenv("TSUNAGU_TEST_POSTGRES_URL")
	if url == "" {
		url = defaultTestPostgres
	}
	db, err := sql.Open("pgx", url)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s unreachable: %v", url, err)
		}
		tb.Skipf("PostgreSQL at %s unreachable: %v", url, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, url
}

func randomName(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// process is one API instance's broadcaster, its deliveries on a channel.
type process struct {
	b        *notify.PGBroadcaster
	hints    chan notify.Hint
	listened chan struct{}
	app      string
}

func startProcess(t *testing.T, db *sql.DB, url, app string) *process {
	t.Helper()
	p := &process{hints: make(chan notify.Hint, 16), listened: make(chan struct{}, 4), app: app}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	b, err := notify.NewPGBroadcaster(notify.PGBroadcasterConfig{
		ConnString: url + sep + "application_name=" + app,
		DB:         db,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		OnListen:   func() { p.listened <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	p.b = b
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, func(h notify.Hint) { p.hints <- h }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	select {
	case <-p.listened:
	case <-time.After(10 * time.Second):
		t.Fatal("listener never started")
	}
	return p
}

// awaitHint returns the next hint that matches, skipping others: every
// test and package on this database shares the channel.
func (p *process) awaitHint(t *testing.T, match func(notify.Hint) bool) notify.Hint {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case h := <-p.hints:
			if match(h) {
				return h
			}
		case <-deadline:
			t.Fatalf("%s: no matching hint", p.app)
		}
	}
}

func names(user string) func(notify.Hint) bool {
	return func(h notify.Hint) bool {
		for _, id := range h.UserIDs {
			if id == user {
				return true
			}
		}
		return false
	}
}

func TestPGBroadcasterAcrossProcesses(t *testing.T) {
	db, url := mustPostgres(t)
	run := randomName(t)
	a := startProcess(t, db, url, "tsunagu_test_a_"+run)
	b := startProcess(t, db, url, "tsunagu_test_b_"+run)
	ctx := waitCtx(t)
	user := "user-" + run

	if err := a.b.Broadcast(ctx, notify.Hint{UserIDs: []string{user, "other"}, Cursor: "cur-1"}); err != nil {
		t.Fatal(err)
	}
	h := b.awaitHint(t, names(user))
	if h.Cursor != "cur-1" || len(h.UserIDs) != 2 {
		t.Errorf("hint %+v", h)
	}
	a.awaitHint(t, names(user)) // the sender's own process hears it too

	t.Run("large team is split under the NOTIFY limit", func(t *testing.T) {
		ids := make([]string, 400) // 400 UUIDs ≈ 16 KB of JSON
		for i := range ids {
			ids[i] = "0196c2a0-0000-7000-8000-" + run + strings.Repeat("0", 12-len(run)) + string(rune('a'+i%26))
		}
		ids[399] = "last-" + run
		if err := a.b.Broadcast(ctx, notify.Hint{UserIDs: ids, Cursor: "cur-2"}); err != nil {
			t.Fatal(err)
		}
		if h := b.awaitHint(t, names("last-"+run)); h.Cursor != "cur-2" {
			t.Errorf("cursor %q", h.Cursor)
		}
	})

	t.Run("listener reconnects and asks everyone to pull", func(t *testing.T) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, b.app).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("terminated %d listener backends: %v", n, err)
		}
		select {
		case <-b.listened:
		case <-time.After(10 * time.Second):
			t.Fatal("listener did not reconnect")
		}
		b.awaitHint(t, func(h notify.Hint) bool { return h.All })
		user2 := "after-" + run
		if err := a.b.Broadcast(ctx, notify.Hint{UserIDs: []string{user2}, Cursor: "cur-3"}); err != nil {
			t.Fatal(err)
		}
		b.awaitHint(t, names(user2))
	})
}

func TestPGBroadcasterFeedsHub(t *testing.T) {
	db, url := mustPostgres(t)
	run := randomName(t)
	sender := startProcess(t, db, url, "tsunagu_test_s_"+run)

	// The receiving process wires Run straight into its hub, as the server will.
	hub := notify.NewHub()
	user := "user-" + run
	ch := mustSubscribe(t, hub, t.Context(), user)
	listened := make(chan struct{}, 1)
	b, err := notify.NewPGBroadcaster(notify.PGBroadcasterConfig{ConnString: url, DB: db, OnListen: func() { listened <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx, hub.Deliver)
	<-listened

	if err := sender.b.Broadcast(waitCtx(t), notify.Hint{UserIDs: []string{user}, Cursor: "c-hub"}); err != nil {
		t.Fatal(err)
	}
	if h := mustReceive(t, ch); h.Cursor != "c-hub" {
		t.Errorf("cursor %q", h.Cursor)
	}
}

func TestNewPGBroadcasterChecksConfig(t *testing.T) {
	if _, err := notify.NewPGBroadcaster(notify.PGBroadcasterConfig{ConnString: defaultTestPostgres}); err == nil {
		t.Error("accepted a config without DB")
	}
	if _, err := notify.NewPGBroadcaster(notify.PGBroadcasterConfig{ConnString: "::not a url", DB: &sql.DB{}}); err == nil {
		t.Error("accepted a bad connection string")
	}
}
