package integration

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/api/openapitest"
)

// pendingBody files a grid report without departments: pending.
const pendingBody = `{"title":"井盖缺失","description":"和平里东街井盖缺失","source":"grid","class":"key",
	"location":{"address":"和平里东街 3 号","lat":39.95,"lon":116.41}}`

// filePending files pendingBody as user and returns the case id.
func (a *apiEnv) filePending(user string) string {
	a.t.Helper()
	c := a.must(user, "POST", "/api/v1/cases", pendingBody, 201)
	require.Equal(a.t, "pending", c["status"])
	require.Empty(a.t, c["tasks"])
	require.NotEmpty(a.t, c["accept_deadline"])
	return c["id"].(string)
}

// intakeIDs lists the ids in user's acceptance queue, in order.
func (a *apiEnv) intakeIDs(user string) []string {
	a.t.Helper()
	l := a.must(user, "GET", "/api/v1/intake", "", 200)
	var ids []string
	for _, it := range l["items"].([]any) {
		m := it.(map[string]any)
		require.Equal(a.t, "pending", m["status"])
		require.Contains(a.t, m, "accept_overdue")
		require.NotEmpty(a.t, m["accept_deadline"])
		ids = append(ids, m["id"].(string))
	}
	return ids
}

func timelineTypes(c map[string]any) []string {
	var out []string
	for _, e := range c["timeline"].([]any) {
		out = append(out, e.(map[string]any)["type"].(string))
	}
	return out
}

// TestAPIIntake: a grid worker's report without departments waits in
// community 1's queue; the secretary accepts it with departments and the
// closed loop goes on; another is rejected, another merged; refusals
// change nothing.
func TestAPIIntake(t *testing.T) {
	a := newAPIEnv(t)

	first := a.filePending("g1-worker")
	second := a.filePending("c1-secretary")
	require.Equal(t, []string{first, second}, a.intakeIDs("c1-secretary"), "oldest first")
	require.Empty(t, a.intakeIDs("c3-secretary"), "another community's queue")
	require.Empty(t, a.intakeIDs("s1-secretary"), "held by the community, not the street")

	t.Run("Refusals", func(t *testing.T) {
		a.t = t
		before := seqOf(a.getCase(first))
		for _, r := range []struct {
			user, path, body string
			status           int
		}{
			{"g1-worker", "/accept", `{"department_ids":["s1-police"]}`, 403},
			{"s1-police", "/reject", `{"reason":"x"}`, 404}, // no task: the clerk cannot see it
			{"c3-secretary", "/merge", `{"into":"` + second + `"}`, 404},
			{"c1-secretary", "/accept", `{}`, 400},
			{"c1-secretary", "/accept", `{"dispatch_to":"110101001002"}`, 403}, // a community dispatches nothing (case:dispatch)
			{"c1-secretary", "/accept", `{"department_ids":["nope"]}`, 400},
			{"c1-secretary", "/accept", `{"department_ids":["s2-police"]}`, 403},
			{"c1-secretary", "/reject", `{"reason":""}`, 400},
			{"c1-secretary", "/reject", `not json`, 400},
			{"c1-secretary", "/merge", `{"into":"` + first + `"}`, 400},
			{"c1-secretary", "/merge", `{"into":"NOPE"}`, 400},
		} {
			res := a.call(r.user, "POST", "/api/v1/cases/"+first+r.path, r.body)
			require.Equal(t, r.status, res.Status, "%s %s %s: %s", r.user, r.path, r.body, res.Raw)
		}
		require.Equal(t, before, seqOf(a.getCase(first)), "a refusal changed the case")
	})
	a.t = t

	t.Run("AcceptAndWhistle", func(t *testing.T) {
		a.t = t
		c := a.must("c1-secretary", "POST", "/api/v1/cases/"+first+"/accept", `{"department_ids":["s1-police"]}`, 200)
		require.Equal(t, "open", c["status"])
		require.Len(t, c["tasks"], 1)
		require.NotEmpty(t, c["tasks"].([]any)[0].(map[string]any)["report_deadline"])
		require.Equal(t, []string{second}, a.intakeIDs("c1-secretary"))
		// Not pending any more: 409, nothing changes.
		before := seqOf(a.getCase(first))
		require.Equal(t, 409, a.call("c1-secretary", "POST", "/api/v1/cases/"+first+"/reject", `{"reason":"x"}`).Status)
		require.Equal(t, 409, a.call("c1-secretary", "POST", "/api/v1/cases/"+first+"/accept", `{"department_ids":["s1-market"]}`).Status)
		require.Equal(t, before, seqOf(a.getCase(first)))
		// The lifecycle goes on: the department reports for duty.
		a.must("s1-police", "POST", "/api/v1/tasks/"+first+"-T1/report", `{}`, 200)
		got := a.getCase(first)
		require.Equal(t, []string{"filed", "accepted", "summoned", "reported"}, timelineTypes(got))
	})
	a.t = t

	t.Run("Reject", func(t *testing.T) {
		a.t = t
		id := a.filePending("c1-secretary")
		c := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/reject", `{"reason":"不属于政府职能"}`, 200)
		require.Equal(t, "closed", c["status"])
		require.Equal(t, "rejected", c["outcome"])
		got := a.getCase(id)
		require.Equal(t, "rejected", got["outcome"])
		require.Equal(t, "不属于政府职能", got["reject_reason"])
		require.Contains(t, timelineTypes(got), "rejected")
		require.Equal(t, 409, a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/reject", `{"reason":"again"}`).Status)
	})
	a.t = t

	t.Run("Merge", func(t *testing.T) {
		a.t = t
		// Into a closed case: refused.
		closed := a.filePending("c1-secretary")
		a.must("c1-secretary", "POST", "/api/v1/cases/"+closed+"/reject", `{"reason":"重复"}`, 200)
		require.Equal(t, 409, a.call("c1-secretary", "POST", "/api/v1/cases/"+second+"/merge", `{"into":"`+closed+`"}`).Status)
		// Across jurisdictions: c3's case is unknown to c1.
		// c3 files at a point of its own grid (光明第一网格): the grids
		// decide whose community a point is in.
		c3case := a.must("c3-secretary", "POST", "/api/v1/cases", strings.Replace(pendingBody, `"lat":39.95,"lon":116.41`, `"lat":39.905,"lon":116.42`, 1), 201)["id"].(string)
		require.Equal(t, 400, a.call("c1-secretary", "POST", "/api/v1/cases/"+second+"/merge", `{"into":"`+c3case+`"}`).Status)
		require.Equal(t, "pending", a.getCase(second)["status"])

		c := a.must("c1-secretary", "POST", "/api/v1/cases/"+second+"/merge", `{"into":"`+first+`"}`, 200)
		require.Equal(t, "closed", c["status"])
		require.Equal(t, "merged", c["outcome"])
		require.Equal(t, first, c["merged_into"])
		require.Contains(t, timelineTypes(a.getCase(second)), "merged")
		require.Eventually(t, func() bool {
			for _, typ := range timelineTypes(a.getCase(first)) {
				if typ == "merged_in" {
					return true
				}
			}
			return false
		}, 10e9, 100e6, "the survivor's timeline records the merge")
		require.Empty(t, a.intakeIDs("c1-secretary"))
	})
}

// TestAPIIntakeContract: the acceptance queue's answers match the strict
// OpenAPI document (no undocumented field, times in UTC).
func TestAPIIntakeContract(t *testing.T) {
	a := newAPIEnv(t)
	k := openapitest.New(t, a.srv.URL)
	first := a.contractCall(k, "g1-worker", "POST", "/api/v1/cases", pendingBody, 201)["id"].(string)
	second := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", pendingBody, 201)["id"].(string)
	third := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", pendingBody, 201)["id"].(string)
	a.contractCall(k, "c1-secretary", "GET", "/api/v1/intake?overdue=false&class=key", "", 200)
	a.contractCall(k, "g1-worker", "GET", "/api/v1/intake", "", 403)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+first+"/accept", `{"department_ids":["s1-police"]}`, 200)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+first+"/accept", `{"department_ids":["s1-police"]}`, 409)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+second+"/reject", `{"reason":"信息不足"}`, 200)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+third+"/merge", `{"into":"`+third+`"}`, 400)
	a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases/"+third+"/merge", `{"into":"`+first+`"}`, 200)
	a.contractCall(k, "c1-secretary", "GET", "/api/v1/cases/"+third, "", 200)
	a.contractCall(k, "d1-supervisor", "GET", "/api/v1/supervision/breaches", "", 200)
}
