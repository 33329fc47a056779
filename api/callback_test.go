package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// projectCallbackCase puts a verified resident's case of community 1 in
// the read model with the call-back state given ("" : a case without one).
func projectCallbackCase(t *testing.T, st *store.Store, id, callback string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	community := "/110000/110101/110101001/110101001001/"
	c := whistle.Case{ID: id, Title: "楼道灯不亮", Source: whistle.SourceResident, Class: whistle.ClassRoutine, Status: whistle.CaseEvaluating,
		Location: whistle.Location{Address: "和平里1号"}, OrgUnitID: "110101001001", OrgPath: community, Level: whistle.LevelCommunity,
		HolderOrgUnitID: "110101001001", HolderOrgPath: community, FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary",
		CreatedAt: now, UpdatedAt: now, VerifiedAt: &now, Seq: 1, CallbackRequired: callback != "", Callback: callback}
	if callback == whistle.CallbackReached {
		c.Callbacks = []whistle.CallbackAttempt{{N: 1, At: now, RecordedAt: now, Method: whistle.CallbackPhone, Reached: true,
			Satisfaction: whistle.Satisfied, By: "c1-secretary"}}
	}
	if err := st.ApplyCase(context.Background(), c, []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "c1-secretary"}}); err != nil {
		t.Fatal(err)
	}
}

// On a case with a call-back the evaluator types no satisfaction: a typed
// one is refused with a message saying whose it is; on any other case it
// is still required. Both are refused before the workflow is asked.
func TestEvaluateSatisfactionOfTheResident(t *testing.T) {
	srv, st := newServer(t)
	projectCallbackCase(t, st, "SB-CB-1", whistle.CallbackReached)
	projectCallbackCase(t, st, "SB-CB-2", "")
	tok := token(t, st, "c1-secretary")
	typed := `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`
	bare := `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5}`

	r := call(t, srv, tok, "POST", "/api/v1/cases/SB-CB-1/evaluations", typed)
	if r.status != 400 || errCode(r) != whistle.EInvalid || !strings.Contains(errMessage(r), "以回访居民的结果为准") {
		t.Fatalf("typed satisfaction on a call-back case: %d %v", r.status, r.body)
	}
	en := call(t, srv, tok, "POST", "/api/v1/cases/SB-CB-1/evaluations", typed, "Accept-Language", "en")
	if en.status != 400 || !strings.Contains(errMessage(en), "from the call-back") {
		t.Fatalf("in English: %d %v", en.status, en.body)
	}
	r = call(t, srv, tok, "POST", "/api/v1/cases/SB-CB-2/evaluations", bare)
	if r.status != 400 || errCode(r) != whistle.EInvalid || !strings.Contains(errMessage(r), "满意度") {
		t.Fatalf("no satisfaction on a case without a call-back: %d %v", r.status, r.body)
	}
}

// The call-back's own refusals before the workflow: the body's rules.
func TestCallbackBadInput(t *testing.T) {
	srv, st := newServer(t)
	projectCallbackCase(t, st, "SB-CB-3", whistle.CallbackPending)
	tok := token(t, st, "c1-secretary")
	for name, body := range map[string]string{
		"no method":        `{"reached":false}`,
		"unknown method":   `{"method":"fax","reached":false}`,
		"no reached":       `{"method":"phone"}`,
		"bad satisfaction": `{"method":"phone","reached":true,"satisfaction":"happy"}`,
		"bad time":         `{"method":"phone","reached":false,"at":"yesterday"}`,
		"long note":        `{"method":"phone","reached":false,"note":"` + strings.Repeat("x", 501) + `"}`,
	} {
		r := call(t, srv, tok, "POST", "/api/v1/cases/SB-CB-3/callback", body)
		if r.status != 400 || errCode(r) != whistle.EInvalid {
			t.Errorf("%s: %d %v", name, r.status, r.body)
		}
	}
}

// GET /cases?callback=pending lists the cases waiting for a call-back, and
// the case shows its call-back.
func TestListCallbackPending(t *testing.T) {
	srv, st := newServer(t)
	projectCallbackCase(t, st, "SB-CB-P", whistle.CallbackPending)
	projectCallbackCase(t, st, "SB-CB-R", whistle.CallbackReached)
	projectCallbackCase(t, st, "SB-CB-N", "")
	tok := token(t, st, "c1-secretary")
	ids := func(r reply) []string {
		var out []string
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	r := call(t, srv, tok, "GET", "/api/v1/cases?callback=pending", "")
	if r.status != 200 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if got := ids(r); len(got) != 1 || got[0] != "SB-CB-P" {
		t.Fatalf("pending: %v", got)
	}
	item := r.body["items"].([]any)[0].(map[string]any)
	if item["callback"] != "pending" || item["callback_required"] != true {
		t.Fatalf("the list item shows the call-back: %v", item)
	}
	if got := ids(call(t, srv, tok, "GET", "/api/v1/cases?callback=reached", "")); len(got) != 1 || got[0] != "SB-CB-R" {
		t.Fatalf("reached: %v", got)
	}
	if got := ids(call(t, srv, tok, "GET", "/api/v1/cases", "")); len(got) != 3 {
		t.Fatalf("unfiltered: %v", got)
	}
	if r := call(t, srv, tok, "GET", "/api/v1/cases?callback=soon", ""); r.status != 400 {
		t.Fatalf("an unknown state: %d %v", r.status, r.body)
	}
	c := call(t, srv, tok, "GET", "/api/v1/cases/SB-CB-R", "")
	cbs, _ := c.body["callbacks"].([]any)
	if c.status != 200 || c.body["callback"] != "reached" || len(cbs) != 1 || cbs[0].(map[string]any)["satisfaction"] != "satisfied" {
		t.Fatalf("the case shows its call-back: %v", c.body)
	}
}
