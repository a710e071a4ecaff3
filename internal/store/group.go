package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store: closed")

type writeJob struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// submit hands a write to the committer and waits for its answer.
func (db *DB) submit(ctx context.Context, fn func(*Tx) error) (err error) {
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.Lock()
	if db.isClosed {
		db.closeMu.Unlock()
		return ErrClosed
	}
	// Sending under the lock keeps Close from closing the channel mid-send;
	// the committer drains it, so this does not block for long.
	select {
	case db.jobs <- j:
		db.closeMu.Unlock()
	case <-ctx.Done():
		db.closeMu.Unlock()
		return ctx.Err()
	}
	return <-j.done
}

// Group commit on PostgreSQL.
//
// A write there used to run in a transaction of its own and commit it:
// per write a BEGIN and a COMMIT, its change-log rows and audit events
// written twice (pending, then numbered by a sequencer round, pgseq.go)
// and a second transaction to wait for. Now PostgreSQL writes go through
// the committer as SQLite's do, on pgLanes lanes, each a goroutine with a
// transaction of its own at a time: a lane takes every write waiting when
// it is free (up to maxPGGroup), runs each in a savepoint and answers
// them all after its one commit. A lone write runs alone, without a
// savepoint. A group numbers its rows in its own transaction when the
// change counter's row is free; when another group or a round holds it,
// the group leaves its rows pending and waits for the sequencer's next
// round, which numbers the rows of every group committed meanwhile
// (NumbersLater, pgseq.go).
//
// Lanes, not one committer: a PostgreSQL write waits on round trips, and
// one lane would run the statements of every write one after the other.
// The lanes run their groups' statements and commits at once; only one
// numbering at a time holds the counter's row through its flush.
//
// Why a pull never skips a change: whoever numbers rows (a group or a
// round) holds the counter's row until its commit, and gives numbers only
// to rows already committed or its own, so numbers become visible in
// order (pgseq.go).
//
// What sharing a transaction risks, and how each is kept apart:
//   - a write that fails rolls back to its savepoint, the others go on
//     (and a write that ignored an error of its own and left the
//     transaction aborted is rolled back by Savepoint too);
//   - a caller that goes away (a cancelled context) must not cut the
//     connection under the others: pgx closes a connection whose
//     statement's context ends, so a group's statements run without the
//     caller's cancellation, which is checked before each one instead
//     (Tx.stmtCtx);
//   - a failed commit answers every write of the group with its error,
//     and none of them is visible;
//   - two lanes, or two instances, may wait on each other's rows, which
//     their groups hold until they commit: PostgreSQL detects the cycle
//     and fails one statement, and the write that ran it is answered
//     with that error (a device resends a mutation answered "retry").

// pgLanes is how many group transactions an instance runs at once on
// PostgreSQL.
const pgLanes = 4

// maxPGGroup bounds how many writes share one PostgreSQL transaction: a
// write waits for the statements of those before it in its group.
const maxPGGroup = 32

// startCommitters starts the write committers: one on SQLite, whose
// writer connection is one, with the checkpointer; pgLanes on PostgreSQL.
func (db *DB) startCommitters() {
	db.jobs = make(chan *writeJob, maxGroup)
	db.stopped = make(chan struct{})
	lanes := pgLanes
	if db.Engine == SQLite {
		lanes = 1
		db.committed = make(chan struct{}, 1)
		db.ckStopped = make(chan struct{})
		go db.checkpointer()
	}
	var wg sync.WaitGroup
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.committer()
		}()
	}
	go func() {
		wg.Wait()
		close(db.stopped)
	}()
}

// groupLimit is how many writes share one transaction on the engine.
func (db *DB) groupLimit() int {
	if db.Engine == Postgres {
		return maxPGGroup
	}
	return maxGroup
}

// committer runs the writes: it takes every job waiting now (up to
// groupLimit) and runs them in one transaction.
func (db *DB) committer() {
	for j := range db.jobs {
		batch := db.drain([]*writeJob{j})
		db.runGroup(batch)
	}
}

// runGroup runs a group of writes in one transaction. A lone write runs
// as it is; in a group each runs in a savepoint, so one failing write
// leaves the others intact, and all are answered after the one commit.
func (db *DB) runGroup(batch []*writeJob) {
	if db.Engine == SQLite {
		// The checkpointer truncates the log between groups (checkpoint.go).
		db.writeGate.Lock()
		defer db.writeGate.Unlock()
	}
	answer := func(errs []error) {
		for i, j := range batch {
			j.done <- errs[i]
		}
	}
	errs := make([]error, len(batch))
	x, err := db.x.BeginTxx(context.Background(), nil)
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("begin: %w", err)
		}
		answer(errs)
		return
	}
	tx := &Tx{x: x, db: db, pool: db.x, engine: db.Engine, grouped: db.Engine == Postgres}
	// A write alone in its group runs without a savepoint (its failure
	// rolls the transaction back); the writes after it run in their own.
	lone := len(batch) == 1
	for i := 0; i < len(batch); i++ {
		j := batch[i]
		switch {
		case j.ctx.Err() != nil:
			errs[i] = j.ctx.Err()
		case lone && i == 0:
			errs[i] = j.fn(tx)
		default:
			errs[i] = tx.Savepoint(j.ctx, func() error { return j.fn(tx) })
		}
		if lone && i == 0 && errs[0] != nil {
			_ = x.Rollback()
			answer(errs)
			return
		}
		if i == len(batch)-1 && len(batch) < db.groupLimit() {
			// Writes that arrived while this group ran share its commit
			// rather than wait for the next one: the commit's flush, not
			// the statements, is what a write mostly waits for.
			batch = db.drain(batch)
			errs = append(errs, make([]error, len(batch)-len(errs))...)
		}
	}
	err = tx.finish(context.Background())
	if err == nil {
		if tx.leftPending {
			db.seq.claim(tx.pendingChanges)
		}
		err = x.Commit()
	} else {
		_ = x.Rollback()
	}
	if err != nil {
		if tx.leftPending {
			db.seq.release(tx.pendingChanges, 0)
		}
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
		answer(errs)
		return
	}
	if db.Engine == SQLite {
		if db.walSize() > walHardLimit/walLimit*db.walLimit.Load() {
			// The checkpointer has not kept the log short (readers held
			// it, or it was not scheduled): these writes wait for it here,
			// rather than let it grow without end.
			db.truncateLog()
		}
		db.wakeCheckpointer()
	}
	if f := db.groupSizes.Load(); f != nil {
		(*f)(len(batch))
	}
	if tx.leftPending {
		// Answered once their changes can be pulled and their events are
		// in the chain; hooks announce only what a pull finds. A round
		// that fails leaves the rows pending for the next one (the sweep):
		// the writes learn that their answer is not certain, and a
		// device's resend is answered from its ledger.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := tx.awaitNumbered(ctx); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
		cancel()
	}
	for _, f := range tx.afterCommit {
		f()
	}
	answer(errs)
}

// drain adds the writes waiting now to batch, up to groupLimit.
func (db *DB) drain(batch []*writeJob) []*writeJob {
	for len(batch) < db.groupLimit() {
		select {
		case j, ok := <-db.jobs:
			if !ok {
				return batch
			}
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}
