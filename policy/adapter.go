package policy

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/store"
)

// Adapter is casbin's persist.Adapter over the policy_rules table
// (store.PolicyRule): one row per rule, PType then V0..V5, unused values "".
type Adapter struct {
	db  *gorm.DB
	log *slog.Logger // nil: slog.Default
}

var _ persist.Adapter = (*Adapter)(nil)

// NewAdapter returns an adapter over db's policy_rules table. The table must
// exist (the store's migrations create it).
func NewAdapter(db *gorm.DB) *Adapter { return &Adapter{db: db} }

func (a *Adapter) logger() *slog.Logger {
	if a.log != nil {
		return a.log
	}
	return slog.Default()
}

// LoadPolicy loads every row into m, in id order. Rows of a type the model
// does not define, or of the wrong length for it, are skipped with a
// warning rather than loaded: casbin fails every decision on a malformed
// row, and one bad hand edit must not lock everyone out. Duplicates load once.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []store.PolicyRule
	if err := a.db.Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("policy: load rules: %w", err)
	}
	for _, row := range rows {
		line := rowValues(row)
		sec := row.PType[:min(1, len(row.PType))]
		ast, ok := m[sec][row.PType]
		if !ok || len(ast.Tokens) != len(line) {
			a.logger().Warn("policy: skipping malformed rule", "id", row.ID, "ptype", row.PType, "values", line)
			continue
		}
		if err := persist.LoadPolicyArray(append([]string{row.PType}, line...), m); err != nil {
			return fmt.Errorf("policy: load rule %d: %w", row.ID, err)
		}
	}
	return nil
}

// SavePolicy replaces every row with the rules of m, in one transaction.
func (a *Adapter) SavePolicy(m model.Model) error {
	var rows []store.PolicyRule
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, rule := range ast.Policy {
				rows = append(rows, newRow(ptype, rule))
			}
		}
	}
	return a.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&store.PolicyRule{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Create(&rows).Error
	})
}

// AddPolicy inserts one rule.
func (a *Adapter) AddPolicy(sec, ptype string, rule []string) error {
	row := newRow(ptype, rule)
	return a.db.Create(&row).Error
}

// RemovePolicy deletes every row equal to rule.
func (a *Adapter) RemovePolicy(sec, ptype string, rule []string) error {
	row := newRow(ptype, rule)
	return a.db.Where(map[string]any{
		"p_type": row.PType, "v0": row.V0, "v1": row.V1, "v2": row.V2,
		"v3": row.V3, "v4": row.V4, "v5": row.V5,
	}).Delete(&store.PolicyRule{}).Error
}

// RemoveFilteredPolicy deletes the rows of ptype whose values, from
// fieldIndex on, equal the non-empty fieldValues.
func (a *Adapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	if fieldIndex < 0 || fieldIndex+len(fieldValues) > 6 {
		return errors.New("policy: filter out of range")
	}
	cond := map[string]any{"p_type": ptype}
	for i, v := range fieldValues {
		if v != "" {
			cond[fmt.Sprintf("v%d", fieldIndex+i)] = v
		}
	}
	return a.db.Where(cond).Delete(&store.PolicyRule{}).Error
}

// newRow is rule as a table row; values past V5 are dropped.
func newRow(ptype string, rule []string) store.PolicyRule {
	row := store.PolicyRule{PType: ptype}
	vs := []*string{&row.V0, &row.V1, &row.V2, &row.V3, &row.V4, &row.V5}
	for i, v := range rule {
		if i < len(vs) {
			*vs[i] = v
		}
	}
	return row
}

// rowValues returns the row's values without the trailing empty ones.
func rowValues(row store.PolicyRule) []string {
	vs := []string{row.V0, row.V1, row.V2, row.V3, row.V4, row.V5}
	for len(vs) > 0 && vs[len(vs)-1] == "" {
		vs = vs[:len(vs)-1]
	}
	return vs
}
