package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration 202612021401_followup: warnings before the breach, urging and
// supervision orders (issue 14). Each table's new columns and the new
// tables are this migration's own snapshot, so a later change of a model
// does not change what it does; a fresh database already has the columns
// from the initial migration's models, and they are skipped.

// followupSLAColumns is sla_policies as this migration leaves it.
type followupSLAColumns struct {
	WarnYellow float64 `gorm:"not null;default:0"`
	WarnRed    float64 `gorm:"not null;default:0"`
}

func (followupSLAColumns) TableName() string { return "sla_policies" }

// followupTaskColumns: the warning level and instants, urges, and the
// extension request's status.
type followupTaskColumns struct {
	Warning         string `gorm:"size:8;not null;default:'';index"`
	WarnAtJSON      string `gorm:"type:text"`
	WarnedReport    int    `gorm:"not null;default:0"`
	WarnedHandle    int    `gorm:"not null;default:0"`
	Urges           int    `gorm:"not null;default:0"`
	LastUrgedAt     *time.Time
	ExtensionStatus string `gorm:"size:16;not null;default:''"`
}

func (followupTaskColumns) TableName() string { return "tasks" }

// followupOrder is supervision_orders as this migration creates it.
type followupOrder struct {
	ID                string    `gorm:"primaryKey;size:56"`
	CaseID            string    `gorm:"size:40;not null;index"`
	Seq               int64     `gorm:"not null"`
	OrgPath           string    `gorm:"size:255;not null;index"`
	Class             string    `gorm:"size:16;not null"`
	Requirement       string    `gorm:"type:text"`
	Due               time.Time `gorm:"not null;index"`
	IssuedAt          time.Time `gorm:"not null"`
	IssuedBy          string    `gorm:"size:64;not null"`
	IssuedByOrgUnitID string    `gorm:"size:32;not null;index"`
	IssuedByOrgPath   string    `gorm:"size:255;not null"`
	Open              bool      `gorm:"not null;index"`
}

func (followupOrder) TableName() string { return "supervision_orders" }

// followupOrderDepartment is supervision_order_departments as this
// migration creates it.
type followupOrderDepartment struct {
	OrderID        string    `gorm:"primaryKey;size:56"`
	DepartmentID   string    `gorm:"primaryKey;size:40;index"`
	Position       int       `gorm:"not null;default:0"`
	CaseID         string    `gorm:"size:40;not null;index"`
	OrgPath        string    `gorm:"size:255;not null;index"`
	Due            time.Time `gorm:"not null;index"`
	DepartmentName string    `gorm:"size:128"`
	Answer         string    `gorm:"type:text"`
	AnsweredAt     *time.Time
	AnsweredBy     string `gorm:"size:64;not null;default:''"`
	Breached       bool   `gorm:"not null;default:false"`
	Late           bool   `gorm:"not null;default:false"`
	BreachID       string `gorm:"size:56;not null;default:''"`
}

func (followupOrderDepartment) TableName() string { return "supervision_order_departments" }

// followupColumns are the columns added, table by table.
var followupColumns = []struct {
	model any
	table string
	cols  []string
}{
	{&followupSLAColumns{}, "sla_policies", []string{"WarnYellow", "WarnRed"}},
	{&followupTaskColumns{}, "tasks", []string{"Warning", "WarnAtJSON", "WarnedReport", "WarnedHandle", "Urges", "LastUrgedAt", "ExtensionStatus"}},
}

// followupTables are the tables created, in the order they are created.
var followupTables = []any{&followupOrder{}, &followupOrderDepartment{}}

func migrateFollowup(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, t := range followupColumns {
		for _, col := range t.cols {
			if m.HasColumn(t.model, col) {
				continue
			}
			if err := m.AddColumn(t.model, col); err != nil {
				return fmt.Errorf("add %s.%s: %w", t.table, col, err)
			}
		}
	}
	// Lists filter and sort tasks by their warning.
	if !m.HasIndex(&followupTaskColumns{}, "Warning") {
		if err := m.CreateIndex(&followupTaskColumns{}, "Warning"); err != nil {
			return fmt.Errorf("index tasks.warning: %w", err)
		}
	}
	for _, t := range followupTables {
		if m.HasTable(t) {
			continue
		}
		if err := m.CreateTable(t); err != nil {
			return fmt.Errorf("create %T: %w", t, err)
		}
	}
	// Extension requests pending before this migration: the holder's
	// to-do list finds them by the new column.
	if err := tx.Exec("UPDATE tasks SET extension_status = 'pending' WHERE extension_status = '' AND extension_json LIKE ?", `%"status":"pending"%`).Error; err != nil {
		return fmt.Errorf("fill tasks.extension_status: %w", err)
	}
	return nil
}

func rollbackFollowup(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.DropTable(&followupOrderDepartment{}, &followupOrder{}); err != nil {
		return fmt.Errorf("drop supervision order tables: %w", err)
	}
	if m.HasIndex(&followupTaskColumns{}, "Warning") {
		if err := m.DropIndex(&followupTaskColumns{}, "Warning"); err != nil {
			return fmt.Errorf("drop index of tasks.warning: %w", err)
		}
	}
	// ALTER TABLE, not the SQLite driver's DropColumn: that one rebuilds the
	// table and would lose the triggers on it.
	for _, t := range followupColumns {
		for _, col := range t.cols {
			name := tx.NamingStrategy.ColumnName(t.table, col)
			if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", t.table, name)).Error; err != nil {
				return fmt.Errorf("drop %s.%s: %w", t.table, name, err)
			}
		}
	}
	return nil
}
