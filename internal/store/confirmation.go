package store

import (
	"context"
	"fmt"
	"strings"

	"tsunagu/internal/care"
)

// AwaitingQuery selects a page of the records awaiting one author's
// confirmation (確定待ち). Author is the viewer and the author; the
// records are looked for in ChartPatients at the Chart level and in
// SharedPatients at the Shared level (care.RecordScope), the levels
// care.PatientAccess gives the author there now.
type AwaitingQuery struct {
	Author         care.Viewer
	ChartPatients  []string
	SharedPatients []string
	Before         *TimelineKey
	Limit          int
}

// AwaitingConfirmation returns up to q.Limit records of author q.Author
// whose current version someone else entered and the author has not
// confirmed (care.NeedsConfirmation, unstamped), newest first by
// (occurred_at, id) like the timeline, with their current versions and
// read state for the author. Only records the author still reads are
// returned: of the given patients, at the given level. A version replaced
// by the author's own amendment no longer awaits anything, like the
// record's awaiting_confirmation flag. It walks the author's records
// awaiting confirmation on the partial index record_awaiting.
func (tx *Tx) AwaitingConfirmation(ctx context.Context, q AwaitingQuery) ([]TimelineItem, error) {
	groups, gargs := tx.patientGroups(q.Author, q.ChartPatients, q.SharedPatients)
	if groups == "" {
		return []TimelineItem{}, nil
	}
	args := append([]any{q.Author.UserID, q.Author.UserID}, gargs...)
	// The record row keeps its current version's entered_by and confirmed_at
	// (migration 28): these two terms are record_awaiting's condition, so the
	// walk reads the author's records awaiting confirmation, not all of theirs.
	where := []string{"r.author_id = ?", "r.confirmed_at IS NULL", "r.entered_by <> r.author_id", groups}
	if q.Before != nil {
		where = append(where, "(r.occurred_at, r.id) < (?, ?)")
		args = append(args, UTC(q.Before.OccurredAt), q.Before.ID)
	}
	args = append(args, q.Limit)
	query := `SELECT ` + recordColumns + `, ` + versionColumns + `,
		` + readStateSQL + ` AS read_state
		FROM record r JOIN record_version v ON v.record_id = r.id AND v.version = r.current_version
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?`
	var rows []struct {
		Record
		versionRow
		ReadState int64 `db:"read_state"`
	}
	if err := tx.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("awaiting confirmation: %w", err)
	}
	out := make([]TimelineItem, 0, len(rows))
	for _, r := range rows {
		v, err := r.versionRow.version()
		if err != nil {
			return nil, err
		}
		it := TimelineItem{Record: r.Record, Current: v}
		it.ReadCount, it.ReadByMe = readState(r.ReadState)
		out = append(out, it)
	}
	return out, nil
}
