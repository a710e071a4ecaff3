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
		batch := []*writeJob{j}
	drain:
		for len(batch) < maxGroup {
			select {
			case j2, ok := <-db.jobs:
				if !ok {
					break drain
				}
				batch = append(batch, j2)
			default:
				break drain
			}
		}
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
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if len(batch) == 1 {
			errs[i] = j.fn(tx)
			continue
		}
		errs[i] = tx.Savepoint(j.ctx, func() error { return j.fn(tx) })
	}
	if len(batch) == 1 && errs[0] != nil {
		_ = x.Rollback()
		answer(errs)
		return
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
	for _, f := range tx.afterCommit {
		f()
	}
	answer(errs)
}
