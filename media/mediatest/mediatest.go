// Package mediatest makes real image files for tests: JPEGs with a
// hand-built EXIF block (time, GPS, orientation) beside XMP and a comment,
// PNGs with text chunks, WebPs wrapped in VP8X with EXIF and XMP chunks.
package mediatest

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// Exif is what a test photo's EXIF block says; zero fields are left out.
type Exif struct {
	TakenAt     string // "2006:01:02 15:04:05"
	Lat, Lon    float64
	Orientation int
}

// Secret is text every test file carries in its metadata (XMP, comments,
// text chunks): a served file must not contain it.
const Secret = "SECRET-OWNER-13800138000"

// Picture is a w×h gradient, so a scaled or turned copy can be checked.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / max(1, w-1)), uint8(y * 255 / max(1, h-1)), 90, 255})
		}
	}
	return img
}

// JPEG encodes a w×h picture and puts the EXIF block of e (APP1), an XMP
// packet (APP1), an IPTC block (APP13) and a comment after SOI.
func JPEG(w, h int, e Exif) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	plain := buf.Bytes()
	out := []byte{0xFF, 0xD8}
	out = segment(out, 0xE1, append([]byte("Exif\x00\x00"), TIFF(e)...))
	out = segment(out, 0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><dc:creator>"+Secret+"</dc:creator></x:xmpmeta>"))
	out = segment(out, 0xED, []byte("Photoshop 3.0\x008BIM"+Secret))
	out = segment(out, 0xFE, []byte(Secret))
	return append(out, plain[2:]...)
}

func segment(out []byte, marker byte, body []byte) []byte {
	out = append(out, 0xFF, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)+2))
	return append(out, body...)
}

// PNG encodes a w×h picture with a tEXt chunk and, when e has any field,
// an eXIf chunk, after IHDR.
func PNG(w, h int, e Exif) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, Picture(w, h)); err != nil {
		panic(err)
	}
	plain := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	out := append([]byte{}, plain[:ihdrEnd]...)
	out = pngChunk(out, "tEXt", []byte("Author\x00"+Secret))
	if e != (Exif{}) {
		out = pngChunk(out, "eXIf", TIFF(e))
	}
	return append(out, plain[ihdrEnd:]...)
}

// PNGClaiming is a small PNG whose header claims w×h pixels.
func PNGClaiming(w, h int) []byte {
	b := PNG(8, 8, Exif{})
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func pngChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

//go:embed testdata/blue-purple-pink.lossy.webp
var webpSimple []byte

// WebPWidth and WebPHeight are the size of the WebP picture.
const WebPWidth, WebPHeight = 150, 100

// WebP wraps the lossy 150×100 picture of golang.org/x/image's test data in
// VP8X with an EXIF chunk of e and an XMP chunk, their flags set.
func WebP(e Exif) []byte {
	vp8 := webpSimple[12:] // the VP8 chunk
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	x := []byte{0x08 | 0x04, 0, 0, 0}
	x = append(x, le24(WebPWidth-1)...)
	x = append(x, le24(WebPHeight-1)...)
	out = riffChunk(out, "VP8X", x)
	out = append(out, vp8...)
	out = riffChunk(out, "EXIF", TIFF(e))
	out = riffChunk(out, "XMP ", []byte("<x:xmpmeta>"+Secret+"</x:xmpmeta>"))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func le24(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }

func riffChunk(out []byte, typ string, body []byte) []byte {
	out = append(out, typ...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	out = append(out, body...)
	if len(body)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// HEIC is the start of an iPhone photo: an ftyp box of brand heic.
func HEIC() []byte {
	b := []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	return append(b, make([]byte, 512)...)
}

// ELF is the start of a Linux executable.
func ELF() []byte {
	b := []byte("\x7fELF\x02\x01\x01\x00")
	return append(b, make([]byte, 4096)...)
}

// TIFF is the EXIF block of e, little-endian as phones write it: IFD0
// (orientation, pointers to the EXIF and GPS IFDs), the EXIF IFD
// (DateTimeOriginal), the GPS IFD (latitude, longitude and their refs).
func TIFF(e Exif) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		data     []byte // inline when ≤ 4 bytes
	}
	le := binary.LittleEndian
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	rationals := func(deg float64) []byte {
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		s := ((deg-d)*60 - m) * 60
		b := le.AppendUint32(nil, uint32(d))
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, uint32(m))
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, uint32(math.Round(s*10000)))
		return le.AppendUint32(b, 10000)
	}
	// Lay out IFD0, then the EXIF IFD, then the GPS IFD, each followed by
	// its out-of-line values.
	var ifd0, exifIFD, gps []entry
	if e.Orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, le.AppendUint16(nil, uint16(e.Orientation))})
	}
	if e.TakenAt != "" {
		exifIFD = append(exifIFD, entry{0x9003, 2, 20, append([]byte(e.TakenAt), 0)})
	}
	if e.Lat != 0 || e.Lon != 0 {
		latRef, lonRef := "N\x00", "E\x00"
		if e.Lat < 0 {
			latRef = "S\x00"
		}
		if e.Lon < 0 {
			lonRef = "W\x00"
		}
		gps = []entry{{1, 2, 2, []byte(latRef)}, {2, 5, 3, rationals(math.Abs(e.Lat))},
			{3, 2, 2, []byte(lonRef)}, {4, 5, 3, rationals(math.Abs(e.Lon))}}
	}
	size := func(es []entry) int {
		n := 2 + 12*len(es) + 4
		for _, en := range es {
			if len(en.data) > 4 {
				n += len(en.data)
			}
		}
		return n
	}
	// The pointers in IFD0 are counted in its size before their values
	// are known.
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, entry{0x8769, 4, 1, u32(0)})
	}
	if len(gps) > 0 {
		ifd0 = append(ifd0, entry{0x8825, 4, 1, u32(0)})
	}
	exifAt := 8 + size(ifd0)
	gpsAt := exifAt
	if len(exifIFD) > 0 {
		gpsAt += size(exifIFD)
	}
	for i := range ifd0 {
		switch ifd0[i].tag {
		case 0x8769:
			ifd0[i].data = u32(uint32(exifAt))
		case 0x8825:
			ifd0[i].data = u32(uint32(gpsAt))
		}
	}
	write := func(out []byte, es []entry) []byte {
		at := len(out)
		out = le.AppendUint16(out, uint16(len(es)))
		extra := at + 2 + 12*len(es) + 4
		var tail []byte
		for _, en := range es {
			out = le.AppendUint16(out, en.tag)
			out = le.AppendUint16(out, en.typ)
			out = le.AppendUint32(out, en.count)
			if len(en.data) <= 4 {
				out = append(out, en.data...)
				out = append(out, make([]byte, 4-len(en.data))...)
			} else {
				out = le.AppendUint32(out, uint32(extra+len(tail)))
				tail = append(tail, en.data...)
			}
		}
		out = le.AppendUint32(out, 0)
		return append(out, tail...)
	}
	out := []byte("II\x2a\x00\x08\x00\x00\x00")
	out = write(out, ifd0)
	if len(exifIFD) > 0 {
		out = write(out, exifIFD)
	}
	if len(gps) > 0 {
		out = write(out, gps)
	}
	return out
}
