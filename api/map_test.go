package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// The demo city's grids (store/demo_city.geojson): 和平里第一网格 (g1) and
// 第二网格 (g2) in 和平里社区, 光明第一网格 (g3) in district 1, 新华第一网格
// (g4) in district 2; 青年湖社区 has no grid.
const (
	g1, g2, g3, g4 = "110101001001001", "110101001001002", "110101002001001", "110102001001001"
	cityBBox       = "116.30,39.85,116.50,40.00"
	// qingnianhu is a point in 青年湖社区: outside every grid.
	qingnianhuLat, qingnianhuLon = 39.93, 116.42
)

// geoOut writes an answer where SHAOBAO_GEOJSON_OUT says, for the outside
// GeoJSON validator (web/map/check-geojson.mjs) CI runs over them.
func geoOut(t *testing.T, name string, r reply) {
	t.Helper()
	dir := os.Getenv("SHAOBAO_GEOJSON_OUT")
	if dir == "" {
		return
	}
	b, err := json.MarshalIndent(r.body, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// featureIDs are the properties.id of a FeatureCollection answer, checking
// its shape on the way.
func featureIDs(t *testing.T, r reply) []string {
	t.Helper()
	if r.body["type"] != "FeatureCollection" {
		t.Fatalf("not a FeatureCollection: %v", r.body)
	}
	fs, ok := r.body["features"].([]any)
	if !ok {
		t.Fatalf("features is not a list: %v", r.body)
	}
	ids := []string{}
	for _, f := range fs {
		m := f.(map[string]any)
		if m["type"] != "Feature" || m["geometry"] == nil {
			t.Fatalf("bad feature %v", m)
		}
		p := m["properties"].(map[string]any)
		id, _ := p["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

func TestMapGridsByJurisdiction(t *testing.T) {
	srv, st := newServer(t)
	tests := []struct {
		user   string
		status int
		want   string
	}{
		{"admin", 200, strings.Join([]string{g1, g2, g3, g4}, ",")},
		{"city-commander", 200, strings.Join([]string{g1, g2, g3, g4}, ",")},
		{"d1-commander", 200, strings.Join([]string{g1, g2, g3}, ",")},
		{"d2-commander", 200, g4},
		{"d1-supervisor", 200, strings.Join([]string{g1, g2, g3}, ",")},
		{"s1-secretary", 200, strings.Join([]string{g1, g2}, ",")},
		{"c3-secretary", 200, g3},
		{"g1-worker", 200, strings.Join([]string{g1, g2}, ",")}, // its community's, for the picker
		{"s1-police", 403, ""},
		{"d1-police", 403, ""},
		{"", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			tok := ""
			if tt.user != "" {
				tok = token(t, st, tt.user)
			}
			for _, path := range []string{"/api/v1/map/grids?bbox=" + cityBBox, "/api/v1/map/cases?bbox=" + cityBBox, "/api/v1/map/config", "/api/v1/map/locate?lat=39.95&lon=116.41"} {
				r := call(t, srv, tok, "GET", path, "")
				if r.status != tt.status {
					t.Fatalf("%s: status %d, want %d: %v", path, r.status, tt.status, r.body)
				}
			}
			if tt.status != 200 {
				return
			}
			r := call(t, srv, tok, "GET", "/api/v1/map/grids?bbox="+cityBBox, "")
			if got := strings.Join(featureIDs(t, r), ","); got != tt.want {
				t.Errorf("grids = %s, want %s", got, tt.want)
			}
		})
	}
	// A box away from the grids holds none.
	r := call(t, srv, token(t, st, "admin"), "GET", "/api/v1/map/grids?bbox=116.9,40.5,117.0,40.6", "")
	if ids := featureIDs(t, r); len(ids) != 0 {
		t.Errorf("grids far away = %v", ids)
	}
}

func TestMapLocate(t *testing.T) {
	srv, st := newServer(t)
	tok := token(t, st, "g1-worker")
	r := call(t, srv, tok, "GET", "/api/v1/map/locate?lat=39.95&lon=116.41", "")
	grid, _ := r.body["grid"].(map[string]any)
	comm, _ := r.body["community"].(map[string]any)
	street, _ := r.body["street"].(map[string]any)
	if r.status != 200 || grid["id"] != g1 || grid["name"] != "和平里第一网格" || comm["id"] != "110101001001" || street["name"] != "和平街道" {
		t.Fatalf("locate = %d %v", r.status, r.body)
	}
	// The same place read off GCJ-02 tiles: the server converts.
	gLat, gLon := geo.WGS84ToGCJ02(39.95, 116.41)
	r = call(t, srv, tok, "GET", fmt.Sprintf("/api/v1/map/locate?lat=%.9f&lon=%.9f&crs=gcj02", gLat, gLon), "")
	if grid, _ := r.body["grid"].(map[string]any); r.status != 200 || grid["id"] != g1 ||
		math.Abs(r.body["lat"].(float64)-39.95) > 1e-6 || math.Abs(r.body["lon"].(float64)-116.41) > 1e-6 {
		t.Fatalf("locate gcj02 = %d %v", r.status, r.body)
	}
	tests := []struct {
		name, query string
		status      int
		mentions    string
	}{
		{"ErrOutsideEveryGrid", fmt.Sprintf("lat=%v&lon=%v", qingnianhuLat, qingnianhuLon), 404, "该位置不在任何网格内"},
		{"ErrLatMissing", "lon=116.41", 400, "lat"},
		{"ErrLatNotANumber", "lat=north&lon=116.41", 400, "lat"},
		{"ErrLatOutOfRange", "lat=91&lon=116.41", 400, "lat"},
		{"ErrBadCRS", "lat=39.95&lon=116.41&crs=utm", 400, "crs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tok, "GET", "/api/v1/map/locate?"+tt.query, "")
			if r.status != tt.status || !strings.Contains(errMessage(r), tt.mentions) {
				t.Errorf("status %d %q, want %d mentioning %q", r.status, errMessage(r), tt.status, tt.mentions)
			}
		})
	}
}

// putCases writes located cases straight into the read model (no
// workflow here): n cases of community 1 spread over grid 1.
func putCases(t *testing.T, st *store.Store, prefix string, n int, status whistle.CaseStatus, overdue bool) {
	t.Helper()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rows := make([]store.CaseRow, n)
	for i := range rows {
		lat, lon := 39.946+float64(i%50)*0.0005, 116.401+float64(i/50%50)*0.0005
		rows[i] = store.CaseRow{ID: fmt.Sprintf("%s-%05d", prefix, i), Number: fmt.Sprintf("20261123-%s%04d", prefix[:1], i), Title: "占道经营 " + prefix,
			Category: "市容环境", Source: "grid", Class: "routine", Status: string(status), Level: "community", Overdue: overdue,
			OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/",
			HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/",
			Address: "和平里", Lat: &lat, Lon: &lon, GridID: g1, FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary",
			Seq: 1, CreatedAt: at, UpdatedAt: at}
	}
	if err := st.DB.CreateInBatches(rows, 200).Error; err != nil {
		t.Fatal(err)
	}
}

func TestMapCases(t *testing.T) {
	srv, st := newServer(t)
	putCases(t, st, "open", 3, whistle.CaseOpen, false)
	putCases(t, st, "late", 2, whistle.CaseOpen, true)
	putCases(t, st, "shut", 4, whistle.CaseClosed, false)
	d1 := token(t, st, "d1-commander")

	r := call(t, srv, d1, "GET", "/api/v1/map/cases?bbox="+cityBBox, "")
	if ids := featureIDs(t, r); r.status != 200 || len(ids) != 5 {
		t.Fatalf("open cases on the map = %d %v, want 5", r.status, ids)
	}
	geoOut(t, "map-cases", r)
	f0 := r.body["features"].([]any)[0].(map[string]any)
	p0 := f0["properties"].(map[string]any)
	for _, k := range []string{"id", "number", "title", "class", "status", "overdue", "warning"} {
		if _, ok := p0[k]; !ok {
			t.Errorf("point properties lack %s: %v", k, p0)
		}
	}
	coords := f0["geometry"].(map[string]any)["coordinates"].([]any)
	if lon := coords[0].(float64); lon < 116.4 || lon > 116.43 {
		t.Errorf("point is not [lon, lat]: %v", coords)
	}
	// The same in GCJ-02: shifted by some hundreds of metres.
	r = call(t, srv, d1, "GET", "/api/v1/map/cases?crs=gcj02&bbox="+cityBBox, "")
	gcoords := r.body["features"].([]any)[0].(map[string]any)["geometry"].(map[string]any)["coordinates"].([]any)
	if d := gcoords[0].(float64) - coords[0].(float64); d < 0.003 || d > 0.01 {
		t.Errorf("gcj02 longitude shift = %v", d)
	}

	for _, tt := range []struct {
		name, query string
		want        int
	}{
		{"Overdue", "&overdue=true", 2},
		{"Closed", "&status=closed", 4},
		{"All", "&status=all", 9},
		{"Class", "&class=emergency", 0},
		{"Category", "&category=" + "%E5%B8%82%E5%AE%B9%E7%8E%AF%E5%A2%83", 5},
		{"Before", "&to=2026-11-01", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, d1, "GET", "/api/v1/map/cases?bbox="+cityBBox+tt.query, "")
			if ids := featureIDs(t, r); len(ids) != tt.want {
				t.Errorf("%d cases, want %d", len(ids), tt.want)
			}
		})
	}
	// Other jurisdictions see none of them.
	for _, u := range []string{"d2-commander", "c3-secretary", "d2-supervisor"} {
		r := call(t, srv, token(t, st, u), "GET", "/api/v1/map/cases?bbox="+cityBBox+"&status=all", "")
		if ids := featureIDs(t, r); r.status != 200 || len(ids) != 0 {
			t.Errorf("%s sees %d cases of community 1", u, len(ids))
		}
	}
	// The choropleth counts them per grid.
	r = call(t, srv, d1, "GET", "/api/v1/map/grids?bbox="+cityBBox, "")
	geoOut(t, "map-grids", r)
	for _, f := range r.body["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		if p["id"] == g1 && (p["open"] != 5.0 || p["overdue"] != 2.0 || p["community"] != "和平里社区") {
			t.Errorf("grid 1 = %v, want 5 open, 2 overdue, in 和平里社区", p)
		}
	}
	for _, tt := range []struct{ name, bbox string }{
		{"ErrMissing", ""}, {"ErrThree", "116.3,39.8,116.5"}, {"ErrText", "a,b,c,d"}, {"ErrInverted", "116.5,39.8,116.3,40.0"},
		{"ErrLatOut", "116.3,-91,116.5,40"}, {"ErrNaN", "NaN,39.8,116.5,40"}, {"ErrInf", "116.3,39.8,Inf,40"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, route := range []string{"cases", "grids"} {
				r := call(t, srv, d1, "GET", "/api/v1/map/"+route+"?bbox="+tt.bbox, "")
				if r.status != 400 || errCode(r) != "invalid" || !strings.Contains(errMessage(r), "bbox") {
					t.Errorf("%s: %d %v, want 400 naming bbox", route, r.status, r.body)
				}
			}
		})
	}
	for _, q := range []string{"&status=done", "&overdue=maybe", "&class=x", "&from=yesterday", "&crs=epsg3857"} {
		if r := call(t, srv, d1, "GET", "/api/v1/map/cases?bbox="+cityBBox+q, ""); r.status != 400 {
			t.Errorf("%s: %d, want 400", q, r.status)
		}
	}
}

func TestMapCasesClusters(t *testing.T) {
	srv, st := newServer(t)
	putCases(t, st, "many", 2100, whistle.CaseOpen, false)
	putCases(t, st, "late", 30, whistle.CaseOpen, true)
	r := call(t, srv, token(t, st, "d1-commander"), "GET", "/api/v1/map/cases?bbox="+cityBBox, "")
	featureIDs(t, r)
	var count, overdue float64
	fs := r.body["features"].([]any)
	for _, f := range fs {
		p := f.(map[string]any)["properties"].(map[string]any)
		if p["cluster"] != true {
			t.Fatalf("above 2000 points, a feature is not a cluster: %v", p)
		}
		count += p["count"].(float64)
		overdue += p["overdue"].(float64)
	}
	if count != 2130 || overdue != 30 || len(fs) < 2 || len(fs) > 40*40 {
		t.Errorf("clusters = %d holding %v cases (%v overdue), want 2130 (30)", len(fs), count, overdue)
	}
	geoOut(t, "map-cases-clusters", r)
}

func TestMapConfig(t *testing.T) {
	srv, st := newServer(t)
	r := call(t, srv, token(t, st, "d2-commander"), "GET", "/api/v1/map/config", "")
	if r.status != 200 || r.body["tile_url"] != "" || r.body["tile_crs"] != "wgs84" {
		t.Fatalf("config = %d %v", r.status, r.body)
	}
	b := r.body["bounds"].([]any)
	c := r.body["center"].([]any)
	// District 2's one grid: 新华第一网格.
	if b[0] != 116.37 || b[2] != 116.4 || c[0].(float64) != 116.385 {
		t.Errorf("bounds %v, center %v: want district 2's grid", b, c)
	}
}

// selfIntersecting is a polygon file whose one feature is a bow tie.
const selfIntersecting = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"110101001001001"},
"geometry":{"type":"Polygon","coordinates":[[[116.40,39.945],[116.43,39.972],[116.43,39.945],[116.40,39.972],[116.40,39.945]]]}}]}`

// smallGrid1 shrinks grid 1 to its south-west corner.
const smallGrid1 = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"110101001001001"},
"geometry":{"type":"Polygon","coordinates":[[[116.40,39.945],[116.405,39.945],[116.405,39.948],[116.40,39.948],[116.40,39.945]]]}}]}`

func TestGeoImport(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	ctx := context.Background()
	grids := func() string {
		r := call(t, srv, admin, "GET", "/api/v1/map/grids?bbox="+cityBBox, "")
		b, _ := json.Marshal(r.body)
		return string(b)
	}
	before := grids()
	rev0, _ := st.GeoRevision(ctx)
	unchanged := func(t *testing.T) {
		t.Helper()
		if rev, _ := st.GeoRevision(ctx); rev != rev0 || grids() != before {
			t.Fatalf("a refused import changed the polygons")
		}
	}
	tests := []struct {
		name, user, query, body string
		status                  int
		code, mentions          string
	}{
		{"ErrSelfIntersecting", "admin", "kind=grid", selfIntersecting, 422, "invalid_geojson", "自相交"},
		{"ErrUnknownUnit", "admin", "kind=grid", strings.Replace(smallGrid1, g1, "110101009009009", 1), 422, "invalid_geojson", "组织单元不存在"},
		{"ErrWrongKind", "admin", "kind=community", smallGrid1, 422, "invalid_geojson", "不是 community"},
		{"ErrNoKind", "admin", "", smallGrid1, 400, "invalid", "kind"},
		{"ErrBadKind", "admin", "kind=district", smallGrid1, 400, "invalid", "kind"},
		{"ErrNotGeoJSON", "admin", "kind=grid", `{"type":`, 400, "invalid", "GeoJSON"},
		{"ErrNotACollection", "admin", "kind=grid", `{"type":"Feature"}`, 400, "invalid", "FeatureCollection"},
		{"ErrNotAdmin", "d1-commander", "kind=grid", smallGrid1, 403, "forbidden", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, tt.user), "POST", "/api/v1/admin/geo/import?"+tt.query, tt.body)
			if r.status != tt.status || errCode(r) != tt.code {
				t.Fatalf("%d %v, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			text, _ := json.Marshal(r.body)
			if !strings.Contains(string(text), tt.mentions) {
				t.Errorf("answer %s does not mention %q", text, tt.mentions)
			}
			if tt.status == 422 {
				ps, _ := r.body["error"].(map[string]any)["problems"].([]any)
				if len(ps) != 1 || ps[0].(map[string]any)["index"] != 0.0 {
					t.Errorf("problems = %v, want feature 0's", ps)
				}
			}
			unchanged(t)
		})
	}
	t.Run("English", func(t *testing.T) {
		r := call(t, srv, admin, "POST", "/api/v1/admin/geo/import?kind=grid&lang=en", selfIntersecting)
		if text, _ := json.Marshal(r.body); r.status != 422 || !strings.Contains(string(text), "intersects itself") {
			t.Errorf("%d %s", r.status, text)
		}
	})
	t.Run("DryRun", func(t *testing.T) {
		r := call(t, srv, admin, "POST", "/api/v1/admin/geo/import?kind=grid&dry_run=true", smallGrid1)
		if r.status != 200 || r.body["replaced"] != 1.0 || r.body["created"] != 0.0 || r.body["dry_run"] != true || r.body["features"] != 1.0 {
			t.Fatalf("dry run = %d %v", r.status, r.body)
		}
		unchanged(t)
	})
	t.Run("Replace", func(t *testing.T) {
		tok := token(t, st, "g1-worker")
		if r := call(t, srv, tok, "GET", "/api/v1/map/locate?lat=39.96&lon=116.42", ""); r.status != 200 {
			t.Fatalf("before: %d", r.status)
		}
		r := call(t, srv, admin, "POST", "/api/v1/admin/geo/import?kind=grid", smallGrid1)
		if r.status != 200 || r.body["replaced"] != 1.0 || r.body["kind"] != "grid" || r.body["dry_run"] != false {
			t.Fatalf("import = %d %v", r.status, r.body)
		}
		// The index follows at once in this process.
		if r := call(t, srv, tok, "GET", "/api/v1/map/locate?lat=39.96&lon=116.42", ""); r.status != 404 {
			t.Errorf("after shrinking grid 1, the point is still located: %d %v", r.status, r.body)
		}
		if r := call(t, srv, tok, "GET", "/api/v1/map/locate?lat=39.946&lon=116.401", ""); r.status != 200 {
			t.Errorf("inside the new grid 1: %d %v", r.status, r.body)
		}
	})
}

// TestFilingByPointInPolygon: a filed point gets its grid, must lie in a
// grid (or say outside_grid), and in the filer's jurisdiction. There is no
// workflow behind these servers: a filing that passes these checks goes
// on and fails later, never with these codes.
func TestFilingByPointInPolygon(t *testing.T) {
	srv, st := newServer(t)
	file := func(lat, lon float64, extra string) string {
		return fmt.Sprintf(`{"title":"占道经营","source":"grid","class":"routine","department_ids":["s1-citymgmt"],"location":{"address":"和平里","lat":%v,"lon":%v}%s}`, lat, lon, extra)
	}
	tests := []struct {
		name, user, body string
		code, mentions   string // "" code: passes the grid checks
	}{
		{"ErrOutsideEveryGrid", "c1-secretary", file(qingnianhuLat, qingnianhuLon, ""), "outside_grid", "不在任何网格内"},
		{"OutsideGridSaid", "c1-secretary", file(qingnianhuLat, qingnianhuLon, `,"outside_grid":true`), "", ""},
		{"OwnCommunity", "c1-secretary", file(39.95, 116.41, ""), "", ""},
		{"GridWorkerOwnCommunity", "g1-worker", file(39.90, 116.40, ""), "", ""},
		{"ErrOtherCommunity", "c3-secretary", file(39.95, 116.41, ""), "grid_outside_jurisdiction", "和平里社区"},
		{"ErrOtherDistrict", "d2-commander", file(39.95, 116.41, ""), "grid_outside_jurisdiction", "和平里社区"},
		{"DistrictOverItsCommunity", "d1-commander", file(39.95, 116.41, ""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, tt.user), "POST", "/api/v1/cases", tt.body)
			if tt.code == "" {
				if r.status == http.StatusUnprocessableEntity || errCode(r) == "outside_grid" || errCode(r) == "grid_outside_jurisdiction" {
					t.Fatalf("refused by the grid checks: %d %v", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusUnprocessableEntity || errCode(r) != tt.code || !strings.Contains(errMessage(r), tt.mentions) {
				t.Fatalf("%d %v, want 422 %s mentioning %q", r.status, r.body, tt.code, tt.mentions)
			}
		})
	}
}

// TestMapFitsTheDocument: every map answer and refusal is as openapi.json
// says (strictly: no undocumented field).
func TestMapFitsTheDocument(t *testing.T) {
	srv, st := newServer(t)
	putCases(t, st, "doc", 3, whistle.CaseOpen, true)
	k := newContract(t, srv)
	d1, admin, clerk := token(t, st, "d1-commander"), token(t, st, "admin"), token(t, st, "s1-police")
	const js = "application/json"
	k.do(d1, "GET", "/api/v1/map/config", "", "", 200)
	k.do(d1, "GET", "/api/v1/map/config?crs=gcj02", "", "", 200)
	k.do(d1, "GET", "/api/v1/map/locate?lat=39.95&lon=116.41", "", "", 200)
	k.do(d1, "GET", "/api/v1/map/locate?lat=39.93&lon=116.42", "", "", 404)
	k.do(d1, "GET", "/api/v1/map/locate?lat=x&lon=116.42", "", "", 400)
	k.do(d1, "GET", "/api/v1/map/cases?bbox="+cityBBox, "", "", 200)
	k.do(d1, "GET", "/api/v1/map/cases?crs=bd09&status=all&bbox="+cityBBox, "", "", 200)
	k.do(d1, "GET", "/api/v1/map/cases?bbox=1,2,3", "", "", 400)
	k.do(d1, "GET", "/api/v1/map/grids?bbox="+cityBBox, "", "", 200)
	k.do(clerk, "GET", "/api/v1/map/grids?bbox="+cityBBox, "", "", 403)
	k.do("", "GET", "/api/v1/map/grids?bbox="+cityBBox, "", "", 401)
	k.do(admin, "POST", "/api/v1/admin/geo/import?kind=grid&dry_run=true", js, smallGrid1, 200)
	k.do(admin, "POST", "/api/v1/admin/geo/import?kind=grid", js, selfIntersecting, 422)
	k.do(admin, "POST", "/api/v1/admin/geo/import?kind=grid", js, smallGrid1, 200)
	k.do(d1, "POST", "/api/v1/admin/geo/import?kind=grid", js, smallGrid1, 403)
	k.do(token(t, st, "c1-secretary"), "POST", "/api/v1/cases", js,
		`{"title":"占道经营","source":"grid","class":"routine","department_ids":["s1-citymgmt"],"location":{"address":"青年湖","lat":39.93,"lon":116.42}}`, 422)
	putCases(t, st, "zz", 2001, whistle.CaseOpen, false)
	k.do(d1, "GET", "/api/v1/map/cases?bbox="+cityBBox, "", "", 200) // clusters
}
