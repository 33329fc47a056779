package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func countAdminAudit(t *testing.T, s *store.Store) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Model(&store.AdminAudit{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditedChangeAndRowLandTogether(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		who := store.AuditActor{UserID: "u-admin", Username: "admin", RequestID: "req-1", Address: "10.0.0.9"}

		t.Run("CreateWritesAfterOnly", func(t *testing.T) {
			err := s.Audited(ctx, who, store.Change{Action: store.ActionCreate, Kind: "org_unit"}, func(tx *store.Store) (string, error) {
				u, err := tx.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101001009", ParentID: "110101001", Kind: whistle.OrgCommunity, Name: "审计社区"})
				return u.ID, err
			})
			if err != nil {
				t.Fatal(err)
			}
			var row store.AdminAudit
			if err := s.DB.Order("id DESC").Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.Actor != "admin" || row.ActorID != "u-admin" || row.ObjectID != "110101001009" || row.Kind != "org_unit" ||
				row.RequestID != "req-1" || row.Address != "10.0.0.9" || row.Before != "" || !strings.Contains(row.After, "审计社区") {
				t.Errorf("audit row %+v", row)
			}
		})

		t.Run("UpdateWritesBeforeAndAfter", func(t *testing.T) {
			err := s.Audited(ctx, who, store.Change{Action: store.ActionUpdate, Kind: "org_unit", ObjectID: "110101001009"}, func(tx *store.Store) (string, error) {
				_, err := tx.RenameOrgUnit(ctx, "110101001009", "新名字", "")
				return "", err
			})
			if err != nil {
				t.Fatal(err)
			}
			var row store.AdminAudit
			if err := s.DB.Order("id DESC").Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			var before, after map[string]any
			if err := json.Unmarshal([]byte(row.Before), &before); err != nil {
				t.Fatalf("before %q: %v", row.Before, err)
			}
			if err := json.Unmarshal([]byte(row.After), &after); err != nil {
				t.Fatalf("after %q: %v", row.After, err)
			}
			if before["name"] != "审计社区" || after["name"] != "新名字" {
				t.Errorf("before %v after %v", before, after)
			}
		})

		t.Run("RefusedChangeWritesNothing", func(t *testing.T) {
			n := countAdminAudit(t, s)
			err := s.Audited(ctx, who, store.Change{Action: store.ActionCreate, Kind: "org_unit"}, func(tx *store.Store) (string, error) {
				u, err := tx.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101", ParentID: "110000", Kind: whistle.OrgDistrict, Name: "x"})
				return u.ID, err
			})
			if whistle.ErrorCode(err) != whistle.EConflict {
				t.Fatalf("err = %v, want conflict", err)
			}
			if got := countAdminAudit(t, s); got != n {
				t.Errorf("audit rows %d → %d after a refused change", n, got)
			}
		})

		t.Run("FailingAuditUndoesTheChange", func(t *testing.T) {
			// A kind the audit cannot read fails after the change ran: the
			// change must roll back with it.
			err := s.Audited(ctx, who, store.Change{Action: store.ActionCreate, Kind: "nonsense"}, func(tx *store.Store) (string, error) {
				u, err := tx.CreateOrgUnit(ctx, store.NewOrgUnit{ID: "110101001008", ParentID: "110101001", Kind: whistle.OrgCommunity, Name: "x"})
				return u.ID, err
			})
			if err == nil {
				t.Fatal("an unknown kind was audited")
			}
			if _, err := s.OrgUnit(ctx, "110101001008"); whistle.ErrorCode(err) != whistle.ENotFound {
				t.Errorf("the change stayed without its audit row: %v", err)
			}
		})

		t.Run("SecretsNeverStored", func(t *testing.T) {
			err := s.Audited(ctx, who, store.Change{Action: store.ActionCreate, Kind: "api_token"}, func(tx *store.Store) (string, error) {
				tok, _, err := tx.IssueUserToken(ctx, "u-c1-secretary", "脚本", time.Hour)
				return tok.ID, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Audited(ctx, who, store.Change{Action: store.ActionReset, Kind: "credential", ObjectID: "u-c1-secretary"}, func(tx *store.Store) (string, error) {
				return "", tx.SetPassword(ctx, "u-c1-secretary", "a-long-new-password-1", true)
			}); err != nil {
				t.Fatal(err)
			}
			var rows []store.AdminAudit
			if err := s.DB.Where("kind IN ?", []string{"api_token", "credential"}).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("rows %d, want 2", len(rows))
			}
			for _, r := range rows {
				for _, bad := range []string{`"hash"`, "password_hash", "argon2id"} {
					if strings.Contains(r.Before+r.After, bad) {
						t.Errorf("%s row holds %s: %s / %s", r.Kind, bad, r.Before, r.After)
					}
				}
			}
		})

		t.Run("MergedWithSignin", func(t *testing.T) {
			if err := s.Audit(ctx, store.AuthEvent{Kind: store.AuditSignin, Outcome: "success", Username: "admin", Actor: "admin", Address: "10.0.0.9"}); err != nil {
				t.Fatal(err)
			}
			all, total, err := s.FindAuditLog(ctx, store.AuditLogQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if total != countAdminAudit(t, s)+1 || len(all) == 0 || all[0].Category != store.CategorySignin {
				t.Errorf("merged total %d, first %+v", total, all[0])
			}
			admin, n, err := s.FindAuditLog(ctx, store.AuditLogQuery{Category: store.CategoryAdmin, Kind: "org_unit", Actor: "admin"})
			if err != nil || n != 2 || len(admin) != 2 || admin[0].Admin.Action != store.ActionUpdate {
				t.Errorf("admin org units: %d %v %v", n, admin, err)
			}
			signin, n, err := s.FindAuditLog(ctx, store.AuditLogQuery{Kind: store.AuditSignin})
			if err != nil || n != 1 || signin[0].Signin == nil {
				t.Errorf("sign-in lines: %d %v %v", n, signin, err)
			}
			page2, _, err := s.FindAuditLog(ctx, store.AuditLogQuery{Page: store.Page{Page: 2, PageSize: 2}})
			if err != nil || len(page2) != 2 || page2[0].At().After(all[1].At()) {
				t.Errorf("page 2: %v %v", page2, err)
			}
		})
	})
}
