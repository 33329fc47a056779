package store

import (
	"fmt"

	"gorm.io/gorm"
)

// followupRules are the rows of the shipped policy that issue 14 added
// (policy/default_policy.csv): urging (催办) for the holding unit's command
// centre and secretaries and for supervisors of the jurisdiction,
// supervision orders (督办) for supervisors and command centres, and a
// named department's answer to an order.
var followupRules = [][4]string{
	{"commander", "task:urge", "holder", "task:urger"},
	{"commander", "case:supervise", "jurisdiction", "case:supervisor"},
	{"street_secretary", "task:urge", "holder", "task:urger"},
	{"community_secretary", "task:urge", "holder", "task:urger"},
	{"clerk", "supervision:answer_order", "own_department", "supervision:named_department"},
	{"supervisor", "task:urge", "jurisdiction", "task:urger"},
	{"supervisor", "case:supervise", "jurisdiction", "case:supervisor"},
}

// migrateFollowupRules adds followupRules to a policy table already seeded
// (migration 202612021402_followup_rules); an empty one seeds from the
// defaults, which have them. A row already there is kept once.
func migrateFollowupRules(tx *gorm.DB) error {
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range followupRules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("follow-up rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add follow-up rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackFollowupRules(tx *gorm.DB) error {
	for _, r := range followupRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop follow-up rule %v: %w", r, err)
		}
	}
	return nil
}
