package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Migration 202612021601_supervision_rules: evaluations credited to the
// evaluator's level and unit, district evaluations of city departments
// kept apart (Kunming's second rule), defaulted evaluations out of every
// score (issue 17). The columns are this migration's own snapshot, in SQL
// both dialects read; a fresh database already has them from the models,
// and they are skipped. The roll-up's rules changed, so it is emptied and
// every case queued again: the next refresh recomputes it (published
// months keep their frozen copy).

// supervisionRulesColumns are the columns added: table, column, SQL type.
var supervisionRulesColumns = func() [][3]string {
	cols := [][3]string{{"evaluations", "org_unit_id", "VARCHAR(32) NOT NULL DEFAULT ''"}}
	for _, t := range []string{"supervision_rollup", "supervision_facts", "supervision_published"} {
		for _, c := range []string{"d_evals", "d_sum", "d_sat", "d_basic"} {
			cols = append(cols, [3]string{t, c, "INTEGER NOT NULL DEFAULT 0"})
		}
	}
	for _, t := range []string{"assessment_settings", "supervision_publications"} {
		cols = append(cols, [3]string{t, "district_weight", "DOUBLE PRECISION NOT NULL DEFAULT 0"})
	}
	return cols
}()

func migrateSupervisionRules(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, c := range supervisionRulesColumns {
		if m.HasColumn(c[0], c[1]) {
			continue
		}
		if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", c[0], c[1], c[2])).Error; err != nil {
			return fmt.Errorf("add %s.%s: %w", c[0], c[1], err)
		}
	}
	for _, q := range []string{`DELETE FROM supervision_rollup`, `DELETE FROM supervision_facts`, `DELETE FROM supervision_dirty`,
		`INSERT INTO supervision_dirty (case_id, seq) SELECT id, seq FROM cases`} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("requeue the supervision roll-up: %w", err)
		}
	}
	return nil
}

func rollbackSupervisionRules(tx *gorm.DB) error {
	for _, c := range supervisionRulesColumns {
		if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", c[0], c[1])).Error; err != nil {
			return fmt.Errorf("drop %s.%s: %w", c[0], c[1], err)
		}
	}
	return nil
}
