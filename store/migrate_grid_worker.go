package store

import (
	"fmt"

	"gorm.io/gorm"
)

// gridWorkerRulesDropped are the rows the shipped policy gave grid workers
// until 202612020001: escalating and answering extensions for their
// community. A grid worker reports problems; the secretary decides
// (DESIGN.md §1). Exactly these rows are deleted, so a rule an admin
// added under another relation or name stays.
var gridWorkerRulesDropped = [][4]string{
	{"grid_worker", "case:escalate", "grid_holder", "case:holder_level"},
	{"grid_worker", "case:answer_extension", "grid_holder", "case:holder_level"},
}

// migrateGridWorkerRules removes the grid worker's decision rows and gives
// "case:whistle" (whistling more on a filed case, now apart from the
// per-department "case:summon") to every role but the grid worker that
// may summon today, at the level holding the case as before. An empty
// table is left empty: the policy seeds it from the defaults, which
// already read so.
func migrateGridWorkerRules(tx *gorm.DB) error {
	for _, r := range gridWorkerRulesDropped {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop grid worker rule %v: %w", r, err)
		}
	}
	var roles []string
	if err := tx.Raw("SELECT DISTINCT v0 FROM policy_rules WHERE p_type = 'p' AND v1 = 'case:summon' AND v0 <> 'grid_worker' ORDER BY v0").
		Scan(&roles).Error; err != nil {
		return fmt.Errorf("roles that summon: %w", err)
	}
	for _, role := range roles {
		var n int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = 'case:whistle'", role).
			Scan(&n).Error; err != nil {
			return fmt.Errorf("whistle rules of %s: %w", role, err)
		}
		if n > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, 'case:whistle', 'holder', 'case:holder_level', '', '')",
			role).Error; err != nil {
			return fmt.Errorf("add whistle rule of %s: %w", role, err)
		}
	}
	return nil
}

// rollbackGridWorkerRules restores the dropped rows and removes the
// whistle rows this migration's defaults added.
func rollbackGridWorkerRules(tx *gorm.DB) error {
	if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v1 = 'case:whistle' AND v2 = 'holder' AND v3 = 'case:holder_level'").Error; err != nil {
		return fmt.Errorf("drop whistle rules: %w", err)
	}
	for _, r := range gridWorkerRulesDropped {
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("restore grid worker rule %v: %w", r, err)
		}
	}
	return nil
}
