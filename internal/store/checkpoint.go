package store

import (
	"context"
	"time"
)

// checkpointInterval is how often, at most, the log is copied into the
// database file while writes go on.
const checkpointInterval = 200 * time.Millisecond

// checkpointer copies the SQLite write-ahead log into the database file on
// a connection of its own, after commits, at most every checkpointInterval.
// A PASSIVE checkpoint waits for no reader or writer: the committer goes on
// appending to the log meanwhile, instead of doing the copy and its flush
// inside a commit as the automatic checkpoint did.
func (db *DB) checkpointer() {
	defer close(db.ckStopped)
	for range db.committed {
		// A failed checkpoint loses nothing: the log keeps the pages until
		// the next one.
		_, _ = db.ck.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-time.After(checkpointInterval):
		case <-db.stopped: // closing
		}
	}
	// Closing: copy what is left, so the file is whole without its log.
	_, _ = db.ck.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// wakeCheckpointer tells the checkpointer there is something to copy.
func (db *DB) wakeCheckpointer() {
	select {
	case db.committed <- struct{}{}:
	default:
	}
}
