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
	// Pages are the attachments of the signed form, in page order
	// (consent_page); AttachmentID is the first.
	Pages []string `db:"-"`
}

const consentColumns = `id, patient_id, obtained_on, scope, obtained_by, recorded_by, recorded_at, attachment_id, withdrawn_at, withdrawn_by, withdrawal_reason`

// CreateConsent inserts c with its pages; ErrIDTaken when its id names any
// entity. A consent with an AttachmentID and no Pages has a one-page form.
func (tx *Tx) CreateConsent(ctx context.Context, c Consent) error {
	if len(c.Pages) == 0 && c.AttachmentID.Valid {
		c.Pages = []string{c.AttachmentID.String}
	}
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
	for i, id := range c.Pages {
		if _, err := tx.exec(ctx, `INSERT INTO consent_page (consent_id, page, attachment_id) VALUES (?, ?, ?)`, c.ID, i+1, id); err != nil {
			return fmt.Errorf("insert consent page: %w", err)
		}
	}
	return tx.AccessChanged(ctx)
}

// Consent returns consent id of patient patientID, or ErrNotFound.
func (tx *Tx) Consent(ctx context.Context, patientID, id string) (Consent, error) {
	var c Consent
	err := tx.get(ctx, &c, `SELECT `+consentColumns+` FROM consent WHERE id = ? AND patient_id = ?`, id, patientID)
	if err != nil {
		return c, err
	}
	cs := []Consent{c}
	err = tx.consentPages(ctx, patientID, cs)
	return cs[0], err
}

// ConsentPatientID returns the patient of consent id, or ErrNotFound.
func (tx *Tx) ConsentPatientID(ctx context.Context, id string) (string, error) {
	var p string
	err := tx.get(ctx, &p, `SELECT patient_id FROM consent WHERE id = ?`, id)
	return p, err
}

// consentPages fills the pages of cs, consents of patient patientID.
func (tx *Tx) consentPages(ctx context.Context, patientID string, cs []Consent) error {
	var rows []struct {
		ConsentID    string `db:"consent_id"`
		AttachmentID string `db:"attachment_id"`
	}
	if err := tx.sel(ctx, &rows, `SELECT p.consent_id, p.attachment_id FROM consent_page p JOIN consent c ON c.id = p.consent_id
		WHERE c.patient_id = ? ORDER BY p.consent_id, p.page`, patientID); err != nil {
		return fmt.Errorf("consent pages: %w", err)
	}
	pages := map[string][]string{}
	for _, r := range rows {
		pages[r.ConsentID] = append(pages[r.ConsentID], r.AttachmentID)
	}
	for i := range cs {
		cs[i].Pages = pages[cs[i].ID]
	}
	return nil
}

// Consents lists the consents of a patient, newest first.
func (tx *Tx) Consents(ctx context.Context, patientID string) ([]Consent, error) {
	cs := []Consent{}
	if err := tx.sel(ctx, &cs, `SELECT `+consentColumns+` FROM consent WHERE patient_id = ? ORDER BY recorded_at DESC, id DESC`, patientID); err != nil {
		return cs, err
	}
	return cs, tx.consentPages(ctx, patientID, cs)
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
	return tx.AccessChanged(ctx)
}
