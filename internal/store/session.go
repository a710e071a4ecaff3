package store

import (
	"context"
	"fmt"
	"time"
)

// Session is a stored sign-in session (the token itself is never stored).
type Session struct {
	TokenHash  string    `db:"token_hash"`
	UserID     string    `db:"user_id"`
	Stage      string    `db:"stage"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
	Address    string    `db:"address"`
}

// CreateSession inserts s.
func (tx *Tx) CreateSession(ctx context.Context, s Session) error {
	_, err := tx.exec(ctx, `INSERT INTO user_session (token_hash, user_id, stage, created_at, last_seen_at, address) VALUES (?, ?, ?, ?, ?, ?)`,
		s.TokenHash, s.UserID, s.Stage, UTC(s.CreatedAt), UTC(s.LastSeenAt), s.Address)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// Session returns the session with token hash h, or ErrNotFound.
func (tx *Tx) Session(ctx context.Context, h string) (Session, error) {
	var s Session
	err := tx.get(ctx, &s, `SELECT token_hash, user_id, stage, created_at, last_seen_at, address FROM user_session WHERE token_hash = ?`, h)
	return s, err
}

// TouchSession moves the idle clock of session h to now.
func (tx *Tx) TouchSession(ctx context.Context, h string, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE user_session SET last_seen_at = ? WHERE token_hash = ?`, UTC(now), h)
	return err
}

// SetSessionStage changes what session h may reach.
func (tx *Tx) SetSessionStage(ctx context.Context, h, stage string) error {
	_, err := tx.exec(ctx, `UPDATE user_session SET stage = ? WHERE token_hash = ?`, stage, h)
	return err
}

// DeleteSession ends session h.
func (tx *Tx) DeleteSession(ctx context.Context, h string) error {
	_, err := tx.exec(ctx, `DELETE FROM user_session WHERE token_hash = ?`, h)
	return err
}

// DeleteUserSessions ends every session of user id.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, `DELETE FROM user_session WHERE user_id = ?`, userID)
	return err
}

// DeleteSessionsBefore removes sessions idle since before idleCutoff or
// created before absCutoff.
func (tx *Tx) DeleteSessionsBefore(ctx context.Context, idleCutoff, absCutoff time.Time) (int64, error) {
	return tx.exec(ctx, `DELETE FROM user_session WHERE last_seen_at < ? OR created_at < ?`, UTC(idleCutoff), UTC(absCutoff))
}
