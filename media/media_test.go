package media_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/webp"

	"github.com/shaobao/shaobao/media"
	"github.com/shaobao/shaobao/media/mediatest"
	"github.com/shaobao/shaobao/whistle"
)

// Tiananmen, as a phone's GPS gives it (WGS-84).
const lat, lon = 39.908722, 116.397499

func TestProcess(t *testing.T) {
	full := mediatest.Exif{TakenAt: "2026:11:30 09:15:00", Lat: lat, Lon: lon, Orientation: 6}
	tests := []struct {
		name        string
		data        []byte
		contentType string
		decode      func([]byte) (image.Image, error)
		meta        bool
		orientation int
		thumbW      int
		thumbH      int
	}{
		{"JPEGWithGPSTurned", mediatest.JPEG(640, 480, full), media.JPEG, decodeWith(jpeg.Decode), true, 6, 240, 320},
		{"JPEGUpright", mediatest.JPEG(640, 480, mediatest.Exif{TakenAt: full.TakenAt, Lat: lat, Lon: lon, Orientation: 1}), media.JPEG, decodeWith(jpeg.Decode), true, 1, 320, 240},
		{"JPEGNoExifSmall", mediatest.JPEG(100, 60, mediatest.Exif{}), media.JPEG, decodeWith(jpeg.Decode), false, 1, 100, 60},
		{"PNGWithExif", mediatest.PNG(400, 800, full), media.PNG, decodeWith(png.Decode), true, 6, 320, 160},
		{"PNGText", mediatest.PNG(50, 40, mediatest.Exif{}), media.PNG, decodeWith(png.Decode), false, 1, 50, 40},
		{"WebPWithExif", mediatest.WebP(full), media.WebP, decodeWith(webp.Decode), true, 6, 100, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := media.Process(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if img.ContentType != tt.contentType {
				t.Errorf("content type %s, want %s", img.ContentType, tt.contentType)
			}
			m := img.Meta
			if tt.meta {
				if m.Lat == nil || m.Lon == nil || math.Abs(*m.Lat-lat) > 1e-5 || math.Abs(*m.Lon-lon) > 1e-5 {
					t.Errorf("lat/lon = %v/%v, want %v/%v", m.Lat, m.Lon, lat, lon)
				}
				want := time.Date(2026, 11, 30, 1, 15, 0, 0, time.UTC) // 09:15 in Beijing
				if m.TakenAt == nil || !m.TakenAt.Equal(want) || m.TakenAt.Location() != time.UTC {
					t.Errorf("taken at %v, want %v", m.TakenAt, want)
				}
			} else if m.Lat != nil || m.TakenAt != nil {
				t.Errorf("metadata from nowhere: %+v", m)
			}
			if m.Orientation != tt.orientation {
				t.Errorf("orientation %d, want %d", m.Orientation, tt.orientation)
			}

			// The served bytes: no metadata but the orientation, the same picture.
			if bytes.Contains(img.Clean, []byte(mediatest.Secret)) {
				t.Error("the served file still holds the metadata text")
			}
			again, err := media.Process(img.Clean)
			if err != nil {
				t.Fatalf("the served file is not accepted back: %v", err)
			}
			if again.Meta.Lat != nil || again.Meta.TakenAt != nil {
				t.Errorf("the served file still holds time or GPS: %+v", again.Meta)
			}
			if again.Meta.Orientation != tt.orientation {
				t.Errorf("the served file's orientation is %d, want %d", again.Meta.Orientation, tt.orientation)
			}
			if !bytes.Equal(again.Clean, img.Clean) {
				t.Error("stripping is not stable: a second pass changed the file")
			}
			before, err := tt.decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			after, err := tt.decode(img.Clean)
			if err != nil {
				t.Fatalf("the served file does not decode: %v", err)
			}
			if !samePixels(before, after) {
				t.Error("stripping changed the picture")
			}

			th, err := jpeg.Decode(bytes.NewReader(img.Thumbnail))
			if err != nil {
				t.Fatalf("thumbnail is not a JPEG: %v", err)
			}
			if b := th.Bounds(); b.Dx() != tt.thumbW || b.Dy() != tt.thumbH {
				t.Errorf("thumbnail %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.thumbW, tt.thumbH)
			}
		})
	}
}

// TestThumbnailUpright: a photo stored turned (orientation 6: the camera
// was held upright, the sensor wrote it lying) comes out upright: the
// stored picture's bottom-left corner is the thumbnail's top-left.
func TestThumbnailUpright(t *testing.T) {
	img, err := media.Process(mediatest.JPEG(320, 160, mediatest.Exif{Orientation: 6}))
	if err != nil {
		t.Fatal(err)
	}
	th, err := jpeg.Decode(bytes.NewReader(img.Thumbnail))
	if err != nil {
		t.Fatal(err)
	}
	// Picture: red grows to the right, green grows downwards. Stored
	// bottom-left (red 0, green 255) shows top-left once turned clockwise.
	r, g, _, _ := th.At(2, 2).RGBA()
	if r>>8 > 40 || g>>8 < 215 {
		t.Errorf("top-left of the thumbnail is r=%d g=%d, want the stored bottom-left (r≈0, g≈255)", r>>8, g>>8)
	}
}

func TestProcessRefuses(t *testing.T) {
	jpg := mediatest.JPEG(64, 64, mediatest.Exif{})
	tests := []struct {
		name, mentions string
		data           []byte
	}{
		{"RenamedExecutable", "只接受 JPEG、PNG 或 WebP", mediatest.ELF()},
		{"HEIC", "HEIC", mediatest.HEIC()},
		{"Text", "只接受 JPEG、PNG 或 WebP", []byte("<html><script>alert(1)</script></html>")},
		{"Empty", "只接受", nil},
		{"TruncatedJPEG", "损坏", jpg[:len(jpg)/2]},
		{"JPEGHeaderOnly", "损坏", []byte{0xFF, 0xD8, 0xFF, 0xE0}},
		{"Over40Megapixels", "万像素", mediatest.PNGClaiming(10000, 5000)},
		{"ClaimsBillionsOfPixels", "万像素", mediatest.PNGClaiming(1<<20, 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := media.Process(tt.data)
			if whistle.ErrorCode(err) != media.EUnsupported {
				t.Fatalf("got %v, want %s", err, media.EUnsupported)
			}
			if msg := whistle.ErrorMessage(err, "zh"); !strings.Contains(msg, tt.mentions) {
				t.Errorf("message %q does not mention %q", msg, tt.mentions)
			}
			if whistle.ErrorMessage(err, "en") == whistle.ErrorMessage(err, "zh") {
				t.Error("no English message")
			}
		})
	}
}

func decodeWith(f func(io.Reader) (image.Image, error)) func([]byte) (image.Image, error) {
	return func(b []byte) (image.Image, error) { return f(bytes.NewReader(b)) }
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
