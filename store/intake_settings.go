package store

import (
	"context"
	"fmt"
)

// IntakeSettings returns every source's acceptance setting that an admin
// has set, by source; a source without a row has
// whistle.DefaultAcceptWithin.
func (s *Store) IntakeSettings(ctx context.Context) ([]IntakeSetting, error) {
	var rows []IntakeSetting
	if err := s.DB.WithContext(ctx).Order("source").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list intake settings: %w", err)
	}
	return rows, nil
}
