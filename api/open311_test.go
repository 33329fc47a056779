package api_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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
		// Issue 12: anonymous reads are public (every case, public fields);
		// a bad bearer token still fails rather than falling back.
		{"NoTokenPublic", "", "", 200, "SB-O311-3,SB-O311-2,SB-O311-1"},
		{"PublicServiceCodes", "", "?service_code=stalls,noise&status=open", 200, "SB-O311-3,SB-O311-1"},
		{"ServiceCodes", c1, "?service_code=stalls,noise", 200, "SB-O311-2,SB-O311-1"},
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
		{"NoTokenPublic", "", "/open311/v2/requests/SB-O311-1.json", 200},
		{"PublicUnknown", "", "/open311/v2/requests/NOPE.json", 404},
		{"PublicToken", "", "/open311/v2/tokens/SB-O311-1.json", 200},
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
		// Issue 12: the spec's api_key, 403 when missing or bad; a staff
		// token is not an api_key.
		{"NoAPIKey", "", formType, form(), 403, "api_key"},
		{"BadAPIKey", "", formType, form("api_key", "o311_nope"), 403, "api_key"},
		{"StaffTokenAsAPIKey", "", formType, form("api_key", c1), 403, "api_key"},
		{"LatWithoutLong", c1, formType, form("long", ""), 400, "long"},
		{"NoLocation", c1, formType, form("lat", "", "long", ""), 400, "address_string"},
		{"MissingServiceCode", c1, formType, form("service_code", ""), 400, "service_code"},
		{"UnknownService", c1, formType, form("service_code", "nope"), 404, "service_code"},
		{"InactiveService", c1, formType, form("service_code", "garbage"), 404, "停用"},
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

// raw311 sends a request and returns the status, content type and body.
func raw311(t *testing.T, srv *httptest.Server, tok, method, path, contentType, body string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), raw
}

// xmlNode is any XML element, for checking the spec's shapes.
type xmlNode struct {
	XMLName  xml.Name
	Content  string    `xml:",chardata"`
	Children []xmlNode `xml:",any"`
}

// path returns the text of the first element at the slash-separated path
// below n ("request/status"), and whether there is one.
func (n xmlNode) path(p string) (string, bool) {
	first, rest, more := strings.Cut(p, "/")
	for _, c := range n.Children {
		if c.XMLName.Local == first {
			if !more {
				return c.Content, true
			}
			return c.path(rest)
		}
	}
	return "", false
}

// newOpen311Client issues an api_key through the admin route.
func newOpen311Client(t *testing.T, srv *httptest.Server, admin, userID string) (id, key string) {
	t.Helper()
	status, _, raw := raw311(t, srv, admin, "POST", "/api/v1/admin/open311-clients", "application/json", `{"name":"居民 App","user_id":"`+userID+`"}`)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || status != 201 {
		t.Fatalf("create open311 client = %d %s", status, raw)
	}
	id, _ = m["id"].(string)
	key, _ = m["api_key"].(string)
	if id == "" || !strings.HasPrefix(key, "o311_") {
		t.Fatalf("create open311 client = %s", raw)
	}
	return id, key
}

// TestOpen311Conformance walks every route of GeoReport v2 in both of the
// spec's formats, its error cases in both, and checks that a public read
// shows no personal data. Filing itself needs the workflow: the
// integration test files through an api_key end to end.
func TestOpen311Conformance(t *testing.T) {
	srv, st := newServer(t)
	projectCase(t, st, "SB-O311-PUB", "noise", whistle.CaseOpen)
	// Personal data in every place a case keeps it: the filer, the title
	// (staff-written), a timeline note, a phone typed into the description.
	st.DB.Model(&store.CaseRow{}).Where("id = ?", "SB-O311-PUB").Updates(map[string]any{
		"title": "张三反映酒吧街噪音", "description": "夜间噪音，联系 13800138000"})
	st.DB.Create(&store.TimelineRow{CaseID: "SB-O311-PUB", Seq: 3, At: time.Now().UTC(), Type: "note", Actor: "c1-secretary", Detail: "内部备注：张三 13900139000"})
	admin, c1 := token(t, st, "admin"), token(t, st, "c1-secretary")
	_, key := newOpen311Client(t, srv, admin, "u-c1-secretary")
	revokedID, revoked := newOpen311Client(t, srv, admin, "u-c1-secretary")
	if status, _, raw := raw311(t, srv, admin, "DELETE", "/api/v1/admin/open311-clients/"+revokedID, "", ""); status != 204 {
		t.Fatalf("revoke = %d %s", status, raw)
	}
	const form = "application/x-www-form-urlencoded"
	post := func(kv ...string) string {
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
	tests := []struct {
		name, tok, method, path, contentType, body string
		status                                     int
		// root is the XML root element (XML routes); first the JSON
		// array's first item field that must be present (JSON routes).
		root, first string
	}{
		{"Discovery", "", "GET", "/open311/discovery", "", "", 200, "discovery", ""},
		{"Services", "", "GET", "/open311/v2/services", "", "", 200, "services", "service_code"},
		{"ServiceDefinition", "", "GET", "/open311/v2/services/noise", "", "", 200, "service_definition", ""},
		{"Requests", "", "GET", "/open311/v2/requests", "", "", 200, "service_requests", "service_request_id"},
		{"RequestsByServiceCodes", "", "GET", "/open311/v2/requests", "", "", 200, "service_requests", "service_request_id"},
		{"Request", "", "GET", "/open311/v2/requests/SB-O311-PUB", "", "", 200, "service_requests", "service_request_id"},
		{"RequestStaff", c1, "GET", "/open311/v2/requests/SB-O311-PUB", "", "", 200, "service_requests", "title"},
		{"Token", "", "GET", "/open311/v2/tokens/SB-O311-PUB", "", "", 200, "service_requests", "token"},
		// The spec's errors.
		{"UnknownService", "", "GET", "/open311/v2/services/nope", "", "", 404, "errors", ""},
		{"UnknownRequest", "", "GET", "/open311/v2/requests/NOPE", "", "", 404, "errors", ""},
		{"UnknownToken", "", "GET", "/open311/v2/tokens/NOPE", "", "", 404, "errors", ""},
		{"BadStatus", "", "GET", "/open311/v2/requests", "", "?status=pending", 400, "errors", ""},
		{"PostNoKey", "", "POST", "/open311/v2/requests", form, post(), 403, "errors", ""},
		{"PostBadKey", "", "POST", "/open311/v2/requests", form, post("api_key", "o311_nope"), 403, "errors", ""},
		{"PostRevokedKey", "", "POST", "/open311/v2/requests", form, post("api_key", revoked), 403, "errors", ""},
		{"PostUnknownService", "", "POST", "/open311/v2/requests", form, post("api_key", key, "service_code", "nope"), 404, "errors", ""},
		{"PostMissingServiceCode", "", "POST", "/open311/v2/requests", form, post("api_key", key, "service_code", ""), 400, "errors", ""},
		{"PostNoLocation", "", "POST", "/open311/v2/requests", form, post("api_key", key, "lat", "", "long", ""), 400, "errors", ""},
	}
	for _, tt := range tests {
		for _, format := range []string{"json", "xml"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				path, query := tt.path+"."+format, ""
				body := tt.body
				if strings.HasPrefix(tt.body, "?") {
					query, body = tt.body, ""
				}
				if tt.name == "RequestsByServiceCodes" {
					query = "?service_code=stalls,noise"
				}
				status, ctype, raw := raw311(t, srv, tt.tok, tt.method, path+query, tt.contentType, body)
				if status != tt.status {
					t.Fatalf("%s %s = %d, want %d: %s", tt.method, path, status, tt.status, raw)
				}
				if format == "xml" {
					if !strings.HasPrefix(ctype, "text/xml") || !strings.HasPrefix(string(raw), `<?xml version="1.0" encoding="UTF-8"?>`) {
						t.Fatalf("not the spec's XML (%s): %s", ctype, raw)
					}
					var root xmlNode
					if err := xml.Unmarshal(raw, &root); err != nil {
						t.Fatalf("XML does not parse: %v: %s", err, raw)
					}
					if root.XMLName.Local != tt.root {
						t.Fatalf("root <%s>, want <%s>: %s", root.XMLName.Local, tt.root, raw)
					}
					if tt.root == "errors" {
						if code, _ := root.path("error/code"); code != strconv.Itoa(status) {
							t.Errorf("<error><code> = %q, want %d: %s", code, status, raw)
						}
						if d, ok := root.path("error/description"); !ok || d == "" {
							t.Errorf("no <error><description>: %s", raw)
						}
					}
					if tt.first != "" {
						child := map[string]string{"services": "service", "service_requests": "request"}[tt.root]
						if _, ok := root.path(child + "/" + tt.first); !ok {
							t.Errorf("no <%s><%s>: %s", child, tt.first, raw)
						}
					}
					return
				}
				if !strings.HasPrefix(ctype, "application/json") {
					t.Fatalf("content type %s", ctype)
				}
				if status >= 400 {
					var errs []map[string]any
					if err := json.Unmarshal(raw, &errs); err != nil || len(errs) != 1 || errs[0]["code"] != float64(status) || errs[0]["description"] == "" {
						t.Fatalf("not the spec's error array: %s", raw)
					}
				}
				if tt.first != "" {
					var items []map[string]any
					if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 || items[0][tt.first] == nil {
						t.Fatalf("no %s in the first item: %s", tt.first, raw)
					}
				}
			})
		}
	}

	// A public read shows the public fields and no personal data, in
	// either format; the staff view shows the title.
	for _, path := range []string{"/open311/v2/requests/SB-O311-PUB.json", "/open311/v2/requests/SB-O311-PUB.xml", "/open311/v2/requests.json", "/open311/v2/requests.xml"} {
		_, _, raw := raw311(t, srv, "", "GET", path, "", "")
		for _, personal := range []string{"c1-secretary", "u-c1-secretary", "张三", "13800138000", "13900139000", "内部备注", "title", "filed_by"} {
			if strings.Contains(string(raw), personal) {
				t.Errorf("public %s shows %q: %s", path, personal, raw)
			}
		}
		for _, public := range []string{"SB-O311-PUB", "noise", "和平里1号", "和平派出所", "138****8000", "39.9", "116.4"} {
			if !strings.Contains(string(raw), public) {
				t.Errorf("public %s lacks %q: %s", path, public, raw)
			}
		}
	}
	_, _, staffView := raw311(t, srv, c1, "GET", "/open311/v2/requests/SB-O311-PUB.json", "", "")
	if !strings.Contains(string(staffView), "张三反映酒吧街噪音") {
		t.Errorf("the staff view lacks the title: %s", staffView)
	}

	// Discovery names the v2 endpoint and both formats.
	_, _, disc := raw311(t, srv, "", "GET", "/open311/discovery.json", "", "")
	if !strings.Contains(string(disc), `"url":"`+srv.URL+`/open311/v2"`) || !strings.Contains(string(disc), "text/xml") || !strings.Contains(string(disc), "GeoReport_v2") {
		t.Errorf("discovery = %s", disc)
	}
	var n int64
	st.DB.Model(&store.CaseRow{}).Count(&n)
	if n != 1 {
		t.Errorf("%d cases after refused filings, want 1", n)
	}
}

// TestOpen311Clients: only an admin issues, lists and revokes client
// keys; the key is shown once; revoking twice changes nothing.
func TestOpen311Clients(t *testing.T) {
	srv, st := newServer(t)
	admin, c1, sup := token(t, st, "admin"), token(t, st, "c1-secretary"), token(t, st, "d1-supervisor")
	id, key := newOpen311Client(t, srv, admin, "u-c1-secretary")
	for _, tt := range []struct {
		name, tok, method, path, body string
		status                        int
	}{
		{"ListNoToken", "", "GET", "/api/v1/admin/open311-clients", "", 401},
		{"ListSecretary", c1, "GET", "/api/v1/admin/open311-clients", "", 403},
		{"CreateSupervisor", sup, "POST", "/api/v1/admin/open311-clients", `{"name":"x","user_id":"u-c1-secretary"}`, 403},
		{"RevokeSecretary", c1, "DELETE", "/api/v1/admin/open311-clients/" + id, "", 403},
		{"CreateUnknownUser", admin, "POST", "/api/v1/admin/open311-clients", `{"name":"x","user_id":"nope"}`, 400},
		{"CreateNoName", admin, "POST", "/api/v1/admin/open311-clients", `{"user_id":"u-c1-secretary"}`, 400},
		{"CreateUnknownField", admin, "POST", "/api/v1/admin/open311-clients", `{"name":"x","user_id":"u-c1-secretary","key":"mine"}`, 400},
		{"RevokeUnknown", admin, "DELETE", "/api/v1/admin/open311-clients/nope", "", 404},
		{"Revoke", admin, "DELETE", "/api/v1/admin/open311-clients/" + id, "", 204},
		{"RevokeAgain", admin, "DELETE", "/api/v1/admin/open311-clients/" + id, "", 204},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ct := ""
			if tt.body != "" {
				ct = "application/json"
			}
			if status, _, raw := raw311(t, srv, tt.tok, tt.method, tt.path, ct, tt.body); status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, raw)
			}
		})
	}
	status, _, raw := raw311(t, srv, admin, "GET", "/api/v1/admin/open311-clients", "", "")
	if status != 200 || strings.Contains(string(raw), key) || strings.Contains(string(raw), "api_key") || !strings.Contains(string(raw), `"revoked_at"`) {
		t.Errorf("list = %d %s", status, raw)
	}
	if _, _, err := st.Open311ClientByKey(context.Background(), key); err == nil {
		t.Error("a revoked key still signs in")
	}
}

// TestOpen311Outcomes: a case closed without being resolved shows as
// closed with its outcome in status_notes (不予受理 and the reason; 已并入
// and the survivor's number) rather than a bare "已结案"; a case filed by
// address alone shows no lat and long.
func TestOpen311Outcomes(t *testing.T) {
	srv, st := newServer(t)
	ctx := context.Background()
	projectCase(t, st, "SB-O311-SURV", "noise", whistle.CaseOpen)
	projectCase(t, st, "SB-O311-DONE", "noise", whistle.CaseClosed)
	// update projects the next version of a case, as the workflow would.
	update := func(id, event string, edit func(*whistle.Case)) {
		t.Helper()
		c, err := st.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		c.Seq, c.UpdatedAt = c.Seq+1, now
		edit(&c)
		if err := st.ApplyCase(ctx, c, []whistle.TimelineEntry{{Seq: c.Seq, At: now, Type: event, Actor: "system"}}); err != nil {
			t.Fatal(err)
		}
	}
	closeAs := func(id string, edit func(*whistle.Case)) {
		t.Helper()
		update(id, whistle.EventClosed, func(c *whistle.Case) {
			now := time.Now().UTC()
			c.Status, c.ClosedAt = whistle.CaseClosed, &now
			edit(c)
		})
	}
	number := func(id, n string) {
		t.Helper()
		if err := st.DB.Model(&store.CaseRow{}).Where("id = ?", id).Update("number", n).Error; err != nil {
			t.Fatal(err)
		}
	}
	projectCase(t, st, "SB-O311-REJ", "noise", whistle.CaseOpen)
	closeAs("SB-O311-REJ", func(c *whistle.Case) {
		c.Outcome, c.RejectReason = whistle.OutcomeRejected, "不属于政府职能，请拨打 13812345678 联系物业"
	})
	projectCase(t, st, "SB-O311-BARE", "noise", whistle.CaseOpen)
	closeAs("SB-O311-BARE", func(c *whistle.Case) { c.Outcome = whistle.OutcomeRejected })
	projectCase(t, st, "SB-O311-MRG", "noise", whistle.CaseOpen)
	closeAs("SB-O311-MRG", func(c *whistle.Case) { c.Outcome, c.MergedInto = whistle.OutcomeMerged, "SB-O311-SURV" })
	number("SB-O311-SURV", "20261202-00042")
	projectCase(t, st, "SB-O311-OLD", "noise", whistle.CaseOpen)
	closeAs("SB-O311-OLD", func(c *whistle.Case) { c.Outcome, c.MergedInto = whistle.OutcomeMerged, "SB-GONE" })
	projectCase(t, st, "SB-O311-ADDR", "noise", whistle.CaseOpen)
	update("SB-O311-ADDR", whistle.EventSummoned, func(c *whistle.Case) { c.Location = whistle.Location{Address: "和平里东街"} })
	c1 := token(t, st, "c1-secretary")

	for _, tt := range []struct {
		name, tok, id, lang, status, notes string
	}{
		{"Rejected", c1, "SB-O311-REJ", "zh", "closed", "不予受理：不属于政府职能，请拨打 13812345678 联系物业"},
		{"RejectedPublicMasked", "", "SB-O311-REJ", "zh", "closed", "不予受理：不属于政府职能，请拨打 138****5678 联系物业"},
		{"RejectedEnglish", c1, "SB-O311-REJ", "en", "closed", "not accepted: 不属于政府职能，请拨打 13812345678 联系物业"},
		{"RejectedNoReason", "", "SB-O311-BARE", "zh", "closed", "不予受理"},
		{"MergedNamesSurvivorNumber", "", "SB-O311-MRG", "zh", "closed", "已并入 20261202-00042"},
		{"MergedEnglish", c1, "SB-O311-MRG", "en", "closed", "merged into 20261202-00042"},
		{"MergedSurvivorUnknown", "", "SB-O311-OLD", "zh", "closed", "已并入 SB-GONE"},
		{"Resolved", "", "SB-O311-DONE", "zh", "closed", "已结案"},
		{"Open", "", "SB-O311-SURV", "zh", "open", "部门办理中"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, rs := call311(t, srv, tt.tok, "GET", "/open311/v2/requests/"+tt.id+".json?lang="+tt.lang, "", "")
			if status != 200 || len(rs) != 1 {
				t.Fatalf("got %d %v", status, rs)
			}
			if rs[0]["status"] != tt.status || rs[0]["status_notes"] != tt.notes {
				t.Errorf("status %v, status_notes %q; want %s, %q", rs[0]["status"], rs[0]["status_notes"], tt.status, tt.notes)
			}
		})
	}
	t.Run("ListShowsOutcomes", func(t *testing.T) {
		status, rs := call311(t, srv, "", "GET", "/open311/v2/requests.json?status=closed", "", "")
		if status != 200 {
			t.Fatalf("got %d %v", status, rs)
		}
		notes := map[string]any{}
		for _, r := range rs {
			notes[r["service_request_id"].(string)] = r["status_notes"]
		}
		if notes["SB-O311-MRG"] != "已并入 20261202-00042" || notes["SB-O311-BARE"] != "不予受理" {
			t.Errorf("status_notes in the list = %v", notes)
		}
	})
	t.Run("AddressOnlyHasNoPoint", func(t *testing.T) {
		status, rs := call311(t, srv, "", "GET", "/open311/v2/requests/SB-O311-ADDR.json", "", "")
		if status != 200 || len(rs) != 1 {
			t.Fatalf("got %d %v", status, rs)
		}
		if _, ok := rs[0]["lat"]; ok || rs[0]["address"] != "和平里东街" {
			t.Errorf("address-only request = %v, want no lat/long", rs[0])
		}
		if _, ok := rs[0]["long"]; ok {
			t.Errorf("address-only request = %v, want no long", rs[0])
		}
	})
	t.Run("XML", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/open311/v2/requests/SB-O311-MRG.xml", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(raw), "<status_notes>已并入 20261202-00042</status_notes>") {
			t.Errorf("XML = %d %s", res.StatusCode, raw)
		}
	})
}
