package store

import "context"

// SetWALLimit sets the log size past which the checkpointer truncates
// the SQLite log (walLimit), for tests that fill it quickly.
func (db *DB) SetWALLimit(n int64) { db.walLimit.Store(n) }

// WALSize is the size of the SQLite log's file.
func (db *DB) WALSize() int64 { return db.walSize() }

// QueuedWrites is how many writes wait for a committer.
func (db *DB) QueuedWrites() int { return len(db.jobs) }

// Lanes is how many committers run writes at once.
func (db *DB) Lanes() int {
	if db.Engine == Postgres {
		return pgLanes
	}
	return 1
}

// MigrateTo moves the schema to version v, down or up: for tests of a
// migration on data written before it.
func (db *DB) MigrateTo(ctx context.Context, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if v < cur {
		_, err = p.DownTo(ctx, v)
	} else {
		_, err = p.UpTo(ctx, v)
	}
	return err
}

// AwaitRound waits for a sequencer round that reads the pending rows
// after now (PostgreSQL).
func (db *DB) AwaitRound(ctx context.Context) error {
	_, err := db.awaitRound(ctx)
	return err
}
