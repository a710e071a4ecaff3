package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// The sequencer numbers the rows PostgreSQL writes left pending.
//
// PostgreSQL writes run in groups, on several lanes (group.go). A group
// whose logs are numbered later (NumbersLater: the counter is busy, or a
// round runs) leaves its change-log rows and audit events unnumbered in
// change_pending and audit_pending and commits without waiting for its
// own flush. The sequencer of its instance then moves every pending row
// into change_log and audit_event, numbered and chained, in one short
// transaction (a round) that holds the change counter's row; the group's
// writes are answered, and their after-commit hooks run, once a round
// that read the pending rows after its commit has committed (its flush,
// later in the log, covers the group's commit).
//
// So the head rows are held through a commit's flush only by a round, or
// by a group that found the counter free, and one round carries every
// group that committed since the previous one read. Each sequencer also
// sweeps for rows nobody waits for (an instance that died between a
// group's commit and its round) as it starts and every sweepInterval.
//
// Why a pull never skips a change: a sequence number is given only to a
// row already committed, by a round that holds the counter's row until its
// own commit, or to a group's own rows by the group, which holds it the
// same way; numberings, of this instance or another, follow one another,
// and their rows and the counter become visible at once. A reader that
// has seen the counter at N sees every row up to N, and any row committed
// later gets a number above N. A write's rows are numbered by the first
// round to read after its commit, whichever instance runs it; if its
// instance dies first, the next round of any instance numbers them (one
// starts with every instance, and a sweep looks every few seconds).

// Numberer moves the pending rows of one log into it, inside a round, and
// says how many it moved: the audit package's chain. Rounds run one at a
// time, across instances too.
type Numberer func(ctx context.Context, tx *Tx) (moved int, err error)

var (
	numberersMu sync.Mutex
	numberers   []rankedNumberer
)

type rankedNumberer struct {
	rank int
	fn   Numberer
}

// RegisterNumberer adds a log to the rounds, after those of lower rank
// (the change log is RankChanges). The audit package registers its chain.
func RegisterNumberer(rank int, fn Numberer) {
	numberersMu.Lock()
	defer numberersMu.Unlock()
	numberers = append(numberers, rankedNumberer{rank, fn})
	slices.SortStableFunc(numberers, func(a, b rankedNumberer) int { return a.rank - b.rank })
}

// NumbersLater reports whether the logs this transaction appends to are
// numbered after it commits, by the sequencer, rather than in its own
// commit. It is decided once, at the first flush of an append (Tx.finish),
// and always "in it" on SQLite, whose one writer numbers as it commits.
//
// On PostgreSQL a transaction that numbers its own rows holds the change
// counter's row (and the audit head's) from its numbering to the end of
// its commit's flush, and every other numbering waits for it, in every
// lane of every instance: one flush at a time. So a group numbers its own
// rows only when the counter is free this moment (SKIP LOCKED) and no
// round of this instance runs or is waited for; otherwise it leaves its
// rows pending, commits without waiting for a flush of its own, and waits
// for a round, which numbers the rows of every group committed meanwhile
// under one flush. Both ways mix safely: whoever numbers holds the
// counter's row until its commit, and takes it before the audit head's.
func (tx *Tx) NumbersLater(ctx context.Context) (bool, error) {
	if tx.numbers == 0 {
		tx.numbers = numbersInIt
		if tx.engine == Postgres {
			if tx.db.seq != nil && !tx.db.seq.idle() {
				tx.numbers = numbersLater
				return true, nil
			}
			if tx.db.seq == nil {
				// No sequencer to wait for: wait for the counter instead.
				if _, err := tx.exec(ctx, `SELECT seq FROM change_counter WHERE id = 1 FOR UPDATE`); err != nil {
					return false, fmt.Errorf("lock the change counter: %w", err)
				}
				return false, nil
			}
			// Both heads, read and locked at once: the logs are numbered
			// from what is read here and each INSERT moves its head
			// (heldHeads). Whoever holds the counter's row takes the audit
			// head's after it, so the audit head is free whenever the
			// counter is; were it not, the rows go pending, which is
			// always safe (the counter, if locked, is let go at the commit).
			var heads []struct {
				Change    int64  `db:"change_seq"`
				AuditSeq  int64  `db:"audit_seq"`
				AuditHash string `db:"audit_hash"`
			}
			if err := tx.sel(ctx, &heads, `SELECT c.seq AS change_seq, a.seq AS audit_seq, a.hash AS audit_hash
				FROM change_counter c, audit_head a WHERE c.id = 1 AND a.id = 1 FOR UPDATE SKIP LOCKED`); err != nil {
				return false, fmt.Errorf("lock the change counter: %w", err)
			}
			if len(heads) == 0 {
				tx.numbers = numbersLater
			} else {
				tx.held = &heldHeads{change: heads[0].Change, audit: Head{Seq: heads[0].AuditSeq, Hash: heads[0].AuditHash}}
			}
		}
	}
	return tx.numbers == numbersLater, nil
}

// How a transaction's logs are numbered (Tx.numbers): undecided until its
// first append's flush.
const (
	numbersUndecided int8 = iota
	numbersInIt
	numbersLater
)

// LeftPending notes that the transaction wrote pending rows: once it
// commits, its writes are answered after a round has numbered them.
func (tx *Tx) LeftPending() { tx.leftPending = true }

// pendingChange is a change the transaction left in change_pending, under
// the row id it got there.
type pendingChange struct {
	id int64
	c  *Change
}

// sweepInterval is how often a sequencer looks for rows left pending by
// an instance that died between a write's commit and its round.
const sweepInterval = 3 * time.Second

// round is the outcome of one round, shared by every write it answers.
type round struct {
	// seqs are the numbers this round gave, by change_pending id.
	seqs map[int64]int64
	// last is the counter when the round ended: at or past every number
	// given so far, in any instance.
	last int64
	err  error
}

type sequencer struct {
	pool    *sqlx.DB // one connection of its own: a round never queues behind the writers
	mu      sync.Mutex
	waiting []chan *round
	// claims are the change_pending ids of this instance's writes, from
	// just before their commit until they are answered, with the number a
	// round of this instance gave each (0 until then). Any round that runs
	// after a write's commit may number its rows (a sweep, or one for other
	// writes that ran before this write waited), not only the round that
	// answers it: the number is kept here until the write collects it.
	claims  map[int64]int64
	running bool // a round is under way
	// open is set while a round may still take more writes: until it
	// reads change_pending, every write committed by then is in its reach.
	open   bool
	closed bool
	// stopOnce: Close may be called more than once.
	stopOnce sync.Once
	wake     chan struct{}
	stop     chan struct{}
	stopped  chan struct{}
}

func (db *DB) startSequencer(pool *sqlx.DB) {
	s := &sequencer{pool: pool, claims: map[int64]int64{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	db.seq = s
	go db.sequence(s)
}

// stopSequencer answers the writes waiting (after one last round) and ends
// the sequencer.
func (db *DB) stopSequencer() {
	s := db.seq
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.stopped
	s.pool.Close()
}

// idle reports whether no round runs and no write waits for one.
func (s *sequencer) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.running && len(s.waiting) == 0
}

// claim notes a write's pending changes before it commits: whichever
// round of this instance numbers them keeps their numbers (settle).
func (s *sequencer) claim(ps []pendingChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.claims[p.id] = 0
	}
}

// settle keeps the numbers a round that committed gave to claimed rows.
func (s *sequencer) settle(seqs map[int64]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, seq := range seqs {
		if _, ok := s.claims[id]; ok {
			s.claims[id] = seq
		}
	}
}

// release drops a write's claims and sets the numbers its changes got:
// last, the counter after the round that answered it, for a change that
// another instance's round numbered (its number is at or below it).
func (s *sequencer) release(ps []pendingChange, last int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		if seq := s.claims[p.id]; seq > 0 {
			p.c.Seq = seq
		} else {
			p.c.Seq = last
		}
		delete(s.claims, p.id)
	}
}

// awaitRound waits for a round that reads the pending rows after now.
func (db *DB) awaitRound(ctx context.Context) (*round, error) {
	s := db.seq
	ch := make(chan *round, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.waiting = append(s.waiting, ch)
	open := s.open
	s.mu.Unlock()
	if !open {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		// The round still numbers the rows; only this answer is not waited for.
		return nil, ctx.Err()
	}
}

// awaitNumbered is the end of a PostgreSQL group that left pending rows:
// it waits for their round and sets the numbers of its changes.
func (tx *Tx) awaitNumbered(ctx context.Context) error {
	r, err := tx.db.awaitRound(ctx)
	if err != nil {
		tx.db.seq.release(tx.pendingChanges, 0)
		return fmt.Errorf("number the logs: %w", err)
	}
	tx.db.seq.release(tx.pendingChanges, r.last)
	return nil
}

// sequence runs rounds for the writes that wait, one round for all those
// that arrived meanwhile, and sweeps for rows nobody waits for.
func (db *DB) sequence(s *sequencer) {
	defer close(s.stopped)
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	// Rows a dead instance left are numbered as this one starts.
	sweeping, stopping := true, false
	for {
		if !sweeping && !stopping {
			select {
			case <-s.wake:
			case <-sweep.C:
				sweeping = true
			case <-s.stop:
				stopping = true
			}
		}
		s.mu.Lock()
		waiting := len(s.waiting) > 0
		s.mu.Unlock()
		if waiting || (sweeping && db.anyPending(s)) {
			// Every write that arrives until the round reads the pending
			// rows is in its reach, and answered by it: seal takes them,
			// just before that read.
			s.mu.Lock()
			s.open, s.running = true, true
			s.mu.Unlock()
			var batch []chan *round
			sealed := false
			seal := func() {
				s.mu.Lock()
				batch = append(batch, s.waiting...)
				s.waiting, s.open = nil, false
				s.mu.Unlock()
				sealed = true
			}
			r := db.runRound(s, seal)
			if !sealed { // failed before it read: they get its error
				seal()
			}
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			if r.err == nil {
				s.settle(r.seqs)
			}
			for _, ch := range batch {
				ch <- r
			}
		}
		sweeping = false
		if stopping {
			return
		}
	}
}

// anyPending reports whether some row waits to be numbered.
func (db *DB) anyPending(s *sequencer) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var any bool
	err := s.pool.GetContext(ctx, &any, `SELECT EXISTS (SELECT 1 FROM change_pending) OR EXISTS (SELECT 1 FROM audit_pending)`)
	return err != nil || any // when in doubt, a round finds out
}

// runRound runs a round, again after a failure for want of the database
// (a connection cut by a restart): the writes it answers have committed,
// and a round is safe to repeat.
func (db *DB) runRound(s *sequencer, seal func()) *round {
	var r *round
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r = db.numberPending(ctx, s.pool, seal)
		cancel()
		if r.err == nil || !retryable(r.err) {
			break
		}
	}
	return r
}

func retryable(err error) bool {
	return IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded)
}

// numberPending is one round: it takes the change counter's row (the
// rounds' lock, in every instance), moves the pending changes into the log
// numbered from the counter, then lets each registered log do the same,
// and commits.
func (db *DB) numberPending(ctx context.Context, pool *sqlx.DB, seal func()) *round {
	r := &round{seqs: map[int64]int64{}}
	x, err := pool.BeginTxx(ctx, nil)
	if err != nil {
		r.err = fmt.Errorf("begin round: %w", err)
		return r
	}
	defer x.Rollback()
	tx := &Tx{x: x, db: db, pool: pool, engine: db.Engine}
	if err := tx.get(ctx, &r.last, `SELECT seq FROM change_counter WHERE id = 1 FOR UPDATE`); err != nil {
		r.err = fmt.Errorf("lock change counter: %w", err)
		return r
	}
	seal()
	// One statement: the rows leave change_pending and enter the log
	// numbered in the order they were written, and the counter follows.
	// All of them: holding the lock, nothing else takes them, and only a
	// crash lets more than a few rounds' worth gather.
	var rows []struct {
		ID  int64 `db:"id"`
		Seq int64 `db:"seq"`
	}
	err = tx.sel(ctx, &rows, `WITH moved AS (
			DELETE FROM change_pending RETURNING id, patient_id, entity, entity_id, op, chart, subject_id, at),
			numbered AS (SELECT ?::bigint + row_number() OVER (ORDER BY id) AS seq, * FROM moved),
			logged AS (INSERT INTO change_log (seq, patient_id, entity, entity_id, op, chart, subject_id, at)
				SELECT seq, patient_id, entity, entity_id, op, chart, subject_id, at FROM numbered),
			counted AS (UPDATE change_counter SET seq = ?::bigint + (SELECT count(*) FROM moved) WHERE id = 1)
			SELECT id, seq FROM numbered`, r.last, r.last)
	if err != nil {
		r.err = fmt.Errorf("number changes: %w", err)
		return r
	}
	for _, row := range rows {
		r.seqs[row.ID] = row.Seq
		r.last = max(r.last, row.Seq)
	}
	moved := len(rows)
	numberersMu.Lock()
	logs := slices.Clone(numberers)
	numberersMu.Unlock()
	for _, n := range logs {
		m, err := n.fn(ctx, tx)
		if err != nil {
			r.err = err
			return r
		}
		moved += m
	}
	if moved == 0 {
		// Another instance's round took them: nothing to flush here. The
		// lock was enough to wait for that round's commit.
		return r
	}
	if err := x.Commit(); err != nil {
		r.err = fmt.Errorf("commit round: %w", err)
	}
	return r
}
