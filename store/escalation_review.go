package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// EscalationReview is one level's escalation setting: whether an
// escalation its holder asks for is reviewed by the level's own command
// centre before it goes up (Kunming: "after this level's organisation has
// reviewed it"). A level without a row does not review.
type EscalationReview struct {
	Level     string `gorm:"primaryKey;size:16"`
	Review    bool   `gorm:"not null;default:false"`
	UpdatedBy string `gorm:"size:64"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName keeps the table's name stable.
func (EscalationReview) TableName() string { return "escalation_reviews" }

// EscalationReviewFor returns the level's setting; a level without a row
// has Review false.
func (s *Store) EscalationReviewFor(ctx context.Context, level whistle.Level) (EscalationReview, error) {
	row := EscalationReview{Level: string(level)}
	err := s.DB.WithContext(ctx).Where("level = ?", string(level)).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return EscalationReview{Level: string(level)}, nil
	case err != nil:
		return row, fmt.Errorf("load escalation review of %s: %w", level, err)
	}
	return row, nil
}

// PutEscalationReview creates or replaces a level's setting. It applies to
// escalations asked for after it.
func (s *Store) PutEscalationReview(ctx context.Context, row EscalationReview) (EscalationReview, error) {
	if err := s.DB.WithContext(ctx).Save(&row).Error; err != nil {
		return row, fmt.Errorf("save escalation review of %s: %w", row.Level, err)
	}
	return s.EscalationReviewFor(ctx, whistle.Level(row.Level))
}

// migrateEscalationReview creates escalation_reviews (migration
// 202612021302_escalation_review).
func migrateEscalationReview(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&escalationReviewTable{}); err != nil {
		return fmt.Errorf("create escalation_reviews: %w", err)
	}
	return nil
}

func rollbackEscalationReview(tx *gorm.DB) error {
	if err := tx.Migrator().DropTable(&escalationReviewTable{}); err != nil {
		return fmt.Errorf("drop escalation_reviews: %w", err)
	}
	return nil
}

// escalationReviewTable is escalation_reviews as 202612021302 creates it:
// the migration's own snapshot of EscalationReview.
type escalationReviewTable struct {
	Level     string `gorm:"primaryKey;size:16"`
	Review    bool   `gorm:"not null;default:false"`
	UpdatedBy string `gorm:"size:64"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (escalationReviewTable) TableName() string { return "escalation_reviews" }
