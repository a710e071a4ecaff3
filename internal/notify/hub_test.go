package notify_test

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/notify"
)

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
	ipad := hub.Subscribe(ctx, "u1")
	phone := hub.Subscribe(ctx, "u1")
	other := hub.Subscribe(ctx, "u2")

	hub.Publish([]string{"u1", "u3"}, "c1")
	if h := mustReceive(t, ipad); h.Cursor != "c1" {
		t.Errorf("cursor %q", h.Cursor)
	}
	mustReceive(t, phone)
	mustBeEmpty(t, other)
}

func TestHubCoalescesForSlowReaders(t *testing.T) {
	hub := notify.NewHub()
	ch := hub.Subscribe(t.Context(), "u1")
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
	ch := hub.Subscribe(ctx, "u1")
	keep := hub.Subscribe(t.Context(), "u2")
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
	a, b := hub.Subscribe(t.Context(), "u1"), hub.Subscribe(t.Context(), "u2")
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
	ch := hub.Subscribe(t.Context(), "u1")
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
