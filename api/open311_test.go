package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// call311 sends an Open311 request and decodes the JSON array it answers.
func call311(t *testing.T, srv *httptest.Server, tok, method, path, contentType, body string, headers ...string) (int, []map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s → %d: not a JSON array: %s", method, path, res.StatusCode, raw)
	}
	if res.StatusCode >= 400 {
		if len(out) != 1 || out[0]["code"] != float64(res.StatusCode) || out[0]["description"] == "" {
			t.Fatalf("%s %s → %d: not Open311's error array: %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

func TestOpen311Services(t *testing.T) {
	srv, st := newServer(t)
	off := false
	if _, err := st.UpdateCatalogueItem(context.Background(), "garbage", store.CatalogueChange{Active: &off}); err != nil {
		t.Fatal(err)
	}
	status, services := call311(t, srv, "", "GET", "/open311/v2/services.json", "", "")
	if status != 200 {
		t.Fatalf("services.json = %d", status)
	}
	byCode := map[string]map[string]any{}
	for _, s := range services {
		byCode[s["service_code"].(string)] = s
	}
	noise := byCode["noise"]
	if noise == nil || noise["service_name"] != "噪音扰民" || noise["group"] != "治安秩序" || noise["type"] != "realtime" || noise["metadata"] != true ||
		!strings.Contains(noise["keywords"].(string), "police") {
		t.Errorf("noise = %v", noise)
	}
	if byCode["garbage"] != nil {
		t.Error("an inactive catalogue item is offered as a service")
	}
	_, en := call311(t, srv, "", "GET", "/open311/v2/services.json", "", "", "Accept-Language", "en")
	for _, s := range en {
		if s["service_code"] == "noise" && s["service_name"] != "Noise nuisance" {
			t.Errorf("English service name = %v", s["service_name"])
		}
	}

	// A service definition is an object, not an array.
	res, err := http.Get(srv.URL + "/open311/v2/services/noise.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		ServiceCode string `json:"service_code"`
		Attributes  []struct {
			Code, Datatype string
			Values         []struct{ Key string }
		} `json:"attributes"`
	}
	json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	codes := []string{}
	for _, a := range d.Attributes {
		codes = append(codes, a.Code)
		if a.Code == "class" && len(a.Values) != 4 {
			t.Errorf("class attribute values = %v", a.Values)
		}
	}
	if d.ServiceCode != "noise" || strings.Join(codes, ",") != "title,source,class,department_ids,grid_id" {
		t.Errorf("definition = %+v", d)
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/open311/v2/services/nope.json", 404},
		{"/open311/v2/services/garbage.json", 404},
		{"/open311/v2/services/noise.xml", 400},
		{"/open311/v2/services/noise", 404},
	} {
		if status, _ := call311(t, srv, "", "GET", tt.path, "", ""); status != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, status, tt.status)
		}
	}
}

func TestOpen311Requests(t *testing.T) {
	srv, st := newServer(t)
	projectCase(t, st, "SB-O311-1", "noise", whistle.CaseOpen)
	projectCase(t, st, "SB-O311-2", "stalls", whistle.CaseClosed)
	projectCaseAt(t, st, "SB-O311-3", "noise", "110102001001", "/110000/110102/110102001/110102001001/")
	c1, c3, clerk, d2 := token(t, st, "c1-secretary"), token(t, st, "c3-secretary"), token(t, st, "s1-police"), token(t, st, "d2-supervisor")
	ids := func(rs []map[string]any) string {
		var out []string
		for _, r := range rs {
			out = append(out, r["service_request_id"].(string))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name, tok, query string
		status           int
		want             string
	}{
		{"All", c1, "", 200, "SB-O311-2,SB-O311-1"},
		{"Open", c1, "?status=open", 200, "SB-O311-1"},
		{"Closed", c1, "?status=closed", 200, "SB-O311-2"},
		{"Both", c1, "?status=open,closed", 200, "SB-O311-2,SB-O311-1"},
		{"ServiceCode", c1, "?service_code=stalls", 200, "SB-O311-2"},
		{"ByID", c1, "?service_request_id=SB-O311-1,SB-O311-3", 200, "SB-O311-1"},
		{"Dates", c1, "?start_date=2000-01-01&end_date=2001-01-01", 200, ""},
		{"OtherJurisdiction", c3, "", 200, ""},
		{"OtherDistrict", d2, "", 200, "SB-O311-3"},
		{"ClerkOwnTasks", clerk, "?status=open", 200, "SB-O311-1"},
		{"BadStatus", c1, "?status=pending", 400, ""},
		{"BadStartDate", c1, "?start_date=yesterday", 400, ""},
		{"EndBeforeStart", c1, "?start_date=2026-02-01&end_date=2026-01-01", 400, ""},
		{"NoToken", "", "", 401, ""},
		{"BadToken", "sb_nope", "", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rs := call311(t, srv, tt.tok, "GET", "/open311/v2/requests.json"+tt.query, "", "")
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, rs)
			}
			if status == 200 && ids(rs) != tt.want {
				t.Errorf("requests = %s, want %s", ids(rs), tt.want)
			}
		})
	}

	status, rs := call311(t, srv, c1, "GET", "/open311/v2/requests/SB-O311-1.json", "", "")
	if status != 200 || len(rs) != 1 {
		t.Fatalf("one request = %d %v", status, rs)
	}
	r := rs[0]
	if r["status"] != "open" || r["service_code"] != "noise" || r["service_name"] != "噪音扰民" || r["agency_responsible"] != "和平派出所" ||
		r["lat"] != 39.9 || r["long"] != 116.4 || r["address"] != "和平里1号" || r["expected_datetime"] == nil ||
		!strings.HasSuffix(r["requested_datetime"].(string), "+08:00") {
		t.Errorf("request = %v", r)
	}
	for _, tt := range []struct {
		name, tok, path string
		status          int
	}{
		{"OutsideJurisdiction", c3, "/open311/v2/requests/SB-O311-1.json", 404}, // as unknown: existence is not revealed
		{"Unknown", c1, "/open311/v2/requests/NOPE.json", 404},
		{"XML", c1, "/open311/v2/requests/SB-O311-1.xml", 400},
		{"NoToken", "", "/open311/v2/requests/SB-O311-1.json", 401},
		{"Token", c1, "/open311/v2/tokens/SB-O311-1.json", 200},
		{"TokenOutsideJurisdiction", c3, "/open311/v2/tokens/SB-O311-1.json", 404},
		{"TokenUnknown", c1, "/open311/v2/tokens/NOPE.json", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, rs := call311(t, srv, tt.tok, "GET", tt.path, "", ""); status != tt.status {
				t.Errorf("status %d, want %d: %v", status, tt.status, rs)
			}
		})
	}
}

// TestOpen311FileBadInput: filing through Open311 refuses bad input with
// Open311's errors before any workflow starts (no Temporal behind this
// server) and writes no case.
func TestOpen311FileBadInput(t *testing.T) {
	srv, st := newServer(t)
	ctx := context.Background()
	if _, err := st.CreateCatalogueItem(ctx, store.CatalogueItem{ID: "smoke", Name: "油烟污染", Category: "环境", DefaultClass: "routine",
		DepartmentKinds: "ecology", Levels: "community,street"}); err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := st.UpdateCatalogueItem(ctx, "garbage", store.CatalogueChange{Active: &off}); err != nil {
		t.Fatal(err)
	}
	c1, clerk := token(t, st, "c1-secretary"), token(t, st, "s1-police")
	form := func(kv ...string) string {
		v := url.Values{"service_code": {"noise"}, "lat": {"39.9"}, "long": {"116.4"}, "description": {"夜间噪音"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v.Encode()
	}
	const formType, jsonType = "application/x-www-form-urlencoded", "application/json"
	tests := []struct {
		name, tok, contentType, body string
		status                       int
		mentions                     string
	}{
		{"NoToken", "", formType, form(), 401, "Bearer"},
		{"BadAPIKey", "", formType, form("api_key", "sb_nope"), 401, "令牌"},
		{"MissingServiceCode", c1, formType, form("service_code", ""), 400, "service_code"},
		{"UnknownService", c1, formType, form("service_code", "nope"), 400, "service_code"},
		{"InactiveService", c1, formType, form("service_code", "garbage"), 400, "停用"},
		{"MissingLat", c1, formType, form("lat", ""), 400, "lat"},
		{"LatNotANumber", c1, formType, form("lat", "north"), 400, "north"},
		{"LatOutOfRange", c1, formType, form("lat", "91"), 400, "lat"},
		{"BadMediaURL", c1, formType, form("media_url", "not a url"), 400, "media_url"},
		// Only absolute http(s) links: a case's readers click them.
		{"MediaURLJavascript", c1, formType, form("media_url", "javascript:alert(document.cookie)"), 400, "media_url"},
		{"MediaURLJavascriptSlashes", c1, formType, form("media_url", "javascript://example.org/%0Aalert(1)"), 400, "media_url"},
		{"MediaURLData", c1, formType, form("media_url", "data:text/html,<script>alert(1)</script>"), 400, "media_url"},
		{"MediaURLFile", c1, formType, form("media_url", "file:///etc/passwd"), 400, "media_url"},
		{"MediaURLNoHost", c1, formType, form("media_url", "https:///p.jpg"), 400, "media_url"},
		{"MediaURLRelative", c1, formType, form("media_url", "/p/1.jpg"), 400, "media_url"},
		{"JSONMediaURLJavascript", c1, jsonType, `{"service_code":"noise","lat":39.9,"long":116.4,"media_url":"javascript:alert(1)"}`, 400, "media_url"},
		{"UnknownAttribute", c1, formType, form("attribute[colour]", "red"), 400, "colour"},
		{"BadSource", c1, formType, form("attribute[source]", "twitter"), 400, "source"},
		{"BadClass", c1, formType, form("attribute[class]", "urgent"), 400, "class"},
		{"UnknownDepartment", c1, formType, form("attribute[department_ids]", "nope"), 400, "nope"},
		{"DuplicateDepartment", c1, formType, form("attribute[department_ids]", "s1-police,s1-police"), 400, "s1-police"},
		{"TooManyDepartments", c1, formType, form("attribute[department_ids]", strings.Repeat("a,", 11)+"a"), 400, "department_ids"},
		{"TitleTooLong", c1, formType, form("attribute[title]", strings.Repeat("长", 201)), 400, "title"},
		{"NoDepartmentNearby", c1, formType, form("service_code", "smoke"), 400, "department_ids"},
		{"OutsideJurisdictionDepartment", c1, formType, form("attribute[department_ids]", "s2-police"), 403, "规则"},
		{"ClerkCannotFile", clerk, formType, form(), 403, "规则"},
		{"JSONMalformed", c1, jsonType, `{"service_code":`, 400, "JSON"},
		{"JSONMissingLong", c1, jsonType, `{"service_code":"noise","lat":39.9}`, 400, "long"},
		{"JSONUnknownAttribute", c1, jsonType, `{"service_code":"noise","lat":39.9,"long":116.4,"attribute":{"colour":"red"}}`, 400, "colour"},
		{"Oversized", c1, formType, form("description", strings.Repeat("x", 5000)), 400, "过大"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, errs := call311(t, srv, tt.tok, "POST", "/open311/v2/requests.json", tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, errs)
			}
			if d, _ := errs[0]["description"].(string); !strings.Contains(d, tt.mentions) {
				t.Errorf("description %q does not mention %q", d, tt.mentions)
			}
		})
	}
	var n int64
	st.DB.Model(&store.CaseRow{}).Count(&n)
	if n != 0 {
		t.Errorf("%d cases written by refused requests", n)
	}
}
