package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Migration 202612031003_callback: the resident call-back (回访, issue 17).
// The structs are this migration's snapshots; a fresh database already has
// the columns from the models the earlier migrations auto-migrate, and
// they are skipped.

// callbackCaseColumns: whether a case needs a call-back, its state (the
// case list's filter, with an index) and its attempts.
type callbackCaseColumns struct {
	CallbackRequired bool   `gorm:"not null;default:false"`
	CallbackStatus   string `gorm:"size:16;not null;default:''"`
	CallbacksJSON    string `gorm:"type:text"`
}

func (callbackCaseColumns) TableName() string { return "cases" }

// callbackCounters are the roll-up's two new counters: cases (per area,
// and per department that worked them) whose resident was not reached,
// or not called back in time. Every table of counters gets them: the
// roll-up, its facts, the published months (0 there: frozen before) and
// the appeals' adjustments, found by their evals_default column.
type callbackCounters struct {
	CbUnreached int64 `gorm:"column:cb_unreached;type:integer;not null;default:0"`
	CbExpired   int64 `gorm:"column:cb_expired;type:integer;not null;default:0"`
}

// callbackPolicyRules are the rows of the shipped policy this migration
// adds to a policy table seeded before it (policy/default_policy.csv):
// the filing side's command centre and secretaries record call-backs,
// as they verify and evaluate.
var callbackPolicyRules = [][4]string{
	{"commander", "case:callback", "chain", "case:callback_filer_side"},
	{"street_secretary", "case:callback", "chain", "case:callback_filer_side"},
	{"community_secretary", "case:callback", "chain", "case:callback_filer_side"},
}

func migrateCallback(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"CallbackRequired", "CallbackStatus", "CallbacksJSON"} {
		if m.HasColumn(&callbackCaseColumns{}, col) {
			continue
		}
		if err := m.AddColumn(&callbackCaseColumns{}, col); err != nil {
			return fmt.Errorf("add cases.%s: %w", col, err)
		}
	}
	if err := tx.Exec("CREATE INDEX IF NOT EXISTS idx_cases_callback_status ON cases (callback_status, created_at)").Error; err != nil {
		return fmt.Errorf("index cases.callback_status: %w", err)
	}
	tables, err := m.GetTables()
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		if !m.HasColumn(t, "evals_default") {
			continue
		}
		for _, col := range []string{"CbUnreached", "CbExpired"} {
			tm := tx.Table(t).Migrator()
			if tm.HasColumn(&callbackCounters{}, col) {
				continue
			}
			if err := tm.AddColumn(&callbackCounters{}, col); err != nil {
				return fmt.Errorf("add %s.%s: %w", t, col, err)
			}
		}
	}
	return addPolicyRules(tx, "call-back", callbackPolicyRules)
}

func rollbackCallback(tx *gorm.DB) error {
	for _, r := range callbackPolicyRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop call-back rule %v: %w", r, err)
		}
	}
	if err := tx.Exec("DROP INDEX IF EXISTS idx_cases_callback_status").Error; err != nil {
		return fmt.Errorf("drop index cases.callback_status: %w", err)
	}
	m := tx.Migrator()
	for _, col := range []string{"CallbackRequired", "CallbackStatus", "CallbacksJSON"} {
		if m.HasColumn(&callbackCaseColumns{}, col) {
			if err := m.DropColumn(&callbackCaseColumns{}, col); err != nil {
				return fmt.Errorf("drop cases.%s: %w", col, err)
			}
		}
	}
	return nil
}
