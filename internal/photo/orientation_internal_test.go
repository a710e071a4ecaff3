package photo

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
)

// The plane-by-plane rotation must give exactly the pixels of the general
// (imaging) path for every subsampling it accepts.
func TestRotateYCbCrMatchesGeneralPath(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range ratios {
		src := image.NewYCbCr(image.Rect(0, 0, 10, 6), ratio)
		for _, p := range [][]byte{src.Y, src.Cb, src.Cr} {
			for i := range p {
				p[i] = byte(rng.IntN(256))
			}
		}
		for _, o := range []int{3, 6, 8} {
			t.Run(fmt.Sprintf("%v/%d", ratio, o), func(t *testing.T) {
				fast, ok := rotateYCbCr(src, o)
				if !ok {
					t.Fatal("fast path refused")
				}
				want := orient(image.Image(struct{ image.Image }{src}), o) // hide the type: general path
				if fast.Bounds() != want.Bounds() {
					t.Fatalf("bounds %v, want %v", fast.Bounds(), want.Bounds())
				}
				b := want.Bounds()
				for y := b.Min.Y; y < b.Max.Y; y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						r1, g1, b1, _ := fast.At(x, y).RGBA()
						r2, g2, b2, _ := want.At(x, y).RGBA()
						if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
							t.Fatalf("pixel (%d,%d) differs", x, y)
						}
					}
				}
			})
		}
	}
}

func TestRotateYCbCrRefusesWhatItCannotDoExactly(t *testing.T) {
	odd := image.NewYCbCr(image.Rect(0, 0, 11, 6), image.YCbCrSubsampleRatio420)
	if _, ok := rotateYCbCr(odd, 6); ok {
		t.Error("rotated an odd-width 4:2:0 image")
	}
	even := image.NewYCbCr(image.Rect(0, 0, 10, 6), image.YCbCrSubsampleRatio420)
	if _, ok := rotateYCbCr(even, 2); ok {
		t.Error("took the fast path for a mirror")
	}
}
