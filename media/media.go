// Package media checks uploaded photos by their content and prepares them
// to be served: JPEG, PNG and WebP only (HEIC/HEIF refused with a message
// saying so), at most MaxPixels, EXIF read (time, GPS, orientation) and then
// stripped from the served bytes except the orientation, and a JPEG
// thumbnail. It decodes with the standard library and golang.org/x/image
// and reads EXIF with github.com/rwcarlsen/goexif.
package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"golang.org/x/image/webp"

	"github.com/shaobao/shaobao/whistle"
)

// EUnsupported is the code of a file that is not an image we accept (the
// API answers 415).
const EUnsupported = "unsupported_media_type"

// MaxPixels is the largest image (width × height) accepted: checked on the
// header before anything is decoded, so a small file claiming a huge image
// cannot exhaust memory.
const MaxPixels = 40_000_000

// ThumbnailSide is the longest side of a thumbnail, in pixels.
const ThumbnailSide = 320

// Content types of the accepted formats.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
)

// Ext is the file extension of an accepted content type.
func Ext(contentType string) string {
	switch contentType {
	case JPEG:
		return "jpg"
	case PNG:
		return "png"
	case WebP:
		return "webp"
	}
	return "bin"
}

// Meta is what the EXIF block said: evidence of when and where a photo was
// taken. Coordinates are WGS-84, as GPS gives them.
type Meta struct {
	TakenAt     *time.Time
	Lat, Lon    *float64
	Orientation int // 1–8 (EXIF); 1 when absent
}

// Image is a checked upload ready to be stored.
type Image struct {
	ContentType   string
	Width, Height int // as stored, before orientation
	Meta          Meta
	// Clean is the file as served: its metadata stripped except the
	// orientation, its image data untouched.
	Clean []byte
	// Thumbnail is a JPEG whose longest side is at most ThumbnailSide,
	// the orientation applied.
	Thumbnail []byte
}

// Sniff names the content type of data by its first bytes, or refuses it:
// HEIC/HEIF with a message of its own (phones default to it), anything
// else that is not JPEG, PNG or WebP with a general one.
func Sniff(data []byte) (string, error) {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, nil
	case isHEIF(data):
		return "", whistle.Errorf(EUnsupported,
			"不支持 HEIC/HEIF 格式的照片：请在手机相机设置中选择“兼容性最佳”（JPEG），或先转换为 JPEG 再上传",
			"HEIC/HEIF photos are not accepted: set the phone's camera to \"Most Compatible\" (JPEG), or convert the photo to JPEG first")
	}
	return "", whistle.Errorf(EUnsupported, "只接受 JPEG、PNG 或 WebP 格式的照片（按文件内容判断，不看文件名）",
		"only JPEG, PNG or WebP photos are accepted (judged by the content, not the name)")
}

// heifBrands are the ISO-BMFF brands of HEIC/HEIF stills and sequences.
var heifBrands = map[string]bool{"heic": true, "heix": true, "hevc": true, "hevx": true, "heim": true, "heis": true,
	"hevm": true, "hevs": true, "mif1": true, "msf1": true}

// isHEIF reports whether data opens with an ISO-BMFF ftyp box whose major
// or a compatible brand is a HEIF one.
func isHEIF(data []byte) bool {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return false
	}
	size := int(data[0])<<24 | int(data[1])<<16 | int(data[2])<<8 | int(data[3])
	if size < 16 || size > len(data) {
		size = min(len(data), 64)
	}
	if heifBrands[string(data[8:12])] {
		return true
	}
	for i := 16; i+4 <= size; i += 4 { // compatible brands, after the minor version
		if heifBrands[string(data[i:i+4])] {
			return true
		}
	}
	return false
}

// Process checks data and prepares it: the content type by content, the
// size by the header (MaxPixels), the whole image decoded (a truncated or
// corrupt file is refused), the EXIF read, the metadata stripped and the
// thumbnail made.
func Process(data []byte) (Image, error) {
	ct, err := Sniff(data)
	if err != nil {
		return Image{}, err
	}
	cfg, err := decodeConfig(ct, data)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Image{}, corrupt(ct)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Image{}, whistle.Errorf(EUnsupported, "照片过大：%d×%d 像素，上限 %d 万像素", "the photo is too large: %d×%d pixels, the limit is %d megapixels",
			cfg.Width, cfg.Height, MaxPixels/10_000)
	}
	img, err := decode(ct, data)
	if err != nil {
		return Image{}, corrupt(ct)
	}
	out := Image{ContentType: ct, Width: cfg.Width, Height: cfg.Height, Meta: Meta{Orientation: 1}}
	// Read the EXIF block first: the stripped file keeps its orientation.
	_, raw, err := strip(ct, data, 1)
	if err != nil {
		return Image{}, corrupt(ct)
	}
	if raw != nil {
		out.Meta = readExif(raw)
	}
	if out.Clean, _, err = strip(ct, data, out.Meta.Orientation); err != nil {
		return Image{}, corrupt(ct)
	}
	if out.Thumbnail, err = thumbnail(img, out.Meta.Orientation); err != nil {
		return Image{}, fmt.Errorf("thumbnail: %w", err)
	}
	return out, nil
}

func corrupt(ct string) error {
	return &whistle.Error{Code: EUnsupported, Message: "照片文件已损坏或不完整", MessageEN: "the photo is corrupt or incomplete (" + ct + ")"}
}

func decodeConfig(ct string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch ct {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decode(ct string, data []byte) (img image.Image, err error) {
	defer func() { // a decoder's panic on hostile input is a refusal, not a crash
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decode %s: %v", ct, r)
		}
	}()
	r := bytes.NewReader(data)
	switch ct {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// strip returns data without its metadata but orientation (kept when not
// 1) and the EXIF block (TIFF bytes) it held, nil if none.
func strip(ct string, data []byte, orientation int) ([]byte, []byte, error) {
	switch ct {
	case JPEG:
		return stripJPEG(data, orientation)
	case PNG:
		return stripPNG(data, orientation)
	default:
		return stripWebP(data, orientation)
	}
}
