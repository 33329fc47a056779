package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// TestPeriodicAPI: who rates whom for the current quarter, correction, and
// who sees which ratings; the answers checked against api/openapi.json.
func TestPeriodicAPI(t *testing.T) {
	srv, st := newServer(t)
	k := newContract(t, srv)
	now := time.Now().In(worktime.Location)
	period := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())+2)/3)
	body := func(dept string, work int) string {
		return fmt.Sprintf(`{"period":%q,"department_id":%q,"scores":{"work":%d,"cooperation":80,"residents":75},"comment":"配合积极"}`, period, dept, work)
	}
	const js = "application/json"
	tests := []struct {
		name, user, body string
		status           int
		code             string
	}{
		{"StreetRatesStationed", "s1-secretary", body("s1-police", 90), 200, ""},
		{"StreetCorrects", "s1-secretary", body("s1-police", 85), 200, ""},
		{"StreetCommandRatesDistrictDept", "s1-commander", body("d1-police", 70), 200, ""},
		{"DistrictRatesCityDept", "d1-commander", body("city-police", 60), 200, ""},
		{"StreetNotCityDept", "s1-secretary", body("city-police", 60), 422, store.EPeriodicNotServing},
		{"StreetNotOtherStreet", "s1-secretary", body("s2-police", 60), 422, store.EPeriodicNotServing},
		{"CityRatesNobody", "city-commander", body("city-police", 60), 422, store.EPeriodicNotServing},
		{"CommunityMayNot", "c1-secretary", body("s1-police", 60), 403, "forbidden"},
		{"ClerkMayNot", "s1-police", body("s1-police", 100), 403, "forbidden"},
		{"SupervisorMayNot", "d1-supervisor", body("s1-police", 60), 403, "forbidden"},
		{"ScoreRange", "s1-secretary", body("s1-police", 101), 400, "invalid"},
		{"BadPeriod", "s1-secretary", `{"period":"2026Q9","department_id":"s1-police","scores":{"work":1,"cooperation":1,"residents":1}}`, 400, "invalid"},
		{"MissingScore", "s1-secretary", fmt.Sprintf(`{"period":%q,"department_id":"s1-police","scores":{"work":1,"cooperation":1}}`, period), 400, "invalid"},
		{"UnknownDepartment", "s1-secretary", body("nobody", 60), 400, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status < 300 || tt.status == 422 {
				k.do(token(t, st, tt.user), "POST", "/api/v1/supervision/periodic", js, tt.body, tt.status)
			}
			r := call(t, srv, token(t, st, tt.user), "POST", "/api/v1/supervision/periodic", tt.body)
			if r.status != tt.status || errCode(r) != tt.code {
				t.Fatalf("%d %s %v, want %d %s", r.status, errCode(r), r.body, tt.status, tt.code)
			}
		})
	}
	lists := []struct{ user, query, want string }{
		{"s1-police", "", "s1-police"},
		{"d1-police", "", "d1-police,s1-police"}, // the bureau and its station
		{"s1-secretary", "", "d1-police,s1-police"},
		{"d1-supervisor", "", "city-police,d1-police,s1-police"},
		{"d2-supervisor", "", ""},
		{"admin", "?department=city-police", "city-police"},
	}
	for _, l := range lists {
		r := call(t, srv, token(t, st, l.user), "GET", "/api/v1/supervision/periodic"+l.query, "")
		if got := ids(r, "department_id"); r.status != 200 || got != l.want {
			t.Errorf("%s%s: %d %q, want %q", l.user, l.query, r.status, got, l.want)
		}
	}
	k.do(token(t, st, "d1-supervisor"), "GET", "/api/v1/supervision/periodic?period="+period, "", "", 200)
	if r := call(t, srv, token(t, st, "c1-secretary"), "GET", "/api/v1/supervision/periodic", ""); r.status != 403 {
		t.Errorf("community reads ratings: %d", r.status)
	}
	r := call(t, srv, token(t, st, "s1-police"), "GET", "/api/v1/supervision/periodic", "")
	if it := items(r)[0]; it["work"] != float64(85) || it["rater_name"] != "和平街道" {
		t.Errorf("corrected rating: %v", it)
	}
}
