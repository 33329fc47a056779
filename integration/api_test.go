package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// apiEnv is the whole product in-process: a real Temporal server with the
// worker, the demo city on SQLite, the real policy and the HTTP API, wired
// by app.App as the binary wires them.
type apiEnv struct {
	*env
	srv    *httptest.Server
	tokens map[string]string
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	e := newEnv(t, dynamicconfig.StaticClient{})
	storetest.MustSeedDemo(t, e.st)
	return serveAPI(e)
}

// serveAPI serves the app's HTTP API, as ServeHTTP does, on a test
// listener.
func serveAPI(e *env) *apiEnv {
	e.t.Helper()
	h, err := e.app.Handler(e.t.Context())
	require.NoError(e.t, err)
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return &apiEnv{env: e, srv: srv, tokens: map[string]string{}}
}

func (a *apiEnv) token(username string) string {
	if tok, ok := a.tokens[username]; ok {
		return tok
	}
	u, err := a.st.UserByUsername(context.Background(), username)
	require.NoError(a.t, err)
	tok, err := a.st.IssueToken(context.Background(), u.ID, "test", time.Hour)
	require.NoError(a.t, err)
	a.tokens[username] = tok
	return tok
}

type resp struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

func (r resp) code() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) message() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// call sends a request as user, with headers given as name, value pairs.
func (a *apiEnv) call(user, method, path, body string, headers ...string) resp {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	require.NoError(a.t, err)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+a.token(user))
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	if len(raw) > 0 {
		require.NoError(a.t, json.Unmarshal(raw, &r.Body), "%s %s: not JSON: %s", method, path, raw)
	}
	if r.Status >= 400 {
		require.NotEmpty(a.t, r.code(), "%s %s → %d without the error envelope: %s", method, path, r.Status, raw)
		require.NotEmpty(a.t, r.message(), "%s %s → %d without a message", method, path, r.Status)
	}
	require.NotEqual(a.t, 500, r.Status, "%s %s → 500: %s", method, path, raw)
	return r
}

func (a *apiEnv) must(user, method, path, body string, status int) map[string]any {
	a.t.Helper()
	r := a.call(user, method, path, body)
	require.Equal(a.t, status, r.Status, "%s as %s: %s", method+" "+path, user, r.Raw)
	return r.Body
}

const jointBody = `{"title":"酒吧街夜间噪音扰民","description":"和平里酒吧街夜间噪音，照片 https://example.org/p/1.jpg","source":"grid","class":"routine",
	"department_ids":["s1-police","s1-citymgmt"],"location":{"address":"和平里酒吧街 12 号","lat":39.95,"lon":116.41,"grid_id":"110101001001001"}}`

// fileJoint files the routine joint whistle of c1-secretary to two street
// squads and returns the case id.
func (a *apiEnv) fileJoint() string {
	a.t.Helper()
	c := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	return c["id"].(string)
}

func (a *apiEnv) getCase(id string) map[string]any {
	a.t.Helper()
	return a.must("admin", "GET", "/api/v1/cases/"+id, "", 200)
}

func seqOf(c map[string]any) float64 { return c["seq"].(float64) }

// TestAPIJointCaseToClosed: a community secretary files a routine joint
// whistle to two street squads and carries it, with the clerks, to closed;
// the read model and the timeline show every step once.
func TestAPIJointCaseToClosed(t *testing.T) {
	a := newAPIEnv(t)
	c := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	id := c["id"].(string)
	require.Equal(t, "open", c["status"])
	require.Equal(t, "community", c["level"])
	tasks := c["tasks"].([]any)
	require.Len(t, tasks, 2)
	for _, raw := range tasks {
		task := raw.(map[string]any)
		require.Equal(t, "summoned", task["status"])
		require.NotEmpty(t, task["report_deadline"])
		require.NotEmpty(t, task["handle_deadline"])
	}
	t1, t2 := id+"-T1", id+"-T2"

	// The filing is in the lists at once: the filer's, the street's, the inboxes.
	list := a.must("c1-secretary", "GET", "/api/v1/cases?status=open", "", 200)
	require.EqualValues(t, 1, list["total"])
	inbox := a.must("s1-police", "GET", "/api/v1/tasks", "", 200)
	require.EqualValues(t, 1, inbox["total"])
	require.Equal(t, "酒吧街夜间噪音扰民", inbox["items"].([]any)[0].(map[string]any)["case_title"])

	require.Equal(t, "reported", a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/report", "{}", 200)["status"])
	require.Equal(t, "reported", a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/report", "{}", 200)["status"])
	a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", `{"result":"已劝导商户，夜间限音","notes":"联合执法","evidence":["https://example.org/e/1.jpg"]}`, 200)
	// One department done is not enough: the joint case waits for the other.
	require.Equal(t, "open", a.getCase(id)["status"])
	a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/feedback", `{"result":"已清理外摆","evidence":[]}`, 200)
	require.Equal(t, "verifying", a.getCase(id)["status"])
	require.Equal(t, "evaluating", a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":true,"comment":"现场核查已解决"}`, 200)["status"])
	a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 200)
	closed := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-citymgmt","timeliness":4,"quality":4,"attitude":5,"satisfaction":"basically_satisfied"}`, 200)
	require.Equal(t, "closed", closed["status"])

	got := a.getCase(id)
	require.Equal(t, "closed", got["status"])
	require.Len(t, got["evaluations"], 2)
	var types []string
	for i, raw := range got["timeline"].([]any) {
		e := raw.(map[string]any)
		require.EqualValues(t, i+1, e["seq"], "timeline seq has no gaps or doubles")
		require.NotEmpty(t, e["at"])
		require.NotEmpty(t, e["actor"])
		types = append(types, e["type"].(string))
	}
	require.Equal(t, []string{"filed", "summoned", "summoned", "reported", "reported", "feedback", "feedback",
		"awaiting_verification", "verified", "evaluated", "evaluated", "closed"}, types)
	// The closed case is no longer in the inbox.
	require.EqualValues(t, 0, a.must("s1-police", "GET", "/api/v1/tasks", "", 200)["total"])
	// Acting on a closed case is a conflict, not a crash.
	r := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/escalate", `{"reason":"x"}`)
	require.Equal(t, 409, r.Status, r.Raw)
}

// TestAPIEmergencyBreachEscalates: an admin shortens the emergency clocks to
// seconds; a new emergency whistle shows its report breach and, when the
// handling deadline passes, escalates to the street.
func TestAPIEmergencyBreachEscalates(t *testing.T) {
	a := newAPIEnv(t)
	a.must("admin", "PUT", "/api/v1/admin/sla-policies/emergency", `{"report_within":"2s","handle_within":"4s"}`, 200)
	body := strings.Replace(jointBody, `"class":"routine"`, `"class":"emergency"`, 1)
	c := a.must("c1-secretary", "POST", "/api/v1/cases", body, 201)
	id := c["id"].(string)
	require.Eventually(t, func() bool {
		got := a.getCase(id)
		return got["level"] == "street" && got["overdue"] == true
	}, 30*time.Second, 250*time.Millisecond, "the case escalates to the street once the handling deadline passes")
	got := a.getCase(id)
	kinds := map[string]int{}
	for _, b := range got["breaches"].([]any) {
		kinds[b.(map[string]any)["kind"].(string)]++
	}
	require.Equal(t, 2, kinds["report"], "both departments missed the report deadline")
	require.Equal(t, 2, kinds["handle"], "both departments missed the handling deadline")
	escs := got["escalations"].([]any)
	require.Len(t, escs, 1)
	esc := escs[0].(map[string]any)
	require.Equal(t, "community", esc["from"])
	require.Equal(t, "street", esc["to"])
	require.Equal(t, "handle_breach", esc["kind"])
	// The street now holds it and may whistle its own and the district's departments.
	a.must("s1-secretary", "POST", "/api/v1/cases/"+id+"/whistle", `{"department_ids":["d1-police"]}`, 200)
	// The community no longer holds it.
	r := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/whistle", `{"department_ids":["s1-market"]}`)
	require.Equal(t, 403, r.Status, r.Raw)
}

// hotlineImportCSV is a one-ticket 12345 export of community 1.
const hotlineImportCSV = "工单编号,来电时间,来电人,来电号码,诉求类型,诉求内容,地址,所属社区,是否回访\n" +
	"AUTHZ-1,2026-12-02 09:30:00,李四,13900001111,求助,路灯不亮,和平里大街 3 号,110101001001,是\n"

// channelBody is an email channel with no secret (the matrix's app has no
// secret key); dutyRosterBody a one-shift roster.
const (
	channelBody    = `{"owner_kind":"department","owner_id":"s1-police","kind":"email","name":"值班邮箱","settings":{"smtp_host":"smtp.example.gov.cn","smtp_port":587,"from":"notify@example.gov.cn","to":["duty@example.gov.cn"]}}`
	dutyRosterBody = `{"weekly":[{"weekday":1,"from":"18:00","to":"08:00","name":"王警官","phone":"13800000001"}]}`
)

// TestAPIAuthorizationMatrix: role × route × inside/outside jurisdiction.
// Each row states allow (the status an allowed request gets in that state)
// or deny: 403 naming the rule when the caller may see the case, else 404
// worded as for an unknown id, so a refusal does not reveal that a case
// outside the caller's jurisdiction exists. A row marked fresh runs on a
// new case because, allowed, it changes the case. Denied rows leave the
// case exactly as it was.
func TestAPIAuthorizationMatrix(t *testing.T) {
	a := newAPIEnv(t)
	shared := a.fileJoint()
	other := a.fileJoint()
	// Follow-up (issue 14): an order on the shared case for s1-police to
	// answer, and the body of new ones.
	order := `{"department_ids":["s1-police"],"requirement":"两日内反馈整改方案","due":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"}`
	a.must("d1-supervisor", "POST", "/api/v1/cases/"+shared+"/supervision-orders", order, 200)
	rows := []struct {
		user, method, path, body string
		status                   int
		fresh                    bool
	}{
		// Reading a case: inside the jurisdiction, or a summoned department.
		{"c1-secretary", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"g1-worker", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"s1-secretary", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"d1-commander", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"city-commander", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"admin", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"s1-police", "GET", "/api/v1/cases/{id}", "", 200, false},
		{"c2-secretary", "GET", "/api/v1/cases/{id}", "", 404, false},  // sibling community
		{"c3-secretary", "GET", "/api/v1/cases/{id}", "", 404, false},  // other street
		{"s2-secretary", "GET", "/api/v1/cases/{id}", "", 404, false},  // other street
		{"d2-supervisor", "GET", "/api/v1/cases/{id}", "", 404, false}, // other district
		{"d2-commander", "GET", "/api/v1/cases/{id}", "", 404, false},
		{"s2-police", "GET", "/api/v1/cases/{id}", "", 404, false}, // not summoned
		{"d1-police", "GET", "/api/v1/cases/{id}", "", 404, false},

		// Filing: at one's own level, summoning one's own or the level above's departments.
		{"c1-secretary", "POST", "/api/v1/cases", jointBody, 201, false},
		{"g1-worker", "POST", "/api/v1/cases", jointBody, 201, false},
		{"s1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"s1-police","d1-police"`, 1), 201, false},
		{"d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"d1-police","city-police"`, 1), 201, false},
		{"c1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"d1-police"`, 1), 403, false},
		// At a point of c3's own grid: only the departments are wrong.
		{"c3-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, `"lat":39.95,"lon":116.41,"grid_id":"110101001001001"`, `"lat":39.905,"lon":116.42`, 1), 403, false}, // s1's squads are not c3's street's
		{"s1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"city-police"`, 1), 403, false},
		{"d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"d2-police"`, 1), 403, false},
		// A command centre also whistles the levels below it (issue 13).
		{"d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"s1-police","d1-police"`, 1), 201, false},
		{"d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"s3-police"`, 1), 403, false},
		{"s1-police", "POST", "/api/v1/cases", jointBody, 403, false},
		{"d1-supervisor", "POST", "/api/v1/cases", jointBody, 403, false},
		{"admin", "POST", "/api/v1/cases", jointBody, 403, false},

		// Whistling more, escalating, answering extensions: the holding level
		// only, and not its grid workers: they report, the secretary decides.
		{"c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 200, true},
		{"g1-worker", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"本级无法协调"}`, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s2-police"]}`, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403, false},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 404, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403, false},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"本级无法协调"}`, 200, true},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 403, false},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 404, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 403, false},
		{"d2-commander", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 404, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true}`, 409, false}, // allowed, but nothing pending
		{"c3-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true}`, 404, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true}`, 403, false},

		// Verifying and evaluating: the filer's side (allowed → 409 while the case is open).
		{"c1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 409, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 403, false}, // the street does not hold it
		{"c3-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 404, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 403, false},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 409, false},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 404, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 403, false},

		// Task actions: the task's own department only.
		{"s1-police", "POST", "/api/v1/tasks/{t1}/report", `{}`, 200, true},
		{"s1-citymgmt", "POST", "/api/v1/tasks/{t1}/report", `{}`, 403, false},
		{"s2-police", "POST", "/api/v1/tasks/{t1}/report", `{}`, 404, false},
		{"d1-police", "POST", "/api/v1/tasks/{t1}/report", `{}`, 404, false},
		{"g1-worker", "POST", "/api/v1/tasks/{t1}/report", `{}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/tasks/{t1}/report", `{}`, 403, false},
		{"d1-supervisor", "POST", "/api/v1/tasks/{t1}/report", `{}`, 403, false},
		{"s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok"}`, 409, false}, // allowed; not reported yet
		{"s2-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok"}`, 404, false},
		{"s1-police", "POST", "/api/v1/tasks/{t1}/return", `{"reason":"不属于本部门"}`, 200, true},
		{"s1-citymgmt", "POST", "/api/v1/tasks/{t1}/return", `{"reason":"x"}`, 403, false},
		{"s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"2d","reason":"等待鉴定"}`, 200, true},
		{"s2-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"2d","reason":"x"}`, 404, false},

		// The acceptance queue: the holding unit's command centre or
		// secretary answers a pending case (allowed → 409 on this open one);
		// grid workers, clerks, supervisors and other levels never.
		{"c1-secretary", "POST", "/api/v1/cases/{id}/accept", `{"department_ids":["s1-market"]}`, 409, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/reject", `{"reason":"x"}`, 409, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/merge", `{"into":"{other}"}`, 409, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/accept", `{"department_ids":["s1-market"]}`, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/reject", `{"reason":"x"}`, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/merge", `{"into":"{other}"}`, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/accept", `{"department_ids":["s1-market"]}`, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/reject", `{"reason":"x"}`, 403, false},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/merge", `{"into":"{other}"}`, 403, false},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/reject", `{"reason":"x"}`, 404, false},

		// Both directions and the exceptions of a joint case (issue 13), on
		// the community-held case: dispatch and recall are a command
		// centre's (the community has none below it); the holder answers
		// returns, drops, sets the lead and applies for 挂账; the answers
		// belong to the unit they wait on (allowed → 409 with nothing to
		// answer). Dispatched and escalated cases: TestAPITwoWay.
		{"c1-secretary", "POST", "/api/v1/cases/{id}/dispatch", `{"to":"110101001001"}`, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/dispatch", `{"to":"110101001001"}`, 403, false}, // does not hold it
		{"d2-commander", "POST", "/api/v1/cases/{id}/dispatch", `{"to":"110102001"}`, 404, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/recall", `{}`, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/recall", `{}`, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/recall", `{}`, 409, false}, // nothing dispatched
		{"c1-secretary", "POST", "/api/v1/cases/{id}/escalation/answer", `{"accept":true}`, 409, false},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/escalation/answer", `{"accept":true}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/returns/{t1}/answer", `{"accept":true}`, 409, false}, // no return asked
		{"s1-secretary", "POST", "/api/v1/cases/{id}/returns/{t1}/answer", `{"accept":true}`, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/returns/{t1}/answer", `{"accept":true}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/tasks/{t1}/drop", `{"reason":"误派"}`, 200, true},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/tasks/{t1}/drop", `{"reason":"x"}`, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/tasks/{t1}/drop", `{"reason":"x"}`, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/tasks/{t1}/drop", `{"reason":"x"}`, 403, false},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/tasks/{t1}/drop", `{"reason":"x"}`, 404, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/tasks/{t1}/lead", `{}`, 200, true},
		{"s1-police", "POST", "/api/v1/cases/{id}/tasks/{t1}/lead", `{}`, 403, false},
		{"c1-secretary", "POST", "/api/v1/tasks/{t1}/release", `{"reason":"x"}`, 403, false},
		{"s2-police", "POST", "/api/v1/tasks/{t1}/release", `{"reason":"x"}`, 404, false},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/unresolvable", `{"reason":"涉及诉讼"}`, 200, true},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/unresolvable", `{"reason":"x"}`, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/unresolvable", `{"reason":"x"}`, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/unresolvable/answer", `{"approve":true}`, 409, false}, // none pending
		{"s1-police", "POST", "/api/v1/cases/{id}/unresolvable/answer", `{"approve":true}`, 403, false},
		{"admin", "PUT", "/api/v1/admin/escalation-review/street", `{"review":false}`, 200, false},
		{"city-commander", "PUT", "/api/v1/admin/escalation-review/street", `{"review":true}`, 403, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/unresolvable", "", 200, false},
		{"s1-police", "GET", "/api/v1/supervision/unresolvable", "", 403, false},
		{"c1-secretary", "GET", "/api/v1/intake", "", 200, false},
		{"s1-secretary", "GET", "/api/v1/intake", "", 200, false},
		{"d1-commander", "GET", "/api/v1/intake", "", 200, false},
		{"g1-worker", "GET", "/api/v1/intake", "", 403, false},
		{"s1-police", "GET", "/api/v1/intake", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/intake", "", 403, false},
		{"admin", "GET", "/api/v1/intake", "", 403, false},
		// Importing hotline tickets: whoever may accept at their unit (a
		// dry run: allowed → 200, nothing filed).
		{"c1-secretary", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 200, false},
		{"d1-commander", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 200, false},
		{"g1-worker", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 403, false},
		{"s1-police", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 403, false},
		{"d1-supervisor", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 403, false},
		{"admin", "POST", "/api/v1/intake/hotline/import?dry_run=true", hotlineImportCSV, 403, false},
		// Hotline systems and intake settings: the admin only.
		{"admin", "GET", "/api/v1/admin/hotline-systems", "", 200, false},
		{"admin", "POST", "/api/v1/admin/hotline-systems", `{"name":"12345","user_id":"u-d1-commander","org_unit_id":"110101"}`, 201, false},
		{"city-commander", "GET", "/api/v1/admin/hotline-systems", "", 403, false},
		{"d1-commander", "POST", "/api/v1/admin/hotline-systems", `{"name":"12345","user_id":"u-d1-commander","org_unit_id":"110101"}`, 403, false},
		{"c1-secretary", "GET", "/api/v1/admin/hotline-systems", "", 403, false},
		// The units below one's own (the dispatch picker): anyone signed
		// in, a clerk's list is empty (api TestUnitsBelow checks contents).
		{"d1-commander", "GET", "/api/v1/org-units", "", 200, false},
		{"s1-police", "GET", "/api/v1/org-units", "", 200, false},
		{"admin", "GET", "/api/v1/admin/intake-settings", "", 200, false},
		{"admin", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"2h"}`, 200, false},
		{"city-commander", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"1h"}`, 403, false},
		{"c1-secretary", "GET", "/api/v1/admin/intake-settings", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/admin/intake-settings", "", 403, false},

		// Follow-up (issue 14). Urging: the holding unit's command centre or
		// secretary, or a supervisor of the jurisdiction; never the
		// departments, grid workers or other levels.
		{"c1-secretary", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"请尽快到场"}`, 200, true},
		{"d1-supervisor", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"请尽快到场"}`, 200, true},
		{"city-supervisor", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"请尽快到场"}`, 200, true},
		{"s1-secretary", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 403, false}, // does not hold it
		{"d1-commander", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 403, false},
		{"g1-worker", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 403, false},
		{"s1-police", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 403, false},
		{"s1-citymgmt", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 403, false},
		{"d2-supervisor", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 404, false},
		{"c3-secretary", "POST", "/api/v1/tasks/{t1}/urge", `{"message":"x"}`, 404, false},
		// Supervision orders: supervisors and command centres of the
		// jurisdiction; answered by a clerk of a named department.
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/supervision-orders", order, 200, true},
		{"d1-commander", "POST", "/api/v1/cases/{id}/supervision-orders", order, 200, true},
		{"city-commander", "POST", "/api/v1/cases/{id}/supervision-orders", order, 200, true},
		{"c1-secretary", "POST", "/api/v1/cases/{id}/supervision-orders", order, 403, false},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/supervision-orders", order, 403, false},
		{"g1-worker", "POST", "/api/v1/cases/{id}/supervision-orders", order, 403, false},
		{"s1-police", "POST", "/api/v1/cases/{id}/supervision-orders", order, 403, false},
		{"d2-supervisor", "POST", "/api/v1/cases/{id}/supervision-orders", order, 404, false},
		{"d2-commander", "POST", "/api/v1/cases/{id}/supervision-orders", order, 404, false},
		{"c1-secretary", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"x"}`, 403, false},
		{"d1-supervisor", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"x"}`, 403, false},
		{"g1-worker", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"x"}`, 403, false},
		{"s2-police", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"x"}`, 404, false},
		{"d1-police", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"x"}`, 404, false},
		{"s1-police", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"已制定整改方案"}`, 200, false},
		{"s1-police", "POST", "/api/v1/supervision-orders/{id}-S1/answer", `{"answer":"再答一次"}`, 409, false}, // answered already
		// The to-do list is everyone's own; due soon is a supervision view,
		// narrowed only inside one's jurisdiction.
		{"c1-secretary", "GET", "/api/v1/todo", "", 200, false},
		{"g1-worker", "GET", "/api/v1/todo", "", 200, false},
		{"s1-police", "GET", "/api/v1/todo", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/todo", "", 200, false},
		{"admin", "GET", "/api/v1/todo", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/due-soon?hours=24", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/due-soon?org=110101001", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/due-soon?org=110102", "", 403, false},
		{"d2-supervisor", "GET", "/api/v1/supervision/due-soon", "", 200, false},
		{"city-commander", "GET", "/api/v1/supervision/due-soon", "", 200, false},
		{"c1-secretary", "GET", "/api/v1/supervision/due-soon", "", 403, false},
		{"s1-police", "GET", "/api/v1/supervision/due-soon", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/orders?status=open", "", 200, false},
		{"s1-police", "GET", "/api/v1/supervision/orders", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/urges", "", 200, false},
		{"c1-secretary", "GET", "/api/v1/supervision/urges", "", 403, false},
		// The drill-down of a rate (issue 17): supervisors in their
		// jurisdiction, not the other roles.
		{"d1-supervisor", "GET", "/api/v1/supervision/rates/cases?rate=response&part=denominator", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/rates/cases?org=110101001&group=street&area=110101001&rate=satisfaction&part=numerator", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/supervision/rates/cases?org=110102&rate=response&part=numerator", "", 403, false},
		{"city-commander", "GET", "/api/v1/supervision/rates/cases?department=s1-police&rate=response&part=numerator", "", 200, false},
		{"c1-secretary", "GET", "/api/v1/supervision/rates/cases?rate=response&part=numerator", "", 403, false},
		{"s1-police", "GET", "/api/v1/supervision/rates/cases?department=s1-police&rate=response&part=numerator", "", 403, false},
		// Notifications (issue 14's channels): everyone's own list (api
		// TestNotificationsAPI checks that another's answers 404); channels
		// and duty rosters are the admin's.
		{"c1-secretary", "GET", "/api/v1/notifications", "", 200, false},
		{"s1-police", "GET", "/api/v1/notifications?unread=true", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/notifications", "", 200, false},
		{"g1-worker", "POST", "/api/v1/notifications/read-all", "", 200, false},
		{"admin", "GET", "/api/v1/admin/channels", "", 200, false},
		{"admin", "POST", "/api/v1/admin/channels", channelBody, 201, false},
		{"city-commander", "GET", "/api/v1/admin/channels", "", 403, false},
		{"d1-commander", "POST", "/api/v1/admin/channels", channelBody, 403, false},
		{"s1-police", "POST", "/api/v1/admin/channels", channelBody, 403, false},
		{"admin", "GET", "/api/v1/admin/departments/s1-police/duty-roster", "", 200, false},
		{"admin", "PUT", "/api/v1/admin/departments/s1-police/duty-roster", dutyRosterBody, 200, false},
		{"s1-police", "PUT", "/api/v1/admin/departments/s1-police/duty-roster", dutyRosterBody, 403, false},
		{"d1-supervisor", "GET", "/api/v1/admin/departments/s1-police/duty-roster", "", 403, false},

		// Inboxes belong to clerks; the admin routes to the admin.
		{"s1-police", "GET", "/api/v1/tasks", "", 200, false},
		{"c1-secretary", "GET", "/api/v1/tasks", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/tasks", "", 403, false},
		{"admin", "PUT", "/api/v1/admin/sla-policies/coordination", `{"report_within":"2d","handle_within":"15d"}`, 200, false},
		{"city-commander", "PUT", "/api/v1/admin/sla-policies/coordination", `{"report_within":"1d","handle_within":"15d"}`, 403, false},
		{"c1-secretary", "GET", "/api/v1/admin/sla-policies", "", 403, false},
		{"d1-supervisor", "GET", "/api/v1/admin/sla-policies", "", 403, false},
		// Sign-in administration (issue 16): tokens, the audit, unlock and
		// reset are the admin's; one's own session is everyone's.
		{"c1-secretary", "GET", "/api/v1/auth/session", "", 200, false},
		{"s1-police", "GET", "/api/v1/auth/session", "", 200, false},
		{"admin", "GET", "/api/v1/admin/tokens", "", 200, false},
		{"admin", "POST", "/api/v1/admin/tokens", `{"user_id":"u-c1-secretary","name":"matrix","expires_at":"` + time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339) + `"}`, 201, false},
		{"city-commander", "GET", "/api/v1/admin/tokens", "", 403, false},
		{"c1-secretary", "POST", "/api/v1/admin/tokens", `{"user_id":"u-c1-secretary","name":"mine","expires_at":"2099-01-01T00:00:00Z"}`, 403, false},
		{"s1-police", "DELETE", "/api/v1/admin/tokens/nope", "", 403, false},
		{"admin", "GET", "/api/v1/admin/audit?kind=signin", "", 200, false},
		{"d1-supervisor", "GET", "/api/v1/admin/audit?kind=signin", "", 403, false},
		{"city-commander", "GET", "/api/v1/admin/audit", "", 403, false},
		{"admin", "POST", "/api/v1/admin/users/u-c4-secretary/reset-password", `{"password":"temporary-pass"}`, 204, false},
		{"s1-secretary", "POST", "/api/v1/admin/users/u-c1-secretary/reset-password", `{"password":"temporary-pass"}`, 403, false},
		{"admin", "POST", "/api/v1/admin/users/u-g1-worker/unlock", "", 409, false}, // not locked
		{"city-commander", "POST", "/api/v1/admin/users/u-g1-worker/unlock", "", 403, false},
	}
	unknownCase := a.call("c1-secretary", "GET", "/api/v1/cases/NOPE", "")
	unknownTask := a.call("s1-police", "POST", "/api/v1/tasks/NOPE/report", "{}")
	unknownOrder := a.call("s1-police", "POST", "/api/v1/supervision-orders/NOPE-S1/answer", `{"answer":"x"}`)
	for _, row := range rows {
		name := fmt.Sprintf("%s %s %s → %d", row.user, row.method, row.path, row.status)
		t.Run(name, func(t *testing.T) {
			a.t = t
			id := shared
			if row.fresh {
				id = a.fileJoint()
			}
			before := seqOf(a.getCase(id))
			fill := strings.NewReplacer("{id}", id, "{t1}", id+"-T1", "{other}", other)
			r := a.call(row.user, row.method, fill.Replace(row.path), fill.Replace(row.body))
			require.Equal(t, row.status, r.Status, r.Raw)
			if r.Status == 403 {
				require.Equal(t, "forbidden", r.code())
				require.Contains(t, r.message(), "规则", "a denial names the rule that said no")
			}
			if r.Status == 404 {
				unknown, self := unknownCase, id
				if strings.HasPrefix(row.path, "/api/v1/tasks/") {
					unknown, self = unknownTask, id+"-T1"
				}
				if strings.HasPrefix(row.path, "/api/v1/supervision-orders/") {
					unknown, self = unknownOrder, id
				}
				require.Equal(t, unknown.code(), r.code())
				require.Equal(t, unknown.message(), strings.ReplaceAll(r.message(), self, "NOPE"), "answered as for an unknown id")
			}
			if r.Status >= 400 {
				require.Equal(t, before, seqOf(a.getCase(id)), "a refused action changed the case")
			}
		})
	}
	a.t = t

	// Lists are scoped by jurisdiction in SQL.
	in := a.must("d1-supervisor", "GET", "/api/v1/cases", "", 200)
	out := a.must("d2-supervisor", "GET", "/api/v1/cases", "", 200)
	require.Positive(t, in["total"].(float64))
	require.EqualValues(t, 0, out["total"])
	c3 := a.must("c3-secretary", "GET", "/api/v1/cases", "", 200)
	require.EqualValues(t, 0, c3["total"])
}

// TestAPIBadInputChangesNothing: malformed, missing, wrong-typed, unknown
// and state-misfit requests on the action routes get the right 4xx with
// the envelope, and the case stays exactly as it was.
func TestAPIBadInputChangesNothing(t *testing.T) {
	a := newAPIEnv(t)
	id := a.fileJoint()
	t1 := id + "-T1"
	rows := []struct {
		name, user, method, path, body string
		status                         int
		code                           string // the envelope's error code
	}{
		{"WhistleMalformed", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":`, 400, whistle.EInvalid},
		{"WhistleEmpty", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":[]}`, 400, whistle.EInvalid},
		{"WhistleWrongType", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":"s1-market"}`, 400, whistle.EInvalid},
		{"WhistleUnknownDepartment", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["nope"]}`, 400, whistle.EInvalid},
		{"WhistleAlreadySummoned", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-police"]}`, 409, whistle.EConflict},
		{"WhistleRerouteNotReturned", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"],"reroute_task_id":"{t1}"}`, 409, whistle.EConflict},
		// The workflow's validator owns the rules the binding does not check.
		{"WhistleDepartmentTwice", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market","s1-market"]}`, 400, whistle.EInvalid},
		{"WhistleUnknownCase", "c1-secretary", "POST", "/api/v1/cases/NOPE/whistle", `{"department_ids":["s1-market"]}`, 404, whistle.ENotFound},
		{"EscalateNoReason", "c1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{}`, 400, whistle.EInvalid},
		{"EscalateReasonWrongType", "c1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":5}`, 400, whistle.EInvalid},
		{"EscalateEmptyBody", "c1-secretary", "POST", "/api/v1/cases/{id}/escalate", ``, 400, whistle.EInvalid},
		{"VerifyMissingPassed", "c1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"comment":"x"}`, 400, whistle.EInvalid},
		{"VerifyPassedString", "c1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":"yes"}`, 400, whistle.EInvalid},
		{"VerifyWhileOpen", "c1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 409, whistle.EConflict},
		{"EvaluateScoreTooHigh", "c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":6,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 400, whistle.EInvalid},
		{"EvaluateScoreZero", "c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":0,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 400, whistle.EInvalid},
		{"EvaluateBadSatisfaction", "c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"happy"}`, 400, whistle.EInvalid},
		{"EvaluateWhileOpen", "c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 409, whistle.EConflict},
		{"AnswerExtensionMissingGrant", "c1-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}"}`, 400, whistle.EInvalid},
		{"AnswerExtensionUnknownTask", "c1-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{id}-T9","grant":true}`, 404, whistle.ENotFound},
		{"AnswerExtensionNonePending", "c1-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true}`, 409, whistle.EConflict},
		{"ReportUnknownTask", "s1-police", "POST", "/api/v1/tasks/NOPE/report", `{}`, 404, whistle.ENotFound},
		{"FeedbackBeforeReport", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok"}`, 409, whistle.EConflict},
		{"FeedbackMissingResult", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"notes":"x"}`, 400, whistle.EInvalid},
		{"FeedbackEvidenceNotURL", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok","evidence":["not a url"]}`, 400, whistle.EInvalid},
		{"FeedbackEvidenceWrongType", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok","evidence":"https://x.org"}`, 400, whistle.EInvalid},
		{"ReturnNoReason", "s1-police", "POST", "/api/v1/tasks/{t1}/return", `{"reason":""}`, 400, whistle.EInvalid},
		{"ExtensionNeitherUntilNorExtra", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"reason":"x"}`, 400, whistle.EInvalid},
		{"ExtensionBoth", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"1d","until":"2030-01-01T00:00:00Z","reason":"x"}`, 400, whistle.EInvalid},
		{"ExtensionBadSpan", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"soon","reason":"x"}`, 400, whistle.EInvalid},
		{"ExtensionUntilInThePast", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"until":"2020-01-01T00:00:00Z","reason":"x"}`, 400, whistle.EInvalid},
		{"ExtensionUntilNotATime", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"until":"tomorrow","reason":"x"}`, 400, whistle.EInvalid},
		// A NUL or another control character in any text is refused before
		// anything is written (it used to wedge the projection on PostgreSQL).
		{"FileTitleNUL", "c1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, "酒吧街夜间噪音扰民", `\u0000`, 1), 400, whistle.EInvalid},
		{"FileAddressNUL", "c1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, "12 号", `12\u0000号`, 1), 400, whistle.EInvalid},
		{"WhistleRerouteNUL", "c1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"],"reroute_task_id":"{t1}\u0000"}`, 400, whistle.EInvalid},
		{"EscalateReasonNUL", "c1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"\u0000"}`, 400, whistle.EInvalid},
		{"VerifyCommentEscape", "c1-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true,"comment":"\u001b[2J"}`, 400, whistle.EInvalid},
		{"EvaluateCommentNUL", "c1-secretary", "POST", "/api/v1/cases/{id}/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied","comment":"\u0000"}`, 400, whistle.EInvalid},
		{"AnswerExtensionCommentNUL", "c1-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{t1}","grant":true,"comment":"\u0000"}`, 400, whistle.EInvalid},
		{"FeedbackResultNUL", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"已处理\u0000"}`, 400, whistle.EInvalid},
		{"FeedbackNotesBell", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok","notes":"\u0007"}`, 400, whistle.EInvalid},
		{"FeedbackEvidenceJavascript", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"ok","evidence":["javascript:alert(1)"]}`, 400, whistle.EInvalid},
		{"ReturnReasonNUL", "s1-police", "POST", "/api/v1/tasks/{t1}/return", `{"reason":"\u0000"}`, 400, whistle.EInvalid},
		{"ExtensionReasonNUL", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"1d","reason":"\u0000"}`, 400, whistle.EInvalid},
		{"ListQueryNUL", "c1-secretary", "GET", "/api/v1/cases?q=%00", "", 400, whistle.EInvalid},
		{"ListQueryInvalidUTF8", "c1-secretary", "GET", "/api/v1/cases?q=%FF", "", 400, whistle.EInvalid},
		{"ExtensionUntilBeyondCap", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"until":"9999-12-31T00:00:00Z","reason":"x"}`, 400, whistle.EInvalid},
		{"ExtensionExtraBeyondCap", "s1-police", "POST", "/api/v1/tasks/{t1}/extension", `{"extra":"366d","reason":"x"}`, 400, whistle.EInvalid},
		{"Oversized", "s1-police", "POST", "/api/v1/tasks/{t1}/feedback", `{"result":"` + strings.Repeat("x", 1100<<10) + `"}`, 400, whistle.EInvalid},
		{"SLAPolicyBadSpan", "admin", "PUT", "/api/v1/admin/sla-policies/routine", `{"report_within":"1 day","handle_within":"7d"}`, 400, whistle.EInvalid},
		{"SLAPolicyUnknownClass", "admin", "PUT", "/api/v1/admin/sla-policies/urgent", `{"report_within":"1d","handle_within":"7d"}`, 400, whistle.EInvalid},
		{"ListBadStatus", "c1-secretary", "GET", "/api/v1/cases?status=stalled", "", 400, whistle.EInvalid},
		{"ListBadPage", "c1-secretary", "GET", "/api/v1/cases?page=0", "", 400, whistle.EInvalid},
		{"ListBadOverdue", "c1-secretary", "GET", "/api/v1/cases?overdue=maybe", "", 400, whistle.EInvalid},
		{"ListBadFrom", "c1-secretary", "GET", "/api/v1/cases?from=yesterday", "", 400, whistle.EInvalid},
		{"UnknownRoute", "c1-secretary", "GET", "/api/v1/nothing", "", 404, whistle.ENotFound},
		{"WrongMethod", "c1-secretary", "DELETE", "/api/v1/cases/{id}", "", 405, "method_not_allowed"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			a.t = t
			before := a.getCase(id)
			fill := strings.NewReplacer("{id}", id, "{t1}", t1)
			r := a.call(row.user, row.method, fill.Replace(row.path), fill.Replace(row.body))
			require.Equal(t, row.status, r.Status, r.Raw)
			require.Equal(t, row.code, r.code(), r.Raw)
			after := a.getCase(id)
			b1, _ := json.Marshal(before)
			b2, _ := json.Marshal(after)
			require.True(t, bytes.Equal(b1, b2), "the case changed")
		})
	}
	a.t = t
	// Filing twice with the same Idempotency-Key gives the same case.
	first := a.fileWithKey("key-1")
	second := a.fileWithKey("key-1")
	other := a.fileWithKey("key-2")
	require.Equal(t, first, second)
	require.NotEqual(t, first, other)
	list := a.must("c1-secretary", "GET", "/api/v1/cases?page_size=200", "", 200)
	require.EqualValues(t, 3, list["total"], "the repeated key made no second case")
}

func (a *apiEnv) fileWithKey(key string) string {
	req, _ := http.NewRequest("POST", a.srv.URL+"/api/v1/cases", strings.NewReader(jointBody))
	req.Header.Set("Authorization", "Bearer "+a.token("c1-secretary"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	require.Equal(a.t, 201, res.StatusCode)
	var c map[string]any
	require.NoError(a.t, json.NewDecoder(res.Body).Decode(&c))
	return c["id"].(string)
}
