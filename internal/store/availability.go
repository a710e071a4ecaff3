package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUnavailable reports whether err means the database cannot serve now —
// PostgreSQL restarting or unreachable, a full disk, SQLite locked past its
// busy timeout — rather than anything wrong with the request: the client
// should retry later, and nothing it sent was kept.
func IsUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources: disk full, out of memory, too many connections
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, crashed, starting up
			pe.Code == "58030", // I/O error
			pe.Code == "25006": // read-only transaction (a standby after failover)
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return true
		}
		return false
	}
	// A full, read-only or failing disk under the blob store (a photo's
	// file) is the same outage as one under the database. Other errors of
	// the file system (a missing file) are not an outage, although their
	// errno would pass for a net.Error below.
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO:
			return true
		}
		var oe *net.OpError
		if !errors.As(err, &oe) {
			return false
		}
	}
	var ne net.Error
	var pce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &pce) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "database is closed")
}

// WritesFailing reports whether a write failed because the database was
// unavailable (IsUnavailable) and no ProbeWrite has committed since: a ping
// answers while a full disk refuses every commit, so readiness asks this
// too, and then probes.
//
// An ordinary write that commits does not clear it: on SQLite a transaction
// that changed nothing (the push worker finding no due push, every two
// seconds) commits without touching the disk, even a full one.
func (db *DB) WritesFailing() bool { return db.writesFailing.Load() }

// noteWrite keeps a write that failed for want of the database for
// WritesFailing.
func (db *DB) noteWrite(err error) {
	if IsUnavailable(err) {
		db.writesFailing.Store(true)
	}
}

// probeBytes is how much a ProbeWrite writes on SQLite: more than a record
// with its text, its version and its audit row, so that the room a failed
// commit left in the log is not mistaken for room to write.
const probeBytes = 256 << 10

// ProbeWrite commits a transaction that must reach the disk and keeps the
// outcome for WritesFailing: once it commits, writes are no longer failing.
// On SQLite it creates a table, fills it with probeBytes and drops it: the
// schema is as it was, but every page it touched is written to the log and
// the file grows by them (they stay free pages, used again by the next
// writes). On PostgreSQL assigning a transaction id makes the commit write
// and flush its log record.
func (db *DB) ProbeWrite(ctx context.Context) error {
	err := db.Write(ctx, func(tx *Tx) error {
		if db.Engine == Postgres {
			var xid int64
			return tx.Get(ctx, &xid, `SELECT txid_current()`)
		}
		for _, q := range []string{`CREATE TABLE write_probe (pad BLOB)`, fmt.Sprintf(`INSERT INTO write_probe VALUES (zeroblob(%d))`, probeBytes),
			`DROP TABLE write_probe`} {
			if _, err := tx.x.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		db.writesFailing.Store(false)
	}
	return err
}
