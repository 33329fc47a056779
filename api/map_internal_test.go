package api

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestPlaceInGrid: the grid of a filed point is the one it lies in, not
// the grid_id sent; without polygons nothing changes.
func TestPlaceInGrid(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Store: st, Policy: pol}
	s.Handler()
	ctx := context.Background()
	u, err := st.UserByUsername(ctx, "c1-secretary")
	if err != nil {
		t.Fatal(err)
	}
	c1 := actorOf(u)
	req := fileCaseRequest{strictGrid: true}
	loc, err := s.placeInGrid(ctx, c1, req, whistle.At("和平里", 39.9, 116.4).WithGrid("110101001001001"))
	if err != nil || loc.GridID != "110101001001002" {
		t.Fatalf("grid = %q, %v; want the second grid, where the point lies", loc.GridID, err)
	}
	req.OutsideGrid = true
	loc, err = s.placeInGrid(ctx, c1, req, whistle.At("青年湖", 39.93, 116.42).WithGrid("110101001001001"))
	if err != nil || loc.GridID != "" {
		t.Fatalf("outside_grid: grid = %q, %v; want none", loc.GridID, err)
	}
	if lat, _, ok := loc.Point(); !ok || lat != 39.93 {
		t.Errorf("outside_grid dropped the point")
	}
	// No polygons at all: the filing is as it always was.
	if err := st.DB.Where("1 = 1").Delete(&store.GeoArea{}).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("UPDATE geo_revision SET revision = revision + 1").Error; err != nil {
		t.Fatal(err)
	}
	s.geoIdx.invalidate()
	loc, err = s.placeInGrid(ctx, c1, fileCaseRequest{strictGrid: true}, whistle.At("青年湖", 39.93, 116.42).WithGrid("g-typed"))
	if err != nil || loc.GridID != "g-typed" {
		t.Fatalf("without polygons: grid = %q, %v; want the one sent", loc.GridID, err)
	}
}

// TestGeoIndexFollowsTheRevision: a second api process on the same
// database keeps its index until its next check (at most geoRecheck
// later), then reloads because the revision moved.
func TestGeoIndexFollowsTheRevision(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	ctx := context.Background()
	other := &Server{Store: st}
	other.Handler()
	ix, err := other.geoIndex(ctx)
	if err != nil || ix.grids.Len() != 4 {
		t.Fatalf("index = %v, %v", ix, err)
	}
	if _, ok := ix.locate(39.96, 116.42); !ok {
		t.Fatal("the demo point is not located")
	}
	areas, problems, err := geo.ReadFeatureCollection([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"110101001001001"},
"geometry":{"type":"Polygon","coordinates":[[[116.40,39.945],[116.405,39.945],[116.405,39.948],[116.40,39.948],[116.40,39.945]]]}}]}`), whistle.BeijingBounds)
	if err != nil || problems != nil {
		t.Fatal(err, problems)
	}
	if _, _, err := st.ImportGeo(ctx, store.AuditActor{Username: "admin"}, "grid", areas, false); err != nil {
		t.Fatal(err)
	}
	if ix, _ := other.geoIndex(ctx); ix.rev == 0 {
		t.Fatal("no revision")
	} else if _, ok := ix.locate(39.96, 116.42); !ok {
		t.Errorf("the index reloaded before its next check")
	}
	other.geoIdx.checked.Store(time.Now().Add(-geoRecheck).UnixNano()) // the check is due
	ix, err = other.geoIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.locate(39.96, 116.42); ok {
		t.Errorf("after the check, the old polygon still locates the point")
	}
}
