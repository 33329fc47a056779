package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Migration 202612041002_ledger (issue 17): the ledger reads a subtree's
// period in one query (ledger.go). A subtree scope keeps the cases filed
// or held in it, so on PostgreSQL each of the two paths needs a range
// index with the period: idx_cases_path_created has the filing path; this
// adds the holder's. The two bitmap scans read only the subtree's cases of
// the period, where the keyset index (idx_cases_created_id) reads every
// case of the city's period. SQLite's LIKE uses no index: nothing to do.
func migrateLedger(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	if err := tx.Exec(`CREATE INDEX IF NOT EXISTS idx_cases_holder_created ON cases (holder_org_path varchar_pattern_ops, created_at)`).Error; err != nil {
		return fmt.Errorf("ledger migration: %w", err)
	}
	return nil
}

func rollbackLedger(tx *gorm.DB) error {
	if err := tx.Exec(`DROP INDEX IF EXISTS idx_cases_holder_created`).Error; err != nil {
		return fmt.Errorf("ledger rollback: %w", err)
	}
	return nil
}
