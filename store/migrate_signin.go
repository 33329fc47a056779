package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration 202612021501_signin (issue 16's sign-in): passwords and sign-in
// state per user, sessions (hashed), and the sign-in audit. The structs
// are this migration's snapshots.

func migrateSignin(tx *gorm.DB) error {
	type credential struct {
		UserID        string `gorm:"primaryKey;size:40"`
		PasswordHash  string `gorm:"size:255;not null;default:''"`
		MustChange    bool   `gorm:"not null;default:false"`
		Failures      int    `gorm:"not null;default:0"`
		LastFailureAt *time.Time
		LockedAt      *time.Time
		ChangedAt     *time.Time
		UpdatedAt     time.Time
	}
	type session struct {
		ID         string    `gorm:"primaryKey;size:40"`
		UserID     string    `gorm:"size:40;not null;index:idx_sessions_user_id"`
		Hash       string    `gorm:"size:64;not null;uniqueIndex:idx_sessions_hash"`
		CreatedAt  time.Time `gorm:"not null"`
		LastSeenAt time.Time `gorm:"not null"`
		ExpiresAt  time.Time `gorm:"not null;index:idx_sessions_expires_at"`
		Address    string    `gorm:"size:64;not null;default:''"`
		UserAgent  string    `gorm:"size:255;not null;default:''"`
	}
	type authEvent struct {
		ID        uint64    `gorm:"primaryKey;autoIncrement"`
		At        time.Time `gorm:"not null;index:idx_auth_audit_at;index:idx_auth_audit_address,priority:4"`
		Kind      string    `gorm:"size:16;not null;index:idx_auth_audit_kind;index:idx_auth_audit_address,priority:2"`
		Outcome   string    `gorm:"size:16;not null;index:idx_auth_audit_address,priority:3"`
		UserID    string    `gorm:"size:40;not null;default:''"`
		Username  string    `gorm:"size:64;not null;default:'';index:idx_auth_audit_username"`
		Actor     string    `gorm:"size:64;not null;default:''"`
		Address   string    `gorm:"size:64;not null;default:'';index:idx_auth_audit_address,priority:1"`
		UserAgent string    `gorm:"size:255;not null;default:''"`
	}
	for _, t := range []struct {
		name  string
		model any
	}{{"credentials", &credential{}}, {"sessions", &session{}}, {"auth_audit", &authEvent{}}} {
		if err := tx.Table(t.name).AutoMigrate(t.model); err != nil {
			return fmt.Errorf("create %s: %w", t.name, err)
		}
	}
	return nil
}

func rollbackSignin(tx *gorm.DB) error {
	for _, t := range []string{"auth_audit", "sessions", "credentials"} {
		if err := tx.Migrator().DropTable(t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}
