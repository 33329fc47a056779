package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// hotlineCall sends a request signed by the hotline system now.
func (a *apiEnv) hotlineCall(sysID, secret, method, path, body string) resp {
	a.t.Helper()
	return a.hotlineCallAt(sysID, secret, time.Now().Unix(), method, path, body)
}

// hotlineCallAt sends a request signed by the hotline system at ts.
func (a *apiEnv) hotlineCallAt(sysID, secret string, ts int64, method, path, body string) resp {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	require.NoError(a.t, err)
	req.Header.Set(api.HotlineSystemHeader, sysID)
	req.Header.Set(api.HotlineTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(api.HotlineSignatureHeader, api.HotlineSign(secret, ts, []byte(body)))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	require.NoError(a.t, json.Unmarshal(raw, &r.Body), "%s %s: not JSON: %s", method, path, raw)
	return r
}

const hotlineTicket = `{"ticket_no":"BJ12345-0001","call_at":"2026-12-02T09:30:00+08:00","caller_name":"张三","caller_phone":"13812341234",
	"request_type":"投诉","content":"和平里东街垃圾堆放三天无人清理","address":"和平里东街 5 号","community_id":"110101001001","callback_required":true}`

// TestAPIHotlineTicketToResult: a 12345 ticket posted to the signed webhook
// waits in community 1's acceptance queue, is accepted and whistled, the
// department reports and feeds back, the secretary verifies and
// evaluates, the case closes, and the hotline reads the result by ticket
// number. A re-delivery answers the same case, an exact replay is refused
// (409 replayed); another body is a conflict;
// the caller's phone is whole only for the holder's command centre.
func TestAPIHotlineTicketToResult(t *testing.T) {
	a := newAPIEnv(t)
	sys, secret, err := a.st.CreateHotlineSystem(context.Background(), "北京 12345", "u-d1-commander", "110101")
	require.NoError(t, err)

	ts := time.Now().Unix()
	r := a.hotlineCallAt(sys.ID, secret, ts, "POST", "/api/v1/intake/hotline", hotlineTicket)
	require.Equal(t, 201, r.Status, r.Raw)
	id := r.Body["case_id"].(string)
	require.Equal(t, "pending", r.Body["status"])
	require.Regexp(t, `^\d{8}-\d{5,}$`, r.Body["number"])

	// Delivered again (a new timestamp and signature): the same case.
	again := a.hotlineCallAt(sys.ID, secret, ts+1, "POST", "/api/v1/intake/hotline", hotlineTicket)
	require.Equal(t, 200, again.Status, again.Raw)
	require.Equal(t, id, again.Body["case_id"])
	require.Equal(t, r.Body["number"], again.Body["number"])
	// The first delivery replayed as it was: refused.
	replay := a.hotlineCallAt(sys.ID, secret, ts, "POST", "/api/v1/intake/hotline", hotlineTicket)
	require.Equal(t, 409, replay.Status, replay.Raw)
	require.Equal(t, "replayed", replay.code())
	other := a.hotlineCall(sys.ID, secret, "POST", "/api/v1/intake/hotline", strings.Replace(hotlineTicket, "三天", "五天", 1))
	require.Equal(t, 409, other.Status, other.Raw)
	require.Equal(t, "conflict", other.code())

	require.Equal(t, []string{id}, a.intakeIDs("c1-secretary"))
	c := a.must("c1-secretary", "GET", "/api/v1/cases/"+id, "", 200)
	require.Equal(t, "hotline", c["source"])
	require.Equal(t, "13812341234", c["hotline"].(map[string]any)["caller_phone"])
	require.NotContains(t, c["description"], "13812341234")
	require.Equal(t, "138****1234", a.must("s1-secretary", "GET", "/api/v1/cases/"+id, "", 200)["hotline"].(map[string]any)["caller_phone"])

	res := a.hotlineCall(sys.ID, secret, "GET", "/api/v1/intake/hotline/BJ12345-0001", "")
	require.Equal(t, 200, res.Status, res.Raw)
	require.Equal(t, "pending", res.Body["status"])

	a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/accept", `{"department_ids":["s1-citymgmt"]}`, 200)
	a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+id+"-T1/report", `{}`, 200)
	a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+id+"-T1/feedback", `{"result":"垃圾已清运，已回复来电人","evidence":[]}`, 200)
	a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/verify", `{"passed":true}`, 200)
	// 回访: a hotline case's satisfaction is the caller's, recorded by call-back.
	a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-citymgmt","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 400)
	a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/callback", `{"method":"phone","reached":true,"satisfaction":"satisfied"}`, 200)
	closed := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-citymgmt","timeliness":5,"quality":5,"attitude":5}`, 200)
	require.Equal(t, "closed", closed["status"])

	require.Eventually(t, func() bool {
		res = a.hotlineCall(sys.ID, secret, "GET", "/api/v1/intake/hotline/BJ12345-0001", "")
		return res.Status == 200 && res.Body["status"] == "closed"
	}, 10*time.Second, 100*time.Millisecond, res.Raw)
	require.Equal(t, "resolved", res.Body["outcome"])
	require.Equal(t, "垃圾已清运，已回复来电人", res.Body["reply"])
	require.NotEmpty(t, res.Body["closed_at"])
	// Staff in jurisdiction read it too; outside, it does not exist.
	require.Equal(t, "resolved", a.must("c1-secretary", "GET", "/api/v1/intake/hotline/BJ12345-0001", "", 200)["outcome"])
	a.must("c3-secretary", "GET", "/api/v1/intake/hotline/BJ12345-0001", "", 404)
}

// TestAPIHotlineImport: a good CSV files each ticket as a pending case in
// its community; importing it again files nothing (duplicates).
func TestAPIHotlineImport(t *testing.T) {
	a := newAPIEnv(t)
	csv := "工单编号,来电时间,来电人,来电号码,诉求类型,诉求内容,地址,所属社区,是否回访\n" +
		"IMP-1,2026-12-02 09:30:00,李四,13900001111,求助,路灯不亮,和平里大街 3 号,110101001001,是\n" +
		"IMP-2,2026-12-02 09:40:00,王五,13900002222,建议,增设垃圾桶,和平里大街 8 号,,否\n"
	post := func() resp {
		req, err := http.NewRequest("POST", a.srv.URL+"/api/v1/intake/hotline/import", strings.NewReader(csv))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+a.token("c1-secretary"))
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		r := resp{Status: res.StatusCode, Raw: string(raw)}
		require.NoError(t, json.Unmarshal(raw, &r.Body), string(raw))
		return r
	}
	r := post()
	require.Equal(t, 200, r.Status, r.Raw)
	require.EqualValues(t, 2, r.Body["filed"])
	require.NotContains(t, r.Raw, "13900001111")
	ids := a.intakeIDs("c1-secretary")
	require.Len(t, ids, 2)
	r = post()
	require.Equal(t, 200, r.Status, r.Raw)
	require.EqualValues(t, 0, r.Body["filed"])
	for _, row := range r.Body["rows"].([]any) {
		require.Equal(t, "duplicate", row.(map[string]any)["action"])
	}
	require.Len(t, a.intakeIDs("c1-secretary"), 2)
}

// importCSVRequest is POST /api/v1/intake/hotline/import of csv as user.
func (a *apiEnv) importCSVRequest(user, csv string, dry bool) *http.Request {
	path := "/api/v1/intake/hotline/import"
	if dry {
		path += "?dry_run=true"
	}
	req, err := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(csv))
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+a.token(user))
	req.Header.Set("Content-Type", "text/csv")
	return req
}

// do sends req and decodes the JSON answer, failing nothing: it is safe
// from another goroutine.
func do(req *http.Request) (resp, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		return r, fmt.Errorf("not JSON: %s", raw)
	}
	return r, nil
}

const importHeader = "工单编号,来电时间,来电人,来电号码,诉求类型,诉求内容,地址,所属社区,是否回访\n"

func importRow(no string) string {
	return no + ",2026-12-02 09:30:00,李四,13900001111,求助,路灯不亮,和平里大街 3 号,110101001001,是\n"
}

func ticketJSON(no string) string { return strings.Replace(hotlineTicket, "BJ12345-0001", no, 1) }

// TestAPIHotlineAcrossPaths: the same ticket_no by import and by webhook,
// in either order or racing, files exactly one case: the second path
// answers the first's case (the webhook 200, the import a duplicate
// "already filed as" its number), never a 409, never a second case.
func TestAPIHotlineAcrossPaths(t *testing.T) {
	a := newAPIEnv(t)
	sys, secret, err := a.st.CreateHotlineSystem(context.Background(), "北京 12345", "u-d1-commander", "110101")
	require.NoError(t, err)
	const webhook = "/api/v1/intake/hotline"
	rowOf := func(r resp) map[string]any {
		rows := r.Body["rows"].([]any)
		require.Len(t, rows, 1, r.Raw)
		return rows[0].(map[string]any)
	}

	// Import, then the webhook with the hotline's own (different) body.
	r, err := do(a.importCSVRequest("c1-secretary", importHeader+importRow("X-1"), false))
	require.NoError(t, err)
	require.Equal(t, 200, r.Status, r.Raw)
	imported := rowOf(r)
	require.Equal(t, "filed", imported["action"])
	w := a.hotlineCall(sys.ID, secret, "POST", webhook, ticketJSON("X-1"))
	require.Equal(t, 200, w.Status, w.Raw)
	require.Equal(t, imported["case_id"], w.Body["case_id"])
	require.Equal(t, imported["number"], w.Body["number"])
	res := a.hotlineCall(sys.ID, secret, "GET", "/api/v1/intake/hotline/X-1", "")
	require.Equal(t, 200, res.Status, "the posting system reads the imported ticket: %s", res.Raw)

	// The webhook, then an import: a duplicate, already filed, in the dry
	// run and for real.
	w = a.hotlineCall(sys.ID, secret, "POST", webhook, ticketJSON("W-1"))
	require.Equal(t, 201, w.Status, w.Raw)
	for _, dry := range []bool{true, false} {
		r, err := do(a.importCSVRequest("c1-secretary", importHeader+importRow("W-1"), dry))
		require.NoError(t, err)
		require.Equal(t, 200, r.Status, r.Raw)
		require.EqualValues(t, 0, r.Body["filed"])
		row := rowOf(r)
		require.Equal(t, "duplicate", row["action"])
		require.Equal(t, w.Body["case_id"], row["case_id"])
		require.Contains(t, row["message"], "已立案，案件编号 "+w.Body["number"].(string))
	}

	// Racing: the webhook and the import of a new ticket at once.
	for i := range 3 {
		no := fmt.Sprintf("RACE-%d", i)
		body := ticketJSON(no)
		ts := time.Now().Unix()
		hook, err := http.NewRequest("POST", a.srv.URL+webhook, strings.NewReader(body))
		require.NoError(t, err)
		hook.Header.Set("Content-Type", "application/json")
		hook.Header.Set(api.HotlineSystemHeader, sys.ID)
		hook.Header.Set(api.HotlineTimestampHeader, strconv.FormatInt(ts, 10))
		hook.Header.Set(api.HotlineSignatureHeader, api.HotlineSign(secret, ts, []byte(body)))
		imp := a.importCSVRequest("c1-secretary", importHeader+importRow(no), false)
		var wg sync.WaitGroup
		var hr, ir resp
		var herr, ierr error
		wg.Add(2)
		go func() { defer wg.Done(); hr, herr = do(hook) }()
		go func() { defer wg.Done(); ir, ierr = do(imp) }()
		wg.Wait()
		require.NoError(t, herr)
		require.NoError(t, ierr)
		require.Contains(t, []int{200, 201}, hr.Status, hr.Raw)
		require.Equal(t, 200, ir.Status, ir.Raw)
		row := rowOf(ir)
		require.Equal(t, hr.Body["case_id"], row["case_id"], "webhook %s, import %s", hr.Raw, ir.Raw)
		require.Equal(t, hr.Body["number"], row["number"])
		// Exactly one of them filed it.
		require.True(t, (hr.Status == 201) != (row["action"] == "filed"), "webhook %d, import %v", hr.Status, row["action"])
	}
	// One case per ticket in the queue: X-1, W-1 and the three races.
	require.Len(t, a.intakeIDs("c1-secretary"), 5)
	var n int64
	require.NoError(t, a.st.DB.Table("cases").Where("source = ?", "hotline").Count(&n).Error)
	require.EqualValues(t, 5, n)
}

// TestHotlinePushSweepScheduled: the worker keeps the hotline push sweep's
// schedule, and a run of it pushes a closed ticket's result the
// projection never pushed.
func TestHotlinePushSweepScheduled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	e := newEnv(t, dynamicconfig.StaticClient{})
	ctx := context.Background()
	closedAt := time.Now().Add(-time.Hour).UTC()
	c := whistle.Case{ID: "SWEEP-1", Title: "t", Source: whistle.SourceHotline, Class: whistle.ClassRoutine, Status: whistle.CaseClosed,
		Outcome: whistle.OutcomeResolved, OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/", Level: whistle.LevelCommunity,
		HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/", FiledBy: "x", FiledByUserID: "u-x",
		CreatedAt: closedAt.Add(-time.Hour), UpdatedAt: closedAt, ClosedAt: &closedAt, Seq: 2}
	require.NoError(t, e.st.ApplyCase(ctx, c, []whistle.TimelineEntry{
		{Seq: 1, At: c.CreatedAt, Type: whistle.EventFiled, Actor: "x"}, {Seq: 2, At: closedAt, Type: whistle.EventClosed, Actor: "system"}}))
	require.NoError(t, e.st.RecordHotlineTicket(ctx, store.HotlineTicket{TicketNo: "SW-1", CaseID: "SWEEP-1", CallAt: c.CreatedAt, RequestType: "投诉"}))

	h := e.c.ScheduleClient().GetHandle(ctx, workflows.SweepScheduleID)
	d, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Len(t, d.Schedule.Spec.Intervals, 1)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}))
	require.Eventually(t, func() bool {
		tk, err := e.st.HotlineTicket(ctx, "SW-1")
		return err == nil && tk.PushedSeq == 2
	}, 20*time.Second, 200*time.Millisecond, "the sweep did not push the result")
}
