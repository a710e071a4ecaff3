package store

import (
	"context"
	"fmt"
	"time"

	"tsunagu/internal/care"
)

// CalendarRecord is a record shown on a day of the patient calendar.
type CalendarRecord struct {
	ID         string    `db:"id"`
	Kind       string    `db:"kind"`
	OccurredAt time.Time `db:"occurred_at"`
	VisitID    string    `db:"visit_id"`
	AuthorID   string    `db:"author_id"`
}

// CalendarRecords returns the records the patient calendar shows on its
// days: those of patient patientID that occurred in [from, to) and that
// scope reads (chart kinds, facility disclosure), oldest first.
func (tx *Tx) CalendarRecords(ctx context.Context, patientID string, from, to time.Time, scope care.RecordScope) ([]CalendarRecord, error) {
	out := []CalendarRecord{}
	reads, readsArgs := readsSQL(scope)
	args := append([]any{patientID, UTC(from), UTC(to)}, readsArgs...)
	err := tx.sel(ctx, &out, `SELECT r.id, r.kind, r.occurred_at, COALESCE(r.visit_id, '') AS visit_id, r.author_id FROM record r
		WHERE r.patient_id = ? AND r.occurred_at >= ? AND r.occurred_at < ? AND `+reads+`
		ORDER BY r.occurred_at, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("calendar records: %w", err)
	}
	return out, nil
}

// SetCalendarFeed makes tokenHash the one feed token of userID, revoking
// the one before.
func (tx *Tx) SetCalendarFeed(ctx context.Context, userID, tokenHash string, now time.Time) error {
	if err := tx.DeleteCalendarFeed(ctx, userID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO calendar_feed (user_id, token_hash, created_at) VALUES (?, ?, ?)`, userID, tokenHash, UTC(now)); err != nil {
		return fmt.Errorf("insert calendar feed: %w", err)
	}
	return nil
}

// DeleteCalendarFeed revokes userID's feed token, if any.
func (tx *Tx) DeleteCalendarFeed(ctx context.Context, userID string) error {
	if _, err := tx.exec(ctx, `DELETE FROM calendar_feed WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete calendar feed: %w", err)
	}
	return nil
}

// CalendarFeedUser returns the user whose feed token hashes to tokenHash,
// or ErrNotFound.
func (tx *Tx) CalendarFeedUser(ctx context.Context, tokenHash string) (string, error) {
	var id string
	err := tx.get(ctx, &id, `SELECT user_id FROM calendar_feed WHERE token_hash = ?`, tokenHash)
	return id, err
}
