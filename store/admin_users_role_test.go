package store_test

import (
	"context"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// An admin moves a user to another role or place with the rules of
// creation; a refused move leaves the user as it was.
func TestUpdateUserRoleAndPlace(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		role := func(r whistle.Role) *whistle.Role { return &r }
		str := func(v string) *string { return &v }
		tests := []struct {
			name              string
			user              string
			ch                store.UserChange
			code              string
			wantRole, wantOrg string
			wantDept          string // "" for none
		}{
			{"SecretaryToCommanderAtAStreet", "c2-secretary", store.UserChange{Role: role(whistle.RoleCommander), OrgUnitID: str("110101001")}, "", "commander", "110101001", ""},
			{"CommunitySecretaryMovesCommunity", "c3-secretary", store.UserChange{OrgUnitID: str("110101001002")}, "", "community_secretary", "110101001002", ""},
			{"ClerkChangesDepartment", "s2-police", store.UserChange{DepartmentID: str("s1-police")}, "", "clerk", "110101001", "s1-police"},
			{"ClerkBecomesGridWorker", "s3-citymgmt", store.UserChange{Role: role(whistle.RoleGridWorker), OrgUnitID: str("110102001001001")}, "", "grid_worker", "110102001001001", ""},
			{"SecretaryAtAGridRefused", "c4-secretary", store.UserChange{OrgUnitID: str("110102001001001")}, whistle.EInvalid, "community_secretary", "110102001001", ""},
			{"ClerkWithoutDepartmentRefused", "s1-secretary", store.UserChange{Role: role(whistle.RoleClerk)}, whistle.EInvalid, "street_secretary", "110101001", ""},
			{"UnknownRoleRefused", "s1-secretary", store.UserChange{Role: role("mayor")}, whistle.EInvalid, "street_secretary", "110101001", ""},
			{"LastAdminStaysAdmin", "admin", store.UserChange{Role: role(whistle.RoleSupervisor), OrgUnitID: str("110000")}, whistle.EConflict, "admin", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, err := s.UserByUsername(ctx, tt.user)
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.UpdateUser(ctx, before.ID, tt.ch)
				if whistle.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want code %q", err, tt.code)
				}
				after, err := s.UserByUsername(ctx, tt.user)
				if err != nil {
					t.Fatal(err)
				}
				if tt.code != "" {
					if after.Role != before.Role || after.OrgUnitID != before.OrgUnitID || after.OrgPath != before.OrgPath {
						t.Fatalf("a refused move changed the user: %+v → %+v", before, after)
					}
					return
				}
				dept := ""
				if after.DepartmentID != nil {
					dept = *after.DepartmentID
				}
				unit, err := s.OrgUnit(ctx, tt.wantOrg)
				if err != nil {
					t.Fatal(err)
				}
				if after.Role != tt.wantRole || after.OrgUnitID != tt.wantOrg || dept != tt.wantDept || after.OrgPath != unit.Path {
					t.Fatalf("user now %s at %s (%s) dept %q, want %s at %s (%s) dept %q",
						after.Role, after.OrgUnitID, after.OrgPath, dept, tt.wantRole, tt.wantOrg, unit.Path, tt.wantDept)
				}
			})
		}
	})
}
