package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

var geoAdmin = store.AuditActor{UserID: "u-admin", Username: "admin", RequestID: "req-geo"}

// box is a GeoJSON square feature for unit id.
func box(id string, lon, lat, d float64) string {
	r := func(x, y float64) string { return "[" + ftoa(x) + "," + ftoa(y) + "]" }
	return `{"type":"Feature","properties":{"id":"` + id + `"},"geometry":{"type":"Polygon","coordinates":[[` +
		r(lon-d, lat-d) + "," + r(lon+d, lat-d) + "," + r(lon+d, lat+d) + "," + r(lon-d, lat+d) + "," + r(lon-d, lat-d) + `]]}}`
}

func readAreas(t *testing.T, features ...string) []geo.Area {
	t.Helper()
	areas, problems, err := geo.ReadFeatureCollection([]byte(`{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`), whistle.BeijingBounds)
	if err != nil || len(problems) > 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	return areas
}

func TestGeoSeedAndImport(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		grids, err := s.GeoAreas(ctx, "grid")
		if err != nil || len(grids) != 4 {
			t.Fatalf("seeded grids = %d, %v; want 4", len(grids), err)
		}
		ix := geo.NewIndex([]geo.Area{grids[0].Area, grids[1].Area, grids[2].Area, grids[3].Area})
		for _, p := range []struct {
			lat, lon float64
			want     string
		}{{39.95, 116.41, "110101001001001"}, {39.9, 116.4, "110101001001002"}, {39.90, 116.42, "110101002001001"}, {39.92, 116.38, "110102001001001"}, {39.93, 116.42, ""}} {
			a, _ := ix.Locate(p.lon, p.lat)
			if a.ID != p.want {
				t.Errorf("demo grid at (%v, %v) = %q, want %q", p.lat, p.lon, a.ID, p.want)
			}
		}
		for _, kind := range []string{"community", "street"} {
			if as, err := s.GeoAreas(ctx, kind); err != nil || len(as) == 0 {
				t.Errorf("seeded %s polygons = %d, %v", kind, len(as), err)
			}
		}
		// Seeding again changes nothing.
		rev0, _ := s.GeoRevision(ctx)
		storetest.MustSeedDemo(t, s)
		if rev, _ := s.GeoRevision(ctx); rev != rev0 {
			t.Errorf("revision moved on a second seed: %d → %d", rev0, rev)
		}

		t.Run("ErrUnknownOrWrongKind", func(t *testing.T) {
			areas := readAreas(t, box("110101001001001", 116.41, 39.95, 0.001), box("999", 116.41, 39.95, 0.001), box("110101001001", 116.41, 39.95, 0.001))
			res, problems, err := s.ImportGeo(ctx, geoAdmin, "grid", areas, false)
			if err != nil || len(problems) != 2 || problems[0].Index != 1 || problems[1].Index != 2 || !strings.Contains(problems[1].MessageEN, "not a grid") {
				t.Fatalf("problems = %+v, %v", problems, err)
			}
			if res.Created+res.Replaced != 0 {
				t.Errorf("counted %+v on a refusal", res)
			}
			if rev, _ := s.GeoRevision(ctx); rev != rev0 {
				t.Errorf("a refused import moved the revision")
			}
		})
		t.Run("DryRun", func(t *testing.T) {
			res, problems, err := s.ImportGeo(ctx, geoAdmin, "grid", readAreas(t, box("110101001001001", 116.41, 39.95, 0.001)), true)
			if err != nil || problems != nil || res.Replaced != 1 || res.Created != 0 || !res.DryRun {
				t.Fatalf("dry run = %+v, %v, %v", res, problems, err)
			}
			if g, _ := s.GeoAreas(ctx, "grid"); g[0].Bound.Max[0]-g[0].Bound.Min[0] < 0.01 {
				t.Errorf("the dry run changed the polygon")
			}
		})
		t.Run("Replace", func(t *testing.T) {
			res, problems, err := s.ImportGeo(ctx, geoAdmin, "grid", readAreas(t, box("110101001001001", 116.41, 39.95, 0.001)), false)
			if err != nil || problems != nil || res.Replaced != 1 || res.Created != 0 {
				t.Fatalf("import = %+v, %v, %v", res, problems, err)
			}
			if rev, _ := s.GeoRevision(ctx); rev != rev0+1 {
				t.Errorf("revision = %d, want %d", rev, rev0+1)
			}
			g, _ := s.GeoAreas(ctx, "grid")
			if len(g) != 4 || g[0].ID != "110101001001001" || g[0].Bound.Max[0]-g[0].Bound.Min[0] > 0.0021 {
				t.Errorf("grids after the import = %+v", g[0].Bound)
			}
			var n int64
			s.DB.Model(&store.AdminAudit{}).Where("kind = ? AND action = ? AND object_id = ?", store.AuditKindGeo, store.ActionReplace, "grid:110101001001001").Count(&n)
			if n != 1 {
				t.Errorf("audit rows of the import = %d, want 1", n)
			}
		})
	})
}

func TestMapCasesAndCounts(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		put := func(id string, lat, lon float64, status whistle.CaseStatus, overdue bool, grid string) {
			c := sampleCase(id, 1, status)
			c.Location = whistle.At("和平里"+id, lat, lon).WithGrid(grid)
			c.Overdue = overdue
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		put("m-1", 39.95, 116.41, whistle.CaseOpen, true, "110101001001001")
		put("m-2", 39.951, 116.411, whistle.CaseOpen, false, "110101001001001")
		put("m-3", 39.96, 116.42, whistle.CaseClosed, false, "110101001001001")
		put("m-4", 39.90, 116.40, whistle.CaseVerifying, false, "110101001001002")
		put("m-far", 40.5, 116.9, whistle.CaseOpen, false, "")
		d1 := store.Scope{PathPrefix: "/110000/110101/"}
		f := store.MapFilter{Scope: d1, MinLon: 116.39, MinLat: 39.89, MaxLon: 116.44, MaxLat: 39.98}
		pts, more, err := s.MapCases(ctx, f, 100)
		if err != nil || more || len(pts) != 3 {
			t.Fatalf("map cases = %d (more %v), %v; want the 3 open ones in the box", len(pts), more, err)
		}
		f.Status = "all"
		if pts, _, _ := s.MapCases(ctx, f, 100); len(pts) != 4 {
			t.Errorf("status=all: %d, want 4", len(pts))
		}
		f.Status = ""
		if _, more, _ := s.MapCases(ctx, f, 2); !more {
			t.Errorf("limit 2 of 3: more = false")
		}
		yes := true
		f.Overdue = &yes
		if pts, _, _ := s.MapCases(ctx, f, 100); len(pts) != 1 || pts[0].ID != "m-1" {
			t.Errorf("overdue: %+v", pts)
		}
		f.Overdue = nil
		if pts, _, _ := s.MapCases(ctx, store.MapFilter{Scope: store.Scope{PathPrefix: "/110000/110102/"}, MinLon: 116.39, MinLat: 39.89, MaxLon: 116.44, MaxLat: 39.98}, 100); len(pts) != 0 {
			t.Errorf("district 2 sees %d cases of district 1", len(pts))
		}
		clusters, err := s.MapClusters(ctx, f, 4, 4)
		if err != nil {
			t.Fatal(err)
		}
		var total, overdue int64
		for _, c := range clusters {
			total += c.Count
			overdue += c.Overdue
		}
		if total != 3 || overdue != 1 || len(clusters) != 2 {
			t.Errorf("clusters = %+v; want 2 buckets holding 3 cases, 1 overdue", clusters)
		}
		counts, err := s.GridCaseCounts(ctx, d1, []string{"110101001001001", "110101001001002"})
		if err != nil {
			t.Fatal(err)
		}
		if c := counts["110101001001001"]; c.Open != 2 || c.Overdue != 1 {
			t.Errorf("grid 1 counts = %+v, want 2 open, 1 overdue", c)
		}
		if c := counts["110101001001002"]; c.Open != 1 || c.Overdue != 0 {
			t.Errorf("grid 2 counts = %+v, want 1 open", c)
		}
	})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
