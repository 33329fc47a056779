package store

import (
	"fmt"

	"gorm.io/gorm"
)

// twowayRules are the rows of the shipped policy that issue 13 added
// (policy/default_policy.csv): dispatch, recall and whistling the levels
// below for command centres; answering escalations, returns and
// unresolvable applications, dropping, the lead; a clerk's release.
var twowayRules = func() [][4]string {
	holder := []string{"case:answer_return", "case:drop", "case:set_lead", "case:unresolvable"}
	var out [][4]string
	for _, role := range []string{"commander", "street_secretary"} {
		out = append(out,
			[4]string{role, "case:summon", "command_summon", "case:summon_scope"},
			[4]string{role, "case:dispatch", "holder", "case:holder_level"},
			[4]string{role, "case:recall", "holder", "case:dispatcher"},
			[4]string{role, "case:answer_escalation", "holder", "case:escalation_answerer"})
		for _, act := range holder {
			out = append(out, [4]string{role, act, "holder", "case:holder_level"})
		}
		out = append(out, [4]string{role, "case:answer_unresolvable", "holder", "case:unresolvable_approver"})
	}
	out = append(out, [4]string{"community_secretary", "case:answer_escalation", "holder", "case:escalation_answerer"})
	for _, act := range holder {
		out = append(out, [4]string{"community_secretary", act, "holder", "case:holder_level"})
	}
	return append(out, [4]string{"clerk", "task:release", "task_department", "task:case_department"})
}()

// migrateTwowayRules adds twowayRules to a policy table already seeded
// (migration 202612021303_twoway_rules); an empty one seeds from the
// defaults, which have them. A row already there is kept once.
func migrateTwowayRules(tx *gorm.DB) error {
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range twowayRules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("two-way rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add two-way rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackTwowayRules(tx *gorm.DB) error {
	for _, r := range twowayRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop two-way rule %v: %w", r, err)
		}
	}
	return nil
}
