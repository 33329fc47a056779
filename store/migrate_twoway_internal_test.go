package store

import (
	"testing"
)

// TestRollbackTwoway: the rollback drops the columns and the index and
// keeps the supervision triggers on cases; migrating again restores them.
func TestRollbackTwoway(t *testing.T) {
	s := migratedSQLite(t)
	triggers := func() int64 {
		var n int64
		if err := s.DB.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases'").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := triggers()
	if err := rollbackTwoway(s.DB); err != nil {
		t.Fatal(err)
	}
	m := s.DB.Migrator()
	for _, tc := range twowayColumns {
		for _, col := range tc.cols {
			if m.HasColumn(tc.model, col) {
				t.Errorf("%s.%s left after the rollback", tc.table, col)
			}
		}
	}
	if m.HasIndex(&twowayCaseColumns{}, "UnresolvableStatus") || triggers() != before || before == 0 {
		t.Errorf("after the rollback: index left or triggers %d, want %d", triggers(), before)
	}
	if err := migrateTwoway(s.DB); err != nil {
		t.Fatal(err)
	}
	for _, tc := range twowayColumns {
		for _, col := range tc.cols {
			if !m.HasColumn(tc.model, col) {
				t.Errorf("%s.%s missing after migrating again", tc.table, col)
			}
		}
	}
}
