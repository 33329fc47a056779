package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// newChannelServer is newServer with a secret key for the channels.
func newChannelServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol, MaxBodyBytes: 1 << 16, Secrets: sealer}).Handler())
	t.Cleanup(srv.Close)
	return srv, st
}

func notify(t *testing.T, st *store.Store, caseID string, seq int64, kind, id string, at time.Time) string {
	t.Helper()
	dl := at.Add(time.Hour)
	n, _, err := st.RecordNotification(context.Background(), store.Notification{CaseID: caseID, Seq: seq, RecipientKind: kind, RecipientID: id, At: at,
		Event: whistle.EventUrged, Number: "20261202-00001", Title: "井盖缺失", Class: "routine", Level: "street", TaskID: caseID + "-T1",
		Message: "请尽快处理", Deadline: &dl})
	if err != nil {
		t.Fatal(err)
	}
	return jsonID(n.ID)
}

func jsonID(id uint64) string { b, _ := json.Marshal(id); return string(b) }

// TestNotificationsAPI: each user sees their recipient's notifications
// only, unread first with the unread count; read state is theirs; the
// deliveries show to the recipients and admins.
func TestNotificationsAPI(t *testing.T) {
	srv, st := newChannelServer(t)
	k := newContract(t, srv)
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	first := notify(t, st, "SB-N1", 2, store.RecipientDepartment, "s1-police", at)
	second := notify(t, st, "SB-N1", 3, store.RecipientDepartment, "s1-police", at.Add(time.Minute))
	unit := notify(t, st, "SB-N1", 3, store.RecipientOrgUnit, "110101001", at.Add(time.Minute))
	market := notify(t, st, "SB-N2", 1, store.RecipientDepartment, "s1-market", at)
	clerk, secretary, marketClerk, sup, admin := token(t, st, "s1-police"), token(t, st, "s1-secretary"), token(t, st, "s1-market"), token(t, st, "d1-supervisor"), token(t, st, "admin")

	var list struct {
		Items []struct {
			ID, Event, Summary string
			Read               bool
		}
		Total       int
		UnreadCount int `json:"unread_count"`
	}
	get := func(tok, path string) {
		t.Helper()
		list.Items = nil
		if err := json.Unmarshal(k.do(tok, "GET", path, "", "", 200), &list); err != nil {
			t.Fatal(err)
		}
	}
	get(clerk, "/api/v1/notifications")
	if list.Total != 2 || list.UnreadCount != 2 || list.Items[0].ID != second || list.Items[1].ID != first || list.Items[0].Summary != "催办" {
		t.Fatalf("clerk's list: %+v", list)
	}
	k.do(clerk, "POST", "/api/v1/notifications/"+second+"/read", "", "", 200)
	get(clerk, "/api/v1/notifications?page_size=1")
	if list.Total != 2 || list.UnreadCount != 1 || len(list.Items) != 1 || list.Items[0].ID != first || list.Items[0].Read {
		t.Fatalf("after reading one, unread first: %+v", list)
	}
	get(clerk, "/api/v1/notifications?unread=true")
	if list.Total != 1 || list.Items[0].ID != first {
		t.Fatalf("unread only: %+v", list)
	}
	get(secretary, "/api/v1/notifications")
	if list.Total != 1 || list.Items[0].ID != unit || list.UnreadCount != 1 {
		t.Fatalf("secretary's list: %+v", list)
	}
	get(sup, "/api/v1/notifications")
	if list.Total != 0 {
		t.Fatalf("a supervisor has no recipient: %+v", list)
	}
	// Another's notification answers 404 as a missing one does.
	for _, tok := range []string{secretary, marketClerk} {
		k.do(tok, "POST", "/api/v1/notifications/"+first+"/read", "", "", 404)
		k.do(tok, "GET", "/api/v1/notifications/"+first+"/deliveries", "", "", 404)
	}
	k.do(clerk, "POST", "/api/v1/notifications/"+market+"/read", "", "", 404)
	k.do(clerk, "POST", "/api/v1/notifications/nope/read", "", "", 404)
	k.do(clerk, "GET", "/api/v1/notifications/"+first+"/deliveries", "", "", 200)
	k.do(admin, "GET", "/api/v1/notifications/"+market+"/deliveries", "", "", 200)
	k.do(admin, "GET", "/api/v1/notifications/999999/deliveries", "", "", 404)
	body := k.do(clerk, "POST", "/api/v1/notifications/read-all", "", "", 200)
	if !strings.Contains(string(body), `"marked":1`) {
		t.Fatalf("read-all = %s", body)
	}
	get(clerk, "/api/v1/notifications")
	if list.UnreadCount != 0 {
		t.Fatalf("after read-all: %+v", list)
	}
	get(marketClerk, "/api/v1/notifications")
	if list.UnreadCount != 1 {
		t.Fatalf("another department's unread changed: %+v", list)
	}
	for _, path := range []string{"/api/v1/notifications?page=0", "/api/v1/notifications?page_size=500", "/api/v1/notifications?unread=maybe"} {
		k.do(clerk, "GET", path, "", "", 400)
	}
	k.do("", "GET", "/api/v1/notifications", "", "", 401)
}

// TestAdminChannelsAPI: admins configure channels and duty rosters;
// secrets are sealed and answered masked; bad input is a 400 that
// changes nothing; others are refused.
func TestAdminChannelsAPI(t *testing.T) {
	srv, st := newChannelServer(t)
	k := newContract(t, srv)
	admin, clerk := token(t, st, "admin"), token(t, st, "s1-police")
	const js = "application/json"
	const token1, sign1 = "dd-token-4f1e", "SECsign-9a7b"

	created := k.do(admin, "POST", "/api/v1/admin/channels", js, `{"owner_kind":"department","owner_id":"s1-police","kind":"dingtalk","name":"派出所值班群",
		"events":["warning","urged"],"settings":{"lang":"zh"},"secrets":{"url":"https://oapi.dingtalk.com/robot/send?access_token=`+token1+`","secret":"`+sign1+`"}}`, 201)
	for _, secret := range []string{token1, sign1} {
		if strings.Contains(string(created), secret) {
			t.Fatalf("a secret in the answer: %s", created)
		}
	}
	var ch struct {
		ID      string
		Secrets map[string]string
		Events  []string
		Enabled bool
	}
	_ = json.Unmarshal(created, &ch)
	if ch.Secrets["url"] != "https://oapi.dingtalk.com/******" || ch.Secrets["secret"] != "******" || !ch.Enabled || len(ch.Events) != 2 {
		t.Fatalf("created: %s", created)
	}
	row, err := st.ChannelConfig(context.Background(), ch.ID)
	if err != nil || strings.Contains(row.SealedSecrets, token1) || strings.Contains(row.SealedSecrets, sign1) || row.SealedSecrets == "" {
		t.Fatalf("stored secrets are not sealed: %+v %v", row, err)
	}
	k.do(admin, "POST", "/api/v1/admin/channels", js, `{"owner_kind":"org_unit","owner_id":"110101001","kind":"email","name":"街道指挥中心邮箱",
		"settings":{"smtp_host":"smtp.example.gov.cn","smtp_port":587,"username":"notify","from":"哨报 <notify@example.gov.cn>","to":["zhihui@example.gov.cn"]},"secrets":{"password":"pw"}}`, 201)
	k.do(admin, "POST", "/api/v1/admin/channels", js, `{"owner_kind":"department","owner_id":"s1-police","kind":"sms","name":"值班短信","enabled":false,
		"settings":{"body_template":"{\"mobile\":\"{{phone}}\",\"content\":\"{{text}}\"}"},"secrets":{"url":"https://sms.example.gov.cn/send"}}`, 201)
	k.do(admin, "GET", "/api/v1/admin/channels", "", "", 200)
	k.do(admin, "GET", "/api/v1/admin/channels?owner_kind=department&owner_id=s1-police&failing=false", "", "", 200)
	// An edit that changes only the secret keeps the URL.
	patched := k.do(admin, "PATCH", "/api/v1/admin/channels/"+ch.ID, js, `{"name":"值班群","secrets":{"secret":"SECnew"}}`, 200)
	if !strings.Contains(string(patched), `"url":"https://oapi.dingtalk.com/******"`) || strings.Contains(string(patched), "SECnew") {
		t.Fatalf("patched: %s", patched)
	}

	before, _ := st.ChannelConfigs(context.Background(), store.ChannelFilter{})
	for _, tc := range []struct{ name, method, path, body string }{
		{"UnknownKind", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"pager","name":"x"}`},
		{"UnknownOwner", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"nope","kind":"wecom","name":"x","secrets":{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}}`},
		{"NoURL", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"x"}`},
		{"DingTalkNoSecret", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"dingtalk","name":"x","secrets":{"url":"https://oapi.dingtalk.com/robot/send?access_token=t"}}`},
		{"BadURL", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"x","secrets":{"url":"ftp://x"}}`},
		{"EmailNoTo", "POST", "/api/v1/admin/channels", `{"owner_kind":"org_unit","owner_id":"110101001","kind":"email","name":"x","settings":{"smtp_host":"h","smtp_port":25,"from":"a@b.cn"}}`},
		{"SMSTemplateNotJSON", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"sms","name":"x","settings":{"body_template":"to={{phone}}&t={{text}}"},"secrets":{"url":"https://sms.example/send"}}`},
		{"UnknownSetting", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"x","settings":{"colour":"red"},"secrets":{"url":"https://q.example/send?key=k"}}`},
		{"BadEvent", "POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"x","events":["Warning!"],"secrets":{"url":"https://q.example/send?key=k"}}`},
		{"BlankName", "PATCH", "/api/v1/admin/channels/" + ch.ID, `{"name":"  "}`},
		{"PatchBreaksConfig", "PATCH", "/api/v1/admin/channels/" + ch.ID, `{"secrets":{"url":"not a url"}}`},
		{"NotJSON", "POST", "/api/v1/admin/channels", `{"owner_kind":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, admin, tc.method, tc.path, tc.body)
			if r.status != 400 || errCode(r) != whistle.EInvalid {
				t.Fatalf("%s %s = %d %v, want 400 invalid", tc.method, tc.path, r.status, r.body)
			}
		})
	}
	after, _ := st.ChannelConfigs(context.Background(), store.ChannelFilter{})
	if len(after) != len(before) {
		t.Fatalf("bad input changed the channels: %d → %d", len(before), len(after))
	}
	if got, _ := st.ChannelConfig(context.Background(), ch.ID); got.Name != "值班群" || got.SealedSecrets != after[indexOf(after, ch.ID)].SealedSecrets {
		t.Fatalf("bad patch changed the channel: %+v", got)
	}
	k.do(clerk, "GET", "/api/v1/admin/channels", "", "", 403)
	k.do(clerk, "POST", "/api/v1/admin/channels", js, `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"x","secrets":{"url":"https://q.example/send?key=k"}}`, 403)
	k.do(admin, "PATCH", "/api/v1/admin/channels/999999", js, `{"enabled":false}`, 404)
	k.do(admin, "DELETE", "/api/v1/admin/channels/"+ch.ID, "", "", 204)
	k.do(admin, "DELETE", "/api/v1/admin/channels/"+ch.ID, "", "", 404)

	// The duty roster.
	k.do(admin, "GET", "/api/v1/admin/departments/s1-police/duty-roster", "", "", 200)
	roster := k.do(admin, "PUT", "/api/v1/admin/departments/s1-police/duty-roster", js, `{"weekly":[{"weekday":3,"from":"18:00","to":"08:00","name":"王警官","phone":"13800000001"}],
		"dates":[{"date":"2026-10-01","from":"00:00","to":"24:00","name":"国庆值班","phone":"13800000002"}]}`, 200)
	if !strings.Contains(string(roster), `"from":"18:00","to":"08:00"`) || !strings.Contains(string(roster), `"date":"2026-10-01"`) {
		t.Fatalf("roster = %s", roster)
	}
	for _, bad := range []string{
		`{"weekly":[{"weekday":7,"from":"18:00","to":"08:00","name":"x","phone":"13800000001"}]}`,
		`{"weekly":[{"from":"18:00","to":"08:00","name":"x","phone":"13800000001"}]}`,
		`{"weekly":[{"weekday":1,"from":"25:00","to":"08:00","name":"x","phone":"13800000001"}]}`,
		`{"weekly":[{"weekday":1,"from":"18:00","to":"08:00","name":"x","phone":"call me"}]}`,
		`{"dates":[{"date":"2026-13-40","from":"18:00","to":"08:00","name":"x","phone":"13800000001"}]}`,
		`{"dates":[{"weekday":1,"date":"2026-10-02","from":"18:00","to":"08:00","name":"x","phone":"13800000001"}]}`,
	} {
		r := call(t, srv, admin, "PUT", "/api/v1/admin/departments/s1-police/duty-roster", bad)
		if r.status != 400 || errCode(r) != whistle.EInvalid {
			t.Errorf("%s = %d %v, want 400", bad, r.status, r.body)
		}
	}
	if rows, _ := st.DutyRoster(context.Background(), "s1-police"); len(rows) != 2 {
		t.Fatalf("bad rosters changed it: %+v", rows)
	}
	k.do(admin, "PUT", "/api/v1/admin/departments/nope/duty-roster", js, `{"weekly":[]}`, 404)
	k.do(admin, "GET", "/api/v1/admin/departments/nope/duty-roster", "", "", 404)
	k.do(clerk, "PUT", "/api/v1/admin/departments/s1-police/duty-roster", js, `{"weekly":[]}`, 403)
}

func indexOf(chs []store.ChannelConfig, id string) int {
	for i, c := range chs {
		if jsonID(c.ID) == id {
			return i
		}
	}
	return -1
}
