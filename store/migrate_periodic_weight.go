package store

import (
	"fmt"

	"gorm.io/gorm"
)

// Migration 202612041001_periodic_weight: the periodic evaluations' part
// of the share score (定期评议) becomes a yearly setting, and a published
// month keeps the one it was computed with. The structs are this
// migration's snapshots; a fresh database already has the columns from the
// models the supervision migration auto-migrates, and they are skipped.
// Existing rows get 0, read as DefaultPeriodicWeight: the constant every
// earlier assessment and publication used, so nothing published changes.

type periodicWeightSetting struct {
	PeriodicWeight float64 `gorm:"not null;default:0"`
}

func (periodicWeightSetting) TableName() string { return "assessment_settings" }

type periodicWeightPublication struct {
	PeriodicWeight float64 `gorm:"not null;default:0"`
}

func (periodicWeightPublication) TableName() string { return "supervision_publications" }

// periodicWeightTables are the snapshots that get the column.
var periodicWeightTables = []interface{ TableName() string }{&periodicWeightSetting{}, &periodicWeightPublication{}}

func migratePeriodicWeight(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, t := range periodicWeightTables {
		if m.HasColumn(t, "PeriodicWeight") {
			continue
		}
		if err := m.AddColumn(t, "PeriodicWeight"); err != nil {
			return fmt.Errorf("add %s.periodic_weight: %w", t.TableName(), err)
		}
	}
	return nil
}

func rollbackPeriodicWeight(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, t := range periodicWeightTables {
		if !m.HasColumn(t, "PeriodicWeight") {
			continue
		}
		if err := m.DropColumn(t, "PeriodicWeight"); err != nil {
			return fmt.Errorf("drop %s.periodic_weight: %w", t.TableName(), err)
		}
	}
	return nil
}
