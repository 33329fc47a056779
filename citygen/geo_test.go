package citygen_test

import (
	"context"
	"io"
	"testing"

	"github.com/shaobao/shaobao/citygen"
	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestGeneratedMap: a generated city has a valid polygon for every grid,
// the grids do not overlap, and every case lies in the grid it names.
func TestGeneratedMap(t *testing.T) {
	st := storetest.MustOpenPostgres(t)
	ctx := context.Background()
	if _, err := citygen.Generate(ctx, st, small(2000), io.Discard); err != nil {
		t.Fatal(err)
	}
	grids, err := st.GeoAreas(ctx, "grid")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	st.DB.Raw("SELECT count(*) FROM org_units WHERE kind = 'grid'").Scan(&n)
	if len(grids) == 0 || int64(len(grids)) != n {
		t.Fatalf("%d grid polygons for %d grids", len(grids), n)
	}
	if rev, _ := st.GeoRevision(ctx); rev == 0 {
		t.Errorf("the polygons' revision did not move")
	}
	areas := make([]geo.Area, len(grids))
	for i, g := range grids {
		if _, msgs := geo.Validate(g.Shape, whistle.BeijingBounds); len(msgs) > 0 {
			t.Fatalf("grid %s: %v", g.ID, msgs)
		}
		areas[i] = g.Area
	}
	ix := geo.NewIndex(areas)
	var cases []struct {
		ID, GridID string
		Lat, Lon   float64
	}
	if err := st.DB.Raw("SELECT id, grid_id, lat, lon FROM cases").Scan(&cases).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		a, ok := ix.Locate(c.Lon, c.Lat)
		if !ok || a.ID != c.GridID {
			t.Fatalf("case %s at (%v, %v) names grid %s, lies in %q", c.ID, c.Lat, c.Lon, c.GridID, a.ID)
		}
	}
	// Neighbours share edges and do not overlap: each grid's own centre
	// point is located in that grid alone.
	for _, a := range areas {
		p := a.Shape[0][0].Bound().Center()
		if got, ok := ix.Locate(p[0], p[1]); !ok || got.ID != a.ID {
			t.Fatalf("the centre of %s is located in %q", a.ID, got.ID)
		}
	}
}
