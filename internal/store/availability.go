package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

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
	var ne net.Error
	var pce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &pce) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "database is closed")
}

// WritesFailing reports whether the last write failed because the database
// was unavailable (IsUnavailable) and none has committed since: a ping
// answers while a full disk refuses every commit, so readiness asks this too.
func (db *DB) WritesFailing() bool { return db.writesFailing.Load() }

// noteWrite keeps the outcome of a write for WritesFailing.
func (db *DB) noteWrite(err error) {
	switch {
	case err == nil:
		db.writesFailing.Store(false)
	case IsUnavailable(err):
		db.writesFailing.Store(true)
	}
}
