package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// absentTemporal stands in for the Temporal client behind the fuzzed
// server: a request that passes every check of the API reaches it, is
// counted, and is told the workflow does not exist (a 404). Any other
// method panics, which the fuzz target would see as a 5xx.
type absentTemporal struct {
	client.Client
	reached atomic.Int64
}

func (a *absentTemporal) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (a *absentTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	a.reached.Add(1)
	return nil, serviceerror.NewNotFound("workflow not found (fuzz: no Temporal)")
}

func (a *absentTemporal) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	a.reached.Add(1)
	return nil, serviceerror.NewNotFound("workflow not found (fuzz: no Temporal)")
}

// OperatorService answers that the namespace has the cases' search
// attributes, so filings get past the namespace check.
func (a *absentTemporal) OperatorService() operatorservice.OperatorServiceClient {
	return preparedNamespace{}
}

type preparedNamespace struct {
	operatorservice.OperatorServiceClient
}

func (preparedNamespace) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: workflows.SearchAttributes}, nil
}

// fuzzServer is the API on a real SQLite store with the demo city, the real
// policy and one open joint case (projected straight into the read model,
// so the action routes get past their lookups), with no Temporal behind it.
type fuzzServer struct {
	h        http.Handler
	st       *store.Store
	temporal *absentTemporal
	tokens   map[string]string
	caseID   string
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	st := storetest.MustOpenSQLite(tb)
	storetest.MustSeedDemo(tb, st)
	ctx := context.Background()
	pol, err := policy.New(ctx, st.DB)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fuzzServer{st: st, temporal: &absentTemporal{}, tokens: map[string]string{}, caseID: "SBFUZZ0000000001"}
	srv := &Server{Store: st, Temporal: f.temporal, Policy: pol, Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 8 << 10}
	f.h = srv.Handler()
	for _, name := range []string{"c1-secretary", "s1-police", "s1-citymgmt", "admin", "c3-secretary"} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			tb.Fatal(err)
		}
		if f.tokens[name], err = st.IssueToken(ctx, u.ID, "fuzz", time.Hour); err != nil {
			tb.Fatal(err)
		}
	}
	filer, err := st.UserByUsername(ctx, "c1-secretary")
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC()
	kase := whistle.Case{ID: f.caseID, Title: "fuzz", Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseOpen,
		OrgUnitID: filer.OrgUnitID, OrgPath: filer.OrgPath, Level: whistle.LevelCommunity, HolderOrgUnitID: filer.OrgUnitID, HolderOrgPath: filer.OrgPath,
		FiledBy: filer.Username, FiledByUserID: filer.ID, CreatedAt: now, UpdatedAt: now, Seq: 1}
	for i, dept := range []string{"s1-police", "s1-citymgmt"} {
		kase.Tasks = append(kase.Tasks, whistle.Task{ID: f.caseID + "-T" + string(rune('1'+i)), CaseID: f.caseID, DepartmentID: dept,
			Status: whistle.TaskSummoned, SummonedAt: now, SummonedBy: filer.Username, SummonedLevel: whistle.LevelCommunity,
			ReportDeadline: now.Add(24 * time.Hour), HandleDeadline: now.Add(7 * 24 * time.Hour)})
	}
	entries := []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: filer.Username}}
	if err := st.ApplyCase(ctx, kase, entries); err != nil {
		tb.Fatal(err)
	}
	return f
}

// serve sends one request and checks the promises of bad input: never a
// 5xx (and so never a panic, which the recovery turns into a 500), and on
// every 4xx the JSON envelope with a code and a message.
func (f *fuzzServer) serve(t *testing.T, user, method, path, body string) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s as %s with %q: %d %s", method, path, user, body, rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 {
		var env envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
			t.Fatalf("%s %s with %q: %d without the error envelope: %s", method, path, body, rec.Code, rec.Body.String())
		}
	}
	return rec.Code
}

// unchanged checks no request wrote a case, a task or a timeline entry:
// only the workflow writes the read model, and it never ran.
func (f *fuzzServer) unchanged(t *testing.T) {
	t.Helper()
	var cases, tasks, entries int64
	f.st.DB.Model(&store.CaseRow{}).Count(&cases)
	f.st.DB.Model(&store.TaskRow{}).Count(&tasks)
	f.st.DB.Model(&store.TimelineRow{}).Count(&entries)
	if cases != 1 || tasks != 2 || entries != 1 {
		t.Fatalf("the read model changed: %d cases, %d tasks, %d timeline entries", cases, tasks, entries)
	}
}

const fuzzGoodFiling = `{"title":"酒吧街夜间噪音扰民","description":"夜间噪音","category":"噪音扰民","source":"grid","class":"routine",` +
	`"department_ids":["s1-police","s1-citymgmt"],"location":{"address":"和平里酒吧街 12 号","lat":39.95,"lon":116.41,"grid_id":"110101001001001"}}`

// FuzzFileCase feeds arbitrary bodies to POST /api/v1/cases as a community
// secretary, a clerk and a secretary of another street. Run it with
//
//	go test -run '^$' -fuzz FuzzFileCase -fuzztime 60s ./api/
//
// Plain `go test` runs the seeds.
func FuzzFileCase(f *testing.F) {
	for _, seed := range []string{
		fuzzGoodFiling,
		strings.Replace(fuzzGoodFiling, `"class":"routine"`, `"class":"emergency"`, 1),
		strings.Replace(fuzzGoodFiling, `"class":"routine",`, `"catalogue_item":"noise",`, 1),
		strings.Replace(fuzzGoodFiling, `"s1-police","s1-citymgmt"`, `"s1-police","s1-police"`, 1),
		strings.Replace(fuzzGoodFiling, `"s1-police","s1-citymgmt"`, `"d1-police"`, 1),
		strings.Replace(fuzzGoodFiling, `"lat":39.95`, `"lat":1e400`, 1),
		strings.Replace(fuzzGoodFiling, `"lat":39.95`, `"lat":-91`, 1),
		strings.Replace(fuzzGoodFiling, `"title":"酒吧街夜间噪音扰民"`, `"title":"   "`, 1),
		strings.Replace(fuzzGoodFiling, `"title":"酒吧街夜间噪音扰民"`, `"title":"\u0000\ud800"`, 1),
		strings.Replace(fuzzGoodFiling, `"department_ids":["s1-police","s1-citymgmt"]`, `"department_ids":[null,""]`, 1),
		strings.Replace(fuzzGoodFiling, `"location":{`, `"location":null,"x":{`, 1),
		`{"title":5}`, `[1,2]`, `null`, `""`, `{}`, `{"title":`, ``, `{"title":"a","title":"b"}`,
		`{"department_ids":{"a":1},"location":[]}`, strings.Repeat(`[`, 5000), `{"source":"grid","class":"routine","title":"` + strings.Repeat("长", 3000) + `"}`,
	} {
		for user := range uint8(3) {
			f.Add(user, seed)
		}
	}
	srv := newFuzzServer(f)
	users := []string{"c1-secretary", "s1-police", "c3-secretary"}
	f.Fuzz(func(t *testing.T, user uint8, body string) {
		srv.serve(t, users[int(user)%len(users)], "POST", "/api/v1/cases", body)
		srv.unchanged(t)
	})
}

// fuzzActions are the action routes of a case and its tasks, with the
// user who may take each.
var fuzzActions = []struct{ user, path string }{
	{"c1-secretary", "/api/v1/cases/{id}/whistle"},
	{"c1-secretary", "/api/v1/cases/{id}/escalate"},
	{"c1-secretary", "/api/v1/cases/{id}/verify"},
	{"c1-secretary", "/api/v1/cases/{id}/evaluations"},
	{"c1-secretary", "/api/v1/cases/{id}/extensions"},
	{"s1-police", "/api/v1/tasks/{id}-T1/report"},
	{"s1-police", "/api/v1/tasks/{id}-T1/feedback"},
	{"s1-police", "/api/v1/tasks/{id}-T1/return"},
	{"s1-police", "/api/v1/tasks/{id}-T1/extension"},
	{"s1-citymgmt", "/api/v1/tasks/{id}-T1/feedback"}, // not its task
}

// FuzzCaseActions feeds arbitrary bodies to every action route of an open
// case, as the user who may act there, on a path that names the case or
// an arbitrary one. Run it with
//
//	go test -run '^$' -fuzz FuzzCaseActions -fuzztime 60s ./api/
func FuzzCaseActions(f *testing.F) {
	seeds := []string{
		`{"department_ids":["s1-market"]}`, `{"department_ids":["s1-police"],"reroute_task_id":"x"}`, `{"department_ids":[]}`,
		`{"reason":"本级无法协调"}`, `{"reason":5}`, `{"passed":true,"comment":"ok"}`, `{"passed":"yes"}`,
		`{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`,
		`{"department_id":"s1-police","timeliness":6,"quality":0,"attitude":-1,"satisfaction":"happy"}`,
		`{"task_id":"{id}-T1","grant":true}`, `{}`, `{"result":"已处置","notes":"n","evidence":["https://example.org/e.jpg"]}`,
		`{"result":"ok","evidence":["not a url"]}`, `{"extra":"2d","reason":"等待鉴定"}`, `{"until":"2030-01-01T00:00:00Z","reason":"x"}`,
		`{"until":"tomorrow","reason":"x"}`, `{"extra":"-1d","reason":"x"}`, `{"extra":"99999999999d","reason":"x"}`, ``, `null`, `{"reason":`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), "", s)
		f.Add(uint8(i+3), "SB-other", s)
	}
	srv := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, caseID, body string) {
		a := fuzzActions[int(route)%len(fuzzActions)]
		if caseID == "" {
			caseID = srv.caseID
		}
		if strings.ContainsAny(caseID, "/?#%") || strings.TrimSpace(caseID) != caseID || !validPathSegment(caseID) {
			caseID = srv.caseID // a path the router matches; routing itself is not the target
		}
		path := strings.ReplaceAll(a.path, "{id}", caseID)
		srv.serve(t, a.user, "POST", path, strings.ReplaceAll(body, "{id}", srv.caseID))
		srv.unchanged(t)
	})
}

func validPathSegment(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f {
			return false
		}
	}
	return true
}

// TestFuzzSeedsReachTemporal keeps the fuzz targets honest: their good
// seeds pass every check of the API and reach the workflow (here, the
// stand-in that answers 404), so the fuzzer explores past validation.
func TestFuzzSeedsReachTemporal(t *testing.T) {
	srv := newFuzzServer(t)
	if code := srv.serve(t, "c1-secretary", "POST", "/api/v1/cases", fuzzGoodFiling); code != http.StatusNotFound {
		t.Fatalf("good filing: %d, want 404 from the absent workflow", code)
	}
	if code := srv.serve(t, "s1-police", "POST", "/api/v1/tasks/"+srv.caseID+"-T1/report", `{}`); code != http.StatusNotFound {
		t.Fatalf("good report: %d, want 404 from the absent workflow", code)
	}
	if n := srv.temporal.reached.Load(); n != 2 {
		t.Fatalf("Temporal reached %d times, want 2", n)
	}
	srv.unchanged(t)
}

// BenchmarkDecodeFileCase measures what every filing pays before any
// lookup: decoding the JSON body and validating it against the binding
// rules (required fields, lengths, ranges, the department list).
//
//	go test -run '^$' -bench DecodeFileCase -benchmem ./api/
func BenchmarkDecodeFileCase(b *testing.B) {
	setupValidator()
	gin.SetMode(gin.ReleaseMode)
	body := []byte(fuzzGoodFiling)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(string(body)))
		c.Request.Header.Set("Content-Type", "application/json")
		var req fileCaseRequest
		if err := bindJSON(c, &req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFileCaseInvalid is the same for a body that fails
// validation on several fields: the refusal, with its Chinese and English
// messages, is built too.
func BenchmarkDecodeFileCaseInvalid(b *testing.B) {
	setupValidator()
	gin.SetMode(gin.ReleaseMode)
	body := strings.NewReplacer(`"lat":39.95`, `"lat":91`, `"department_ids":["s1-police","s1-citymgmt"]`, `"department_ids":[]`).Replace(fuzzGoodFiling)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		var req fileCaseRequest
		if err := bindJSON(c, &req); err == nil {
			b.Fatal("invalid body accepted")
		}
	}
}

// BenchmarkFileCaseUntilTemporal is a whole filing request up to the
// workflow: token lookup, decoding and validation, the command chain and
// departments from SQLite, and the policy's decisions; the workflow is the
// stand-in that answers at once.
//
//	go test -run '^$' -bench FileCaseUntilTemporal -benchmem ./api/
func BenchmarkFileCaseUntilTemporal(b *testing.B) {
	srv := newFuzzServer(b)
	tok := srv.tokens["c1-secretary"]
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(fuzzGoodFiling))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}
