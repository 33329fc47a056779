package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"time"

	"github.com/rwcarlsen/goexif/exif"
	"github.com/rwcarlsen/goexif/tiff"

	"github.com/shaobao/shaobao/worktime"
)

// readExif reads the time, the GPS position and the orientation from an
// EXIF block (TIFF bytes). What is missing or unreadable stays unset: EXIF
// is evidence when present, never a reason to refuse a photo.
func readExif(raw []byte) (m Meta) {
	m.Orientation = 1
	defer func() { // a parser's panic on a hostile block loses the metadata only
		if recover() != nil {
			m = Meta{Orientation: 1}
		}
	}()
	x, err := exif.Decode(bytes.NewReader(raw))
	if x == nil || (err != nil && exif.IsCriticalError(err)) {
		return m
	}
	if tag, err := x.Get(exif.Orientation); err == nil {
		if o, err := tag.Int(0); err == nil && o >= 1 && o <= 8 {
			m.Orientation = o
		}
	}
	if t, ok := takenAt(x); ok {
		m.TakenAt = &t
	}
	if lat, lon, err := x.LatLong(); err == nil && !math.IsNaN(lat) && !math.IsNaN(lon) &&
		lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && (lat != 0 || lon != 0) {
		m.Lat, m.Lon = &lat, &lon
	}
	return m
}

// takenAt is DateTimeOriginal (else DateTime). EXIF times carry no zone:
// read as Beijing time, where the cameras of this system are.
func takenAt(x *exif.Exif) (time.Time, bool) {
	tag, err := x.Get(exif.DateTimeOriginal)
	if err != nil {
		if tag, err = x.Get(exif.DateTime); err != nil {
			return time.Time{}, false
		}
	}
	if tag.Format() != tiff.StringVal {
		return time.Time{}, false
	}
	s := strings.TrimSpace(strings.TrimRight(string(tag.Val), "\x00"))
	t, err := time.ParseInLocation("2006:01:02 15:04:05", s, worktime.Location)
	if err != nil || t.Year() < 1990 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// minimalExif is an EXIF block (big-endian TIFF) holding only the
// orientation: one IFD with one SHORT entry.
func minimalExif(orientation int) []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08") // header, IFD0 at offset 8
	b = binary.BigEndian.AppendUint16(b, 1)   // one entry
	b = binary.BigEndian.AppendUint16(b, 0x0112)
	b = binary.BigEndian.AppendUint16(b, 3) // SHORT
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(orientation))
	b = append(b, 0, 0)                        // value padded to 4 bytes
	return binary.BigEndian.AppendUint32(b, 0) // no next IFD
}
