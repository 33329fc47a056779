package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/api/openapitest"
	"github.com/shaobao/shaobao/worktime"
)

// contractCall sends one request as user and checks the exchange against
// the strict OpenAPI document: no undocumented field, every time in UTC.
func (a *apiEnv) contractCall(k *openapitest.Contract, user, method, path, body string, want int) map[string]any {
	a.t.Helper()
	tok := ""
	if user != "" {
		tok = a.token(user)
	}
	status, raw := k.Do(tok, method, path, "application/json", body)
	require.Equal(a.t, want, status, "%s %s as %s: %s", method, path, user, raw)
	var m map[string]any
	if len(raw) > 0 {
		require.NoError(a.t, json.Unmarshal(raw, &m), "%s %s: not a JSON object: %s", method, path, raw)
	}
	return m
}

func field(m map[string]any, keys ...any) any {
	var v any = m
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// TestAPIFilingDeadlinesAreUTC: the 201 of a filing writes each task's
// deadlines in UTC ("Z"), exactly as GET of the case then does.
func TestAPIFilingDeadlinesAreUTC(t *testing.T) {
	a := newAPIEnv(t)
	filed := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	got := a.getCase(filed["id"].(string))
	require.Len(t, got["tasks"], 2)
	for i := range 2 {
		for _, f := range []string{"report_deadline", "handle_deadline"} {
			at := field(filed, "tasks", i, f).(string)
			require.True(t, strings.HasSuffix(at, "Z"), "201 tasks[%d].%s = %s, want UTC", i, f, at)
			require.Equal(t, at, field(got, "tasks", i, f), "tasks[%d].%s: the 201 and GET disagree", i, f)
		}
	}
}

// TestAPIContractLifecycle: every answer of a case's whole life — filing,
// reports, an extension asked in Beijing time and granted, feedback, a
// failed and a passed verification, evaluations, the case, the inbox and
// the lists — fits the strict OpenAPI document.
func TestAPIContractLifecycle(t *testing.T) {
	a := newAPIEnv(t)
	k := openapitest.New(t, a.srv.URL)
	do := func(user, method, path, body string, want int) map[string]any {
		t.Helper()
		return a.contractCall(k, user, method, path, body, want)
	}
	filed := do("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	id := filed["id"].(string)
	t1, t2 := id+"-T1", id+"-T2"
	do("c1-secretary", "GET", "/api/v1/cases/"+id, "", 200)
	do("c1-secretary", "GET", "/api/v1/cases?status=open", "", 200)
	do("s1-police", "GET", "/api/v1/tasks", "", 200)

	do("s1-police", "POST", "/api/v1/tasks/"+t1+"/report", "{}", 200)
	do("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/report", "{}", 200)

	// More time, asked until a moment written in Beijing time.
	handle, err := time.Parse(time.RFC3339Nano, field(filed, "tasks", 0, "handle_deadline").(string))
	require.NoError(t, err)
	until := handle.Add(24 * time.Hour).Truncate(time.Second)
	ask := do("s1-police", "POST", "/api/v1/tasks/"+t1+"/extension",
		`{"until":"`+until.In(worktime.Location).Format(time.RFC3339)+`","reason":"等待配件到货"}`, 200)
	require.Equal(t, until.UTC().Format(time.RFC3339), field(ask, "extension", "until"), "the answer writes the asked time in UTC")
	do("c1-secretary", "POST", "/api/v1/cases/"+id+"/extensions", `{"task_id":"`+t1+`","grant":true,"comment":"同意"}`, 200)

	feedback := func() {
		do("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", `{"result":"已劝导商户，夜间限音","notes":"联合执法","evidence":["https://example.org/e/1.jpg"]}`, 200)
		do("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/feedback", `{"result":"已清理外摆","evidence":[]}`, 200)
	}
	feedback()
	do("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":false,"comment":"夜间仍有噪音"}`, 200)
	feedback()
	do("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":true,"comment":"现场核查已解决"}`, 200)
	do("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 200)
	closed := do("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations",
		`{"department_id":"s1-citymgmt","timeliness":4,"quality":4,"attitude":5,"satisfaction":"basically_satisfied","comment":"及时"}`, 200)
	require.Equal(t, "closed", closed["status"])

	got := do("d1-supervisor", "GET", "/api/v1/cases/"+id, "", 200)
	require.Equal(t, until.UTC().Format(time.RFC3339), field(got, "tasks", 0, "extension", "until"), "the read model writes the asked time in UTC")
	require.Len(t, got["evaluations"], 2)
	do("s1-police", "GET", "/api/v1/tasks?status=all", "", 200)
	do("c1-secretary", "GET", "/api/v1/cases?status=closed", "", 200)
}
