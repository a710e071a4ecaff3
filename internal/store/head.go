package store

import (
	"context"
	"fmt"
	"strings"
)

// Heads are the one-row counters every write advances: the change log's
// sequence (change_counter) and the audit chain's last event (audit_head).
// A group commit, on either engine, advances each once, just before it
// commits (see Deferred), by the number of rows its writes append; on
// PostgreSQL, when it numbers its own rows, it reads and locks both head
// rows at once (NumbersLater, heldHeads) and holds them until its commit
// has been flushed; otherwise the sequencer's rounds advance them for the
// rows it left pending (pgseq.go).

// Head is the value of one head row.
type Head struct {
	Seq  int64
	Hash string // audit_head only
}

// heldHeads are the head rows as NumbersLater read them on PostgreSQL,
// locked by the transaction until it commits: the numbers are given from
// here, and each log's first INSERT moves its head in the same statement
// (changeHeadCTE, AppendAuditEvents): three round trips where there were
// six.
type heldHeads struct {
	change int64
	audit  Head
}

// advanceChangeHead adds n to the change counter and returns the value it
// had: this transaction's rows are numbered from that value + 1. With the
// heads held (heldHeads) the counter is moved by the rows' INSERT, through
// changeHeadCTE.
func (tx *Tx) advanceChangeHead(ctx context.Context, n int) (int64, error) {
	if h := tx.held; h != nil {
		seq := h.change
		h.change += int64(n)
		return seq, nil
	}
	var seq int64
	if err := tx.get(ctx, &seq, `UPDATE change_counter SET seq = seq + ? WHERE id = 1 RETURNING seq`, n); err != nil {
		return 0, fmt.Errorf("advance change counter: %w", err)
	}
	return seq - int64(n), nil
}

// changeHeadCTE is the WITH clause that moves the held change counter
// with the INSERT of the rows advanceChangeHead numbered, or "" when the
// counter was moved already.
func (tx *Tx) changeHeadCTE() (string, []any) {
	if tx.held == nil {
		return "", nil
	}
	return `WITH head AS (UPDATE change_counter SET seq = ? WHERE id = 1) `, []any{tx.held.change}
}

// AdvanceAuditHead adds n to the audit head's sequence and returns the
// head as it was: the chain continues from its Seq and Hash. The caller
// writes the events and the new head with AppendAuditEvents before the
// transaction commits.
func (tx *Tx) AdvanceAuditHead(ctx context.Context, n int) (Head, error) {
	if h := tx.held; h != nil {
		head := h.audit
		h.audit.Seq += int64(n)
		return head, nil
	}
	var row struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	if err := tx.get(ctx, &row, `UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash`, n); err != nil {
		return Head{}, fmt.Errorf("advance audit head: %w", err)
	}
	return Head{Seq: row.Seq - int64(n), Hash: row.Hash}, nil
}

// AppendAuditEvents inserts the audit chain's rows (each of ncols values
// for cols) that AdvanceAuditHead numbered, and sets the head to last,
// the chain's new last event. On PostgreSQL both are one statement.
func (tx *Tx) AppendAuditEvents(ctx context.Context, cols string, ncols int, rows [][]any, last Head) error {
	const move = `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`
	if tx.engine != Postgres {
		if err := tx.insertRows(ctx, "audit_event", cols, ncols, rows); err != nil {
			return err
		}
		_, err := tx.exec(ctx, move, last.Seq, last.Hash)
		return err
	}
	return tx.insertRowsWith(ctx, `WITH head AS (`+move+`) `, []any{last.Seq, last.Hash}, "audit_event", cols, ncols, rows)
}

// Deferred is work gathered during a transaction and done just before it
// commits: the appends to the logs (the change log, the audit chain). In a
// SQLite group they are numbered and written one after the other; on
// PostgreSQL they are written unnumbered to the pending tables, for the
// sequencer.
type Deferred interface {
	// Flush writes what was gathered; it runs inside the transaction.
	Flush(ctx context.Context, tx *Tx) error
	// Len and Truncate let a savepoint that rolls back drop what was
	// gathered inside it.
	Len() int
	Truncate(n int)
}

type deferredSlot struct {
	key  any
	rank int
	d    Deferred
}

// Ranks order the flushes, and so the head locks they take (and the logs
// of a sequencer's round): every transaction takes them in the same order,
// so none waits on another in a cycle.
const (
	// RankWatch is work on what the heads will carry, done before any
	// head is locked: the misuse alerts computed from the audit events.
	RankWatch = iota - 1
	RankChanges
	RankAudit
)

// Defer returns the transaction's Deferred for key, made by mk on first
// use; it is flushed after those of lower rank.
func (tx *Tx) Defer(key any, rank int, mk func() Deferred) Deferred {
	for _, s := range tx.deferred {
		if s.key == key {
			return s.d
		}
	}
	d := mk()
	i := len(tx.deferred)
	for i > 0 && tx.deferred[i-1].rank > rank {
		i--
	}
	tx.deferred = append(tx.deferred, deferredSlot{})
	copy(tx.deferred[i+1:], tx.deferred[i:])
	tx.deferred[i] = deferredSlot{key, rank, d}
	return d
}

// deferredMarks remembers how much each Deferred held, for a savepoint.
func (tx *Tx) deferredMarks() map[any]int {
	marks := make(map[any]int, len(tx.deferred))
	for _, s := range tx.deferred {
		marks[s.key] = s.d.Len()
	}
	return marks
}

// truncateDeferred drops what was gathered after marks were taken (all of
// it for a Deferred made since).
func (tx *Tx) truncateDeferred(marks map[any]int) {
	for _, s := range tx.deferred {
		s.d.Truncate(marks[s.key])
	}
}

// finish does the deferred work, just before the commit.
func (tx *Tx) finish(ctx context.Context) error {
	for _, s := range tx.deferred {
		if err := s.d.Flush(ctx, tx); err != nil {
			return err
		}
	}
	if tx.leftPending {
		// The round that numbers this transaction's rows commits after it,
		// and its flush reaches past this commit in the log: waiting for a
		// flush of its own would only make the writes wait twice (see
		// docs/ARCHITECTURE.md, "Writes on PostgreSQL").
		if _, err := tx.exec(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return err
		}
	}
	return nil
}

// insertRows runs an INSERT of rows (each with ncols values) in statements
// of up to 64 rows: one round trip for a transaction's appends on
// PostgreSQL. Each row count is its own statement text, so the SQLite
// writer keeps at most 64 of them per table (see Tx.stmt).
func (tx *Tx) insertRows(ctx context.Context, table, cols string, ncols int, rows [][]any) error {
	_, err := tx.insertChunks(ctx, "INSERT INTO "+table+" ("+cols+")", "", ncols, 64, rows)
	return err
}

// insertRowsWith is insertRows with a WITH clause (with, taking withArgs)
// before the first statement's INSERT: on PostgreSQL a data-modifying
// CTE runs with the statement, once, whether or not it is read.
func (tx *Tx) insertRowsWith(ctx context.Context, with string, withArgs []any, table, cols string, ncols int, rows [][]any) error {
	if with == "" || len(rows) == 0 {
		return tx.insertRows(ctx, table, cols, ncols, rows)
	}
	n := min(len(rows), 64)
	q, args := valuesSQL(with+"INSERT INTO "+table+" ("+cols+")", "", ncols, rows[:n])
	if _, err := tx.exec(ctx, q, append(withArgs, args...)...); err != nil {
		return err
	}
	return tx.insertRows(ctx, table, cols, ncols, rows[n:])
}

// insertChunks runs head (an INSERT … without VALUES) followed by rows of
// ncols values, up to per rows a statement, with tail (an ON CONFLICT
// clause or "") after the rows. It returns the rows it inserted.
func (tx *Tx) insertChunks(ctx context.Context, head, tail string, ncols, per int, rows [][]any) (int64, error) {
	var total int64
	for len(rows) > 0 {
		n := min(len(rows), per)
		q, args := valuesSQL(head, tail, ncols, rows[:n])
		k, err := tx.exec(ctx, q, args...)
		if err != nil {
			return total, err
		}
		total += k
		rows = rows[n:]
	}
	return total, nil
}

// insertReturning runs head, rows of ncols values and tail (a RETURNING
// clause) as one statement and reads what it returns into dst.
func (tx *Tx) insertReturning(ctx context.Context, dst any, head, tail string, ncols int, rows [][]any) error {
	q, args := valuesSQL(head, tail, ncols, rows)
	return tx.sel(ctx, dst, q, args...)
}

// valuesSQL is head, " VALUES ", a (?, …) of ncols for each row, and tail,
// with the rows' values as its arguments.
func valuesSQL(head, tail string, ncols int, rows [][]any) (string, []any) {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	var b strings.Builder
	b.Grow(len(head) + len(rows)*(len(one)+2) + len(tail) + 9)
	b.WriteString(head)
	b.WriteString(" VALUES ")
	args := make([]any, 0, len(rows)*ncols)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
		args = append(args, r...)
	}
	if tail != "" {
		b.WriteString(" ")
		b.WriteString(tail)
	}
	return b.String(), args
}

// InsertRows is insertRows for the packages that own their tables (audit).
func (tx *Tx) InsertRows(ctx context.Context, table, cols string, ncols int, rows [][]any) error {
	return tx.insertRows(ctx, table, cols, ncols, rows)
}
