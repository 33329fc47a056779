package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// post311 files an Open311 request as a form, with a bearer token or,
// when tok starts with "api_key=", in the form as Open311 has it.
func (a *apiEnv) post311(tok string, form url.Values, idemKey string) (int, []map[string]any) {
	a.t.Helper()
	if key, ok := strings.CutPrefix(tok, "api_key="); ok {
		form.Set("api_key", key)
		tok = ""
	}
	req, err := http.NewRequest("POST", a.srv.URL+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	return a.do311(req)
}

// get311 reads an Open311 route, anonymously when tok is "".
func (a *apiEnv) get311(tok, path string) (int, []map[string]any) {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.srv.URL+path, nil)
	require.NoError(a.t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return a.do311(req)
}

// open311Key issues an Open311 client application filing as username.
func (a *apiEnv) open311Key(username string) string {
	a.t.Helper()
	cl := a.must("admin", "POST", "/api/v1/admin/open311-clients", `{"name":"居民随手拍","user_id":"u-`+username+`"}`, 201)
	return cl["api_key"].(string)
}

func (a *apiEnv) do311(req *http.Request) (int, []map[string]any) {
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out []map[string]any
	require.NoError(a.t, json.Unmarshal(raw, &out), "%s %s → %d: not a JSON array: %s", req.Method, req.URL.Path, res.StatusCode, raw)
	require.NotEqual(a.t, 500, res.StatusCode, string(raw))
	return res.StatusCode, out
}

// TestOpen311FileAndTrack: a resident-facing client files through Open311
// without naming departments; the case whistles the nearest departments
// of the service's kinds the filer may summon (a community's street
// squads), follows the one filing path, and reads back as a request.
func TestOpen311FileAndTrack(t *testing.T) {
	a := newAPIEnv(t)
	form := url.Values{"service_code": {"stalls"}, "lat": {"39.95"}, "long": {"116.41"}, "address_string": {"和平里菜市场东门"},
		"description": {"早市摊贩占道经营，堵塞消防通道"}, "media_url": {"https://example.org/p/2.jpg"}}
	status, out := a.post311(a.token("c1-secretary"), form, "o311-1")
	require.Equal(t, 201, status, out)
	id := out[0]["service_request_id"].(string)
	require.NotContains(t, out[0], "token", "the spec's answer carries service_request_id or token, not both")
	require.NotEmpty(t, out[0]["service_notice"])

	c := a.getCase(id)
	require.Equal(t, "stalls", c["catalogue_item"])
	require.Equal(t, "routine", c["class"], "the catalogue item's default class")
	require.Equal(t, "resident", c["source"])
	require.Equal(t, "市容环境", c["category"])
	require.Contains(t, c["title"], "占道经营")
	require.Contains(t, c["description"], "https://example.org/p/2.jpg")
	var depts []string
	for _, raw := range c["tasks"].([]any) {
		depts = append(depts, raw.(map[string]any)["department_id"].(string))
	}
	require.ElementsMatch(t, []string{"s1-citymgmt", "s1-market"}, depts, "the street squads of the service's kinds")

	// The same Idempotency-Key files nothing twice.
	status, again := a.post311(a.token("c1-secretary"), form, "o311-1")
	require.Equal(t, 201, status, again)
	require.Equal(t, id, again[0]["service_request_id"])
	// A staff token is not an api_key (issue 12).
	status, _ = a.post311("api_key="+a.token("c1-secretary"), form, "")
	require.Equal(t, 403, status)

	// Named departments and attributes are used as given.
	named := url.Values{"service_code": {"noise"}, "lat": {"39.95"}, "long": {"116.41"}, "description": {"夜间施工"},
		"attribute[department_ids]": {"s1-police"}, "attribute[class]": {"routine"}, "attribute[source]": {"hotline"}, "attribute[title]": {"夜间施工噪音"}}
	status, out = a.post311(a.token("c1-secretary"), named, "")
	require.Equal(t, 201, status, out)
	c2 := a.getCase(out[0]["service_request_id"].(string))
	require.Equal(t, "夜间施工噪音", c2["title"])
	require.Equal(t, "hotline", c2["source"])
	require.Equal(t, "routine", c2["class"])
	require.Len(t, c2["tasks"], 1)

	// Read back through Open311, in and out of jurisdiction.
	status, rs := a.get311(a.token("s1-secretary"), "/open311/v2/requests/"+id+".json")
	require.Equal(t, 200, status, rs)
	require.Equal(t, "open", rs[0]["status"])
	require.Equal(t, "stalls", rs[0]["service_code"])
	require.Equal(t, "和平里菜市场东门", rs[0]["address"])
	require.Contains(t, rs[0]["agency_responsible"], "和平城管执法队")
	require.NotEmpty(t, rs[0]["expected_datetime"])
	require.Equal(t, "https://example.org/p/2.jpg", rs[0]["media_url"], "media_url kept and returned")
	require.Equal(t, "早市摊贩占道经营，堵塞消防通道", rs[0]["description"])
	status, rs = a.get311(a.token("c1-secretary"), "/open311/v2/requests.json?service_code=stalls&status=open")
	require.Equal(t, 200, status, rs)
	require.Len(t, rs, 1)
	status, _ = a.get311(a.token("c3-secretary"), "/open311/v2/requests/"+id+".json")
	require.Equal(t, 404, status, "outside the jurisdiction reads like an unknown id")
	status, rs = a.get311(a.token("c3-secretary"), "/open311/v2/requests.json")
	require.Equal(t, 200, status)
	require.Empty(t, rs)
	status, rs = a.get311(a.token("s1-market"), "/open311/v2/tokens/"+id+".json")
	require.Equal(t, 200, status, rs)
	require.Equal(t, id, rs[0]["service_request_id"])
}

// TestOpen311ResidentFiling: a resident app files with its admin-issued
// api_key, by address alone, and the report arrives as a pending case in
// the command centre's acceptance queue; anyone reads it back, in JSON and
// XML, with public fields only; a revoked key files nothing.
func TestOpen311ResidentFiling(t *testing.T) {
	a := newAPIEnv(t)
	key := a.open311Key("c1-secretary")
	form := url.Values{"service_code": {"noise"}, "address_string": {"和平里北街 7 号"}, "description": {"楼下酒吧深夜噪音，电话 13800138000"},
		"media_url": {"https://example.org/p/9.jpg"}, "first_name": {"三"}, "last_name": {"张"}, "phone": {"13800138000"}, "email": {"z@example.org"}}
	status, out := a.post311("api_key="+key, form, "")
	require.Equal(t, 201, status, out)
	id := out[0]["service_request_id"].(string)
	require.Contains(t, out[0]["service_notice"], "待受理")

	c := a.getCase(id)
	require.Equal(t, "pending", c["status"], "a resident's report waits for acceptance")
	require.Empty(t, c["tasks"])
	require.Equal(t, "和平里北街 7 号", c["location"].(map[string]any)["address"])

	// Public reads: no credentials, no personal data, no coordinates
	// invented for an address-only report.
	for _, path := range []string{"/open311/v2/requests/" + id + ".json", "/open311/v2/requests.json?service_code=noise,stalls"} {
		status, rs := a.get311("", path)
		require.Equal(t, 200, status, rs)
		require.Len(t, rs, 1)
		r := rs[0]
		require.Equal(t, "open", r["status"])
		require.Equal(t, "已收到，待受理", r["status_notes"])
		require.Equal(t, "noise", r["service_code"])
		require.Equal(t, "https://example.org/p/9.jpg", r["media_url"])
		require.NotContains(t, r, "lat")
		require.NotContains(t, r, "title")
		raw, _ := json.Marshal(r)
		for _, personal := range []string{"13800138000", "张", "z@example.org", "c1-secretary"} {
			require.NotContains(t, string(raw), personal)
		}
	}
	res, err := http.Get(a.srv.URL + "/open311/v2/requests/" + id + ".xml")
	require.NoError(t, err)
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, string(raw))
	require.Contains(t, string(raw), "<service_requests><request><service_request_id>"+id+"</service_request_id>")
	require.NotContains(t, string(raw), "13800138000")

	// Filing in XML answers the spec's XML.
	xmlForm := url.Values{"api_key": {key}, "service_code": {"stalls"}, "lat": {"39.95"}, "long": {"116.41"}, "description": {"占道经营"}}
	res, err = http.Post(a.srv.URL+"/open311/v2/requests.xml", "application/x-www-form-urlencoded", strings.NewReader(xmlForm.Encode()))
	require.NoError(t, err)
	raw, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 201, res.StatusCode, string(raw))
	require.Contains(t, string(raw), "<service_requests><request><service_request_id>SB")

	// A revoked key files nothing.
	list := a.must("admin", "GET", "/api/v1/admin/open311-clients", "", 200)
	clientID := list["items"].([]any)[0].(map[string]any)["id"].(string)
	a.must("admin", "DELETE", "/api/v1/admin/open311-clients/"+clientID, "", 204)
	status, out = a.post311("api_key="+key, form, "")
	require.Equal(t, 403, status, out)
}

// TestAdminSetupThenFile: what an admin sets up through the API works end
// to end: a new community with a secretary signs in with an API-issued
// token and files a case; a deactivated department can no longer be
// summoned; a level's own SLA row sets the clocks of departments summoned
// after it and its deletion restores the class's row.
func TestAdminSetupThenFile(t *testing.T) {
	a := newAPIEnv(t)
	a.must("admin", "POST", "/api/v1/admin/org-units", `{"id":"110101001003","parent_id":"110101001","kind":"community","name":"和平新村社区"}`, 201)
	u := a.must("admin", "POST", "/api/v1/admin/users", `{"username":"c5-secretary","display_name":"和平新村社区书记","role":"community_secretary","org_unit_id":"110101001003"}`, 201)
	tok := a.must("admin", "POST", "/api/v1/admin/users/"+u["id"].(string)+"/tokens", `{"name":"test","ttl":"1d"}`, 201)
	a.tokens["c5-secretary"] = tok["token"].(string)
	// The new community has no polygon yet: its secretary files by address
	// (a point would fall in 和平里's grid, which is not theirs).
	c5Body := strings.Replace(jointBody, `"location":{"address":"和平里酒吧街 12 号","lat":39.95,"lon":116.41,"grid_id":"110101001001001"}`, `"location":{"address":"和平新村 1 号"}`, 1)
	c := a.must("c5-secretary", "POST", "/api/v1/cases", c5Body, 201)
	require.Equal(t, "110101001003", c["org_unit_id"])

	a.must("admin", "PATCH", "/api/v1/admin/departments/s1-market", `{"active":false}`, 200)
	r := a.call("c5-secretary", "POST", "/api/v1/cases", strings.Replace(c5Body, `"s1-police","s1-citymgmt"`, `"s1-market"`, 1))
	require.Equal(t, 400, r.Status, r.Raw)
	require.Contains(t, r.message(), "停用")
	r = a.call("c5-secretary", "POST", "/api/v1/cases/"+c["id"].(string)+"/whistle", `{"department_ids":["s1-market"]}`)
	require.Equal(t, 400, r.Status, r.Raw)

	// Emergency clocks (this env's class row: 1s to report): the
	// community's own row, then, deleted, the class's row again.
	a.must("admin", "PUT", "/api/v1/admin/sla-policies/emergency", `{"level":"community","report_within":"5m","handle_within":"1h"}`, 200)
	body := strings.Replace(c5Body, `"class":"routine"`, `"class":"emergency"`, 1)
	require.Equal(t, 5*time.Minute, reportWithin(t, a.must("c5-secretary", "POST", "/api/v1/cases", body, 201)))
	a.must("admin", "DELETE", "/api/v1/admin/sla-policies/emergency?level=community", "", 204)
	require.Equal(t, time.Second, reportWithin(t, a.must("c5-secretary", "POST", "/api/v1/cases", body, 201)))

	// Deactivating the user revokes the API-issued token.
	a.must("admin", "PATCH", "/api/v1/admin/users/"+u["id"].(string), `{"active":false}`, 200)
	r = a.call("c5-secretary", "GET", "/api/v1/me", "")
	require.Equal(t, 401, r.Status, r.Raw)
}

// reportWithin is the report clock of a case's first task.
func reportWithin(t *testing.T, c map[string]any) time.Duration {
	task := c["tasks"].([]any)[0].(map[string]any)
	from, err := time.Parse(time.RFC3339Nano, task["summoned_at"].(string))
	require.NoError(t, err)
	to, err := time.Parse(time.RFC3339Nano, task["report_deadline"].(string))
	require.NoError(t, err)
	return to.Sub(from).Round(time.Millisecond)
}
