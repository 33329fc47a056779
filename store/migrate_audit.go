package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Issue 16: the audit log of admin changes.
// The structs are this migration's snapshots.

func migrateAudit(tx *gorm.DB) error {
	type adminAudit struct {
		ID        uint64    `gorm:"primaryKey;autoIncrement"`
		At        time.Time `gorm:"not null;index:idx_admin_audit_at"`
		ActorID   string    `gorm:"size:40;not null;default:''"`
		Actor     string    `gorm:"size:64;not null;default:'';index:idx_admin_audit_actor"`
		Action    string    `gorm:"size:32;not null;index:idx_admin_audit_action"`
		Kind      string    `gorm:"size:32;not null;index:idx_admin_audit_kind"`
		ObjectID  string    `gorm:"size:255;not null;default:'';index:idx_admin_audit_object_id"`
		Before    string    `gorm:"type:text"`
		After     string    `gorm:"type:text"`
		RequestID string    `gorm:"size:64;not null;default:''"`
		Address   string    `gorm:"size:64;not null;default:''"`
	}
	if err := tx.Table("admin_audit").AutoMigrate(&adminAudit{}); err != nil {
		return fmt.Errorf("create admin_audit: %w", err)
	}
	return nil
}

func rollbackAudit(tx *gorm.DB) error {
	if err := tx.Migrator().DropTable("admin_audit"); err != nil {
		return fmt.Errorf("drop admin_audit: %w", err)
	}
	return nil
}
