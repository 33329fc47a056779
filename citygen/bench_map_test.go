package citygen_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
)

// TestBenchMap times the map routes end to end (token, policy, the
// polygons' index, the query, the GeoJSON) on a generated city, for a
// district's command centre: the district's whole box, one street's box,
// and locating a point (BENCHMARKS.md).
//
//	SHAOBAO_BENCH_DATABASE=postgres://... go test ./citygen -run TestBenchMap -timeout 0 -v
func TestBenchMap(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	pol, err := policy.New(ctx, st.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol}).Handler())
	defer srv.Close()
	var uid string
	st.DB.Raw(`SELECT id FROM users WHERE role = 'commander' AND org_unit_id = '110105' LIMIT 1`).Scan(&uid)
	tok, err := st.IssueToken(ctx, uid, "bench", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	box := func(prefix string) string {
		var b struct{ A, B, C, D float64 }
		st.DB.Raw(`SELECT min(g.min_lon) AS a, min(g.min_lat) AS b, max(g.max_lon) AS c, max(g.max_lat) AS d
FROM geo_areas g JOIN org_units u ON u.id = g.org_unit_id WHERE u.path LIKE ?`, prefix+"%").Scan(&b)
		return fmt.Sprintf("%.5f,%.5f,%.5f,%.5f", b.A, b.B, b.C, b.D)
	}
	district, street := box("/110000/110105/"), box("/110000/110105/110105002/")
	var cases, open int64
	st.DB.Raw("SELECT count(*) FROM cases").Scan(&cases)
	st.DB.Raw("SELECT count(*) FROM cases WHERE status <> 'closed' AND org_path LIKE '/110000/110105/%'").Scan(&open)
	runs := 20
	if v, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_RUNS")); v > 0 {
		runs = v
	}
	fmt.Printf("\n%d cases, %d not closed in district 110105; district box %s\n\n", cases, open, district)
	// The store's two queries alone, without HTTP: where the time goes.
	var f store.MapFilter
	fmt.Sscanf(district, "%f,%f,%f,%f", &f.MinLon, &f.MinLat, &f.MaxLon, &f.MaxLat)
	f.Scope = store.Scope{PathPrefix: "/110000/110105/"}
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"store.MapCases (limit 2000)", func() error { _, _, err := st.MapCases(ctx, f, 2000); return err }},
		{"store.MapClusters (40×40)", func() error { _, err := st.MapClusters(ctx, f, 40, 40); return err }},
	} {
		var d []time.Duration
		for i := 0; i <= runs; i++ {
			start := time.Now()
			if err := q.run(); err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				d = append(d, time.Since(start))
			}
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%s: p50 %s, p95 %s\n", q.name, d[len(d)/2].Round(time.Microsecond*100), d[(len(d)*95+99)/100-1].Round(time.Microsecond*100))
	}
	fmt.Println()
	fmt.Printf("| route (HTTP, GeoJSON) | features | bytes | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []struct{ name, path string }{
		{"map/cases, district, open (default)", "/api/v1/map/cases?bbox=" + district},
		{"map/cases, district, overdue", "/api/v1/map/cases?overdue=true&bbox=" + district},
		{"map/cases, district, all statuses (clusters)", "/api/v1/map/cases?status=all&bbox=" + district},
		{"map/cases, district, closed this month (clusters)", "/api/v1/map/cases?status=closed&from=2026-10-01&to=2026-11-01&bbox=" + district},
		{"map/cases, street, all statuses", "/api/v1/map/cases?status=all&bbox=" + street},
		{"map/cases, district, gcj02", "/api/v1/map/cases?crs=gcj02&bbox=" + district},
		{"map/grids, district (choropleth)", "/api/v1/map/grids?bbox=" + district},
		{"map/grids, street", "/api/v1/map/grids?bbox=" + street},
		{"map/locate, a random point", ""},
	} {
		var d []time.Duration
		var size, features int
		for i := 0; i <= runs; i++ {
			path := q.path
			if path == "" {
				path = fmt.Sprintf("/api/v1/map/locate?lat=%.6f&lon=%.6f", 39.6+rng.Float64()*0.5, 115.6+rng.Float64()*0.8)
			}
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 && !(q.path == "" && resp.StatusCode == 404) {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
			}
			if i > 0 { // the first run warms the polygons' index
				d = append(d, time.Since(start))
			}
			var fc struct{ Features []json.RawMessage }
			_ = json.Unmarshal(b, &fc)
			size, features = len(b), len(fc.Features)
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		ms := func(x time.Duration) string { return strconv.FormatFloat(float64(x.Microseconds())/1000, 'f', 1, 64) }
		fmt.Printf("| %s | %d | %d | %s | %s |\n", q.name, features, size, ms(d[len(d)/2]), ms(d[(len(d)*95+99)/100-1]))
	}
}
