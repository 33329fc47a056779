package store

import (
	"context"
	"fmt"
)

// CalendarYear returns the calendar's listed days of one year, by date.
func (s *Store) CalendarYear(ctx context.Context, year int) ([]CalendarDay, error) {
	var rows []CalendarDay
	from, to := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
	if err := s.DB.WithContext(ctx).Where("date >= ? AND date < ?", from, to).Order("date").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load calendar of %d: %w", year, err)
	}
	return rows, nil
}
