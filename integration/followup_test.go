package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// eventually polls check every 100 ms until it returns true or within
// passes.
func (a *apiEnv) eventually(within time.Duration, what string, check func() bool) {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for !check() {
		if time.Now().After(deadline) {
			a.t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// todoOf is user's to-do list: the counts and "kind:case" items in order.
func (a *apiEnv) todoOf(user string) (map[string]any, []string) {
	a.t.Helper()
	r := a.must(user, "GET", "/api/v1/todo", "", 200)
	var items []string
	for _, it := range r["items"].([]any) {
		m := it.(map[string]any)
		items = append(items, fmt.Sprint(m["kind"], ":", m["case_id"]))
	}
	require.EqualValues(a.t, len(items), r["total"])
	return r["counts"].(map[string]any), items
}

// items is the values of key in a list's items, in order.
func items(r map[string]any, key string) []string {
	var out []string
	for _, it := range r["items"].([]any) {
		out = append(out, fmt.Sprint(it.(map[string]any)[key]))
	}
	return out
}

// TestAPIFollowup walks issue 14's "Done when" through the API on the real
// Temporal: with a clock shortened by an admin, a task turns yellow then
// red in the department's inbox before it breaches, and the breach
// follows; a supervisor urges (the second urge within the hour is a 429
// that changes nothing) and issues supervision orders, answered in time
// and late, both in the supervision views; /todo lists for each demo role
// what waits on it.
//
// The shortened clock is the emergency class's: its wall clock runs at any
// hour, where a routine (working-time) clock shortened to seconds would
// wait for the next working hour outside office hours.
func TestAPIFollowup(t *testing.T) {
	a := newAPIEnv(t)
	a.must("admin", "PUT", "/api/v1/admin/sla-policies/emergency",
		`{"report_within":"8s","handle_within":"24h","warn_yellow":0.25,"warn_red":0.5}`, 200)
	body := strings.NewReplacer(`"class":"routine"`, `"class":"emergency"`, `"s1-police","s1-citymgmt"`, `"s1-police"`).Replace(jointBody)
	c := a.must("c1-secretary", "POST", "/api/v1/cases", body, 201)
	id := c["id"].(string)
	t1 := id + "-T1"
	base := "/api/v1/cases/" + id

	t.Run("YellowThenRedThenBreach", func(t *testing.T) {
		a.t = t
		// The inbox as the clerk sees it, every 100 ms: the warnings in
		// the order they show, until the report deadline is breached.
		var seen []string
		a.eventually(15*time.Second, "the report deadline breached", func() bool {
			task := taskOf(t, a.getCase(id), t1)
			w := task["warning"].(string)
			if w != "" && (len(seen) == 0 || seen[len(seen)-1] != w) {
				seen = append(seen, w)
				inbox := a.must("s1-police", "GET", "/api/v1/tasks?warning="+w, "", 200)
				require.Contains(t, items(inbox, "id"), t1, "the inbox filtered by %s lists the task", w)
			}
			return task["report_breached"] == true
		})
		require.Equal(t, []string{"yellow", "red"}, seen, "yellow, then red, before the breach")
		// The breached report clock no longer warns; the handling clock
		// (24 h) has not reached its threshold.
		require.Equal(t, "", taskOf(t, a.getCase(id), t1)["warning"])
		breaches := a.must("d1-supervisor", "GET", "/api/v1/supervision/breaches?kind=report", "", 200)
		require.Contains(t, items(breaches, "task_id"), t1)
		var warnings []string
		for _, e := range a.getCase(id)["timeline"].([]any) {
			if e := e.(map[string]any); e["type"] == "warning" {
				warnings = append(warnings, strings.Fields(e["detail"].(string))[0])
			}
		}
		require.Equal(t, []string{"yellow", "red"}, warnings, "a timeline entry per warning")
	})

	t.Run("Urge", func(t *testing.T) {
		a.t = t
		task := a.must("d1-supervisor", "POST", "/api/v1/tasks/"+t1+"/urge", `{"message":"请立即到场处置"}`, 200)
		require.EqualValues(t, 1, task["urges"])
		require.NotEmpty(t, task["last_urged_at"])
		before := seqOf(a.getCase(id))
		r := a.call("c1-secretary", "POST", "/api/v1/tasks/"+t1+"/urge", `{"message":"再催一次"}`)
		require.Equal(t, 429, r.Status, r.Raw)
		require.Equal(t, "rate_limited", r.code())
		require.Contains(t, r.message(), "一小时内已催办")
		require.Equal(t, before, seqOf(a.getCase(id)), "a refused urge changed the case")
		urges := a.must("d1-supervisor", "GET", "/api/v1/supervision/urges", "", 200)
		require.Equal(t, []string{"s1-police"}, items(urges, "department_id"))
		require.Equal(t, []string{"1"}, items(urges, "urges"))
	})

	t.Run("SupervisionOrders", func(t *testing.T) {
		a.t = t
		due := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
		order := func(requirement, due string) string {
			return `{"department_ids":["s1-police"],"requirement":"` + requirement + `","due":"` + due + `"}`
		}
		// S1 is answered in time; S2 (due in 3 s) late.
		c := a.must("d1-supervisor", "POST", base+"/supervision-orders", order("一小时内到场并反馈", due(time.Hour)), 200)
		require.Len(t, c["supervision_orders"], 1)
		c = a.must("d1-supervisor", "POST", base+"/supervision-orders", order("立即反馈处置方案", due(3*time.Second)), 200)
		require.Len(t, c["supervision_orders"], 2)
		s1, s2 := id+"-S1", id+"-S2"
		a.must("s1-police", "POST", "/api/v1/supervision-orders/"+s1+"/answer", `{"answer":"已到场，正在处置"}`, 200)

		a.eventually(10*time.Second, "S2's breach of kind supervision", func() bool {
			r := a.must("d1-supervisor", "GET", "/api/v1/supervision/breaches?kind=supervision&resolved=false", "", 200)
			return len(r["items"].([]any)) == 1
		})
		overdue := a.must("d1-supervisor", "GET", "/api/v1/supervision/orders?status=overdue", "", 200)
		require.Equal(t, []string{s2}, items(overdue, "order_id"))

		// What waits on whom while S2 is overdue: the clerk reports (its
		// report deadline breached) and answers S2; the issuer watches S2;
		// the holder and the others have nothing.
		counts, got := a.todoOf("s1-police")
		require.Equal(t, []string{"report:" + id, "supervision_order:" + id}, got, "the earliest deadline first")
		require.EqualValues(t, map[string]any{"report": 1.0, "feedback": 0.0, "supervision_order": 1.0}, counts)
		counts, got = a.todoOf("d1-supervisor")
		require.Equal(t, []string{"order_overdue:" + id}, got)
		require.EqualValues(t, map[string]any{"order_open": 0.0, "order_overdue": 1.0}, counts)
		for _, user := range []string{"c1-secretary", "s1-secretary", "s1-commander", "d1-commander", "city-commander", "g1-worker", "s1-citymgmt", "d2-supervisor", "admin"} {
			counts, got := a.todoOf(user)
			require.Empty(t, got, "%s has nothing to do", user)
			for kind, n := range counts {
				require.EqualValues(t, 0, n, "%s: %s", user, kind)
			}
		}
		_, got = a.todoOf("c1-secretary")
		require.Empty(t, got)

		// The late answer resolves the breach.
		a.must("s1-police", "POST", "/api/v1/supervision-orders/"+s2+"/answer", `{"answer":"处置方案已报"}`, 200)
		a.eventually(5*time.Second, "S2 answered in the read model", func() bool {
			r := a.must("d1-supervisor", "GET", "/api/v1/supervision/orders?status=answered", "", 200)
			return len(r["items"].([]any)) == 2
		})
		answered := a.must("d1-supervisor", "GET", "/api/v1/supervision/orders?status=answered", "", 200)
		require.Equal(t, []string{s2, s1}, items(answered, "order_id"), "the earliest due first")
		require.Equal(t, []string{"true", "false"}, items(answered, "late"))
		all := a.must("d1-supervisor", "GET", "/api/v1/supervision/breaches?kind=supervision", "", 200)
		require.Equal(t, []string{"true"}, items(all, "resolved"))
		require.Equal(t, []string{"s1-police"}, items(all, "department_id"))
		outside := a.must("d2-supervisor", "GET", "/api/v1/supervision/orders", "", 200)
		require.Empty(t, outside["items"])
		_, got = a.todoOf("d1-supervisor")
		require.Empty(t, got, "no order waits on its issuer once answered")
		_, got = a.todoOf("s1-police")
		require.Equal(t, []string{"report:" + id}, got)
	})
}
