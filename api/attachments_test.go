package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/blob"
	"tsunagu/internal/blob/blobtest"
	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// countingStore records every Put, to show that refused uploads store
// nothing and retried ones nothing more.
type countingStore struct {
	blob.Store
	mu   sync.Mutex
	puts []string
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	c.mu.Lock()
	c.puts = append(c.puts, key)
	c.mu.Unlock()
	return c.Store.Put(ctx, key, r, size, contentType)
}

func (c *countingStore) putCount() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.puts) }

// eachBlobStore runs fn on every database engine with blobs on local disk
// and in S3 (a real versitygw server).
func eachBlobStore(t *testing.T, fn func(t *testing.T, engine string, blobs *countingStore)) {
	storetest.Each(t, func(t *testing.T, engine string) {
		t.Run("disk", func(t *testing.T) { fn(t, engine, &countingStore{Store: mustDisk(t)}) })
		t.Run("s3", func(t *testing.T) { fn(t, engine, &countingStore{Store: blobtest.MustS3(t)}) })
	})
}

type attachmentOut struct {
	ID           string `json:"id"`
	PatientID    string `json:"patient_id"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
	ContentType  string `json:"content_type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	HasThumbnail bool   `json:"has_thumbnail"`
	UploadedBy   string `json:"uploaded_by"`
}

type signedURL struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// mustAttachment uploads img for patientID as c and returns the new id.
func (h *harness) mustAttachment(c *client, patientID string, img []byte) string {
	h.t.Helper()
	id := newID()
	if res := c.raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+patientID, "image/jpeg", img); res.status != 201 {
		h.t.Fatalf("upload: %d %s", res.status, res.body)
	}
	return id
}

// fetch GETs a URL of the server without following redirects.
func (c *client) fetch(path string) (*http.Response, []byte) {
	c.h.t.Helper()
	cl := &http.Client{Jar: c.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Get(c.h.srv.URL + path)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func mustBlob(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	r, _, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("blob %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertNoMetadata fails when b carries an EXIF block or anything of the
// test camera's EXIF (make, GPS tags, the TIFF header).
func assertNoMetadata(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, s := range []string{"Exif\x00\x00", "MM\x00\x2a", phototest.CameraMake, "GPS", "\x88\x25"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s still contains %q", what, s)
		}
	}
}

func assertColour(t *testing.T, img image.Image, x, y int, want color.NRGBA) {
	t.Helper()
	r, g, b, _ := img.At(x, y).RGBA()
	got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
	exp := [3]int{int(want.R), int(want.G), int(want.B)}
	for i := range got {
		if d := got[i] - exp[i]; d < -60 || d > 60 {
			t.Errorf("pixel (%d,%d) = rgb%v, want about rgb%v", x, y, got, exp)
			return
		}
	}
}

func TestAttachmentUploadAndDownload(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, engine string, blobs *countingStore) {
		h := newHarnessWith(t, engine, blobs)
		r := h.mustRegion()
		// An upright photo taken with the iPad held in portrait: stored
		// landscape with Orientation=6, carrying GPS.
		src := phototest.WithEXIF(phototest.JPEG(phototest.Halves(40, 20)), 6)
		for _, s := range []string{"Exif\x00\x00", phototest.CameraMake, "\x88\x25"} {
			if !bytes.Contains(src, []byte(s)) {
				t.Fatalf("fixture lacks %q", s)
			}
		}
		id := newID()
		put := "/api/v1/attachments/" + id + "?patient_id=" + r.patientID
		res := r.nurseC.raw("PUT", put, "image/jpeg", src)
		if res.status != 201 {
			t.Fatalf("upload: %d %s", res.status, res.body)
		}
		var a attachmentOut
		res.json(t, &a)
		if a.ID != id || a.PatientID != r.patientID || a.Width != 20 || a.Height != 40 || a.ContentType != "image/jpeg" || !a.HasThumbnail || a.UploadedBy != r.nurse.ID {
			t.Fatalf("answer %+v: want 20×40 image/jpeg by the nurse", a)
		}

		// The stored blob is the sanitized copy, under its own SHA-256.
		key := "att/" + a.SHA256[:2] + "/" + a.SHA256
		stored := mustBlob(t, blobs, key)
		if sum := sha256.Sum256(stored); hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(stored)) != a.Size {
			t.Errorf("blob %s: %d bytes, sha256 %x; answer says %d, %s", key, len(stored), sum, a.Size, a.SHA256)
		}
		assertNoMetadata(t, "stored blob", stored)
		if blobs.putCount() != 2 {
			t.Errorf("upload put %d blobs (%v), want the image and its thumbnail", blobs.putCount(), blobs.puts)
		}
		for _, k := range blobs.puts {
			if k != key && !strings.HasPrefix(k, "thumb/") {
				t.Errorf("unexpected blob %s", k)
			}
		}

		// A retry (the app lost the answer) changes nothing.
		retry := r.nurseC.raw("PUT", put, "image/jpeg", src)
		if retry.status != 200 || retry.body != res.body {
			t.Errorf("retry: %d %s, want 200 with %s", retry.status, retry.body, res.body)
		}
		if blobs.putCount() != 2 {
			t.Errorf("retry stored blobs again: %v", blobs.puts)
		}
		// Another image under the same id is refused.
		other := phototest.JPEG(phototest.Halves(30, 30))
		if res := r.nurseC.raw("PUT", put, "image/jpeg", other); res.status != 409 || res.code() != care.CodeAttachmentIDTaken {
			t.Errorf("other image, same id: %d %s", res.status, res.body)
		}
		if blobs.putCount() != 2 {
			t.Errorf("a refused upload stored blobs: %v", blobs.puts)
		}

		// Once a shared note cites it, a team member (here a care worker)
		// gets a signed URL that works without the session, and serves the
		// sanitized bytes.
		r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "創部の写真", "attachment_ids": []string{id}})
		var u signedURL
		r.helperC.must(200, "GET", "/api/v1/attachments/"+id, nil).json(t, &u)
		if !u.ExpiresAt.Equal(h.clock.Now().Add(5*time.Minute)) || !strings.HasPrefix(u.URL, "/blobs/"+key+"?") {
			t.Fatalf("signed URL %+v", u)
		}
		dl, body := h.anon().fetch(u.URL)
		if dl.StatusCode != 200 || !bytes.Equal(body, stored) {
			t.Fatalf("download: %d, %d bytes (stored %d)", dl.StatusCode, len(body), len(stored))
		}
		for hdr, want := range map[string]string{"Cache-Control": "private, no-store", "Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff"} {
			if got := dl.Header.Get(hdr); got != want {
				t.Errorf("download %s = %q, want %q", hdr, got, want)
			}
		}
		assertNoMetadata(t, "download", body)
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
			t.Fatalf("downloaded %v, want 20×40 (turned upright)", b)
		}
		assertColour(t, img, 10, 5, phototest.Red)   // the left half is now on top
		assertColour(t, img, 10, 35, phototest.Blue) // the right half at the bottom

		// The thumbnail, and the redirect form.
		var tu signedURL
		r.nurseC.must(200, "GET", "/api/v1/attachments/"+id+"/thumbnail", nil).json(t, &tu)
		tres, tbody := h.anon().fetch(tu.URL)
		if tres.StatusCode != 200 || !strings.HasPrefix(tu.URL, "/blobs/thumb/") {
			t.Fatalf("thumbnail %s: %d", tu.URL, tres.StatusCode)
		}
		if _, err := jpeg.Decode(bytes.NewReader(tbody)); err != nil {
			t.Errorf("thumbnail does not decode: %v", err)
		}
		assertNoMetadata(t, "thumbnail", tbody)
		redir, _ := r.nurseC.fetch("/api/v1/attachments/" + id + "?redirect=1")
		if redir.StatusCode != 303 || !strings.HasPrefix(redir.Header.Get("Location"), "/blobs/"+key+"?") {
			t.Errorf("redirect: %d Location %q", redir.StatusCode, redir.Header.Get("Location"))
		}

		// Tampered or guessed URLs answer 404 like a missing blob.
		thumbKey := strings.TrimPrefix(strings.SplitN(tu.URL, "?", 2)[0], "/blobs/")
		_, sigQuery, _ := strings.Cut(u.URL, "?")
		for name, path := range map[string]string{
			"no signature":         "/blobs/" + key,
			"flipped signature":    flipLast(u.URL),
			"other blob, same sig": "/blobs/" + thumbKey + "?" + sigQuery,
			"later expiry":         strings.Replace(u.URL, "exp=", "exp=9", 1),
		} {
			res, body := h.anon().fetch(path)
			if res.StatusCode != 404 || !strings.Contains(string(body), `"code":"not_found"`) || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s %s", name, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
		// The URL expires after five minutes.
		h.clock.Advance(5 * time.Minute)
		exp, body := h.anon().fetch(u.URL)
		if exp.StatusCode != 403 || !strings.Contains(string(body), care.CodeLinkExpired) {
			t.Errorf("expired URL: %d %s", exp.StatusCode, body)
		}

		// Each URL handed out was an audited read.
		var reads int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &reads, `SELECT COUNT(*) FROM audit_event WHERE action = 'attachment.read' AND resource_id = ? AND result = 'ok' AND patient_id = ?`, id, r.patientID)
		})
		if reads != 3 {
			t.Errorf("%d audited reads, want 3", reads)
		}
	})
}

// flipLast changes the last character of a signed URL (part of the sig).
func flipLast(s string) string {
	c := s[len(s)-1]
	if c == 'A' {
		c = 'B'
	} else {
		c = 'A'
	}
	return s[:len(s)-1] + string(c)
}

func TestAttachmentRefusals(t *testing.T) {
	eachBlobStore(t, func(t *testing.T, engine string, blobs *countingStore) {
		h := newHarnessWith(t, engine, blobs, func(o *api.Options) { o.Photo.MaxBytes = 256 << 10 })
		r := h.mustRegion()
		full := phototest.JPEG(noise(64, 64))
		tests := []struct {
			name   string
			body   []byte
			status int
			code   string
		}{
			{"HEIC from the iPad camera", phototest.HEIC(), 415, care.CodeUnsupportedFormat},
			{"text declared as JPEG", []byte("これは画像ではありません"), 415, care.CodeUnsupportedFormat},
			{"truncated JPEG", full[:len(full)/2], 422, care.CodeImageCorrupt},
			{"pixel bomb", pngHeader(20000, 20000), 422, care.CodeImageTooManyPx},
			{"over the size limit", append(phototest.JPEG(noise(64, 64)), make([]byte, 300<<10)...), 413, care.CodeImageTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := newID()
				res := r.nurseC.raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+r.patientID, "image/jpeg", tt.body)
				if res.status != tt.status || res.code() != tt.code {
					t.Fatalf("%d %s, want %d %s", res.status, res.body, tt.status, tt.code)
				}
				if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				r.nurseC.must(404, "GET", "/api/v1/attachments/"+id, nil)
			})
		}
		// The HEIC refusal tells the user what to change on the iPad.
		res := r.nurseC.raw("PUT", "/api/v1/attachments/"+newID()+"?patient_id="+r.patientID, "image/heic", phototest.HEIC())
		if !strings.Contains(res.body, "互換性優先") {
			t.Errorf("HEIC refusal does not mention 互換性優先: %s", res.body)
		}
		if blobs.putCount() != 0 {
			t.Errorf("refused uploads stored blobs: %v", blobs.puts)
		}
	})
}

func TestAttachmentOffTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		id := h.mustAttachment(r.nurseC, r.patientID, phototest.JPEG(phototest.Halves(40, 20)))
		outsider := h.signIn(r.outsider)
		unknown := outsider.must(404, "GET", "/api/v1/attachments/"+newID(), nil)
		for _, path := range []string{"/api/v1/attachments/" + id, "/api/v1/attachments/" + id + "/thumbnail", "/api/v1/attachments/" + id + "?redirect=1"} {
			res := outsider.must(404, "GET", path, nil)
			if stripRequestID(res.body) != stripRequestID(unknown.body) {
				t.Errorf("%s: 404 differs from an unknown id's: %s vs %s", path, res.body, unknown.body)
			}
		}
		// Nor may the outsider upload to the patient, or learn the id exists.
		res := outsider.raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+r.patientID, "image/jpeg", phototest.JPEG(phototest.Halves(40, 20)))
		if res.status != 404 {
			t.Errorf("outsider upload: %d %s", res.status, res.body)
		}
		// An id of one patient cannot be reused for another.
		other := h.mustOtherPatient(r)
		res = r.doctorC.raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+other, "image/jpeg", phototest.JPEG(phototest.Halves(40, 20)))
		if res.status != 409 || res.code() != care.CodeAttachmentIDTaken {
			t.Errorf("same id for another patient: %d %s", res.status, res.body)
		}
		var denied int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &denied, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND result = 'denied' AND resource_id = ?`, r.outsider.ID, id)
		})
		if denied != 4 {
			t.Errorf("%d audited refusals of the outsider, want 4", denied)
		}
	})
}

// mustOtherPatient registers a second patient (no consent yet) as the
// region's doctor.
func (h *harness) mustOtherPatient(r *region) string {
	h.t.Helper()
	var p struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 次郎", "name_kana": "ミホン ジロウ", "birth_date": "1938-05-06",
		"sex": "male", "address": "架空県つなぐ市2-2", "phone": ""}).json(h.t, &p)
	return p.ID
}

func TestConsentWithScannedForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		// A new patient has no consent yet: the registrar scans the signed
		// form first, then records the consent citing it.
		p := h.mustOtherPatient(r)
		form := h.mustAttachment(r.doctorC, p, phototest.JPEG(phototest.Halves(40, 60)))
		var c struct {
			AttachmentID string `json:"attachment_id"`
		}
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full", "attachment_id": form}).json(t, &c)
		if c.AttachmentID != form {
			t.Errorf("consent attachment_id %q, want %q", c.AttachmentID, form)
		}
		var detail struct {
			Consents []struct {
				AttachmentID string `json:"attachment_id"`
			} `json:"consents"`
		}
		r.doctorC.must(200, "GET", "/api/v1/patients/"+p, nil).json(t, &detail)
		if len(detail.Consents) != 1 || detail.Consents[0].AttachmentID != form {
			t.Errorf("stored consents %+v", detail.Consents)
		}
		// An attachment of another patient, or none at all, is refused.
		elsewhere := h.mustAttachment(r.nurseC, r.patientID, phototest.JPEG(phototest.Halves(40, 20)))
		for _, aid := range []string{elsewhere, newID()} {
			res := r.doctorC.must(422, "POST", "/api/v1/patients/"+p+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full", "attachment_id": aid})
			if res.code() != care.CodeValidation || !strings.Contains(res.body, "attachment_id") {
				t.Errorf("consent with attachment %s: %s", aid, res.body)
			}
		}
	})
}

// noise is an image that compresses badly, so truncating it cuts pixels.
func noise(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7919 + i/13)
	}
	return img
}

// pngHeader is a PNG signature and IHDR announcing w×h, with no pixels.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	b = append(b, "IHDR"...)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
}
