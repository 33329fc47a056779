package geo

import (
	"math"
	"testing"
)

// Published reference points.
//
// evilPairs are the WGS-84/GCJ-02 pairs of googollee/eviltransform's
// tests (go/transform_test.go, the same three in python/test.py and
// php/EvilTransformTest.php): Shanghai, Shenzhen, Beijing, as (lat, lon).
var evilPairs = []struct {
	name                           string
	wgsLat, wgsLon, gcjLat, gcjLon float64
}{
	{"shanghai", 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215},
	{"shenzhen", 22.543847, 113.912316, 22.540796131694766, 113.9171764808363},
	{"beijing", 39.911954, 116.377817, 39.91334545536069, 116.38404722455657},
}

// wandergis/coordtransform's test/app.js converts (lon 116.404, lat
// 39.915) every way and prints the results (the same values are asserted
// by the Rust port coordtransform-rs and by hutool's CoordinateUtilTest
// for the BD-09 pair).
const refLat, refLon = 39.915, 116.404

var (
	wanderWGS2GCJ = [2]float64{116.41024449916938, 39.91640428150164} // lon, lat
	wanderGCJ2BD  = [2]float64{116.41036949371029, 39.92133699351021}
	wanderBD2GCJ  = [2]float64{116.39762729119315, 39.90865673957631}
	// wanderGCJ2WGS is coordtransform's one-step approximation (the
	// shift taken at the GCJ point), good to a few metres; ours iterates.
	wanderGCJ2WGS = [2]float64{116.39775550083061, 39.91359571849836}
)

func near(t *testing.T, what string, gotLat, gotLon, wantLat, wantLon, tol float64) {
	t.Helper()
	if math.Abs(gotLat-wantLat) > tol || math.Abs(gotLon-wantLon) > tol {
		t.Errorf("%s = (%.12f, %.12f), want (%.12f, %.12f) within %g°", what, gotLat, gotLon, wantLat, wantLon, tol)
	}
}

func TestWGS84ToGCJ02(t *testing.T) {
	for _, p := range evilPairs {
		t.Run(p.name, func(t *testing.T) {
			lat, lon := WGS84ToGCJ02(p.wgsLat, p.wgsLon)
			near(t, "WGS84ToGCJ02", lat, lon, p.gcjLat, p.gcjLon, 1e-9)
		})
	}
	lat, lon := WGS84ToGCJ02(refLat, refLon)
	near(t, "WGS84ToGCJ02(coordtransform)", lat, lon, wanderWGS2GCJ[1], wanderWGS2GCJ[0], 1e-9)
}

func TestGCJ02ToWGS84(t *testing.T) {
	for _, p := range evilPairs {
		t.Run(p.name, func(t *testing.T) {
			lat, lon := GCJ02ToWGS84(p.gcjLat, p.gcjLon)
			near(t, "GCJ02ToWGS84", lat, lon, p.wgsLat, p.wgsLon, 1e-6)
		})
	}
	// Within the approximation's few metres of coordtransform's answer,
	// and exact on the way back.
	lat, lon := GCJ02ToWGS84(refLat, refLon)
	near(t, "GCJ02ToWGS84(coordtransform)", lat, lon, wanderGCJ2WGS[1], wanderGCJ2WGS[0], 5e-5)
	gLat, gLon := WGS84ToGCJ02(lat, lon)
	near(t, "round trip", gLat, gLon, refLat, refLon, 1e-6)
}

func TestGCJ02ToWGS84RoundTripAcrossTheCity(t *testing.T) {
	for lat := 39.4; lat <= 41.1; lat += 0.17 {
		for lon := 115.4; lon <= 117.6; lon += 0.22 {
			wLat, wLon := GCJ02ToWGS84(lat, lon)
			gLat, gLon := WGS84ToGCJ02(wLat, wLon)
			near(t, "WGS84ToGCJ02(GCJ02ToWGS84(p))", gLat, gLon, lat, lon, 1e-6)
		}
	}
}

func TestBD09(t *testing.T) {
	lat, lon := GCJ02ToBD09(refLat, refLon)
	near(t, "GCJ02ToBD09", lat, lon, wanderGCJ2BD[1], wanderGCJ2BD[0], 1e-9)
	lat, lon = BD09ToGCJ02(refLat, refLon)
	near(t, "BD09ToGCJ02", lat, lon, wanderBD2GCJ[1], wanderBD2GCJ[0], 1e-9)
	// Through both, a WGS-84 point comes back within 1e-5° (a metre):
	// Baidu's inverse is itself an approximation.
	for _, p := range evilPairs {
		bLat, bLon := FromWGS84(BD09, p.wgsLat, p.wgsLon)
		wLat, wLon := ToWGS84(BD09, bLat, bLon)
		near(t, "BD09 round trip "+p.name, wLat, wLon, p.wgsLat, p.wgsLon, 1e-5)
	}
}

func TestOutOfChinaUnchanged(t *testing.T) {
	for _, p := range [][2]float64{{51.4779, -0.0015} /* Greenwich */, {0, 0}, {-33.8568, 151.2153} /* Sydney */, {35.6812, 139.7671} /* Tokyo */} {
		for _, c := range CRSs {
			if lat, lon := FromWGS84(c, p[0], p[1]); lat != p[0] || lon != p[1] {
				t.Errorf("FromWGS84(%s, %v) = %v, %v; want unchanged", c, p, lat, lon)
			}
			if lat, lon := ToWGS84(c, p[0], p[1]); lat != p[0] || lon != p[1] {
				t.Errorf("ToWGS84(%s, %v) = %v, %v; want unchanged", c, p, lat, lon)
			}
		}
	}
}
