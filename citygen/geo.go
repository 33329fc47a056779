package citygen

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The generated city's map: every grid is one cell of a 256×256 lattice
// over Beijing's box (115.5–117.5°E, 39.5–41.0°N; a cell is about
// 670 m × 650 m), taken in Hilbert-curve order as the grids are generated,
// so the grids of a community, a street and a district lie together, as
// they do on a real map. Corners are jittered and edges bent through a
// midpoint, both computed from the lattice position alone, so neighbours
// share their edges exactly and nothing overlaps. A case is placed inside
// its grid's cell.

// gridLattice is the generated city's lattice.
var gridLattice = lattice{minLon: 115.5, minLat: 39.5, maxLon: 117.5, maxLat: 41.0, n: 256}

type lattice struct {
	minLon, minLat, maxLon, maxLat float64
	n                              int // cells per side, a power of two
}

type cell struct{ x, y int }

func (l lattice) cw() float64 { return (l.maxLon - l.minLon) / float64(l.n) }
func (l lattice) ch() float64 { return (l.maxLat - l.minLat) / float64(l.n) }

// cellAt is the d-th cell along the Hilbert curve.
func (l lattice) cellAt(d int) cell {
	var x, y int
	t := d
	for s := 1; s < l.n; s *= 2 {
		rx := 1 & (t / 2)
		ry := 1 & (t ^ rx)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
		x += s * rx
		y += s * ry
		t /= 4
	}
	return cell{x, y}
}

// noise is a deterministic value in [-1, 1) for a lattice feature.
func noise(kind, i, j int) float64 {
	h := uint64(kind)*0x9E3779B97F4A7C15 ^ uint64(i)*0xC2B2AE3D27D4EB4F ^ uint64(j)*0x165667B19E3779F9
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return float64(h>>11)/float64(1<<53)*2 - 1
}

// corner is lattice corner (i, j), jittered by up to a fifth of a cell
// (corners on the lattice's border stay put).
func (l lattice) corner(i, j int) orb.Point {
	p := orb.Point{l.minLon + float64(i)*l.cw(), l.minLat + float64(j)*l.ch()}
	if i > 0 && i < l.n {
		p[0] += 0.2 * l.cw() * noise(1, i, j)
	}
	if j > 0 && j < l.n {
		p[1] += 0.2 * l.ch() * noise(2, i, j)
	}
	return p
}

// bend is the midpoint of the edge a–b pushed sideways by up to a tenth
// of a cell (kind 3: a horizontal edge from corner (i, j); 4: vertical).
func (l lattice) bend(a, b orb.Point, kind, i, j int) orb.Point {
	k := 0.1 * noise(kind, i, j)
	return orb.Point{(a[0]+b[0])/2 - k*(b[1]-a[1]), (a[1]+b[1])/2 + k*(b[0]-a[0])}
}

// polygon is cell c's ring, counter-clockwise, closed: eight vertices.
func (l lattice) polygon(c cell) orb.Polygon {
	sw, se := l.corner(c.x, c.y), l.corner(c.x+1, c.y)
	ne, nw := l.corner(c.x+1, c.y+1), l.corner(c.x, c.y+1)
	return orb.Polygon{orb.Ring{
		sw, l.bend(sw, se, 3, c.x, c.y),
		se, l.bend(se, ne, 4, c.x+1, c.y),
		ne, l.bend(nw, ne, 3, c.x, c.y+1),
		nw, l.bend(sw, nw, 4, c.x, c.y),
		sw,
	}}
}

// pointIn is a random point well inside cell c (its middle 30%, clear of
// any jitter), as (lat, lon).
func (l lattice) pointIn(c cell, rng *rand.Rand) (float64, float64) {
	fx, fy := 0.35+0.3*rng.Float64(), 0.35+0.3*rng.Float64()
	return l.minLat + (float64(c.y)+fy)*l.ch(), l.minLon + (float64(c.x)+fx)*l.cw()
}

// copyGridPolygons writes the polygon of every grid into geo_areas and
// moves the polygons' revision, as an admin's import would.
func copyGridPolygons(ctx context.Context, pc *pgx.Conn, grids []string, cells []cell) error {
	now := time.Now().UTC()
	rows := make([][]any, len(grids))
	for i, id := range grids {
		poly := gridLattice.polygon(cells[i])
		g, err := json.Marshal(geojson.NewGeometry(poly))
		if err != nil {
			return fmt.Errorf("encode grid %s: %w", id, err)
		}
		b := poly.Bound()
		rows[i] = []any{id, "grid", string(g), b.Min[0], b.Min[1], b.Max[0], b.Max[1], "citygen", now, now}
	}
	cols := []string{"org_unit_id", "kind", "geometry", "min_lon", "min_lat", "max_lon", "max_lat", "updated_by", "created_at", "updated_at"}
	if _, err := pc.CopyFrom(ctx, pgx.Identifier{"geo_areas"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy grid polygons: %w", err)
	}
	if _, err := pc.Exec(ctx, "UPDATE geo_revision SET revision = revision + 1, updated_at = $1 WHERE id = 1", now); err != nil {
		return fmt.Errorf("move the polygons' revision: %w", err)
	}
	return nil
}
