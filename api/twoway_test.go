package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// TestTwowayRefusedBeforeTheWorkflow: the routes of issue 13 refuse bad
// input (400), callers out of place (403 naming the rule, or the 404 of an
// unknown id for a case they cannot see) with the envelope before any
// workflow is asked, and the case stays as it was. A request that passes
// every check reaches for Temporal, which this server lacks: 503.
func TestTwowayRefusedBeforeTheWorkflow(t *testing.T) {
	srv, st := newServer(t)
	const (
		c1case = "SB-TW-C1" // filed and held by community 1, a task for s1-police
		d1case = "SB-TW-D1" // filed and held by district 1
	)
	projectCase(t, st, c1case, "", whistle.CaseOpen)
	projectCaseAt(t, st, d1case, "", "110101", "/110000/110101/")
	rows := []struct {
		name, user, path, body string
		status                 int
	}{
		// Dispatch: the body, then the target unit.
		{"DispatchMalformed", "d1-commander", "/cases/{d1}/dispatch", `{"to":`, 400},
		{"DispatchNoTo", "d1-commander", "/cases/{d1}/dispatch", `{}`, 400},
		{"DispatchEmptyBody", "d1-commander", "/cases/{d1}/dispatch", ``, 400},
		{"DispatchToWrongType", "d1-commander", "/cases/{d1}/dispatch", `{"to":110101001}`, 400},
		{"DispatchReasonNUL", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110101001","reason":"\u0000"}`, 400},
		{"DispatchUnknownUnit", "d1-commander", "/cases/{d1}/dispatch", `{"to":"NOPE"}`, 400},
		{"DispatchToGrid", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110101001001001"}`, 400},
		{"DispatchOutsideJurisdiction", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110102001"}`, 403},
		{"DispatchToItself", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110101"}`, 403},
		{"DispatchUp", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110000"}`, 403},
		{"DispatchByCommunity", "c1-secretary", "/cases/{c1}/dispatch", `{"to":"110101001"}`, 403},
		{"DispatchByNonHolder", "s1-secretary", "/cases/{c1}/dispatch", `{"to":"110101001001"}`, 403},
		{"DispatchBySupervisor", "d1-supervisor", "/cases/{d1}/dispatch", `{"to":"110101001"}`, 403},
		{"DispatchOutsider", "d2-commander", "/cases/{d1}/dispatch", `{"to":"110101001"}`, 404},
		{"DispatchInsideReachesWorkflow", "d1-commander", "/cases/{d1}/dispatch", `{"to":"110101001","reason":"属地处置"}`, 503},
		{"AcceptBoth", "d1-commander", "/cases/{d1}/accept", `{"department_ids":["d1-police"],"dispatch_to":"110101001"}`, 400},
		{"AcceptNeither", "d1-commander", "/cases/{d1}/accept", `{}`, 400},
		{"AcceptDispatchOutside", "d1-commander", "/cases/{d1}/accept", `{"dispatch_to":"110102001"}`, 403},
		{"AcceptDispatchByCommunity", "c1-secretary", "/cases/{c1}/accept", `{"dispatch_to":"110101001002"}`, 403},
		// Recall and the answers: the role is checked before the workflow's state is read.
		{"RecallMalformed", "d1-commander", "/cases/{d1}/recall", `not json`, 400},
		{"RecallReasonWrongType", "d1-commander", "/cases/{d1}/recall", `{"reason":5}`, 400},
		{"RecallByClerk", "s1-police", "/cases/{c1}/recall", `{}`, 403},
		{"RecallByCommunity", "c1-secretary", "/cases/{c1}/recall", `{}`, 403},
		{"RecallOutsider", "c3-secretary", "/cases/{c1}/recall", `{}`, 404},
		{"EscalationAnswerMissingAccept", "s1-secretary", "/cases/{c1}/escalation/answer", `{"comment":"x"}`, 400},
		{"EscalationAnswerAcceptString", "s1-secretary", "/cases/{c1}/escalation/answer", `{"accept":"yes"}`, 400},
		{"EscalationAnswerCommentNUL", "s1-secretary", "/cases/{c1}/escalation/answer", `{"accept":false,"comment":"\u0000"}`, 400},
		{"EscalationAnswerBySupervisor", "d1-supervisor", "/cases/{c1}/escalation/answer", `{"accept":true}`, 403},
		{"EscalationAnswerOutsider", "d2-commander", "/cases/{c1}/escalation/answer", `{"accept":true}`, 404},
		{"EscalationAnswerReachesWorkflow", "s1-secretary", "/cases/{c1}/escalation/answer", `{"accept":true}`, 503},
		{"UnresolvableAnswerMissingApprove", "s1-secretary", "/cases/{c1}/unresolvable/answer", `{}`, 400},
		{"UnresolvableAnswerByClerk", "s1-police", "/cases/{c1}/unresolvable/answer", `{"approve":true}`, 403},
		{"UnresolvableAnswerByCommunity", "c1-secretary", "/cases/{c1}/unresolvable/answer", `{"approve":true}`, 403},
		// The holder's actions.
		{"ReturnAnswerMissingAccept", "c1-secretary", "/cases/{c1}/returns/{c1}-T1/answer", `{"comment":"x"}`, 400},
		{"ReturnAnswerByNonHolder", "s1-secretary", "/cases/{c1}/returns/{c1}-T1/answer", `{"accept":true}`, 403},
		{"ReturnAnswerByClerk", "s1-police", "/cases/{c1}/returns/{c1}-T1/answer", `{"accept":true}`, 403},
		{"DropNoReason", "c1-secretary", "/cases/{c1}/tasks/{c1}-T1/drop", `{}`, 400},
		{"DropBlankReason", "c1-secretary", "/cases/{c1}/tasks/{c1}-T1/drop", `{"reason":""}`, 400},
		{"DropByNonHolder", "s1-secretary", "/cases/{c1}/tasks/{c1}-T1/drop", `{"reason":"x"}`, 403},
		{"DropByGridWorker", "g1-worker", "/cases/{c1}/tasks/{c1}-T1/drop", `{"reason":"x"}`, 403},
		{"DropOutsider", "c3-secretary", "/cases/{c1}/tasks/{c1}-T1/drop", `{"reason":"x"}`, 404},
		{"LeadByClerk", "s1-police", "/cases/{c1}/tasks/{c1}-T1/lead", `{}`, 403},
		{"LeadByNonHolder", "s1-secretary", "/cases/{c1}/tasks/{c1}-T1/lead", ``, 403},
		{"LeadReachesWorkflow", "c1-secretary", "/cases/{c1}/tasks/{c1}-T1/lead", ``, 503},
		{"UnresolvableNoReason", "c1-secretary", "/cases/{c1}/unresolvable", `{}`, 400},
		{"UnresolvableByClerk", "s1-police", "/cases/{c1}/unresolvable", `{"reason":"x"}`, 403},
		{"UnresolvableByNonHolder", "d1-commander", "/cases/{c1}/unresolvable", `{"reason":"x"}`, 403},
		// Release: a clerk whose department has a task on the case.
		{"ReleaseNoReason", "s1-police", "/tasks/{c1}-T1/release", `{}`, 400},
		{"ReleaseBySecretary", "c1-secretary", "/tasks/{c1}-T1/release", `{"reason":"x"}`, 403},
		{"ReleaseByOtherClerk", "s2-police", "/tasks/{c1}-T1/release", `{"reason":"x"}`, 404},
		{"ReleaseUnknownTask", "s1-police", "/tasks/NOPE/release", `{"reason":"x"}`, 404},
		// Verify's targeted rework.
		{"VerifyDepartmentsWrongType", "c1-secretary", "/cases/{c1}/verify", `{"passed":false,"department_ids":"s1-police"}`, 400},
		{"VerifyPassedNamesDepartments", "c1-secretary", "/cases/{c1}/verify", `{"passed":true,"department_ids":["s1-police"]}`, 400},
		{"VerifyDepartmentEmpty", "c1-secretary", "/cases/{c1}/verify", `{"passed":false,"department_ids":[""]}`, 400},
		{"VerifyTooManyDepartments", "c1-secretary", "/cases/{c1}/verify", `{"passed":false,"department_ids":["a","b","c","d","e","f","g","h","i","j","k"]}`, 400},
	}
	fill := strings.NewReplacer("{c1}", c1case, "{d1}", d1case)
	snapshot := func() string {
		var out []byte
		for _, id := range []string{c1case, d1case} {
			c, err := st.Case(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(c)
			out = append(out, b...)
		}
		return string(out)
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
			if row.status == 403 && (errCode(r) != whistle.EForbidden || !strings.Contains(errMessage(r), "规则") && !strings.Contains(errMessage(r), "派")) {
				t.Fatalf("want forbidden naming the rule (or the dispatch's reach), got %v", r.body)
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

// TestEscalationReviewSetting: the admin sets, per level, whether
// escalations are reviewed first; off by default, bad input refused, and
// no one else may read or set it.
func TestEscalationReviewSetting(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	const path = "/api/v1/admin/escalation-review/"
	r := call(t, srv, admin, "GET", path+"community", "")
	if r.status != 200 || r.body["review"] != false || r.body["level"] != "community" || r.body["updated_by"] != nil {
		t.Fatalf("default: %d %v", r.status, r.body)
	}
	for _, bad := range []struct{ name, method, level, body string }{
		{"UnknownLevel", "PUT", "province", `{"review":true}`},
		{"UnknownLevelGet", "GET", "grid", ``},
		{"MissingReview", "PUT", "street", `{}`},
		{"ReviewString", "PUT", "street", `{"review":"yes"}`},
		{"UnknownField", "PUT", "street", `{"review":true,"reviewer":"x"}`},
		{"Malformed", "PUT", "street", `{"review":`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := call(t, srv, admin, bad.method, path+bad.level, bad.body)
			if r.status != 400 || errCode(r) != whistle.EInvalid {
				t.Fatalf("%d %v", r.status, r.body)
			}
		})
	}
	for _, who := range []string{"city-commander", "s1-secretary", "d1-supervisor"} {
		if r := call(t, srv, token(t, st, who), "PUT", path+"street", `{"review":true}`); r.status != 403 {
			t.Fatalf("%s: %d %v", who, r.status, r.body)
		}
	}
	if r := call(t, srv, admin, "GET", path+"street", ""); r.body["review"] != false {
		t.Fatalf("a refused request changed the setting: %v", r.body)
	}
	r = call(t, srv, admin, "PUT", path+"street", `{"review":true}`)
	if r.status != 200 || r.body["review"] != true || r.body["updated_by"] != "admin" || r.body["updated_at"] == nil {
		t.Fatalf("put: %d %v", r.status, r.body)
	}
	if r := call(t, srv, admin, "GET", path+"street", ""); r.body["review"] != true {
		t.Fatalf("get after put: %v", r.body)
	}
	if r := call(t, srv, admin, "GET", path+"district", ""); r.body["review"] != false {
		t.Fatalf("another level changed: %v", r.body)
	}
}

// TestWhistleableBelow: a district command centre's whistleable list on a
// case it holds has its own bureaus, the city's, and the squads of its
// streets (the levels below it), never another district's.
func TestWhistleableBelow(t *testing.T) {
	srv, st := newServer(t)
	const id = "SB-TW-WB"
	projectCaseAt(t, st, id, "", "110101", "/110000/110101/")
	r := call(t, srv, token(t, st, "d1-commander"), "GET", "/api/v1/departments?whistleable=true&case_id="+id, "")
	if r.status != 200 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	got := map[string]bool{}
	for _, it := range r.body["items"].([]any) {
		got[it.(map[string]any)["id"].(string)] = true
	}
	for _, want := range []string{"d1-police", "city-police", "s1-police", "s2-citymgmt"} {
		if !got[want] {
			t.Errorf("%s missing from %v", want, got)
		}
	}
	for _, not := range []string{"d2-police", "s3-police"} {
		if got[not] {
			t.Errorf("%s listed: %v", not, got)
		}
	}
}
