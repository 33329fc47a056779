package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// adminTables are the tables the admin routes write.
var adminTables = []string{"org_units", "departments", "users", "api_tokens", "catalogue_items", "sla_policies", "calendar_days", "policy_rules", "intake_settings", "admin_audit"}

// snapshot dumps the admin tables, so a test can tell that a refused
// request changed nothing.
func snapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range adminTables {
		var rows []map[string]any
		if err := st.DB.Table(table).Order("1").Find(&rows).Error; err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for _, r := range rows {
			delete(r, "last_used_at") // signing in records it; not an admin change
		}
		j, _ := json.Marshal(rows)
		fmt.Fprintf(&b, "%s %s\n", table, j)
	}
	return b.String()
}

// adminFixtures adds what the bad-input rows refer to: a leaf unit with a
// department, one with a case, an inactive department, an inactive user,
// a revoked token and another user's token.
type adminFixtures struct {
	revokedToken, otherUsersToken, inactiveUser, adminRuleID string
}

func setUpAdminFixtures(t *testing.T, st *store.Store) adminFixtures {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := st.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101002002", ParentID: "110101002", Kind: whistle.OrgCommunity, Name: "有部门的社区"})
	must(err)
	_, err = st.CreateDepartment(ctx, store.NewDepartment{ID: "c-leaf-office", Name: "社区工作站", Kind: "housing", OrgUnitID: "110101002002"})
	must(err)
	leaf, err := st.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101002003", ParentID: "110101002", Kind: whistle.OrgCommunity, Name: "有案件的社区"})
	must(err)
	projectCaseAt(t, st, "SB-LEAF-1", "noise", leaf.ID, leaf.Path)
	_, err = st.CreateDepartment(ctx, store.NewDepartment{ID: "s2-housing", Name: "光明房管所", Kind: "housing", OrgUnitID: "110101002", ParentID: "d1-housing"})
	must(err)
	off := false
	_, err = st.UpdateDepartment(ctx, "s2-housing", store.DepartmentChange{Active: &off})
	must(err)
	gone, err := st.CreateUser(ctx, store.NewUser{Username: "gone", DisplayName: "已离职", Role: whistle.RoleCommunitySecretary, OrgUnitID: "110101001002"})
	must(err)
	_, err = st.UpdateUser(ctx, gone.ID, store.UserChange{Active: &off})
	must(err)
	revoked, _, err := st.IssueUserToken(ctx, "u-c1-secretary", "old", time.Hour)
	must(err)
	_, err = st.RevokeUserToken(ctx, "u-c1-secretary", revoked.ID)
	must(err)
	other, _, err := st.IssueUserToken(ctx, "u-c2-secretary", "other", time.Hour)
	must(err)
	var rule store.PolicyRule
	must(st.DB.Where("v0 = ? AND v1 = ?", "admin", "admin:manage").Take(&rule).Error)
	return adminFixtures{revokedToken: revoked.ID, otherUsersToken: other.ID, inactiveUser: gone.ID, adminRuleID: fmt.Sprint(rule.ID)}
}

func projectCaseAt(t *testing.T, st *store.Store, id, item, unit, path string) {
	t.Helper()
	now := time.Now().UTC()
	c := whistle.Case{ID: id, Title: "t", Category: "治安秩序", CatalogueItem: item, Source: whistle.SourceResident, Class: whistle.ClassRoutine,
		Status: whistle.CaseOpen, Location: whistle.At("a", 39.9, 116.4), OrgUnitID: unit, OrgPath: path,
		Level: whistle.LevelCommunity, HolderOrgUnitID: unit, HolderOrgPath: path, FiledBy: "x", FiledByUserID: "x", CreatedAt: now, UpdatedAt: now, Seq: 1}
	if err := st.ApplyCase(context.Background(), c, []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "x"}}); err != nil {
		t.Fatal(err)
	}
}

// TestAdminBadInput: every admin route refuses bad input, unknown ids and
// state conflicts with the right 4xx and the envelope, and the admin
// tables stay exactly as they were.
func TestAdminBadInput(t *testing.T) {
	srv, st := newServer(t)
	fx := setUpAdminFixtures(t, st)
	admin := token(t, st, "admin")
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, method, path, body string
		status                   int
		mentions                 string
	}{
		// SLA policies.
		{"SLAPutMalformed", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":`, 400, "JSON"},
		{"SLAPutMissingHandle", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h"}`, 400, "handle_within"},
		{"SLAPutWrongType", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":5,"handle_within":"1d"}`, 400, "report_within"},
		{"SLAPutBadLevel", "PUT", "/api/v1/admin/sla-policies/key", `{"level":"province","report_within":"1h","handle_within":"1d"}`, 400, "level"},
		{"SLAPutBadSpan", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"soon","handle_within":"1d"}`, 400, "report_within"},
		{"SLAPutUnknownClass", "PUT", "/api/v1/admin/sla-policies/urgent", `{"report_within":"1h","handle_within":"1d"}`, 400, "urgent"},
		{"SLAPutUnknownField", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h","handle_within":"1d","handle":"2d"}`, 400, "handle"},
		{"SLAPutReportDayHandleHours", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1d","handle_within":"4h"}`, 400, "1d"},
		{"SLAPutReportLongerInHours", "PUT", "/api/v1/admin/sla-policies/routine", `{"level":"street","report_within":"10h","handle_within":"1d"}`, 400, "10h"}, // a working day holds 9 working hours
		{"SLAPutReportLongerOnWallClock", "PUT", "/api/v1/admin/sla-policies/emergency", `{"report_within":"25h","handle_within":"1d"}`, 400, "25h"},
		{"SLAPutTooManyExtensions", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h","handle_within":"1d","max_extensions":11}`, 400, "max_extensions"},
		{"SLAPutNegativeExtensions", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h","handle_within":"1d","max_extensions":-1}`, 400, "max_extensions"},
		{"SLAPutTooManyExtensionDays", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h","handle_within":"1d","max_extension_days":61}`, 400, "max_extension_days"},
		{"SLAPutExtensionsWrongType", "PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1h","handle_within":"1d","max_extensions":"2"}`, 400, "max_extensions"},
		{"SLADeleteNoLevel", "DELETE", "/api/v1/admin/sla-policies/key", "", 400, "level"},
		{"SLADeleteBadLevel", "DELETE", "/api/v1/admin/sla-policies/key?level=province", "", 400, "level"},
		{"SLADeleteUnknownClass", "DELETE", "/api/v1/admin/sla-policies/urgent?level=street", "", 400, "urgent"},
		{"SLADeleteNoSuchRow", "DELETE", "/api/v1/admin/sla-policies/key?level=street", "", 404, "street"},

		// Intake settings (the acceptance clock per source).
		{"IntakePutUnknownSource", "PUT", "/api/v1/admin/intake-settings/twitter", `{"accept_within":"2h"}`, 400, "twitter"},
		{"IntakePutEmpty", "PUT", "/api/v1/admin/intake-settings/hotline", "", 400, "请求体不能为空"},
		{"IntakePutMalformed", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":`, 400, "JSON"},
		{"IntakePutMissingSpan", "PUT", "/api/v1/admin/intake-settings/hotline", `{}`, 400, "accept_within"},
		{"IntakePutWrongType", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":2}`, 400, "accept_within"},
		{"IntakePutBadSpan", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"soon"}`, 400, "accept_within"},
		{"IntakePutZeroSpan", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"0h"}`, 400, "zero"},
		{"IntakePutNegativeSpan", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"-2h"}`, 400, "negative"},
		{"IntakePutTooLong", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"` + long(40) + `"}`, 400, "accept_within"},
		{"IntakePutUnknownField", "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"2h","within":"1d"}`, 400, "within"},

		// Org units.
		{"OrgListBadFormat", "GET", "/api/v1/admin/org-units?format=xml", "", 400, "format"},
		{"OrgListBadDepth", "GET", "/api/v1/admin/org-units?depth=99", "", 400, "depth"},
		{"OrgListUnknownUnder", "GET", "/api/v1/admin/org-units?under=nope", "", 400, "under"},
		{"OrgTreeWithKind", "GET", "/api/v1/admin/org-units?format=tree&kind=grid", "", 400, "format=flat"},
		{"OrgCreateEmpty", "POST", "/api/v1/admin/org-units", "", 400, "请求体不能为空"},
		{"OrgCreateMalformed", "POST", "/api/v1/admin/org-units", `{"id":"1`, 400, "JSON"},
		{"OrgCreateNotAnObject", "POST", "/api/v1/admin/org-units", `["x"]`, 400, "类型错误"},
		{"OrgCreateMissingID", "POST", "/api/v1/admin/org-units", `{"parent_id":"110101001","kind":"community","name":"x"}`, 400, "id"},
		{"OrgCreateMissingName", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"community"}`, 400, "name"},
		{"OrgCreateBlankName", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"community","name":"  "}`, 400, "name"},
		{"OrgCreateKindWrongType", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":5,"name":"x"}`, 400, "kind"},
		{"OrgCreateBadKind", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"province","name":"x"}`, 400, "kind"},
		{"OrgCreateBadID", "POST", "/api/v1/admin/org-units", `{"id":"a/b","parent_id":"110101001","kind":"community","name":"x"}`, 400, "id"},
		{"OrgCreateIDTooLong", "POST", "/api/v1/admin/org-units", `{"id":"` + long(33) + `","parent_id":"110101001","kind":"community","name":"x"}`, 400, "id"},
		{"OrgCreateUnknownField", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent":"110101001","kind":"community","name":"x"}`, 400, "parent"},
		{"OrgCreateUnknownParent", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"999","kind":"community","name":"x"}`, 400, "parent_id"},
		{"OrgCreateWrongKindForParent", "POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"district","name":"x"}`, 400, "community"},
		{"OrgCreateUnderGrid", "POST", "/api/v1/admin/org-units", `{"id":"x1","parent_id":"110101001001001","kind":"grid","name":"x"}`, 400, "grid"},
		{"OrgCreateNoParent", "POST", "/api/v1/admin/org-units", `{"id":"x1","kind":"district","name":"x"}`, 400, "parent_id"},
		{"OrgCreateDuplicate", "POST", "/api/v1/admin/org-units", `{"id":"110101001001","parent_id":"110101001","kind":"community","name":"x"}`, 409, "110101001001"},
		{"OrgCreateOversized", "POST", "/api/v1/admin/org-units", `{"id":"x1","parent_id":"110101001","kind":"community","name":"` + long(5000) + `"}`, 400, "过大"},
		{"OrgRenameUnknown", "PATCH", "/api/v1/admin/org-units/nope", `{"name":"x"}`, 404, "nope"},
		{"OrgRenameNothing", "PATCH", "/api/v1/admin/org-units/110101", `{}`, 400, "name"},
		{"OrgRenameBlank", "PATCH", "/api/v1/admin/org-units/110101", `{"name":" "}`, 400, "name"},
		{"OrgRenameWrongType", "PATCH", "/api/v1/admin/org-units/110101", `{"name":["x"]}`, 400, "name"},
		{"OrgRenameTooLong", "PATCH", "/api/v1/admin/org-units/110101", `{"name":"` + long(129) + `"}`, 400, "name"},
		{"OrgDeleteUnknown", "DELETE", "/api/v1/admin/org-units/nope", "", 404, "nope"},
		{"OrgDeleteWithChildren", "DELETE", "/api/v1/admin/org-units/110101", "", 409, "下级组织"},
		{"OrgDeleteWithUsers", "DELETE", "/api/v1/admin/org-units/110101001001001", "", 409, "用户"},
		{"OrgDeleteWithDepartments", "DELETE", "/api/v1/admin/org-units/110101002002", "", 409, "部门"},
		{"OrgDeleteWithCases", "DELETE", "/api/v1/admin/org-units/110101002003", "", 409, "案件"},

		// Departments.
		{"DeptListBadActive", "GET", "/api/v1/admin/departments?active=maybe", "", 400, "active"},
		{"DeptListBadPage", "GET", "/api/v1/admin/departments?page=0", "", 400, "page"},
		{"DeptListUnknownUnder", "GET", "/api/v1/admin/departments?under=nope", "", 400, "under"},
		{"DeptCreateMalformed", "POST", "/api/v1/admin/departments", `{`, 400, "JSON"},
		{"DeptCreateMissingKind", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","org_unit_id":"110101001"}`, 400, "kind"},
		{"DeptCreateBadKind", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"Fire!","org_unit_id":"110101001"}`, 400, "kind"},
		{"DeptCreateBadID", "POST", "/api/v1/admin/departments", `{"id":"s1 fire","name":"x","kind":"fire","org_unit_id":"110101001"}`, 400, "id"},
		{"DeptCreateUnknownOrg", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"fire","org_unit_id":"999"}`, 400, "org_unit_id"},
		{"DeptCreateAtGrid", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"fire","org_unit_id":"110101001001001"}`, 400, "网格"},
		{"DeptCreateUnknownParent", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"fire","org_unit_id":"110101001","parent_id":"nope"}`, 400, "parent_id"},
		{"DeptCreateParentNotAbove", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"police","org_unit_id":"110101001","parent_id":"s2-police"}`, 400, "s2-police"},
		{"DeptCreateParentSameUnit", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"police","org_unit_id":"110101001","parent_id":"s1-police"}`, 400, "s1-police"},
		{"DeptCreateDuplicate", "POST", "/api/v1/admin/departments", `{"id":"s1-police","name":"x","kind":"police","org_unit_id":"110101001"}`, 409, "s1-police"},
		{"DeptCreateUnknownField", "POST", "/api/v1/admin/departments", `{"id":"s1-fire","name":"x","kind":"fire","org_unit":"110101001"}`, 400, "org_unit"},
		{"DeptUpdateUnknown", "PATCH", "/api/v1/admin/departments/nope", `{"active":false}`, 404, "nope"},
		{"DeptUpdateNothing", "PATCH", "/api/v1/admin/departments/s1-police", `{}`, 400, "active"},
		{"DeptUpdateActiveWrongType", "PATCH", "/api/v1/admin/departments/s1-police", `{"active":"no"}`, 400, "active"},
		{"DeptUpdateBlankName", "PATCH", "/api/v1/admin/departments/s1-police", `{"name":""}`, 400, "name"},

		// Users and tokens.
		{"UserListBadRole", "GET", "/api/v1/admin/users?role=king", "", 400, "role"},
		{"UserListBadPageSize", "GET", "/api/v1/admin/users?page_size=1000", "", 400, "page_size"},
		{"UserCreateMalformed", "POST", "/api/v1/admin/users", `{"username":}`, 400, "JSON"},
		{"UserCreateMissingName", "POST", "/api/v1/admin/users", `{"username":"new-user","role":"supervisor","org_unit_id":"110101"}`, 400, "display_name"},
		{"UserCreateBadUsername", "POST", "/api/v1/admin/users", `{"username":"New User","display_name":"x","role":"supervisor","org_unit_id":"110101"}`, 400, "username"},
		{"UserCreateDuplicate", "POST", "/api/v1/admin/users", `{"username":"c1-secretary","display_name":"x","role":"community_secretary","org_unit_id":"110101001001"}`, 409, "c1-secretary"},
		{"UserCreateBadRole", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"mayor","org_unit_id":"110101"}`, 400, "role"},
		{"UserCreateRoleWrongType", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":1,"org_unit_id":"110101"}`, 400, "role"},
		{"UserCreateClerkNoDepartment", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"clerk","org_unit_id":"110101001"}`, 400, "department_id"},
		{"UserCreateClerkOtherUnit", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"clerk","department_id":"s1-police","org_unit_id":"110101002"}`, 400, "org_unit_id"},
		{"UserCreateClerkInactiveDepartment", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"clerk","department_id":"s2-housing"}`, 400, "s2-housing"},
		{"UserCreateClerkUnknownDepartment", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"clerk","department_id":"nope"}`, 400, "department_id"},
		{"UserCreateSecretaryWithDepartment", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"street_secretary","org_unit_id":"110101001","department_id":"s1-police"}`, 400, "clerk"},
		{"UserCreateNoOrgUnit", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"supervisor"}`, 400, "org_unit_id"},
		{"UserCreateUnknownOrgUnit", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"supervisor","org_unit_id":"999"}`, 400, "org_unit_id"},
		{"UserCreateSecretaryAtStreet", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"community_secretary","org_unit_id":"110101001"}`, 400, "community_secretary"},
		{"UserCreateGridWorkerAtCommunity", "POST", "/api/v1/admin/users", `{"username":"new-user","display_name":"x","role":"grid_worker","org_unit_id":"110101001001"}`, 400, "grid_worker"},
		{"UserUpdateUnknown", "PATCH", "/api/v1/admin/users/nope", `{"active":false}`, 404, "nope"},
		{"UserUpdateNothing", "PATCH", "/api/v1/admin/users/u-c1-secretary", `{}`, 400, "active"},
		{"UserUpdateWrongType", "PATCH", "/api/v1/admin/users/u-c1-secretary", `{"active":0}`, 400, "active"},
		{"UserDeactivateSelf", "PATCH", "/api/v1/admin/users/u-admin", `{"active":false}`, 409, "自己"},
		{"TokensOfUnknownUser", "GET", "/api/v1/admin/users/nope/tokens", "", 404, "nope"},
		{"TokenIssueUnknownUser", "POST", "/api/v1/admin/users/nope/tokens", `{"name":"x"}`, 404, "nope"},
		{"TokenIssueInactiveUser", "POST", "/api/v1/admin/users/" + fx.inactiveUser + "/tokens", `{"name":"x"}`, 409, "gone"},
		{"TokenIssueNoName", "POST", "/api/v1/admin/users/u-c1-secretary/tokens", `{"ttl":"1d"}`, 400, "name"},
		{"TokenIssueBadTTL", "POST", "/api/v1/admin/users/u-c1-secretary/tokens", `{"name":"x","ttl":"forever"}`, 400, "ttl"},
		{"TokenIssueTTLTooLong", "POST", "/api/v1/admin/users/u-c1-secretary/tokens", `{"name":"x","ttl":"400d"}`, 400, "ttl"},
		{"TokenRevokeUnknown", "DELETE", "/api/v1/admin/users/u-c1-secretary/tokens/nope", "", 404, "nope"},
		{"TokenRevokeOtherUsers", "DELETE", "/api/v1/admin/users/u-c1-secretary/tokens/" + fx.otherUsersToken, "", 404, fx.otherUsersToken},
		{"TokenRevokeTwice", "DELETE", "/api/v1/admin/users/u-c1-secretary/tokens/" + fx.revokedToken, "", 409, "吊销"},

		// Catalogue.
		{"CatListBadActive", "GET", "/api/v1/admin/catalogue?active=1x", "", 400, "active"},
		{"CatCreateMalformed", "POST", "/api/v1/admin/catalogue", `{"id":"x",`, 400, "JSON"},
		{"CatCreateMissingLevels", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":["housing"]}`, 400, "levels"},
		{"CatCreateBadClass", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"urgent","department_kinds":["housing"],"levels":["street"]}`, 400, "default_class"},
		{"CatCreateNoKinds", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":[],"levels":["street"]}`, 400, "department_kinds"},
		{"CatCreateKindsWrongType", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":"housing","levels":["street"]}`, 400, "department_kinds"},
		{"CatCreateUnknownKind", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":["fire"],"levels":["street"]}`, 400, "fire"},
		{"CatCreateDuplicateKind", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":["housing","housing"],"levels":["street"]}`, 400, "housing"},
		{"CatCreateBadLevel", "POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"x","category":"c","default_class":"routine","department_kinds":["housing"],"levels":["province"]}`, 400, "levels"},
		{"CatCreateBadID", "POST", "/api/v1/admin/catalogue", `{"id":"漏水","name":"x","category":"c","default_class":"routine","department_kinds":["housing"],"levels":["street"]}`, 400, "id"},
		{"CatCreateDuplicate", "POST", "/api/v1/admin/catalogue", `{"id":"noise","name":"x","category":"c","default_class":"routine","department_kinds":["housing"],"levels":["street"]}`, 409, "noise"},
		{"CatUpdateUnknown", "PATCH", "/api/v1/admin/catalogue/nope", `{"active":false}`, 404, "nope"},
		{"CatUpdateNothing", "PATCH", "/api/v1/admin/catalogue/noise", `{}`, 400, "active"},
		{"CatUpdateBadClass", "PATCH", "/api/v1/admin/catalogue/noise", `{"default_class":"urgent"}`, 400, "default_class"},
		{"CatUpdateUnknownKind", "PATCH", "/api/v1/admin/catalogue/noise", `{"department_kinds":["fire"]}`, 400, "fire"},
		{"CatUpdateNoLevels", "PATCH", "/api/v1/admin/catalogue/noise", `{"levels":[]}`, 400, "levels"},
		{"CatUpdateBlankCategory", "PATCH", "/api/v1/admin/catalogue/noise", `{"category":" "}`, 400, "category"},
		{"CatUpdateUnknownField", "PATCH", "/api/v1/admin/catalogue/noise", `{"enabled":false}`, 400, "enabled"},

		// Calendar.
		{"CalListBadYear", "GET", "/api/v1/admin/calendar?year=26", "", 400, "year"},
		{"CalPutMalformed", "PUT", "/api/v1/admin/calendar", `{"days":[`, 400, "JSON"},
		{"CalPutNoDays", "PUT", "/api/v1/admin/calendar", `{"days":[]}`, 400, "days"},
		{"CalPutDaysWrongType", "PUT", "/api/v1/admin/calendar", `{"days":{"date":"2027-01-01"}}`, 400, "days"},
		{"CalPutBadDate", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-13-01","kind":"holiday","name":"x"}]}`, 400, "2027-13-01"},
		{"CalPutWorkdayOnWeekday", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-06-02","kind":"workday","name":"x"}]}`, 400, "Saturday"},
		{"CalPutDateTwice", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-06-05","kind":"workday","name":"x"},{"date":"2027-06-05","kind":"holiday","name":"y"}]}`, 400, "twice"},
		{"CalPutBadKind", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-06-05","kind":"weekend","name":"x"}]}`, 400, "kind"},
		{"CalPutBlankName", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-06-05","kind":"workday","name":" "}]}`, 400, "name"},
		{"CalPutOneBadOfTwo", "PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-06-05","kind":"workday","name":"x"},{"date":"2027-06-02","kind":"workday","name":"y"}]}`, 400, "2027-06-02"},
		{"CalPutDayBadDate", "PUT", "/api/v1/admin/calendar/tomorrow", `{"kind":"holiday","name":"x"}`, 400, "tomorrow"},
		{"CalPutDayWorkdayOnWeekday", "PUT", "/api/v1/admin/calendar/2027-06-02", `{"kind":"workday","name":"x"}`, 400, "Saturday"},
		{"CalPutDayMissingKind", "PUT", "/api/v1/admin/calendar/2027-06-05", `{"name":"x"}`, 400, "kind"},
		{"CalDeleteBadDate", "DELETE", "/api/v1/admin/calendar/2027-1-1", "", 400, "2027-1-1"},
		{"CalDeleteUnlisted", "DELETE", "/api/v1/admin/calendar/2027-06-02", "", 404, "2027-06-02"},

		// Policy rules.
		{"RuleAddMalformed", "POST", "/api/v1/admin/policy-rules", `{"role"`, 400, "JSON"},
		{"RuleAddMissingName", "POST", "/api/v1/admin/policy-rules", `{"role":"supervisor","action":"task:read","relation":"scope"}`, 400, "name"},
		{"RuleAddUnknownRole", "POST", "/api/v1/admin/policy-rules", `{"role":"mayor","action":"task:read","relation":"scope","name":"x"}`, 400, "mayor"},
		{"RuleAddUnknownAction", "POST", "/api/v1/admin/policy-rules", `{"role":"supervisor","action":"case:delete","relation":"scope","name":"x"}`, 400, "case:delete"},
		{"RuleAddUnknownRelation", "POST", "/api/v1/admin/policy-rules", `{"role":"supervisor","action":"task:read","relation":"friends","name":"x"}`, 400, "friends"},
		{"RuleAddDuplicate", "POST", "/api/v1/admin/policy-rules", `{"role":"admin","action":"admin:manage","relation":"anywhere","name":"admin:anywhere"}`, 409, "规则已存在"},
		{"RuleRemoveNotANumber", "DELETE", "/api/v1/admin/policy-rules/abc", "", 400, "abc"},
		{"RuleRemoveUnknown", "DELETE", "/api/v1/admin/policy-rules/99999", "", 404, "99999"},
		{"RuleRemoveLastAdminRule", "DELETE", "/api/v1/admin/policy-rules/" + fx.adminRuleID, "", 409, "管理员"},
	}
	before := snapshot(t, st)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, admin, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("got %d %s (%q), want %d", r.status, errCode(r), errMessage(r), tt.status)
			}
			wantCode := map[int]string{400: "invalid", 404: "not_found", 409: "conflict"}[tt.status]
			if errCode(r) != wantCode || errMessage(r) == "" {
				t.Errorf("envelope = %v, want code %s with a message", r.body, wantCode)
			}
			// A field is named by its Chinese label in Chinese and by its
			// JSON name in English (TestValidationSpeaksChinese).
			if !strings.Contains(errMessage(r), tt.mentions) {
				en := call(t, srv, admin, tt.method, tt.path, tt.body, "Accept-Language", "en")
				if !strings.Contains(errMessage(en), tt.mentions) {
					t.Errorf("message %q (%q) does not mention %q", errMessage(r), errMessage(en), tt.mentions)
				}
			}
			if after := snapshot(t, st); after != before {
				t.Errorf("a refused request changed the admin tables")
				before = after
			}
		})
	}
}

// TestAdminErrorsInEnglish: the same refusals speak English when asked.
func TestAdminErrorsInEnglish(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	for _, tt := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/admin/org-units", `{"id":"x1","parent_id":"110101001","kind":"district","name":"x"}`, "takes a community below it"},
		{"DELETE", "/api/v1/admin/org-units/110101", "", "still has 2 child units"},
		{"POST", "/api/v1/admin/users", `{"username":"New User","display_name":"x","role":"supervisor","org_unit_id":"110101"}`, "invalid username"},
		{"PATCH", "/api/v1/admin/catalogue/noise", `{"nmae":"x"}`, "unknown field \"nmae\""},
		{"PUT", "/api/v1/admin/calendar/2027-06-02", `{"kind":"workday","name":"x"}`, "must fall on a Saturday or Sunday"},
		{"PUT", "/api/v1/admin/sla-policies/key", `{"report_within":"1d","handle_within":"4h"}`, "report_within 1d must not be longer than handle_within 4h"},
	} {
		r := call(t, srv, admin, tt.method, tt.path, tt.body, "Accept-Language", "en")
		if r.status/100 != 4 || !strings.Contains(errMessage(r), tt.want) {
			t.Errorf("%s %s = %d %q, want a 4xx saying %q", tt.method, tt.path, r.status, errMessage(r), tt.want)
		}
	}
}

// adminRoutes is one call of every admin route, with a body that would
// be accepted.
var adminRoutes = []struct{ method, path, body string }{
	{"GET", "/api/v1/admin/sla-policies", ""},
	{"PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"1h","handle_within":"2d"}`},
	{"DELETE", "/api/v1/admin/sla-policies/key?level=street", ""},
	{"GET", "/api/v1/admin/intake-settings", ""},
	{"PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"4h"}`},
	{"GET", "/api/v1/admin/org-units", ""},
	{"POST", "/api/v1/admin/org-units", `{"id":"110101001009","parent_id":"110101001","kind":"community","name":"新社区"}`},
	{"PATCH", "/api/v1/admin/org-units/110101001009", `{"name":"更名社区"}`},
	{"DELETE", "/api/v1/admin/org-units/110101001009", ""},
	{"GET", "/api/v1/admin/departments", ""},
	{"POST", "/api/v1/admin/departments", `{"id":"s1-housing","name":"和平房管所","kind":"housing","org_unit_id":"110101001","parent_id":"d1-housing"}`},
	{"PATCH", "/api/v1/admin/departments/s1-housing", `{"active":false}`},
	{"GET", "/api/v1/admin/users", ""},
	{"POST", "/api/v1/admin/users", `{"username":"c2-deputy","display_name":"青年湖副书记","role":"community_secretary","org_unit_id":"110101001002"}`},
	{"PATCH", "/api/v1/admin/users/u-c2-secretary", `{"display_name":"青年湖社区书记"}`},
	{"GET", "/api/v1/admin/users/u-c2-secretary/tokens", ""},
	{"POST", "/api/v1/admin/users/u-c2-secretary/tokens", `{"name":"tablet"}`},
	{"DELETE", "/api/v1/admin/users/u-c2-secretary/tokens/{token}", ""},
	{"GET", "/api/v1/admin/catalogue", ""},
	{"POST", "/api/v1/admin/catalogue", `{"id":"leak","name":"管道漏水","category":"市政设施","default_class":"routine","department_kinds":["housing"],"levels":["community"]}`},
	{"PATCH", "/api/v1/admin/catalogue/leak", `{"active":false}`},
	{"GET", "/api/v1/admin/calendar?year=2026", ""},
	{"PUT", "/api/v1/admin/calendar", `{"days":[{"date":"2027-02-20","kind":"workday","name":"春节调休上班"}]}`},
	{"PUT", "/api/v1/admin/calendar/2027-02-21", `{"kind":"workday","name":"春节调休上班"}`},
	{"DELETE", "/api/v1/admin/calendar/2027-02-21", ""},
	{"GET", "/api/v1/admin/policy-rules", ""},
	{"POST", "/api/v1/admin/policy-rules", `{"role":"supervisor","action":"task:read","relation":"scope","name":"test:supervisor_inbox"}`},
	{"DELETE", "/api/v1/admin/policy-rules/{rule}", ""},
}

// TestAdminAuthorization: only the admin passes requireAdmin. Every other
// role is refused every admin route with a 403 naming the rule, before
// anything is read or written; the admin, in order, gets each route's
// success status.
func TestAdminAuthorization(t *testing.T) {
	srv, st := newServer(t)
	ctx := context.Background()
	// Ids the denied rows would act on, so a wrongly allowed request would
	// succeed (and be seen to change something).
	tokRow, _, err := st.IssueUserToken(ctx, "u-c2-secretary", "phone", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var rule store.PolicyRule
	if err := st.DB.Where("v0 = ? AND v1 = ?", "supervisor", "case:read").Take(&rule).Error; err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{token}", tokRow.ID, "{rule}", fmt.Sprint(rule.ID))
	denied := []string{"city-commander", "d1-commander", "s1-commander", "s1-secretary", "c1-secretary", "g1-worker", "s1-police", "d1-police", "d1-supervisor", "city-supervisor"}
	tokens := map[string]string{}
	for _, u := range append(denied, "admin") {
		tokens[u] = token(t, st, u)
	}
	before := snapshot(t, st)
	for _, user := range denied {
		for _, rt := range adminRoutes {
			path := fill.Replace(rt.path)
			t.Run(fmt.Sprintf("%s %s %s → 403", user, rt.method, path), func(t *testing.T) {
				r := call(t, srv, tokens[user], rt.method, path, rt.body)
				if r.status != 403 || errCode(r) != "forbidden" || !strings.Contains(errMessage(r), "规则") {
					t.Fatalf("got %d %v, want 403 forbidden naming the rule", r.status, r.body)
				}
			})
		}
	}
	if snapshot(t, st) != before {
		t.Fatal("a denied admin request changed the admin tables")
	}

	// The admin, in order: each route's success.
	created := map[string]string{}
	for _, rt := range adminRoutes {
		path := fill.Replace(rt.path)
		if strings.HasPrefix(rt.path, "/api/v1/admin/policy-rules/") {
			path = "/api/v1/admin/policy-rules/" + created["rule"]
		}
		want := map[string]int{"GET": 200, "PUT": 200, "PATCH": 200, "POST": 201, "DELETE": 204}[rt.method]
		t.Run(fmt.Sprintf("admin %s %s → %d", rt.method, path, want), func(t *testing.T) {
			r := call(t, srv, tokens["admin"], rt.method, path, rt.body)
			if r.status != want {
				t.Fatalf("got %d %v, want %d", r.status, r.body, want)
			}
			switch {
			case rt.method == "POST" && strings.HasSuffix(rt.path, "/tokens"):
				if tok, _ := r.body["token"].(string); !strings.HasPrefix(tok, "sb_") {
					t.Errorf("issued token not returned: %v", r.body)
				}
			case rt.method == "POST" && strings.HasSuffix(rt.path, "/policy-rules"):
				created["rule"] = fmt.Sprint(r.body["id"])
			}
		})
	}
}
