package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// Notifications that reach people (issue 14): every notification is kept
// once per recipient (a command level's org unit or a department) for the
// in-app list, read per user; each outside channel configured for the
// recipient gets one delivery row per notification, sent at least once.

// Recipient kinds of a notification and owner kinds of a channel.
const (
	RecipientOrgUnit    = "org_unit"
	RecipientDepartment = "department"
)

// Notification is one notification to one recipient, deduplicated on
// (case, seq, recipient): a retried activity stores it once.
type Notification struct {
	ID            uint64    `gorm:"primaryKey;autoIncrement"`
	CaseID        string    `gorm:"size:40;not null;uniqueIndex:idx_notifications_event,priority:1"`
	Seq           int64     `gorm:"not null;uniqueIndex:idx_notifications_event,priority:2"`
	RecipientKind string    `gorm:"size:16;not null;uniqueIndex:idx_notifications_event,priority:3;index:idx_notifications_recipient,priority:1"`
	RecipientID   string    `gorm:"size:40;not null;uniqueIndex:idx_notifications_event,priority:4;index:idx_notifications_recipient,priority:2"`
	At            time.Time `gorm:"not null;index:idx_notifications_recipient,priority:3"`
	Event         string    `gorm:"size:40;not null"`
	Number        string    `gorm:"size:20;not null;default:''"`
	Title         string    `gorm:"size:200;not null;default:''"`
	Class         string    `gorm:"size:16;not null;default:''"`
	Level         string    `gorm:"size:16;not null;default:''"`
	OrgPath       string    `gorm:"size:255;not null;default:''"`
	TaskID        string    `gorm:"size:48;not null;default:''"`
	Message       string    `gorm:"type:text"`
	Deadline      *time.Time
	CreatedAt     time.Time
}

// TableName is notifications.
func (Notification) TableName() string { return "notifications" }

// NotificationRead records that a user read a notification.
type NotificationRead struct {
	NotificationID uint64    `gorm:"primaryKey;autoIncrement:false"`
	UserID         string    `gorm:"primaryKey;size:40"`
	ReadAt         time.Time `gorm:"not null"`
}

// TableName is notification_reads.
func (NotificationRead) TableName() string { return "notification_reads" }

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // planned; being tried (NextAttemptAt is its lease)
	DeliverySent      = "sent"      // the channel acknowledged it
	DeliveryFailed    = "failed"    // the last try failed; tried again at NextAttemptAt
	DeliveryAbandoned = "abandoned" // given up after MaxDeliveryAttempts, or its channel is gone
)

// MaxDeliveryAttempts is how often a delivery is tried before it is
// abandoned (with the backoff, about a day).
const MaxDeliveryAttempts = 12

// Delivery is one notification through one channel (to one target: the
// channel's own recipients when Target is empty, or the phone of the
// person on duty), deduplicated on (notification, channel, target).
type Delivery struct {
	ID             uint64     `gorm:"primaryKey;autoIncrement"`
	NotificationID uint64     `gorm:"not null;uniqueIndex:idx_deliveries_once,priority:1"`
	ChannelID      uint64     `gorm:"not null;uniqueIndex:idx_deliveries_once,priority:2;index"`
	ChannelKind    string     `gorm:"size:16;not null"`
	Target         string     `gorm:"size:40;not null;default:'';uniqueIndex:idx_deliveries_once,priority:3"`
	Status         string     `gorm:"size:16;not null;index:idx_deliveries_due,priority:1"`
	Attempts       int        `gorm:"not null;default:0"`
	LastError      string     `gorm:"size:255;not null;default:''"`
	NextAttemptAt  *time.Time `gorm:"index:idx_deliveries_due,priority:2"`
	SentAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName is notification_deliveries.
func (Delivery) TableName() string { return "notification_deliveries" }

// NotificationKey is what identifies a notification's recipient.
type NotificationKey struct {
	CaseID        string
	Seq           int64
	RecipientKind string
	RecipientID   string
}

// RecordNotification stores n once per (case, seq, recipient) and returns
// the stored row; created is false when it was already there (a retry).
func (s *Store) RecordNotification(ctx context.Context, n Notification) (Notification, bool, error) {
	n.At = n.At.UTC()
	if n.Deadline != nil {
		d := n.Deadline.UTC()
		n.Deadline = &d
	}
	n.Title = clipRunes(n.Title, 200)
	res := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
	if res.Error != nil {
		return n, false, fmt.Errorf("store notification %s-%d to %s %s: %w", n.CaseID, n.Seq, n.RecipientKind, n.RecipientID, res.Error)
	}
	if res.RowsAffected == 1 && n.ID != 0 {
		return n, true, nil
	}
	var got Notification
	err := s.DB.WithContext(ctx).Where("case_id = ? AND seq = ? AND recipient_kind = ? AND recipient_id = ?", n.CaseID, n.Seq, n.RecipientKind, n.RecipientID).
		Take(&got).Error
	if err != nil {
		return got, false, fmt.Errorf("load notification %s-%d to %s %s: %w", n.CaseID, n.Seq, n.RecipientKind, n.RecipientID, err)
	}
	return got, false, nil
}

// Inbox is whose notifications a user reads: their command level's org
// unit (commanders and secretaries), their department (clerks), or none.
type Inbox struct {
	UserID       string
	OrgUnitID    string
	DepartmentID string
}

// empty reports whether the inbox receives nothing.
func (in Inbox) empty() bool { return in.OrgUnitID == "" && in.DepartmentID == "" }

func (in Inbox) scope(q *gorm.DB) *gorm.DB {
	switch {
	case in.OrgUnitID != "" && in.DepartmentID != "":
		return q.Where("((n.recipient_kind = ? AND n.recipient_id = ?) OR (n.recipient_kind = ? AND n.recipient_id = ?))",
			RecipientOrgUnit, in.OrgUnitID, RecipientDepartment, in.DepartmentID)
	case in.OrgUnitID != "":
		return q.Where("n.recipient_kind = ? AND n.recipient_id = ?", RecipientOrgUnit, in.OrgUnitID)
	default:
		return q.Where("n.recipient_kind = ? AND n.recipient_id = ?", RecipientDepartment, in.DepartmentID)
	}
}

// InboxNotification is a notification with the reader's read time.
type InboxNotification struct {
	Notification
	ReadAt *time.Time
}

// NotificationPage is a page of a user's notifications.
type NotificationPage struct {
	Items  []InboxNotification
	Total  int64
	Unread int64
}

// NotificationsFor returns page p of in's notifications, unread first,
// newest first within each, with the total and unread counts. With
// unreadOnly only the unread are listed.
func (s *Store) NotificationsFor(ctx context.Context, in Inbox, unreadOnly bool, p Page) (NotificationPage, error) {
	p = p.Normalize()
	out := NotificationPage{Items: []InboxNotification{}}
	if in.empty() {
		return out, nil
	}
	base := func() *gorm.DB {
		q := s.DB.WithContext(ctx).Table("notifications AS n").
			Joins("LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?", in.UserID)
		return in.scope(q)
	}
	if err := base().Count(&out.Total).Error; err != nil {
		return out, fmt.Errorf("count notifications: %w", err)
	}
	if err := base().Where("r.read_at IS NULL").Count(&out.Unread).Error; err != nil {
		return out, fmt.Errorf("count unread notifications: %w", err)
	}
	q := base()
	if unreadOnly {
		q = q.Where("r.read_at IS NULL")
		out.Total = out.Unread
	}
	var rows []struct {
		Notification `gorm:"embedded"`
		ReadAt       *time.Time
	}
	err := q.Select("n.*, r.read_at AS read_at").
		Order("CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END").Order("n.at DESC").Order("n.id DESC").
		Limit(p.PageSize).Offset(p.offset()).Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("list notifications: %w", err)
	}
	for _, r := range rows {
		if r.ReadAt != nil {
			t := r.ReadAt.UTC()
			r.ReadAt = &t
		}
		out.Items = append(out.Items, InboxNotification{Notification: r.Notification, ReadAt: r.ReadAt})
	}
	return out, nil
}

// NotificationFor returns notification id if it is in in's inbox, and
// not_found otherwise: a user cannot tell another's notification from a
// missing one.
func (s *Store) NotificationFor(ctx context.Context, in Inbox, id string) (InboxNotification, error) {
	var out InboxNotification
	nid, err := strconv.ParseUint(id, 10, 64)
	if err != nil || in.empty() {
		return out, notFoundAs("通知", "notification", id)
	}
	var rows []struct {
		Notification `gorm:"embedded"`
		ReadAt       *time.Time
	}
	q := s.DB.WithContext(ctx).Table("notifications AS n").
		Joins("LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?", in.UserID).
		Where("n.id = ?", nid)
	if err := in.scope(q).Select("n.*, r.read_at AS read_at").Limit(1).Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("load notification %s: %w", id, err)
	}
	if len(rows) == 0 {
		return out, notFoundAs("通知", "notification", id)
	}
	return InboxNotification{Notification: rows[0].Notification, ReadAt: rows[0].ReadAt}, nil
}

// MarkNotificationRead marks notification id read for in's user, once
// (the first read time stays). It answers not_found for a notification
// not in in's inbox.
func (s *Store) MarkNotificationRead(ctx context.Context, in Inbox, id string, at time.Time) (InboxNotification, error) {
	n, err := s.NotificationFor(ctx, in, id)
	if err != nil {
		return n, err
	}
	r := NotificationRead{NotificationID: n.ID, UserID: in.UserID, ReadAt: at.UTC()}
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return n, fmt.Errorf("mark notification %s read: %w", id, err)
	}
	return s.NotificationFor(ctx, in, id)
}

// MarkAllNotificationsRead marks every unread notification of in read for
// its user and returns how many it marked.
func (s *Store) MarkAllNotificationsRead(ctx context.Context, in Inbox, at time.Time) (int64, error) {
	if in.empty() {
		return 0, nil
	}
	sub := in.scope(s.DB.Table("notifications AS n").Select("n.id, ?, ?", in.UserID, at.UTC()).
		Where("NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = ?)", in.UserID))
	res := s.DB.WithContext(ctx).Exec("INSERT INTO notification_reads (notification_id, user_id, read_at) ?", sub)
	if res.Error != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// PlanDelivery records that d is due (status pending, its lease until
// d.NextAttemptAt) once per (notification, channel, target); created is
// false when it was planned before, and the stored row is returned.
func (s *Store) PlanDelivery(ctx context.Context, d Delivery) (Delivery, bool, error) {
	d.Status = DeliveryPending
	res := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&d)
	if res.Error != nil {
		return d, false, fmt.Errorf("plan delivery of notification %d through channel %d: %w", d.NotificationID, d.ChannelID, res.Error)
	}
	if res.RowsAffected == 1 && d.ID != 0 {
		return d, true, nil
	}
	var got Delivery
	err := s.DB.WithContext(ctx).Where("notification_id = ? AND channel_id = ? AND target = ?", d.NotificationID, d.ChannelID, d.Target).Take(&got).Error
	if err != nil {
		return got, false, fmt.Errorf("load delivery of notification %d through channel %d: %w", d.NotificationID, d.ChannelID, err)
	}
	return got, false, nil
}

// RecordDelivery records the outcome of one try of delivery id: sent when
// sendErr is nil; else failed with the reason, tried again at next, or
// abandoned after MaxDeliveryAttempts. It returns the row as stored.
func (s *Store) RecordDelivery(ctx context.Context, id uint64, sendErr error, now, next time.Time) (Delivery, error) {
	var d Delivery
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&d, id).Error; err != nil {
			return err
		}
		if d.Status == DeliverySent {
			return nil // a slower twin of this try already succeeded
		}
		d.Attempts++
		now := now.UTC()
		if sendErr == nil {
			d.Status, d.SentAt, d.NextAttemptAt, d.LastError = DeliverySent, &now, nil, ""
		} else {
			d.LastError = clipRunes(sendErr.Error(), 255)
			n := next.UTC()
			d.Status, d.NextAttemptAt = DeliveryFailed, &n
			if d.Attempts >= MaxDeliveryAttempts {
				d.Status, d.NextAttemptAt = DeliveryAbandoned, nil
			}
		}
		return tx.Save(&d).Error
	})
	if err != nil {
		return d, fmt.Errorf("record delivery %d: %w", id, err)
	}
	return d, nil
}

// AbandonDelivery gives delivery id up with reason (its channel is gone or
// cannot be read).
func (s *Store) AbandonDelivery(ctx context.Context, id uint64, reason string) error {
	err := s.DB.WithContext(ctx).Model(&Delivery{}).Where("id = ? AND status <> ?", id, DeliverySent).
		Updates(map[string]any{"status": DeliveryAbandoned, "next_attempt_at": nil, "last_error": clipRunes(reason, 255)}).Error
	if err != nil {
		return fmt.Errorf("abandon delivery %d: %w", id, err)
	}
	return nil
}

// ClaimDueDeliveries returns up to limit deliveries not sent whose next
// attempt is due at now, each claimed by moving its next attempt to
// now+lease, so two sweepers never try the same delivery at once and a
// sweeper that dies leaves it to the next after the lease.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	var due []Delivery
	err := s.DB.WithContext(ctx).Where("status IN ? AND next_attempt_at <= ?", []string{DeliveryPending, DeliveryFailed}, now.UTC()).
		Order("next_attempt_at").Limit(limit).Find(&due).Error
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	until := now.Add(lease).UTC()
	claimed := due[:0]
	for _, d := range due {
		res := s.DB.WithContext(ctx).Model(&Delivery{}).Where("id = ? AND next_attempt_at <= ? AND status IN ?", d.ID, now.UTC(), []string{DeliveryPending, DeliveryFailed}).
			Update("next_attempt_at", until)
		if res.Error != nil {
			return nil, fmt.Errorf("claim delivery %d: %w", d.ID, res.Error)
		}
		if res.RowsAffected == 1 {
			d.NextAttemptAt = &until
			claimed = append(claimed, d)
		}
	}
	return claimed, nil
}

// DeliveriesOf lists notification id's deliveries, oldest first.
func (s *Store) DeliveriesOf(ctx context.Context, notificationID uint64) ([]Delivery, error) {
	var out []Delivery
	if err := s.DB.WithContext(ctx).Where("notification_id = ?", notificationID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list deliveries of notification %d: %w", notificationID, err)
	}
	return out, nil
}

// NotificationByID returns notification id, whoever it is for (the
// sweeper and admins).
func (s *Store) NotificationByID(ctx context.Context, id uint64) (Notification, error) {
	var n Notification
	err := s.DB.WithContext(ctx).Take(&n, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return n, notFoundAs("通知", "notification", strconv.FormatUint(id, 10))
	}
	if err != nil {
		return n, fmt.Errorf("load notification %d: %w", id, err)
	}
	return n, nil
}

// NotificationByKey is NotificationByID for an id from a URL: one that is
// not a number is not found.
func (s *Store) NotificationByKey(ctx context.Context, id string) (Notification, error) {
	nid, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return Notification{}, notFoundAs("通知", "notification", id)
	}
	return s.NotificationByID(ctx, nid)
}

// clipRunes keeps the first n runes of s.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// notFoundAs is NotFound for the rows whatZH does not name.
func notFoundAs(zh, en, key string) error {
	return &whistle.Error{Code: whistle.ENotFound, Message: zh + "不存在：" + key, MessageEN: en + " not found: " + key}
}

// invalidf is an invalid-input error of the store's checks.
func invalidf(zh, en string, args ...any) error {
	return whistle.Errorf(whistle.EInvalid, zh, en, args...)
}
