package store

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// TestMigrateSupervisionRules: on a database from before issue 17 (the
// columns rolled back), the migration adds the columns and queues every
// case again, so the roll-up is recomputed by the new rules.
func TestMigrateSupervisionRules(t *testing.T) {
	ctx := context.Background()
	s := migratedSQLite(t)
	path := "/110000/110101/110101001/110101001001/"
	old := whistle.Case{ID: "OLD1", Title: "t", Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseClosed,
		Level: whistle.LevelCommunity, OrgUnitID: "110101001001", OrgPath: path, HolderOrgUnitID: "110101001001", HolderOrgPath: path,
		Seq: 7, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.ApplyCase(ctx, old, nil); err != nil {
		t.Fatal(err)
	}
	if err := rollbackSupervisionRules(s.DB); err != nil {
		t.Fatal(err)
	}
	m := s.DB.Migrator()
	for _, c := range supervisionRulesColumns {
		if m.HasColumn(c[0], c[1]) {
			t.Errorf("%s.%s left after the rollback", c[0], c[1])
		}
	}
	if err := s.DB.Exec(`DELETE FROM supervision_dirty`).Error; err != nil {
		t.Fatal(err)
	}
	if err := migrateSupervisionRules(s.DB); err != nil {
		t.Fatal(err)
	}
	for _, c := range supervisionRulesColumns {
		if !m.HasColumn(c[0], c[1]) {
			t.Errorf("%s.%s missing after the migration", c[0], c[1])
		}
	}
	var queued []SupervisionDirty
	if err := s.DB.Find(&queued).Error; err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0].CaseID != "OLD1" || queued[0].Seq != 7 {
		t.Errorf("queued %+v, want OLD1 at seq 7", queued)
	}
	if _, err := s.RefreshSupervision(ctx, 0, 10, true); err != nil {
		t.Fatalf("refresh on the migrated schema: %v", err)
	}
}
