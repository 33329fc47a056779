package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/api"
)

// hotlineCall sends a request signed by the hotline system.
func (a *apiEnv) hotlineCall(sysID, secret, method, path, body string) resp {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	require.NoError(a.t, err)
	ts := time.Now().Unix()
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
// number. A replay answers the same case; another body is a conflict;
// the caller's phone is whole only for the holder's command centre.
func TestAPIHotlineTicketToResult(t *testing.T) {
	a := newAPIEnv(t)
	sys, secret, err := a.st.CreateHotlineSystem(context.Background(), "北京 12345", "u-d1-commander", "110101")
	require.NoError(t, err)

	r := a.hotlineCall(sys.ID, secret, "POST", "/api/v1/intake/hotline", hotlineTicket)
	require.Equal(t, 201, r.Status, r.Raw)
	id := r.Body["case_id"].(string)
	require.Equal(t, "pending", r.Body["status"])
	require.Regexp(t, `^\d{8}-\d{5,}$`, r.Body["number"])

	again := a.hotlineCall(sys.ID, secret, "POST", "/api/v1/intake/hotline", hotlineTicket)
	require.Equal(t, 200, again.Status, again.Raw)
	require.Equal(t, id, again.Body["case_id"])
	other := a.hotlineCall(sys.ID, secret, "POST", "/api/v1/intake/hotline", strings.Replace(hotlineTicket, "三天", "五天", 1))
	require.Equal(t, 409, other.Status, other.Raw)

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
	closed := a.must("c1-secretary", "POST", "/api/v1/cases/"+id+"/evaluations", `{"department_id":"s1-citymgmt","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, 200)
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
