package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"tsunagu/internal/care"
)

// Change is one row of the change log.
type Change struct {
	Seq       int64     `db:"seq"`
	PatientID string    `db:"patient_id"`
	Entity    string    `db:"entity"`
	EntityID  string    `db:"entity_id"`
	Op        string    `db:"op"`
	Chart     bool      `db:"chart"`
	SubjectID string    `db:"subject_id"`
	At        time.Time `db:"at"`
}

// AppendChange adds c to the change log. Its sequence number is handed
// out when the transaction commits: the returned Change has Seq set once
// DB.Write returns (and in after-commit hooks). On SQLite the group commit
// numbers its changes just before it commits (see Deferred); on PostgreSQL
// the transaction leaves them in change_pending and the sequencer numbers
// them after its commit (pgseq.go) — there, a change that another
// instance's round numbered gets, as its Seq, the counter at the end of
// the round that found it done: a number at or past its own. Either way a
// number is only ever given to a row that is visible with every lower one,
// so a reader never passes a change that becomes visible later.
func (tx *Tx) AppendChange(ctx context.Context, c Change) *Change {
	buf := tx.Defer(changeBufferKey{}, RankChanges, func() Deferred { return &changeBuffer{} }).(*changeBuffer)
	p := &c
	buf.items = append(buf.items, p)
	return p
}

type changeBufferKey struct{}

type changeBuffer struct{ items []*Change }

func (b *changeBuffer) Len() int       { return len(b.items) }
func (b *changeBuffer) Truncate(n int) { b.items = b.items[:n] }

func (b *changeBuffer) Flush(ctx context.Context, tx *Tx) error {
	if len(b.items) == 0 {
		return nil
	}
	if later, err := tx.NumbersLater(ctx); err != nil {
		return err
	} else if later {
		return b.leavePending(ctx, tx)
	}
	seq, err := tx.advanceChangeHead(ctx, len(b.items))
	if err != nil {
		return err
	}
	rows := make([][]any, len(b.items))
	for i, c := range b.items {
		seq++
		c.Seq = seq
		rows[i] = []any{c.Seq, c.PatientID, c.Entity, c.EntityID, c.Op, c.Chart, c.SubjectID, UTC(c.At)}
	}
	with, withArgs := tx.changeHeadCTE()
	if err := tx.insertRowsWith(ctx, with, withArgs, "change_log", "seq, patient_id, entity, entity_id, op, chart, subject_id, at", 8, rows); err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	b.items = b.items[:0]
	return nil
}

// leavePending writes the changes into change_pending, for the sequencer,
// and keeps which row each became so that its number reaches it.
func (b *changeBuffer) leavePending(ctx context.Context, tx *Tx) error {
	for items := b.items; len(items) > 0; {
		n := min(len(items), 64)
		rows := make([][]any, n)
		for i, c := range items[:n] {
			rows[i] = []any{c.PatientID, c.Entity, c.EntityID, c.Op, c.Chart, c.SubjectID, UTC(c.At)}
		}
		var ids []int64
		if err := tx.insertReturning(ctx, &ids, "INSERT INTO change_pending (patient_id, entity, entity_id, op, chart, subject_id, at)", "RETURNING id", 7, rows); err != nil {
			return fmt.Errorf("insert change: %w", err)
		}
		if len(ids) != n {
			return fmt.Errorf("insert change: %d ids for %d rows", len(ids), n)
		}
		// The identity is drawn row by row in the order of VALUES.
		slices.Sort(ids)
		for i, c := range items[:n] {
			tx.pendingChanges = append(tx.pendingChanges, pendingChange{id: ids[i], c: c})
		}
		items = items[n:]
	}
	tx.LeftPending()
	b.items = b.items[:0]
	return nil
}

// LastChangeSeq returns the newest sequence number handed out.
func (tx *Tx) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := tx.get(ctx, &seq, `SELECT seq FROM change_counter WHERE id = 1`)
	return seq, err
}

// ChangesSince returns up to limit changes after seq of the given patients,
// oldest first, as viewer v may see them: chart changes only of the
// patients in chartPatients, and no change of a chart record that v does
// not read there (facility disclosure, care.RecordScope), so that its id
// never reaches v's device.
//
// head is the log's last number as the caller read it in the same
// transaction (LastChangeSeq): no row after it is read, and the caller's
// cursor moves to it when the page is not full.
//
// It reads in two steps. First the next rows of the log itself, in
// sequence order, up to a window (changeWindow): a device that is nearly
// current, or whose user reaches most of what is written, finds its page
// there and the read stops at limit. Only if the window holds too few of
// the user's changes and ends before head does the rest come from the
// per-patient index (change_log_patient), whose cost is a descent of the
// index for each patient and every change of those patients after the
// window, sorted. Either alone was worse: the index read sorted the whole
// tail of a busy caseload for each page of a device that was long offline,
// and the log read of a user who reaches a few patients of a large region
// would pass over everyone else's writes.
//
// A record's change comes with the record's key and v's read state, which
// RecordsByIDs then takes instead of asking again in the same transaction
// (a second query over the page's ids was a third of a pull).
func (tx *Tx) ChangesSince(ctx context.Context, after, head int64, patients, chartPatients []string, v care.Viewer, limit int) ([]Change, error) {
	out := make([]Change, 0, min(limit, 512))
	if len(patients) == 0 || limit <= 0 || after >= head {
		return out, nil
	}
	if len(chartPatients) == 0 {
		chartPatients = []string{""}
	}
	// The record of each chart change is checked in the filter only when
	// some facility narrows its disclosure for v: a pull page stays one
	// range scan otherwise.
	scope := care.RecordScopeFor(v, care.Chart)
	narrows, narrowsArgs := disclosureNarrowsSQL(scope)
	reads, readsArgs := readsSQL(scope)
	in := tx.inList()
	// The record's flags and the viewer's read state come as one number
	// (pulledState): each column is a call into the driver per row, and a
	// page's columns were a fifth of its read.
	columns := `SELECT c.seq, c.patient_id, c.entity, c.entity_id, c.op,
		r.current_version, ` + timeText(tx.engine, "r.confirmed_at") + `, ` + readStateSQL + ` * 4
		  + CASE WHEN r.chart THEN 2 ELSE 0 END + CASE WHEN ` + reads + ` THEN 1 ELSE 0 END
		FROM change_log c
		LEFT JOIN record r ON c.entity = 'record' AND r.id = c.entity_id`
	colArgs := append([]any{v.UserID}, readsArgs...)
	// A viewer who reads every patient of the page at the Chart level (a
	// team member, the usual puller) needs no chart condition: the list
	// would be built and looked into for each row for nothing.
	chartFilter, chartArgs := `AND (c.chart = FALSE OR c.patient_id IN `+in+`)`, []any{jsonList(chartPatients)}
	if sameSet(patients, chartPatients) {
		chartFilter, chartArgs = "", nil
	}
	filter := `AND c.entity <> 'access' ` + chartFilter + `
		  AND (c.chart = FALSE OR c.entity <> 'record' OR NOT ` + narrows + `
		       OR NOT EXISTS (SELECT 1 FROM record r WHERE r.id = c.entity_id AND NOT ` + reads + `))
		ORDER BY c.seq` + limitSQL(limit)
	// On SQLite the unary + keeps the planner on the sequence range: with
	// the patient list it could prefer the patient index, which is the
	// second step's plan.
	patientCol := "c.patient_id"
	if tx.engine == SQLite {
		patientCol = "+c.patient_id"
	}
	upto := min(head, after+changeWindow(limit, len(patients)))
	all := jsonList(patients)
	filterArgs := append(append(chartArgs, narrowsArgs...), readsArgs...)
	tx.pulled, tx.pulledScope = map[string]recordStub{}, scope
	args := append(append(colArgs, after, upto, all), filterArgs...)
	out, err := tx.changes(ctx, out, limit, columns+`
		WHERE c.seq > ? AND c.seq <= ? AND `+patientCol+` IN `+in+` `+filter, args...)
	if err != nil || len(out) == limit || upto == head {
		return out, err
	}
	args = append(append(colArgs, upto, head, all), filterArgs...)
	return tx.changes(ctx, out, limit, columns+`
		WHERE c.seq > ? AND c.seq <= ? AND c.patient_id IN `+in+` `+filter, args...)
}

// sameSet says whether a and b hold the same ids (the reach lists come
// sorted; any other order only costs the shortcut).
func sameSet(a, b []string) bool {
	return len(a) == len(b) && slices.Equal(a, b)
}

// changeWindow is how many log rows ChangesSince reads in sequence order
// before it turns to the per-patient index: four for each change wanted,
// or, for a reach of many patients, rowsPerDescent for each patient,
// whichever is more. The index read descends the index once for each
// patient; in a morning's pulls of a 171-patient caseload (a prefecture
// at a tenth, SQLite, every reader's page cache emptied by the last
// commit) a descent cost as much as reading 19 rows of the log in order.
func changeWindow(limit, patients int) int64 {
	return int64(max(4*limit, rowsPerDescent*patients))
}

const rowsPerDescent = 16

// changes appends the rows of a change query to out, until out holds
// limit, and keeps the record stubs it carries in tx.pulled. It scans by
// hand: a pull page is 500 rows, and reflection was a third of reading
// them.
func (tx *Tx) changes(ctx context.Context, out []Change, limit int, query string, args ...any) ([]Change, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return out, fmt.Errorf("changes since: %w", err)
	}
	defer rows.Close()
	for len(out) < limit && rows.Next() {
		var c Change
		var version, state sql.NullInt64
		var st recordStub
		if err := rows.Scan(&c.Seq, &c.PatientID, &c.Entity, &c.EntityID, &c.Op,
			&version, nullTimeScan(&st.ConfirmedAt), &state); err != nil {
			return out, fmt.Errorf("changes since: %w", err)
		}
		if version.Valid {
			st.ID, st.Version = c.EntityID, version.Int64
			st.ReadState, st.chart, st.readsAsChart = state.Int64/4, state.Int64&2 != 0, state.Int64&1 != 0
			tx.pulled[c.EntityID] = st
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("changes since: %w", err)
	}
	return out, nil
}

// AccessChangesSince returns the patients whose access for user userID may
// have changed after seq: their own team membership, or the consent of a
// patient whose team they are or were on.
func (tx *Tx) AccessChangesSince(ctx context.Context, userID string, after int64) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT DISTINCT patient_id FROM change_log
		WHERE entity = 'access' AND seq > ? AND (subject_id = ?
		   OR (subject_id = '' AND patient_id IN (SELECT patient_id FROM team_member WHERE user_id = ?)))
		ORDER BY patient_id`, after, userID, userID)
	return ids, err
}

// RecentRecordIDs returns the ids of the newest limit records of a patient
// that scope reads, for a device's snapshot.
func (tx *Tx) RecentRecordIDs(ctx context.Context, patientID string, scope care.RecordScope, limit int) ([]string, error) {
	ids := []string{}
	reads, readsArgs := readsSQL(scope)
	args := append([]any{patientID}, readsArgs...)
	err := tx.sel(ctx, &ids, `SELECT r.id FROM record r WHERE r.patient_id = ? AND `+reads+` ORDER BY r.occurred_at DESC, r.id DESC`+limitSQL(limit), args...)
	return ids[:min(len(ids), limit)], err
}

// VisitIDs returns the ids of every visit (single or series) of a patient.
func (tx *Tx) VisitIDs(ctx context.Context, patientID string) ([]string, error) {
	ids := []string{}
	err := tx.sel(ctx, &ids, `SELECT id FROM visit WHERE patient_id = ? ORDER BY starts_at, id`, patientID)
	return ids, err
}
