package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration 202612021301_twoway: the four levels both ways and the
// exceptions of a joint case (issue 13). Each table's new columns are this
// migration's own snapshot, so a later change of a model does not change
// what it does; a fresh database already has them from the initial
// migration's models, and they are skipped.

// twowaySLAColumns is sla_policies as this migration leaves it.
type twowaySLAColumns struct {
	MaxExtensions    int `gorm:"not null;default:0"`
	MaxExtensionDays int `gorm:"not null;default:0"`
}

func (twowaySLAColumns) TableName() string { return "sla_policies" }

// twowayCaseColumns: dispatches and the unresolvable application.
type twowayCaseColumns struct {
	DispatchesJSON     string `gorm:"type:text"`
	UnresolvableJSON   string `gorm:"type:text"`
	UnresolvableStatus string `gorm:"size:16;not null;default:'';index"`
	UnresolvableAt     *time.Time
}

func (twowayCaseColumns) TableName() string { return "cases" }

// twowayTaskColumns: lead, reviewed returns, drops and extension limits.
type twowayTaskColumns struct {
	Lead           bool   `gorm:"not null;default:false"`
	ReturnFrom     string `gorm:"size:16;not null;default:''"`
	ReturnAnswer   string `gorm:"type:text"`
	DroppedAt      *time.Time
	DropReason     string `gorm:"type:text"`
	ExtensionLimit int    `gorm:"not null;default:0"`
	ExtensionCap   *time.Time
}

func (twowayTaskColumns) TableName() string { return "tasks" }

// twowayEscalationColumns: the answer of the level above.
type twowayEscalationColumns struct {
	ToOrgPath      string `gorm:"size:255;not null;default:''"`
	Status         string `gorm:"size:16;not null;default:''"`
	AnswerDeadline *time.Time
	AnswerBreached bool `gorm:"not null;default:false"`
	AnsweredAt     *time.Time
	AnsweredBy     string `gorm:"size:64;not null;default:''"`
	Comment        string `gorm:"type:text"`
}

func (twowayEscalationColumns) TableName() string { return "escalations" }

// twowayColumns are the columns added, table by table.
var twowayColumns = []struct {
	model any
	table string
	cols  []string
}{
	{&twowaySLAColumns{}, "sla_policies", []string{"MaxExtensions", "MaxExtensionDays"}},
	{&twowayCaseColumns{}, "cases", []string{"DispatchesJSON", "UnresolvableJSON", "UnresolvableStatus", "UnresolvableAt"}},
	{&twowayTaskColumns{}, "tasks", []string{"Lead", "ReturnFrom", "ReturnAnswer", "DroppedAt", "DropReason", "ExtensionLimit", "ExtensionCap"}},
	{&twowayEscalationColumns{}, "escalations", []string{"ToOrgPath", "Status", "AnswerDeadline", "AnswerBreached", "AnsweredAt", "AnsweredBy", "Comment"}},
}

func migrateTwoway(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, t := range twowayColumns {
		for _, col := range t.cols {
			if m.HasColumn(t.model, col) {
				continue
			}
			if err := m.AddColumn(t.model, col); err != nil {
				return fmt.Errorf("add %s.%s: %w", t.table, col, err)
			}
		}
	}
	// The 挂账 list reads cases by application status (the same index the
	// initial migration's model gives a fresh database).
	if !m.HasIndex(&twowayCaseColumns{}, "UnresolvableStatus") {
		if err := m.CreateIndex(&twowayCaseColumns{}, "UnresolvableStatus"); err != nil {
			return fmt.Errorf("index cases.unresolvable_status: %w", err)
		}
	}
	return nil
}

func rollbackTwoway(tx *gorm.DB) error {
	m := tx.Migrator()
	if m.HasIndex(&twowayCaseColumns{}, "UnresolvableStatus") {
		if err := m.DropIndex(&twowayCaseColumns{}, "UnresolvableStatus"); err != nil {
			return fmt.Errorf("drop index of cases.unresolvable_status: %w", err)
		}
	}
	// ALTER TABLE, not the SQLite driver's DropColumn: that one rebuilds the
	// table and would lose the supervision triggers on cases.
	for _, t := range twowayColumns {
		for _, col := range t.cols {
			name := tx.NamingStrategy.ColumnName(t.table, col)
			if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", t.table, name)).Error; err != nil {
				return fmt.Errorf("drop %s.%s: %w", t.table, name, err)
			}
		}
	}
	return nil
}
