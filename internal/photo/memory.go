package photo

import (
	"encoding/binary"
	"image"
	"image/color"
)

// DecodedBytes estimates, from its header alone, how many bytes the
// decoder allocates for an image: width × height × the bytes per pixel of
// its colour model, and what the format's decoder keeps beside the pixels.
//
//   - JPEG: one byte per sample of each component, at the sampling of its
//     SOF header (4:2:0 colour is 1.5 bytes per pixel, 4:4:4 3, CMYK 4),
//     rounded up to whole MCUs; a progressive JPEG also keeps every DCT
//     coefficient until its last scan, 4 bytes per sample more.
//   - PNG: by colour model: gray and paletted 1, gray 16-bit 2, RGBA 4,
//     16-bit RGBA (NRGBA64, RGBA64) 8; an interlaced PNG decodes each of
//     its seven passes into an image of its own, so twice that.
//   - WebP: lossy 1.5 (YCbCr 4:2:0), with alpha 2.5; lossless 4.
func DecodedBytes(data []byte) (int64, error) {
	f := sniff(data)
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return 0, err
	}
	return decodedBytes(f, cfg, data), nil
}

func decodedBytes(f format, cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch f {
	case formatJPEG:
		if n, ok := jpegDecodedBytes(data); ok {
			return n
		}
		return px * 4 * 5 // no SOF found by our walk: assume the worst
	case formatPNG:
		n := px * int64(modelBytes(cfg.ColorModel))
		if len(data) > 28 && data[28] == 1 { // IHDR interlace method: Adam7
			n *= 2
		}
		return n
	}
	switch cfg.ColorModel {
	case color.YCbCrModel:
		return px * 3 / 2
	case color.NYCbCrAModel:
		return px * 5 / 2
	}
	return px * int64(modelBytes(cfg.ColorModel))
}

// modelBytes is the bytes per pixel of the image type a decoder makes for
// colour model m.
func modelBytes(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// jpegDecodedBytes reads the frame header (SOF) of a JPEG: the samples of
// each component, padded to whole MCUs as image/jpeg allocates them, and
// whether the frame is progressive (SOF2), whose coefficients image/jpeg
// keeps as int32 per sample.
func jpegDecodedBytes(b []byte) (int64, bool) {
	var sof []byte
	var progressive bool
	walkJPEG(b, func(marker byte, seg []byte) bool {
		switch marker {
		case 0xC0, 0xC1, 0xC2:
			sof, progressive = seg, marker == 0xC2
			return false
		}
		return true
	})
	// P(1) Y(2) X(2) Nf(1), then Nf × (id, H<<4|V, Tq)
	if len(sof) < 6 {
		return 0, false
	}
	h, w, nf := int64(binary.BigEndian.Uint16(sof[1:3])), int64(binary.BigEndian.Uint16(sof[3:5])), int(sof[5])
	if nf == 0 || len(sof) < 6+3*nf {
		return 0, false
	}
	hmax, vmax := int64(1), int64(1)
	for i := 0; i < nf; i++ {
		hv := sof[7+3*i]
		hmax, vmax = max(hmax, int64(hv>>4)), max(vmax, int64(hv&15))
	}
	mxx, myy := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
	var samples int64
	for i := 0; i < nf; i++ {
		hv := sof[7+3*i]
		samples += mxx * myy * int64(hv>>4) * int64(hv&15) * 64
	}
	if progressive {
		return samples * 5, true
	}
	return samples, true
}

// walkJPEG calls fn with each marker segment's marker and payload, from SOI
// up to the first scan, while fn returns true.
func walkJPEG(b []byte, fn func(marker byte, seg []byte) bool) {
	i := 2 // after SOI
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // SOS or EOI: no more headers
			return
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if n < 2 || i+2+n > len(b) {
			return
		}
		if !fn(marker, b[i+4:i+2+n]) {
			return
		}
		i += 2 + n
	}
}
