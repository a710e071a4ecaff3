package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// User is a stored account row.
type User struct {
	ID                 string         `db:"id"`
	FacilityID         sql.NullString `db:"facility_id"`
	LoginID            string         `db:"login_id"`
	Name               string         `db:"name"`
	NameKana           string         `db:"name_kana"`
	Profession         string         `db:"profession"`
	NetworkAdmin       bool           `db:"network_admin"`
	FacilityAdmin      bool           `db:"facility_admin"`
	PasswordHash       string         `db:"password_hash"`
	PasswordChangedAt  time.Time      `db:"password_changed_at"`
	MustChangePassword bool           `db:"must_change_password"`
	TOTPSecret         sql.NullString `db:"totp_secret"`
	TOTPPendingSecret  sql.NullString `db:"totp_pending_secret"`
	TOTPLastStep       int64          `db:"totp_last_step"`
	Status             string         `db:"status"`
	LastActiveAt       time.Time      `db:"last_active_at"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

const userColumns = `id, facility_id, login_id, name, name_kana, profession, network_admin, facility_admin,
	password_hash, password_changed_at, must_change_password, totp_secret, totp_pending_secret, totp_last_step,
	status, last_active_at, created_at, updated_at`

// scanDest is where a row of userColumns is scanned to, in their order.
func (u *User) scanDest() []any {
	return []any{&u.ID, &u.FacilityID, &u.LoginID, &u.Name, &u.NameKana, &u.Profession, &u.NetworkAdmin, &u.FacilityAdmin,
		&u.PasswordHash, &u.PasswordChangedAt, &u.MustChangePassword, &u.TOTPSecret, &u.TOTPPendingSecret, &u.TOTPLastStep,
		&u.Status, &u.LastActiveAt, &u.CreatedAt, &u.UpdatedAt}
}

// prefixed is a list of columns with each qualified by prefix ("u.").
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ErrLoginIDTaken is returned when a login id is already in use.
var ErrLoginIDTaken = fmt.Errorf("store: login id taken")

// CreateUser inserts u; ErrLoginIDTaken when the login id is in use,
// ErrIDTaken when its id names any entity.
func (tx *Tx) CreateUser(ctx context.Context, u User) error {
	if err := tx.claimID(ctx, kindUser, u.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO app_user (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.FacilityID, u.LoginID, u.Name, u.NameKana, u.Profession, u.NetworkAdmin, u.FacilityAdmin,
		u.PasswordHash, UTC(u.PasswordChangedAt), u.MustChangePassword, u.TOTPSecret, u.TOTPPendingSecret, u.TOTPLastStep,
		u.Status, UTC(u.LastActiveAt), UTC(u.CreatedAt), UTC(u.UpdatedAt))
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if isUniqueViolation(err) {
		return ErrLoginIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// User returns one account or ErrNotFound.
func (tx *Tx) User(ctx context.Context, id string) (User, error) {
	var u User
	err := tx.get(ctx, &u, `SELECT `+userColumns+` FROM app_user WHERE id = ?`, id)
	return u, err
}

// UserByLogin returns the account with login id loginID or ErrNotFound.
func (tx *Tx) UserByLogin(ctx context.Context, loginID string) (User, error) {
	var u User
	err := tx.get(ctx, &u, `SELECT `+userColumns+` FROM app_user WHERE login_id = ?`, loginID)
	return u, err
}

// Users lists accounts, of one facility when facilityID is not empty.
func (tx *Tx) Users(ctx context.Context, facilityID string) ([]User, error) {
	us := []User{}
	if facilityID == "" {
		return us, tx.sel(ctx, &us, `SELECT `+userColumns+` FROM app_user ORDER BY name_kana, id`)
	}
	return us, tx.sel(ctx, &us, `SELECT `+userColumns+` FROM app_user WHERE facility_id = ? ORDER BY name_kana, id`, facilityID)
}

// UpdateUser writes every mutable column of u.
func (tx *Tx) UpdateUser(ctx context.Context, u User) error {
	n, err := tx.exec(ctx, `UPDATE app_user SET name = ?, name_kana = ?, profession = ?, network_admin = ?, facility_admin = ?,
		password_hash = ?, password_changed_at = ?, must_change_password = ?, totp_secret = ?, totp_pending_secret = ?,
		totp_last_step = ?, status = ?, last_active_at = ?, updated_at = ? WHERE id = ?`,
		u.Name, u.NameKana, u.Profession, u.NetworkAdmin, u.FacilityAdmin, u.PasswordHash, UTC(u.PasswordChangedAt),
		u.MustChangePassword, u.TOTPSecret, u.TOTPPendingSecret, u.TOTPLastStep, u.Status, UTC(u.LastActiveAt), UTC(u.UpdatedAt), u.ID)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return tx.AccessChanged(ctx)
}

// TouchUser records activity of user id at now (used for dormancy).
func (tx *Tx) TouchUser(ctx context.Context, id string, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE app_user SET last_active_at = ? WHERE id = ?`, UTC(now), id)
	return err
}

// MarkDormant sets status dormant on active accounts unused since before
// cutoff, ends their sessions and returns their ids.
func (tx *Tx) MarkDormant(ctx context.Context, cutoff, now time.Time) ([]string, error) {
	ids := []string{}
	if err := tx.sel(ctx, &ids, `SELECT id FROM app_user WHERE status = 'active' AND last_active_at < ? ORDER BY id`, UTC(cutoff)); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.exec(ctx, `UPDATE app_user SET status = 'dormant', updated_at = ? WHERE id = ?`, UTC(now), id); err != nil {
			return nil, err
		}
		if err := tx.DeleteUserSessions(ctx, id); err != nil {
			return nil, err
		}
	}
	if len(ids) > 0 {
		if err := tx.AccessChanged(ctx); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// CountUsers returns how many accounts exist.
func (tx *Tx) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := tx.get(ctx, &n, `SELECT COUNT(*) FROM app_user`)
	return n, err
}
