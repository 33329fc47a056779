package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration 202612031004_notification_outbox (issue 19): the notifications
// a projection writes in its own transaction, for the worker's dispatcher.
// The struct is this migration's snapshot.

func migrateOutbox(tx *gorm.DB) error {
	type outboxRow struct {
		ID         uint64    `gorm:"primaryKey;autoIncrement"`
		CaseID     string    `gorm:"size:40;not null;uniqueIndex:idx_outbox_key,priority:1"`
		Seq        int64     `gorm:"not null;uniqueIndex:idx_outbox_key,priority:2"`
		Recipient  string    `gorm:"size:64;not null;default:'';uniqueIndex:idx_outbox_key,priority:3"`
		Payload    string    `gorm:"type:text;not null"`
		CreatedAt  time.Time `gorm:"not null"`
		Attempts   int       `gorm:"not null;default:0"`
		State      string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
		NextTryAt  time.Time `gorm:"not null;index:idx_outbox_due,priority:2"`
		LeaseUntil *time.Time
		LastError  string `gorm:"size:500;not null;default:''"`
	}
	if err := tx.Table("notification_outbox").AutoMigrate(&outboxRow{}); err != nil {
		return fmt.Errorf("create notification_outbox: %w", err)
	}
	return nil
}

func rollbackOutbox(tx *gorm.DB) error {
	if err := tx.Migrator().DropTable("notification_outbox"); err != nil {
		return fmt.Errorf("drop notification_outbox: %w", err)
	}
	return nil
}
