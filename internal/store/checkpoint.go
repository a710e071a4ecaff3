package store

import (
	"context"
	"os"
	"time"
)

// checkpointInterval is how often, at most, the log is copied into the
// database file while writes go on.
const checkpointInterval = 200 * time.Millisecond

// walLimit is the size of the SQLite write-ahead log past which the
// checkpointer restarts it (truncateLog); the committer does so itself
// past walHardLimit (see runGroup). It is journal_size_limit too: the
// size a log that restarts by itself is cut back to.
const walLimit = 64 << 20

// walHardLimit: past it, writes wait for the log to be truncated.
const walHardLimit = 4 * walLimit

// truncateBusy bounds how long a truncating checkpoint waits for readers
// still on the log's older pages (the checkpointer connection's
// busy_timeout, in ms); a checkpoint that gives up is tried again later.
const truncateBusy = 1000

// checkpointer copies the SQLite write-ahead log into the database file on
// a connection of its own, after commits, at most every checkpointInterval.
// A PASSIVE checkpoint waits for no reader or writer: the committer goes on
// appending to the log meanwhile, instead of doing the copy and its flush
// inside a commit as the automatic checkpoint did.
//
// But a PASSIVE checkpoint never restarts the log: it is the next writer
// that starts it again from its beginning, and only when every frame has
// been copied and no reader still reads from it, which under writes that
// never pause may never happen (a log of 16 GB beside a database of
// 3.7 GB). So once the log passes walLimit, the checkpointer holds the
// writes back (writeGate) for a TRUNCATE checkpoint: it copies what is
// left, waits (at most truncateBusy) for the readers of older pages, and
// empties the log.
func (db *DB) checkpointer() {
	defer close(db.ckStopped)
	for range db.committed {
		// A failed checkpoint loses nothing: the log keeps the pages until
		// the next one.
		_, _ = db.ck.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		if db.walSize() > db.walLimit.Load() {
			db.writeGate.Lock()
			db.truncateLog()
			db.writeGate.Unlock()
		}
		select {
		case <-time.After(checkpointInterval):
		case <-db.stopped: // closing
		}
	}
	// Closing: copy what is left, so the file is whole without its log.
	_, _ = db.ck.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// truncateLog runs a TRUNCATE checkpoint, with no write under way (the
// caller holds writeGate, or is the committer between groups), and
// reports whether it emptied the log.
func (db *DB) truncateLog() bool {
	var busy, logged, copied int
	err := db.ck.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &copied)
	return err == nil && busy == 0
}

// walSize is the size of the SQLite write-ahead log's file (0 when there
// is none).
func (db *DB) walSize() int64 {
	fi, err := os.Stat(db.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// wakeCheckpointer tells the checkpointer there is something to copy.
func (db *DB) wakeCheckpointer() {
	select {
	case db.committed <- struct{}{}:
	default:
	}
}
