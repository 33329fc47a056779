package store

import (
	"testing"
)

// TestRollbackFollowup: the rollback drops the columns, the index and the
// order tables and keeps the supervision triggers on cases; migrating
// again restores them, and fills the status of a pending extension
// request projected before the column existed.
func TestRollbackFollowup(t *testing.T) {
	s := migratedSQLite(t)
	triggers := func() int64 {
		var n int64
		if err := s.DB.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := triggers()
	if err := rollbackFollowup(s.DB); err != nil {
		t.Fatal(err)
	}
	m := s.DB.Migrator()
	for _, tc := range followupColumns {
		for _, col := range tc.cols {
			if m.HasColumn(tc.model, col) {
				t.Errorf("%s.%s left after the rollback", tc.table, col)
			}
		}
	}
	for _, tb := range followupTables {
		if m.HasTable(tb) {
			t.Errorf("table %T left after the rollback", tb)
		}
	}
	if m.HasIndex(&followupTaskColumns{}, "Warning") || triggers() != before || before == 0 {
		t.Errorf("after the rollback: index left or triggers %d, want %d", triggers(), before)
	}
	// A task projected before the migration, its extension pending.
	if err := s.DB.Exec(`INSERT INTO tasks (id, case_id, department_id, status, org_path, class, summoned_at, report_deadline, handle_deadline,
		overdue, rerouted, report_breached, handle_breached, reopened, extensions, extension_json)
		VALUES ('old-T1', 'old', 's1-police', 'reported', '/110000/', 'routine', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
		false, false, false, false, 0, 0, ?)`, `{"until":"2026-12-09T00:00:00Z","reason":"x","status":"pending"}`).Error; err != nil {
		t.Fatal(err)
	}
	if err := migrateFollowup(s.DB); err != nil {
		t.Fatal(err)
	}
	for _, tc := range followupColumns {
		for _, col := range tc.cols {
			if !m.HasColumn(tc.model, col) {
				t.Errorf("%s.%s missing after migrating again", tc.table, col)
			}
		}
	}
	for _, tb := range followupTables {
		if !m.HasTable(tb) {
			t.Errorf("table %T missing after migrating again", tb)
		}
	}
	if !m.HasIndex(&followupTaskColumns{}, "Warning") {
		t.Error("index of tasks.warning missing after migrating again")
	}
	var status string
	if err := s.DB.Raw("SELECT extension_status FROM tasks WHERE id = 'old-T1'").Scan(&status).Error; err != nil || status != "pending" {
		t.Errorf("extension_status of a pending request = %q (%v), want pending", status, err)
	}
}
