// Package phototest makes camera-like images for tests of the packages that
// accept uploads: JPEGs carrying EXIF with GPS and an orientation, and the
// leading bytes of HEIC files.
package phototest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
)

var (
	Red  = color.NRGBA{R: 255, A: 255}
	Blue = color.NRGBA{B: 255, A: 255}
)

// CameraMake is written into the EXIF block of WithEXIF; it must not survive
// sanitizing.
const CameraMake = "TsunaguTestCamera"

// Halves returns a w×h image whose left half is red and right half blue.
func Halves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.SetNRGBA(x, y, Red)
			} else {
				img.SetNRGBA(x, y, Blue)
			}
		}
	}
	return img
}

// JPEG encodes img at quality 95; it panics on failure (which cannot happen
// for an in-memory image).
func JPEG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// WithEXIF inserts, right after SOI, an APP1 "Exif" segment as cameras write
// it: IFD0 with Make, Orientation and a GPS IFD holding latitude N 35°41'22".
func WithEXIF(jpg []byte, orientation uint16) []byte {
	seg := segment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(orientation)...))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// HEIC returns the opening of an iPhone/iPad HEIC file (an ISO-BMFF ftyp box
// with brand heic) followed by filler.
func HEIC() []byte {
	b := binary.BigEndian.AppendUint32(nil, 24)
	b = append(b, "ftypheic\x00\x00\x00\x00mif1heic"...)
	return append(b, make([]byte, 64)...)
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// EXIFTIFF is the TIFF structure of the EXIF block WithEXIF inserts, for
// tests that embed it elsewhere (PNG eXIf, WebP EXIF chunks).
func EXIFTIFF(orientation uint16) []byte { return exifTIFF(orientation) }

func exifTIFF(orientation uint16) []byte {
	be := binary.BigEndian
	var b []byte
	u16 := func(v uint16) { b = be.AppendUint16(b, v) }
	u32 := func(v uint32) { b = be.AppendUint32(b, v) }
	entry := func(tag, typ uint16, count, value uint32) { u16(tag); u16(typ); u32(count); u32(value) }

	const ifd0 = 8
	const ifd0Len = 2 + 3*12 + 4
	const gpsIFD = ifd0 + ifd0Len
	const gpsLen = 2 + 2*12 + 4
	const makeAt = gpsIFD + gpsLen
	const latAt = makeAt + len(CameraMake) + 1

	b = append(b, "MM"...)
	u16(42)
	u32(ifd0)
	u16(3)
	entry(0x010F, 2, uint32(len(CameraMake)+1), makeAt) // Make, ASCII
	entry(0x0112, 3, 1, uint32(orientation)<<16)        // Orientation, SHORT
	entry(0x8825, 4, 1, gpsIFD)                         // GPSInfo IFD pointer
	u32(0)
	u16(2)
	entry(0x0001, 2, 2, uint32('N')<<24) // GPSLatitudeRef "N\0"
	entry(0x0002, 5, 3, uint32(latAt))   // GPSLatitude, 3 RATIONAL
	u32(0)
	b = append(b, CameraMake...)
	b = append(b, 0)
	for _, v := range []uint32{35, 1, 41, 1, 22, 1} {
		u32(v)
	}
	return b
}

// BlankPNG is a valid, non-interlaced PNG of w×h black pixels, RGBA at 8
// or 16 bits per channel, written row by row so that a huge image costs
// only its compressed size: a decompression bomb (7000×7000 at 16 bits is
// 392 MB of pixels in about 0.4 MB).
func BlankPNG(w, h int, bits16 bool) []byte {
	depth, bpp := byte(8), 4
	if bits16 {
		depth, bpp = 16, 8
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, 6, 0, 0, 0) // RGBA, deflate, no filter, no interlace
	pngChunk(&out, "IHDR", ihdr)
	total := int64(h) * int64(1+w*bpp) // each row: filter type 0, then zero samples
	pngChunk(&out, "IDAT", zeroZlib(total))
	pngChunk(&out, "IEND", nil)
	return out.Bytes()
}

func pngChunk(w *bytes.Buffer, typ string, data []byte) {
	binary.Write(w, binary.BigEndian, uint32(len(data)))
	w.WriteString(typ)
	w.Write(data)
	binary.Write(w, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// zeroZlib is a zlib stream of n zero bytes, made without compressing them
// all: after the first flushed block, a block of zeros only refers back to
// zeros, so its bytes can be repeated as they are.
func zeroZlib(n int64) []byte {
	const chunk = 1 << 20
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, chunk)
	part := func(k int64) []byte {
		buf.Reset()
		fw.Write(zeros[:k])
		fw.Flush()
		return append([]byte(nil), buf.Bytes()...)
	}
	adler := uint32(n%65521)<<16 | 1 // Adler-32 of n zeros: a stays 1, b adds it n times
	out := []byte{0x78, 0xDA}
	first := min(n, chunk)
	out = append(out, part(first)...)
	n -= first
	if n >= chunk {
		again := part(chunk)
		n -= chunk
		out = append(out, again...)
		for ; n >= chunk; n -= chunk {
			out = append(out, again...)
		}
	}
	buf.Reset()
	fw.Write(zeros[:n])
	fw.Close()
	out = append(out, buf.Bytes()...)
	return binary.BigEndian.AppendUint32(out, adler)
}
