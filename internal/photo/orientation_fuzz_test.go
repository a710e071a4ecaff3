package photo

import (
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzOrientation feeds any bytes to the EXIF orientation parser as each
// format it reads (JPEG APP1, PNG eXIf, WebP EXIF, and the bare TIFF
// structure inside them). It must never panic or read out of bounds, and
// always answer a valid orientation (1–8), which orient must apply without
// panicking and with the expected size. The seeds in
// testdata/fuzz/FuzzOrientation are camera-like files with each of the
// eight orientations, in both byte orders, and damaged variants.
func FuzzOrientation(f *testing.F) {
	img := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	f.Fuzz(func(t *testing.T, b []byte) {
		results := map[string]int{
			"sniffed": orientation(sniff(b), b),
			"jpeg":    orientation(formatJPEG, b),
			"png":     orientation(formatPNG, b),
			"webp":    orientation(formatWebP, b),
			"tiff":    tiffOrientation(b),
		}
		for as, o := range results {
			if o < 1 || o > 8 {
				t.Fatalf("orientation read as %s = %d, outside 1–8", as, o)
			}
			got := orient(img, o).Bounds()
			want := image.Rect(0, 0, 4, 2)
			if o >= 5 {
				want = image.Rect(0, 0, 2, 4)
			}
			if got.Size() != want.Size() {
				t.Fatalf("orient(%d) gives %v, want size %v", o, got, want.Size())
			}
		}
	})
}

// TestOrientationSeeds keeps the fuzz seeds honest: each seed named for an
// orientation (…-N) must be read as that orientation, so the fuzzer starts
// from files that reach the tag.
func TestOrientationSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOrientation")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, e := range entries {
		m := seedOrientation.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		named++
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		body, ok2 := strings.CutSuffix(body, ")\n")
		b, err := strconv.Unquote(body)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a corpus file of one []byte: %v", e.Name(), err)
		}
		want, _ := strconv.Atoi(m[1])
		got := orientation(sniff([]byte(b)), []byte(b))
		if strings.HasPrefix(e.Name(), "tiff-") { // the bare structure inside the EXIF block
			got = tiffOrientation([]byte(b))
		}
		if got != want {
			t.Errorf("%s: orientation %d, want %d", e.Name(), got, want)
		}
	}
	if named < 8 {
		t.Errorf("only %d seeds name an orientation; want each of the eight", named)
	}
}

var seedOrientation = regexp.MustCompile(`-(?:orientation|endian)-([1-8])$`)
