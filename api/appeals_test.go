package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// newAppealsServer projects a closed case of community 1 filed in last
// month and one filed four months ago, publishes both months and opens a
// 31-day window (so last month is in it whatever today is, and the older
// month is not).
func newAppealsServer(t *testing.T) (srv *httptest.Server, st *store.Store, last, old string) {
	t.Helper()
	srv, st = newServer(t)
	ctx := context.Background()
	now := time.Now().In(worktime.Location)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, worktime.Location)
	lastT, oldT := first.AddDate(0, -1, 1).Add(10*time.Hour), first.AddDate(0, -4, 1).Add(10*time.Hour)
	for id, at := range map[string]time.Time{"SBA1": lastT, "SBA0": oldT} {
		if err := st.ApplyCase(ctx, closedDemoCase(id, at), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RefreshSupervision(ctx, 0, 100, true); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{lastT, oldT} {
		if _, _, err := st.PublishMonth(ctx, at.Year()*100+int(at.Month()), now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.PutAppealDays(ctx, 31, "admin", now); err != nil {
		t.Fatal(err)
	}
	return srv, st, lastT.Format("2006-01"), oldT.Format("2006-01")
}

func TestAppealsAPI(t *testing.T) {
	srv, st, last, old := newAppealsServer(t)
	body := func(month, caseID, dept, rate string) string {
		return fmt.Sprintf(`{"month":%q,"case_id":%q,"department_id":%q,"rate":%q,"reason":"该案系噪音扰民，不属本单位职责"}`, month, caseID, dept, rate)
	}
	tests := []struct {
		name, user, method, path, body string
		status                         int
		code                           string
	}{
		{"CommunityMayNotAppeal", "c1-secretary", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-police", "response"), 403, "forbidden"},
		{"OtherDepartment", "s1-citymgmt", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-police", "response"), 403, "forbidden"},
		{"StationForItsBureau", "s1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "d1-police", "response"), 403, "forbidden"},
		{"UnknownDepartment", "s1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "nobody", "response"), 400, "invalid"},
		{"BadMonth", "s1-police", "POST", "/api/v1/supervision/appeals", body("2026-13", "SBA1", "s1-police", "response"), 400, "invalid"},
		{"NoReason", "s1-police", "POST", "/api/v1/supervision/appeals", fmt.Sprintf(`{"month":%q,"case_id":"SBA1","department_id":"s1-police","rate":"response"}`, last), 400, "invalid"},
		{"WindowClosed", "s1-police", "POST", "/api/v1/supervision/appeals", body(old, "SBA0", "s1-police", "response"), 422, store.EAppealWindow},
		{"NotInCell", "s1-market", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-market", "response"), 422, store.EAppealNotInCell},
		{"Filed", "s1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-police", "response"), 201, ""},
		{"Duplicate", "s1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-police", "satisfaction"), 409, "conflict"},
		{"BureauNotForOtherStation", "d1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-citymgmt", "response"), 403, "forbidden"},
		{"CityMgmtFiles", "s1-citymgmt", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-citymgmt", "satisfaction"), 201, ""},
		{"ClerkMayNotAnswer", "s1-police", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":true}`, 403, "forbidden"},
		{"OtherDistrictMayNotAnswer", "d2-supervisor", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":true}`, 403, "forbidden"},
		{"StreetSecretaryMayNotAnswer", "s1-secretary", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":true}`, 403, "forbidden"},
		{"UpholdRequired", "d1-supervisor", "POST", "/api/v1/supervision/appeals/1/answer", `{"comment":"x"}`, 400, "invalid"},
		{"RejectNeedsComment", "d1-supervisor", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":false}`, 400, "invalid"},
		{"NoSuchAppeal", "d1-supervisor", "POST", "/api/v1/supervision/appeals/99/answer", `{"uphold":true}`, 404, "not_found"},
		{"Upheld", "d1-supervisor", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":true,"comment":"经核实属实"}`, 200, ""},
		{"BureauForItsStation", "d1-police", "POST", "/api/v1/supervision/appeals", body(last, "SBA1", "s1-police", "response"), 409, "conflict"}, // allowed, but upheld already
		{"AnsweredTwice", "city-supervisor", "POST", "/api/v1/supervision/appeals/1/answer", `{"uphold":false,"comment":"复核"}`, 409, "conflict"},
		{"CityRejects", "city-supervisor", "POST", "/api/v1/supervision/appeals/2/answer", `{"uphold":false,"comment":"评价属实，不予支持"}`, 200, ""},
		{"SettingsAdminOnly", "d1-supervisor", "PUT", "/api/v1/supervision/appeal-settings", `{"days":20}`, 403, "forbidden"},
		{"SettingsBounds", "admin", "PUT", "/api/v1/supervision/appeal-settings", `{"days":91}`, 400, "invalid"},
		{"ListBadStatus", "d1-supervisor", "GET", "/api/v1/supervision/appeals?status=lost", "", 400, "invalid"},
		{"ListNotForCommunity", "c1-secretary", "GET", "/api/v1/supervision/appeals", "", 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, tt.user), tt.method, tt.path, tt.body)
			if r.status != tt.status || errCode(r) != tt.code {
				t.Fatalf("%d %s %v, want %d %s", r.status, errCode(r), r.body, tt.status, tt.code)
			}
			if tt.status >= 400 && errMessage(r) == "" {
				t.Errorf("no message: %v", r.body)
			}
		})
	}

	t.Run("Lists", func(t *testing.T) {
		lists := []struct{ user, query, want string }{
			{"s1-police", "", "1"},       // its own
			{"d1-police", "", "1"},       // its station's
			{"s1-citymgmt", "", "2"},     // its own
			{"city-police", "", ""},      // none of its
			{"d1-supervisor", "", "2,1"}, // district 1's cases, newest first
			{"d2-supervisor", "", ""},    // none in district 2
			{"s1-secretary", "", "2,1"},  // the street's
			{"admin", "?status=upheld", "1"},
			{"admin", "?month=" + last + "&department=s1-citymgmt", "2"},
			{"admin", "?month=" + old, ""},
		}
		for _, l := range lists {
			r := call(t, srv, token(t, st, l.user), "GET", "/api/v1/supervision/appeals"+l.query, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %v", l.user, r.status, r.body)
			}
			got := ids(r, "id")
			if got != l.want {
				t.Errorf("%s%s sees %q, want %q", l.user, l.query, got, l.want)
			}
		}
		r := call(t, srv, token(t, st, "s1-police"), "GET", "/api/v1/supervision/appeals", "")
		it := items(r)[0]
		if it["status"] != "upheld" || it["answered_by"] != "d1-supervisor" || it["month"] != last || it["department_name"] != "和平派出所" || it["window_closes_at"] == nil {
			t.Errorf("appeal as listed: %v", it)
		}
	})

	t.Run("Settings", func(t *testing.T) {
		if r := call(t, srv, token(t, st, "admin"), "PUT", "/api/v1/supervision/appeal-settings", `{"days":12}`); r.status != 200 || r.body["days"] != float64(12) {
			t.Fatalf("put: %d %v", r.status, r.body)
		}
		if r := call(t, srv, token(t, st, "s1-police"), "GET", "/api/v1/supervision/appeal-settings", ""); r.status != 200 || r.body["days"] != float64(12) {
			t.Errorf("get: %d %v", r.status, r.body)
		}
	})
}

// TestAppealsContract checks the appeals' answers against api/openapi.json,
// the drill-down of the publication that carries a correction included.
func TestAppealsContract(t *testing.T) {
	srv, st, last, old := newAppealsServer(t)
	k := newContract(t, srv)
	clerk, sup, admin := token(t, st, "s1-police"), token(t, st, "d1-supervisor"), token(t, st, "admin")
	const js = "application/json"
	k.do(clerk, "POST", "/api/v1/supervision/appeals", js, fmt.Sprintf(`{"month":%q,"case_id":"SBA1","department_id":"s1-police","rate":"response","reason":"不属本所"}`, last), 201)
	k.do(clerk, "POST", "/api/v1/supervision/appeals", js, fmt.Sprintf(`{"month":%q,"case_id":"SBA0","department_id":"s1-police","rate":"response","reason":"不属本所"}`, old), 422)
	k.do(clerk, "POST", "/api/v1/supervision/appeals", js, fmt.Sprintf(`{"month":%q,"case_id":"SBA1","department_id":"s1-police","rate":"rework","reason":"再诉"}`, last), 409)
	k.do(clerk, "GET", "/api/v1/supervision/appeals", "", "", 200)
	k.do(clerk, "GET", "/api/v1/supervision/appeals/cells?month="+last+"&department=s1-police&rate=response", "", "", 200)
	k.do(token(t, st, "d1-police"), "GET", "/api/v1/supervision/appeals/cells?month="+last+"&department=s1-police&rate=satisfaction&part=numerator", "", "", 200)
	k.do(token(t, st, "s1-market"), "GET", "/api/v1/supervision/appeals/cells?month="+last+"&department=s1-police&rate=response", "", "", 403)
	k.do(clerk, "GET", "/api/v1/supervision/appeals/cells?month="+last+"&department=s1-police", "", "", 400)
	cells := call(t, srv, clerk, "GET", "/api/v1/supervision/appeals/cells?month="+last+"&department=s1-police&rate=response", "")
	if ids(cells, "case_id") != "SBA1" || cells.body["count"] != float64(1) {
		t.Errorf("the clerk's drill-down: %v", cells.body)
	}
	k.do(sup, "POST", "/api/v1/supervision/appeals/1/answer", js, `{"uphold":true,"comment":"属实"}`, 200)
	k.do(sup, "POST", "/api/v1/supervision/appeals/1/answer", js, `{"uphold":true}`, 409)
	k.do(sup, "POST", "/api/v1/supervision/appeals/7/answer", js, `{"uphold":true}`, 404)
	k.do(sup, "GET", "/api/v1/supervision/appeals?status=upheld&month="+last, "", "", 200)
	k.do(clerk, "GET", "/api/v1/supervision/appeal-settings", "", "", 200)
	k.do(admin, "PUT", "/api/v1/supervision/appeal-settings", js, `{"days":10}`, 200)
	k.do(sup, "PUT", "/api/v1/supervision/appeal-settings", js, `{"days":10}`, 403)

	// This month's publication carries the correction; its drill-down names the appeal.
	ctx := context.Background()
	now := time.Now().In(worktime.Location)
	month := now.Year()*100 + int(now.Month())
	if _, _, err := st.PublishMonth(ctx, month, now); err != nil {
		t.Fatal(err)
	}
	body := k.do(sup, "GET", fmt.Sprintf("/api/v1/supervision/rates/cases?month=%s&group=department&department=s1-police&rate=response&part=denominator", now.Format("2006-01")), "", "", 200)
	if !strings.Contains(string(body), `"appeal_id":1`) || !strings.Contains(string(body), `"count":-1`) {
		t.Errorf("drill-down of the carrying month: %s", body)
	}
	r := call(t, srv, clerk, "GET", "/api/v1/supervision/appeals", "")
	if it := items(r)[0]; it["applied_month"] != now.Format("2006-01") {
		t.Errorf("applied month: %v", it)
	}
}
