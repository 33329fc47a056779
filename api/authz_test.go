package api_test

import (
	"strings"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// TestCaseRefusalsBeforeTheWorkflow is the authorization matrix of the
// decisions taken before a workflow is asked, on a case filed and held by
// community 1 with a task for s1-police. A caller who may not see the case
// gets the very 404 of an unknown id (existence is not revealed); a caller
// who sees it but may not act gets 403 naming the rule. A grid worker
// reports problems; the secretary decides (DESIGN.md §1): it sees the case
// but may not whistle more, escalate or answer extensions. Nothing here
// reaches Temporal (there is none behind this server).
func TestCaseRefusalsBeforeTheWorkflow(t *testing.T) {
	srv, st := newServer(t)
	const id = "SB-AUTHZ-1"
	projectCase(t, st, id, "", whistle.CaseOpen)
	evaluate := `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`
	callback := `{"method":"phone","reached":true,"satisfaction":"satisfied"}`
	rows := []struct {
		user, method, path, body string
		status                   int
	}{
		// Outside: as if there were no such case or task.
		{"c3-secretary", "GET", "/api/v1/cases/{id}", "", 404},
		{"d2-commander", "GET", "/api/v1/cases/{id}", "", 404},
		{"d2-supervisor", "GET", "/api/v1/cases/{id}", "", 404},
		{"s2-police", "GET", "/api/v1/cases/{id}", "", 404},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 404},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 404},
		{"d2-commander", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 404},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{id}-T1","grant":true}`, 404},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 404},
		{"c3-secretary", "POST", "/api/v1/cases/{id}/evaluations", evaluate, 404},
		{"c3-secretary", "GET", "/api/v1/departments?whistleable=true&case_id={id}", "", 404},
		{"s2-police", "POST", "/api/v1/tasks/{id}-T1/report", `{}`, 404},
		{"d1-police", "POST", "/api/v1/tasks/{id}-T1/report", `{}`, 404},
		{"s2-police", "POST", "/api/v1/tasks/{id}-T1/feedback", `{"result":"ok"}`, 404},
		{"s2-police", "POST", "/api/v1/tasks/{id}-T1/extension", `{"extra":"2d","reason":"x"}`, 404},
		{"c3-secretary", "POST", "/api/v1/tasks/{id}-T1/return", `{"reason":"x"}`, 404},
		// Inside, but not theirs to do: the rule that said no.
		{"s1-secretary", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 403},
		{"s1-secretary", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403},
		{"s1-police", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"x"}`, 403},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 403},
		{"c1-secretary", "POST", "/api/v1/tasks/{id}-T1/report", `{}`, 403},
		{"d1-supervisor", "POST", "/api/v1/tasks/{id}-T1/report", `{}`, 403},
		{"g1-worker", "POST", "/api/v1/tasks/{id}-T1/report", `{}`, 403},
		// A grid worker reports; the secretary decides.
		{"g1-worker", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"]}`, 403},
		{"g1-worker", "POST", "/api/v1/cases/{id}/whistle", `{"department_ids":["s1-market"],"reroute_task_id":"{id}-T1"}`, 403},
		{"g1-worker", "POST", "/api/v1/cases/{id}/escalate", `{"reason":"本级无法协调"}`, 403},
		{"g1-worker", "POST", "/api/v1/cases/{id}/extensions", `{"task_id":"{id}-T1","grant":true}`, 403},
		{"g1-worker", "POST", "/api/v1/cases/{id}/verify", `{"passed":true}`, 403},
		// 回访: the filing side's command centre or secretary calls back.
		{"c3-secretary", "POST", "/api/v1/cases/{id}/callback", callback, 404},
		{"d2-commander", "POST", "/api/v1/cases/{id}/callback", callback, 404},
		{"s1-police", "POST", "/api/v1/cases/{id}/callback", callback, 403},
		{"d1-supervisor", "POST", "/api/v1/cases/{id}/callback", callback, 403},
		{"g1-worker", "POST", "/api/v1/cases/{id}/callback", callback, 403},
	}
	// The answers for ids that do not exist, to compare with.
	unknownCase := call(t, srv, token(t, st, "c1-secretary"), "GET", "/api/v1/cases/NOPE", "")
	unknownTask := call(t, srv, token(t, st, "s1-police"), "POST", "/api/v1/tasks/NOPE/report", `{}`)
	for _, u := range []reply{unknownCase, unknownTask} {
		if u.status != 404 || errCode(u) != whistle.ENotFound {
			t.Fatalf("unknown id: %d %v", u.status, u.body)
		}
	}
	fill := strings.NewReplacer("{id}", id)
	for _, row := range rows {
		path := fill.Replace(row.path)
		t.Run(row.user+" "+row.method+" "+path, func(t *testing.T) {
			r := call(t, srv, token(t, st, row.user), row.method, path, fill.Replace(row.body))
			if r.status != row.status {
				t.Fatalf("status %d, want %d: %v", r.status, row.status, r.body)
			}
			switch row.status {
			case 403:
				if errCode(r) != whistle.EForbidden || !strings.Contains(errMessage(r), "规则") {
					t.Fatalf("want forbidden naming the rule, got %v", r.body)
				}
			case 404:
				unknown, self := unknownCase, id
				if strings.HasPrefix(path, "/api/v1/tasks/") {
					unknown, self = unknownTask, id+"-T1"
				}
				if errCode(r) != errCode(unknown) || strings.ReplaceAll(errMessage(r), self, "NOPE") != errMessage(unknown) {
					t.Fatalf("%v differs from the answer for an unknown id, %v", r.body, unknown.body)
				}
			}
		})
	}
}
