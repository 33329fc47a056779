package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAPIRecurringProblemFiled: three cases of one category in one grid
// within four weeks are a recurring problem (未诉先办) in the street
// secretary's view; one action files the coordinated case through the real
// workflow, at the street, source community, class coordination, its
// description listing the case numbers; cases that no longer form the group
// are refused with 422 and nothing is filed.
func TestAPIRecurringProblemFiled(t *testing.T) {
	a := newAPIEnv(t)
	body := `{"title":"人行道占道经营","source":"grid","class":"routine","category":"占道经营","department_ids":["s1-citymgmt"],
		"location":{"address":"和平里东街 3 号","grid_id":"110101001001001"}}`
	var ids, numbers []string
	for range 3 {
		c := a.must("c1-secretary", "POST", "/api/v1/cases", body, 201)
		ids = append(ids, c["id"].(string))
		numbers = append(numbers, c["number"].(string))
	}
	var view map[string]any
	require.Eventually(t, func() bool { // the projection writes the cases
		view = a.must("s1-secretary", "GET", "/api/v1/supervision/recurring", "", 200)
		return len(view["streets"].([]any)) == 1
	}, 20*time.Second, 100*time.Millisecond)
	p := view["streets"].([]any)[0].(map[string]any)["problems"].([]any)[0].(map[string]any)
	require.Equal(t, "占道经营", p["category"])
	require.EqualValues(t, 3, p["count"])

	file := func(ids ...string) string {
		return fmt.Sprintf(`{"category":"占道经营","grid_id":"110101001001001","case_ids":["%s"],"departments":["s1-citymgmt","s1-market"]}`, strings.Join(ids, `","`))
	}
	r := a.call("s1-secretary", "POST", "/api/v1/supervision/recurring/file", file(ids[0], ids[1], "SBNOPE"))
	require.Equal(t, 422, r.Status, r.Raw)
	require.Equal(t, "not_recurring", r.code())

	kase := a.must("s1-secretary", "POST", "/api/v1/supervision/recurring/file", file(ids...), 201)
	require.Equal(t, "community", kase["source"])
	require.Equal(t, "coordination", kase["class"])
	require.Equal(t, "110101001", kase["org_unit_id"], "filed at the street")
	for _, n := range numbers {
		require.Contains(t, kase["description"], n)
	}
	require.Len(t, kase["tasks"], 2)
	got := a.getCase(kase["id"].(string))
	require.Equal(t, "占道经营", got["category"])
}
