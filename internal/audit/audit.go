// Package audit is Tsunagu's append-only, hash-chained audit log. Every read
// or write of patient data and every sign-in event appends one Event in the
// same transaction as the work it describes. Each event's hash covers its
// fields and the previous event's hash, so changing, removing or inserting
// a row anywhere breaks the chain from there on; Verify finds the first
// broken link. The application never updates or deletes audit rows, and the
// schema's triggers refuse it.
package audit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"tsunagu/internal/store"
)

// Results of an audited action.
const (
	ResultOK     = "ok"
	ResultDenied = "denied"
	ResultFailed = "failed"
)

// Event is one audit entry. It names who, what, which patient and resource,
// when, from where and how it ended — never patient details themselves.
type Event struct {
	Seq           int64     `db:"seq" json:"seq"`
	At            time.Time `db:"at" json:"at"`
	ActorID       string    `db:"actor_id" json:"actor_id"`
	ActorFacility string    `db:"actor_facility" json:"actor_facility_id"`
	Action        string    `db:"action" json:"action"`
	PatientID     string    `db:"patient_id" json:"patient_id"`
	ResourceType  string    `db:"resource_type" json:"resource_type"`
	ResourceID    string    `db:"resource_id" json:"resource_id"`
	Result        string    `db:"result" json:"result"`
	Address       string    `db:"address" json:"address"`
	RequestID     string    `db:"request_id" json:"request_id"`
	PrevHash      string    `db:"prev_hash" json:"prev_hash"`
	Hash          string    `db:"hash" json:"hash"`
	// Detail says what a change changed, in codes only (never patient data),
	// e.g. "care_worker>nurse" for user.profession.change.
	Detail string `db:"detail" json:"detail,omitempty"`
}

const columns = `seq, at, actor_id, actor_facility, action, patient_id, resource_type, resource_id, result, address, request_id, prev_hash, hash, detail`

// Append adds events to the log as part of tx, in the order appended.
// On SQLite they are chained and written when the group commit ends
// (store.Deferred), and Seq, PrevHash and Hash are set on the events then.
// On PostgreSQL they are written unchained to audit_pending with tx, and
// the sequencer's round chains them after tx commits, before DB.Write
// returns (numberPending); the Event values are not updated. Either way
// one writer at a time extends the chain, so it never forks.
func Append(ctx context.Context, tx *store.Tx, events ...*Event) error {
	if len(events) == 0 {
		return nil
	}
	buf := tx.Defer(pendingKey{}, store.RankAudit, func() store.Deferred { return &pending{} }).(*pending)
	buf.events = append(buf.events, events...)
	if w, ok := tx.Attached(watcherKey{}).(Watcher); ok {
		tx.Defer(watchingKey{}, store.RankWatch, func() store.Deferred { return &watching{w: w, p: buf} })
	}
	return nil
}

// Watcher sees every event appended through a database, in the
// transaction that appends it (the misuse alerts, internal/alerts).
type Watcher interface {
	// Watch is given a transaction's events when it commits, just before
	// they are written and before any head row is locked (store.RankWatch),
	// so its work runs in parallel with other writers on PostgreSQL. The
	// events' Seq and hashes are not set yet. An error fails the
	// transaction, as a failed audit write does.
	Watch(ctx context.Context, tx *store.Tx, events []*Event) error
}

// Watch makes w see every event appended through db from now on.
func Watch(db *store.DB, w Watcher) { db.Attach(watcherKey{}, w) }

type watcherKey struct{}
type watchingKey struct{}

// watching hands a transaction's events to its Watcher. It holds nothing
// of its own: a savepoint that rolls back truncates the pending events it
// reads.
type watching struct {
	w Watcher
	p *pending
}

func (w *watching) Len() int     { return 0 }
func (w *watching) Truncate(int) {}
func (w *watching) Flush(ctx context.Context, tx *store.Tx) error {
	if len(w.p.events) == 0 {
		return nil
	}
	return w.w.Watch(ctx, tx, w.p.events)
}

type pendingKey struct{}

// pending holds a transaction's events until it commits.
type pending struct{ events []*Event }

func (p *pending) Len() int       { return len(p.events) }
func (p *pending) Truncate(n int) { p.events = p.events[:n] }

func (p *pending) Flush(ctx context.Context, tx *store.Tx) error {
	if len(p.events) == 0 {
		return nil
	}
	if later, err := tx.NumbersLater(ctx); err != nil {
		return err
	} else if later {
		rows := make([][]any, len(p.events))
		for i, e := range p.events {
			rows[i] = []any{store.UTC(e.At), e.ActorID, e.ActorFacility, e.Action, e.PatientID, e.ResourceType, e.ResourceID, e.Result, e.Address, e.RequestID, e.Detail}
		}
		if err := tx.InsertRows(ctx, "audit_pending", pendingColumns, 11, rows); err != nil {
			return fmt.Errorf("insert audit event: %w", err)
		}
		tx.LeftPending()
		p.events = p.events[:0]
		return nil
	}
	if err := chain(ctx, tx, p.events); err != nil {
		return err
	}
	p.events = p.events[:0]
	return nil
}

// pendingColumns are audit_pending's columns but its id: an event's own
// fields, without its place in the chain.
const pendingColumns = `at, actor_id, actor_facility, action, patient_id, resource_type, resource_id, result, address, request_id, detail`

func init() { store.RegisterNumberer(store.RankAudit, numberPending) }

// numberPending moves the events that PostgreSQL writes left in
// audit_pending onto the chain, in the order they were written, inside a
// sequencer's round (store.Numberer).
func numberPending(ctx context.Context, tx *store.Tx) (int, error) {
	type row struct {
		ID int64 `db:"id"`
		Event
	}
	// All of them: the round's lock keeps other rounds off them.
	var rows []row
	if err := tx.Select(ctx, &rows, `DELETE FROM audit_pending RETURNING id, `+pendingColumns); err != nil {
		return 0, fmt.Errorf("take pending audit events: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.ID, b.ID) })
	events := make([]*Event, len(rows))
	for i := range rows {
		events[i] = &rows[i].Event
	}
	return len(rows), chain(ctx, tx, events)
}

// chain numbers events after the audit head, links each to the one
// before, writes them and moves the head to the last (one statement on
// PostgreSQL, store.Tx.AppendAuditEvents).
func chain(ctx context.Context, tx *store.Tx, events []*Event) error {
	head, err := tx.AdvanceAuditHead(ctx, len(events))
	if err != nil {
		return err
	}
	seq, prev := head.Seq, head.Hash
	rows := make([][]any, len(events))
	for i, e := range events {
		seq++
		e.Seq = seq
		e.At = store.UTC(e.At)
		e.PrevHash = prev
		e.Hash = e.computeHash()
		prev = e.Hash
		rows[i] = []any{e.Seq, e.At, e.ActorID, e.ActorFacility, e.Action, e.PatientID, e.ResourceType, e.ResourceID, e.Result, e.Address, e.RequestID, e.PrevHash, e.Hash, e.Detail}
	}
	if err := tx.AppendAuditEvents(ctx, columns, 14, rows, store.Head{Seq: seq, Hash: prev}); err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	return nil
}

// computeHash is SHA-256 over the previous hash and every field, each
// length-prefixed so that no two different events encode alike.
func (e *Event) computeHash() string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.ActorID, e.ActorFacility,
		e.Action, e.PatientID, e.ResourceType, e.ResourceID, e.Result, e.Address, e.RequestID} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	if e.Detail != "" { // added later: events without one keep their hash
		fmt.Fprintf(h, "%d:%s;", len(e.Detail), e.Detail)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Break describes the first place the chain does not hold.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Verify walks the whole log in order and returns the number of events
// checked and, if the chain is broken, the first broken link.
func Verify(ctx context.Context, db *store.DB) (int64, *Break, error) {
	const page = 5000
	var checked, after int64
	prev := ""
	for {
		var evs []Event
		err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &evs, `SELECT `+columns+` FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?`, after, page)
		})
		if err != nil {
			return checked, nil, fmt.Errorf("read audit events: %w", err)
		}
		for i := range evs {
			e := &evs[i]
			switch {
			case e.Seq != after+1:
				return checked, &Break{Seq: after + 1, Reason: fmt.Sprintf("event missing (next present is %d)", e.Seq)}, nil
			case e.PrevHash != prev:
				return checked, &Break{Seq: e.Seq, Reason: "previous-hash link does not match"}, nil
			case e.computeHash() != e.Hash:
				return checked, &Break{Seq: e.Seq, Reason: "content does not match its hash"}, nil
			}
			prev, after = e.Hash, e.Seq
			checked++
		}
		if len(evs) < page {
			break
		}
	}
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.Get(ctx, &head, `SELECT seq, hash FROM audit_head WHERE id = 1`)
	}); err != nil {
		return checked, nil, err
	}
	if head.Seq != after || head.Hash != prev {
		return checked, &Break{Seq: after + 1, Reason: fmt.Sprintf("log ends at %d but the head says %d (events removed from the end?)", after, head.Seq)}, nil
	}
	return checked, nil, nil
}

// Filter narrows a query of the log. Empty fields do not filter.
type Filter struct {
	ActorID       string
	ActorFacility string
	PatientID     string
	Action        string // exact, or a prefix ending in "." (e.g. "session.")
	Result        string
	From, To      time.Time
	BeforeSeq     int64 // keyset paging: events with seq < BeforeSeq
	Limit         int
}

// Query returns events matching f, newest first.
func Query(ctx context.Context, tx *store.Tx, f Filter) ([]Event, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.ActorFacility != "" {
		add("actor_facility = ?", f.ActorFacility)
	}
	if f.PatientID != "" {
		add("patient_id = ?", f.PatientID)
	}
	if strings.HasSuffix(f.Action, ".") {
		add("action LIKE ?", strings.ReplaceAll(f.Action, "_", `\_`)+"%")
		where[len(where)-1] += ` ESCAPE '\'`
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Result != "" {
		add("result = ?", f.Result)
	}
	if !f.From.IsZero() {
		add("at >= ?", store.UTC(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", store.UTC(f.To))
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT ` + columns + ` FROM audit_event`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	evs := []Event{}
	if err := tx.Select(ctx, &evs, q, args...); err != nil {
		return nil, fmt.Errorf("query audit: %w", err)
	}
	return evs, nil
}
