package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// SLAPolicyFor returns the policy in force for a class at a level: the
// level's own row if an admin set one, else the class's row for every level.
func (s *Store) SLAPolicyFor(ctx context.Context, class whistle.Class, level whistle.Level) (SLAPolicy, error) {
	var rows []SLAPolicy
	if err := s.DB.WithContext(ctx).Where("class = ? AND level IN ?", string(class), []string{"", string(level)}).Find(&rows).Error; err != nil {
		return SLAPolicy{}, fmt.Errorf("load SLA policy %s/%s: %w", class, level, err)
	}
	var best *SLAPolicy
	for i := range rows {
		if best == nil || rows[i].Level != "" {
			best = &rows[i]
		}
	}
	if best == nil {
		return SLAPolicy{}, &whistle.Error{Code: whistle.ENotFound, Message: "时限策略不存在：" + string(class), MessageEN: "SLA policy not found: " + string(class)}
	}
	return *best, nil
}

// SLAPolicies lists every policy row.
func (s *Store) SLAPolicies(ctx context.Context) ([]SLAPolicy, error) {
	var rows []SLAPolicy
	if err := s.DB.WithContext(ctx).Order("class, level").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list SLA policies: %w", err)
	}
	return rows, nil
}

// Bounds of an SLA policy's extension limits (0 stands for the default).
const (
	MaxMaxExtensions    = 10
	MaxMaxExtensionDays = 60
)

// ExtensionLimits returns how many extensions a task of the policy may
// have and how many working days they may add in total, the defaults
// (whistle.DefaultMaxExtensions, whistle.DefaultMaxExtensionDays) for 0.
func (p SLAPolicy) ExtensionLimits() (count, days int) {
	count, days = p.MaxExtensions, p.MaxExtensionDays
	if count == 0 {
		count = whistle.DefaultMaxExtensions
	}
	if days == 0 {
		days = whistle.DefaultMaxExtensionDays
	}
	return count, days
}

// checkExtensionLimits refuses limits out of bounds: 1–10 extensions, 1–60
// working days (0: the default).
func checkExtensionLimits(p SLAPolicy) error {
	if p.MaxExtensions < 0 || p.MaxExtensions > MaxMaxExtensions {
		return whistle.Errorf(whistle.EInvalid, "延期次数上限 max_extensions 须在 1 到 %d 之间（0 或不填为默认 %d 次）",
			"max_extensions must be between 1 and %d (0 or absent: the default, %d)", MaxMaxExtensions, whistle.DefaultMaxExtensions)
	}
	if p.MaxExtensionDays < 0 || p.MaxExtensionDays > MaxMaxExtensionDays {
		return whistle.Errorf(whistle.EInvalid, "延期累计工作日上限 max_extension_days 须在 1 到 %d 之间（0 或不填为默认 %d 个工作日）",
			"max_extension_days must be between 1 and %d (0 or absent: the default, %d working days)", MaxMaxExtensionDays, whistle.DefaultMaxExtensionDays)
	}
	return nil
}

// WarnThresholds returns the policy's warning thresholds as fractions of a
// clock's span, the defaults (whistle.DefaultWarnYellow,
// whistle.DefaultWarnRed) for 0.
func (p SLAPolicy) WarnThresholds() (yellow, red float64) {
	yellow, red = p.WarnYellow, p.WarnRed
	if yellow == 0 {
		yellow = whistle.DefaultWarnYellow
	}
	if red == 0 {
		red = whistle.DefaultWarnRed
	}
	return yellow, red
}

// checkWarnThresholds refuses thresholds outside 0 < yellow < red < 1,
// the defaults standing in for 0.
func checkWarnThresholds(p SLAPolicy) error {
	yellow, red := p.WarnThresholds()
	if p.WarnYellow < 0 || p.WarnRed < 0 || yellow >= 1 || red >= 1 || yellow >= red {
		return whistle.Errorf(whistle.EInvalid, "预警阈值须满足 0 < warn_yellow < warn_red < 1（0 或不填为默认 %g 和 %g），现为 %g 和 %g",
			"warning thresholds must satisfy 0 < warn_yellow < warn_red < 1 (0 or absent: the defaults, %g and %g); got %g and %g",
			whistle.DefaultWarnYellow, whistle.DefaultWarnRed, yellow, red)
	}
	return nil
}

// PutSLAPolicy creates or replaces the policy of p.Class at p.Level. It
// applies to departments summoned after it; running clocks keep theirs.
// It returns an invalid error for extension limits out of bounds
// (max_extensions 1–10, max_extension_days 1–60, 0 for the default) and
// for warning thresholds outside 0 < warn_yellow < warn_red < 1.
func (s *Store) PutSLAPolicy(ctx context.Context, p SLAPolicy) (SLAPolicy, error) {
	if err := checkExtensionLimits(p); err != nil {
		return SLAPolicy{}, err
	}
	if err := checkWarnThresholds(p); err != nil {
		return SLAPolicy{}, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur SLAPolicy
		err := tx.Where("class = ? AND level = ?", p.Class, p.Level).Take(&cur).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return tx.Create(&p).Error
		case err != nil:
			return err
		}
		p.ID = cur.ID
		p.CreatedAt = cur.CreatedAt
		return tx.Save(&p).Error
	})
	if err != nil {
		return SLAPolicy{}, fmt.Errorf("save SLA policy %s/%s: %w", p.Class, p.Level, err)
	}
	return p, nil
}

// CalendarDays returns the working calendar's exceptions.
func (s *Store) CalendarDays(ctx context.Context) ([]worktime.Day, error) {
	var rows []CalendarDay
	if err := s.DB.WithContext(ctx).Order("date").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load calendar: %w", err)
	}
	days := make([]worktime.Day, len(rows))
	for i, r := range rows {
		days[i] = worktime.Day{Date: r.Date, Kind: worktime.DayKind(r.Kind), Name: r.Name}
	}
	return days, nil
}

// PutCalendarDays upserts calendar days; the whole set must still make a
// valid calendar.
func (s *Store) PutCalendarDays(ctx context.Context, days []worktime.Day) error {
	if _, err := worktime.NewCalendar(days); err != nil {
		return whistle.Errorf(whistle.EInvalid, "日历无效：%v", "invalid calendar: %v", err)
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, d := range days {
			row := CalendarDay{Date: d.Date, Kind: string(d.Kind), Name: d.Name}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "date"}}, DoUpdates: clause.AssignmentColumns([]string{"kind", "name", "updated_at"})}).Create(&row).Error; err != nil {
				return fmt.Errorf("save calendar day %s: %w", d.Date, err)
			}
		}
		return nil
	})
}

// DeleteCalendarDay removes an exception, making the date an ordinary day.
func (s *Store) DeleteCalendarDay(ctx context.Context, date string) error {
	res := s.DB.WithContext(ctx).Where("date = ?", date).Delete(&CalendarDay{})
	if res.Error != nil {
		return fmt.Errorf("delete calendar day %s: %w", date, res.Error)
	}
	if res.RowsAffected == 0 {
		return &whistle.Error{Code: whistle.ENotFound, Message: "日历中没有该日期：" + date, MessageEN: "no calendar entry for " + date}
	}
	return nil
}

// Catalogue returns the active catalogue items by category and id.
func (s *Store) Catalogue(ctx context.Context) ([]CatalogueItem, error) {
	var rows []CatalogueItem
	if err := s.DB.WithContext(ctx).Where("active = ?", true).Order("category, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list catalogue: %w", err)
	}
	return rows, nil
}

// CatalogueItemByID returns one catalogue item or a not_found error.
func (s *Store) CatalogueItemByID(ctx context.Context, id string) (CatalogueItem, error) {
	var c CatalogueItem
	return c, take(s.DB.WithContext(ctx).Where("id = ?", id), &c, "catalogue item", id)
}
