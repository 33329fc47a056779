package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// auditedRoutes is every admin route that changes something, in an order
// where each call succeeds, with the audit row it must write.
var auditedRoutes = []struct {
	method, path, body string
	kind, action       string
	before, after      bool // whether the row holds the object before / after
}{
	{"PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"1h","handle_within":"2d"}`, "sla_policy", "update", false, true},
	{"PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"2h","handle_within":"2d"}`, "sla_policy", "update", true, true},
	{"DELETE", "/api/v1/admin/sla-policies/key?level=street", "", "sla_policy", "delete", true, false},
	{"PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"4h"}`, "intake_setting", "update", false, true},
	{"PUT", "/api/v1/admin/escalation-review/street", `{"review":true}`, "escalation_review", "update", false, true},
	{"POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"community","name":"新社区"}`, "org_unit", "create", false, true},
	{"PATCH", "/api/v1/admin/org-units/110101001009", `{"name":"更名社区"}`, "org_unit", "update", true, true},
	{"DELETE", "/api/v1/admin/org-units/110101001009", "", "org_unit", "delete", true, false},
	{"POST", "/api/v1/admin/departments", `{"id":"s1-housing","name":"和平房管所","kind":"housing","org_unit_id":"110101001","parent_id":"d1-housing"}`, "department", "create", false, true},
	{"PATCH", "/api/v1/admin/departments/s1-housing", `{"active":false}`, "department", "update", true, true},
	{"POST", "/api/v1/admin/users", `{"username":"c2-deputy","display_name":"青年湖副书记","role":"community_secretary","org_unit_id":"110101001002"}`, "user", "create", false, true},
	{"PATCH", "/api/v1/admin/users/u-c2-secretary", `{"display_name":"青年湖社区书记"}`, "user", "update", true, true},
	{"POST", "/api/v1/admin/users/u-c2-secretary/reset-password", `{"password":"a-brand-new-secret-7"}`, "credential", "reset", false, true}, // no password before
	{"POST", "/api/v1/admin/users/u-c1-secretary/unlock", "", "credential", "unlock", true, true},
	{"POST", "/api/v1/admin/users/u-c2-secretary/tokens", `{"name":"tablet"}`, "api_token", "create", false, true},
	{"DELETE", "/api/v1/admin/users/u-c2-secretary/tokens/{token}", "", "api_token", "revoke", true, true},
	{"POST", "/api/v1/admin/tokens", `{"user_id":"u-c1-secretary","name":"脚本","expires_at":"{expiry}"}`, "api_token", "create", false, true},
	{"DELETE", "/api/v1/admin/tokens/{token}", "", "api_token", "revoke", true, true},
	{"POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"管道漏水","category":"市政设施","default_class":"routine","department_kinds":["housing"],"levels":["community"]}`, "catalogue_item", "create", false, true},
	{"PATCH", "/api/v1/admin/catalogue/leak", `{"active":false}`, "catalogue_item", "update", true, true},
	{"PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-02-20","kind":"workday","name":"春节调休上班"},{"date":"2027-02-11","kind":"holiday","name":"春节"}]}`, "calendar", "update", true, true},
	{"PUT", "/api/v1/admin/calendar/2027-02-21", `{"kind":"workday","name":"春节调休上班"}`, "calendar_day", "update", false, true},
	{"DELETE", "/api/v1/admin/calendar/2027-02-21", "", "calendar_day", "delete", true, false},
	{"POST", "/api/v1/admin/policy-rules", `{"role":"supervisor","action":"task:read","relation":"scope","name":"test:supervisor_inbox"}`, "policy_rule", "create", false, true},
	{"DELETE", "/api/v1/admin/policy-rules/{id}", "", "policy_rule", "delete", true, false},
	{"POST", "/api/v1/admin/open311-clients", `{"name":"市民App","user_id":"u-c1-secretary"}`, "open311_client", "create", false, true},
	{"DELETE", "/api/v1/admin/open311-clients/{id}", "", "open311_client", "revoke", true, true},
	{"POST", "/api/v1/admin/hotline-systems", `{"name":"12345 城西","user_id":"u-d2-commander","org_unit_id":"110102"}`, "hotline_system", "create", false, true},
	{"POST", "/api/v1/admin/channels", `{"owner_kind":"department","owner_id":"s1-police","kind":"wecom","name":"派出所群","secrets":{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=sekrit-key-1"}}`, "channel", "create", false, true},
	{"PATCH", "/api/v1/admin/channels/{id}", `{"name":"派出所值班群","secrets":{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=sekrit-key-2"}}`, "channel", "update", true, true},
	{"DELETE", "/api/v1/admin/channels/{id}", "", "channel", "delete", true, false},
	{"PUT", "/api/v1/admin/departments/s1-police/duty-roster", `{"weekly":[{"weekday":3,"from":"18:00","to":"08:00","name":"王警官","phone":"13800000001"}]}`, "duty_roster", "replace", true, true},
	// The polygons (admin_geo.go): one row per import, the units' boxes before and after.
	{"POST", "/api/v1/admin/geo/import?kind=grid", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"110101001001001"},"geometry":{"type":"Polygon","coordinates":[[[116.40,39.945],[116.42,39.945],[116.42,39.96],[116.40,39.96],[116.40,39.945]]]}}]}`, "geo_area", "replace", true, true},
}

func newAuditServer(t *testing.T) (*httptest.Server, *store.Store, *api.Server) {
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
	s := &api.Server{Store: st, Policy: pol, MaxBodyBytes: 1 << 16, Secrets: sealer}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, st, s
}

// TestAdminChangesAreAudited: each admin change writes exactly one audit
// row, by the admin, with the request id, the address and the object
// before and after (no secret, no hash); a refused change writes none.
func TestAdminChangesAreAudited(t *testing.T) {
	srv, st, _ := newAuditServer(t)
	ctx := context.Background()
	admin := token(t, st, "admin")
	// A locked user for the unlock row.
	if err := st.SetPassword(ctx, "u-c1-secretary", "an-old-secret-99", false); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Model(&store.Credential{}).Where("user_id = ?", "u-c1-secretary").Update("locked_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	expiry := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	var lastID string
	for _, rt := range auditedRoutes {
		path := strings.NewReplacer("{token}", lastID, "{id}", lastID).Replace(rt.path)
		body := strings.ReplaceAll(rt.body, "{expiry}", expiry)
		t.Run(rt.method+" "+path, func(t *testing.T) {
			var n int64
			st.DB.Model(&store.AdminAudit{}).Count(&n)
			r := call(t, srv, admin, rt.method, path, body, "X-Request-ID", "req-audit-1")
			if r.status/100 != 2 {
				t.Fatalf("got %d %v", r.status, r.body)
			}
			if id, ok := r.body["id"]; ok && rt.method == "POST" {
				lastID = fmt.Sprint(id)
			}
			var rows []store.AdminAudit
			if err := st.DB.Order("id").Offset(int(n)).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d audit rows, want 1: %+v", len(rows), rows)
			}
			a := rows[0]
			if a.Kind != rt.kind || a.Action != rt.action || a.Actor != "admin" || a.ActorID != "u-admin" || a.ObjectID == "" || a.Address == "" || a.RequestID == "" {
				t.Errorf("audit row %+v", a)
			}
			if (a.Before != "") != rt.before || (a.After != "") != rt.after {
				t.Errorf("before %q after %q, want before %v after %v", a.Before, a.After, rt.before, rt.after)
			}
			for _, s := range []string{a.Before, a.After} {
				if s != "" && !json.Valid([]byte(s)) {
					t.Errorf("not JSON: %s", s)
				}
				for _, secret := range []string{"sekrit", "argon2id", `"hash"`, "sealed_secrets", `"secret"`, "a-brand-new-secret"} {
					if strings.Contains(s, secret) {
						t.Errorf("the audit holds %s: %s", secret, s)
					}
				}
			}
			if rt.before && rt.after && a.Before == a.After && rt.action != "revoke" {
				t.Errorf("%s changed nothing the audit shows: %s", rt.action, a.After)
			}
		})
	}

	t.Run("RefusedChangesWriteNone", func(t *testing.T) {
		var n, m int64
		st.DB.Model(&store.AdminAudit{}).Count(&n)
		for _, bad := range []struct{ tok, method, path, body string }{
			{admin, "POST", "/api/v1/admin/org-units", `{"id":"110101","parent_id":"110000","kind":"district","name":"重复"}`},
			{admin, "DELETE", "/api/v1/admin/org-units/110101", ""},
			{admin, "PATCH", "/api/v1/admin/users/nope", `{"active":false}`},
			{admin, "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1d","handle_within":"4h"}`},
			{admin, "DELETE", "/api/v1/admin/policy-rules/99999", ""},
			{admin, "POST", "/api/v1/admin/users/u-c1-secretary/unlock", ""},
			{token(t, st, "city-commander"), "POST", "/api/v1/admin/users", `{"username":"x-user","display_name":"x","role":"supervisor","org_unit_id":"110101"}`},
		} {
			if r := call(t, srv, bad.tok, bad.method, bad.path, bad.body); r.status/100 != 4 {
				t.Errorf("%s %s = %d, want 4xx", bad.method, bad.path, r.status)
			}
		}
		st.DB.Model(&store.AdminAudit{}).Count(&m)
		if m != n {
			t.Errorf("refused changes wrote %d audit rows", m-n)
		}
	})

	t.Run("TheAuditAPI", func(t *testing.T) {
		r := call(t, srv, admin, "GET", "/api/v1/admin/audit?category=admin&kind=org_unit", "")
		items, _ := r.body["items"].([]any)
		if r.status != 200 || r.body["total"] != float64(3) || len(items) != 3 {
			t.Fatalf("org unit changes: %d %v", r.status, r.body)
		}
		first := items[0].(map[string]any)
		if first["category"] != "admin" || first["action"] != "delete" || first["object_id"] != "110101001009" || first["after"] != nil ||
			first["before"].(map[string]any)["name"] != "更名社区" || first["actor"] != "admin" || first["request_id"] != "req-audit-1" {
			t.Errorf("newest org unit change: %v", first)
		}
		r = call(t, srv, admin, "GET", "/api/v1/admin/audit?action=reset&object=u-c2-secretary", "")
		if r.body["total"] != float64(1) {
			t.Errorf("reset by object: %v", r.body)
		}
		// Sign-in events stay in the same list, as category signin.
		r = call(t, srv, admin, "GET", "/api/v1/admin/audit?page_size=200", "")
		cats := map[any]int{}
		for _, it := range r.body["items"].([]any) {
			cats[it.(map[string]any)["category"]]++
		}
		if cats["signin"] == 0 || cats["admin"] != len(auditedRoutes) {
			t.Errorf("merged categories %v", cats)
		}
		r = call(t, srv, admin, "GET", "/api/v1/admin/audit?category=signin&kind=token", "")
		if r.body["total"] != float64(2) { // POST and DELETE /admin/tokens
			t.Errorf("sign-in token lines: %v", r.body)
		}
		from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if r = call(t, srv, admin, "GET", "/api/v1/admin/audit?from="+from, ""); r.body["total"] != float64(0) {
			t.Errorf("from the future: %v", r.body)
		}
		for _, bad := range []string{"category=other", "action=explode", "kind=planet", "from=yesterday"} {
			if r := call(t, srv, admin, "GET", "/api/v1/admin/audit?"+bad, ""); r.status != 400 || errCode(r) != "invalid" {
				t.Errorf("%s = %d %v", bad, r.status, r.body)
			}
		}
	})
}

// TestEveryAdminChangeRouteIsAudited: a new admin route that changes
// something must be added to auditedRoutes (and so to the audit).
func TestEveryAdminChangeRouteIsAudited(t *testing.T) {
	_, _, s := newAuditServer(t)
	param := regexp.MustCompile(`:[a-z_]+`)
	for _, r := range s.Routes() {
		if r.Method == "GET" || r.Method == "HEAD" || !strings.HasPrefix(r.Path, "/api/v1/admin/") {
			continue
		}
		pattern := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(r.Path), `[^/]+`) + `(\?.*)?$`)
		found := false
		for _, rt := range auditedRoutes {
			if rt.method == r.Method && pattern.MatchString(rt.path) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s changes something but auditedRoutes does not cover it", r.Method, r.Path)
		}
	}
}
