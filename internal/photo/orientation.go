package photo

import (
	"bytes"
	"encoding/binary"
	"image"

	"github.com/disintegration/imaging"
)

// orientation reads the EXIF Orientation tag (1–8) of an encoded image, or
// returns 1 when there is none or it cannot be read. A broken EXIF block is
// not an error: the pixels are what matter, and the block is dropped anyway.
func orientation(f format, b []byte) int {
	var tiff []byte
	switch f {
	case formatJPEG:
		tiff = jpegEXIF(b)
	case formatPNG:
		tiff = pngEXIF(b)
	case formatWebP:
		tiff = webpEXIF(b)
	}
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

var exifHeader = []byte("Exif\x00\x00")

// jpegEXIF returns the TIFF structure inside the first APP1 "Exif" segment.
func jpegEXIF(b []byte) []byte {
	var tiff []byte
	walkJPEG(b, func(marker byte, seg []byte) bool {
		if marker == 0xE1 && bytes.HasPrefix(seg, exifHeader) {
			tiff = seg[len(exifHeader):]
			return false
		}
		return true
	})
	return tiff
}

// pngEXIF returns the contents of the eXIf chunk.
func pngEXIF(b []byte) []byte {
	i := len(pngSignature)
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i : i+4]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+8+n > len(b) {
			return nil
		}
		if typ == "eXIf" {
			return b[i+8 : i+8+n]
		}
		if typ == "IEND" {
			return nil
		}
		i += 12 + n // length, type, data, crc
	}
	return nil
}

// webpEXIF returns the contents of the EXIF chunk of an extended WebP. Some
// writers keep the JPEG-style "Exif\0\0" prefix; it is tolerated.
func webpEXIF(b []byte) []byte {
	i := 12 // "RIFF" size "WEBP"
	for i+8 <= len(b) {
		fourcc := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4 : i+8]))
		if n < 0 || i+8+n > len(b) {
			return nil
		}
		if fourcc == "EXIF" {
			return bytes.TrimPrefix(b[i+8:i+8+n], exifHeader)
		}
		i += 8 + n + n&1 // chunks are padded to an even size
	}
	return nil
}

// tiffOrientation finds tag 0x0112 (Orientation) in IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[0:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 1
	}
	ifd := int(bo.Uint32(t[4:8]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd : ifd+2]))
	for k := 0; k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:e+2]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:e+4]) != 3 { // SHORT
			return 1
		}
		v := int(bo.Uint16(t[e+8 : e+10]))
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

// orient turns img upright according to an EXIF orientation value.
func orient(img image.Image, o int) image.Image {
	if y, ok := img.(*image.YCbCr); ok {
		if r, ok := rotateYCbCr(y, o); ok {
			return r
		}
	}
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // 90° clockwise
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img) // 90° counter-clockwise
	}
	return img
}

// rotateYCbCr turns a decoded JPEG by 90°, 180° or 270° plane by plane,
// staying in YCbCr. The general path converts to NRGBA (four bytes a pixel
// instead of 1.5) and the JPEG encoder is much slower on that, which doubled
// the cost of a portrait photo (Orientation=6, the iPad held upright).
// Returns false for mirrored orientations, odd sizes (where chroma samples
// would shift by half a pixel) and unusual subsampling; orient then takes
// the general path.
func rotateYCbCr(m *image.YCbCr, o int) (*image.YCbCr, bool) {
	if o != 3 && o != 6 && o != 8 {
		return nil, false
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	if b.Min != (image.Point{}) || w%2 != 0 || h%2 != 0 {
		return nil, false
	}
	var cw, ch int // chroma plane size
	ratio := m.SubsampleRatio
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		cw, ch = w, h
	case image.YCbCrSubsampleRatio420:
		cw, ch = w/2, h/2
	case image.YCbCrSubsampleRatio422:
		cw, ch = w/2, h
		if o != 3 {
			ratio = image.YCbCrSubsampleRatio440
		}
	case image.YCbCrSubsampleRatio440:
		cw, ch = w, h/2
		if o != 3 {
			ratio = image.YCbCrSubsampleRatio422
		}
	default:
		return nil, false
	}
	nw, nh := w, h
	if o != 3 {
		nw, nh = h, w
	}
	dst := image.NewYCbCr(image.Rect(0, 0, nw, nh), ratio)
	rotatePlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, o)
	rotatePlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, o)
	rotatePlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, o)
	return dst, true
}

// rotatePlane writes the w×h plane src, rotated per orientation o (3, 6 or
// 8), into dst.
func rotatePlane(dst []byte, dstStride int, src []byte, srcStride, w, h, o int) {
	switch o {
	case 3: // 180°
		for y := 0; y < h; y++ {
			d := dst[y*dstStride : y*dstStride+w]
			s := src[(h-1-y)*srcStride : (h-1-y)*srcStride+w]
			for x := range d {
				d[x] = s[w-1-x]
			}
		}
	case 6: // 90° clockwise: dst(x, y) = src(y, h-1-x); dst is h wide
		for y := 0; y < w; y++ {
			d := dst[y*dstStride : y*dstStride+h]
			for x := range d {
				d[x] = src[(h-1-x)*srcStride+y]
			}
		}
	case 8: // 90° counter-clockwise: dst(x, y) = src(w-1-y, x)
		for y := 0; y < w; y++ {
			d := dst[y*dstStride : y*dstStride+h]
			sx := w - 1 - y
			for x := range d {
				d[x] = src[x*srcStride+sx]
			}
		}
	}
}
