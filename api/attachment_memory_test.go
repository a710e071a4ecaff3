package api_test

import (
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store/storetest"
)

// TestAttachmentDecodedMemoryBound: uploads that are small on the wire but
// huge once decoded (a 7000×7000 16-bit PNG of 0.4 MB is 392 MB of pixels)
// are refused from their header with a code and a message that names the
// limit; nothing is stored, and the id stays unknown.
func TestAttachmentDecodedMemoryBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		blobs := &countingStore{Store: mustDisk(t)}
		h := newHarnessWith(t, engine, blobs)
		r := h.mustRegion()
		for name, img := range map[string][]byte{
			"16-bit PNG 7000×7000":    phototest.BlankPNG(7000, 7000, true),
			"RGBA PNG bomb 6000×6000": phototest.BlankPNG(6000, 6000, false),
		} {
			id := newID()
			res := r.nurseC.raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+r.patientID, "image/png", img)
			if res.status != 422 || res.code() != care.CodeImageDecodedTooLarge {
				t.Errorf("%s: %d %s, want 422 %s", name, res.status, res.body, care.CodeImageDecodedTooLarge)
			}
			if !strings.Contains(res.body, "128 MiB") {
				t.Errorf("%s: the refusal does not name the limit: %s", name, res.body)
			}
			r.nurseC.must(404, "GET", "/api/v1/attachments/"+id, nil)
		}
		if blobs.putCount() != 0 {
			t.Errorf("refused uploads stored blobs: %v", blobs.puts)
		}
	})
}
