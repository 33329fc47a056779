package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// The monthly publication freezes a month's roll-up, so a published month
// (and the running assessment as of it) never changes afterwards; a read
// of anything not published is served live, fresh to within the queue.

// Publication returns the record of a published month or a not_found error.
func (s *Store) Publication(ctx context.Context, month int) (SupervisionPublication, error) {
	var p SupervisionPublication
	err := s.DB.WithContext(ctx).Where("month = ?", month).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, whistle.Errorf(whistle.ENotFound, "%04d-%02d 月尚未发布", "month %04d-%02d is not published", month/100, month%100)
	}
	if err != nil {
		return p, fmt.Errorf("load publication %d: %w", month, err)
	}
	return p, nil
}

// published returns the record of month and whether it is published.
func (s *Store) published(ctx context.Context, month int) (SupervisionPublication, bool, error) {
	pub, err := s.Publication(ctx, month)
	if whistle.ErrorCode(err) == whistle.ENotFound {
		return pub, false, nil
	}
	return pub, err == nil, err
}

// publishedMonths returns the published months (YYYYMM) in [from, to], in order.
func (s *Store) publishedMonths(ctx context.Context, from, to int) ([]int, error) {
	var months []int
	if err := s.DB.WithContext(ctx).Model(&SupervisionPublication{}).Where("month >= ? AND month <= ?", from, to).
		Order("month").Pluck("month", &months).Error; err != nil {
		return nil, fmt.Errorf("list published months: %w", err)
	}
	return months, nil
}

// fold folds up to budget queued cases into the roll-up before a live read
// (none for budget ≤ 0), without waiting for another process's refresh. A
// failure is logged and the read goes on: a little stale, never wrong by
// more than the queue, which the background refresher keeps short.
func (s *Store) fold(ctx context.Context, budget int) {
	if budget <= 0 {
		return
	}
	if _, err := s.RefreshSupervision(ctx, budget, 1000, false); err != nil {
		s.log().WarnContext(ctx, "supervision refresh before read failed", "err", err)
	}
}

// PublishMonth freezes the month's roll-up buckets (YYYYMM) into
// supervision_published with the assessment settings in force, once: a
// month already published is left as it is and published is false. The
// caller refreshes the roll-up first.
func (s *Store) PublishMonth(ctx context.Context, month int, now time.Time) (pub SupervisionPublication, published bool, err error) {
	if month%100 < 1 || month%100 > 12 || month/100 < 2000 || month/100 > 2100 {
		return pub, false, whistle.Errorf(whistle.EInvalid, "月份无效：%d", "invalid month %d", month)
	}
	setting, err := s.AssessmentSettingFor(ctx, month/100)
	if err != nil {
		return pub, false, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing []SupervisionPublication
		if err := tx.Where("month = ?", month).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) > 0 {
			pub = existing[0]
			return nil
		}
		cols := strings.Join(counterColumns, ", ")
		// The per-street month buckets: every view of the month derives from them.
		res := tx.Exec(`INSERT INTO supervision_published (month, department_id, area_id, district_id, `+cols+`)
SELECT ?, department_id, area_id, district_id, `+cols+` FROM supervision_rollup WHERE kind = ? AND start = ?`,
			month, BucketMonth, month*100+1)
		if res.Error != nil {
			return res.Error
		}
		// Upheld appeals on earlier months are corrected here, never in their frozen month.
		if err := applyAdjustments(tx, month); err != nil {
			return err
		}
		pub = SupervisionPublication{Month: month, PublishedAt: now.UTC(), StreetWeight: setting.StreetWeight, DistrictWeight: setting.DistrictWeight,
			PeriodicWeight: setting.PeriodicWeight, MinCases: setting.MinCases, Rows: int(res.RowsAffected)}
		if err := tx.Create(&pub).Error; err != nil {
			return err
		}
		published = true
		return nil
	})
	if err != nil {
		return pub, false, fmt.Errorf("publish month %d: %w", month, err)
	}
	return pub, published, nil
}
