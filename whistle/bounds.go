package whistle

import (
	"fmt"
	"strconv"
	"strings"
)

// Bounds is a box of WGS-84 coordinates: the city a deployment serves. A
// point filed outside it is a typo or a swapped lat/lon, not a case the
// city's units could reach.
type Bounds struct {
	MinLat float64 `json:"min_lat"`
	MaxLat float64 `json:"max_lat"`
	MinLon float64 `json:"min_lon"`
	MaxLon float64 `json:"max_lon"`
}

// BeijingBounds is the default city: Beijing's sixteen districts, with a
// margin of a few kilometres (roughly 115.4–117.6 E, 39.4–41.1 N).
var BeijingBounds = Bounds{MinLat: 39.4, MaxLat: 41.1, MinLon: 115.4, MaxLon: 117.6}

// IsZero reports whether b was never set.
func (b Bounds) IsZero() bool { return b == Bounds{} }

// Valid reports whether b is a non-empty box of real coordinates.
func (b Bounds) Valid() bool {
	return b.MinLat < b.MaxLat && b.MinLon < b.MaxLon &&
		b.MinLat >= -90 && b.MaxLat <= 90 && b.MinLon >= -180 && b.MaxLon <= 180
}

// Contains reports whether (lat, lon) lies inside b, edges included.
func (b Bounds) Contains(lat, lon float64) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lon >= b.MinLon && lon <= b.MaxLon
}

// CheckPoint refuses a point outside b with an invalid error naming the
// city's box, and saying so when lat and lon look swapped.
func (b Bounds) CheckPoint(lat, lon float64) error {
	if b.Contains(lat, lon) {
		return nil
	}
	zh, en := "", ""
	if b.Contains(lon, lat) {
		zh, en = "；lat 与 lon 是否填反了？", "; are lat and lon swapped?"
	}
	return Errorf(EInvalid, "位置 (lat %.6[1]f, lon %.6[2]f) 不在本市范围内（纬度 %[3]g–%[4]g，经度 %[5]g–%[6]g）%[7]s",
		"location (lat %.6[1]f, lon %.6[2]f) is outside the city (latitude %[3]g–%[4]g, longitude %[5]g–%[6]g)%[8]s",
		lat, lon, b.MinLat, b.MaxLat, b.MinLon, b.MaxLon, zh, en)
}

// ParseBounds reads a box written as a bbox is, "minLon,minLat,maxLon,maxLat"
// (the order of GeoJSON and of ?bbox=), for a flag or an environment
// variable; "" is the zero Bounds (the caller's default applies).
func ParseBounds(s string) (Bounds, error) {
	if strings.TrimSpace(s) == "" {
		return Bounds{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return Bounds{}, fmt.Errorf("city bounds %q: want minLon,minLat,maxLon,maxLat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return Bounds{}, fmt.Errorf("city bounds %q: %w", s, err)
		}
		v[i] = f
	}
	b := Bounds{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	if !b.Valid() {
		return Bounds{}, fmt.Errorf("city bounds %q: not a box of WGS-84 degrees with min below max", s)
	}
	return b, nil
}
