package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// raced is one answer of a request sent among others at the same moment.
type raced struct {
	status        int
	code, message string
}

// race sends n copies of one request at once (released together, each on
// its own goroutine) and returns the answers. It asserts nothing, so it
// may run its requests on other goroutines.
func (a *apiEnv) race(n int, user, method, path, body string) []raced {
	a.t.Helper()
	tok := a.token(user)
	out := make([]raced, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
			if err != nil {
				out[i].message = err.Error()
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			<-start
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				out[i].message = err.Error()
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var env struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(raw, &env)
			out[i] = raced{status: res.StatusCode, code: env.Error.Code, message: env.Error.Message}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// oneWins asserts that exactly one of the raced answers is 200 and every
// other is a refusal that changed nothing: a 409 saying the case moved or
// is no longer in that state (or, for a request that loaded the case after
// the winner's change was in the read model, the 403 of the level that no
// longer holds it). It returns how many were 409.
func oneWins(t *testing.T, answers []raced, allow403 bool) int {
	t.Helper()
	won, conflicts := 0, 0
	for _, r := range answers {
		switch {
		case r.status == 200:
			won++
		case r.status == 409:
			require.Equal(t, "conflict", r.code, r.message)
			conflicts++
		case r.status == 403 && allow403:
			require.Equal(t, "forbidden", r.code, r.message)
		default:
			t.Fatalf("answer %d %s: %s", r.status, r.code, r.message)
		}
	}
	require.Equal(t, 1, won, "exactly one of the concurrent requests applies: %+v", answers)
	return conflicts
}

// TestAPIConcurrentEscalationsMoveOneLevel: five escalations of one
// community case sent at once by its secretary ask the street once. Each
// passes the API's check on the read model; the workflow's validator and
// handler re-check under its lock, so the others answer 409 (one already
// awaits its answer) and, once the street accepts, the case has moved one
// level, not several.
func TestAPIConcurrentEscalationsMoveOneLevel(t *testing.T) {
	a := newAPIEnv(t)
	id := a.fileJoint()
	answers := a.race(5, "c1-secretary", "POST", "/api/v1/cases/"+id+"/escalate", `{"reason":"本级无法协调"}`)
	conflicts := oneWins(t, answers, true)
	require.Positive(t, conflicts, "the requests reached the workflow together: %+v", answers)
	for _, r := range answers {
		if r.status == 409 {
			require.Contains(t, r.message, "尚待答复", "the loser is told an escalation already waits")
		}
	}
	a.must("s1-secretary", "POST", "/api/v1/cases/"+id+"/escalation/answer", `{"accept":true}`, 200)
	got := a.getCase(id)
	require.Equal(t, "street", got["level"])
	require.Len(t, got["escalations"], 1)
	require.Equal(t, 1, timelineCount(got, "escalation_requested"))
	require.Equal(t, 1, timelineCount(got, "escalation_accepted"))
	// The street now holds it; the community's stale view is refused.
	r := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/escalate", `{"reason":"x"}`)
	require.Equal(t, 403, r.Status, r.Raw)
}

// TestAPIConcurrentVerificationsApplyOnce: five verifications sent at once
// on a case awaiting verification open one evaluation window; the others
// are refused and record nothing.
func TestAPIConcurrentVerificationsApplyOnce(t *testing.T) {
	a := newAPIEnv(t)
	id := a.fileJoint()
	for _, task := range []struct{ user, id string }{{"s1-police", id + "-T1"}, {"s1-citymgmt", id + "-T2"}} {
		a.must(task.user, "POST", "/api/v1/tasks/"+task.id+"/report", "{}", 200)
		a.must(task.user, "POST", "/api/v1/tasks/"+task.id+"/feedback", `{"result":"已处理"}`, 200)
	}
	require.Equal(t, "verifying", a.getCase(id)["status"])
	answers := a.race(5, "c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":true,"comment":"现场已核查"}`)
	oneWins(t, answers, false)
	got := a.getCase(id)
	require.Equal(t, "evaluating", got["status"])
	require.Equal(t, 1, timelineCount(got, "verified"))
}
