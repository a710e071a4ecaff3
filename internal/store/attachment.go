package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tsunagu/internal/care"
)

// Attachment is a stored photo or scanned document: the metadata of a
// sanitized image whose bytes are in the blob store under its SHA-256.
type Attachment struct {
	ID          string         `db:"id"`
	PatientID   string         `db:"patient_id"`
	SHA256      string         `db:"sha256"`
	Size        int64          `db:"size"`
	ContentType string         `db:"content_type"`
	Width       int64          `db:"width"`
	Height      int64          `db:"height"`
	ThumbSHA    sql.NullString `db:"thumb_sha"`
	UploadedBy  string         `db:"uploaded_by"`
	UploadedAt  time.Time      `db:"uploaded_at"`
}

const attachmentColumns = `id, patient_id, sha256, size, content_type, width, height, thumb_sha, uploaded_by, uploaded_at`

// CreateAttachment inserts a unless a row with a's id exists, and returns
// the row kept under that id (a itself, or the one stored first, which the
// caller compares to tell a retried upload from a clashing id) and whether
// a was inserted. Concurrent inserts of one id are safe on both engines.
func (tx *Tx) CreateAttachment(ctx context.Context, a Attachment) (kept Attachment, inserted bool, err error) {
	n, err := tx.exec(ctx, `INSERT INTO attachment (`+attachmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.PatientID, a.SHA256, a.Size, a.ContentType, a.Width, a.Height, a.ThumbSHA, a.UploadedBy, UTC(a.UploadedAt))
	if err != nil {
		return Attachment{}, false, fmt.Errorf("insert attachment: %w", err)
	}
	kept, err = tx.Attachment(ctx, a.ID)
	return kept, n == 1, err
}

// Attachment returns attachment id, or ErrNotFound.
func (tx *Tx) Attachment(ctx context.Context, id string) (Attachment, error) {
	var a Attachment
	err := tx.get(ctx, &a, `SELECT `+attachmentColumns+` FROM attachment WHERE id = ?`, id)
	return a, err
}

// AttachmentBySHA returns an attachment whose sanitized image (thumb false)
// or thumbnail (thumb true) has the SHA-256 sum, or ErrNotFound when no row
// refers to that blob.
func (tx *Tx) AttachmentBySHA(ctx context.Context, sum string, thumb bool) (Attachment, error) {
	col := "sha256"
	if thumb {
		col = "thumb_sha"
	}
	var a Attachment
	err := tx.get(ctx, &a, `SELECT `+attachmentColumns+` FROM attachment WHERE `+col+` = ? ORDER BY id LIMIT 1`, sum)
	return a, err
}

// citeAttachments records that record recordID cites ids (in one of its
// versions). The citations are what decide who reads an attachment
// (AttachmentFacts); a version's attachment_ids stay its JSON for display.
func (tx *Tx) citeAttachments(ctx context.Context, recordID string, ids []string) error {
	for _, id := range ids {
		if _, err := tx.exec(ctx, `INSERT INTO attachment_citation (attachment_id, record_id) VALUES (?, ?) ON CONFLICT (attachment_id, record_id) DO NOTHING`,
			id, recordID); err != nil {
			return fmt.Errorf("cite attachment: %w", err)
		}
	}
	return nil
}

// AttachmentFacts returns what decides who reads attachment a
// (care.AttachmentRead): the records of a's patient that cite it in any
// version, each with the disclosure of its author's facility as it is now,
// and whether a consent of the patient cites it as a page of its signed
// form (consent_page).
// Citations from another patient's records do not count.
func (tx *Tx) AttachmentFacts(ctx context.Context, a Attachment) (care.AttachmentFacts, error) {
	f := care.AttachmentFacts{UploadedBy: a.UploadedBy}
	var rows []struct {
		Chart            bool   `db:"chart"`
		AuthorID         string `db:"author_id"`
		AuthorFacilityID string `db:"author_facility_id"`
		Disclosure       string `db:"disclosure"`
	}
	err := tx.sel(ctx, &rows, `SELECT r.chart, r.author_id, r.author_facility_id, fa.disclosure
		FROM attachment_citation c JOIN record r ON r.id = c.record_id JOIN facility fa ON fa.id = r.author_facility_id
		WHERE c.attachment_id = ? AND r.patient_id = ? ORDER BY r.id`, a.ID, a.PatientID)
	if err != nil {
		return f, fmt.Errorf("attachment citations: %w", err)
	}
	for _, r := range rows {
		f.Records = append(f.Records, care.RecordFacts{Chart: r.Chart, AuthorID: r.AuthorID, AuthorFacilityID: r.AuthorFacilityID, AuthorDisclosure: r.Disclosure})
	}
	var n int
	if err := tx.get(ctx, &n, `SELECT COUNT(*) FROM consent_page p JOIN consent c ON c.id = p.consent_id
		WHERE p.attachment_id = ? AND c.patient_id = ?`, a.ID, a.PatientID); err != nil {
		return f, fmt.Errorf("consent forms: %w", err)
	}
	f.ConsentForm = n > 0
	f.Message, err = tx.attachmentMessageCited(ctx, a)
	return f, err
}
