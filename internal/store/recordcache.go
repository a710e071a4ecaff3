package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/gencache"
)

// Records are insert-only: a version's content never changes, and the
// record row changes only its pointer to the current version. The one
// later write to a version is the author's confirmation, once, from NULL
// (ConfirmRecordVersion), which the record row keeps too. So a record's
// current form is fully named by (id, current version, confirmed at), all
// three on the record row, and what was read for that key
// stays true on every server process: the timeline and the pull ask the
// database only for the keys and the read state of a page, and decode
// just the records they have not seen (a pull of 500 records spent most of
// its time scanning and decoding 25 columns per row before).

// RecordKey names a record's current form: two reads with equal keys read
// the same record (read state aside), on any server process.
type RecordKey struct {
	ID        string
	Version   int64
	Confirmed int64 // confirmed_at in µs; 0 while unconfirmed
}

// Key is the item's RecordKey.
func (it TimelineItem) Key() RecordKey {
	k := RecordKey{ID: it.ID, Version: it.Current.Version}
	if !it.Current.ConfirmedAt.IsZero() {
		k.Confirmed = UTC(it.Current.ConfirmedAt).UnixMicro()
	}
	return k
}

// cachedRecord is a decoded record in the record cache with what it
// weighs: its stored content's length and recordOverhead.
type cachedRecord struct {
	TimelineItem
	weight int
}

// recordOverhead is roughly what a decoded record holds besides its
// content's text: its ids, times and the cache's map entry.
const recordOverhead = 640

// recordCacheBytes is what a generation of the record cache weighs: 8 to
// 16 MB, some 6,000 to 12,000 records of 500 characters. It was 4,096
// records a generation, a few MB of short ones, but far more of long
// ones. Decoded records are many small objects the collector scans on
// every cycle, so the cache that holds a large working set is the API's
// encoded one (api/pulljson.go), of plain bytes.
const recordCacheBytes = 8 << 20

func newRecordCache() *gencache.Cache[RecordKey, cachedRecord] {
	return gencache.NewSized[RecordKey, cachedRecord](recordCacheBytes, func(c cachedRecord) int { return c.weight })
}

// recordStub is what a page query reads per record: its cache key and the
// viewer's read state.
type recordStub struct {
	ID          string       `db:"id"`
	Version     int64        `db:"current_version"`
	ConfirmedAt sql.NullTime `db:"confirmed_at"`
	ReadState   int64        `db:"read_state"` // readStateSQL
	OccurredAt  time.Time    // read when the query selects r.occurred_at fifth (the timeline)

	// Read with a change (Tx.pulled): whether it is a chart record, and
	// whether the viewer reads it at the Chart level (readsSQL).
	chart, readsAsChart bool
}

// pulledFor returns the stub ChangesSince read of record id, if it may
// stand for the record read under scope: the same viewer, and a record
// scope reads.
func (tx *Tx) pulledFor(scope care.RecordScope, id string) (recordStub, bool) {
	st, ok := tx.pulled[id]
	if !ok || tx.pulledScope.ViewerID != scope.ViewerID || tx.pulledScope.ViewerFacilityID != scope.ViewerFacilityID {
		return st, false
	}
	switch {
	case scope.Level >= care.Chart:
		return st, st.readsAsChart
	case scope.Level >= care.Shared:
		return st, !st.chart
	}
	return st, false
}

func (s recordStub) key() RecordKey {
	k := RecordKey{ID: s.ID, Version: s.Version}
	if s.ConfirmedAt.Valid {
		k.Confirmed = UTC(s.ConfirmedAt.Time).UnixMicro()
	}
	return k
}

// readStateSQL is the read state of record r for the viewer (the ?) in one
// number, read in one look into record_read: twice how many read it, plus
// one if the viewer did (two subqueries were a quarter of a page's index
// lookups).
const readStateSQL = `(SELECT COUNT(*) * 2 + COALESCE(MAX(CASE WHEN rr.user_id = ? THEN 1 ELSE 0 END), 0)
		FROM record_read rr WHERE rr.record_id = r.id)`

// readState splits readStateSQL's number.
func readState(n int64) (count int, byMe bool) { return int(n / 2), n%2 == 1 }

// stubColumns select a recordStub from record r alone (it keeps its
// current version's confirmed_at); the first ? is the viewer. A query
// that reads the stubs' times too selects timelineColumns.
func (tx *Tx) stubColumns() string {
	return `r.id, r.current_version, ` + timeText(tx.engine, "r.confirmed_at") + `, ` + readStateSQL
}

// timelineColumns are stubColumns and when the record occurred.
func (tx *Tx) timelineColumns() string {
	return tx.stubColumns() + `, ` + timeText(tx.engine, "r.occurred_at")
}

// timeText is time column col as the queries that scan by hand select
// it. On SQLite the unary + (which changes nothing) makes it a value
// without a declared type, so the driver hands over the text it keeps,
// and timeScan parses it once. Given a TIMESTAMP column, the driver
// parses each value twice, the first time in a layout it never has,
// which also makes an error value: a tenth of reading a page of records
// not read before.
func timeText(engine, col string) string {
	if engine == SQLite {
		return "+" + col
	}
	return col
}

// timeScan scans a time column selected with timeText: the text SQLite
// keeps (the layout the driver writes with _time_format=sqlite, parsed
// as the driver parses it), or PostgreSQL's time. NULL makes the zero
// time; valid, if not nil, says whether it was NULL.
type timeScan struct {
	t     *time.Time
	valid *bool
}

// sqliteTimeLayouts are the layouts the driver reads a TIMESTAMP
// column's text in, the one it writes (_time_format=sqlite) first. The
// store writes every time through the driver, so the others are only a
// fallback: a value in any of them reads as the driver would read it.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00", time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

// parseStoredTime parses a time as SQLite keeps it.
func parseStoredTime(s string) (time.Time, error) {
	t, err := time.Parse(sqliteTimeLayouts[0], s)
	if err == nil {
		return t, nil
	}
	for _, layout := range sqliteTimeLayouts[1:] {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time column: %w", err)
}

func (d timeScan) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case time.Time:
		*d.t = v
	case string:
		*d.t, err = parseStoredTime(v)
	case []byte:
		*d.t, err = parseStoredTime(string(v))
	case nil:
		if d.valid == nil {
			return errors.New("time column is NULL")
		}
		*d.t = time.Time{}
	default:
		return fmt.Errorf("time column holds a %T", src)
	}
	if d.valid != nil {
		*d.valid = src != nil
	}
	return err
}

func nullTimeScan(t *sql.NullTime) timeScan { return timeScan{&t.Time, &t.Valid} }

// stubs reads up to limit recordStubs a query selects with stubColumns or
// timelineColumns. It scans by hand: a pull page is 500 of them, and
// reflection was a third of reading them.
func (tx *Tx) stubs(ctx context.Context, limit int, query string, args ...any) ([]recordStub, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := make([]recordStub, 0, min(limit, 512))
	for len(out) < limit && rows.Next() {
		var s recordStub
		dest := []any{&s.ID, &s.Version, nullTimeScan(&s.ConfirmedAt), &s.ReadState, timeScan{t: &s.OccurredAt}}
		if err := rows.Scan(dest[:len(cols)]...); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// resolveRecords turns stubs into records, in their order, from the cache
// and one query for those it lacks. It runs in the transaction that read
// the stubs, so both see the same snapshot.
func (tx *Tx) resolveRecords(ctx context.Context, stubs []recordStub) ([]TimelineItem, error) {
	return tx.resolveSkipping(ctx, stubs, nil, true)
}

// resolveSkipping is resolveRecords but for the stubs for which skip (if
// not nil) reports true: they are left unread, their item holding only
// the record's key, when it occurred (if the stubs read it) and the read
// state, and saying Skipped. A caller that keeps its own form of records
// (the API's encoded JSON) reads just what it lacks, and passes keep
// false: the records decoded for it are not kept here too. Decoded
// records are many small objects the collector scans, and a walk through
// more records than either cache holds only churned this one.
func (tx *Tx) resolveSkipping(ctx context.Context, stubs []recordStub, skip func(RecordKey) bool, keep bool) ([]TimelineItem, error) {
	out := make([]TimelineItem, len(stubs))
	keys, found := make([]RecordKey, len(stubs)), make([]bool, len(stubs))
	cached := make([]cachedRecord, len(stubs))
	for i, s := range stubs {
		keys[i] = s.key()
		if skip != nil && skip(keys[i]) {
			found[i] = true
			cached[i].TimelineItem = TimelineItem{Skipped: true,
				Record:  Record{ID: s.ID, CurrentVersion: s.Version, OccurredAt: s.OccurredAt},
				Current: RecordVersion{RecordID: s.ID, Version: s.Version, ConfirmedAt: s.ConfirmedAt.Time}}
		}
	}
	tx.db.records.GetMany(keys, cached, found)
	var missing []string
	at := map[string]int{}
	for i, s := range stubs {
		if found[i] {
			out[i] = cached[i].TimelineItem
		} else {
			missing = append(missing, s.ID)
			at[s.ID] = i
		}
		out[i].ReadCount, out[i].ReadByMe = readState(s.ReadState)
	}
	for len(missing) > 0 {
		n := min(len(missing), 500)
		rows, err := tx.recordsWithVersions(ctx, n, `SELECT `+recordVersionColumns[tx.engine]+`
			FROM record r JOIN record_version v ON v.record_id = r.id AND v.version = r.current_version
			WHERE r.id IN `+tx.inList(), jsonList(missing[:n]))
		if err != nil {
			return nil, fmt.Errorf("records: %w", err)
		}
		for _, r := range rows {
			v, err := r.versionRow.version()
			if err != nil {
				return nil, err
			}
			i := at[r.ID]
			it := TimelineItem{Record: r.Record, Current: v}
			if keep {
				tx.db.records.Put(it.Key(), cachedRecord{it, recordOverhead + len(r.Body) + len(r.Vitals.String) + len(r.AttachmentIDs)})
			}
			it.ReadCount, it.ReadByMe = out[i].ReadCount, out[i].ReadByMe
			out[i] = it
		}
		if len(rows) != n {
			return nil, fmt.Errorf("records: %d of %d found", len(rows), n)
		}
		missing = missing[n:]
	}
	return out, nil
}

// recordWithVersion is a row of recordColumns followed by versionColumns.
type recordWithVersion struct {
	Record
	versionRow
}

// recordVersionColumns are recordColumns then versionColumns, their
// times selected with timeText, for recordsWithVersions.
var recordVersionColumns = map[string]string{
	Postgres: timeTexts(Postgres, recordColumns+`, `+versionColumns, "r.occurred_at", "r.created_at", "v.confirmed_at", "v.created_at"),
	SQLite:   timeTexts(SQLite, recordColumns+`, `+versionColumns, "r.occurred_at", "r.created_at", "v.confirmed_at", "v.created_at"),
}

// timeTexts is a column list cols with each of its time columns times
// selected with timeText.
func timeTexts(engine, cols string, times ...string) string {
	pairs := make([]string, 0, 2*len(times))
	for _, col := range times {
		pairs = append(pairs, col, timeText(engine, col))
	}
	return strings.NewReplacer(pairs...).Replace(cols)
}

// recordsWithVersions reads the rows of a query that selects
// recordVersionColumns. It scans by hand: on a page of records not read
// before, reflection was a tenth of the read.
func (tx *Tx) recordsWithVersions(ctx context.Context, size int, query string, args ...any) ([]recordWithVersion, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]recordWithVersion, 0, size)
	for rows.Next() {
		var x recordWithVersion
		r, v := &x.Record, &x.versionRow
		if err := rows.Scan(&r.ID, &r.PatientID, &r.Kind, &r.Chart, &r.AuthorID, &r.AuthorFacilityID, &r.AuthorProfession,
			&r.VisitID, timeScan{t: &r.OccurredAt}, timeScan{t: &r.CreatedAt}, &r.CurrentVersion, &r.RequestHash, &r.SourceMessageID,
			&v.RecordID, &v.Version, &v.ParentVersion, &v.StaleParent, &v.Status, &v.Reason, &v.Body, &v.Vitals,
			&v.AttachmentIDs, &v.EnteredBy, &v.ConfirmedBy, nullTimeScan(&v.ConfirmedAt), timeScan{t: &v.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
