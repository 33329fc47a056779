package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Issue 17: leaders' views (statistics, recurring problems, the ledger).
// No table: the views read the cases table; the migration adds the
// indexes they need and the policy rows that open them to street
// secretaries.

// leadersIndexes serve the views. The recurring-problem view and the
// statistics read a period, then a subtree (or, for long periods, a
// subtree, then a period), and on PostgreSQL only the columns they group
// by, so they run index-only; the ledger walked a period newest first by
// (created_at, id), its keyset (now migrate_ledger.go).
func leadersIndexes(dialect string) []string {
	if dialect == "postgres" {
		return []string{
			`CREATE INDEX IF NOT EXISTS idx_cases_created_path ON cases (created_at, org_path varchar_pattern_ops) INCLUDE (category, source, grid_id, org_unit_id, outcome)`,
			// A long period of a district or street: its subtree first.
			`CREATE INDEX IF NOT EXISTS idx_cases_path_created ON cases (org_path varchar_pattern_ops, created_at) INCLUDE (category, source, outcome)`,
			// The cases newest first (created_at, id), with the scope's
			// columns, so a period's ids come from the index alone. The
			// ledger walked it by keyset until 202612041002_ledger; a
			// subtree's ledger now reads the path indexes (ledger.go).
			`CREATE INDEX IF NOT EXISTS idx_cases_created_id ON cases (created_at, id) INCLUDE (org_path, holder_org_path)`,
		}
	}
	return []string{
		`CREATE INDEX IF NOT EXISTS idx_cases_created_path ON cases (created_at, org_path)`,
		`CREATE INDEX IF NOT EXISTS idx_cases_path_created ON cases (org_path, created_at)`,
		`CREATE INDEX IF NOT EXISTS idx_cases_created_id ON cases (created_at, id)`,
	}
}

// leadersRules are the rows of the shipped policy that issue 17 added
// (policy/default_policy.csv): street secretaries read the supervision
// views (rates, lists, recurring problems) of their street, as their
// command centres do; a bureau reads its stationed units' tasks (条块结合).
var leadersRules = [][4]string{
	{"street_secretary", "supervision:read", "scope", "supervision:jurisdiction"},
	{"clerk", "task:read", "stationed_unit", "task:stationed_unit"},
}

func migrateLeaders(tx *gorm.DB) error {
	for _, q := range leadersIndexes(tx.Dialector.Name()) {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("leaders migration: %w", err)
		}
	}
	// An empty policy table is seeded from the defaults, which have them.
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range leadersRules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("leaders rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add leaders rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackLeaders(tx *gorm.DB) error {
	for _, r := range leadersRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop leaders rule %v: %w", r, err)
		}
	}
	for _, q := range []string{`DROP INDEX IF EXISTS idx_cases_created_path`, `DROP INDEX IF EXISTS idx_cases_path_created`, `DROP INDEX IF EXISTS idx_cases_created_id`} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("leaders rollback: %w", err)
		}
	}
	return nil
}
