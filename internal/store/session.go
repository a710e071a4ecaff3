package store

import (
	"context"
	"database/sql"
	"errors"
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

// SessionAndUser returns the session with token hash h and its account,
// or ErrNotFound: what every request reads first. It is one statement;
// on PostgreSQL it runs on its own, outside a transaction (one round trip
// where a read transaction took four), which is consistent: a statement
// sees one snapshot.
func (db *DB) SessionAndUser(ctx context.Context, h string) (Session, User, error) {
	var s Session
	var u User
	dest := append([]any{&s.TokenHash, &s.UserID, &s.Stage, &s.CreatedAt, &s.LastSeenAt, &s.Address}, u.scanDest()...)
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return ErrNotFound
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		return rows.Close()
	}
	var err error
	if db.Engine == Postgres {
		err = scan(db.x.QueryContext(ctx, db.x.Rebind(sessionAndUserSQL), h))
	} else {
		err = db.Read(ctx, func(tx *Tx) error { return scan(tx.query(ctx, sessionAndUserSQL, h)) })
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("session: %w", err)
	}
	return s, u, err
}

var sessionAndUserSQL = `SELECT s.token_hash, s.user_id, s.stage, s.created_at, s.last_seen_at, s.address, ` + prefixed("u.", userColumns) + `
	FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = ?`

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
