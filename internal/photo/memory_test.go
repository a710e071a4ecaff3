package photo_test

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"tsunagu/internal/photo"
	"tsunagu/internal/photo/phototest"
)

// TestCheckBoundsDecodedMemory: a small file whose pixels are huge once
// decoded (a 381 KB 7000×7000 16-bit PNG took 3.3 s and, two at once,
// 1.2 GB) is refused from its header, within the pixel limits, before
// anything is decoded.
func TestCheckBoundsDecodedMemory(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want int64
	}{
		{"7000×7000 16-bit RGBA PNG", phototest.BlankPNG(7000, 7000, true), 7000 * 7000 * 8},
		{"6000×6000 8-bit RGBA PNG bomb", phototest.BlankPNG(6000, 6000, false), 6000 * 6000 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > 1<<20 {
				t.Fatalf("fixture is %d bytes: not a bomb", len(tt.src))
			}
			if n, err := photo.DecodedBytes(tt.src); err != nil || n != tt.want {
				t.Fatalf("DecodedBytes = %d, %v; want %d", n, err, tt.want)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, cerr := photo.Check(tt.src, photo.Limits{})
			_, serr := photo.SanitizeBytes(tt.src, photo.Limits{})
			runtime.ReadMemStats(&after)
			for _, err := range []error{cerr, serr} {
				if !errors.Is(err, photo.ErrDecodedTooLarge) {
					t.Errorf("err = %v, want ErrDecodedTooLarge", err)
				}
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
				t.Errorf("allocated %d bytes refusing it", n)
			}
			// Under a limit that allows it, the header passes.
			if _, err := photo.Check(tt.src, photo.Limits{MaxDecodedBytes: tt.want}); err != nil {
				t.Errorf("at a limit of exactly %d bytes: %v", tt.want, err)
			}
		})
	}
	// A 16-bit PNG within the bound is sanitized as before.
	res, err := photo.SanitizeBytes(phototest.BlankPNG(400, 300, true), photo.Limits{})
	if err != nil || res.Width != 400 || res.Height != 300 {
		t.Fatalf("small 16-bit PNG: %v, %d×%d", err, res.Width, res.Height)
	}
}

// TestDecodedBytesByColourModel: the estimate follows what the decoder
// allocates for each kind of image.
func TestDecodedBytesByColourModel(t *testing.T) {
	baseline := phototest.JPEG(phototest.Halves(100, 60)) // image/jpeg writes 4:2:0
	tests := []struct {
		name string
		src  []byte
		want int64
	}{
		{"8-bit RGBA PNG", phototest.BlankPNG(100, 60, false), 100 * 60 * 4},
		{"16-bit RGBA PNG", phototest.BlankPNG(100, 60, true), 100 * 60 * 8},
		// 4:2:0 in 16×16 MCUs: 7×4 MCUs, Y 4 blocks and Cb, Cr 1 each.
		{"baseline 4:2:0 JPEG", baseline, 7 * 4 * 6 * 64},
		// The same frame, progressive: the coefficients are kept too.
		{"progressive 4:2:0 JPEG", progressive(t, baseline), 7 * 4 * 6 * 64 * 5},
	}
	for _, tt := range tests {
		if n, err := photo.DecodedBytes(tt.src); err != nil || n != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, n, err, tt.want)
		}
	}
}

// progressive marks the frame header (SOF0) of a baseline JPEG as
// progressive (SOF2); only the header is read.
func progressive(t *testing.T, jpg []byte) []byte {
	t.Helper()
	out := append([]byte(nil), jpg...)
	for i := 2; i+4 <= len(out); {
		if out[i+1] == 0xC0 {
			out[i+1] = 0xC2
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:i+4]))
	}
	t.Fatal("no SOF0 in the fixture")
	return nil
}
