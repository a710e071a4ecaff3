package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RecordSigninFailure counts one failed sign-in against each subject
// (e.g. "login:<id>" and "addr:<ip>").
func (tx *Tx) RecordSigninFailure(ctx context.Context, now time.Time, subjects ...string) error {
	for _, s := range subjects {
		if _, err := tx.exec(ctx, `INSERT INTO signin_failure (id, subject, at) VALUES (?, ?, ?)`, uuid.Must(uuid.NewV7()).String(), s, UTC(now)); err != nil {
			return err
		}
	}
	return nil
}

// SigninFailures counts failures of subject since since.
func (tx *Tx) SigninFailures(ctx context.Context, subject string, since time.Time) (int, error) {
	var n int
	err := tx.get(ctx, &n, `SELECT COUNT(*) FROM signin_failure WHERE subject = ? AND at >= ?`, subject, UTC(since))
	return n, err
}

// ClearSigninFailures forgets the failures of subject (after a success).
func (tx *Tx) ClearSigninFailures(ctx context.Context, subject string) error {
	_, err := tx.exec(ctx, `DELETE FROM signin_failure WHERE subject = ?`, subject)
	return err
}

// PruneSigninFailures deletes failures older than before.
func (tx *Tx) PruneSigninFailures(ctx context.Context, before time.Time) (int64, error) {
	return tx.exec(ctx, `DELETE FROM signin_failure WHERE at < ?`, UTC(before))
}
