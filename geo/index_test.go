package geo

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/shaobao/shaobao/whistle"
)

// lattice tiles box with cols×rows cells whose corners are jittered and
// whose edges wiggle through extra vertices, so neighbours share their
// edges exactly and nothing overlaps: the shape of a real grid map. Each
// cell has about 4·(1+per) vertices.
func lattice(box orb.Bound, cols, rows, per int, seed uint64) []Area {
	rng := rand.New(rand.NewPCG(seed, 1))
	dx := (box.Max[0] - box.Min[0]) / float64(cols)
	dy := (box.Max[1] - box.Min[1]) / float64(rows)
	corner := make([][]orb.Point, cols+1)
	for i := range corner {
		corner[i] = make([]orb.Point, rows+1)
		for j := range corner[i] {
			p := orb.Point{box.Min[0] + float64(i)*dx, box.Min[1] + float64(j)*dy}
			if i > 0 && i < cols {
				p[0] += (rng.Float64() - 0.5) * 0.4 * dx
			}
			if j > 0 && j < rows {
				p[1] += (rng.Float64() - 0.5) * 0.4 * dy
			}
			corner[i][j] = p
		}
	}
	// edge returns the inner vertices from a to b, offset sideways by a
	// little; computed from the ends alone, so both neighbours agree.
	edge := func(a, b orb.Point, border bool) []orb.Point {
		out := make([]orb.Point, 0, per)
		nx, ny := -(b[1] - a[1]), b[0]-a[0]
		amp := 0.08 * math.Sin(a[0]*1e4+b[1]*1e4)
		if border {
			amp = 0
		}
		for k := 1; k <= per; k++ {
			t := float64(k) / float64(per+1)
			w := amp * math.Sin(t*math.Pi)
			out = append(out, orb.Point{a[0] + t*(b[0]-a[0]) + w*nx, a[1] + t*(b[1]-a[1]) + w*ny})
		}
		return out
	}
	walk := func(r orb.Ring, a, b orb.Point, border bool, reversed bool) orb.Ring {
		r = append(r, a)
		var in []orb.Point
		if reversed {
			in = edge(b, a, border)
			for l, m := 0, len(in)-1; l < m; l, m = l+1, m-1 {
				in[l], in[m] = in[m], in[l]
			}
		} else {
			in = edge(a, b, border)
		}
		return append(r, in...)
	}
	areas := make([]Area, 0, cols*rows)
	for i := range cols {
		for j := range rows {
			sw, se, ne, nw := corner[i][j], corner[i+1][j], corner[i+1][j+1], corner[i][j+1]
			// Each edge is always generated from its west/south end, so
			// the two cells sharing it compute the same vertices.
			r := walk(nil, sw, se, j == 0, false)
			r = walk(r, se, ne, i+1 == cols, false)
			r = walk(r, ne, nw, j+1 == rows, true)
			r = walk(r, nw, sw, i == 0, true)
			r = append(r, sw)
			areas = append(areas, NewArea(sprintf("G%03d%03d", i, j), orb.MultiPolygon{{r}}))
		}
	}
	return areas
}

var cityBox = orb.Bound{Min: orb.Point{115.5, 39.5}, Max: orb.Point{117.5, 41.0}}

func TestLatticeIsValid(t *testing.T) {
	for _, a := range lattice(cityBox, 12, 10, 4, 7) {
		if _, msgs := Validate(a.Shape, whistle.BeijingBounds); len(msgs) > 0 {
			t.Fatalf("%s: %v", a.ID, msgs)
		}
	}
}

// TestLocateAgreesWithBruteForce checks the index against testing every
// area, on random points, and that a point outside every area is not found.
func TestLocateAgreesWithBruteForce(t *testing.T) {
	areas := lattice(cityBox, 40, 30, 3, 11)
	ix := NewIndex(areas)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		p := orb.Point{cityBox.Min[0] + rng.Float64()*(cityBox.Max[0]-cityBox.Min[0]), cityBox.Min[1] + rng.Float64()*(cityBox.Max[1]-cityBox.Min[1])}
		want := ""
		for _, a := range ix.areas { // id order: the first holder wins
			if planar.MultiPolygonContains(a.Shape, p) {
				want = a.ID
				break
			}
		}
		got, ok := ix.Locate(p[0], p[1])
		if want == "" {
			t.Fatalf("brute force found no area for %v inside the tiled box", p)
		}
		if !ok || got.ID != want {
			t.Fatalf("Locate(%v) = %q, %v; want %q", p, got.ID, ok, want)
		}
	}
	if a, ok := ix.Locate(115.45, 39.45); ok {
		t.Errorf("Locate outside the tiling = %q, want none", a.ID)
	}
	if a, ok := NewIndex(nil).Locate(116.4, 39.9); ok {
		t.Errorf("empty index located %q", a.ID)
	}
}

func TestSearch(t *testing.T) {
	ix := NewIndex(lattice(cityBox, 20, 15, 2, 5))
	box := orb.Bound{Min: orb.Point{116.0, 40.0}, Max: orb.Point{116.3, 40.2}}
	got := ix.Search(box)
	var want []string
	for _, a := range ix.areas {
		if a.Bound.Intersects(box) {
			want = append(want, a.ID)
		}
	}
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("Search = %d areas, want %d (> 0)", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i] {
			t.Fatalf("Search[%d] = %s, want %s", i, got[i].ID, want[i])
		}
	}
}

// BenchmarkLocate finds the grid of a random point among 36,500 grids
// (Beijing's count, 250×146 over the city's box, ~24 vertices each) and
// reports the median and 99th percentile of single lookups (p50-ns,
// p99-ns; ns/op also counts the timing and any time the process was
// descheduled).
func BenchmarkLocate(b *testing.B) {
	areas := lattice(cityBox, 250, 146, 5, 1)
	ix := NewIndex(areas)
	rng := rand.New(rand.NewPCG(9, 9))
	pts := make([]orb.Point, 1<<16)
	for i := range pts {
		pts[i] = orb.Point{cityBox.Min[0] + rng.Float64()*(cityBox.Max[0]-cityBox.Min[0]), cityBox.Min[1] + rng.Float64()*(cityBox.Max[1]-cityBox.Min[1])}
	}
	// Single lookups are timed into a ring of the last 2^20, allocated
	// up front so the timing allocates nothing.
	ring := make([]time.Duration, 1<<20)
	b.ReportAllocs()
	found, n := 0, 0
	for i := 0; b.Loop(); i++ {
		p := pts[i&(len(pts)-1)]
		start := time.Now()
		_, ok := ix.Locate(p[0], p[1])
		ring[i&(len(ring)-1)] = time.Since(start)
		n = i + 1
		if ok {
			found++
		}
	}
	if found == 0 {
		b.Fatal("no point located")
	}
	lat := ring[:min(n, len(ring))]
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(len(areas)), "grids")
}
