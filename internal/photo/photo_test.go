package photo_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"tsunagu/internal/photo"
	"tsunagu/internal/photo/phototest"
)

var (
	red  = color.NRGBA{R: 255, A: 255}
	blue = color.NRGBA{B: 255, A: 255}
)

// halvesWebP is an 8×4 lossless WebP, left half red and right half blue,
// made with `cwebp -lossless -exact -metadata none`.
var halvesWebP = []byte{
	0x52, 0x49, 0x46, 0x46, 0x1e, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c,
	0x12, 0x00, 0x00, 0x00, 0x2f, 0x07, 0xc0, 0x00, 0x00, 0x0f, 0x10, 0xf3, 0xbf, 0xff, 0xf3, 0x1f,
	0x0e, 0xfa, 0x10, 0xd1, 0xff, 0x00,
}

// cameraMake is written into the test EXIF block; it must not survive.
const cameraMake = phototest.CameraMake

// halves returns a w×h image whose left half is red and right half blue.
func halves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.SetNRGBA(x, y, red)
			} else {
				img.SetNRGBA(x, y, blue)
			}
		}
	}
	return img
}

func mustJPEG(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func mustPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

func exifSegment(orientation uint16) []byte {
	return segment(0xE1, append([]byte("Exif\x00\x00"), phototest.EXIFTIFF(orientation)...))
}

// jpegMarkers lists the markers before the first SOS of a JPEG.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("output is not a JPEG: % x", b[:min(len(b), 4)])
	}
	var markers []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("bad JPEG structure at %d", i)
		}
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:i+4]))
	}
	t.Fatal("no SOS in output")
	return nil
}

func mustDecode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output does not decode as JPEG: %v", err)
	}
	return img
}

// assertColour checks that the pixel at (x, y) is close to want (JPEG is lossy).
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

func TestSanitizeStripsMetadataAndAppliesOrientation(t *testing.T) {
	src := withSegments(mustJPEG(t, halves(40, 20), 95),
		segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")),
		exifSegment(6),
		segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSLatitude</x:xmpmeta>")),
		segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01 not a real profile")),
		segment(0xFE, []byte("comment "+cameraMake)),
	)
	// Precondition: the fixture really carries what must be removed.
	for _, s := range []string{"Exif", cameraMake, "xmpmeta", "ICC_PROFILE"} {
		if !bytes.Contains(src, []byte(s)) {
			t.Fatalf("fixture lacks %q", s)
		}
	}

	res, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range jpegMarkers(t, res.Data) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("output keeps marker FF%X (APPn/COM)", m)
		}
	}
	for _, s := range []string{"Exif", "MM\x00\x2a", cameraMake, "xmpmeta", "GPS", "ICC_PROFILE"} {
		if bytes.Contains(res.Data, []byte(s)) || bytes.Contains(res.Thumbnail, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}

	if res.Width != 20 || res.Height != 40 {
		t.Fatalf("size %d×%d, want 20×40 (orientation 6 applied)", res.Width, res.Height)
	}
	img := mustDecode(t, res.Data)
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
		t.Fatalf("decoded size %v, want 20×40", b)
	}
	assertColour(t, img, 10, 5, red)   // the left half is now on top
	assertColour(t, img, 10, 35, blue) // the right half at the bottom
	if res.ContentType != "image/jpeg" {
		t.Errorf("content type %q", res.ContentType)
	}
	sum := sha256.Sum256(res.Data)
	if res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s does not match the data", res.SHA256)
	}
}

func TestSanitizeOrientations(t *testing.T) {
	// Where the red (left) half of a 40×20 image ends up, per EXIF value.
	// 1, 3, 6 and 8 take the YCbCr fast path; the mirrors take imaging's.
	tests := []struct {
		orientation uint16
		w, h        int
		redAt       image.Point
		blueAt      image.Point
	}{
		{1, 40, 20, image.Pt(5, 10), image.Pt(35, 10)},
		{2, 40, 20, image.Pt(35, 10), image.Pt(5, 10)},
		{3, 40, 20, image.Pt(35, 10), image.Pt(5, 10)},
		{4, 40, 20, image.Pt(5, 10), image.Pt(35, 10)},
		{5, 20, 40, image.Pt(10, 5), image.Pt(10, 35)},
		{6, 20, 40, image.Pt(10, 5), image.Pt(10, 35)},
		{7, 20, 40, image.Pt(10, 35), image.Pt(10, 5)},
		{8, 20, 40, image.Pt(10, 35), image.Pt(10, 5)},
	}
	base := mustJPEG(t, halves(40, 20), 95)
	for _, tt := range tests {
		t.Run(string(rune('0'+tt.orientation)), func(t *testing.T) {
			res, err := photo.Sanitize(bytes.NewReader(withSegments(base, exifSegment(tt.orientation))), photo.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != tt.w || res.Height != tt.h {
				t.Fatalf("size %d×%d, want %d×%d", res.Width, res.Height, tt.w, tt.h)
			}
			img := mustDecode(t, res.Data)
			assertColour(t, img, tt.redAt.X, tt.redAt.Y, red)
			assertColour(t, img, tt.blueAt.X, tt.blueAt.Y, blue)
		})
	}
}

func TestSanitizeOrientationOddSizeAndGray(t *testing.T) {
	// Odd sizes and grayscale scans take the general rotation path.
	odd := mustJPEG(t, halves(41, 21), 95)
	gray := image.NewGray(image.Rect(0, 0, 40, 20))
	for x := 0; x < 20; x++ {
		for y := 0; y < 20; y++ {
			gray.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	tests := []struct {
		name       string
		src        []byte
		w, h       int
		top, under color.NRGBA
	}{
		{"odd", odd, 21, 41, red, blue},
		{"gray", mustJPEG(t, gray, 95), 20, 40, color.NRGBA{255, 255, 255, 255}, color.NRGBA{0, 0, 0, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := photo.Sanitize(bytes.NewReader(withSegments(tt.src, exifSegment(6))), photo.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != tt.w || res.Height != tt.h {
				t.Fatalf("size %d×%d, want %d×%d", res.Width, res.Height, tt.w, tt.h)
			}
			img := mustDecode(t, res.Data)
			assertColour(t, img, 10, 5, tt.top)
			assertColour(t, img, 10, 35, tt.under)
		})
	}
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func TestSanitizePNG(t *testing.T) {
	t.Run("opaque", func(t *testing.T) {
		res, err := photo.Sanitize(bytes.NewReader(mustPNG(t, halves(8, 4))), photo.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Width != 8 || res.Height != 4 || res.ContentType != "image/jpeg" {
			t.Fatalf("got %d×%d %s, want 8×4 image/jpeg", res.Width, res.Height, res.ContentType)
		}
		img := mustDecode(t, res.Data)
		assertColour(t, img, 1, 2, red)
		assertColour(t, img, 6, 2, blue)
	})
	t.Run("transparent becomes white", func(t *testing.T) {
		img := image.NewNRGBA(image.Rect(0, 0, 8, 8)) // all transparent
		res, err := photo.Sanitize(bytes.NewReader(mustPNG(t, img)), photo.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		assertColour(t, mustDecode(t, res.Data), 4, 4, color.NRGBA{255, 255, 255, 255})
	})
	t.Run("eXIf orientation", func(t *testing.T) {
		p := mustPNG(t, halves(40, 20))
		// Insert eXIf after IHDR (8-byte signature + 25-byte IHDR chunk).
		src := append(append(append([]byte{}, p[:33]...), pngChunk("eXIf", phototest.EXIFTIFF(8))...), p[33:]...)
		res, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Width != 20 || res.Height != 40 {
			t.Fatalf("size %d×%d, want 20×40", res.Width, res.Height)
		}
		img := mustDecode(t, res.Data)
		assertColour(t, img, 10, 35, red) // orientation 8: left half goes to the bottom
		if bytes.Contains(res.Data, []byte(cameraMake)) {
			t.Error("output keeps the EXIF Make")
		}
	})
}

func TestSanitizeWebP(t *testing.T) {
	res, err := photo.Sanitize(bytes.NewReader(halvesWebP), photo.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 8 || res.Height != 4 || res.ContentType != "image/jpeg" {
		t.Fatalf("got %d×%d %s, want 8×4 image/jpeg", res.Width, res.Height, res.ContentType)
	}
	img := mustDecode(t, res.Data)
	assertColour(t, img, 1, 2, red)
	assertColour(t, img, 6, 2, blue)
}

func ftyp(major string, compatible ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(16+4*len(compatible)))
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compatible {
		b = append(b, c...)
	}
	return append(b, make([]byte, 64)...) // the rest of the file
}

func TestSanitizeRejectsFormats(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"iPhone HEIC", ftyp("heic", "mif1", "heic"), photo.ErrHEIC},
		{"HEIF mif1", ftyp("mif1", "heic"), photo.ErrHEIC},
		{"HEIC sequence", ftyp("hevc", "msf1"), photo.ErrHEIC},
		{"HEIF by compatible brand", ftyp("abcd", "heix"), photo.ErrHEIC},
		{"AVIF", ftyp("avif", "mif1", "miaf"), photo.ErrUnsupported},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), photo.ErrUnsupported},
		{"PDF", []byte("%PDF-1.7\n"), photo.ErrUnsupported},
		{"empty", nil, photo.ErrUnsupported},
		{"text declared as JPEG", []byte("hello"), photo.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := photo.Sanitize(bytes.NewReader(tt.data), photo.Limits{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func noise(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		x, y := (i/4)%w, (i/4)/w
		img.Pix[i] = uint8(x*255/w) ^ uint8(rng.IntN(32))
		img.Pix[i+1] = uint8(y*255/h) ^ uint8(rng.IntN(32))
		img.Pix[i+2] = uint8((x+y)*255/(w+h)) ^ uint8(rng.IntN(32))
		img.Pix[i+3] = 255
	}
	return img
}

func TestSanitizeTruncatedJPEG(t *testing.T) {
	full := mustJPEG(t, noise(64, 64, 1), 90)
	for _, n := range []int{len(full) / 2, len(full) - 2, 40} {
		_, err := photo.Sanitize(bytes.NewReader(full[:n]), photo.Limits{})
		if !errors.Is(err, photo.ErrCorrupt) {
			t.Errorf("truncated to %d of %d bytes: err = %v, want ErrCorrupt", n, len(full), err)
		}
	}
}

// pngHeader is a valid PNG signature and IHDR announcing w×h RGBA, with no
// pixel data behind it.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no filter, no interlace
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

func TestSanitizeRefusesPixelBombs(t *testing.T) {
	tests := []struct {
		name string
		w, h uint32
	}{
		{"10 gigapixels", 100000, 100000},
		{"51 megapixels", 8500, 6000},
		{"long edge", 12001, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := pngHeader(tt.w, tt.h)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, photo.ErrTooManyPixels) {
				t.Fatalf("err = %v, want ErrTooManyPixels", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("allocated %d bytes refusing a header", n)
			}
		})
	}
}

// countingReader counts the bytes handed out of an endless stream.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	c.n += int64(len(p))
	return len(p), nil
}

func TestSanitizeTooLarge(t *testing.T) {
	src := mustJPEG(t, noise(64, 64, 2), 90)
	_, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{MaxBytes: int64(len(src) - 1)})
	if !errors.Is(err, photo.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{MaxBytes: int64(len(src))}); err != nil {
		t.Fatalf("exactly MaxBytes: %v", err)
	}

	endless := &countingReader{}
	_, err = photo.Sanitize(io.LimitReader(endless, 1<<40), photo.Limits{MaxBytes: 1 << 20})
	if !errors.Is(err, photo.ErrTooLarge) {
		t.Fatalf("endless input: err = %v, want ErrTooLarge", err)
	}
	if endless.n > 2<<20 {
		t.Errorf("read %d bytes of an endless input with a 1 MiB limit", endless.n)
	}
}

func TestSanitizeDownscalesAndThumbnails(t *testing.T) {
	src := mustJPEG(t, noise(1000, 500, 3), 90)
	res, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{OutputEdge: 600})
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 600 || res.Height != 300 {
		t.Errorf("sanitized %d×%d, want 600×300", res.Width, res.Height)
	}
	if b := mustDecode(t, res.Data).Bounds(); b.Dx() != 600 || b.Dy() != 300 {
		t.Errorf("decoded sanitized %v, want 600×300", b)
	}
	thumb := mustDecode(t, res.Thumbnail)
	if b := thumb.Bounds(); b.Dx() != 320 || b.Dy() != 160 || res.ThumbWidth != 320 || res.ThumbHeight != 160 {
		t.Errorf("thumbnail %v (reported %d×%d), want 320×160", b, res.ThumbWidth, res.ThumbHeight)
	}

	// A small image is neither upscaled nor given a larger thumbnail.
	res, err = photo.Sanitize(bytes.NewReader(mustPNG(t, halves(40, 20))), photo.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ThumbWidth != 40 || res.ThumbHeight != 20 {
		t.Errorf("thumbnail of 40×20 is %d×%d", res.ThumbWidth, res.ThumbHeight)
	}
}

func TestSanitizeIsDeterministic(t *testing.T) {
	src := mustJPEG(t, noise(300, 200, 4), 90)
	a, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// Content addressing relies on the same upload giving the same blob.
	if a.SHA256 != b.SHA256 {
		t.Errorf("same input, different output: %s vs %s", a.SHA256, b.SHA256)
	}
}

func BenchmarkSanitize12MP(b *testing.B) {
	src := mustJPEG(b, noise(4000, 3000, 5), 90)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Width != 4000 || len(res.Thumbnail) == 0 {
			b.Fatalf("unexpected result %d×%d", res.Width, res.Height)
		}
	}
}

// An iPad held upright writes landscape pixels with Orientation=6, so the
// common upload also pays for a rotation.
func BenchmarkSanitize12MPRotated(b *testing.B) {
	src := withSegments(mustJPEG(b, noise(4000, 3000, 5), 90), exifSegment(6))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := photo.Sanitize(bytes.NewReader(src), photo.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Width != 3000 || res.Height != 4000 {
			b.Fatalf("unexpected result %d×%d", res.Width, res.Height)
		}
	}
}
