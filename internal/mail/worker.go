package mail

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/mail"
	"sync"
	"time"

	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// Transport sends one complete message to one recipient (Sender; a test
// may wrap it).
type Transport interface {
	Send(ctx context.Context, to string, msg []byte) error
}

// Worker delivers the mail outbox as notify.Worker delivers pushes: rows
// written in the transaction of their cause are claimed for a lease
// (FOR UPDATE SKIP LOCKED on PostgreSQL), sent, then deleted. A worker that
// dies holding rows loses nothing: once the lease runs out they are due
// again. A message is never started past its lease (less a margin), so two
// workers do not send one row at the same time.
//
// The one case of a second copy is a crash after the SMTP server accepted
// a message and before its rows were deleted; the copy carries the same
// Message-ID (MessageID of the first row), so receivers that keep one
// message per Message-ID show it once.
type Worker struct {
	DB        *store.DB
	Transport Transport
	From      mail.Address
	AppURL    string // the public origin, for the link in every mail
	Log       *slog.Logger
	Now       func() time.Time
	Batch     int           // rows claimed at once (default 64)
	Poll      time.Duration // how often to look without a wake-up (default 5s)
	Claim     time.Duration // lease (default 1 min)
	// GiveUpAfter drops rows older than this (default 24h).
	GiveUpAfter time.Duration
	// OnResult hears "sent", "retry", "failed" (given up or refused) and
	// "dropped" (the address is no longer verified), once per message.
	OnResult func(result string)
	// AfterSend, when set, runs after the server accepted a message and
	// before its rows are marked sent; an error leaves them claimed, as a
	// crash there would (fault injection for tests).
	AfterSend func(ids []string) error

	wake chan struct{}
	once sync.Once
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Batch <= 0 {
			w.Batch = 64
		}
		if w.Poll <= 0 {
			w.Poll = 5 * time.Second
		}
		if w.Claim <= 0 {
			w.Claim = time.Minute
		}
		if w.GiveUpAfter <= 0 {
			w.GiveUpAfter = 24 * time.Hour
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

// Run delivers until ctx ends (the outbox workers' loop, notify.Drain).
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	return notify.Drain(ctx, w.Poll, w.wake, w.Batch, w.RunOnce, func(err error) { w.Log.Error("mail outbox delivery failed", "err", err) })
}

// group is the rows that leave as one message.
type group struct {
	items []store.MailItem
}

func (g group) ids() []string {
	out := make([]string, len(g.items))
	for i, it := range g.items {
		out[i] = it.ID
	}
	return out
}

// RunOnce claims one batch of due rows and sends it; it returns how many
// rows it claimed. A row that cannot be recorded after sending is reported
// as an error; its lease keeps others off it until it runs out.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	now := w.Now()
	var items []store.MailItem
	err := w.DB.Write(ctx, func(tx *store.Tx) (err error) {
		items, err = tx.ClaimMail(ctx, now, now.Add(w.Claim), w.Batch)
		return err
	})
	if err != nil || len(items) == 0 {
		return 0, err
	}
	var groups []group
	var dropped []string
	gathered := map[string]int{} // user → index in groups
	for _, it := range items {
		if !it.Deliverable {
			dropped = append(dropped, it.ID)
			continue
		}
		if it.Gather {
			key := it.UserID + "\x00" + it.Address
			if i, ok := gathered[key]; ok {
				groups[i].items = append(groups[i].items, it)
				continue
			}
			gathered[key] = len(groups)
		}
		groups = append(groups, group{items: []store.MailItem{it}})
	}
	claim := items[0].ClaimedUntil.Time
	// The bookkeeping after a send outlives a shutdown: a message the SMTP
	// server accepted is marked done even while the worker stops.
	wctx := context.WithoutCancel(ctx)
	var errs []error
	if len(dropped) > 0 {
		errs = append(errs, w.DB.Write(wctx, func(tx *store.Tx) error {
			return tx.CompleteMail(wctx, dropped, claim)
		}))
		for range dropped {
			w.result("dropped")
		}
	}
	for _, g := range groups {
		errs = append(errs, w.deliver(ctx, g, claim))
	}
	return len(items), errors.Join(errs...)
}

func (w *Worker) result(r string) {
	if w.OnResult != nil {
		w.OnResult(r)
	}
}

func (w *Worker) deliver(ctx context.Context, g group, claim time.Time) error {
	wctx := context.WithoutCancel(ctx) // the bookkeeping outlives a shutdown
	margin := w.Claim / 10
	left := claim.Sub(w.Now()) - margin
	first := g.items[0]
	ids := g.ids()
	if left < margin {
		// Too late in the lease to start: hand the rows back untouched.
		return w.DB.Write(wctx, func(tx *store.Tx) error {
			return tx.RetryMail(wctx, ids, claim, w.Now())
		})
	}
	var c Content
	if first.Kind == KindVerify {
		c = Verification(w.AppURL, first.Secret)
	} else {
		counts := map[string]int{}
		for _, it := range g.items {
			counts[it.Kind]++
		}
		c = Gathered(counts, w.AppURL)
	}
	msg := Compose(w.From, first.Address, c, MessageID(first.ID, w.From), w.Now())
	sendCtx, cancel := context.WithTimeout(ctx, left)
	err := w.Transport.Send(sendCtx, first.Address, msg)
	cancel()
	if err == nil && w.AfterSend != nil {
		if ferr := w.AfterSend(ids); ferr != nil {
			return ferr
		}
	}
	now := w.Now()
	var record func(tx *store.Tx) error
	switch {
	case err == nil:
		w.result("sent")
		record = func(tx *store.Tx) error { return tx.CompleteMail(wctx, ids, claim) }
	case errors.Is(err, ErrPermanent) || now.Sub(first.CreatedAt) > w.GiveUpAfter:
		w.result("failed")
		w.Log.Warn("mail not sent, given up", "outbox_id", first.ID, "attempts", first.Attempts, "err", err)
		record = func(tx *store.Tx) error { return tx.CompleteMail(wctx, ids, claim) }
	default:
		w.result("retry")
		w.Log.Warn("mail not sent, will retry", "outbox_id", first.ID, "attempts", first.Attempts, "err", err)
		record = func(tx *store.Tx) error { return tx.RetryMail(wctx, ids, claim, now.Add(Backoff(first.Attempts))) }
	}
	return w.DB.Write(wctx, record)
}

// Backoff is exponential from 30 s, capped at 1 h.
func Backoff(attempts int64) time.Duration {
	d := time.Duration(float64(30*time.Second) * math.Pow(2, float64(max(attempts-1, 0))))
	return min(d, time.Hour)
}
