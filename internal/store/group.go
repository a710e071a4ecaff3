package store

import (
	"context"
	"errors"
	"fmt"
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

// committer runs the writes: it takes every job waiting now (up to
// maxGroup) and runs them in one transaction.
func (db *DB) committer() {
	defer close(db.stopped)
	for j := range db.jobs {
		batch := db.drain([]*writeJob{j})
		db.runGroup(batch)
	}
}

// runGroup runs a group of writes in one transaction. A lone write runs
// as it is; in a group each runs in a savepoint, so one failing write
// leaves the others intact, and all are answered after the one commit.
func (db *DB) runGroup(batch []*writeJob) {
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
	tx := &Tx{x: x, db: db, pool: db.x, engine: db.Engine}
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
		if i == len(batch)-1 && len(batch) < maxGroup {
			// Writes that arrived while this group ran share its commit
			// rather than wait for the next one: the commit's flush, not
			// the statements, is what a write mostly waits for.
			batch = db.drain(batch)
			errs = append(errs, make([]error, len(batch)-len(errs))...)
		}
	}
	err = tx.finish(context.Background())
	if err == nil {
		err = x.Commit()
	} else {
		_ = x.Rollback()
	}
	if err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
		answer(errs)
		return
	}
	db.wakeCheckpointer()
	if f := db.groupSizes.Load(); f != nil {
		(*f)(len(batch))
	}
	for _, f := range tx.afterCommit {
		f()
	}
	answer(errs)
}

// drain adds the writes waiting now to batch, up to maxGroup.
func (db *DB) drain(batch []*writeJob) []*writeJob {
	for len(batch) < maxGroup {
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
