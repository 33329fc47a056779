package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func TestCreateOrgUnitFollowsTheTree(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		tests := []struct {
			name string
			in   store.NewOrgUnit
			code string
		}{
			{"CommunityUnderStreet", store.NewOrgUnit{ID: "110101001003", ParentID: "110101001", Kind: whistle.OrgCommunity, Name: "新社区"}, ""},
			{"GridUnderNewCommunity", store.NewOrgUnit{ID: "110101001003001", ParentID: "110101001003", Kind: whistle.OrgGrid, Name: "新网格"}, ""},
			{"NewCity", store.NewOrgUnit{ID: "120000", Kind: whistle.OrgCity, Name: "另一市"}, ""},
			{"DistrictUnderStreet", store.NewOrgUnit{ID: "x1", ParentID: "110101001", Kind: whistle.OrgDistrict, Name: "x"}, whistle.EInvalid},
			{"SkipALevel", store.NewOrgUnit{ID: "x1", ParentID: "110101", Kind: whistle.OrgCommunity, Name: "x"}, whistle.EInvalid},
			{"UnderAGrid", store.NewOrgUnit{ID: "x1", ParentID: "110101001001001", Kind: whistle.OrgGrid, Name: "x"}, whistle.EInvalid},
			{"NoParent", store.NewOrgUnit{ID: "x1", Kind: whistle.OrgStreet, Name: "x"}, whistle.EInvalid},
			{"UnknownParent", store.NewOrgUnit{ID: "x1", ParentID: "nope", Kind: whistle.OrgStreet, Name: "x"}, whistle.EInvalid},
			{"BadID", store.NewOrgUnit{ID: "110%", ParentID: "110101001", Kind: whistle.OrgCommunity, Name: "x"}, whistle.EInvalid},
			{"Taken", store.NewOrgUnit{ID: "110101", ParentID: "110000", Kind: whistle.OrgDistrict, Name: "x"}, whistle.EConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.CreateOrgUnit(ctx, tt.in)
				if whistle.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want code %q", err, tt.code)
				}
				if err == nil {
					got, err := s.OrgUnit(ctx, tt.in.ID)
					if err != nil || got.Path != u.Path || got.Depth != u.Depth {
						t.Errorf("stored %+v, %v; returned %+v", got, err, u)
					}
				}
			})
		}
		grid, _ := s.OrgUnit(ctx, "110101001003001")
		if grid.Path != "/110000/110101/110101001/110101001003/110101001003001/" || grid.Depth != 5 {
			t.Errorf("grid = %+v", grid)
		}
	})
}

func TestDeleteOrgUnitOnlyWhenEmpty(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		if _, err := s.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101001003", ParentID: "110101001", Kind: whistle.OrgCommunity, Name: "空社区"}); err != nil {
			t.Fatal(err)
		}
		for id, code := range map[string]string{"110101": whistle.EConflict, "110101001001001": whistle.EConflict, "nope": whistle.ENotFound, "110101001003": ""} {
			if err := s.DeleteOrgUnit(ctx, id); whistle.ErrorCode(err) != code {
				t.Errorf("delete %s: %v, want code %q", id, err, code)
			}
		}
		if _, err := s.OrgUnit(ctx, "110101001003"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("deleted unit still there: %v", err)
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		clerk, err := s.CreateUser(ctx, store.NewUser{Username: "s1-police-2", DisplayName: "和平派出所值班", Role: whistle.RoleClerk, DepartmentID: "s1-police"})
		if err != nil {
			t.Fatal(err)
		}
		if clerk.OrgUnitID != "110101001" || clerk.OrgPath != "/110000/110101/110101001/" || clerk.DepartmentID == nil {
			t.Errorf("clerk = %+v, want the department's unit and path", clerk)
		}
		row, token, err := s.IssueUserToken(ctx, clerk.ID, "phone", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := s.UserByToken(ctx, token); err != nil || u.ID != clerk.ID {
			t.Fatalf("issued token does not sign in: %v", err)
		}
		toks, err := s.UserTokens(ctx, clerk.ID)
		if err != nil || len(toks) != 1 || toks[0].ID != row.ID {
			t.Fatalf("tokens = %v, %v", toks, err)
		}
		// Deactivating revokes every token in the same transaction.
		off := false
		if _, err := s.UpdateUser(ctx, clerk.ID, store.UserChange{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByToken(ctx, token); whistle.ErrorCode(err) != whistle.EUnauthorized {
			t.Errorf("a deactivated user's token still signs in: %v", err)
		}
		if _, err := s.RevokeUserToken(ctx, clerk.ID, row.ID); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("revoking a revoked token: %v, want conflict", err)
		}
		if _, _, err := s.IssueUserToken(ctx, clerk.ID, "again", time.Hour); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("token for an inactive user: %v, want conflict", err)
		}
		// The last active admin stays.
		if _, err := s.UpdateUser(ctx, "u-admin", store.UserChange{Active: &off}); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("deactivating the last admin: %v, want conflict", err)
		}
		second, err := s.CreateUser(ctx, store.NewUser{Username: "admin2", DisplayName: "备用管理员", Role: whistle.RoleAdmin, OrgUnitID: "110000"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateUser(ctx, "u-admin", store.UserChange{Active: &off}); err != nil {
			t.Errorf("deactivating one of two admins: %v", err)
		}
		if _, err := s.UpdateUser(ctx, second.ID, store.UserChange{Active: &off}); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("deactivating the now last admin: %v, want conflict", err)
		}
	})
}

func TestCatalogueAndDepartments(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		d, err := s.CreateDepartment(ctx, store.NewDepartment{ID: "s1-housing", Name: "和平房管所", Kind: "housing", OrgUnitID: "110101001", ParentID: "d1-housing"})
		if err != nil || d.OrgPath != "/110000/110101/110101001/" || !d.Active {
			t.Fatalf("department = %+v, %v", d, err)
		}
		off := false
		if d, err = s.UpdateDepartment(ctx, "s1-housing", store.DepartmentChange{Active: &off}); err != nil || d.Active {
			t.Fatalf("deactivate = %+v, %v", d, err)
		}
		active, err := s.ListDepartments(ctx, store.DepartmentFilter{OrgUnitIDs: []string{"110101001"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range active {
			if a.ID == "s1-housing" {
				t.Error("an inactive department is listed as summonable")
			}
		}
		all, total, err := s.FindDepartments(ctx, store.DepartmentQuery{Under: "/110000/110101/", Kind: "housing"})
		if err != nil || total != 2 || len(all) != 2 {
			t.Errorf("housing under district 1 = %d %v, %v", total, all, err)
		}
		kinds, err := s.DepartmentKinds(ctx)
		if err != nil || len(kinds) == 0 || kinds[0] != "citymgmt" {
			t.Errorf("kinds = %v, %v", kinds, err)
		}

		it, err := s.CreateCatalogueItem(ctx, store.CatalogueItem{ID: "leak", Name: "管道漏水", Category: "市政设施", DefaultClass: "routine", DepartmentKinds: "housing", Levels: "community"})
		if err != nil || !it.Active {
			t.Fatalf("item = %+v, %v", it, err)
		}
		if _, err := s.CreateCatalogueItem(ctx, it); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("duplicate item: %v", err)
		}
		name := "管网漏水"
		it, err = s.UpdateCatalogueItem(ctx, "leak", store.CatalogueChange{Name: &name, Levels: []string{"community", "street"}, Active: &off})
		if err != nil || it.Name != name || it.Levels != "community,street" || it.Active || it.Category != "市政设施" {
			t.Errorf("updated item = %+v, %v", it, err)
		}
		on := true
		if rows, err := s.CatalogueItems(ctx, &on); err != nil || len(rows) != 9 {
			t.Errorf("active items = %d, %v", len(rows), err)
		}
		if err := s.DeleteSLAPolicy(ctx, whistle.ClassKey, ""); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Errorf("delete the every-level row: %v", err)
		}
		if err := s.DeleteSLAPolicy(ctx, whistle.ClassKey, whistle.LevelStreet); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("delete a missing row: %v", err)
		}
		if _, err := s.PutSLAPolicy(ctx, store.SLAPolicy{Class: "key", Level: "street", ReportWithin: "1h", HandleWithin: "2d", EvaluateWithin: "3d", DefaultSatisfaction: "satisfied"}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSLAPolicy(ctx, whistle.ClassKey, whistle.LevelStreet); err != nil {
			t.Errorf("delete the street row: %v", err)
		}
		if p, err := s.SLAPolicyFor(ctx, whistle.ClassKey, whistle.LevelStreet); err != nil || p.Level != "" || p.ReportWithin != "2h" {
			t.Errorf("after delete the street gets %+v, %v; want the every-level row", p, err)
		}
		days, err := s.CalendarYear(ctx, 2026)
		if err != nil || len(days) == 0 || days[0].Date != "2026-01-01" {
			t.Errorf("calendar 2026 = %v, %v", days, err)
		}
	})
}

func TestOrgUnitsPageAndLimit(t *testing.T) {
	s := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, s)
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		f       store.OrgUnitFilter
		rows    int
		total   int64
		firstID string
	}{
		{"All", store.OrgUnitFilter{}, 14, 14, "110000"},
		{"Limit", store.OrgUnitFilter{Limit: 3}, 3, 14, "110000"},
		{"SecondPage", store.OrgUnitFilter{Page: store.Page{Page: 2, PageSize: 5}}, 5, 14, "110101001001002"},
		{"UnderDepth", store.OrgUnitFilter{Under: "/110000/110101/", MaxDepth: 3}, 3, 3, "110101"},
		{"Kind", store.OrgUnitFilter{Kind: "grid"}, 4, 4, "110101001001001"},
		{"Query", store.OrgUnitFilter{Query: "Guangming"}, 3, 3, "110101002"},
	} {
		rows, total, err := s.OrgUnits(ctx, tt.f)
		if err != nil || len(rows) != tt.rows || total != tt.total || rows[0].ID != tt.firstID {
			t.Errorf("%s: %d rows (first %v), total %d, %v; want %d, %d, %s", tt.name, len(rows), rows, total, err, tt.rows, tt.total, tt.firstID)
		}
	}
}
