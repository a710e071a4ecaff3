package store

import (
	"context"
	"fmt"
)

// Heads are the one-row counters every write advances: the change log's
// sequence (change_counter) and the audit chain's last event (audit_head).
// A transaction reads each once — taking its row lock on PostgreSQL, which
// orders concurrent writers — advances it in memory, and writes it back
// once just before it commits. A group of writes sharing one transaction
// (see committer) thus touches each head row twice, not three times per
// write; a savepoint that rolls back restores the heads it had advanced.

// Head is the value of one head row.
type Head struct {
	Seq  int64
	Hash string // audit_head only
}

type headKind int

const (
	changeHead headKind = iota
	auditHead
	nHeads
)

var headSQL = [nHeads]struct{ lock, read, write string }{
	changeHead: {`UPDATE change_counter SET seq = seq WHERE id = 1`, `SELECT seq, '' AS hash FROM change_counter WHERE id = 1`,
		`UPDATE change_counter SET seq = ? WHERE id = 1`},
	auditHead: {`UPDATE audit_head SET seq = seq WHERE id = 1`, `SELECT seq, hash FROM audit_head WHERE id = 1`,
		`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`},
}

type headState struct {
	loaded      bool
	cur, stored Head
}

func (tx *Tx) head(ctx context.Context, k headKind) (*headState, error) {
	h := &tx.heads[k]
	if h.loaded {
		return h, nil
	}
	if tx.engine == Postgres {
		// The row lock, held to commit, is what orders the writers.
		if _, err := tx.exec(ctx, headSQL[k].lock); err != nil {
			return nil, fmt.Errorf("lock head: %w", err)
		}
	}
	var row struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	if err := tx.get(ctx, &row, headSQL[k].read); err != nil {
		return nil, fmt.Errorf("read head: %w", err)
	}
	h.loaded, h.cur, h.stored = true, Head{Seq: row.Seq, Hash: row.Hash}, Head{Seq: row.Seq, Hash: row.Hash}
	return h, nil
}

// AuditHead returns the audit chain's head as this transaction sees it.
func (tx *Tx) AuditHead(ctx context.Context) (Head, error) {
	h, err := tx.head(ctx, auditHead)
	if err != nil {
		return Head{}, err
	}
	return h.cur, nil
}

// SetAuditHead advances the audit chain's head; it is written at commit.
func (tx *Tx) SetAuditHead(h Head) {
	tx.heads[auditHead].cur = h
}

// flushHeads writes the heads this transaction advanced.
func (tx *Tx) flushHeads(ctx context.Context) error {
	for k := range tx.heads {
		h := &tx.heads[k]
		if !h.loaded || h.cur == h.stored {
			continue
		}
		var err error
		if headKind(k) == auditHead {
			_, err = tx.exec(ctx, headSQL[k].write, h.cur.Seq, h.cur.Hash)
		} else {
			_, err = tx.exec(ctx, headSQL[k].write, h.cur.Seq)
		}
		if err != nil {
			return fmt.Errorf("write head: %w", err)
		}
		h.stored = h.cur
	}
	return nil
}

// Deferred is work gathered during a transaction and done just before it
// commits: the appends that advance a head (the change log, the audit
// chain). Done last, they hold the head's row lock on PostgreSQL only for
// the moment of the commit, so concurrent writers do everything else in
// parallel; in a SQLite group they are written one after the other.
type Deferred interface {
	// Flush writes what was gathered; it runs inside the transaction.
	Flush(ctx context.Context, tx *Tx) error
	// Len and Truncate let a savepoint that rolls back drop what was
	// gathered inside it.
	Len() int
	Truncate(n int)
}

type deferredSlot struct {
	key any
	d   Deferred
}

// Defer returns the transaction's Deferred for key, made by mk on first use.
func (tx *Tx) Defer(key any, mk func() Deferred) Deferred {
	for _, s := range tx.deferred {
		if s.key == key {
			return s.d
		}
	}
	d := mk()
	tx.deferred = append(tx.deferred, deferredSlot{key, d})
	return d
}

// deferredMarks remembers how much each Deferred held, for a savepoint.
func (tx *Tx) deferredMarks() []int {
	marks := make([]int, len(tx.deferred))
	for i, s := range tx.deferred {
		marks[i] = s.d.Len()
	}
	return marks
}

func (tx *Tx) truncateDeferred(marks []int) {
	for i, s := range tx.deferred {
		if i < len(marks) {
			s.d.Truncate(marks[i])
		} else {
			s.d.Truncate(0)
		}
	}
}

// finish does the deferred work and writes the heads, before the commit.
func (tx *Tx) finish(ctx context.Context) error {
	for _, s := range tx.deferred {
		if err := s.d.Flush(ctx, tx); err != nil {
			return err
		}
	}
	return tx.flushHeads(ctx)
}
