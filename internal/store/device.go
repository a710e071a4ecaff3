package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Device is an installed app of one user.
type Device struct {
	ID              string       `db:"id"`
	UserID          string       `db:"user_id"`
	Secret          string       `db:"secret"`
	SecretExpiresAt time.Time    `db:"secret_expires_at"`
	LastSeq         int64        `db:"last_seq"`
	CreatedAt       time.Time    `db:"created_at"`
	LastSeenAt      time.Time    `db:"last_seen_at"`
	RevokedAt       sql.NullTime `db:"revoked_at"`
}

const deviceColumns = `id, user_id, secret, secret_expires_at, last_seq, created_at, last_seen_at, revoked_at`

// Device returns device id or ErrNotFound.
func (tx *Tx) Device(ctx context.Context, id string) (Device, error) {
	var d Device
	err := tx.get(ctx, &d, `SELECT `+deviceColumns+` FROM device WHERE id = ?`, id)
	return d, err
}

// CreateDevice inserts d unless a device with d's id exists, and returns
// the row kept under that id: d itself, or the one another request
// registered first (two first pushes of a new device at once), which the
// caller checks belongs to the same user. Safe under concurrency on both
// engines.
func (tx *Tx) CreateDevice(ctx context.Context, d Device) (Device, error) {
	_, err := tx.exec(ctx, `INSERT INTO device (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.UserID, d.Secret, UTC(d.SecretExpiresAt), d.LastSeq, UTC(d.CreatedAt), UTC(d.LastSeenAt))
	if err != nil {
		return Device{}, fmt.Errorf("insert device: %w", err)
	}
	kept, err := tx.Device(ctx, d.ID)
	if err != nil {
		return Device{}, fmt.Errorf("read device: %w", err)
	}
	return kept, nil
}

// ErrConflict is returned when a row with the same key exists already.
var ErrConflict = fmt.Errorf("store: conflict")

// ExtendDeviceSecret moves the expiry of a device's secret and its last use.
func (tx *Tx) ExtendDeviceSecret(ctx context.Context, id string, expires, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE device SET secret_expires_at = ?, last_seen_at = ? WHERE id = ?`, UTC(expires), UTC(now), id)
	return err
}

// LedgerEntry is one answered mutation of one device. Entity, EntityID and
// EntityVersion name the entity its answer shows (Entity "" when it shows
// none); Problem is the answer's problem as JSON ("" when none). Result is
// the whole answer of a row written before the ledger kept references
// (migration 17), "" in every row written since.
type LedgerEntry struct {
	DeviceID      string    `db:"device_id"`
	ID            string    `db:"id"`
	Seq           int64     `db:"seq"`
	Type          string    `db:"type"`
	Status        string    `db:"status"`
	Result        string    `db:"result"`
	Problem       string    `db:"problem"`
	Entity        string    `db:"entity"`
	EntityID      string    `db:"entity_id"`
	EntityVersion int64     `db:"entity_version"`
	AppliedAt     time.Time `db:"applied_at"`
}

const ledgerColumns = `device_id, id, seq, type, status, result, problem, entity, entity_id, entity_version, applied_at`

// LedgerLookup returns, in one indexed read (by id, of every device: a
// mutation id is sent by one device, rarely more), the entry of mutation
// id sent by device deviceID (ErrNotFound when it sent none: the ledger
// answers each device only its own mutations) and whether any other
// device sent the id. A push asks both of each mutation it has not
// answered yet; they were two queries.
func (tx *Tx) LedgerLookup(ctx context.Context, deviceID, id string) (LedgerEntry, bool, error) {
	var rows []LedgerEntry
	if err := tx.sel(ctx, &rows, `SELECT `+ledgerColumns+` FROM mutation_ledger WHERE id = ?`, id); err != nil {
		return LedgerEntry{}, false, err
	}
	var mine *LedgerEntry
	others := false
	for i := range rows {
		if rows[i].DeviceID == deviceID {
			mine = &rows[i]
		} else {
			others = true
		}
	}
	if mine == nil {
		return LedgerEntry{}, others, ErrNotFound
	}
	return *mine, others, nil
}

// AppendLedger records the answer to a mutation of a device and moves
// the device's last answered sequence number to the mutation's (and its
// last use to the answer's time): on PostgreSQL one statement.
func (tx *Tx) AppendLedger(ctx context.Context, e LedgerEntry) error {
	const insert = `INSERT INTO mutation_ledger (` + ledgerColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	const advance = `UPDATE device SET last_seq = ?, last_seen_at = ? WHERE id = ?`
	args := []any{e.DeviceID, e.ID, e.Seq, e.Type, e.Status, e.Result, e.Problem, e.Entity, e.EntityID, e.EntityVersion, UTC(e.AppliedAt)}
	var err error
	if tx.engine == Postgres {
		_, err = tx.exec(ctx, `WITH moved AS (`+advance+`) `+insert, append([]any{e.Seq, UTC(e.AppliedAt), e.DeviceID}, args...)...)
	} else if _, err = tx.exec(ctx, insert, args...); err == nil {
		_, err = tx.exec(ctx, advance, e.Seq, UTC(e.AppliedAt), e.DeviceID)
	}
	if isUniqueViolation(err) {
		return ErrConflict
	}
	return err
}
