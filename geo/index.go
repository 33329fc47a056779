package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Index answers which area holds a point, and which areas meet a box. It
// is static: built once from the areas of one kind (the grids, say) and
// replaced whole when they change.
//
// It is a uniform bucket grid over the areas' bounding boxes, not an
// R-tree: a city's grids are of similar size and tile the city without
// overlapping, so cells about the size of an average grid hold two or
// three candidates each, a lookup is two divisions and a few
// point-in-polygon tests, and building is one pass — about 80 lines where
// a packed R-tree would need its sort-tile-recursive packing and a tree
// walk for the same answer.
type Index struct {
	areas        []Area
	minX, minY   float64
	cellW, cellH float64
	cols, rows   int
	cells        [][]int32 // row-major; indexes into areas
}

// maxCells caps the bucket grid, so one huge area among tiny ones cannot
// blow the index up.
const maxCells = 1 << 20

// NewIndex builds the index of areas (sorted by id, so a point on a shared
// edge goes to the same area every time).
func NewIndex(areas []Area) *Index {
	ix := &Index{areas: append([]Area(nil), areas...)}
	sort.Slice(ix.areas, func(i, j int) bool { return ix.areas[i].ID < ix.areas[j].ID })
	if len(ix.areas) == 0 {
		return ix
	}
	all := ix.areas[0].Bound
	var sumW, sumH float64
	for _, a := range ix.areas {
		all = all.Union(a.Bound)
		sumW += a.Bound.Max[0] - a.Bound.Min[0]
		sumH += a.Bound.Max[1] - a.Bound.Min[1]
	}
	n := float64(len(ix.areas))
	w, h := all.Max[0]-all.Min[0], all.Max[1]-all.Min[1]
	// Cells the size of the average area; at least one, at most maxCells.
	cw, chh := math.Max(sumW/n, 1e-9), math.Max(sumH/n, 1e-9)
	cols := int(math.Min(math.Max(math.Ceil(w/cw), 1), 4096))
	rows := int(math.Min(math.Max(math.Ceil(h/chh), 1), 4096))
	for cols*rows > maxCells {
		cols, rows = max(cols/2, 1), max(rows/2, 1)
	}
	ix.minX, ix.minY = all.Min[0], all.Min[1]
	ix.cols, ix.rows = cols, rows
	ix.cellW, ix.cellH = math.Max(w/float64(cols), 1e-12), math.Max(h/float64(rows), 1e-12)
	ix.cells = make([][]int32, cols*rows)
	for i, a := range ix.areas {
		c0, r0 := ix.cell(a.Bound.Min)
		c1, r1 := ix.cell(a.Bound.Max)
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				ix.cells[r*cols+c] = append(ix.cells[r*cols+c], int32(i))
			}
		}
	}
	return ix
}

// cell is the (clamped) column and row of p.
func (ix *Index) cell(p orb.Point) (int, int) {
	c := int((p[0] - ix.minX) / ix.cellW)
	r := int((p[1] - ix.minY) / ix.cellH)
	return min(max(c, 0), ix.cols-1), min(max(r, 0), ix.rows-1)
}

// Len is the number of areas.
func (ix *Index) Len() int { return len(ix.areas) }

// Area returns the i-th area (in id order).
func (ix *Index) Area(i int) Area { return ix.areas[i] }

// Locate returns the area holding the WGS-84 point (lon, lat): inside or
// on its boundary; on an edge two areas share, the one with the smaller id.
func (ix *Index) Locate(lon, lat float64) (Area, bool) {
	if len(ix.cells) == 0 {
		return Area{}, false
	}
	p := orb.Point{lon, lat}
	c, r := ix.cell(p)
	// A cell lists its areas in id order: the first that holds p wins.
	for _, i := range ix.cells[r*ix.cols+c] {
		a := &ix.areas[i]
		if a.Bound.Contains(p) && planar.MultiPolygonContains(a.Shape, p) {
			return *a, true
		}
	}
	return Area{}, false
}

// Search returns the areas whose bounding box meets box, in id order.
func (ix *Index) Search(box orb.Bound) []Area {
	if len(ix.cells) == 0 {
		return nil
	}
	c0, r0 := ix.cell(box.Min)
	c1, r1 := ix.cell(box.Max)
	seen := map[int32]bool{}
	var hits []int
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			for _, i := range ix.cells[r*ix.cols+c] {
				if !seen[i] && ix.areas[i].Bound.Intersects(box) {
					seen[i] = true
					hits = append(hits, int(i))
				}
			}
		}
	}
	sort.Ints(hits)
	out := make([]Area, len(hits))
	for k, i := range hits {
		out[k] = ix.areas[i]
	}
	return out
}
