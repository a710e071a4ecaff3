package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UserEmail is a user's notification address and its verification state.
type UserEmail struct {
	UserID         string         `db:"user_id"`
	Address        string         `db:"address"`
	VerifiedAt     sql.NullTime   `db:"verified_at"`
	TokenHash      sql.NullString `db:"token_hash"`
	TokenExpiresAt sql.NullTime   `db:"token_expires_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
}

// UserEmailOf returns userID's address row, or ErrNotFound; a forgotten
// address (DeleteUserEmail) is a row with a blank address.
func (tx *Tx) UserEmailOf(ctx context.Context, userID string) (UserEmail, error) {
	var e UserEmail
	err := tx.get(ctx, &e, `SELECT user_id, address, verified_at, token_hash, token_expires_at, updated_at FROM user_email WHERE user_id = ?`, userID)
	return e, err
}

// SetUserEmail stores address as userID's unverified address, waiting for
// the token whose hash is tokenHash until expires. Mail still queued for
// the user's earlier address is dropped.
func (tx *Tx) SetUserEmail(ctx context.Context, userID, address, tokenHash string, expires, now time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM mail_outbox WHERE user_id = ?`, userID); err != nil {
		return err
	}
	// One statement (not UPDATE, then INSERT when nothing was there): two first
	// registrations of one user at once would both insert and one would fail.
	_, err := tx.exec(ctx, `INSERT INTO user_email (user_id, address, verified_at, token_hash, token_expires_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET address = excluded.address, verified_at = NULL, token_hash = excluded.token_hash,
			token_expires_at = excluded.token_expires_at, updated_at = excluded.updated_at`,
		userID, address, tokenHash, UTC(expires), UTC(now))
	if err != nil {
		return fmt.Errorf("insert user email: %w", err)
	}
	return nil
}

// VerifyUserEmail marks userID's address verified when tokenHash is the
// hash of its pending token and the token has not expired at now. It
// reports whether it did.
func (tx *Tx) VerifyUserEmail(ctx context.Context, userID, tokenHash string, now time.Time) (bool, error) {
	n, err := tx.exec(ctx, `UPDATE user_email SET verified_at = ?, token_hash = NULL, token_expires_at = NULL, updated_at = ?
		WHERE user_id = ? AND token_hash = ? AND token_expires_at > ? AND verified_at IS NULL`, UTC(now), UTC(now), userID, tokenHash, UTC(now))
	return n > 0, err
}

// DeleteUserEmail forgets userID's address, its pending token and the
// mail queued for it. The row itself stays, address blank, with its
// updated_at: that is when the last confirmation mail was queued, which
// the one-a-minute limit of PUT /me/email counts from — deleting the row
// let PUT, DELETE, PUT… mail a stranger without limit.
func (tx *Tx) DeleteUserEmail(ctx context.Context, userID string) error {
	if _, err := tx.exec(ctx, `DELETE FROM mail_outbox WHERE user_id = ?`, userID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE user_email SET address = '', verified_at = NULL, token_hash = NULL, token_expires_at = NULL WHERE user_id = ?`, userID)
	return err
}

// NotifyPrefsJSON returns userID's stored preferences ("" = none stored).
func (tx *Tx) NotifyPrefsJSON(ctx context.Context, userID string) (string, error) {
	var s string
	err := tx.get(ctx, &s, `SELECT prefs FROM notify_pref WHERE user_id = ?`, userID)
	if err == ErrNotFound {
		return "", nil
	}
	return s, err
}

// SaveNotifyPrefsJSON stores userID's preferences.
func (tx *Tx) SaveNotifyPrefsJSON(ctx context.Context, userID, prefs string, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO notify_pref (user_id, prefs, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at`, userID, prefs, UTC(now))
	return err
}

// NotifySettings is what decides how one user hears of an event: the
// stored preferences ("" = defaults) and the verified address ("" = none).
type NotifySettings struct {
	UserID  string `db:"user_id"`
	Prefs   string `db:"prefs"`
	Address string `db:"address"`
}

// NotifySettingsOf returns the settings of each of userIDs, keyed by user.
// One query: it runs inside the writes that notify.
func (tx *Tx) NotifySettingsOf(ctx context.Context, userIDs []string) (map[string]NotifySettings, error) {
	out := map[string]NotifySettings{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []NotifySettings
	err := tx.sel(ctx, &rows, `SELECT u.id AS user_id, COALESCE(p.prefs, '') AS prefs,
		CASE WHEN e.verified_at IS NULL THEN '' ELSE e.address END AS address
		FROM app_user u LEFT JOIN notify_pref p ON p.user_id = u.id LEFT JOIN user_email e ON e.user_id = u.id
		WHERE u.id IN `+tx.inList(), jsonList(userIDs))
	if err != nil {
		return nil, fmt.Errorf("notify settings: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}

// NetworkAdminIDs returns the active network administrators (who hear of
// new misuse alerts).
func (tx *Tx) NetworkAdminIDs(ctx context.Context) ([]string, error) {
	out := []string{}
	err := tx.sel(ctx, &out, `SELECT id FROM app_user WHERE network_admin = ? AND status = 'active' ORDER BY id`, true)
	return out, err
}

// MailItem is one queued e-mail notification to one user.
type MailItem struct {
	ID           string       `db:"id"`
	UserID       string       `db:"user_id"`
	Kind         string       `db:"kind"`
	Address      string       `db:"address"`
	Secret       string       `db:"secret"`
	Gather       bool         `db:"gather"`
	CreatedAt    time.Time    `db:"created_at"`
	NotBefore    time.Time    `db:"not_before"`
	Attempts     int64        `db:"attempts"`
	ClaimedUntil sql.NullTime `db:"claimed_until"`
	// Deliverable: at claim time the address is still the user's, verified
	// (or, for kind verify, still the one awaiting verification).
	Deliverable bool `db:"deliverable"`
}

// EnqueueMail writes a mail outbox row (in the transaction of its cause).
func (tx *Tx) EnqueueMail(ctx context.Context, it MailItem) error {
	_, err := tx.exec(ctx, `INSERT INTO mail_outbox (id, user_id, kind, address, secret, gather, created_at, not_before, attempts, claimed_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)`,
		it.ID, it.UserID, it.Kind, it.Address, it.Secret, it.Gather, UTC(it.CreatedAt), UTC(it.NotBefore))
	return err
}

// MailKindVerify is the kind of the confirmation mail of a new address.
const MailKindVerify = "verify"

// ClaimMail claims up to limit due mail rows until claimUntil, as
// ClaimPushes does for pushes (FOR UPDATE SKIP LOCKED on PostgreSQL; a
// claim that ran out is due again). Rows come ordered by user, so the
// gathered rows of one user arrive together.
func (tx *Tx) ClaimMail(ctx context.Context, now, claimUntil time.Time, limit int) ([]MailItem, error) {
	ids := []string{}
	q := `SELECT id FROM mail_outbox WHERE not_before <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY not_before, id LIMIT ?`
	if tx.engine == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	if err := tx.sel(ctx, &ids, q, UTC(now), UTC(now), limit); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.exec(ctx, `UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1 WHERE id IN `+tx.inList(), UTC(claimUntil), jsonList(ids)); err != nil {
		return nil, err
	}
	out := []MailItem{}
	err := tx.sel(ctx, &out, `SELECT o.id, o.user_id, o.kind, o.address, o.secret, o.gather, o.created_at, o.not_before, o.attempts, o.claimed_until,
		CASE WHEN e.address = o.address AND u.status = 'active' AND
			((o.kind = ? AND e.verified_at IS NULL AND e.token_expires_at > ?) OR (o.kind <> ? AND e.verified_at IS NOT NULL))
			THEN 1 ELSE 0 END AS deliverable
		FROM mail_outbox o JOIN app_user u ON u.id = o.user_id LEFT JOIN user_email e ON e.user_id = o.user_id
		WHERE o.id IN `+tx.inList()+` ORDER BY o.user_id, o.not_before, o.id`, MailKindVerify, UTC(now), MailKindVerify, jsonList(ids))
	for i := range out {
		out[i].ClaimedUntil = sql.NullTime{Time: UTC(claimUntil), Valid: true}
	}
	return out, err
}

// CompleteMail removes sent (or undeliverable) mail rows held under the
// claim claimedUntil; rows claimed anew since are left alone.
func (tx *Tx) CompleteMail(ctx context.Context, ids []string, claimedUntil time.Time) error {
	_, err := tx.exec(ctx, `DELETE FROM mail_outbox WHERE id IN `+tx.inList()+` AND claimed_until = ?`, jsonList(ids), UTC(claimedUntil))
	return err
}

// RetryMail releases mail rows claimed until claimedUntil, to be tried
// again at notBefore.
func (tx *Tx) RetryMail(ctx context.Context, ids []string, claimedUntil, notBefore time.Time) error {
	_, err := tx.exec(ctx, `UPDATE mail_outbox SET not_before = ?, claimed_until = NULL WHERE id IN `+tx.inList()+` AND claimed_until = ?`,
		UTC(notBefore), jsonList(ids), UTC(claimedUntil))
	return err
}

// PendingMail counts mail outbox rows.
func (tx *Tx) PendingMail(ctx context.Context) (int, error) {
	var n int
	err := tx.get(ctx, &n, `SELECT COUNT(*) FROM mail_outbox`)
	return n, err
}
