package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// TestFollowupRefusedBeforeTheWorkflow: urging, supervision orders and
// their answers refuse bad input (400), callers out of place (403 naming
// the rule, or the 404 of an unknown id) with the envelope before any
// workflow is asked, and the case stays as it was. A request that passes
// every check reaches for Temporal, which this server lacks: 503.
func TestFollowupRefusedBeforeTheWorkflow(t *testing.T) {
	srv, st := newServer(t)
	const c1case = "SB-FU-C1" // filed and held by community 1, a task for s1-police
	projectCase(t, st, c1case, "", whistle.CaseOpen)
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	order := func(depts, due string) string {
		return `{"department_ids":` + depts + `,"requirement":"三日内整改到位","due":"` + due + `"}`
	}
	rows := []struct {
		name, user, path, body string
		status                 int
	}{
		// Urge: the body, then who.
		{"UrgeMalformed", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":`, 400},
		{"UrgeNoMessage", "c1-secretary", "/tasks/{c1}-T1/urge", `{}`, 400},
		{"UrgeBlankMessage", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":""}`, 400},
		{"UrgeMessageWrongType", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":5}`, 400},
		{"UrgeMessageNUL", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":"\u0000"}`, 400},
		{"UrgeMessageTooLong", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":"` + strings.Repeat("催", 2001) + `"}`, 400},
		{"UrgeUnknownTask", "c1-secretary", "/tasks/NOPE/urge", `{"message":"请尽快"}`, 404},
		{"UrgeByClerk", "s1-police", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 403},
		{"UrgeByGridWorker", "g1-worker", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 403},
		{"UrgeByNonHolder", "s1-secretary", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 403},
		{"UrgeOtherSupervisor", "d2-supervisor", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 404},
		{"UrgeOutsider", "c3-secretary", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 404},
		{"UrgeByHolderReachesWorkflow", "c1-secretary", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 503},
		{"UrgeBySupervisorReachesWorkflow", "d1-supervisor", "/tasks/{c1}-T1/urge", `{"message":"请尽快"}`, 503},
		// Supervision orders: the body, the due, then who, then the departments.
		{"OrderMalformed", "d1-supervisor", "/cases/{c1}/supervision-orders", `{"department_ids":`, 400},
		{"OrderNoDepartments", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`[]`, future), 400},
		{"OrderDepartmentsWrongType", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`"s1-police"`, future), 400},
		{"OrderDuplicateDepartment", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police","s1-police"]`, future), 400},
		{"OrderNoRequirement", "d1-supervisor", "/cases/{c1}/supervision-orders", `{"department_ids":["s1-police"],"due":"` + future + `"}`, 400},
		{"OrderNoDue", "d1-supervisor", "/cases/{c1}/supervision-orders", `{"department_ids":["s1-police"],"requirement":"x"}`, 400},
		{"OrderDueUnparsable", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, "next friday"), 400},
		{"OrderDueWithoutZone", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, "2030-01-02T15:04:05"), 400},
		{"OrderDuePast", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, past), 400},
		{"OrderUnknownDepartment", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["NOPE"]`, future), 400},
		{"OrderByClerk", "s1-police", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, future), 403},
		{"OrderBySecretary", "c1-secretary", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, future), 403},
		{"OrderOtherSupervisor", "d2-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, future), 404},
		{"OrderUnknownCase", "d1-supervisor", "/cases/NOPE/supervision-orders", order(`["s1-police"]`, future), 404},
		{"OrderBySupervisorReachesWorkflow", "d1-supervisor", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, future), 503},
		{"OrderByCommanderReachesWorkflow", "d1-commander", "/cases/{c1}/supervision-orders", order(`["s1-police"]`, future), 503},
		// Answers: the body, the order id, then who.
		{"AnswerMalformed", "s1-police", "/supervision-orders/{c1}-S1/answer", `{"answer":`, 400},
		{"AnswerNoAnswer", "s1-police", "/supervision-orders/{c1}-S1/answer", `{}`, 400},
		{"AnswerNotAnOrderID", "s1-police", "/supervision-orders/{c1}/answer", `{"answer":"已整改"}`, 404},
		{"AnswerUnknownCase", "s1-police", "/supervision-orders/NOPE-S1/answer", `{"answer":"已整改"}`, 404},
		{"AnswerOtherClerk", "s2-police", "/supervision-orders/{c1}-S1/answer", `{"answer":"已整改"}`, 404},
		{"AnswerBySecretary", "c1-secretary", "/supervision-orders/{c1}-S1/answer", `{"answer":"已整改"}`, 403},
		{"AnswerBySupervisor", "d1-supervisor", "/supervision-orders/{c1}-S1/answer", `{"answer":"已整改"}`, 403},
		{"AnswerReachesWorkflow", "s1-police", "/supervision-orders/{c1}-S1/answer", `{"answer":"已整改"}`, 503},
	}
	fill := strings.NewReplacer("{c1}", c1case)
	snapshot := func() string {
		c, err := st.Case(context.Background(), c1case)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	before := snapshot()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, row.user), "POST", "/api/v1"+fill.Replace(row.path), fill.Replace(row.body))
			if r.status != row.status {
				t.Fatalf("status %d, want %d: %v", r.status, row.status, r.body)
			}
			if errCode(r) == "" || errMessage(r) == "" {
				t.Fatalf("no error envelope: %v", r.body)
			}
			if row.status == 403 && (errCode(r) != whistle.EForbidden || !strings.Contains(errMessage(r), "规则")) {
				t.Fatalf("want forbidden naming the rule, got %v", r.body)
			}
			if row.status == 404 && errCode(r) != whistle.ENotFound {
				t.Fatalf("want not_found, got %v", r.body)
			}
			if after := snapshot(); after != before {
				t.Fatal("a refused request changed a case")
			}
		})
	}
}

// followupFixture projects, as the workflow would, what waits on the demo
// roles: c1's case with a red task of s1-police (to report), a yellow one
// of s1-citymgmt (reported: to feed back) and a pending extension, two
// supervision orders by district 1 (one answered late, one open past due
// with its breach), urges; a pending case held by c1; an escalation
// pending at street 1; a case verifying and one evaluating at c1. It
// returns the main case's id.
func followupFixture(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))) }
	ptr := func(t time.Time) *time.Time { return &t }
	community := "/110000/110101/110101001/110101001001/"
	base := func(id, title string, status whistle.CaseStatus) whistle.Case {
		return whistle.Case{ID: id, Number: "20261202-" + id[len(id)-5:], Title: title, Category: "治安秩序", Source: whistle.SourceResident,
			Class: whistle.ClassKey, Status: status, Location: whistle.At("和平里1号", 39.9, 116.4),
			OrgUnitID: "110101001001", OrgPath: community, Level: whistle.LevelCommunity, HolderOrgUnitID: "110101001001", HolderOrgPath: community,
			FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", CreatedAt: h(-10), UpdatedAt: now, Seq: 10}
	}
	task := func(caseID string, n int, dept, name string, status whistle.TaskStatus, report, handle time.Time) whistle.Task {
		return whistle.Task{ID: fmt.Sprintf("%s-T%d", caseID, n), CaseID: caseID, DepartmentID: dept, DepartmentName: name, Status: status,
			SummonedAt: h(-10), SummonedBy: "c1-secretary", SummonedLevel: whistle.LevelCommunity, ReportDeadline: report, HandleDeadline: handle}
	}
	main := base("SB-FU-00001", "酒吧街噪音", whistle.CaseOpen)
	red := task(main.ID, 1, "s1-police", "和平派出所", whistle.TaskSummoned, h(1.5), h(30))
	red.Warning, red.WarnedReport, red.Urges, red.LastUrgedAt = whistle.WarningRed, 2, 2, ptr(h(-2))
	red.WarnAt = whistle.ClockWarnings{Report: []time.Time{h(-5), h(-2)}}
	yellow := task(main.ID, 2, "s1-citymgmt", "和平城管执法队", whistle.TaskReported, h(-8), h(3))
	yellow.ReportedAt, yellow.Warning, yellow.WarnedHandle = ptr(h(-9)), whistle.WarningYellow, 1
	yellow.Extension = &whistle.ExtensionRequest{Until: h(48), Reason: "需协调", Status: whistle.ExtensionPending, RequestedAt: h(-1), RequestedBy: "s1-citymgmt"}
	main.Tasks = []whistle.Task{red, yellow}
	main.SupervisionOrders = []whistle.SupervisionOrder{
		{ID: main.ID + "-S1", Seq: 5, Requirement: "两小时内到场", Due: h(-3), IssuedAt: h(-6), IssuedBy: "d1-supervisor",
			IssuedByOrgUnitID: "110101", IssuedByOrgPath: "/110000/110101/",
			Departments: []whistle.OrderDepartment{{DepartmentID: "s1-police", DepartmentName: "和平派出所", Answer: "已到场", AnsweredAt: ptr(h(-2)),
				AnsweredBy: "s1-police", Late: true, Breached: true, BreachID: main.ID + "-B6"}}},
		{ID: main.ID + "-S2", Seq: 7, Requirement: "明日前反馈整改方案", Due: h(-1), IssuedAt: h(-4), IssuedBy: "d1-supervisor",
			IssuedByOrgUnitID: "110101", IssuedByOrgPath: "/110000/110101/",
			Departments: []whistle.OrderDepartment{
				{DepartmentID: "s1-citymgmt", DepartmentName: "和平城管执法队", Breached: true, BreachID: main.ID + "-B8"},
				{DepartmentID: "s1-police", DepartmentName: "和平派出所", Answer: "已反馈", AnsweredAt: ptr(h(-1.5)), AnsweredBy: "s1-police"}}},
	}
	main.Breaches = []whistle.Breach{
		{ID: main.ID + "-B6", CaseID: main.ID, DepartmentID: "s1-police", Kind: whistle.BreachSupervision, Deadline: h(-3), At: h(-3), Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: ptr(h(-2))},
		{ID: main.ID + "-B8", CaseID: main.ID, DepartmentID: "s1-citymgmt", Kind: whistle.BreachSupervision, Deadline: h(-1), At: h(-1), Level: whistle.LevelCommunity},
	}
	entries := []whistle.TimelineEntry{
		{Seq: 1, At: h(-10), Type: whistle.EventFiled, Actor: "c1-secretary"},
		{Seq: 2, At: h(-4), Type: whistle.EventUrged, Actor: "c1-secretary", TaskID: red.ID, DepartmentID: "s1-police", Detail: "请尽快到场"},
		{Seq: 3, At: h(-2), Type: whistle.EventUrged, Actor: "d1-supervisor", TaskID: red.ID, DepartmentID: "s1-police", Detail: "再次催办"},
		{Seq: 4, At: h(-1), Type: whistle.EventUrged, Actor: "c1-secretary", TaskID: yellow.ID, DepartmentID: "s1-citymgmt", Detail: "请反馈"},
	}
	pending := base("SB-FU-00002", "占道经营", whistle.CasePending)
	pending.AcceptDeadline = ptr(h(2))
	escalated := base("SB-FU-00003", "违法建设", whistle.CaseOpen)
	escalated.Escalations = []whistle.Escalation{{Seq: 3, CaseID: escalated.ID, From: whistle.LevelCommunity, To: whistle.LevelStreet,
		FromOrgUnitID: "110101001001", ToOrgUnitID: "110101001", ToOrgPath: "/110000/110101/110101001/", Kind: whistle.EscalationRequested,
		Reason: "本级无法解决", At: h(-1), By: "c1-secretary", Status: whistle.EscalationPending, AnswerDeadline: ptr(h(5))}}
	verifying := base("SB-FU-00004", "垃圾堆放", whistle.CaseVerifying)
	evaluating := base("SB-FU-00005", "停车秩序", whistle.CaseEvaluating)
	evaluating.EvaluationDue = ptr(h(20))
	for _, c := range []whistle.Case{main, pending, escalated, verifying, evaluating} {
		var es []whistle.TimelineEntry
		if c.ID == main.ID {
			es = entries
		}
		if err := st.ApplyCase(ctx, c, es); err != nil {
			t.Fatal(err)
		}
	}
	return main.ID
}

// TestTodo: GET /todo lists, for each role, exactly what waits on it,
// counted per kind and sorted by deadline (none last).
func TestTodo(t *testing.T) {
	srv, st := newServer(t)
	id := followupFixture(t, st)
	tests := []struct {
		user   string
		counts map[string]float64
		items  []string // kind:case id suffix, in order
	}{
		{"s1-police", map[string]float64{"report": 1, "feedback": 0, "supervision_order": 0},
			[]string{"report:00001"}},
		{"s1-citymgmt", map[string]float64{"report": 0, "feedback": 1, "supervision_order": 1},
			[]string{"supervision_order:00001", "feedback:00001"}},
		{"c1-secretary", map[string]float64{"extension": 1, "return": 0, "intake": 1, "escalation": 0, "verify": 1, "callback": 0, "evaluate": 1},
			[]string{"intake:00002", "extension:00001", "evaluate:00005", "verify:00004"}},
		{"s1-secretary", map[string]float64{"extension": 0, "return": 0, "intake": 0, "escalation": 1, "unresolvable": 0, "verify": 0, "callback": 0, "evaluate": 0},
			[]string{"escalation:00003"}},
		{"d1-supervisor", map[string]float64{"order_open": 0, "order_overdue": 1},
			[]string{"order_overdue:00001"}},
		{"g1-worker", map[string]float64{}, nil},
		{"d2-supervisor", map[string]float64{"order_open": 0, "order_overdue": 0}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			r := call(t, srv, token(t, st, tc.user), "GET", "/api/v1/todo", "")
			if r.status != 200 {
				t.Fatalf("status %d: %v", r.status, r.body)
			}
			counts, _ := r.body["counts"].(map[string]any)
			if len(counts) != len(tc.counts) {
				t.Errorf("counts %v, want %v", counts, tc.counts)
			}
			for k, n := range tc.counts {
				if counts[k] != n {
					t.Errorf("counts[%s] = %v, want %v (all: %v)", k, counts[k], n, counts)
				}
			}
			items, _ := r.body["items"].([]any)
			var got []string
			for _, it := range items {
				m := it.(map[string]any)
				cid := m["case_id"].(string)
				got = append(got, m["kind"].(string)+":"+cid[len(cid)-5:])
				if m["number"] == "" || m["title"] == "" {
					t.Errorf("item without number or title: %v", m)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.items, " ") {
				t.Errorf("items %v, want %v", got, tc.items)
			}
			if r.body["total"] != float64(len(tc.items)) {
				t.Errorf("total %v, want %d", r.body["total"], len(tc.items))
			}
		})
	}
	// The clerk's report item names the task and carries its warning.
	r := call(t, srv, token(t, st, "s1-police"), "GET", "/api/v1/todo", "")
	it := r.body["items"].([]any)[0].(map[string]any)
	if it["task_id"] != id+"-T1" || it["warning"] != "red" || it["deadline"] == nil {
		t.Errorf("report item = %v, want task %s-T1, red, with its deadline", it, id)
	}
}

// TestFollowupViews: the inbox and the supervision views carry warnings,
// orders, urges and supervision breaches, and refuse bad queries.
func TestFollowupViews(t *testing.T) {
	srv, st := newServer(t)
	id := followupFixture(t, st)
	ids := func(r reply, key string) string {
		items, _ := r.body["items"].([]any)
		var out []string
		for _, it := range items {
			m := it.(map[string]any)
			out = append(out, fmt.Sprint(m[key]))
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name, user, path string
		status           int
		key, want        string // the items' key values, in order
	}{
		{"InboxRed", "s1-police", "/tasks?warning=red", 200, "warning", "red"},
		{"InboxYellowNone", "s1-police", "/tasks?warning=yellow", 200, "id", ""},
		{"InboxYellow", "s1-citymgmt", "/tasks?warning=yellow", 200, "id", id + "-T2"},
		{"InboxBadWarning", "s1-police", "/tasks?warning=orange", 400, "", ""},
		{"DueSoonDefault", "d1-supervisor", "/supervision/due-soon", 200, "id", id + "-T1 " + id + "-T2"},
		{"DueSoonOneHour", "d1-supervisor", "/supervision/due-soon?hours=1", 200, "id", ""},
		{"DueSoonByWarning", "d1-supervisor", "/supervision/due-soon?hours=5&sort=warning", 200, "warning", "red yellow"},
		{"DueSoonYellow", "d1-supervisor", "/supervision/due-soon?warning=yellow", 200, "id", id + "-T2"},
		{"DueSoonDepartment", "d1-supervisor", "/supervision/due-soon?department=s1-citymgmt", 200, "id", id + "-T2"},
		{"DueSoonOutside", "d2-supervisor", "/supervision/due-soon", 200, "id", ""},
		{"DueSoonBadHours", "d1-supervisor", "/supervision/due-soon?hours=0", 400, "", ""},
		{"DueSoonBadSort", "d1-supervisor", "/supervision/due-soon?sort=title", 400, "", ""},
		{"DueSoonByClerk", "s1-police", "/supervision/due-soon", 403, "", ""},
		{"OrdersAll", "d1-supervisor", "/supervision/orders", 200, "status", "answered overdue answered"},
		{"OrdersOpen", "d1-supervisor", "/supervision/orders?status=open", 200, "department_id", "s1-citymgmt"},
		{"OrdersOverdue", "d1-supervisor", "/supervision/orders?status=overdue", 200, "order_id", id + "-S2"},
		{"OrdersAnswered", "d1-supervisor", "/supervision/orders?status=answered", 200, "late", "true false"},
		{"OrdersDepartment", "d1-supervisor", "/supervision/orders?department=s1-police", 200, "order_id", id + "-S1 " + id + "-S2"},
		{"OrdersOutside", "d2-supervisor", "/supervision/orders", 200, "order_id", ""},
		{"OrdersBadStatus", "d1-supervisor", "/supervision/orders?status=late", 400, "", ""},
		{"OrdersByClerk", "s1-police", "/supervision/orders", 403, "", ""},
		{"Urges", "d1-supervisor", "/supervision/urges", 200, "department_id", "s1-police s1-citymgmt"},
		{"UrgesCounted", "d1-supervisor", "/supervision/urges", 200, "urges", "2 1"},
		{"UrgesFrom", "d1-supervisor", "/supervision/urges?from=" + url.QueryEscape(time.Now().Add(-150*time.Minute).UTC().Format(time.RFC3339)), 200, "urges", "1 1"},
		{"UrgesOutside", "d2-supervisor", "/supervision/urges", 200, "urges", ""},
		{"UrgesBadFrom", "d1-supervisor", "/supervision/urges?from=yesterday", 400, "", ""},
		{"BreachesSupervision", "d1-supervisor", "/supervision/breaches?kind=supervision", 200, "department_id", "s1-citymgmt s1-police"},
		{"BreachesSupervisionOpen", "d1-supervisor", "/supervision/breaches?kind=supervision&resolved=false", 200, "id", id + "-B8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, tc.user), "GET", "/api/v1"+tc.path, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %v", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				if errCode(r) == "" {
					t.Fatalf("no error envelope: %v", r.body)
				}
				return
			}
			if got := ids(r, tc.key); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
	// A case's read back carries its orders and its tasks' follow-up.
	r := call(t, srv, token(t, st, "d1-supervisor"), "GET", "/api/v1/cases/"+id, "")
	orders, _ := r.body["supervision_orders"].([]any)
	tasks, _ := r.body["tasks"].([]any)
	if len(orders) != 2 || len(tasks) != 2 || tasks[0].(map[string]any)["urges"] != float64(2) || tasks[0].(map[string]any)["warning"] != "red" {
		t.Errorf("case read back: %d orders, tasks %v", len(orders), tasks)
	}
}

// TestFollowupFitsTheDocument: the follow-up answers (the to-do list of
// every kind, the supervision views, a case with orders, the inbox with
// warnings) and their refusals fit api/openapi.json.
func TestFollowupFitsTheDocument(t *testing.T) {
	srv, st := newServer(t)
	k := newContract(t, srv)
	id := followupFixture(t, st)
	const js = "application/json"
	for _, user := range []string{"s1-police", "s1-citymgmt", "c1-secretary", "s1-secretary", "d1-supervisor", "g1-worker"} {
		k.do(token(t, st, user), "GET", "/api/v1/todo", "", "", 200)
	}
	sup, clerk, admin := token(t, st, "d1-supervisor"), token(t, st, "s1-police"), token(t, st, "admin")
	for _, p := range []string{"/supervision/due-soon?hours=8&sort=warning", "/supervision/orders", "/supervision/orders?status=overdue",
		"/supervision/urges", "/supervision/breaches?kind=supervision", "/cases/" + id} {
		k.do(sup, "GET", "/api/v1"+p, "", "", 200)
	}
	k.do(sup, "GET", "/api/v1/supervision/due-soon?hours=999", "", "", 400)
	k.do(clerk, "GET", "/api/v1/supervision/orders", "", "", 403)
	k.do(clerk, "GET", "/api/v1/tasks?warning=red", "", "", 200)
	k.do(clerk, "POST", "/api/v1/tasks/"+id+"-T1/urge", js, `{"message":"请尽快"}`, 403)
	k.do(sup, "POST", "/api/v1/tasks/"+id+"-T1/urge", js, `{}`, 400)
	k.do(sup, "POST", "/api/v1/cases/"+id+"/supervision-orders", js, `{"department_ids":["s1-police"],"requirement":"x","due":"2000-01-01T00:00:00Z"}`, 400)
	k.do(sup, "POST", "/api/v1/supervision-orders/"+id+"-S2/answer", js, `{"answer":"已整改"}`, 403)
	k.do(admin, "PUT", "/api/v1/admin/sla-policies/key", js, `{"level":"street","report_within":"1h","handle_within":"2d","warn_yellow":0.4,"warn_red":0.8}`, 200)
	k.do(admin, "GET", "/api/v1/admin/sla-policies", "", "", 200)
}
