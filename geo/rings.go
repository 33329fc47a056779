package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// selfIntersection finds two edges of a closed ring (no repeated
// consecutive points) that cross or touch other than where neighbours
// share their vertex, or neighbours that fold back over each other. It
// returns the edges' indices and a point where they meet.
//
// A sweep over the edges sorted by their west end: only edges whose
// longitude spans overlap are compared, so a grid's ring of a few dozen
// vertices costs a few hundred tests, and a street's of thousands stays
// far from the quadratic worst case.
func selfIntersection(r orb.Ring) (i, j int, at orb.Point, found bool) {
	n := len(r) - 1 // edges; r[n] == r[0]
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	west := func(k int) float64 { return math.Min(r[k][0], r[k+1][0]) }
	east := func(k int) float64 { return math.Max(r[k][0], r[k+1][0]) }
	sort.Slice(order, func(a, b int) bool { return west(order[a]) < west(order[b]) })
	for a := 0; a < n; a++ {
		ea := order[a]
		for b := a + 1; b < n && west(order[b]) <= east(ea); b++ {
			eb := order[b]
			lo, hi := min(ea, eb), max(ea, eb)
			adjacent := hi == lo+1 || (lo == 0 && hi == n-1)
			if adjacent {
				// Neighbours share one vertex; they are wrong only when
				// they run back along each other (a spike).
				if p, ok := foldBack(r, lo, hi, n); ok {
					return lo, hi, p, true
				}
				continue
			}
			if p, ok := segmentsMeet(r[lo], r[lo+1], r[hi], r[hi+1]); ok {
				return lo, hi, p, true
			}
		}
	}
	return 0, 0, orb.Point{}, false
}

// foldBack reports whether adjacent edges lo and hi are collinear and
// overlap beyond their shared vertex.
func foldBack(r orb.Ring, lo, hi, n int) (orb.Point, bool) {
	var shared, a, b orb.Point
	if hi == lo+1 {
		a, shared, b = r[lo], r[lo+1], r[hi+1]
	} else { // lo == 0, hi == n-1: they share r[0]
		a, shared, b = r[1], r[0], r[n-1]
	}
	if orient(a, shared, b) != 0 {
		return orb.Point{}, false
	}
	// Collinear: a fold when a and b lie on the same side of shared.
	if (a[0]-shared[0])*(b[0]-shared[0])+(a[1]-shared[1])*(b[1]-shared[1]) > 0 {
		return shared, true
	}
	return orb.Point{}, false
}

// orient is the sign of the turn p→q→r: +1 left, -1 right, 0 collinear.
func orient(p, q, r orb.Point) int {
	v := (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether r, collinear with p and q, lies within their box.
func onSegment(p, q, r orb.Point) bool {
	return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) &&
		math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
}

// segmentsMeet reports whether segments p1p2 and q1q2 share a point
// (crossing, touching or overlapping), and one such point.
func segmentsMeet(p1, p2, q1, q2 orb.Point) (orb.Point, bool) {
	o1, o2 := orient(p1, p2, q1), orient(p1, p2, q2)
	o3, o4 := orient(q1, q2, p1), orient(q1, q2, p2)
	if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		// A proper crossing: the point from the parametric form.
		d := (p2[0]-p1[0])*(q2[1]-q1[1]) - (p2[1]-p1[1])*(q2[0]-q1[0])
		t := ((q1[0]-p1[0])*(q2[1]-q1[1]) - (q1[1]-p1[1])*(q2[0]-q1[0])) / d
		return orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}, true
	}
	switch {
	case o1 == 0 && onSegment(p1, p2, q1):
		return q1, true
	case o2 == 0 && onSegment(p1, p2, q2):
		return q2, true
	case o3 == 0 && onSegment(q1, q2, p1):
		return p1, true
	case o4 == 0 && onSegment(q1, q2, p2):
		return p2, true
	}
	return orb.Point{}, false
}

// holeInside reports whether every vertex of hole lies inside or on shell
// and no edge of hole crosses an edge of shell.
func holeInside(shell, hole orb.Ring) bool {
	for _, p := range hole {
		if !planar.RingContains(shell, p) {
			return false
		}
	}
	hb := hole.Bound()
	for i := 0; i+1 < len(shell); i++ {
		if !hb.Intersects(orb.MultiPoint{shell[i], shell[i+1]}.Bound()) {
			continue
		}
		for j := 0; j+1 < len(hole); j++ {
			o1, o2 := orient(shell[i], shell[i+1], hole[j]), orient(shell[i], shell[i+1], hole[j+1])
			o3, o4 := orient(hole[j], hole[j+1], shell[i]), orient(hole[j], hole[j+1], shell[i+1])
			if o1*o2 < 0 && o3*o4 < 0 {
				return false
			}
		}
	}
	return true
}
