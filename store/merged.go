package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// FiledCaseMergedInto reports whether userID filed a case that was merged
// into survivorID: that filer follows the surviving case (issue 12, 并案:
// "its filer follows the surviving case"), even where the survivor lies
// outside the filer's jurisdiction. Served by idx_cases_merged_into.
func (s *Store) FiledCaseMergedInto(ctx context.Context, userID, survivorID string) (bool, error) {
	if userID == "" || survivorID == "" {
		return false, nil
	}
	var row CaseRow
	err := s.DB.WithContext(ctx).Select("id").
		Where("merged_into = ? AND filed_by_user_id = ?", survivorID, userID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("cases of %s merged into %s: %w", userID, survivorID, err)
	}
	return true, nil
}

// migrateMergedIntoIndex indexes cases.merged_into where set, so
// FiledCaseMergedInto reads a few rows rather than the whole table. Both
// dialects take the partial index; most cases are never merged.
func migrateMergedIntoIndex(tx *gorm.DB) error {
	if err := tx.Exec("CREATE INDEX IF NOT EXISTS idx_cases_merged_into ON cases (merged_into) WHERE merged_into <> ''").Error; err != nil {
		return fmt.Errorf("index cases.merged_into: %w", err)
	}
	return nil
}

func rollbackMergedIntoIndex(tx *gorm.DB) error {
	if err := tx.Exec("DROP INDEX IF EXISTS idx_cases_merged_into").Error; err != nil {
		return fmt.Errorf("drop index cases.merged_into: %w", err)
	}
	return nil
}
