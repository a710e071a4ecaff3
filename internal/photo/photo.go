// Package photo turns an uploaded camera image into a copy that is safe to
// store and hand out: the format is recognised by its bytes, the size and
// pixel count are bounded before any pixel is decoded, the EXIF orientation
// is applied to the pixels, and the image is re-encoded from pixels alone so
// that no metadata (EXIF with GPS, XMP, ICC profiles, comments, maker notes)
// survives. It does no I/O beyond reading the given reader.
//
// Every output is JPEG: one content type for the API and the PWA, far smaller
// than PNG for photographs and camera-scanned forms, and transparent areas of
// PNG/WebP inputs are flattened onto white.
package photo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"
)

// ContentType is the content type of every sanitized image and thumbnail.
const ContentType = "image/jpeg"

var (
	// ErrHEIC: the input is HEIF/HEIC. The user should set the iPad camera
	// to "互換性優先" (Most Compatible) or let the browser convert the photo.
	ErrHEIC = errors.New("photo: HEIC/HEIF images are not supported")
	// ErrUnsupported: the bytes are not JPEG, PNG or WebP.
	ErrUnsupported = errors.New("photo: unsupported image format")
	// ErrTooLarge: the input has more bytes than Limits.MaxBytes.
	ErrTooLarge = errors.New("photo: image too large")
	// ErrTooManyPixels: the header announces more pixels than
	// Limits.MaxPixels or an edge longer than Limits.MaxEdge. Nothing was
	// decoded.
	ErrTooManyPixels = errors.New("photo: image has too many pixels")
	// ErrDecodedTooLarge: decoding the image would take more memory than
	// Limits.MaxDecodedBytes (width × height × the bytes per pixel of its
	// colour model; see DecodedBytes). Nothing was decoded.
	ErrDecodedTooLarge = errors.New("photo: decoded image would exceed the memory limit")
	// ErrCorrupt: the header or pixel data cannot be decoded (for example a
	// truncated upload).
	ErrCorrupt = errors.New("photo: image data is corrupt")
)

// Limits bound what Sanitize accepts and produces. A zero field takes its
// default from DefaultLimits.
type Limits struct {
	MaxBytes  int64 // input size in bytes [20 MiB]
	MaxPixels int64 // width×height announced by the header [50,000,000]
	MaxEdge   int   // longest edge announced by the header [12000]
	// MaxDecodedBytes bounds the memory the decoder allocates for one
	// image, from its header: width × height × bytes per pixel of its
	// colour model (DecodedBytes) [128 MiB]. A 12 MP photo needs 18–36 MB,
	// a 7000×7000 16-bit PNG 392 MB.
	MaxDecodedBytes int64
	OutputEdge      int // longer originals are downscaled to this edge [4096]
	ThumbEdge       int // longest edge of the thumbnail [320]
	Quality         int // JPEG quality of the sanitized image [85]
	ThumbQuality    int // JPEG quality of the thumbnail [80]
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:        20 << 20,
		MaxPixels:       50_000_000,
		MaxEdge:         12000,
		MaxDecodedBytes: 128 << 20,
		OutputEdge:      4096,
		ThumbEdge:       320,
		Quality:         85,
		ThumbQuality:    80,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxEdge <= 0 {
		l.MaxEdge = d.MaxEdge
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = d.MaxDecodedBytes
	}
	if l.OutputEdge <= 0 {
		l.OutputEdge = d.OutputEdge
	}
	if l.ThumbEdge <= 0 {
		l.ThumbEdge = d.ThumbEdge
	}
	if l.Quality <= 0 || l.Quality > 100 {
		l.Quality = d.Quality
	}
	if l.ThumbQuality <= 0 || l.ThumbQuality > 100 {
		l.ThumbQuality = d.ThumbQuality
	}
	return l
}

// Result is a sanitized image and its thumbnail, both JPEG.
type Result struct {
	Data        []byte // the sanitized image
	Thumbnail   []byte // longest edge Limits.ThumbEdge (or less for small images)
	ContentType string // always ContentType
	Width       int    // of Data, after orientation and downscaling
	Height      int
	ThumbWidth  int
	ThumbHeight int
	SHA256      string // lowercase hex of Data (not of the input)
}

// Sanitize reads one image from r and returns a metadata-free, upright JPEG
// copy with a thumbnail. It reads at most limits.MaxBytes+1 bytes from r.
//
// Errors: ErrTooLarge, and those of SanitizeBytes.
func Sanitize(r io.Reader, limits Limits) (Result, error) {
	limits = limits.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, limits.MaxBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("photo: read: %w", err)
	}
	return SanitizeBytes(data, limits)
}

// Header is what Check learns of an image without decoding its pixels.
type Header struct {
	Format       string // jpeg, png or webp
	Width        int
	Height       int
	DecodedBytes int64 // DecodedBytes of the image
}

// Check reads the header of an encoded image and refuses it before any
// pixel is decoded. It allocates next to nothing, so callers run it before
// they queue for a decode.
//
// Errors: ErrTooLarge (more than MaxBytes), ErrHEIC, ErrUnsupported,
// ErrCorrupt (an unreadable header), ErrTooManyPixels (over MaxPixels or
// MaxEdge), ErrDecodedTooLarge (over MaxDecodedBytes).
func Check(data []byte, limits Limits) (Header, error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return Header{}, ErrTooLarge
	}
	f := sniff(data)
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return Header{}, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Header{}, fmt.Errorf("%w: %s header: empty image", ErrCorrupt, f)
	}
	if cfg.Width > limits.MaxEdge || cfg.Height > limits.MaxEdge ||
		int64(cfg.Width)*int64(cfg.Height) > limits.MaxPixels {
		return Header{}, fmt.Errorf("%w: %d×%d", ErrTooManyPixels, cfg.Width, cfg.Height)
	}
	h := Header{Format: f.String(), Width: cfg.Width, Height: cfg.Height, DecodedBytes: decodedBytes(f, cfg, data)}
	if h.DecodedBytes > limits.MaxDecodedBytes {
		return h, fmt.Errorf("%w: %d bytes, limit %d", ErrDecodedTooLarge, h.DecodedBytes, limits.MaxDecodedBytes)
	}
	return h, nil
}

func decodeConfig(f format, data []byte) (image.Config, error) {
	var dc func(io.Reader) (image.Config, error)
	switch f {
	case formatJPEG:
		dc = jpeg.DecodeConfig
	case formatPNG:
		dc = png.DecodeConfig
	case formatWebP:
		dc = webp.DecodeConfig
	case formatHEIC:
		return image.Config{}, ErrHEIC
	default:
		return image.Config{}, ErrUnsupported
	}
	cfg, err := dc(bytes.NewReader(data))
	if err != nil {
		return cfg, fmt.Errorf("%w: %s header: %v", ErrCorrupt, f, err)
	}
	return cfg, nil
}

// SanitizeBytes is Sanitize of an image already in memory; data is not
// kept or changed.
//
// Errors: those of Check (checked on the header before decoding, so a
// decompression bomb allocates nothing), ErrCorrupt (wrapping the
// decoder's error).
//
// Memory: an accepted image needs its DecodedBytes (at most
// Limits.MaxDecodedBytes) while it is decoded, and up to one RGBA copy
// (4 bytes per pixel) while it is turned upright or flattened, so callers
// should bound how many uploads are sanitized at once.
func SanitizeBytes(data []byte, limits Limits) (Result, error) {
	limits = limits.withDefaults()
	if _, err := Check(data, limits); err != nil {
		return Result{}, err
	}
	f := sniff(data)
	decode := map[format]func(io.Reader) (image.Image, error){formatJPEG: jpeg.Decode, formatPNG: png.Decode, formatWebP: webp.Decode}[f]
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, f, err)
	}
	img = orient(img, orientation(f, data))
	img = flatten(img)
	if b := img.Bounds(); max(b.Dx(), b.Dy()) > limits.OutputEdge {
		img = opaqueRGBA(fit(img, limits.OutputEdge, imaging.Linear))
	}

	// The JPEG encoder uses one core; make the thumbnail on the other.
	var tout bytes.Buffer
	var thumb image.Image
	thumbDone := make(chan error, 1)
	go func() {
		thumb = opaqueRGBA(fit(img, limits.ThumbEdge, imaging.Linear))
		thumbDone <- jpeg.Encode(&tout, thumb, &jpeg.Options{Quality: limits.ThumbQuality})
	}()
	var out bytes.Buffer
	err = jpeg.Encode(&out, img, &jpeg.Options{Quality: limits.Quality})
	if terr := <-thumbDone; terr != nil {
		return Result{}, fmt.Errorf("photo: encode thumbnail: %w", terr)
	}
	if err != nil {
		return Result{}, fmt.Errorf("photo: encode: %w", err)
	}

	sum := sha256.Sum256(out.Bytes())
	b, tb := img.Bounds(), thumb.Bounds()
	return Result{
		Data:        out.Bytes(),
		Thumbnail:   tout.Bytes(),
		ContentType: ContentType,
		Width:       b.Dx(),
		Height:      b.Dy(),
		ThumbWidth:  tb.Dx(),
		ThumbHeight: tb.Dy(),
		SHA256:      hex.EncodeToString(sum[:]),
	}, nil
}

// fit scales img so that its longest edge is at most edge, keeping the aspect
// ratio; smaller images are returned as they are (never upscaled).
func fit(img image.Image, edge int, filter imaging.ResampleFilter) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= edge && h <= edge {
		return img
	}
	if w >= h {
		return imaging.Resize(img, edge, 0, filter)
	}
	return imaging.Resize(img, 0, edge, filter)
}

// flatten draws an image with transparency onto white, so that transparent
// areas do not turn black in JPEG. Opaque images are returned unchanged (and
// opaque NRGBA is viewed as RGBA, which the JPEG encoder handles quickly).
func flatten(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return opaqueRGBA(img)
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), &image.Uniform{C: color.White}, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// opaqueRGBA views a fully opaque *image.NRGBA as *image.RGBA (identical
// bytes when alpha is 255), because image/jpeg encodes *image.RGBA and
// *image.YCbCr directly but every other type pixel by pixel through
// interfaces, which is several times slower. Callers guarantee opacity.
func opaqueRGBA(img image.Image) image.Image {
	if n, ok := img.(*image.NRGBA); ok {
		return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
	}
	return img
}
