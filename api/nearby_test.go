package api_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Points around 和平里 (community 1): one degree of latitude is about
// 111.195 km, so 0.00045° is about 50 m.
const nearLat, nearLon = 39.95, 116.41

func north(m float64) float64 { return nearLat + m/111194.93 }

// placeCase projects an open case of category at lat in the org unit at
// path (a community), as the workflow would.
func placeCase(t *testing.T, st *store.Store, id, number, category, unit, path string, lat float64, status whistle.CaseStatus) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	c := whistle.Case{ID: id, Number: number, Title: "噪音 " + id, Category: category, Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: status,
		Location:  whistle.At("和平里大街 "+id, lat, nearLon),
		OrgUnitID: unit, OrgPath: path, Level: whistle.LevelCommunity, HolderOrgUnitID: unit, HolderOrgPath: path,
		FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", CreatedAt: now, UpdatedAt: now, Seq: 1,
		Tasks: []whistle.Task{{ID: id + "-T1", CaseID: id, DepartmentID: "s1-police", Status: whistle.TaskSummoned, SummonedAt: now,
			SummonedBy: "c1-secretary", SummonedLevel: whistle.LevelCommunity, ReportDeadline: now.Add(time.Hour), HandleDeadline: now.Add(72 * time.Hour)}},
	}
	if err := st.ApplyCase(context.Background(), c, []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "c1-secretary"}}); err != nil {
		t.Fatal(err)
	}
}

const (
	community1 = "/110000/110101/110101001/110101001001/"
	community3 = "/110000/110101/110101002/110101002001/"
)

func nearbyFixture(t *testing.T, st *store.Store) {
	t.Helper()
	placeCase(t, st, "SB-NEAR-50", "20261202-00001", "治安秩序", "110101001001", community1, north(50), whistle.CaseOpen)
	placeCase(t, st, "SB-NEAR-300", "20261202-00002", "治安秩序", "110101001001", community1, north(300), whistle.CaseOpen)
	placeCase(t, st, "SB-NEAR-OTHER", "20261202-00003", "市容环境", "110101001001", community1, north(20), whistle.CaseOpen)
	placeCase(t, st, "SB-NEAR-CLOSED", "20261202-00004", "治安秩序", "110101001001", community1, north(10), whistle.CaseClosed)
	// In community 3, 80 m away: across a community line, outside c1's reach.
	placeCase(t, st, "SB-NEAR-C3", "20261202-00005", "治安秩序", "110101002001", community3, north(-80), whistle.CaseOpen)
}

func itemIDs(r reply) string {
	var out []string
	list, _ := r.body["items"].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		out = append(out, m["id"].(string))
	}
	return strings.Join(out, ",")
}

// TestNearbyCases: nearest first within the radius, same category,
// open only, by address as a fallback, and bad input refused.
func TestNearbyCases(t *testing.T) {
	srv, st := newServer(t)
	nearbyFixture(t, st)
	c1 := token(t, st, "c1-secretary")
	at := func(extra string) string {
		return "/api/v1/cases/nearby?lat=" + url.QueryEscape("39.95") + "&lon=116.41&category=" + url.QueryEscape("治安秩序") + extra
	}
	tests := []struct {
		name, path string
		want       string
	}{
		{"DefaultRadius200", at(""), "SB-NEAR-50"},
		{"Radius400", at("&radius_m=400"), "SB-NEAR-50,SB-NEAR-300"},
		{"Excluded", at("&radius_m=400&exclude=SB-NEAR-50"), "SB-NEAR-300"},
		{"Limit", at("&radius_m=400&limit=1"), "SB-NEAR-50"},
		{"OtherCategory", "/api/v1/cases/nearby?lat=39.95&lon=116.41&category=" + url.QueryEscape("市容环境"), "SB-NEAR-OTHER"},
		{"EveryCategory", "/api/v1/cases/nearby?lat=39.95&lon=116.41&radius_m=100", "SB-NEAR-OTHER,SB-NEAR-50"},
		{"ByAddress", "/api/v1/cases/nearby?category=" + url.QueryEscape("治安秩序") + "&address=" + url.QueryEscape("和平里大街 SB-NEAR-3"), "SB-NEAR-300"},
		{"PointBeatsAddress", at("&address=nowhere"), "SB-NEAR-50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, c1, "GET", tt.path, "")
			if r.status != 200 {
				t.Fatalf("%d %v", r.status, r.body)
			}
			if got := itemIDs(r); got != tt.want {
				t.Errorf("items %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("DistanceAndRadius", func(t *testing.T) {
		r := call(t, srv, c1, "GET", at(""), "")
		first := r.body["items"].([]any)[0].(map[string]any)
		if d, _ := first["distance_m"].(float64); d < 49 || d > 51 {
			t.Errorf("distance_m = %v, want 50", first["distance_m"])
		}
		if first["number"] != "20261202-00001" || r.body["radius_m"] != 200.0 {
			t.Errorf("number %v radius_m %v", first["number"], r.body["radius_m"])
		}
		byAddress := call(t, srv, c1, "GET", "/api/v1/cases/nearby?address="+url.QueryEscape("和平里"), "")
		for _, it := range byAddress.body["items"].([]any) {
			if _, ok := it.(map[string]any)["distance_m"]; ok {
				t.Errorf("an address match has a distance: %v", it)
			}
		}
		if _, ok := byAddress.body["radius_m"]; ok {
			t.Errorf("an address search has a radius: %v", byAddress.body)
		}
	})
	// The category's own default radius: 市政设施 (a flooded road) is 500 m.
	t.Run("CategoryRadius", func(t *testing.T) {
		r := call(t, srv, c1, "GET", "/api/v1/cases/nearby?lat=39.95&lon=116.41&category="+url.QueryEscape("市政设施"), "")
		if r.status != 200 || r.body["radius_m"] != 500.0 {
			t.Errorf("%d radius_m %v, want 500", r.status, r.body["radius_m"])
		}
	})

	bad := []struct{ name, query, mentions string }{
		{"Nothing", "", "address"},
		{"LatOnly", "lat=39.95", "lon"},
		{"LonOnly", "lon=116.41&address=x", "lat"},
		{"LatOutOfRange", "lat=91&lon=116.41", "lat"},
		{"LonOutOfRange", "lat=39.95&lon=-181", "lon"},
		{"LatNotANumber", "lat=north&lon=116.41", "lat"},
		{"LatNaN", "lat=NaN&lon=116.41", "lat"},
		{"LonInf", "lat=39.95&lon=Inf", "lon"},
		{"RadiusTooBig", "lat=39.95&lon=116.41&radius_m=5000", "radius_m"},
		{"RadiusZero", "lat=39.95&lon=116.41&radius_m=0", "radius_m"},
		{"RadiusWithoutPoint", "address=x&radius_m=100", "radius_m"},
		{"LimitZero", "lat=39.95&lon=116.41&limit=0", "limit"},
		{"CategoryTooLong", "lat=39.95&lon=116.41&category=" + strings.Repeat("x", 65), "category"},
	}
	for _, tt := range bad {
		t.Run("Bad"+tt.name, func(t *testing.T) {
			r := call(t, srv, c1, "GET", "/api/v1/cases/nearby?"+tt.query, "")
			if r.status != 400 || errCode(r) != whistle.EInvalid || !strings.Contains(errMessage(r), tt.mentions) {
				t.Fatalf("%d %v, want 400 invalid mentioning %s", r.status, r.body, tt.mentions)
			}
		})
	}
	if r := call(t, srv, "", "GET", at(""), ""); r.status != 401 {
		t.Errorf("no token: %d, want 401", r.status)
	}
}

// TestNearbyCasesAuthorization is the jurisdiction matrix of the nearby
// list: the reach of the caller's case:read rule (the scope of GET
// /cases), so nobody learns of a case they could not open.
func TestNearbyCasesAuthorization(t *testing.T) {
	srv, st := newServer(t)
	nearbyFixture(t, st)
	path := "/api/v1/cases/nearby?lat=39.95&lon=116.41&radius_m=400&category=" + url.QueryEscape("治安秩序")
	rows := []struct{ user, want string }{
		{"c1-secretary", "SB-NEAR-50,SB-NEAR-300"},
		{"g1-worker", "SB-NEAR-50,SB-NEAR-300"}, // grid_jurisdiction: the grid's community
		{"c3-secretary", "SB-NEAR-C3"},
		{"s1-secretary", "SB-NEAR-50,SB-NEAR-300"}, // community 3 is in street 2
		{"admin", "SB-NEAR-50,SB-NEAR-C3,SB-NEAR-300"},
		{"d1-commander", "SB-NEAR-50,SB-NEAR-C3,SB-NEAR-300"},
		{"d1-supervisor", "SB-NEAR-50,SB-NEAR-C3,SB-NEAR-300"},
		{"d2-commander", ""},
		{"d2-supervisor", ""},
		{"s1-police", "SB-NEAR-50,SB-NEAR-C3,SB-NEAR-300"}, // a clerk: the cases with a task of theirs
		{"s1-market", ""},
	}
	for _, row := range rows {
		t.Run(row.user, func(t *testing.T) {
			r := call(t, srv, token(t, st, row.user), "GET", path, "")
			if r.status != 200 {
				t.Fatalf("%d %v", r.status, r.body)
			}
			got := strings.Split(itemIDs(r), ",")
			want := strings.Split(row.want, ",")
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("sees %v, want %v", got, want)
			}
		})
	}
}

// TestCaseByNumber: GET /cases/{id} takes the number an operator reads
// out; outside the caller's jurisdiction it is as unknown as a number that
// does not exist; ?q= finds it in the list.
func TestCaseByNumber(t *testing.T) {
	srv, st := newServer(t)
	nearbyFixture(t, st)
	c1, c3 := token(t, st, "c1-secretary"), token(t, st, "c3-secretary")
	r := call(t, srv, c1, "GET", "/api/v1/cases/20261202-00001", "")
	if r.status != 200 || r.body["id"] != "SB-NEAR-50" || r.body["number"] != "20261202-00001" {
		t.Fatalf("by number: %d %v", r.status, r.body)
	}
	if r := call(t, srv, c1, "GET", "/api/v1/cases/SB-NEAR-50", ""); r.status != 200 || r.body["number"] != "20261202-00001" {
		t.Fatalf("by id: %d %v", r.status, r.body)
	}
	unknown := call(t, srv, c3, "GET", "/api/v1/cases/20261202-09999", "")
	outside := call(t, srv, c3, "GET", "/api/v1/cases/20261202-00001", "")
	if unknown.status != 404 || outside.status != 404 ||
		strings.ReplaceAll(errMessage(outside), "20261202-00001", "20261202-09999") != errMessage(unknown) ||
		strings.Contains(errMessage(outside), "SB-NEAR-50") {
		t.Fatalf("outside %d %v differs from unknown %d %v", outside.status, outside.body, unknown.status, unknown.body)
	}
	list := call(t, srv, c1, "GET", "/api/v1/cases?q=20261202-00002", "")
	if list.status != 200 || itemIDs(list) != "SB-NEAR-300" {
		t.Fatalf("q=number: %d %v", list.status, list.body)
	}
	// An action keeps to ids: a number is not a case id there.
	if r := call(t, srv, c1, "POST", "/api/v1/cases/20261202-00001/escalate", `{"reason":"x"}`); r.status != 404 {
		t.Errorf("action by number: %d %v, want 404", r.status, r.body)
	}
}

// TestNearbyAndNumberFitTheDocument runs the new answers through the
// strict OpenAPI contract.
func TestNearbyAndNumberFitTheDocument(t *testing.T) {
	srv, st := newServer(t)
	nearbyFixture(t, st)
	k := newContract(t, srv)
	c1 := token(t, st, "c1-secretary")
	k.do(c1, "GET", "/api/v1/cases/nearby?lat=39.95&lon=116.41&radius_m=400&category="+url.QueryEscape("治安秩序"), "", "", 200)
	k.do(c1, "GET", "/api/v1/cases/nearby?address="+url.QueryEscape("和平里"), "", "", 200)
	k.do(c1, "GET", "/api/v1/cases/nearby?lat=95&lon=116.41", "", "", 400)
	k.do("", "GET", "/api/v1/cases/nearby?lat=39.95&lon=116.41", "", "", 401)
	k.do(c1, "GET", "/api/v1/cases/20261202-00001", "", "", 200)
	k.do(c1, "GET", "/api/v1/cases/20261202-09999", "", "", 404)
	k.do(c1, "GET", "/api/v1/cases?q=20261202", "", "", 200)
}
