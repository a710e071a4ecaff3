package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Consent is a stored consent row; active while WithdrawnAt is not valid.
type Consent struct {
	ID               string         `db:"id"`
	PatientID        string         `db:"patient_id"`
	ObtainedOn       string         `db:"obtained_on"`
	Scope            string         `db:"scope"`
	ObtainedBy       string         `db:"obtained_by"`
	RecordedBy       string         `db:"recorded_by"`
	RecordedAt       time.Time      `db:"recorded_at"`
	AttachmentID     sql.NullString `db:"attachment_id"`
	WithdrawnAt      sql.NullTime   `db:"withdrawn_at"`
	WithdrawnBy      sql.NullString `db:"withdrawn_by"`
	WithdrawalReason sql.NullString `db:"withdrawal_reason"`
}

const consentColumns = `id, patient_id, obtained_on, scope, obtained_by, recorded_by, recorded_at, attachment_id, withdrawn_at, withdrawn_by, withdrawal_reason`

// CreateConsent inserts c; ErrIDTaken when its id names any entity.
func (tx *Tx) CreateConsent(ctx context.Context, c Consent) error {
	if err := tx.claimID(ctx, kindConsent, c.ID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO consent (`+consentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
		c.ID, c.PatientID, c.ObtainedOn, c.Scope, c.ObtainedBy, c.RecordedBy, UTC(c.RecordedAt), c.AttachmentID)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert consent: %w", err)
	}
	return nil
}

// Consent returns consent id of patient patientID, or ErrNotFound.
func (tx *Tx) Consent(ctx context.Context, patientID, id string) (Consent, error) {
	var c Consent
	err := tx.get(ctx, &c, `SELECT `+consentColumns+` FROM consent WHERE id = ? AND patient_id = ?`, id, patientID)
	return c, err
}

// Consents lists the consents of a patient, newest first.
func (tx *Tx) Consents(ctx context.Context, patientID string) ([]Consent, error) {
	cs := []Consent{}
	err := tx.sel(ctx, &cs, `SELECT `+consentColumns+` FROM consent WHERE patient_id = ? ORDER BY recorded_at DESC, id DESC`, patientID)
	return cs, err
}

// WithdrawConsent marks consent id withdrawn at now; sharing stops at once
// because every access decision reads the active consent.
func (tx *Tx) WithdrawConsent(ctx context.Context, id, by, reason string, now time.Time) error {
	n, err := tx.exec(ctx, `UPDATE consent SET withdrawn_at = ?, withdrawn_by = ?, withdrawal_reason = ? WHERE id = ? AND withdrawn_at IS NULL`,
		UTC(now), by, reason, id)
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
