package notify

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"tsunagu/internal/store"
)

// DefaultLease is how long a worker holds the rows it claimed unless
// Worker.Claim says otherwise; MinLease is the shortest lease allowed.
const (
	DefaultLease = time.Minute
	MinLease     = 2 * time.Second
)

// Worker delivers the outbox: rows written in the transaction of the record
// that caused them, so a push is never announced for unwritten data and
// never lost by a crash. Rows are claimed for a lease before sending (with
// FOR UPDATE SKIP LOCKED on PostgreSQL), so several instances share the work
// and a crashed worker's claims simply expire and are sent again.
//
// A push is sent at most once while nothing crashes: a send is never
// started, and never allowed to run, past its row's lease (less a tenth of
// the lease as a margin), and a worker whose lease ran out meanwhile does
// not release the row another worker may hold by then. A row whose send was
// in flight when its process died is the one case of a second delivery.
type Worker struct {
	DB     *store.DB
	Sender interface {
		Send(ctx context.Context, m Message) (Outcome, time.Duration, error)
	}
	Log         *slog.Logger
	Now         func() time.Time
	Concurrency int           // parallel sends (default 8)
	Batch       int           // rows claimed at once (default 64)
	Poll        time.Duration // how often to look without a wake-up (default 2s)
	Claim       time.Duration // how long a claim holds (default DefaultLease)
	GiveUpAfter time.Duration // drop rows older than this (default 24h, the TTL)
	// OnOutcome, when set, hears each send's outcome (for metrics).
	OnOutcome func(Outcome)

	wake chan struct{}
	once sync.Once
	// unrecorded are the outcomes of sends whose recording failed (the
	// database was down): they are written before anything new is claimed,
	// so a push the service accepted is not claimed and sent again.
	mu         sync.Mutex
	unrecorded map[string]func(*store.Tx) error
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Concurrency <= 0 {
			w.Concurrency = 8
		}
		if w.Batch <= 0 {
			w.Batch = 64
		}
		if w.Poll <= 0 {
			w.Poll = 2 * time.Second
		}
		if w.Claim <= 0 {
			w.Claim = DefaultLease
		}
		if w.GiveUpAfter <= 0 {
			w.GiveUpAfter = DefaultTTL
		}
		if w.Now == nil {
			w.Now = func() time.Time { return time.Now().UTC() }
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
	})
}

// Wake tells the worker there is new work; it never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	return Drain(ctx, w.Poll, w.wake, w.Batch, w.RunOnce, func(err error) { w.Log.Error("outbox delivery failed", "err", err) })
}

// Drain runs once until a batch comes back short (or fails), then waits for
// a wake-up or the next poll, until ctx ends: the loop of every outbox
// worker (Web Push here, e-mail in internal/mail). A failure is reported to
// failed unless ctx ended.
func Drain(ctx context.Context, poll time.Duration, wake <-chan struct{}, batch int, once func(context.Context) (int, error), failed func(error)) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			n, err := once(ctx)
			if err != nil && ctx.Err() == nil {
				failed(err)
			}
			if n < batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due rows and sends it; it returns how many
// rows it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	if err := w.recordPending(ctx); err != nil {
		return 0, err
	}
	now := w.Now()
	var items []store.OutboxItem
	err := w.DB.Write(ctx, func(tx *store.Tx) (err error) {
		items, err = tx.ClaimPushes(ctx, now, now.Add(w.Claim), w.Batch)
		return err
	})
	if err != nil || len(items) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func(it store.OutboxItem) {
			defer wg.Done()
			defer func() { <-sem }()
			w.deliver(ctx, it)
		}(it)
	}
	wg.Wait()
	return len(items), nil
}

func (w *Worker) deliver(ctx context.Context, it store.OutboxItem) {
	claim := it.ClaimedUntil.Time
	// The send must end before the lease does, or another worker could
	// claim the row and send it too. The clock may be injected, so the
	// deadline is a duration from now rather than an instant.
	margin := w.Claim / 10
	left := claim.Sub(w.Now()) - margin
	if left < margin {
		// The batch took too long to reach this row: hand it back untouched.
		if err := w.DB.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.RetryPush(ctx, it.ID, claim, w.Now())
		}); err != nil {
			w.Log.Error("outbox update failed", "outbox_id", it.ID, "err", err)
		}
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	ttl := DefaultTTL - w.Now().Sub(it.CreatedAt)
	if ttl < time.Minute {
		ttl = time.Minute
	}
	outcome, after, err := w.Sender.Send(sendCtx, Message{Endpoint: it.Endpoint, P256dh: it.P256dh, Auth: it.Auth,
		Payload: []byte(it.Payload), TTL: ttl, Topic: it.Topic, Urgency: it.Urgency})
	if w.OnOutcome != nil {
		w.OnOutcome(outcome)
	}
	now := w.Now()
	record := func(tx *store.Tx) error {
		switch outcome {
		case Delivered:
			return tx.CompletePush(ctx, it.ID)
		case Gone:
			return tx.DeletePushSubscriptionByID(ctx, it.SubscriptionID)
		case Rejected:
			w.Log.Warn("push rejected", "outbox_id", it.ID, "err", err)
			return tx.CompletePush(ctx, it.ID)
		}
		if now.Sub(it.CreatedAt) > w.GiveUpAfter {
			w.Log.Warn("push given up", "outbox_id", it.ID, "attempts", it.Attempts)
			return tx.CompletePush(ctx, it.ID)
		}
		return tx.RetryPush(ctx, it.ID, claim, now.Add(backoff(it.Attempts, after)))
	}
	if werr := w.DB.Write(context.WithoutCancel(ctx), record); werr != nil {
		w.Log.Error("outbox update failed; kept to record before the next claim", "outbox_id", it.ID, "err", werr)
		w.mu.Lock()
		if w.unrecorded == nil {
			w.unrecorded = map[string]func(*store.Tx) error{}
		}
		w.unrecorded[it.ID] = record
		w.mu.Unlock()
	}
}

// recordPending writes the outcomes whose recording failed, all in one
// transaction; until it succeeds the worker claims nothing. The window
// left: another instance may claim such a row once its lease has run out
// (TSUNAGU_PUSH_LEASE) before this one records it, and send it again.
func (w *Worker) recordPending(ctx context.Context) error {
	w.mu.Lock()
	pending := w.unrecorded
	w.unrecorded = nil
	w.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := w.DB.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		for _, record := range pending {
			if err := record(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.mu.Lock()
		if w.unrecorded == nil {
			w.unrecorded = map[string]func(*store.Tx) error{}
		}
		for id, record := range pending {
			if _, newer := w.unrecorded[id]; !newer {
				w.unrecorded[id] = record
			}
		}
		w.mu.Unlock()
		return fmt.Errorf("record earlier push outcomes: %w", err)
	}
	return nil
}

// backoff is exponential from 5 s, capped at 30 min, and never sooner than
// the push service's Retry-After.
func backoff(attempts int64, retryAfter time.Duration) time.Duration {
	d := time.Duration(float64(5*time.Second) * math.Pow(2, float64(max(attempts-1, 0))))
	if d > 30*time.Minute {
		d = 30 * time.Minute
	}
	if retryAfter > d {
		d = retryAfter
	}
	return d
}
