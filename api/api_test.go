package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// newServer serves the API on a real SQLite store with the demo city and
// the real policy; there is no Temporal behind it, so these tests cover
// what is decided before a workflow is asked.
func newServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol, MaxBodyBytes: 4096}).Handler())
	t.Cleanup(srv.Close)
	return srv, st
}

func token(t *testing.T, st *store.Store, username string) string {
	t.Helper()
	u, err := st.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.IssueToken(context.Background(), u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	status int
	body   map[string]any
	header http.Header
}

func call(t *testing.T, srv *httptest.Server, tok, method, path, body string, headers ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(buf.Bytes(), &r.body); err != nil && buf.Len() > 0 && !strings.HasPrefix(path, "/metrics") {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, buf.String())
	}
	return r
}

func errCode(r reply) string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errMessage(r reply) string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestMe(t *testing.T) {
	srv, st := newServer(t)
	for _, u := range store.DemoUsers {
		t.Run(u.Username, func(t *testing.T) {
			r := call(t, srv, token(t, st, u.Username), "GET", "/api/v1/me", "")
			if r.status != 200 {
				t.Fatalf("status %d: %v", r.status, r.body)
			}
			if r.body["username"] != u.Username || r.body["role"] != u.Role {
				t.Errorf("me = %v", r.body)
			}
			org, _ := r.body["org_unit"].(map[string]any)
			if org["id"] == "" || org["name"] == "" {
				t.Errorf("me has no org unit: %v", r.body)
			}
			if u.DepartmentID != "" {
				d, _ := r.body["department"].(map[string]any)
				if d["id"] != u.DepartmentID {
					t.Errorf("department = %v, want %s", d, u.DepartmentID)
				}
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	srv, st := newServer(t)
	good := token(t, st, "c1-secretary")
	tests := []struct {
		name, header string
		status       int
	}{
		{"NoHeader", "", 401},
		{"NotBearer", "Basic abc", 401},
		{"EmptyBearer", "Bearer ", 401},
		{"UnknownToken", "Bearer sb_unknown", 401},
		{"Good", "Bearer " + good, 200},
		{"LowercaseScheme", "bearer " + good, 200},
		{"UppercaseScheme", "BEARER " + good, 200},
		{"SchemeOnly", "bearer", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, "", "GET", "/api/v1/me", "", "Authorization", tt.header)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.status, tt.status, r.body)
			}
			if tt.status == 401 && (errCode(r) != "unauthorized" || errMessage(r) == "") {
				t.Errorf("401 without the envelope: %v", r.body)
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv, _ := newServer(t)
	if r := call(t, srv, "", "GET", "/healthz", ""); r.status != 200 {
		t.Errorf("healthz = %d", r.status)
	}
	// No Temporal behind this server: not ready, and it says why.
	r := call(t, srv, "", "GET", "/readyz", "")
	checks, _ := r.body["checks"].(map[string]any)
	if r.status != 503 || checks["database"] != "ok" || checks["temporal"] == "ok" {
		t.Errorf("readyz = %d %v, want 503 with database ok and temporal not", r.status, r.body)
	}
	if r := call(t, srv, "", "GET", "/metrics", ""); r.status != 200 {
		t.Errorf("metrics = %d", r.status)
	}
}

func TestErrorsSpeakTheCallersLanguage(t *testing.T) {
	srv, st := newServer(t)
	tok := token(t, st, "c1-secretary")
	zh := call(t, srv, tok, "POST", "/api/v1/cases", `{"title": 5}`)
	en := call(t, srv, tok, "POST", "/api/v1/cases", `{"title": 5}`, "Accept-Language", "en-US,en;q=0.9")
	if zh.status != 400 || en.status != 400 {
		t.Fatalf("status %d / %d", zh.status, en.status)
	}
	if !strings.Contains(errMessage(zh), "字段「标题」类型错误：应为文本") || !strings.Contains(errMessage(en), "field title has the wrong type") {
		t.Errorf("messages: zh %q en %q", errMessage(zh), errMessage(en))
	}
	if zh.header.Get("X-Request-ID") == "" {
		t.Error("no request id on the response")
	}
}

// TestFileCaseBadInput: every row is refused with a 4xx and the envelope
// before any workflow starts (there is no Temporal behind this server: a
// request that got that far would fail with a 5xx).
func TestFileCaseBadInput(t *testing.T) {
	srv, st := newServer(t)
	c1 := token(t, st, "c1-secretary")
	clerk := token(t, st, "s1-police")
	good := func(mut string) string {
		base := `{"title":"酒吧街噪音","description":"夜间噪音","source":"grid","class":"routine","department_ids":["s1-police","s1-citymgmt"],"location":{"address":"和平里1号","lat":39.9,"lon":116.4}}`
		if mut == "" {
			return base
		}
		var m map[string]any
		json.Unmarshal([]byte(base), &m)
		var patch map[string]any
		json.Unmarshal([]byte(mut), &patch)
		for k, v := range patch {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, tok, body string
		status          int
		code, mentions  string
	}{
		{"Empty", c1, "", 400, "invalid", "请求体不能为空"},
		{"MalformedJSON", c1, `{"title":`, 400, "invalid", "JSON"},
		{"NotAnObject", c1, `[1,2]`, 400, "invalid", "类型错误"},
		{"MissingTitle", c1, good(`{"title":null}`), 400, "invalid", "标题为必填字段"},
		{"BlankTitle", c1, good(`{"title":"   "}`), 400, "invalid", "title"},
		{"TitleWrongType", c1, good(`{"title":12}`), 400, "invalid", "标题"},
		{"MissingSource", c1, good(`{"source":null}`), 400, "invalid", "来源"},
		{"BadSource", c1, good(`{"source":"twitter"}`), 400, "invalid", "source"},
		{"BadClass", c1, good(`{"class":"urgent"}`), 400, "invalid", "class"},
		{"MissingClassNoCatalogueItem", c1, good(`{"class":null}`), 400, "invalid", "请选择哨类 class（或给出带默认哨类的 catalogue_item）"},
		// No departments files the case pending (integration: TestAPIIntake).
		{"DepartmentsWrongType", c1, good(`{"department_ids":"s1-police"}`), 400, "invalid", "部门"},
		{"DuplicateDepartment", c1, good(`{"department_ids":["s1-police","s1-police"]}`), 400, "invalid", "s1-police"},
		{"UnknownDepartment", c1, good(`{"department_ids":["nope"]}`), 400, "invalid", "nope"},
		{"UnknownCatalogueItem", c1, good(`{"catalogue_item":"nope"}`), 400, "invalid", "catalogue_item"},
		{"MissingLocation", c1, good(`{"location":null}`), 400, "invalid", "地址"},
		{"LatOutOfRange", c1, good(`{"location":{"address":"x","lat":91,"lon":0}}`), 400, "invalid", "纬度"},
		{"LatMissing", c1, good(`{"location":{"address":"x","lon":0}}`), 400, "invalid", "lat"},
		{"LonMissing", c1, good(`{"location":{"address":"x","lat":39.9}}`), 400, "invalid", "location.lat 与 location.lon 须同时给出"},
		{"LatNull", c1, good(`{"location":{"address":"x","lat":null,"lon":116.4}}`), 400, "invalid", "location.lat 与 location.lon"},
		{"OutsideCity", c1, good(`{"location":{"address":"外滩","lat":31.24,"lon":121.49}}`), 400, "invalid", "不在本市范围内"},
		{"LatLonSwapped", c1, good(`{"location":{"address":"x","lat":39.9,"lon":39.9}}`), 400, "invalid", "不在本市范围内"},
		{"NullIsland", c1, good(`{"location":{"address":"x","lat":0,"lon":0}}`), 400, "invalid", "不在本市范围内"},
		{"AddressOnlyButBlank", c1, good(`{"location":{"lat":39.9,"lon":116.4}}`), 400, "invalid", "地址"},
		{"Oversized", c1, good(`{"description":"` + strings.Repeat("长", 3000) + `"}`), 400, "invalid", "过大"},
		{"OutsideJurisdictionDepartment", c1, good(`{"department_ids":["s2-police"]}`), 403, "forbidden", ""},
		{"DistrictBureauFromCommunity", c1, good(`{"department_ids":["d1-police"]}`), 403, "forbidden", ""},
		{"ClerkCannotFile", clerk, good(""), 403, "forbidden", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.tok, "POST", "/api/v1/cases", tt.body)
			if r.status != tt.status || errCode(r) != tt.code {
				t.Fatalf("got %d %s (%q), want %d %s", r.status, errCode(r), errMessage(r), tt.status, tt.code)
			}
			if !strings.Contains(errMessage(r), tt.mentions) {
				t.Errorf("message %q does not mention %q", errMessage(r), tt.mentions)
			}
		})
	}
	var n int64
	st.DB.Model(&store.CaseRow{}).Count(&n)
	if n != 0 {
		t.Errorf("%d cases written by refused requests", n)
	}
}
