package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// The strippers rewrite a file's container without touching its image
// data: the metadata blocks go (EXIF, XMP, IPTC, comments, text chunks,
// vendor blocks, anything after the end of the image such as a phone's
// "motion photo" video), the colour profile stays, and a minimal EXIF
// block holding only the orientation is written when it is not 1, so the
// photo still shows upright. Each returns the EXIF block (TIFF bytes)
// found, for readExif.

var errMalformed = errors.New("malformed container")

// exifHeader opens the EXIF block of a JPEG APP1 segment (and, from some
// writers, of PNG's eXIf and WebP's EXIF chunks).
const exifHeader = "Exif\x00\x00"

// stripJPEG walks the JPEG's segments up to EOI.
func stripJPEG(data []byte, orientation int) ([]byte, []byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, nil, errMalformed
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	var raw []byte
	wroteExif := orientation == 1
	writeExif := func() {
		if !wroteExif {
			seg := append([]byte(exifHeader), minimalExif(orientation)...)
			out = append(out, 0xFF, 0xE1, byte((len(seg)+2)>>8), byte(len(seg)+2))
			out = append(out, seg...)
			wroteExif = true
		}
	}
	i := 2
	for {
		// A marker: 0xFF (fill bytes allowed), then its code.
		if i >= len(data) || data[i] != 0xFF {
			return nil, nil, errMalformed
		}
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return nil, nil, errMalformed
		}
		m := data[i]
		i++
		switch {
		case m == 0xD9: // EOI: the image ends; anything after it goes
			writeExif()
			return append(out, 0xFF, 0xD9), raw, nil
		case m >= 0xD0 && m <= 0xD7 || m == 0x01: // no length
			out = append(out, 0xFF, m)
			continue
		}
		if i+2 > len(data) {
			return nil, nil, errMalformed
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, nil, errMalformed
		}
		seg, payload := data[i-2:i+n], data[i+2:i+n]
		i += n
		if m != 0xE0 { // the EXIF block goes after JFIF's APP0, before the rest
			writeExif()
		}
		switch {
		case m == 0xE1:
			if raw == nil && bytes.HasPrefix(payload, []byte(exifHeader)) {
				raw = payload[len(exifHeader):]
			}
			continue
		case m == 0xE2 && !bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")):
			continue // APP2 other than the colour profile (MPF, FlashPix)
		case m >= 0xE3 && m <= 0xEF && m != 0xEE, m == 0xFE:
			continue // vendor blocks, IPTC (APP13), comments; Adobe's APP14 stays
		}
		out = append(out, seg...)
		if m != 0xDA {
			continue
		}
		// SOS: the entropy-coded data runs to the next marker that is not
		// a stuffed 0xFF00 or a restart.
		start := i
		for {
			if i+1 >= len(data) {
				return nil, nil, errMalformed
			}
			if data[i] == 0xFF && data[i+1] != 0x00 && !(data[i+1] >= 0xD0 && data[i+1] <= 0xD7) && data[i+1] != 0xFF {
				break
			}
			i++
		}
		out = append(out, data[start:i]...)
	}
}

// pngDrop are the PNG chunks that carry metadata.
var pngDrop = map[string]bool{"eXIf": true, "tEXt": true, "iTXt": true, "zTXt": true}

// stripPNG walks the PNG's chunks up to IEND.
func stripPNG(data []byte, orientation int) ([]byte, []byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, nil, errMalformed
	}
	out := append(make([]byte, 0, len(data)), sig...)
	var raw []byte
	for i := len(sig); ; {
		if i+12 > len(data) {
			return nil, nil, errMalformed
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || n > len(data)-i-12 {
			return nil, nil, errMalformed
		}
		typ := string(data[i+4 : i+8])
		chunk := data[i : i+12+n]
		i += 12 + n
		if typ == "eXIf" && raw == nil {
			raw = bytes.TrimPrefix(chunk[8:8+n], []byte(exifHeader))
		}
		if pngDrop[typ] {
			continue
		}
		out = append(out, chunk...)
		switch typ {
		case "IHDR":
			if orientation != 1 {
				out = appendPNGChunk(out, "eXIf", minimalExif(orientation))
			}
		case "IEND":
			return out, raw, nil
		}
	}
}

func appendPNGChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// VP8X flags of the metadata chunks.
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

// stripWebP walks the WebP's RIFF chunks, dropping EXIF and XMP and
// clearing their flags in VP8X.
func stripWebP(data []byte, orientation int) ([]byte, []byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, nil, errMalformed
	}
	end := 8 + int(binary.LittleEndian.Uint32(data[4:]))
	if end > len(data) || end < 12 {
		return nil, nil, errMalformed
	}
	out := append(make([]byte, 0, len(data)), data[:12]...)
	var raw []byte
	vp8x := -1 // offset in out of VP8X's flags
	for i := 12; i < end; {
		if i+8 > end {
			return nil, nil, errMalformed
		}
		typ := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n < 0 || n > end-i-8 {
			return nil, nil, errMalformed
		}
		padded := n + n&1
		chunk := data[i:min(i+8+padded, end)]
		body := data[i+8 : i+8+n]
		i += 8 + padded
		switch typ {
		case "EXIF":
			if raw == nil {
				raw = bytes.TrimPrefix(body, []byte(exifHeader))
			}
			continue
		case "XMP ":
			continue
		case "VP8X":
			if n < 1 {
				return nil, nil, errMalformed
			}
			vp8x = len(out) + 8
		}
		out = append(out, chunk...)
	}
	if vp8x >= 0 {
		out[vp8x] &^= webpFlagEXIF | webpFlagXMP
		if orientation != 1 {
			exif := minimalExif(orientation)
			out = append(out, "EXIF"...)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(exif)))
			out = append(out, exif...)
			if len(exif)%2 == 1 {
				out = append(out, 0)
			}
			out[vp8x] |= webpFlagEXIF
		}
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, raw, nil
}
