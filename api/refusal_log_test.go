package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store/storetest"
)

// logLines receives the server's log lines from its goroutines: a slog
// handler writes each line in one Write.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// take returns the lines written so far.
func (l logLines) take() []string {
	var out []string
	for {
		select {
		case s := <-l:
			out = append(out, s)
		default:
			return out
		}
	}
}

// A refused request (4xx) is logged with its code, the policy rule that
// refused it and the target's id from the route: a 403 or 409 at WARN,
// other 4xx at INFO.
func TestRefusalsAreLogged(t *testing.T) {
	out := make(logLines, 1000)
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	logged := httptest.NewServer((&api.Server{Store: st, Policy: pol, MaxBodyBytes: 4096,
		Logger: slog.New(slog.NewJSONHandler(out, nil))}).Handler())
	t.Cleanup(logged.Close)
	if err := st.ApplyCase(context.Background(), closedDemoCase("SBX1", time.Now().Add(-time.Hour)), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, method, path, body string
		want                           map[string]any // attributes of the "request refused" line
	}{
		{"OtherDepartmentsTask", "s1-citymgmt", "POST", "/api/v1/tasks/SBX1-T1/report", `{}`,
			map[string]any{"level": "WARN", "status": 403.0, "code": "forbidden", "rule": "task:own_department", "task_id": "SBX1-T1"}},
		{"NoRuleForTheRole", "g1-worker", "GET", "/api/v1/admin/users", "",
			map[string]any{"level": "WARN", "status": 403.0, "code": "forbidden", "rule": policy.DefaultDeny, "user": "g1-worker"}},
		{"Conflict", "admin", "DELETE", "/api/v1/admin/org-units/110101", "",
			map[string]any{"level": "WARN", "status": 409.0, "code": "conflict", "org_unit_id": "110101", "rule": nil}},
		{"UnknownCase", "c1-secretary", "GET", "/api/v1/cases/NOPE", "",
			map[string]any{"level": "INFO", "status": 404.0, "code": "not_found", "case_id": "NOPE"}},
		{"BadInput", "admin", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1d","handle_within":"4h"}`,
			map[string]any{"level": "INFO", "status": 400.0, "code": "invalid", "class": "key"}},
		{"SignedOut", "", "GET", "/api/v1/me", "",
			map[string]any{"level": "INFO", "status": 401.0, "code": "unauthorized"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := ""
			if tc.user != "" {
				tok = token(t, st, tc.user)
			}
			out.take()
			r := call(t, logged, tok, tc.method, tc.path, tc.body)
			if want := int(tc.want["status"].(float64)); r.status != want {
				t.Fatalf("status %d, want %d: %v", r.status, want, r.body)
			}
			var refused []map[string]any
			for _, l := range out.take() {
				var line map[string]any
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("not JSON: %q", l)
				}
				if line["msg"] == "request refused" {
					refused = append(refused, line)
				}
			}
			if len(refused) != 1 {
				t.Fatalf("%d \"request refused\" lines, want 1", len(refused))
			}
			for k, v := range tc.want {
				if refused[0][k] != v {
					t.Errorf("%s = %v, want %v (line %v)", k, refused[0][k], v, refused[0])
				}
			}
			if reason, _ := refused[0]["reason"].(string); reason == "" {
				t.Errorf("no reason: %v", refused[0])
			}
		})
	}
}
