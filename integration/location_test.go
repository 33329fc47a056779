package integration

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/api/openapitest"
	"github.com/shaobao/shaobao/store"
)

// addressOnlyBody files a joint whistle by address alone, as a hotline
// operator would: no lat, no lon.
const addressOnlyBody = `{"title":"光明楼下水道堵塞","description":"来电反映下水道堵塞","source":"hotline","class":"routine",
	"department_ids":["s1-citymgmt"],"location":{"address":"和平里光明楼 5 号"}}`

// TestAPIAddressOnlyFiling: a case filed with an address alone runs the
// closed loop like any other (real Temporal); its answers carry no
// coordinates, match the strict OpenAPI document, and the nearby list
// finds it by address, never by a point; lat without lon and a point
// outside the city are refused and file nothing.
func TestAPIAddressOnlyFiling(t *testing.T) {
	a := newAPIEnv(t)
	k := openapitest.New(t, a.srv.URL)

	filed := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", addressOnlyBody, 201)
	id := filed["id"].(string)
	require.Equal(t, "open", filed["status"])
	loc := filed["location"].(map[string]any)
	require.Equal(t, "和平里光明楼 5 号", loc["address"])
	require.NotContains(t, loc, "lat")
	require.NotContains(t, loc, "lon")

	got := a.contractCall(k, "c1-secretary", "GET", "/api/v1/cases/"+id, "", 200)
	require.NotContains(t, got["location"], "lat", "the read model keeps no coordinates: %v", got["location"])
	require.NotContains(t, got["location"], "lon")
	var row store.CaseRow
	require.NoError(t, a.st.DB.Where("id = ?", id).Take(&row).Error)
	require.Nil(t, row.Lat, "cases.lat is NULL")
	require.Nil(t, row.Lon, "cases.lon is NULL")

	// The loop goes on: the squad reports for duty.
	a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+id+"-T1/report", `{}`, 200)
	require.Contains(t, timelineTypes(a.getCase(id)), "reported")

	// Pending, by address alone (the hotline's usual ticket).
	pending := a.must("g1-worker", "POST", "/api/v1/cases", strings.Replace(addressOnlyBody, `"department_ids":["s1-citymgmt"],`, "", 1), 201)
	require.Equal(t, "pending", pending["status"])
	require.NotContains(t, pending["location"], "lat")

	// Through Open311 by address_string alone: no coordinates either
	// (no more (0, 0) stand-in).
	status, out := a.post311("api_key="+a.open311Key("c1-secretary"), url.Values{"service_code": {"noise"}, "address_string": {"和平里光明楼 7 号"}}, "")
	require.Equal(t, 201, status, out)
	o311 := a.getCase(out[0]["service_request_id"].(string))
	require.NotContains(t, o311["location"], "lat", "Open311 address-only: %v", o311["location"])
	require.NotContains(t, o311["location"], "lon")

	// Nearby: a point never finds a case without one; the address does.
	near := a.contractCall(k, "c1-secretary", "GET", "/api/v1/cases/nearby?lat=39.95&lon=116.41&radius_m=2000", "", 200)
	for _, it := range near["items"].([]any) {
		require.NotEqual(t, id, it.(map[string]any)["id"])
	}
	byAddress := a.contractCall(k, "c1-secretary", "GET", "/api/v1/cases/nearby?address=光明楼", "", 200)
	require.Len(t, byAddress["items"], 3)

	// Bad locations: 400 with the envelope, nothing filed.
	var before int64
	require.NoError(t, a.st.DB.Model(&store.CaseRow{}).Count(&before).Error)
	for _, bad := range []struct{ loc, mentions string }{
		{`{"address":"x","lat":39.95}`, "location.lat 与 location.lon"},
		{`{"address":"x","lon":116.41}`, "location.lat 与 location.lon"},
		{`{"address":"上海外滩","lat":31.24,"lon":121.49}`, "不在本市范围内"},
		{`{"address":"x","lat":116.41,"lon":39.95}`, "纬度"},
	} {
		body := strings.Replace(addressOnlyBody, `{"address":"和平里光明楼 5 号"}`, bad.loc, 1)
		r := a.contractCall(k, "c1-secretary", "POST", "/api/v1/cases", body, 400)
		require.Equal(t, "invalid", r["error"].(map[string]any)["code"], bad.loc)
		require.Contains(t, r["error"].(map[string]any)["message"], bad.mentions, bad.loc)
	}
	var after int64
	require.NoError(t, a.st.DB.Model(&store.CaseRow{}).Count(&after).Error)
	require.Equal(t, before, after, "a refused filing filed something")
}

// TestAPIMergedFilerFollowsSurvivor: g1-worker's report, merged by the
// community into c1-secretary's case, is followed by its filer: g1-worker
// reads the survivor and sees its progress (the merge, the department
// reporting). Inside one community jurisdiction covers that already; the
// filer keeps following when the survivor lies outside its jurisdiction,
// shown here by transferring g1-worker to a grid of another street:
// g1-worker then reads the survivor, and no other case of its old
// community.
func TestAPIMergedFilerFollowsSurvivor(t *testing.T) {
	a := newAPIEnv(t)
	survivor := a.fileJoint() // c1-secretary's, to s1-police and s1-citymgmt
	other := a.fileJoint()
	dup := a.filePending("g1-worker")

	merged := a.must("c1-secretary", "POST", "/api/v1/cases/"+dup+"/merge", `{"into":"`+survivor+`"}`, 200)
	require.Equal(t, "merged", merged["outcome"])
	require.Eventually(t, func() bool {
		for _, typ := range timelineTypes(a.must("g1-worker", "GET", "/api/v1/cases/"+survivor, "", 200)) {
			if typ == "merged_in" {
				return true
			}
		}
		return false
	}, 10e9, 100e6, "the filer sees the merge on the survivor")
	a.must("s1-police", "POST", "/api/v1/tasks/"+survivor+"-T1/report", `{}`, 200)
	require.Contains(t, timelineTypes(a.must("g1-worker", "GET", "/api/v1/cases/"+survivor, "", 200)), "reported",
		"the filer sees the survivor's progress")

	// g1-worker moves to 光明第一网格 (community 3, street 2).
	var grid store.OrgUnit
	require.NoError(t, a.st.DB.Where("id = ?", "110101002001001").Take(&grid).Error)
	require.NoError(t, a.st.DB.Model(&store.User{}).Where("username = ?", "g1-worker").Updates(map[string]any{
		"org_unit_id": grid.ID, "org_path": grid.Path}).Error)
	u, err := a.st.UserByUsername(context.Background(), "g1-worker")
	require.NoError(t, err)
	require.Equal(t, "110101002001001", u.OrgUnitID)
	require.Equal(t, 200, a.call("g1-worker", "GET", "/api/v1/cases/"+survivor, "").Status, "the merged case's filer follows the survivor")
	require.Equal(t, 404, a.call("g1-worker", "GET", "/api/v1/cases/"+other, "").Status, "no other case of the old community")
	require.Equal(t, 403, a.call("g1-worker", "POST", "/api/v1/cases/"+survivor+"/verify", `{"passed":true}`).Status, "following is reading only")
	// c3-secretary, now g1-worker's community, still cannot see it.
	require.Equal(t, 404, a.call("c3-secretary", "GET", "/api/v1/cases/"+survivor, "").Status)
}
