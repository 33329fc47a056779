package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migrations 202612021402_notifications and 202612021403_channels
// (issue 14's channels). The structs are their own snapshots.

func migrateNotifications(tx *gorm.DB) error {
	type notification struct {
		ID            uint64    `gorm:"primaryKey;autoIncrement"`
		CaseID        string    `gorm:"size:40;not null;uniqueIndex:idx_notifications_event,priority:1"`
		Seq           int64     `gorm:"not null;uniqueIndex:idx_notifications_event,priority:2"`
		RecipientKind string    `gorm:"size:16;not null;uniqueIndex:idx_notifications_event,priority:3;index:idx_notifications_recipient,priority:1"`
		RecipientID   string    `gorm:"size:40;not null;uniqueIndex:idx_notifications_event,priority:4;index:idx_notifications_recipient,priority:2"`
		At            time.Time `gorm:"not null;index:idx_notifications_recipient,priority:3"`
		Event         string    `gorm:"size:40;not null"`
		Number        string    `gorm:"size:20;not null;default:''"`
		Title         string    `gorm:"size:200;not null;default:''"`
		Class         string    `gorm:"size:16;not null;default:''"`
		Level         string    `gorm:"size:16;not null;default:''"`
		OrgPath       string    `gorm:"size:255;not null;default:''"`
		TaskID        string    `gorm:"size:48;not null;default:''"`
		Message       string    `gorm:"type:text"`
		Deadline      *time.Time
		CreatedAt     time.Time
	}
	type notificationRead struct {
		NotificationID uint64    `gorm:"primaryKey;autoIncrement:false"`
		UserID         string    `gorm:"primaryKey;size:40"`
		ReadAt         time.Time `gorm:"not null"`
	}
	type delivery struct {
		ID             uint64     `gorm:"primaryKey;autoIncrement"`
		NotificationID uint64     `gorm:"not null;uniqueIndex:idx_deliveries_once,priority:1"`
		ChannelID      uint64     `gorm:"not null;uniqueIndex:idx_deliveries_once,priority:2;index:idx_notification_deliveries_channel_id"`
		ChannelKind    string     `gorm:"size:16;not null"`
		Target         string     `gorm:"size:40;not null;default:'';uniqueIndex:idx_deliveries_once,priority:3"`
		Status         string     `gorm:"size:16;not null;index:idx_deliveries_due,priority:1"`
		Attempts       int        `gorm:"not null;default:0"`
		LastError      string     `gorm:"size:255;not null;default:''"`
		NextAttemptAt  *time.Time `gorm:"index:idx_deliveries_due,priority:2"`
		SentAt         *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time
	}
	for name, model := range map[string]any{"notifications": &notification{}, "notification_reads": &notificationRead{}, "notification_deliveries": &delivery{}} {
		if err := tx.Table(name).AutoMigrate(model); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}

func rollbackNotifications(tx *gorm.DB) error {
	for _, t := range []string{"notification_deliveries", "notification_reads", "notifications"} {
		if err := tx.Migrator().DropTable(t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}

func migrateChannels(tx *gorm.DB) error {
	type channel struct {
		ID            uint64 `gorm:"primaryKey;autoIncrement"`
		OwnerKind     string `gorm:"size:16;not null;index:idx_channels_owner,priority:1"`
		OwnerID       string `gorm:"size:40;not null;index:idx_channels_owner,priority:2"`
		Kind          string `gorm:"size:16;not null"`
		Name          string `gorm:"size:128;not null"`
		Enabled       bool   `gorm:"not null"`
		Events        string `gorm:"size:1000;not null;default:''"`
		Settings      string `gorm:"type:text"`
		SealedSecrets string `gorm:"type:text"`
		Failures      int    `gorm:"not null;default:0"`
		FailuresTotal int    `gorm:"not null;default:0"`
		SentTotal     int    `gorm:"not null;default:0"`
		LastError     string `gorm:"size:255;not null;default:''"`
		LastErrorAt   *time.Time
		LastSuccessAt *time.Time
		UpdatedBy     string `gorm:"size:64;not null;default:''"`
		CreatedAt     time.Time
		UpdatedAt     time.Time
	}
	type dutyShift struct {
		ID           uint64 `gorm:"primaryKey;autoIncrement"`
		DepartmentID string `gorm:"size:40;not null;index:idx_duty_shifts_department_id"`
		Weekday      int    `gorm:"not null;default:-1"`
		Date         string `gorm:"size:10;not null;default:''"`
		FromMinute   int    `gorm:"not null"`
		ToMinute     int    `gorm:"not null"`
		Name         string `gorm:"size:64;not null"`
		Phone        string `gorm:"size:32;not null"`
		CreatedAt    time.Time
	}
	if err := tx.Table("notification_channels").AutoMigrate(&channel{}); err != nil {
		return fmt.Errorf("create notification_channels: %w", err)
	}
	if err := tx.Table("duty_shifts").AutoMigrate(&dutyShift{}); err != nil {
		return fmt.Errorf("create duty_shifts: %w", err)
	}
	return nil
}

func rollbackChannels(tx *gorm.DB) error {
	for _, t := range []string{"duty_shifts", "notification_channels"} {
		if err := tx.Migrator().DropTable(t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}
