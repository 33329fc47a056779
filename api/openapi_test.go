package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/api/openapitest"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// pendingRoutes are documented in openapi.json as the contract has them
// but not registered yet. Only these may be documented without a route;
// each one that gets registered must leave this list.
var pendingRoutes = map[string]string{}

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T { return openapitest.Load(t) }

var (
	ginParam      = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)
	open311Suffix = regexp.MustCompile(`(\{[A-Za-z0-9_]+\})\.(json|xml)$`)
)

// routeKey writes a gin route the way the document writes its path. A
// document path ending in "{param}.json" or "{param}.xml" is an Open311
// resource: gin's parameter takes the whole segment, suffix included, and
// the handler strips the format.
func routeKey(method, ginPath string) string {
	return strings.ToUpper(method) + " " + ginParam.ReplaceAllString(ginPath, "{$1}")
}

func docKey(method, docPath string) string {
	return strings.ToUpper(method) + " " + open311Suffix.ReplaceAllString(docPath, "$1")
}

// TestOpenAPICoversEveryRoute: every route the handler registers is in the
// document and every documented path and method is registered, except the
// named pendingRoutes.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	st := storetest.MustOpenSQLite(t)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{Store: st, Policy: pol}
	s.Handler()
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[routeKey(r.Method, r.Path)] = true
	}
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[docKey(method, path)] = true
		}
	}
	var missing, extra, pendingDone []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
		if _, ok := pendingRoutes[k]; ok {
			pendingDone = append(pendingDone, k)
		}
	}
	for k := range documented {
		if registered[k] {
			continue
		}
		if why, ok := pendingRoutes[k]; ok {
			fmt.Fprintf(os.Stderr, "WARNING: %s is documented but not registered yet (pending: %s)\n", k, why)
			continue
		}
		extra = append(extra, k)
	}
	for k := range pendingRoutes {
		if !documented[k] {
			t.Errorf("pending route %s is not in openapi.json: document it as the contract has it", k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(pendingDone)
	for _, k := range missing {
		t.Errorf("route %s is registered but not in api/openapi.json: document it", k)
	}
	for _, k := range extra {
		t.Errorf("api/openapi.json documents %s, which no route serves: register it, remove it, or (if it is coming) add it to pendingRoutes", k)
	}
	for _, k := range pendingDone {
		t.Errorf("%s is registered now: remove it from pendingRoutes", k)
	}
}

// TestOpenAPIServedWithoutToken: the document itself needs no token.
func TestOpenAPIServedWithoutToken(t *testing.T) {
	srv, _ := newServer(t)
	res, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !bytes.Equal(b, api.OpenAPI()) {
		t.Fatalf("GET /api/v1/openapi.json = %d %s (%d bytes)", res.StatusCode, res.Header.Get("Content-Type"), len(b))
	}
}

// contract checks real requests and answers against the strict copy of
// the document (openapitest.Strict): the request of every 2xx exchange
// must fit its documented parameters and body, and every answer its
// documented status and schema, with no undocumented field and every time
// in UTC.
type contract struct {
	t *testing.T
	k *openapitest.Contract
}

func newContract(t *testing.T, srv *httptest.Server) *contract {
	return &contract{t: t, k: openapitest.New(t, srv.URL)}
}

// do sends the request and checks the exchange; it returns the body.
func (k *contract) do(tok, method, path, contentType, body string, want int) []byte {
	k.t.Helper()
	status, got := k.k.Do(tok, method, path, contentType, body)
	if status != want {
		k.t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, got)
	}
	return got
}

// projectCase writes a case into the read model as the workflow would.
func projectCase(t *testing.T, st *store.Store, id, item string, status whistle.CaseStatus) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	community := "/110000/110101/110101001/110101001001/"
	c := whistle.Case{ID: id, Title: "酒吧街噪音", Description: "夜间噪音", Category: "治安秩序", CatalogueItem: item, Source: whistle.SourceResident,
		Class: whistle.ClassKey, Status: status, Location: whistle.At("和平里1号", 39.9, 116.4),
		OrgUnitID: "110101001001", OrgPath: community, Level: whistle.LevelCommunity, HolderOrgUnitID: "110101001001", HolderOrgPath: community,
		FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", CreatedAt: now, UpdatedAt: now, Seq: 2,
		Tasks: []whistle.Task{{ID: id + "-T1", CaseID: id, DepartmentID: "s1-police", DepartmentName: "和平派出所", Status: whistle.TaskSummoned,
			SummonedAt: now, SummonedBy: "c1-secretary", SummonedLevel: whistle.LevelCommunity,
			ReportDeadline: now.Add(2 * time.Hour), HandleDeadline: now.Add(72 * time.Hour)}},
	}
	entries := []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "c1-secretary"},
		{Seq: 2, At: now, Type: whistle.EventSummoned, Actor: "c1-secretary", TaskID: id + "-T1", DepartmentID: "s1-police"}}
	if err := st.ApplyCase(context.Background(), c, entries); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPIResponses: what the server answers, without Temporal, fits
// the document: reads of every kind, the admin writes, Open311 and errors.
func TestOpenAPIResponses(t *testing.T) {
	srv, st := newServer(t)
	k := newContract(t, srv)
	projectCase(t, st, "SB-OPENAPI-1", "noise", whistle.CaseOpen)
	// A closed case with every part (breach, escalation, evaluations,
	// feedback, an extension asked in Beijing time), so the lists of
	// supervision and the case itself answer every field they have.
	rich := closedDemoCase("SB-OPENAPI-2", thisMonth())
	rich.Tasks[0].Feedback = &whistle.Feedback{Result: "已劝导", Evidence: []string{"https://example.org/e/1.jpg"}, At: thisMonth().Add(5 * time.Hour), By: "s1-police"}
	rich.Tasks[0].Extension = &whistle.ExtensionRequest{Until: thisMonth().Add(96 * time.Hour), Reason: "等待配件", Status: whistle.ExtensionGranted,
		RequestedAt: thisMonth().Add(4 * time.Hour), RequestedBy: "s1-police", AnsweredAt: ptrTime(thisMonth().Add(4 * time.Hour)), AnsweredBy: "c1-secretary"}
	rich.Tasks[0].Extensions = 1
	for i := range rich.Tasks {
		rich.Tasks[i].SummonedLevel = whistle.LevelCommunity
	}
	if err := st.ApplyCase(context.Background(), rich, nil); err != nil {
		t.Fatal(err)
	}
	admin, c1, clerk, sup := token(t, st, "admin"), token(t, st, "c1-secretary"), token(t, st, "s1-police"), token(t, st, "d1-supervisor")
	const js = "application/json"

	k.do("", "GET", "/healthz", "", "", 200)
	k.do("", "GET", "/readyz", "", "", 503)
	k.do("", "GET", "/api/v1/openapi.json", "", "", 200)
	k.do(c1, "GET", "/api/v1/me", "", "", 200)
	k.do(clerk, "GET", "/api/v1/me", "", "", 200)
	k.do(c1, "GET", "/api/v1/departments", "", "", 200)
	k.do(c1, "GET", "/api/v1/departments?whistleable=true", "", "", 200)
	k.do(c1, "GET", "/api/v1/catalogue", "", "", 200)
	k.do(c1, "GET", "/api/v1/cases?status=open&page_size=5", "", "", 200)
	k.do(sup, "GET", "/api/v1/cases/SB-OPENAPI-1", "", "", 200)
	k.do(sup, "GET", "/api/v1/cases/SB-OPENAPI-2", "", "", 200)
	k.do(c1, "GET", "/api/v1/cases?status=closed", "", "", 200)
	k.do(clerk, "GET", "/api/v1/tasks", "", "", 200)
	k.do(clerk, "GET", "/api/v1/tasks?status=all", "", "", 200)

	// Errors: the envelope with each status.
	k.do("", "GET", "/api/v1/me", "", "", 401)
	k.do(c1, "GET", "/api/v1/tasks", "", "", 403)
	k.do(c1, "GET", "/api/v1/cases/NOPE", "", "", 404)
	k.do(c1, "GET", "/api/v1/cases?status=pending", "", "", 200) // the acceptance queue's status is a filter now
	k.do(c1, "GET", "/api/v1/cases?status=stalled", "", "", 400)
	k.do(c1, "POST", "/api/v1/cases", js, `{"title":`, 400)

	// Admin reads and writes.
	for _, p := range []string{"/api/v1/admin/sla-policies", "/api/v1/admin/org-units", "/api/v1/admin/org-units?format=tree&under=110101&depth=2",
		"/api/v1/admin/departments?active=true", "/api/v1/admin/users?role=clerk", "/api/v1/admin/users/u-c1-secretary/tokens",
		"/api/v1/admin/catalogue", "/api/v1/admin/calendar?year=2026", "/api/v1/admin/policy-rules"} {
		k.do(admin, "GET", p, "", "", 200)
	}
	k.do(admin, "PUT", "/api/v1/admin/sla-policies/key", js, `{"level":"street","report_within":"1h","handle_within":"2d"}`, 200)
	k.do(admin, "GET", "/api/v1/admin/intake-settings", "", "", 200)
	k.do(admin, "PUT", "/api/v1/admin/intake-settings/hotline", js, `{"accept_within":"1d"}`, 200)
	k.do(admin, "GET", "/api/v1/admin/intake-settings", "", "", 200)
	k.do(admin, "PUT", "/api/v1/admin/intake-settings/twitter", js, `{"accept_within":"1d"}`, 400)
	k.do(admin, "DELETE", "/api/v1/admin/sla-policies/key?level=street", "", "", 204)
	k.do(admin, "POST", "/api/v1/admin/org-units", js, `{"id":"110101001003","parent_id":"110101001","kind":"community","name":"新社区"}`, 201)
	k.do(admin, "PATCH", "/api/v1/admin/org-units/110101001003", js, `{"name":"新建社区","name_en":"New Community"}`, 200)
	k.do(admin, "DELETE", "/api/v1/admin/org-units/110101001003", "", "", 204)
	k.do(admin, "POST", "/api/v1/admin/departments", js, `{"id":"s1-housing","name":"和平房管所","kind":"housing","org_unit_id":"110101001","parent_id":"d1-housing"}`, 201)
	k.do(admin, "PATCH", "/api/v1/admin/departments/s1-housing", js, `{"active":false}`, 200)
	user := k.do(admin, "POST", "/api/v1/admin/users", js, `{"username":"s1-housing","display_name":"和平房管所内勤","role":"clerk","department_id":"d1-housing"}`, 201)
	id := jsonField(t, user, "id")
	k.do(admin, "PATCH", "/api/v1/admin/users/"+id, js, `{"display_name":"房管内勤"}`, 200)
	tok := k.do(admin, "POST", "/api/v1/admin/users/"+id+"/tokens", js, `{"name":"phone","ttl":"7d"}`, 201)
	k.do(admin, "DELETE", "/api/v1/admin/users/"+id+"/tokens/"+jsonField(t, tok, "id"), "", "", 204)
	k.do(admin, "POST", "/api/v1/admin/catalogue", js, `{"id":"leak","name":"管道漏水","category":"市政设施","default_class":"routine","department_kinds":["housing"],"levels":["community","street"]}`, 201)
	k.do(admin, "PATCH", "/api/v1/admin/catalogue/leak", js, `{"active":false}`, 200)
	k.do(admin, "PUT", "/api/v1/admin/calendar", js, `{"days":[{"date":"2027-02-20","kind":"workday","name":"春节调休上班"}]}`, 200)
	k.do(admin, "PUT", "/api/v1/admin/calendar/2027-02-21", js, `{"kind":"workday","name":"春节调休上班"}`, 200)
	k.do(admin, "DELETE", "/api/v1/admin/calendar/2027-02-21", "", "", 204)
	rule := k.do(admin, "POST", "/api/v1/admin/policy-rules", js, `{"role":"supervisor","action":"task:read","relation":"scope","name":"test:rule"}`, 201)
	k.do(admin, "DELETE", "/api/v1/admin/policy-rules/"+jsonField(t, rule, "id"), "", "", 204)
	k.do(admin, "POST", "/api/v1/admin/org-units", js, `{"id":"110101","parent_id":"110000","kind":"district","name":"重复"}`, 409)
	k.do(admin, "PATCH", "/api/v1/admin/users/nope", js, `{"active":false}`, 404)

	// Supervision.
	for _, p := range []string{"/api/v1/supervision/breaches?kind=report", "/api/v1/supervision/escalations?open=true", "/api/v1/supervision/rates?group=street",
		"/api/v1/supervision/assessments", "/api/v1/supervision/assessment-settings"} {
		k.do(sup, "GET", p, "", "", 200)
	}
	k.do(sup, "GET", "/api/v1/supervision/breaches?kind=late", "", "", 400)
	k.do(sup, "GET", "/api/v1/supervision/escalations?format=csv", "", "", 200)
	k.do(c1, "GET", "/api/v1/supervision/rates", "", "", 403)
	k.do(sup, "GET", "/api/v1/supervision/rates/cases?rate=satisfaction&part=denominator", "", "", 200)
	k.do(sup, "GET", "/api/v1/supervision/rates/cases?group=street&area=110101001&rate=response&part=numerator&format=csv", "", "", 200)
	k.do(sup, "GET", "/api/v1/supervision/rates/cases?rate=response", "", "", 400)
	k.do(c1, "GET", "/api/v1/supervision/rates/cases?rate=response&part=numerator", "", "", 403)
	k.do(admin, "PUT", "/api/v1/supervision/assessment-settings", js, `{"year":2026,"street_weight":0.4,"min_cases":1}`, 200)

	// The pages.
	k.do("", "GET", "/", "", "", 200)

	// Open311.
	k.do("", "GET", "/open311/v2/services.json", "", "", 200)
	k.do("", "GET", "/open311/v2/services/noise.json", "", "", 200)
	k.do("", "GET", "/open311/v2/services/nope.json", "", "", 404)
	k.do(c1, "GET", "/open311/v2/requests.json?status=open&service_code=noise", "", "", 200)
	k.do(c1, "GET", "/open311/v2/requests/SB-OPENAPI-1.json", "", "", 200)
	k.do(c1, "GET", "/open311/v2/tokens/SB-OPENAPI-1.json", "", "", 200)
	// Public reads (issue 12): without a token, the public view.
	k.do("", "GET", "/open311/v2/requests.json", "", "", 200)
	k.do("", "GET", "/open311/v2/requests/SB-OPENAPI-1.json", "", "", 200)
	k.do("", "GET", "/open311/discovery.json", "", "", 200)
	k.do("sb_nope", "GET", "/open311/v2/requests.json", "", "", 401)
	k.do("", "POST", "/open311/v2/requests.json", "application/x-www-form-urlencoded", "service_code=noise&lat=39.9&long=116.4&api_key=o311_nope", 403)
	k.do(admin, "GET", "/api/v1/admin/open311-clients", "", "", 200)
	client := k.do(admin, "POST", "/api/v1/admin/open311-clients", js, `{"name":"居民 App","user_id":"u-c1-secretary"}`, 201)
	k.do(admin, "DELETE", "/api/v1/admin/open311-clients/"+jsonField(t, client, "id"), "", "", 204)
	k.do(admin, "POST", "/api/v1/admin/open311-clients", js, `{"name":"x","user_id":"nope"}`, 400)
	// Outside the caller's jurisdiction a case is not found, as an unknown one.
	k.do(token(t, st, "c3-secretary"), "GET", "/open311/v2/requests/SB-OPENAPI-1.json", "", "", 404)
	k.do(c1, "POST", "/open311/v2/requests.json", "application/x-www-form-urlencoded", "service_code=noise&lat=abc", 400)
}

func ptrTime(t time.Time) *time.Time { return &t }

func jsonField(t *testing.T, body []byte, field string) string {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	switch v := m[field].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(int64(v))
	}
	t.Fatalf("no %s in %s", field, body)
	return ""
}
