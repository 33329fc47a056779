package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// robotServer is a WeCom group robot and an SMS gateway on one local
// server: it keeps the markdown messages and the texts it receives.
type robotServer struct {
	mu       sync.Mutex
	markdown []string
	sms      []map[string]string
}

func (rs *robotServer) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		defer rs.mu.Unlock()
		switch r.URL.Path {
		case "/cgi-bin/webhook/send":
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Content string `json:"content"`
				} `json:"markdown"`
			}
			if r.URL.Query().Get("key") != "police-key" || json.Unmarshal(b, &m) != nil || m.MsgType != "markdown" {
				_, _ = w.Write([]byte(`{"errcode":93000,"errmsg":"invalid webhook url"}`))
				return
			}
			rs.markdown = append(rs.markdown, m.Markdown.Content)
			_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
		case "/sms":
			var m map[string]string
			if json.Unmarshal(b, &m) != nil {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			rs.sms = append(rs.sms, m)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (rs *robotServer) got() ([]string, []map[string]string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.markdown...), append([]map[string]string(nil), rs.sms...)
}

// TestAPINotificationsReachPeople: with an emergency clock shortened by an
// admin, the department's robot and in-app list receive the summons and
// the warnings, the holding community's list the warnings, the street's
// the breach; the person on
// duty gets the SMS; each notification shows its deliveries; the clerk
// reads them all.
func TestAPINotificationsReachPeople(t *testing.T) {
	a := newAPIEnv(t)
	rs := &robotServer{}
	srv := rs.serve(t)
	a.must("admin", "PUT", "/api/v1/admin/sla-policies/emergency",
		`{"report_within":"6s","handle_within":"24h","warn_yellow":0.25,"warn_red":0.5}`, 200)
	a.must("admin", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"派出所值班群",
		"secrets":{"url":"`+srv.URL+`/cgi-bin/webhook/send?key=police-key"}}`, 201)
	a.must("admin", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"sms","name":"值班短信",
		"settings":{"body_template":"{\"to\":\"{{phone}}\",\"text\":\"{{text}}\"}"},"secrets":{"url":"`+srv.URL+`/sms"}}`, 201)
	var week []string
	for d := 0; d < 7; d++ {
		week = append(week, `{"weekday":`+string(rune('0'+d))+`,"from":"00:00","to":"24:00","name":"王警官","phone":"13800000001"}`)
	}
	a.must("admin", "PUT", "/api/v1/admin/departments/s1-police/duty-roster", `{"weekly":[`+strings.Join(week, ",")+`]}`, 200)

	body := strings.NewReplacer(`"class":"routine"`, `"class":"emergency"`, `"s1-police","s1-citymgmt"`, `"s1-police"`).Replace(jointBody)
	c := a.must("c1-secretary", "POST", "/api/v1/cases", body, 201)
	id := c["id"].(string)
	number, _ := c["number"].(string)

	events := func(user string) []string {
		list := a.must(user, "GET", "/api/v1/notifications?page_size=50", "", 200)
		var out []string
		for _, it := range list["items"].([]any) {
			if n := it.(map[string]any); n["case_id"] == id {
				out = append(out, n["event"].(string))
			}
		}
		return out
	}
	// The department: the summons and both warnings; the holding
	// community: the warnings; the street above: the breach.
	a.eventually(20*time.Second, "the breach reaches the street's list", func() bool {
		return strings.Contains(strings.Join(events("s1-secretary"), ","), "report_breach")
	})
	require.ElementsMatch(t, []string{"summoned", "warning", "warning"}, events("s1-police"))
	require.ElementsMatch(t, []string{"warning", "warning"}, events("c1-secretary"))
	a.eventually(10*time.Second, "the robot receives both warnings", func() bool {
		md, _ := rs.got()
		n := 0
		for _, m := range md {
			if strings.HasPrefix(m, "**【哨报】预警 · ") {
				n++
			}
		}
		return n == 2
	})
	md, sms := rs.got()
	all := strings.Join(md, "\n")
	require.Contains(t, all, "吹哨报到", "the robot receives the summons")
	require.Contains(t, all, "酒吧街夜间噪音扰民")
	if number != "" {
		require.Contains(t, all, number)
	}
	require.NotEmpty(t, sms, "the person on duty gets the emergency's SMS")
	for _, m := range sms {
		require.Equal(t, "13800000001", m["to"])
	}

	list := a.must("s1-police", "GET", "/api/v1/notifications", "", 200)
	require.Greater(t, list["unread_count"].(float64), float64(0))
	first := list["items"].([]any)[0].(map[string]any)
	deliveries := a.must("s1-police", "GET", "/api/v1/notifications/"+first["id"].(string)+"/deliveries", "", 200)
	require.NotEmpty(t, deliveries["items"])
	for _, d := range deliveries["items"].([]any) {
		require.Equal(t, "sent", d.(map[string]any)["status"])
	}
	// Another department sees none of it; the clerk reads all.
	require.Empty(t, a.must("s1-market", "GET", "/api/v1/notifications", "", 200)["items"])
	a.must("s1-police", "POST", "/api/v1/notifications/read-all", "", 200)
	require.EqualValues(t, 0, a.must("s1-police", "GET", "/api/v1/notifications", "", 200)["unread_count"])
	channels := a.must("admin", "GET", "/api/v1/admin/channels?owner_id=s1-police", "", 200)
	for _, ch := range channels["items"].([]any) {
		ch := ch.(map[string]any)
		require.EqualValues(t, 0, ch["failures"], "channel %s", ch["name"])
		require.Greater(t, ch["sent_total"].(float64), float64(0))
		require.NotContains(t, ch["secrets"].(map[string]any)["url"], "police-key")
	}
}
