package store

import (
	"context"
	"time"
)

// Hooks for the external tests of the recurring roll-up and the run
// buckets (recurring_rollup_test.go).

// RecurringScan is the recurring view read from the cases alone, the way
// it was read before the roll-up: the reference the roll-up must match.
func (s *Store) RecurringScan(ctx context.Context, q RecurringQuery) (RecurringReport, error) {
	q.FromCases = true
	return s.Recurring(ctx, q)
}

// RecurringCounts returns the roll-up's rows, in key order.
func (s *Store) RecurringCounts(ctx context.Context) ([]RecurringCount, error) {
	var out []RecurringCount
	err := s.DB.WithContext(ctx).Order("area_path, week, category, grid_id, community_id").Find(&out).Error
	return out, err
}

// BackfillRecurringNow rebuilds the recurring roll-up from the cases.
func (s *Store) BackfillRecurringNow(ctx context.Context) error {
	return backfillRecurring(s.DB.WithContext(ctx))
}

// BackfillRunsNow rebuilds the run buckets from the day buckets, as the
// migration does.
func (s *Store) BackfillRunsNow(ctx context.Context) error { return migrateRuns(s.DB.WithContext(ctx)) }

// RunBuckets returns the roll-up's run buckets as "kind start dept area:
// counts", in key order.
func (s *Store) RunBuckets(ctx context.Context) ([]SupervisionRollup, error) {
	var out []SupervisionRollup
	err := s.DB.WithContext(ctx).Where("kind IN ?", []string{"b", "c", "e", "f", "B", "C", "E", "F"}).
		Order("kind, start, department_id, area_id").Find(&out).Error
	return out, err
}

// BucketCover lists the buckets bucketConds reads for [from, to).
func BucketCover(from, to time.Time, fine bool) [][3]any {
	var out [][3]any
	for _, c := range bucketConds(Period{From: from, To: to}, fine) {
		out = append(out, [3]any{c.kind, c.lo, c.hi})
	}
	return out
}
