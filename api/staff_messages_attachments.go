package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Photos of staff messages: sanitized by the same code as a patient's
// attachments and kept under the same content-addressed blob keys, but in
// rows of their own with no patient (store.StaffAttachment). Uploaded
// first, readable by the uploader alone until a message cites it, then by
// that message's thread (care.StaffAttachmentRead). A message cites only
// the author's own uncited uploads, so a photo never moves from one thread
// to another; downloads are signed, short-lived URLs as for patients.

// StaffAttachmentOut describes a stored (sanitized) photo of a staff message.
type StaffAttachmentOut struct {
	ID           string    `json:"id" format:"uuid"`
	SHA256       string    `json:"sha256" doc:"SHA-256 (hex) of the sanitized image"`
	Size         int64     `json:"size"`
	ContentType  string    `json:"content_type" doc:"always image/jpeg: every upload is re-encoded"`
	Width        int64     `json:"width"`
	Height       int64     `json:"height"`
	HasThumbnail bool      `json:"has_thumbnail"`
	UploadedBy   string    `json:"uploaded_by" format:"uuid"`
	UploadedAt   time.Time `json:"uploaded_at"`
	MessageID    string    `json:"message_id,omitempty" format:"uuid" doc:"the message citing it, once one does"`
}

func staffAttachmentOut(a store.StaffAttachment) StaffAttachmentOut {
	return StaffAttachmentOut{ID: a.ID, SHA256: a.SHA256, Size: a.Size, ContentType: a.ContentType, Width: a.Width, Height: a.Height,
		HasThumbnail: a.ThumbSHA.Valid, UploadedBy: a.UploadedBy, UploadedAt: a.UploadedAt, MessageID: a.MessageID.String}
}

type UploadStaffAttachmentInput struct {
	ID      string `path:"id" format:"uuid" doc:"client-generated UUIDv7"`
	RawBody []byte `contentType:"image/jpeg"`
}

type StaffAttachmentOutput struct {
	Status int
	Body   StaffAttachmentOut
}

// uploadStaffAttachment stores a photo for a staff message. An id that
// holds a photo the caller does not read answers 404, as if unknown;
// the caller's own with the same image 200; with another image 409.
func (s *Server) uploadStaffAttachment(ctx context.Context, in *UploadStaffAttachmentInput) (*StaffAttachmentOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if s.blobs == nil {
		return nil, errors.New("no blob store configured")
	}
	const action = "staff_attachment.create"
	var existing *store.StaffAttachment
	var refused error
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := tx.StaffAttachment(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if refused, err = s.staffAttachmentRead(ctx, tx, p, a); err != nil || refused != nil {
			return err
		}
		existing = &a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, s.denied(ctx, p, action, "", "staff_attachment", in.ID, refused)
	}
	res, err := s.sanitize(ctx, in.RawBody)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.SHA256 != res.SHA256 {
		return nil, care.Errorf(care.CodeAttachmentIDTaken, "staff attachment %s holds another image", in.ID)
	}
	thumbSum := sha256.Sum256(res.Thumbnail)
	thumbSHA := hex.EncodeToString(thumbSum[:])
	// Blobs first, row second, as for a patient's attachment.
	if err := s.putOnce(ctx, blobKey(keyImage, res.SHA256), res.Data, res.ContentType); err != nil {
		return nil, err
	}
	if err := s.putOnce(ctx, blobKey(keyThumb, thumbSHA), res.Thumbnail, thumbFormat); err != nil {
		return nil, err
	}
	a := store.StaffAttachment{ID: in.ID, SHA256: res.SHA256, Size: int64(len(res.Data)), ContentType: res.ContentType,
		Width: int64(res.Width), Height: int64(res.Height), ThumbSHA: nullString(thumbSHA), UploadedBy: p.User.ID, UploadedAt: store.UTC(s.now())}
	out := &StaffAttachmentOutput{Status: http.StatusCreated}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		kept, inserted, err := tx.CreateStaffAttachment(ctx, a)
		if err != nil {
			return err
		}
		if !inserted {
			// Stored meanwhile (or a retry): answered only to its uploader
			// with the same image.
			if kept.UploadedBy != p.User.ID || kept.SHA256 != res.SHA256 {
				return care.Errorf(care.CodeAttachmentIDTaken, "staff attachment %s was stored meanwhile", in.ID)
			}
			out.Status = http.StatusOK
		}
		out.Body = staffAttachmentOut(kept)
		return audit.Append(ctx, tx, s.event(ctx, p, action, "", "staff_attachment", in.ID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// staffAttachmentRead decides whether p reads staff attachment a now; it
// returns the refusal (care.ErrNotFound, as for an unknown id) or nil.
func (s *Server) staffAttachmentRead(ctx context.Context, tx *store.Tx, p *Principal, a store.StaffAttachment) (refusal, err error) {
	f, err := tx.StaffAttachmentFacts(ctx, a)
	if err != nil {
		return nil, err
	}
	if !care.StaffAttachmentRead(p.Viewer, f) {
		return care.ErrNotFound, nil
	}
	return nil, nil
}

func (s *Server) getStaffAttachment(ctx context.Context, in *AttachmentURLInput) (*SignedURLOutput, error) {
	return s.staffAttachmentURL(ctx, in, false)
}

func (s *Server) getStaffAttachmentThumbnail(ctx context.Context, in *AttachmentURLInput) (*SignedURLOutput, error) {
	return s.staffAttachmentURL(ctx, in, true)
}

// staffAttachmentURL authorises one read of a staff photo (or its
// thumbnail), audits it, and signs a URL valid for signedFor, served by
// the same handler as a patient's (serveBlob).
func (s *Server) staffAttachmentURL(ctx context.Context, in *AttachmentURLInput, thumb bool) (*SignedURLOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	const action = "staff_attachment.read"
	var a store.StaffAttachment
	var refused error
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		a, err = tx.StaffAttachment(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return nil
		}
		if err != nil {
			return err
		}
		refused, err = s.staffAttachmentRead(ctx, tx, p, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, s.denied(ctx, p, action, "", "staff_attachment", in.ID, refused)
	}
	return s.signImage(ctx, p, action, "", "staff_attachment", a.ID, a.SHA256, a.ThumbSHA, thumb, in.Redirect)
}
