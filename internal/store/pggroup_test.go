package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"tsunagu/internal/audit"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// holdLanes occupies every committer with a write that waits for release,
// then starts the writes of ws, one goroutine each, and waits until all of
// them are queued: once released, the lanes take them as groups.
func holdLanes(t *testing.T, db *store.DB, ws []func(*store.Tx) error, ctxs []context.Context) (release func(), errs []error, wait func()) {
	t.Helper()
	ctx := context.Background()
	gate := make(chan struct{})
	started := make(chan struct{}, db.Lanes())
	var wg sync.WaitGroup
	// One at a time: a committer takes the writes waiting when it starts
	// a group, so each must find the others busy.
	for range db.Lanes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = db.Write(ctx, func(tx *store.Tx) error {
				started <- struct{}{}
				<-gate
				return nil
			})
		}()
		<-started
	}
	errs = make([]error, len(ws))
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ctx
			if ctxs != nil && ctxs[i] != nil {
				c = ctxs[i]
			}
			errs[i] = db.Write(c, w)
		}()
	}
	for db.QueuedWrites() < len(ws) {
		runtime.Gosched()
	}
	return func() { close(gate) }, errs, wg.Wait
}

// openPostgres opens a PostgreSQL store for a test of PostgreSQL's write
// path, or skips the test where PostgreSQL is not among the engines.
func openPostgres(t *testing.T) *store.DB {
	t.Helper()
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skip("needs PostgreSQL")
	}
	return storetest.MustOpen(t, store.Postgres)
}

// holdCounter locks the change counter's row from a session of its own,
// as a numbering of another instance would, until the returned
// transaction ends (rolled back at the test's end).
func holdCounter(t *testing.T, db *store.DB) *sqlx.Tx {
	t.Helper()
	ctx := context.Background()
	holder, err := db.SQL().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Rollback() })
	if _, err := holder.ExecContext(ctx, `SELECT seq FROM change_counter WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	return holder
}

func groupSizes(db *store.DB) func() []int {
	var mu sync.Mutex
	var sizes []int
	db.ObserveGroupCommits(func(n int) { mu.Lock(); sizes = append(sizes, n); mu.Unlock() })
	return func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(sizes) }
}

func settingExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	ctx := context.Background()
	var v string
	err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &v, `SELECT value FROM setting WHERE name = ?`, name) })
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// checkLogs: the change log is numbered 1..counter without a gap, and the
// audit chain verifies.
func checkLogs(t *testing.T, db *store.DB) (changes int64) {
	t.Helper()
	ctx := context.Background()
	var counter, rows, highest int64
	if err := db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.Get(ctx, &counter, `SELECT seq FROM change_counter WHERE id = 1`); err != nil {
			return err
		}
		if err := tx.Get(ctx, &rows, `SELECT COUNT(*) FROM change_log`); err != nil {
			return err
		}
		return tx.Get(ctx, &highest, `SELECT COALESCE(MAX(seq), 0) FROM change_log`)
	}); err != nil {
		t.Fatal(err)
	}
	if rows != counter || highest != counter {
		t.Errorf("change log: %d rows, highest %d, counter %d", rows, highest, counter)
	}
	if _, brk, err := audit.Verify(ctx, db); err != nil || brk != nil {
		t.Errorf("audit chain: break %v, err %v", brk, err)
	}
	return rows
}

func loggedWrite(name string, fail error) func(*store.Tx) error {
	ctx := context.Background()
	return func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?)`, name, "x"); err != nil {
			return err
		}
		tx.AppendChange(ctx, store.Change{PatientID: "p", Entity: "setting", EntityID: name, Op: "upsert", At: time.Now()})
		if err := audit.Append(ctx, tx, &audit.Event{At: time.Now(), ActorID: "a", Action: "setting.write", ResourceID: name, Result: audit.ResultOK}); err != nil {
			return err
		}
		return fail
	}
}

// TestGroupMembersFailAlone: in a group, a write that fails, one that
// swallows an error PostgreSQL aborted its statements for, and one whose
// caller has gone are each undone alone; the others commit, numbered
// without a gap, and the audit chain holds.
func TestGroupMembersFailAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		sizes := groupSizes(db)
		ctx := context.Background()
		boom := errors.New("refused")
		gone, cancel := context.WithCancel(ctx)
		defer cancel()
		const n = 24
		ws := make([]func(*store.Tx) error, n)
		ctxs := make([]context.Context, n)
		for i := range ws {
			name := fmt.Sprintf("g%02d", i)
			switch i % 4 {
			case 1:
				ws[i] = loggedWrite(name, boom)
			case 2:
				// An error ignored: on PostgreSQL the transaction is aborted
				// until its savepoint is rolled back.
				w := loggedWrite(name, nil)
				ws[i] = func(tx *store.Tx) error {
					if err := w(tx); err != nil {
						return err
					}
					_, _ = tx.Exec(ctx, `INSERT INTO no_such_table (x) VALUES (1)`)
					return nil
				}
			case 3:
				ctxs[i] = gone
				w := loggedWrite(name, nil)
				ws[i] = func(tx *store.Tx) error {
					cancel()
					return w(tx)
				}
			default:
				ws[i] = loggedWrite(name, nil)
			}
		}
		release, errs, wait := holdLanes(t, db, ws, ctxs)
		release()
		wait()
		for i, err := range errs {
			name := fmt.Sprintf("g%02d", i)
			ok := i%4 == 0 || (i%4 == 2 && engine == store.SQLite) // SQLite's error is not an aborted transaction
			if ok != (err == nil) || ok != settingExists(t, db, name) {
				t.Errorf("write %s: err %v, row there %v", name, err, settingExists(t, db, name))
			}
			if i%4 == 1 && !errors.Is(err, boom) {
				t.Errorf("write %s: err %v, want %v", name, err, boom)
			}
		}
		grouped := slices.ContainsFunc(sizes(), func(s int) bool { return s > 1 })
		if !grouped {
			t.Errorf("no group of more than one write: %v", sizes())
		}
		changes := checkLogs(t, db)
		want := int64(n / 4)
		if engine == store.SQLite {
			want *= 2
		}
		if changes != want {
			t.Errorf("%d changes logged, want %d", changes, want)
		}
	})
}

// TestGroupWhoseCommitFails: a commit that fails (here a deferred
// constraint, checked at COMMIT) answers every write of the group with
// its error, and none of them is visible, nor numbered.
func TestGroupWhoseCommitFails(t *testing.T) {
	db := openPostgres(t)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE grp_check (id int PRIMARY KEY, ref int REFERENCES grp_check (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	const n = 12
	ws := make([]func(*store.Tx) error, n)
	for i := range ws {
		ws[i] = loggedWrite(fmt.Sprintf("c%02d", i), nil)
	}
	bad := ws[n/2]
	ws[n/2] = func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO grp_check (id, ref) VALUES (1, 999)`); err != nil {
			return err
		}
		return bad(tx)
	}
	release, errs, wait := holdLanes(t, db, ws, nil)
	release()
	wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
		}
		if err == nil != settingExists(t, db, fmt.Sprintf("c%02d", i)) {
			t.Errorf("write c%02d: err %v, visible %v", i, err, !(err == nil))
		}
	}
	if errs[n/2] == nil || failed < 2 {
		t.Errorf("%d writes failed (the bad one: %v): its group's commit should fail them all", failed, errs[n/2])
	}
	if changes := checkLogs(t, db); changes != int64(n-failed) {
		t.Errorf("%d changes for %d writes committed", changes, n-failed)
	}
}

// TestTwoInstancesGroupAtOnce: two instances on one database, many
// writers on each, so that groups of both commit at once. The change log
// is numbered without a gap or a repeat, each write learns its own
// number, a reader that follows the log never finds a gap (numbers become
// visible in order, so a pull cursor never passes one that is not yet),
// and the audit chain holds.
func TestTwoInstancesGroupAtOnce(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	url := storetest.URL(t, store.Postgres)
	var dbs []*store.DB
	var sizes []func() []int
	for range 2 {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		sizes = append(sizes, groupSizes(db))
	}
	const writers, perWriter = 16, 15
	done := make(chan struct{})
	var readerErr error
	var reads int
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var cursor int64
		for {
			select {
			case <-done:
				return
			default:
			}
			var seqs []int64
			if err := dbs[1].Read(ctx, func(tx *store.Tx) error {
				return tx.Select(ctx, &seqs, `SELECT seq FROM change_log WHERE seq > ? ORDER BY seq`, cursor)
			}); err != nil {
				readerErr = err
				return
			}
			reads++
			for _, s := range seqs {
				if s != cursor+1 {
					readerErr = fmt.Errorf("read %d after %d: a change not yet visible was passed", s, cursor)
					return
				}
				cursor = s
			}
		}
	}()
	var mu sync.Mutex
	got := map[string]int64{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := dbs[w%2]
			for i := range perWriter {
				name := fmt.Sprintf("i%d-%02d-%02d", w%2, w, i)
				var c *store.Change
				err := db.Write(ctx, func(tx *store.Tx) error {
					if err := loggedWrite(name, nil)(tx); err != nil {
						return err
					}
					c = tx.AppendChange(ctx, store.Change{PatientID: "q", Entity: "setting", EntityID: name, Op: "upsert", At: time.Now()})
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[name] = c.Seq
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(done)
	<-readerDone
	if readerErr != nil {
		t.Error(readerErr)
	}
	if changes := checkLogs(t, dbs[0]); changes != 2*writers*perWriter {
		t.Errorf("%d changes for %d writes of two each", changes, writers*perWriter)
	}
	// A write learns its change's number, or, when the other instance's
	// round numbered it, a number at or past it (its own round's end).
	var logged []struct {
		Seq  int64  `db:"seq"`
		Name string `db:"entity_id"`
	}
	if err := dbs[0].Read(ctx, func(tx *store.Tx) error {
		return tx.Select(ctx, &logged, `SELECT seq, entity_id FROM change_log WHERE patient_id = 'q'`)
	}); err != nil {
		t.Fatal(err)
	}
	exact := 0
	for _, l := range logged {
		told, ok := got[l.Name]
		switch {
		case !ok:
			t.Errorf("change %d of %s: no write was told of it", l.Seq, l.Name)
		case told < l.Seq:
			t.Errorf("write %s was told %d, before its change %d", l.Name, told, l.Seq)
		case told == l.Seq:
			exact++
		}
	}
	if len(logged) != len(got) {
		t.Errorf("%d changes logged for %d writes", len(logged), len(got))
	}
	t.Logf("%d of %d writes were told their change's own number", exact, len(got))
	for i, s := range sizes {
		if !slices.ContainsFunc(s(), func(n int) bool { return n > 1 }) {
			t.Logf("instance %d ran no group of more than one write", i)
		}
	}
	t.Logf("%d reads followed the log", reads)
}

// TestGroupsWaitForARoundWhileTheCounterIsBusy: while the change counter's
// row is held (here by another session; in production by a group or a
// round, of this instance or another), groups do not queue on it: they
// commit their rows pending and are answered once a round has numbered
// them, each with its own change's number, without a gap in the log.
func TestGroupsWaitForARoundWhileTheCounterIsBusy(t *testing.T) {
	db := openPostgres(t)
	ctx := context.Background()
	holder := holdCounter(t, db)
	const n = 12
	changes := make([]*store.Change, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("b%02d", i)
			errs[i] = db.Write(ctx, func(tx *store.Tx) error {
				if err := loggedWrite(name, nil)(tx); err != nil {
					return err
				}
				changes[i] = tx.AppendChange(ctx, store.Change{PatientID: "b", Entity: "setting", EntityID: name, Op: "upsert", At: time.Now()})
				return nil
			})
		}()
	}
	// Every write commits, pending, while the counter is held.
	pending := func() (changes, events int) {
		t.Helper()
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.Get(ctx, &changes, `SELECT COUNT(*) FROM change_pending`); err != nil {
				return err
			}
			return tx.Get(ctx, &events, `SELECT COUNT(*) FROM audit_pending`)
		}); err != nil {
			t.Fatal(err)
		}
		return changes, events
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, _ := pending()
		if c == 2*n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d changes pending, want %d: the groups queued on the counter", c, 2*n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range n {
		if !settingExists(t, db, fmt.Sprintf("b%02d", i)) {
			t.Errorf("write b%02d not committed while the counter was held", i)
		}
	}
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write b%02d: %v", i, err)
		}
	}
	if c, e := pending(); c != 0 || e != 0 {
		t.Errorf("%d changes and %d events still pending after the round", c, e)
	}
	if changes := checkLogs(t, db); changes != 2*n {
		t.Errorf("%d changes logged for %d writes of two each", changes, n)
	}
	for i, c := range changes {
		var name string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.Get(ctx, &name, `SELECT entity_id FROM change_log WHERE seq = ?`, c.Seq)
		}); err != nil || name != fmt.Sprintf("b%02d", i) {
			t.Errorf("write b%02d was told %d, which is %q (%v)", i, c.Seq, name, err)
		}
	}
}

// TestAWriteIsToldTheNumberAnEarlierRoundGave: a write that left its
// change pending is told the number its change got even when the round
// that numbered it is not the one that answers it: here, between its
// commit and its wait, one round numbers its row and a second runs after
// another write, so the round that answers it gave it nothing.
func TestAWriteIsToldTheNumberAnEarlierRoundGave(t *testing.T) {
	db := openPostgres(t)
	ctx := context.Background()
	// The counter held: the write finds it busy and leaves its rows pending.
	holder := holdCounter(t, db)
	var between error
	var first atomic.Bool
	// Runs after the write's commit, before it waits for its round (and
	// after the other write's, which does nothing).
	db.ObserveGroupCommits(func(int) {
		if first.CompareAndSwap(false, true) {
			between = errors.Join(holder.Commit(), db.AwaitRound(ctx),
				db.Write(ctx, loggedWrite("other", nil)), db.AwaitRound(ctx))
		}
	})
	var told *store.Change
	if err := db.Write(ctx, func(tx *store.Tx) error {
		told = tx.AppendChange(ctx, store.Change{PatientID: "p", Entity: "setting", EntityID: "mine", Op: "upsert", At: time.Now()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if between != nil {
		t.Fatal(between)
	}
	checkLogs(t, db)
	var name string
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.Get(ctx, &name, `SELECT entity_id FROM change_log WHERE seq = ?`, told.Seq)
	}); err != nil || name != "mine" {
		t.Errorf("the write was told %d, which is %q (%v)", told.Seq, name, err)
	}
}

// TestOneWriteOfManyRowsMovesTheHeadsOnce: a write whose changes and audit
// events take more than one INSERT (64 rows each) is numbered from the
// heads it read, and each head ends at its log's last row. On PostgreSQL
// the first INSERT moves the head (store.Tx.AppendAuditEvents and the
// change log's); a second write after it continues the numbering.
func TestOneWriteOfManyRowsMovesTheHeadsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		var told []*store.Change
		write := func(prefix string, n int) {
			t.Helper()
			told = told[:0]
			if err := db.Write(ctx, func(tx *store.Tx) error {
				for i := range n {
					name := fmt.Sprintf("%s%03d", prefix, i)
					told = append(told, tx.AppendChange(ctx, store.Change{PatientID: "m", Entity: "setting", EntityID: name, Op: "upsert", At: time.Now()}))
					if err := audit.Append(ctx, tx, &audit.Event{At: time.Now(), ActorID: "a", Action: "setting.write", ResourceID: name, Result: audit.ResultOK}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		write("m", 150)
		if got := checkLogs(t, db); got != 150 {
			t.Errorf("%d changes logged, want 150", got)
		}
		first := told[0].Seq
		for i, c := range told {
			if c.Seq != first+int64(i) {
				t.Fatalf("change %d told seq %d, want %d", i, c.Seq, first+int64(i))
			}
		}
		write("n", 3)
		if got := checkLogs(t, db); got != 153 {
			t.Errorf("%d changes logged, want 153", got)
		}
		if told[0].Seq != first+150 {
			t.Errorf("the next write was told %d, want %d", told[0].Seq, first+150)
		}
	})
}
