package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/photo"
	"tsunagu/internal/store"
)

// Blob keys are content-addressed: att/<sha[0:2]>/<sha> for a sanitized
// image and thumb/<sha[0:2]>/<sha> for its thumbnail, where sha is the
// SHA-256 of the stored bytes. A retried upload therefore writes nothing new.
const (
	blobPrefix  = "/blobs/" // the path signed download URLs live under
	keyImage    = blob.KindImage
	keyThumb    = blob.KindThumb
	signedFor   = 5 * time.Minute
	thumbFormat = photo.ContentType
)

func blobKey(kind, sum string) string { return blob.ContentKey(kind, sum) }

// parseBlobKey splits a key made by blobKey; ok is false for anything else.
func parseBlobKey(key string) (kind, sum string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || (parts[0] != keyImage && parts[0] != keyThumb) || len(parts[2]) != 64 || parts[1] != parts[2][:2] {
		return "", "", false
	}
	if _, err := hex.DecodeString(parts[2]); err != nil || strings.ToLower(parts[2]) != parts[2] {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// photoLimits fills the zero fields of l that the API itself relies on.
func photoLimits(l photo.Limits) photo.Limits {
	d := photo.DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = d.MaxDecodedBytes
	}
	return l
}

// AttachmentOut describes a stored (sanitized) image.
type AttachmentOut struct {
	ID           string    `json:"id" format:"uuid"`
	PatientID    string    `json:"patient_id" format:"uuid"`
	SHA256       string    `json:"sha256" doc:"SHA-256 (hex) of the sanitized image, not of the uploaded file"`
	Size         int64     `json:"size" doc:"bytes of the sanitized image"`
	ContentType  string    `json:"content_type" doc:"always image/jpeg: every upload is re-encoded"`
	Width        int64     `json:"width" doc:"after the EXIF orientation was applied"`
	Height       int64     `json:"height"`
	HasThumbnail bool      `json:"has_thumbnail"`
	UploadedBy   string    `json:"uploaded_by" format:"uuid"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

func attachmentOut(a store.Attachment) AttachmentOut {
	return AttachmentOut{ID: a.ID, PatientID: a.PatientID, SHA256: a.SHA256, Size: a.Size, ContentType: a.ContentType,
		Width: a.Width, Height: a.Height, HasThumbnail: a.ThumbSHA.Valid, UploadedBy: a.UploadedBy, UploadedAt: a.UploadedAt}
}

type UploadAttachmentInput struct {
	ID        string `path:"id" format:"uuid" doc:"client-generated UUIDv7 (the app makes it offline)"`
	PatientID string `query:"patient_id" format:"uuid" required:"true"`
	RawBody   []byte `contentType:"image/jpeg"`
}

type AttachmentOutput struct {
	Status int
	Body   AttachmentOut
}

// uploadAttachment stores a photo or scanned form of a patient. The access
// decision comes before the image is decoded; the upload is then sanitized
// in memory (orientation applied, every metadata block dropped) and only
// the sanitized copy and its thumbnail are stored, content-addressed.
// Uploading the same image under the same id again answers 200 with the
// stored row; a different image under a known id answers 409.
func (s *Server) uploadAttachment(ctx context.Context, in *UploadAttachmentInput) (*AttachmentOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if s.blobs == nil {
		return nil, errors.New("no blob store configured")
	}
	const action = "attachment.create"
	var existing *store.Attachment
	var hidden error
	err = s.withAttachmentPatient(ctx, pr, action, in.PatientID, in.ID, func(tx *store.Tx, _ patientScope) error {
		a, err := tx.Attachment(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if a.PatientID != in.PatientID {
			return care.Errorf(care.CodeAttachmentIDTaken, "attachment %s belongs to another patient", in.ID)
		}
		// A retry answers the stored row, so only to one who reads it (its
		// uploader while nothing cites it); anyone else gets the refusal
		// a read of it gives.
		if hidden, err = s.attachmentRead(ctx, tx, pr, a); err != nil || hidden != nil {
			return errors.Join(err, hidden)
		}
		existing = &a
		return nil
	})
	if hidden != nil {
		return nil, s.denied(ctx, pr, action, in.PatientID, "attachment", in.ID, hidden)
	}
	if err != nil {
		return nil, err
	}

	res, err := s.sanitize(ctx, in.RawBody)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.SHA256 != res.SHA256 {
		return nil, care.Errorf(care.CodeAttachmentIDTaken, "attachment %s holds another image", in.ID)
	}
	thumbSum := sha256.Sum256(res.Thumbnail)
	thumbSHA := hex.EncodeToString(thumbSum[:])
	// Blobs first, row second: a row never points at a missing blob. A crash
	// in between leaves an unreferenced blob, which is never served (the
	// download handler requires a row) and is re-used by the retry.
	if err := s.putOnce(ctx, blobKey(keyImage, res.SHA256), res.Data, res.ContentType); err != nil {
		return nil, err
	}
	if err := s.putOnce(ctx, blobKey(keyThumb, thumbSHA), res.Thumbnail, thumbFormat); err != nil {
		return nil, err
	}

	now := store.UTC(s.now())
	a := store.Attachment{ID: in.ID, PatientID: in.PatientID, SHA256: res.SHA256, Size: int64(len(res.Data)), ContentType: res.ContentType,
		Width: int64(res.Width), Height: int64(res.Height), ThumbSHA: nullString(thumbSHA), UploadedBy: pr.User.ID, UploadedAt: now}
	out := &AttachmentOutput{Status: http.StatusCreated}
	err = s.withAttachmentPatient(ctx, pr, action, in.PatientID, in.ID, func(tx *store.Tx, _ patientScope) error {
		kept, inserted, err := tx.CreateAttachment(ctx, a)
		if err != nil {
			return err
		}
		if kept.PatientID != in.PatientID || kept.SHA256 != res.SHA256 {
			return care.Errorf(care.CodeAttachmentIDTaken, "attachment %s was stored with another image meanwhile", in.ID)
		}
		if !inserted {
			// Stored meanwhile by a concurrent upload: answered, like a
			// retry, only to one who reads it.
			if refusal, err := s.attachmentRead(ctx, tx, pr, kept); err != nil || refusal != nil {
				return errors.Join(err, care.Errorf(care.CodeAttachmentIDTaken, "attachment %s was stored meanwhile", in.ID))
			}
			out.Status = http.StatusOK
		}
		out.Body = attachmentOut(kept)
		return audit.Append(ctx, tx, s.event(ctx, pr, action, in.PatientID, "attachment", in.ID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// withAttachmentPatient is withPatient for attachments: team members reach
// them (the shared level), and so do those who may manage a patient that
// has no consent yet, because the scanned consent form is uploaded before
// the consent that cites it is recorded. Refusals are audited.
func (s *Server) withAttachmentPatient(ctx context.Context, p *Principal, action, patientID, attachmentID string,
	fn func(tx *store.Tx, sc patientScope) error) error {
	var refused error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if patientID == "" {
			refused = care.ErrNotFound
			return refused
		}
		sc, err := s.access(ctx, tx, p, patientID, care.Registration, false)
		if err == nil && sc.Level < care.Shared && !sc.Manage {
			err = care.ErrForbidden
		}
		if err != nil {
			refused = err
			return err
		}
		return fn(tx, sc)
	})
	if refused != nil {
		return s.denied(ctx, p, action, patientID, "attachment", attachmentID, refused)
	}
	return err
}

// sanitize runs photo.SanitizeBytes with at most maxSanitizing decodes at
// once and turns its refusals into application errors. The header is
// checked first (photo.Check: pixel count, decoded size), outside the
// queue: a bomb is refused at once and never waits for, or holds, a slot.
// A request whose context ends while it waits gives up without decoding.
func (s *Server) sanitize(ctx context.Context, body []byte) (photo.Result, error) {
	if _, err := photo.Check(body, s.opt.Photo); err != nil {
		return photo.Result{}, s.photoError(err)
	}
	select {
	case s.sanitizing <- struct{}{}:
	case <-ctx.Done():
		return photo.Result{}, ctx.Err()
	}
	defer func() { <-s.sanitizing }()
	if err := ctx.Err(); err != nil { // a slot and the end at once: select picks either
		return photo.Result{}, err
	}
	res, err := photo.SanitizeBytes(body, s.opt.Photo)
	return res, s.photoError(err)
}

// photoError is the application error of a photo refusal.
func (s *Server) photoError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, photo.ErrHEIC), errors.Is(err, photo.ErrUnsupported):
		return care.Errorf(care.CodeUnsupportedFormat, "%v", err)
	case errors.Is(err, photo.ErrTooLarge):
		return care.Errorf(care.CodeImageTooLarge, "%v", err)
	case errors.Is(err, photo.ErrTooManyPixels):
		return care.Errorf(care.CodeImageTooManyPx, "%v", err)
	case errors.Is(err, photo.ErrDecodedTooLarge):
		return &care.Error{Code: care.CodeImageDecodedTooLarge, Field: "image",
			Detail: fmt.Sprintf("decoded (width × height × bytes per pixel) the image would exceed the limit of %d MiB", s.opt.Photo.MaxDecodedBytes>>20)}
	case errors.Is(err, photo.ErrCorrupt):
		return care.Errorf(care.CodeImageCorrupt, "%v", err)
	}
	return err
}

// putOnce stores data under key unless a blob of that size is already
// there: keys are content-addressed, so it is the same content.
func (s *Server) putOnce(ctx context.Context, key string, data []byte, contentType string) error {
	if info, err := s.blobs.Stat(ctx, key); err == nil && info.Size == int64(len(data)) {
		return nil
	} else if err != nil && !errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("stat blob: %w", err)
	}
	if err := s.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}

type AttachmentURLInput struct {
	ID       string `path:"id" format:"uuid"`
	Redirect bool   `query:"redirect" doc:"answer 303 See Other to the URL instead of 200"`
}

// SignedURL is a short-lived download URL. It is relative to the API's
// origin and works without the session cookie until expires_at.
type SignedURL struct {
	URL       string    `json:"url" doc:"/blobs/…?exp=…&sig=…; valid until expires_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type SignedURLOutput struct {
	Status   int
	Location string `header:"Location" doc:"the signed URL, with ?redirect=1"`
	Body     SignedURL
}

func (s *Server) getAttachment(ctx context.Context, in *AttachmentURLInput) (*SignedURLOutput, error) {
	return s.attachmentURL(ctx, in, false)
}

func (s *Server) getAttachmentThumbnail(ctx context.Context, in *AttachmentURLInput) (*SignedURLOutput, error) {
	return s.attachmentURL(ctx, in, true)
}

// attachmentURL authorises one read of an attachment (or its thumbnail)
// by the record-read rule (attachmentRead), audits it, and only then signs
// a URL for signedFor. A refusal is the record read's, audited.
func (s *Server) attachmentURL(ctx context.Context, in *AttachmentURLInput, thumb bool) (*SignedURLOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	const action = "attachment.read"
	var a store.Attachment
	var refused error
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		a, err = tx.Attachment(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return nil
		}
		if err != nil {
			return err
		}
		refused, err = s.attachmentRead(ctx, tx, pr, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, s.denied(ctx, pr, action, a.PatientID, "attachment", in.ID, refused)
	}
	return s.signImage(ctx, pr, action, a.PatientID, "attachment", a.ID, a.SHA256, a.ThumbSHA, thumb, in.Redirect)
}

// signImage audits one authorised read of an image (or of its thumbnail)
// and only then signs a URL for it, valid for signedFor and served by
// serveBlob; with redirect the answer is 303 See Other to it. Patient
// attachments and staff photos share it.
func (s *Server) signImage(ctx context.Context, pr *Principal, action, patientID, resourceType, id, sha string, thumbSHA sql.NullString, thumb, redirect bool) (*SignedURLOutput, error) {
	key := blobKey(keyImage, sha)
	if thumb {
		if !thumbSHA.Valid {
			return nil, care.ErrNotFound
		}
		key = blobKey(keyThumb, thumbSHA.String)
	}
	if err := s.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, s.event(ctx, pr, action, patientID, resourceType, id))
	}); err != nil {
		return nil, err
	}
	exp := s.now().Add(signedFor).Truncate(time.Second)
	out := &SignedURLOutput{Status: http.StatusOK, Body: SignedURL{URL: s.signer.Sign(blobPrefix+key, exp), ExpiresAt: exp.UTC()}}
	if redirect {
		out.Status, out.Location = http.StatusSeeOther, out.Body.URL
	}
	return out, nil
}

// attachmentRead decides inside tx whether p reads attachment a now:
// exactly when p reads a record that cites it, or manages the patient of a
// consent form, or uploaded it and nothing cites it yet
// (care.AttachmentRead). It returns the refusal (nil when p reads it); err
// is a failure to decide.
func (s *Server) attachmentRead(ctx context.Context, tx *store.Tx, p *Principal, a store.Attachment) (refusal, err error) {
	facts, err := tx.PatientFacts(ctx, a.PatientID, p.User.ID)
	if err != nil {
		return nil, err
	}
	af, err := tx.AttachmentFacts(ctx, a)
	if err != nil {
		return nil, err
	}
	return care.AttachmentRead(s.opt.Care, p.Viewer, facts, care.PatientAccess(s.opt.Care, p.Viewer, facts), af), nil
}

// mayCite reports whether p may cite attachment id in an entity of patient
// patientID (a record, a consent): it is an attachment of that patient that
// p reads now. Citing makes an attachment readable to whoever reads the
// citing entity, so nobody passes on a photo they could not open.
func (s *Server) mayCite(ctx context.Context, tx *store.Tx, p *Principal, patientID, id string) (bool, error) {
	a, err := tx.Attachment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || a.PatientID != patientID {
		return false, err
	}
	refusal, err := s.attachmentRead(ctx, tx, p, a)
	return err == nil && refusal == nil, err
}

// serveBlob answers GET /blobs/<key>?exp=…&sig=…, the URLs attachmentURL
// signs (and staffAttachmentURL). The signature is the credential: it was made for this path after
// an authorised, audited request, and it expires. A missing or tampered
// signature answers 404, as for a key that does not exist, so keys cannot be
// probed; an expired one 403 with code link_expired. Only blobs that an
// attachment row (a patient's or a staff message's) refers to are served.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "private, no-store")
	key := r.PathValue("key")
	q := r.URL.Query()
	if err := s.signer.Verify(blobPrefix+key, q.Get("exp"), q.Get("sig"), s.now()); err != nil {
		if errors.Is(err, blob.ErrExpired) {
			writeProblem(w, ctx, 0, care.CodeLinkExpired, "")
			return
		}
		writeProblem(w, ctx, 0, care.CodeNotFound, "")
		return
	}
	kind, sum, ok := parseBlobKey(key)
	if !ok || s.blobs == nil {
		writeProblem(w, ctx, 0, care.CodeNotFound, "")
		return
	}
	var a store.Attachment
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.AttachmentBySHA(ctx, sum, kind == keyThumb)
		if errors.Is(err, store.ErrNotFound) { // a staff message's photo (staff_messages_attachments.go)
			if staff, serr := tx.StaffAttachmentHasBlob(ctx, sum, kind == keyThumb); serr != nil || staff {
				a.ContentType = photo.ContentType
				return serr
			}
		}
		return err
	})
	if err != nil {
		s.blobProblem(w, ctx, err)
		return
	}
	contentType := a.ContentType
	if kind == keyThumb {
		contentType = thumbFormat
	}
	rc, _, err := s.blobs.Get(ctx, key)
	if err != nil {
		s.blobProblem(w, ctx, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", time.Time{}, rs)
		return
	}
	io.Copy(w, rc) // every Store promises a seeker; this is a fallback
}

func (s *Server) blobProblem(w http.ResponseWriter, ctx context.Context, err error) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, blob.ErrNotFound) {
		writeProblem(w, ctx, 0, care.CodeNotFound, "")
		return
	}
	s.log.ErrorContext(ctx, "serve blob", "request_id", requestID(ctx), "err", err)
	writeProblem(w, ctx, 0, codeInternal, "")
}
