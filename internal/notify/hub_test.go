package notify_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"tsunagu/internal/notify"
)

// mustStream subscribes one connection of user's session, failing the
// test when the hub refuses it.
func mustStream(tb testing.TB, hub *notify.Hub, ctx context.Context, user, session string) *notify.Stream {
	tb.Helper()
	st, err := hub.Subscribe(ctx, user, session)
	if err != nil {
		tb.Fatalf("subscribe %s/%s: %v", user, session, err)
	}
	return st
}

var sessionSeq atomic.Int64

// mustSubscribe is mustStream on a session of its own; it returns the hints.
func mustSubscribe(tb testing.TB, hub *notify.Hub, ctx context.Context, user string) <-chan notify.Hint {
	tb.Helper()
	return mustStream(tb, hub, ctx, user, fmt.Sprint("session-", sessionSeq.Add(1))).Hints()
}

func mustReceive(tb testing.TB, ch <-chan notify.Hint) notify.Hint {
	tb.Helper()
	select {
	case h, ok := <-ch:
		if !ok {
			tb.Fatal("channel closed")
		}
		return h
	case <-time.After(5 * time.Second):
		tb.Fatal("no hint")
	}
	return notify.Hint{}
}

func mustBeEmpty(tb testing.TB, ch <-chan notify.Hint) {
	tb.Helper()
	select {
	case h := <-ch:
		tb.Fatalf("unexpected hint %+v", h)
	default:
	}
}

func TestHubPublishReachesOnlyTheUsersNamed(t *testing.T) {
	hub := notify.NewHub()
	ctx := t.Context()
	ipad := mustSubscribe(t, hub, ctx, "u1")
	phone := mustSubscribe(t, hub, ctx, "u1")
	other := mustSubscribe(t, hub, ctx, "u2")

	hub.Publish([]string{"u1", "u3"}, "c1")
	if h := mustReceive(t, ipad); h.Cursor != "c1" {
		t.Errorf("cursor %q", h.Cursor)
	}
	mustReceive(t, phone)
	mustBeEmpty(t, other)
}

func TestHubCoalescesForSlowReaders(t *testing.T) {
	hub := notify.NewHub()
	ch := mustSubscribe(t, hub, t.Context(), "u1")
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			hub.Publish([]string{"u1"}, "c"+string(rune('0'+i%10)))
		}
		hub.Publish([]string{"u1"}, "last")
		close(done)
	}()
	select {
	case <-done: // Publish never waited for the reader.
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a reader that does not read")
	}
	if h := mustReceive(t, ch); h.Cursor != "last" {
		t.Errorf("pending hint has cursor %q, want the newest", h.Cursor)
	}
	mustBeEmpty(t, ch)
}

func TestHubUnsubscribesOnCancel(t *testing.T) {
	hub := notify.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	ch := mustSubscribe(t, hub, ctx, "u1")
	keep := mustSubscribe(t, hub, t.Context(), "u2")
	if n := hub.Connections(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("hint instead of close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	if n := hub.Connections(); n != 1 {
		t.Errorf("%d connections after cancel, want 1", n)
	}
	hub.Publish([]string{"u1", "u2"}, "c") // must not panic on the closed channel
	mustReceive(t, keep)
}

func TestHubDeliverAll(t *testing.T) {
	hub := notify.NewHub()
	a, b := mustSubscribe(t, hub, t.Context(), "u1"), mustSubscribe(t, hub, t.Context(), "u2")
	hub.Deliver(notify.Hint{All: true})
	mustReceive(t, a)
	mustReceive(t, b)
	hub.Deliver(notify.Hint{UserIDs: []string{"u2"}, Cursor: "c9"})
	mustBeEmpty(t, a)
	if h := mustReceive(t, b); h.Cursor != "c9" {
		t.Errorf("cursor %q", h.Cursor)
	}
}

func TestLocalBroadcaster(t *testing.T) {
	b := notify.NewLocalBroadcaster()
	hub := notify.NewHub()
	ch := mustSubscribe(t, hub, t.Context(), "u1")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- b.Run(ctx, hub.Deliver) }()

	// Hints sent before Run has registered are dropped, so repeat until one lands.
	var got notify.Hint
	deadline := time.After(5 * time.Second)
wait:
	for {
		if err := b.Broadcast(t.Context(), notify.Hint{UserIDs: []string{"u1"}, Cursor: "c1"}); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-ch:
			break wait
		case <-time.After(time.Millisecond):
		case <-deadline:
			t.Fatal("no hint through the local broadcaster")
		}
	}
	if got.Cursor != "c1" {
		t.Errorf("cursor %q", got.Cursor)
	}
	cancel()
	if err := <-stopped; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

// TestHubLimitsStreams: a session holds at most PerSession streams and a
// user at most PerUser across sessions; one more is refused (the open ones
// keep working), and a closed stream frees its place.
func TestHubLimitsStreams(t *testing.T) {
	hub := notify.NewHubWithLimits(notify.StreamLimits{PerSession: 2, PerUser: 3})
	ctx := t.Context()
	first, closeFirst := context.WithCancel(ctx)
	a1 := mustStream(t, hub, first, "u1", "a")
	mustStream(t, hub, ctx, "u1", "a")
	if _, err := hub.Subscribe(ctx, "u1", "a"); !errors.Is(err, notify.ErrTooManyStreams) {
		t.Fatalf("third stream of a session: %v, want ErrTooManyStreams", err)
	}
	mustStream(t, hub, ctx, "u1", "b")
	if _, err := hub.Subscribe(ctx, "u1", "c"); !errors.Is(err, notify.ErrTooManyStreams) {
		t.Fatalf("fourth stream of a user: %v, want ErrTooManyStreams", err)
	}
	mustStream(t, hub, ctx, "u2", "d") // another user is not affected
	hub.Publish([]string{"u1"}, "c1")
	mustReceive(t, a1.Hints()) // refusing the new one left the open ones alone
	closeFirst()
	for range a1.Hints() {
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := hub.Subscribe(ctx, "u1", "c"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("a closed stream did not free its place: %v", err)
		}
	}
	if n := hub.Connections(); n != 4 {
		t.Errorf("%d connections, want 4", n)
	}
}

// TestHubRecheck: a Recheck hint signals the named users' streams only, and
// asks none of them to pull.
func TestHubRecheck(t *testing.T) {
	hub := notify.NewHub()
	a := mustStream(t, hub, t.Context(), "u1", "s1")
	b := mustStream(t, hub, t.Context(), "u2", "s2")
	hub.Deliver(notify.Hint{UserIDs: []string{"u1"}, Recheck: true})
	hub.Deliver(notify.Hint{UserIDs: []string{"u1"}, Recheck: true}) // coalesces, never blocks
	select {
	case <-a.Recheck():
	default:
		t.Fatal("u1's stream was not asked to recheck")
	}
	select {
	case <-b.Recheck():
		t.Fatal("u2's stream was asked to recheck")
	default:
	}
	mustBeEmpty(t, a.Hints())
}
