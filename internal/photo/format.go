package photo

import (
	"bytes"
	"encoding/binary"
)

// format is an input image format recognised by its leading bytes.
type format int

const (
	formatUnknown format = iota
	formatJPEG
	formatPNG
	formatWebP
	formatHEIC
)

func (f format) String() string {
	switch f {
	case formatJPEG:
		return "jpeg"
	case formatPNG:
		return "png"
	case formatWebP:
		return "webp"
	case formatHEIC:
		return "heic"
	}
	return "unknown"
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// heifBrands are the ISO-BMFF brands of HEIF/HEIC stills and sequences, the
// formats an iPad camera writes unless set to "Most Compatible" (互換性優先).
// AVIF shares the container but is not listed: it is simply unsupported.
var heifBrands = map[string]bool{
	"heic": true, "heix": true, "heim": true, "heis": true,
	"hevc": true, "hevx": true, "hevm": true, "hevs": true,
	"mif1": true, "msf1": true,
}

// sniff recognises the format from the data's magic bytes. The content type
// a client declares is never consulted: it is whatever the client says.
func sniff(b []byte) format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return formatJPEG
	case bytes.HasPrefix(b, pngSignature):
		return formatPNG
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP
	case isHEIF(b):
		return formatHEIC
	}
	return formatUnknown
}

// isHEIF reports whether b opens with an ISO-BMFF "ftyp" box whose major or
// compatible brands name HEIF. An AVIF file lists "mif1" too, so a major
// brand of avif/avis wins over the compatible list.
func isHEIF(b []byte) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	major := string(b[8:12])
	if heifBrands[major] {
		return true
	}
	if major == "avif" || major == "avis" {
		return false
	}
	size := int(binary.BigEndian.Uint32(b[0:4]))
	if size > len(b) {
		size = len(b)
	}
	// ftyp: size(4) "ftyp"(4) major(4) minor(4) compatible(4)...
	for i := 16; i+4 <= size; i += 4 {
		if heifBrands[string(b[i:i+4])] {
			return true
		}
	}
	return false
}
