// Package store persists Tsunagu in SQLite (embedded default) or PostgreSQL
// (production), with one code path: plain SQL written with ? placeholders
// and rebound per engine. A request's reads and writes, its audit events
// included, run in one transaction opened by DB.Write or DB.Read; the
// aggregate methods on *Tx take ctx first and never commit by themselves.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"modernc.org/sqlite"               // driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"tsunagu/internal/care"
	"tsunagu/internal/gencache"
)

// ErrNotFound is returned when a row asked for by id does not exist.
var ErrNotFound = errors.New("store: not found")

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is an open database with its schema migrated.
//
// On SQLite, writes go through one connection owned by a committer
// goroutine that groups the Write calls waiting at that moment into one
// transaction, each in its own savepoint, and answers each after the one
// commit: with synchronous=FULL every commit is an fsync, so grouping is
// what lets many writers share it. Reads use a separate pool of
// connections that never take the write lock.
//
// On PostgreSQL, writes go through the same group commit, on pgLanes
// connections at once (group.go): each lane runs the writes waiting when
// it is free in one transaction, a savepoint each, numbers the group's
// change-log rows and audit events in it and answers them after its one
// commit. The sequencer (pgseq.go) numbers what an older version's
// instance left pending.
type DB struct {
	x    *sqlx.DB // PostgreSQL: the pool; SQLite: the one writer connection
	r    *sqlx.DB // SQLite: readers (nil on PostgreSQL)
	ck   *sql.DB  // SQLite: the checkpointer's connection
	path string   // SQLite: the database file
	// writeGate: the SQLite committer holds it through each group, the
	// checkpointer while it truncates the log (checkpoint.go).
	writeGate sync.Mutex
	// walLimit is walLimit but in tests.
	walLimit atomic.Int64
	Engine   string

	stmts  sync.Map // query → *sqlx.Stmt on the SQLite writer (see Tx.stmt)
	rstmts sync.Map // the same on the SQLite readers
	// readers admits at most maxReaders read transactions at once on
	// SQLite, one fewer than the readers' connections: the spare one is
	// where cached statements are first prepared (see Tx.stmt).
	readers chan struct{}
	records *gencache.Cache[RecordKey, cachedRecord]
	jobs    chan *writeJob
	stopped chan struct{} // closed once every committer has ended
	// committed wakes the checkpointer after a commit; closed with jobs.
	committed chan struct{}
	ckStopped chan struct{}
	closeMu   sync.Mutex
	isClosed  bool
	// groupSizes, when set (ObserveGroupCommits), hears how many writes
	// each group commit carried.
	groupSizes atomic.Pointer[func(int)]
	// writesFailing: the last write failed for want of the database
	// (WritesFailing).
	writesFailing atomic.Bool
	// attached holds what packages built on the store keep on it (Attach).
	attached sync.Map
	// seq numbers the logs on PostgreSQL (nil on SQLite, and on a
	// database opened unmigrated, which is only read).
	seq *sequencer
}

// Attach keeps v on the database under key, for a package built on the
// store that must find it from any transaction (the audit log's watcher);
// Tx.Attached reads it back.
func (db *DB) Attach(key, v any) { db.attached.Store(key, v) }

// Attached is what was attached to the transaction's database under key,
// or nil.
func (tx *Tx) Attached(key any) any { v, _ := tx.db.attached.Load(key); return v }

// ObserveGroupCommits calls f with the number of writes of every group
// commit, on either engine, from now on (for metrics).
func (db *DB) ObserveGroupCommits(f func(writes int)) { db.groupSizes.Store(&f) }

// maxReaders is how many read transactions run at once on SQLite.
const maxReaders = 8

// maxGroup bounds how many writes share one SQLite transaction.
const maxGroup = 128

// Open connects to databaseURL — a postgres:// URL, or a SQLite file path
// (optionally prefixed with sqlite: or file:) — and applies the migrations.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	return open(ctx, databaseURL, true)
}

// OpenUnmigrated opens the database as it is, without migrating it, for
// tools that report on it (tsunagu migrate status). Only read from it.
func OpenUnmigrated(ctx context.Context, databaseURL string) (*DB, error) {
	return open(ctx, databaseURL, false)
}

func open(ctx context.Context, databaseURL string, migrate bool) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		x, err := sqlx.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		x.SetMaxOpenConns(32)
		x.SetMaxIdleConns(32)
		x.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{x: x, Engine: Postgres}
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		// WAL for concurrent readers; synchronous(FULL) because clinical data
		// must survive power loss; temp_store(MEMORY) keeps the savepoints'
		// sub-journal in memory instead of a temporary file (it held a fifth
		// of the group commit's time in write system calls); _txlock=immediate so read-then-write
		// transactions take the write lock up front instead of failing with
		// SQLITE_BUSY; a fixed time format so that times compare as text.
		// No memory map (mmap_size(0)): a reader that finds the database
		// changed since its last transaction (every transaction, since
		// reads are audited) unmaps the whole file and faults every page
		// back in, which cost 3× the CPU of reading the pages with pread
		// (the timeline after writes: 6.9 → 2.9 ms CPU a request).
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)", "mmap_size(0)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		// Checkpoints run apart from the commits (see checkpointer): with
		// the automatic ones, every thousand pages a commit also copied
		// the log into the file and waited for its flush.
		wq := url.Values{}
		for k, v := range q {
			wq[k] = append([]string(nil), v...)
		}
		wq.Add("_pragma", "wal_autocheckpoint(0)")
		// The writer's page cache holds what every group touches (the
		// heads, the logs' and indexes' right edges, the ledger, the
		// search index's structure): with the default 2 MB it read them
		// back with pread system calls group after group.
		wq.Add("_pragma", "cache_size(-32768)")
		wq.Add("_pragma", "journal_size_limit(67108864)")
		x, err := sqlx.Open("sqlite", "file:"+path+"?"+wq.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// Only the committer writes; the second connection prepares cached
		// statements (see Tx.stmt) and serves tools and tests.
		x.SetMaxOpenConns(2)
		x.SetMaxIdleConns(2)
		x.SetConnMaxIdleTime(0)
		q.Set("_txlock", "deferred")
		q.Add("_pragma", "query_only(1)")
		r, err := sqlx.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(maxReaders + 1)
		r.SetMaxIdleConns(maxReaders + 1)
		r.SetConnMaxIdleTime(0)
		// The checkpointer's busy wait is short: it holds the writes back
		// while it truncates the log (checkpoint.go).
		cq := url.Values{}
		for k, v := range wq {
			for _, p := range v {
				if k == "_pragma" && strings.HasPrefix(p, "busy_timeout(") {
					p = fmt.Sprintf("busy_timeout(%d)", truncateBusy)
				}
				cq.Add(k, p)
			}
		}
		ck, err := sql.Open("sqlite", "file:"+path+"?"+cq.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		ck.SetMaxOpenConns(1)
		db = &DB{x: x, r: r, ck: ck, path: path, Engine: SQLite, readers: make(chan struct{}, maxReaders)}
		db.walLimit.Store(walLimit)
	}
	db.records = newRecordCache()
	if err := db.x.PingContext(ctx); err != nil {
		db.x.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.Engine, err)
	}
	if migrate {
		if err := db.migrate(ctx); err != nil {
			db.x.Close()
			return nil, err
		}
	}
	if db.Engine == Postgres && migrate {
		seqPool, err := sqlx.Open("pgx", databaseURL)
		if err != nil {
			db.x.Close()
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		seqPool.SetMaxOpenConns(1)
		seqPool.SetMaxIdleConns(1)
		db.startSequencer(seqPool)
	}
	db.startCommitters()
	if migrate {
		if err := db.indexBacklogAtStart(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("index records for search: %w", err)
		}
	}
	return db, nil
}

// Close stops the committer and closes the connection pools.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if !db.isClosed && db.jobs != nil {
		db.isClosed = true
		close(db.jobs)
		<-db.stopped
		if db.committed != nil {
			close(db.committed)
			<-db.ckStopped
		}
	}
	db.isClosed = true
	db.closeMu.Unlock()
	if db.seq != nil {
		db.seq.stopOnce.Do(db.stopSequencer)
	}
	if db.r != nil {
		db.r.Close()
	}
	if db.ck != nil {
		db.ck.Close()
	}
	return db.x.Close()
}

// SQL returns the underlying pool, for tests and tools.
func (db *DB) SQL() *sqlx.DB { return db.x }

// Tx is one unit of work. Its methods (one file per aggregate) read and
// write inside it; DB.Write commits them together.
type Tx struct {
	x           *sqlx.Tx
	db          *DB
	pool        *sqlx.DB
	engine      string
	afterCommit []func()
	depth       int // savepoints open now
	deferred    []deferredSlot
	// pulled are the records ChangesSince read with their changes, for
	// RecordsByIDs in the same transaction; pulledScope is whom for.
	pulled      map[string]recordStub
	pulledScope care.RecordScope
	// numbers is how this transaction's logs are numbered, decided at its
	// first append's flush (NumbersLater).
	numbers int8
	// On PostgreSQL: rows left in the pending logs, to be numbered by a
	// round once the transaction commits (pgseq.go).
	leftPending    bool
	pendingChanges []pendingChange
	// held: the head rows this transaction locked and numbers from
	// (PostgreSQL, NumbersLater).
	held *heldHeads
	// grouped: a PostgreSQL group commit's transaction, shared by the
	// writes of several callers (group.go).
	grouped bool
}

type txKey struct{}

// WithTx returns a context whose DB.Write and DB.Read calls join tx instead
// of opening a transaction of their own. The sync protocol uses it to run
// the same operations the REST API runs, several in one transaction, each
// in its own savepoint.
func WithTx(ctx context.Context, tx *Tx) context.Context { return context.WithValue(ctx, txKey{}, tx) }

// Joined reports whether ctx carries a transaction (WithTx) that DB.Write
// and DB.Read would join.
func Joined(ctx context.Context) bool { _, ok := ctx.Value(txKey{}).(*Tx); return ok }

// AfterCommit runs fn once the transaction has committed (never if it rolls
// back): live hints and notifications must not announce unwritten data.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Savepoint runs fn inside a savepoint: when fn fails, its writes are undone
// and the transaction goes on (on PostgreSQL too, where an error otherwise
// aborts the whole transaction). After-commit hooks fn registered are
// dropped with it.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	// Savepoints nest like a stack, so a name per depth is enough; the
	// few names keep the statements cacheable (see Tx.stmt).
	tx.depth++
	defer func() { tx.depth-- }()
	name := savepointNames[min(tx.depth, len(savepointNames)-1)]
	hooks, marks := len(tx.afterCommit), tx.deferredMarks()
	if _, err := tx.exec(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		// Undone even when the caller has gone (its context ended): the
		// transaction may be shared (group.go).
		ctx := context.WithoutCancel(ctx)
		if _, rerr := tx.exec(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("rollback to savepoint: %w (after %v)", rerr, err)
		}
		// ROLLBACK TO leaves the savepoint open; release it so the stack
		// of names stays in step with tx.depth.
		if _, rerr := tx.exec(ctx, "RELEASE SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("release savepoint: %w (after %v)", rerr, err)
		}
		tx.afterCommit = tx.afterCommit[:hooks]
		tx.truncateDeferred(marks)
		return err
	}
	if _, err := tx.exec(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		// fn ignored an error that left a PostgreSQL transaction aborted
		// (or its caller went away): undo it as if it had failed, so that
		// the transaction, shared in a group, stays usable.
		if _, rerr := tx.exec(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr == nil {
			_, _ = tx.exec(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name)
		}
		tx.afterCommit = tx.afterCommit[:hooks]
		tx.truncateDeferred(marks)
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

var savepointNames = []string{"sp0", "sp1", "sp2", "sp3", "sp4", "sp5", "sp6", "sp7"}

// Write runs fn in a transaction and commits when fn returns nil.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if Joined(ctx) {
		return db.run(ctx, false, fn)
	}
	err := db.run(ctx, false, fn)
	db.noteWrite(err)
	return err
}

// Read runs fn in a read-only transaction. Audit events of reads are writes,
// so a read that records who looked goes through Write.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, true, fn)
}

func (db *DB) run(ctx context.Context, readOnly bool, fn func(*Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok {
		return fn(tx)
	}
	pool := db.x
	var opts *sql.TxOptions
	switch {
	case readOnly && db.Engine == Postgres:
		opts = &sql.TxOptions{ReadOnly: true}
	case readOnly:
		pool = db.r
		select {
		case db.readers <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-db.readers }()
	default:
		return db.submit(ctx, fn)
	}
	x, err := pool.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{x: x, db: db, pool: pool, engine: db.Engine}
	if err := fn(tx); err != nil {
		_ = x.Rollback()
		return err
	}
	if err := tx.finish(ctx); err != nil {
		_ = x.Rollback()
		return err
	}
	if err := x.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Engine reports the database engine of the transaction.
func (tx *Tx) Engine() string { return tx.engine }

// UTC normalises a time for storage: UTC, microsecond precision (what
// PostgreSQL keeps), so both engines round-trip the same value.
func UTC(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ErrIDTaken is returned by a create whose client-made id already names
// an entity, of the same kind or another, of this patient or any other.
// It is the application error id_taken on the field "id" (409): a client
// that made a clashing id sends again with a new one, and learns nothing
// of the entity that holds it.
var ErrIDTaken error = &care.Error{Code: care.CodeIDTaken, Field: "id", Detail: "store: id taken"}

// Entity kinds whose ids are claimed in entity_id.
const (
	kindFacility = "facility"
	kindUser     = "user"
	kindPatient  = "patient"
	kindConsent  = "consent"
	kindVisit    = "visit"
	kindRecord   = "record"
)

// claimID takes id for a new entity of kind, or answers ErrIDTaken when
// any entity holds it. The claim commits or rolls back with the create.
// DO NOTHING instead of a failing insert keeps a PostgreSQL transaction
// usable after a refusal.
func (tx *Tx) claimID(ctx context.Context, kind, id string) error {
	n, err := tx.exec(ctx, `INSERT INTO entity_id (id, kind) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, kind)
	if err != nil {
		return fmt.Errorf("claim %s id: %w", kind, err)
	}
	if n == 0 {
		return ErrIDTaken
	}
	return nil
}

// isPrimaryKeyViolation reports an insert whose primary key is taken, on
// either engine (another unique constraint, such as a login id, is not).
func isPrimaryKeyViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" && strings.HasSuffix(pe.ConstraintName, "_pkey")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isUniqueViolation reports a unique-constraint failure on either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}
