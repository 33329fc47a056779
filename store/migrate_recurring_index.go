package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Migration 202612041003_recurring_index (issue 17): idx_org_units_areas
// finds the streets of a subtree (the recurring view's areas) among a
// city's 44,000 units without reading them all (10 ms to 0.1 ms).
//
// Not added: a covering index of the cases the view reads (path, time and
// every shown column: ~3.5 GB at 20M cases). It answers from the index
// alone only on pages vacuum has marked all-visible, which the weeks being
// written are not, and every status change would write it; the view meets
// its target without it (BENCHMARKS.md, "Leaders' views").
//
// SQLite (a single-process installation, a city's few cases) needs it not.
func migrateRecurringIndex(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	for _, q := range []string{
		`CREATE INDEX IF NOT EXISTS idx_org_units_areas ON org_units (path varchar_pattern_ops) WHERE depth <= 3`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("recurring index migration: %w", err)
		}
	}
	return nil
}

func rollbackRecurringIndex(tx *gorm.DB) error {
	for _, idx := range []string{"idx_org_units_areas"} {
		if err := tx.Exec(`DROP INDEX IF EXISTS ` + idx).Error; err != nil {
			return fmt.Errorf("recurring index rollback: %w", err)
		}
	}
	return nil
}
