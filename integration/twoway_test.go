package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/api/openapitest"
)

// The demo city's units of issue 13's walk.
const (
	street1    = "110101001"
	street3    = "110102001" // the other district's
	community1 = "110101001001"
)

// taskOf returns the task id of case c in the answer c.
func taskOf(t *testing.T, c map[string]any, id string) map[string]any {
	t.Helper()
	for _, raw := range c["tasks"].([]any) {
		if task := raw.(map[string]any); task["id"] == id {
			return task
		}
	}
	t.Fatalf("no task %s in %v", id, c["tasks"])
	return nil
}

// lastEscalation is the case's latest escalation.
func lastEscalation(t *testing.T, c map[string]any) map[string]any {
	t.Helper()
	escs, _ := c["escalations"].([]any)
	require.NotEmpty(t, escs, "the case has no escalation")
	return escs[len(escs)-1].(map[string]any)
}

// refused asserts that user's request is refused with status and leaves
// the case id as it was.
func (a *apiEnv) refused(id, user, path, body string, status int) {
	a.t.Helper()
	before := seqOf(a.getCase(id))
	r := a.call(user, "POST", path, body)
	require.Equal(a.t, status, r.Status, "%s %s: %s", user, path, r.Raw)
	require.Equal(a.t, before, seqOf(a.getCase(id)), "a refusal changed the case")
}

// inboxHas reports whether the task is in user's inbox (its active tasks).
func (a *apiEnv) inboxHas(user, taskID string) bool {
	a.t.Helper()
	for _, it := range a.must(user, "GET", "/api/v1/tasks?page_size=200", "", 200)["items"].([]any) {
		if it.(map[string]any)["id"] == taskID {
			return true
		}
	}
	return false
}

// TestAPITwoWay walks issue 13's "Done when" through the API on the real
// Temporal: the four levels both ways and the exceptions of a joint case,
// each refusal a 403/409 with the envelope that changes nothing.
func TestAPITwoWay(t *testing.T) {
	a := newAPIEnv(t)

	t.Run("DispatchDownAndWhistleBelow", func(t *testing.T) {
		a.t = t
		c := a.must("d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"d1-police"`, 1), 201)
		id := c["id"].(string)
		base := "/api/v1/cases/" + id
		a.refused(id, "d1-commander", base+"/dispatch", `{"to":"`+street3+`"}`, 403)    // outside its jurisdiction
		a.refused(id, "s1-secretary", base+"/dispatch", `{"to":"`+community1+`"}`, 404) // not its case to see yet
		c = a.must("d1-commander", "POST", base+"/dispatch", `{"to":"`+street1+`","reason":"属地街道处置"}`, 200)
		require.Equal(t, street1, c["holder_org_unit_id"])
		require.Equal(t, "street", c["level"])
		ds := c["dispatches"].([]any)
		require.Len(t, ds, 1)
		require.Equal(t, "110101", ds[0].(map[string]any)["from_org_unit_id"])
		// The receiver holds it: the sender no longer whistles, and only
		// the sender may take it back.
		a.refused(id, "d1-commander", base+"/whistle", `{"department_ids":["s1-police"]}`, 403)
		a.refused(id, "s1-secretary", base+"/recall", `{}`, 403)
		a.refused(id, "d2-commander", base+"/recall", `{}`, 404)
		c = a.must("s1-secretary", "POST", base+"/whistle", `{"department_ids":["s1-police"]}`, 200)
		require.Len(t, c["tasks"], 2)
		require.True(t, a.inboxHas("s1-police", id+"-T2"))
		// The sender keeps watching it.
		a.must("d1-commander", "GET", "/api/v1/cases/"+id, "", 200)
		require.Contains(t, timelineTypes(a.getCase(id)), "dispatched")
		// And a district command centre whistles its streets' squads on a case it holds.
		d := a.must("d1-commander", "POST", "/api/v1/cases", strings.Replace(jointBody, `"s1-police","s1-citymgmt"`, `"s1-police"`, 1), 201)
		require.Equal(t, "110101", d["holder_org_unit_id"])
		require.Equal(t, "s1-police", d["tasks"].([]any)[0].(map[string]any)["department_id"])
	})
	a.t = t

	t.Run("AcceptDispatchAndRecall", func(t *testing.T) {
		a.t = t
		id := a.filePending("d1-commander")
		base := "/api/v1/cases/" + id
		a.refused(id, "d1-commander", base+"/accept", `{"dispatch_to":"`+street3+`"}`, 403)
		a.refused(id, "d1-commander", base+"/recall", `{}`, 409) // nothing dispatched yet
		c := a.must("d1-commander", "POST", base+"/accept", `{"dispatch_to":"`+street1+`"}`, 200)
		require.Equal(t, "pending", c["status"])
		require.Equal(t, street1, c["holder_org_unit_id"])
		require.Contains(t, a.intakeIDs("s1-secretary"), id, "the street's queue has it")
		c = a.must("d1-commander", "POST", base+"/recall", `{"reason":"区级自办"}`, 200)
		require.Equal(t, "110101", c["holder_org_unit_id"])
		require.NotEmpty(t, c["dispatches"].([]any)[0].(map[string]any)["recalled_at"])
		require.NotContains(t, a.intakeIDs("s1-secretary"), id)
		a.refused(id, "d1-commander", base+"/recall", `{}`, 409) // already back
	})
	a.t = t

	t.Run("EscalationSentBackWithInstructions", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		base := "/api/v1/cases/" + id
		c := a.must("c1-secretary", "POST", base+"/escalate", `{"reason":"需街道协调物业"}`, 200)
		require.Equal(t, community1, c["holder_org_unit_id"], "the case waits at its level for the answer")
		e := lastEscalation(t, c)
		require.Equal(t, "pending", e["status"])
		require.NotEmpty(t, e["answer_deadline"])
		a.refused(id, "c1-secretary", base+"/escalation/answer", `{"accept":true}`, 403) // its own escalation
		a.refused(id, "s2-secretary", base+"/escalation/answer", `{"accept":true}`, 404)
		a.refused(id, "s1-secretary", base+"/escalation/answer", `{"accept":false}`, 400) // instructions required
		c = a.must("s1-secretary", "POST", base+"/escalation/answer", `{"accept":false,"comment":"请先约谈物业公司"}`, 200)
		e = lastEscalation(t, c)
		require.Equal(t, "returned", e["status"])
		require.Equal(t, "请先约谈物业公司", e["comment"])
		require.Equal(t, community1, c["holder_org_unit_id"])
		require.Contains(t, timelineTypes(a.getCase(id)), "escalation_returned")
	})
	a.t = t

	t.Run("EscalationReviewedThenAccepted", func(t *testing.T) {
		a.t = t
		a.must("admin", "PUT", "/api/v1/admin/escalation-review/community", `{"review":true}`, 200)
		defer a.must("admin", "PUT", "/api/v1/admin/escalation-review/community", `{"review":false}`, 200)
		id := a.fileJoint()
		base := "/api/v1/cases/" + id
		c := a.must("c1-secretary", "POST", base+"/escalate", `{"reason":"需街道协调"}`, 200)
		require.Equal(t, "review", lastEscalation(t, c)["status"])
		a.refused(id, "s1-secretary", base+"/escalation/answer", `{"accept":true}`, 403) // the community reviews first
		c = a.must("c1-secretary", "POST", base+"/escalation/answer", `{"accept":true}`, 200)
		require.Equal(t, "pending", lastEscalation(t, c)["status"])
		c = a.must("s1-secretary", "POST", base+"/escalation/answer", `{"accept":true}`, 200)
		require.Equal(t, "accepted", lastEscalation(t, c)["status"])
		require.Equal(t, street1, c["holder_org_unit_id"])
	})
	a.t = t

	t.Run("ReturnAfterBreachRefused", func(t *testing.T) {
		a.t = t
		a.must("admin", "PUT", "/api/v1/admin/sla-policies/emergency", `{"report_within":"2s","handle_within":"1h"}`, 200)
		c := a.must("c1-secretary", "POST", "/api/v1/cases", strings.Replace(jointBody, `"class":"routine"`, `"class":"emergency"`, 1), 201)
		id := c["id"].(string)
		t1 := id + "-T1"
		require.Eventually(t, func() bool {
			return taskOf(t, a.getCase(id), t1)["report_breached"] == true
		}, 30*time.Second, 250*time.Millisecond, "the report deadline passes")
		task := a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/return", `{"reason":"不属于本所职责"}`, 200)
		require.Equal(t, "return_requested", task["status"])
		a.refused(id, "s1-secretary", "/api/v1/cases/"+id+"/returns/"+t1+"/answer", `{"accept":false,"comment":"x"}`, 403)
		c = a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/returns/"+t1+"/answer", `{"accept":false,"comment":"噪音扰民属派出所职责"}`, 200)
		require.Equal(t, "summoned", taskOf(t, c, t1)["status"])
		var breach map[string]any
		for _, b := range a.getCase(id)["breaches"].([]any) {
			if m := b.(map[string]any); m["task_id"] == t1 && m["kind"] == "report" {
				breach = m
			}
		}
		require.NotNil(t, breach, "the report breach is on record")
		require.Equal(t, false, breach["resolved"], "a refused return does not resolve the breach")
	})
	a.t = t

	t.Run("DroppedDepartmentLeavesItsInbox", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		t1, t2 := id+"-T1", id+"-T2"
		require.True(t, a.inboxHas("s1-citymgmt", t2))
		a.refused(id, "s1-secretary", "/api/v1/cases/"+id+"/tasks/"+t2+"/drop", `{"reason":"x"}`, 403)
		c := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/tasks/"+t2+"/drop", `{"reason":"误派：不涉及占道"}`, 200)
		require.Equal(t, "dropped", taskOf(t, c, t2)["status"])
		require.Equal(t, "open", c["status"])
		require.Eventually(t, func() bool { return !a.inboxHas("s1-citymgmt", t2) }, 10*time.Second, 100*time.Millisecond)
		require.True(t, a.inboxHas("s1-police", t1))
		// The last department dropped: the case waits for acceptance again.
		c = a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/tasks/"+t1+"/drop", `{"reason":"误派"}`, 200)
		require.Equal(t, "pending", c["status"])
	})
	a.t = t

	t.Run("TargetedRework", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		t1, t2 := id+"-T1", id+"-T2"
		a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/report", `{}`, 200)
		a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/report", `{}`, 200)
		a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", `{"result":"已劝导"}`, 200)
		a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/feedback", `{"result":"已清理"}`, 200)
		require.Equal(t, "verifying", a.getCase(id)["status"])
		a.refused(id, "c1-secretary", "/api/v1/cases/"+id+"/verify", `{"passed":false,"comment":"x","department_ids":["s2-police"]}`, 400)
		c := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":false,"comment":"噪音仍在","department_ids":["s1-police"]}`, 200)
		require.Equal(t, "open", c["status"])
		require.Equal(t, "reported", taskOf(t, c, t1)["status"], "the named department's task reopens")
		require.Equal(t, "done", taskOf(t, c, t2)["status"], "the other stays done")
	})
	a.t = t

	t.Run("UnresolvableApprovedByTheLevelAbove", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		base := "/api/v1/cases/" + id
		a.refused(id, "s1-secretary", base+"/unresolvable", `{"reason":"x"}`, 403) // not the holder
		c := a.must("c1-secretary", "POST", base+"/unresolvable", `{"reason":"涉及产权诉讼，待法院判决"}`, 200)
		u := c["unresolvable"].(map[string]any)
		require.Equal(t, "pending", u["status"])
		require.Equal(t, street1, u["approver_org_unit_id"])
		a.refused(id, "c1-secretary", base+"/unresolvable/answer", `{"approve":true}`, 403) // its own application
		a.refused(id, "d1-commander", base+"/unresolvable/answer", `{"approve":true}`, 403) // not the level above
		c = a.must("s1-secretary", "POST", base+"/unresolvable/answer", `{"approve":true,"comment":"同意挂账，每月复核"}`, 200)
		require.Equal(t, "closed", c["status"])
		require.Equal(t, "unresolvable", c["outcome"])
		require.Equal(t, "unresolvable", a.getCase(id)["outcome"])
		require.False(t, a.inboxHas("s1-police", id+"-T1"))
		require.Eventually(t, func() bool {
			for _, it := range a.must("d1-supervisor", "GET", "/api/v1/supervision/unresolvable", "", 200)["items"].([]any) {
				if it.(map[string]any)["case_id"] == id {
					return true
				}
			}
			return false
		}, 10*time.Second, 100*time.Millisecond, "the 挂账 list has it")
	})
	a.t = t

	t.Run("ThirdExtensionRefused", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		t1 := id + "-T1"
		for i := range 2 {
			a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/extension", `{"extra":"1d","reason":"等待鉴定"}`, 200)
			c := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/extensions", `{"task_id":"`+t1+`","grant":true}`, 200)
			require.EqualValues(t, i+1, taskOf(t, c, t1)["extensions"])
		}
		a.refused(id, "s1-police", "/api/v1/tasks/"+t1+"/extension", `{"extra":"1d","reason":"仍待鉴定"}`, 409)
	})
}

// TestAPITwoWayContract: issue 13's requests and answers match the strict
// OpenAPI document (no undocumented field, times in UTC), refusals
// included.
func TestAPITwoWayContract(t *testing.T) {
	a := newAPIEnv(t)
	k := openapitest.New(t, a.srv.URL)
	a.contractCall(k, "admin", "PUT", "/api/v1/admin/escalation-review/street", `{"review":false}`, 200)
	a.contractCall(k, "admin", "GET", "/api/v1/admin/escalation-review/street", "", 200)
	d := a.contractCall(k, "d1-commander", "POST", "/api/v1/cases", pendingBody, 201)["id"].(string)
	a.contractCall(k, "d1-commander", "POST", "/api/v1/cases/"+d+"/dispatch", `{"to":"`+street3+`"}`, 403)
	a.contractCall(k, "d1-commander", "POST", "/api/v1/cases/"+d+"/dispatch", `{"to":"`+street1+`","reason":"属地处置"}`, 200)
	a.contractCall(k, "s1-secretary", "POST", "/api/v1/cases/"+d+"/accept", `{"department_ids":["s1-police"]}`, 200)
	a.contractCall(k, "d1-commander", "POST", "/api/v1/cases/"+d+"/recall", `{}`, 200)
	a.contractCall(k, "d1-commander", "GET", "/api/v1/cases/"+d, "", 200)

	id := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", jointBody, 201)["id"].(string)
	base := "/api/v1/cases/" + id
	a.contractCall(k, "c1-secretary", "POST", base+"/tasks/"+id+"-T1/lead", `{}`, 200)
	a.contractCall(k, "s1-police", "POST", "/api/v1/tasks/"+id+"-T2/release", `{"reason":"无需协办"}`, 200)
	a.contractCall(k, "s1-police", "POST", "/api/v1/tasks/"+id+"-T1/return", `{"reason":"不属于本所"}`, 200)
	a.contractCall(k, "c1-secretary", "POST", base+"/returns/"+id+"-T1/answer", `{"accept":false,"comment":"属于派出所职责"}`, 200)
	a.contractCall(k, "c1-secretary", "POST", base+"/escalate", `{"reason":"需街道协调"}`, 200)
	a.contractCall(k, "c1-secretary", "POST", base+"/escalation/answer", `{"accept":true}`, 403)
	a.contractCall(k, "s1-secretary", "POST", base+"/escalation/answer", `{"accept":false,"comment":"请先约谈"}`, 200)
	a.contractCall(k, "c1-secretary", "POST", base+"/unresolvable", `{"reason":"待法院判决"}`, 200)
	a.contractCall(k, "s1-secretary", "POST", base+"/unresolvable/answer", `{"approve":true}`, 200)
	a.contractCall(k, "c1-secretary", "GET", base, "", 200)
	a.contractCall(k, "d1-supervisor", "GET", "/api/v1/supervision/unresolvable", "", 200)
	a.contractCall(k, "d1-supervisor", "GET", "/api/v1/supervision/unresolvable?status=approved&class=routine", "", 200)

	other := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", jointBody, 201)["id"].(string)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+other+"/tasks/"+other+"-T2/drop", `{"reason":"误派"}`, 200)
	a.contractCall(k, "s1-police", "GET", "/api/v1/tasks?status=all", "", 200)
}
