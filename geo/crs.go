package geo

import "math"

// CRS is a coordinate reference system the map speaks. Shaobao stores and
// answers WGS-84 (GPS, Open311); mainland map tiles are drawn in GCJ-02
// (国测局, Amap, Tianditu's commercial mirrors) and Baidu's in BD-09, so a
// page over such tiles asks for, and sends, coordinates in those.
type CRS string

// The coordinate systems.
const (
	WGS84 CRS = "wgs84"
	GCJ02 CRS = "gcj02"
	BD09  CRS = "bd09"
)

// CRSs lists every CRS, for messages and the API's enumerations.
var CRSs = []CRS{WGS84, GCJ02, BD09}

// Valid reports whether c is a known CRS.
func (c CRS) Valid() bool { return c == WGS84 || c == GCJ02 || c == BD09 }

// The constants of the published GCJ-02 algorithm: the Krasovsky 1940
// ellipsoid's semi-major axis and first eccentricity squared.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
	// bdXPi is BD-09's rotation constant (π·3000/180).
	bdXPi = math.Pi * 3000.0 / 180.0
)

// OutOfChina reports whether a point lies outside the box where GCJ-02
// shifts coordinates; there every conversion is the identity.
func OutOfChina(lat, lon float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// gcjDelta is the GCJ-02 shift (degrees) at a WGS-84 point.
func gcjDelta(lat, lon float64) (dLat, dLon float64) {
	x, y := lon-105.0, lat-35.0
	common := (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat = -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + common +
		(20.0*math.Sin(y*math.Pi)+40.0*math.Sin(y/3.0*math.Pi))*2.0/3.0 +
		(160.0*math.Sin(y/12.0*math.Pi)+320*math.Sin(y*math.Pi/30.0))*2.0/3.0
	dLon = 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + common +
		(20.0*math.Sin(x*math.Pi)+40.0*math.Sin(x/3.0*math.Pi))*2.0/3.0 +
		(150.0*math.Sin(x/12.0*math.Pi)+300.0*math.Sin(x/30.0*math.Pi))*2.0/3.0
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLat, dLon
}

// WGS84ToGCJ02 shifts a WGS-84 point to GCJ-02 (the closed formula).
func WGS84ToGCJ02(lat, lon float64) (float64, float64) {
	if OutOfChina(lat, lon) {
		return lat, lon
	}
	dLat, dLon := gcjDelta(lat, lon)
	return lat + dLat, lon + dLon
}

// gcjTolerance is how close GCJ02ToWGS84's answer maps back onto its
// input: 1e-7° is about a centimetre, well under the 1e-6° promised.
const gcjTolerance = 1e-7

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration (the shift
// varies slowly, so each step gains about two digits): the answer maps
// back onto (lat, lon) within 1e-7°.
func GCJ02ToWGS84(lat, lon float64) (float64, float64) {
	if OutOfChina(lat, lon) {
		return lat, lon
	}
	wLat, wLon := lat, lon
	for range 30 {
		gLat, gLon := WGS84ToGCJ02(wLat, wLon)
		eLat, eLon := gLat-lat, gLon-lon
		if math.Abs(eLat) < gcjTolerance && math.Abs(eLon) < gcjTolerance {
			break
		}
		wLat, wLon = wLat-eLat, wLon-eLon
	}
	return wLat, wLon
}

// GCJ02ToBD09 converts a GCJ-02 point to Baidu's BD-09.
func GCJ02ToBD09(lat, lon float64) (float64, float64) {
	if OutOfChina(lat, lon) {
		return lat, lon
	}
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdXPi)
	return z*math.Sin(theta) + 0.006, z*math.Cos(theta) + 0.0065
}

// BD09ToGCJ02 converts a BD-09 point back to GCJ-02 (Baidu's published
// inverse; it agrees with GCJ02ToBD09 to about 1e-6°).
func BD09ToGCJ02(lat, lon float64) (float64, float64) {
	if OutOfChina(lat, lon) {
		return lat, lon
	}
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return z * math.Sin(theta), z * math.Cos(theta)
}

// ToWGS84 converts a point given in crs to WGS-84.
func ToWGS84(crs CRS, lat, lon float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return GCJ02ToWGS84(lat, lon)
	case BD09:
		return GCJ02ToWGS84(BD09ToGCJ02(lat, lon))
	default:
		return lat, lon
	}
}

// FromWGS84 converts a WGS-84 point to crs.
func FromWGS84(crs CRS, lat, lon float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return WGS84ToGCJ02(lat, lon)
	case BD09:
		return GCJ02ToBD09(WGS84ToGCJ02(lat, lon))
	default:
		return lat, lon
	}
}
