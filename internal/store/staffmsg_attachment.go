package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tsunagu/internal/care"
)

// StaffAttachment is a photo of a staff message: a sanitized image in the
// blob store under the same content-addressed keys as a patient's
// attachment, with no patient. MessageID is the message that cites it,
// once one does.
type StaffAttachment struct {
	ID          string         `db:"id"`
	SHA256      string         `db:"sha256"`
	Size        int64          `db:"size"`
	ContentType string         `db:"content_type"`
	Width       int64          `db:"width"`
	Height      int64          `db:"height"`
	ThumbSHA    sql.NullString `db:"thumb_sha"`
	UploadedBy  string         `db:"uploaded_by"`
	UploadedAt  time.Time      `db:"uploaded_at"`
	MessageID   sql.NullString `db:"message_id"`
}

const staffAttachmentColumns = `id, sha256, size, content_type, width, height, thumb_sha, uploaded_by, uploaded_at, message_id`

// CreateStaffAttachment inserts a unless a row with a's id exists, and
// returns the row kept under that id and whether a was inserted (as
// CreateAttachment does for a patient's).
func (tx *Tx) CreateStaffAttachment(ctx context.Context, a StaffAttachment) (kept StaffAttachment, inserted bool, err error) {
	n, err := tx.exec(ctx, `INSERT INTO staff_attachment (`+staffAttachmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.SHA256, a.Size, a.ContentType, a.Width, a.Height, a.ThumbSHA, a.UploadedBy, UTC(a.UploadedAt))
	if err != nil {
		return StaffAttachment{}, false, fmt.Errorf("insert staff attachment: %w", err)
	}
	kept, err = tx.StaffAttachment(ctx, a.ID)
	return kept, n == 1, err
}

// StaffAttachment returns staff attachment id, or ErrNotFound.
func (tx *Tx) StaffAttachment(ctx context.Context, id string) (StaffAttachment, error) {
	var a StaffAttachment
	err := tx.get(ctx, &a, `SELECT `+staffAttachmentColumns+` FROM staff_attachment WHERE id = ?`, id)
	return a, err
}

// StaffAttachmentFacts returns what decides who reads a
// (care.StaffAttachmentRead): its uploader and the thread of the message
// citing it.
func (tx *Tx) StaffAttachmentFacts(ctx context.Context, a StaffAttachment) (care.StaffAttachmentFacts, error) {
	f := care.StaffAttachmentFacts{UploadedBy: a.UploadedBy}
	if !a.MessageID.Valid {
		return f, nil
	}
	var t StaffThread
	if err := tx.get(ctx, &t, `SELECT t.id, t.kind, t.facility_id, t.user_a, t.user_b, t.last_seq, t.last_message_at, t.created_at
		FROM staff_message m JOIN staff_thread t ON t.id = m.thread_id WHERE m.id = ?`, a.MessageID.String); err != nil {
		return f, fmt.Errorf("staff attachment thread: %w", err)
	}
	f.Cited, f.Thread = true, t.Facts()
	return f, nil
}

// StaffAttachmentHasBlob reports whether some staff attachment's sanitized
// image (thumb false) or thumbnail (thumb true) has the SHA-256 sum: the
// signed download handler serves only blobs a row refers to.
func (tx *Tx) StaffAttachmentHasBlob(ctx context.Context, sum string, thumb bool) (bool, error) {
	col := "sha256"
	if thumb {
		col = "thumb_sha"
	}
	var n int
	err := tx.get(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM staff_attachment WHERE `+col+` = ? LIMIT 1) x`, sum)
	return n > 0, err
}
