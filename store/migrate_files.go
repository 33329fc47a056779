package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Issue 15: uploaded files, their references from cases and the daily quota.
// The structs are this migration's snapshots.

func migrateFiles(tx *gorm.DB) error {
	type file struct {
		ID              string `gorm:"primaryKey;size:40"`
		UploaderID      string `gorm:"size:40;not null;index:idx_files_uploader,priority:1"`
		UploaderOrgPath string `gorm:"size:255;not null;default:''"`
		ContentType     string `gorm:"size:32;not null"`
		Size            int64  `gorm:"not null"`
		SHA256          string `gorm:"column:sha256;size:64;not null"`
		Width           int    `gorm:"not null;default:0"`
		Height          int    `gorm:"not null;default:0"`
		TakenAt         *time.Time
		Lat             *float64
		Lon             *float64
		Orientation     int        `gorm:"not null;default:1"`
		ObjectKey       string     `gorm:"size:255;not null"`
		ThumbnailKey    string     `gorm:"size:255;not null"`
		CreatedAt       time.Time  `gorm:"not null;index:idx_files_uploader,priority:2;index:idx_files_unreferenced,priority:2"`
		ReferencedAt    *time.Time `gorm:"index:idx_files_unreferenced,priority:1"`
	}
	type caseFile struct {
		CaseID string    `gorm:"primaryKey;size:40"`
		FileID string    `gorm:"primaryKey;size:40;index:idx_case_files_file"`
		Role   string    `gorm:"primaryKey;size:16"`
		Pos    int       `gorm:"not null;default:0"`
		At     time.Time `gorm:"not null"`
	}
	for name, model := range map[string]any{"files": &file{}, "case_files": &caseFile{}} {
		if err := tx.Table(name).AutoMigrate(model); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}

func rollbackFiles(tx *gorm.DB) error {
	for _, t := range []string{"case_files", "files"} {
		if err := tx.Migrator().DropTable(t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}
