package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/worktime"
)

// ChannelConfig is an outside channel an admin configured for an org unit
// or a department: its kind, public settings (JSON) and sealed secrets,
// and how its deliveries fare.
type ChannelConfig struct {
	ID        uint64 `gorm:"primaryKey;autoIncrement"`
	OwnerKind string `gorm:"size:16;not null;index:idx_channels_owner,priority:1"`
	OwnerID   string `gorm:"size:40;not null;index:idx_channels_owner,priority:2"`
	Kind      string `gorm:"size:16;not null"`
	Name      string `gorm:"size:128;not null"`
	Enabled   bool   `gorm:"not null"`
	// Events is a comma-separated list of the events sent; empty: all.
	Events        string `gorm:"size:1000;not null;default:''"`
	Settings      string `gorm:"type:text"`
	SealedSecrets string `gorm:"type:text"`
	// Failures counts failed tries since the last success; FailuresTotal
	// every failed try.
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

// TableName is notification_channels.
func (ChannelConfig) TableName() string { return "notification_channels" }

// FailingAfter is how many failed tries in a row make a channel failing:
// shown so to admins and counted in shaobao_channels_failing.
const FailingAfter = 3

// Failing reports whether the channel's last FailingAfter tries or more
// failed.
func (c ChannelConfig) Failing() bool { return c.Failures >= FailingAfter }

// Sends reports whether the channel sends event.
func (c ChannelConfig) Sends(event string) bool {
	if c.Events == "" {
		return true
	}
	for _, e := range strings.Split(c.Events, ",") {
		if e == event {
			return true
		}
	}
	return false
}

// checkOwner checks that the channel's or roster's owner exists.
func (s *Store) checkOwner(ctx context.Context, kind, id string) error {
	var n int64
	switch kind {
	case RecipientOrgUnit:
		if err := s.DB.WithContext(ctx).Model(&OrgUnit{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("check org unit %s: %w", id, err)
		}
	case RecipientDepartment:
		if err := s.DB.WithContext(ctx).Model(&Department{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("check department %s: %w", id, err)
		}
	default:
		return invalidf("owner 须为 org_unit 或 department", "the owner must be an org_unit or a department")
	}
	if n == 0 {
		return invalidf("没有这个%s：%s", "no such %s: %s", map[string]string{RecipientOrgUnit: "组织", RecipientDepartment: "部门"}[kind], id)
	}
	return nil
}

// ChannelFilter selects channel configs; empty fields select all.
type ChannelFilter struct {
	OwnerKind, OwnerID string
	// Failing keeps the channels whose last try failed.
	Failing bool
}

// ChannelConfigs lists the channel configs f selects, failing first.
func (s *Store) ChannelConfigs(ctx context.Context, f ChannelFilter) ([]ChannelConfig, error) {
	q := s.DB.WithContext(ctx).Model(&ChannelConfig{})
	if f.OwnerKind != "" {
		q = q.Where("owner_kind = ?", f.OwnerKind)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Failing {
		q = q.Where("failures > 0")
	}
	var out []ChannelConfig
	if err := q.Order("failures DESC").Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return out, nil
}

// ChannelsFor lists the enabled channels of a recipient.
func (s *Store) ChannelsFor(ctx context.Context, kind, id string) ([]ChannelConfig, error) {
	var out []ChannelConfig
	err := s.DB.WithContext(ctx).Where("owner_kind = ? AND owner_id = ? AND enabled", kind, id).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("channels of %s %s: %w", kind, id, err)
	}
	return out, nil
}

// ChannelConfig returns channel id.
func (s *Store) ChannelConfig(ctx context.Context, id string) (ChannelConfig, error) {
	var c ChannelConfig
	cid, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return c, notFoundAs("通知渠道", "channel", id)
	}
	err = s.DB.WithContext(ctx).Take(&c, cid).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, notFoundAs("通知渠道", "channel", id)
	}
	if err != nil {
		return c, fmt.Errorf("load channel %s: %w", id, err)
	}
	return c, nil
}

// CreateChannelConfig stores a new channel for an existing owner.
func (s *Store) CreateChannelConfig(ctx context.Context, c ChannelConfig) (ChannelConfig, error) {
	if err := s.checkOwner(ctx, c.OwnerKind, c.OwnerID); err != nil {
		return c, err
	}
	c.ID = 0
	if err := s.DB.WithContext(ctx).Create(&c).Error; err != nil {
		return c, fmt.Errorf("create channel: %w", err)
	}
	return c, nil
}

// UpdateChannelConfig saves c's editable fields (name, enabled, events,
// settings, secrets). Editing a channel clears its failure count: the
// admin fixed it or will see it fail again.
func (s *Store) UpdateChannelConfig(ctx context.Context, c ChannelConfig) (ChannelConfig, error) {
	err := s.DB.WithContext(ctx).Model(&ChannelConfig{ID: c.ID}).Select("name", "enabled", "events", "settings", "sealed_secrets", "updated_by", "failures", "updated_at").
		Updates(map[string]any{"name": c.Name, "enabled": c.Enabled, "events": c.Events, "settings": c.Settings, "sealed_secrets": c.SealedSecrets,
			"updated_by": c.UpdatedBy, "failures": 0, "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return c, fmt.Errorf("update channel %d: %w", c.ID, err)
	}
	return s.ChannelConfig(ctx, strconv.FormatUint(c.ID, 10))
}

// DeleteChannelConfig removes channel id; its deliveries not sent yet are
// abandoned, the sent ones stay as the record.
func (s *Store) DeleteChannelConfig(ctx context.Context, id string) (ChannelConfig, error) {
	c, err := s.ChannelConfig(ctx, id)
	if err != nil {
		return c, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Delete(&ChannelConfig{}, c.ID).Error; err != nil {
			return err
		}
		return tx.Model(&Delivery{}).Where("channel_id = ? AND status IN ?", c.ID, []string{DeliveryPending, DeliveryFailed}).
			Updates(map[string]any{"status": DeliveryAbandoned, "next_attempt_at": nil, "last_error": "channel deleted"}).Error
	})
	if err != nil {
		return c, fmt.Errorf("delete channel %s: %w", id, err)
	}
	return c, nil
}

// RecordChannelOutcome counts one try through channel id: a success
// clears its failure count, a failure adds to it with the reason.
func (s *Store) RecordChannelOutcome(ctx context.Context, id uint64, sendErr error, at time.Time) error {
	at = at.UTC()
	upd := map[string]any{"failures": 0, "last_success_at": at, "sent_total": gorm.Expr("sent_total + 1")}
	if sendErr != nil {
		upd = map[string]any{"failures": gorm.Expr("failures + 1"), "failures_total": gorm.Expr("failures_total + 1"),
			"last_error": clipRunes(sendErr.Error(), 255), "last_error_at": at}
	}
	if err := s.DB.WithContext(ctx).Model(&ChannelConfig{}).Where("id = ?", id).UpdateColumns(upd).Error; err != nil {
		return fmt.Errorf("record outcome of channel %d: %w", id, err)
	}
	return nil
}

// DutyShift is one line of a department's out-of-hours duty roster: a
// weekly shift (Weekday 0 = Sunday, Date empty) or a shift on one date
// (Date YYYY-MM-DD, China time) that replaces the weekly ones of that
// day. The shift runs from FromMinute to ToMinute after midnight; a
// ToMinute not after FromMinute runs on to the next day.
type DutyShift struct {
	ID           uint64 `gorm:"primaryKey;autoIncrement"`
	DepartmentID string `gorm:"size:40;not null;index"`
	Weekday      int    `gorm:"not null;default:-1"`
	Date         string `gorm:"size:10;not null;default:''"`
	FromMinute   int    `gorm:"not null"`
	ToMinute     int    `gorm:"not null"`
	Name         string `gorm:"size:64;not null"`
	Phone        string `gorm:"size:32;not null"`
	CreatedAt    time.Time
}

// TableName is duty_shifts.
func (DutyShift) TableName() string { return "duty_shifts" }

// DutyRoster lists department id's shifts: weekly by weekday and start,
// then the dated ones by date and start.
func (s *Store) DutyRoster(ctx context.Context, departmentID string) ([]DutyShift, error) {
	var out []DutyShift
	err := s.DB.WithContext(ctx).Where("department_id = ?", departmentID).
		Order("date").Order("weekday").Order("from_minute").Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("duty roster of %s: %w", departmentID, err)
	}
	return out, nil
}

// ReplaceDutyRoster replaces department id's roster with shifts, checked:
// a weekday 0–6 or a date, minutes 0–1440, a name and a phone.
func (s *Store) ReplaceDutyRoster(ctx context.Context, departmentID string, shifts []DutyShift) ([]DutyShift, error) {
	if err := s.checkOwner(ctx, RecipientDepartment, departmentID); err != nil {
		return nil, err
	}
	for i := range shifts {
		sh := &shifts[i]
		sh.ID, sh.DepartmentID = 0, departmentID
		if sh.Date != "" {
			if _, err := time.ParseInLocation(time.DateOnly, sh.Date, worktime.Location); err != nil {
				return nil, invalidf("第 %d 班：日期须为 YYYY-MM-DD", "shift %d: the date must be YYYY-MM-DD", i+1)
			}
			sh.Weekday = -1
		} else if sh.Weekday < 0 || sh.Weekday > 6 {
			return nil, invalidf("第 %d 班：星期须为 0（周日）到 6", "shift %d: weekday must be 0 (Sunday) to 6", i+1)
		}
		if sh.FromMinute < 0 || sh.FromMinute > 1440 || sh.ToMinute < 0 || sh.ToMinute > 1440 {
			return nil, invalidf("第 %d 班：时间须在 00:00 到 24:00 之间", "shift %d: times must be 00:00 to 24:00", i+1)
		}
		if strings.TrimSpace(sh.Name) == "" || strings.TrimSpace(sh.Phone) == "" {
			return nil, invalidf("第 %d 班：须有姓名和电话", "shift %d: name and phone are required", i+1)
		}
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("department_id = ?", departmentID).Delete(&DutyShift{}).Error; err != nil {
			return err
		}
		if len(shifts) == 0 {
			return nil
		}
		return tx.Create(&shifts).Error
	})
	if err != nil {
		return nil, fmt.Errorf("replace duty roster of %s: %w", departmentID, err)
	}
	return s.DutyRoster(ctx, departmentID)
}

// OnDuty returns who is on duty for department id at at, if anyone.
func (s *Store) OnDuty(ctx context.Context, departmentID string, at time.Time) (DutyShift, bool, error) {
	roster, err := s.DutyRoster(ctx, departmentID)
	if err != nil {
		return DutyShift{}, false, err
	}
	sh, ok := OnDutyAt(roster, at)
	return sh, ok, nil
}

// OnDutyAt finds the shift of roster that covers at (China time): a
// shift of the previous day still running past midnight first (who is on
// duty overnight stays on until relieved), then the shifts of at's own
// day. A day with dated shifts uses those instead of its weekly ones.
func OnDutyAt(roster []DutyShift, at time.Time) (DutyShift, bool) {
	t := at.In(worktime.Location)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, worktime.Location)
	for _, back := range []int{1, 0} {
		day := midnight.AddDate(0, 0, -back)
		var shifts []DutyShift
		for _, sh := range roster {
			if sh.Date == day.Format(time.DateOnly) {
				shifts = append(shifts, sh)
			}
		}
		if len(shifts) == 0 {
			for _, sh := range roster {
				if sh.Date == "" && sh.Weekday == int(day.Weekday()) {
					shifts = append(shifts, sh)
				}
			}
		}
		sort.SliceStable(shifts, func(i, j int) bool { return shifts[i].FromMinute < shifts[j].FromMinute })
		for _, sh := range shifts {
			start := day.Add(time.Duration(sh.FromMinute) * time.Minute)
			end := day.Add(time.Duration(sh.ToMinute) * time.Minute)
			if sh.ToMinute <= sh.FromMinute {
				end = end.Add(24 * time.Hour)
			}
			if !t.Before(start) && t.Before(end) {
				return sh, true
			}
		}
	}
	return DutyShift{}, false
}
