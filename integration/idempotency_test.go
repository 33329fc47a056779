package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func taskStatus(c map[string]any, taskID string) string {
	for _, raw := range c["tasks"].([]any) {
		if t := raw.(map[string]any); t["id"] == taskID {
			return t["status"].(string)
		}
	}
	return ""
}

func timelineCount(c map[string]any, typ string) int {
	n := 0
	for _, raw := range c["timeline"].([]any) {
		if raw.(map[string]any)["type"] == typ {
			n++
		}
	}
	return n
}

// TestAPIIdempotencyKeyBinding: an Idempotency-Key belongs to a user and
// one request, through the real workflow: another clerk's same key on
// another task is applied, not swallowed (nor by a shared tracing
// header); a replay returns the first answer; the key on another body
// answers 422; a refusal is not kept.
func TestAPIIdempotencyKeyBinding(t *testing.T) {
	a := newAPIEnv(t)

	// Two clerks report their own tasks of one case with the same header.
	for _, header := range []string{"Idempotency-Key", "X-Request-ID"} {
		t.Run("SameHeaderOtherClerkOtherTask/"+header, func(t *testing.T) {
			a.t = t
			id := a.fileJoint()
			t1, t2 := id+"-T1", id+"-T2"
			first := a.call("s1-police", "POST", "/api/v1/tasks/"+t1+"/report", "{}", header, "shared-1")
			require.Equal(t, 200, first.Status, first.Raw)
			second := a.call("s1-citymgmt", "POST", "/api/v1/tasks/"+t2+"/report", "{}", header, "shared-1")
			require.Equal(t, 200, second.Status, second.Raw)
			require.Empty(t, second.Header.Get("Idempotent-Replayed"))
			require.Equal(t, t2, second.Body["id"])
			require.Equal(t, "reported", second.Body["status"])
			c := a.getCase(id)
			require.Equal(t, "reported", taskStatus(c, t1))
			require.Equal(t, "reported", taskStatus(c, t2), "the second clerk's report was swallowed")
			require.Equal(t, 2, timelineCount(c, "reported"))
		})
	}

	t.Run("ReplayAndReuse", func(t *testing.T) {
		a.t = t
		id := a.fileJoint()
		t1 := id + "-T1"
		a.must("s1-police", "POST", "/api/v1/tasks/"+t1+"/report", "{}", 200)
		body := `{"result":"已劝导商户","evidence":[]}`
		first := a.call("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", body, "Idempotency-Key", "fb-1")
		require.Equal(t, 200, first.Status, first.Raw)
		again := a.call("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", body, "Idempotency-Key", "fb-1")
		require.Equal(t, 200, again.Status, "a replay answers as the first time, not 409 already done: %s", again.Raw)
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		require.JSONEq(t, first.Raw, again.Raw)

		other := a.call("s1-police", "POST", "/api/v1/tasks/"+t1+"/feedback", `{"result":"另一个结果","evidence":[]}`, "Idempotency-Key", "fb-1")
		require.Equal(t, 422, other.Status, other.Raw)
		require.Equal(t, "idempotency_key_reused", other.code())
		require.Equal(t, 1, timelineCount(a.getCase(id), "feedback"))

		// Filing: the same key with another body is refused; another user's
		// same key files their own case.
		f1 := a.call("c1-secretary", "POST", "/api/v1/cases", jointBody, "Idempotency-Key", "file-1")
		require.Equal(t, 201, f1.Status, f1.Raw)
		f2 := a.call("c1-secretary", "POST", "/api/v1/cases", jointBody, "Idempotency-Key", "file-1")
		require.Equal(t, 201, f2.Status, f2.Raw)
		require.Equal(t, "true", f2.Header.Get("Idempotent-Replayed"))
		require.Equal(t, f1.Body["id"], f2.Body["id"])
		changed := strings.Replace(jointBody, "酒吧街夜间噪音扰民", "菜市场占道经营", 1)
		f3 := a.call("c1-secretary", "POST", "/api/v1/cases", changed, "Idempotency-Key", "file-1")
		require.Equal(t, 422, f3.Status, f3.Raw)
		f4 := a.call("s1-secretary", "POST", "/api/v1/cases", jointBody, "Idempotency-Key", "file-1")
		require.Equal(t, 201, f4.Status, f4.Raw)
		require.NotEqual(t, f1.Body["id"], f4.Body["id"])
	})

	t.Run("RetryOfTheClosingActionAfterItsAnswerWasLost", func(t *testing.T) {
		// The api process applied the evaluation that closed the case and
		// died before keeping its answer: the retry with the same key is
		// answered with that evaluation's result, not "the case is closed".
		a.t = t
		id := a.fileJoint()
		for i, clerk := range []string{"s1-police", "s1-citymgmt"} {
			task := fmt.Sprintf("%s-T%d", id, i+1)
			a.must(clerk, "POST", "/api/v1/tasks/"+task+"/report", "{}", 200)
			a.must(clerk, "POST", "/api/v1/tasks/"+task+"/feedback", `{"result":"已处理","evidence":[]}`, 200)
		}
		a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":true,"comment":"已解决"}`, 200)
		eval := `{"department_id":"%s","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`
		a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", fmt.Sprintf(eval, "s1-police"), 200)
		body := fmt.Sprintf(eval, "s1-citymgmt")
		first := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", body, "Idempotency-Key", "close-1")
		require.Equal(t, 200, first.Status, first.Raw)
		require.Equal(t, "closed", first.Body["status"])
		// The answer was never kept: the record of the key is gone.
		require.NoError(t, a.st.DB.Exec("DELETE FROM idempotency_keys WHERE idem_key = ?", "close-1").Error)

		retry := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", body, "Idempotency-Key", "close-1")
		require.Equal(t, 200, retry.Status, "the retry of the closing action: %s", retry.Raw)
		require.Equal(t, "closed", retry.Body["status"])
		require.Equal(t, 2, timelineCount(a.getCase(id), "evaluated"), "applied once")

		other := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", body, "Idempotency-Key", "close-2")
		require.Equal(t, 409, other.Status, "a new action on the closed case is refused: %s", other.Raw)
		unkeyed := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", body)
		require.Equal(t, 409, unkeyed.Status, unkeyed.Raw)
	})

	t.Run("RefusalIsNotKept", func(t *testing.T) {
		// Verifying too early is refused and changes nothing: the same
		// request with the same key is judged again once the case is ready.
		a.t = t
		id := a.fileJoint()
		verify := `{"passed":true,"comment":"现场核查已解决"}`
		early := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", verify, "Idempotency-Key", "verify-1")
		require.Equal(t, 409, early.Status, early.Raw)
		for i, clerk := range []string{"s1-police", "s1-citymgmt"} {
			task := fmt.Sprintf("%s-T%d", id, i+1)
			a.must(clerk, "POST", "/api/v1/tasks/"+task+"/report", "{}", 200)
			a.must(clerk, "POST", "/api/v1/tasks/"+task+"/feedback", `{"result":"已处理","evidence":[]}`, 200)
		}
		later := a.call("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", verify, "Idempotency-Key", "verify-1")
		require.Equal(t, 200, later.Status, later.Raw)
		require.Empty(t, later.Header.Get("Idempotent-Replayed"))
		require.Equal(t, "evaluating", later.Body["status"])
	})
	a.t = t
}
