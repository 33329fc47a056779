package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The notification outbox (issue 19): a projection writes the notifications
// of its entries in the same transaction as the entries, and a dispatcher in
// the worker delivers them (activities.OutboxDispatcher). A notification is
// written once per (case, seq, recipient), so a retried projection adds
// nothing; a dispatcher holds a row under a lease while it delivers it, so
// two workers never deliver the same row at once, and one that dies leaves
// the row to the others when the lease ends.

// Outbox states.
const (
	OutboxPending = "pending" // to deliver at NextTryAt (unless leased)
	OutboxDone    = "done"    // delivered; removed after OutboxKeepDone
	OutboxFailed  = "failed"  // given up; kept OutboxKeepFailed for a look
)

// How long finished rows stay in the outbox.
const (
	OutboxKeepDone   = 24 * time.Hour
	OutboxKeepFailed = 30 * 24 * time.Hour
)

// OutboxItem is a notification as a projection hands it to the outbox.
type OutboxItem struct {
	CaseID string
	Seq    int64
	// Recipient tells apart the notifications of one entry ("department:ID",
	// "org_unit:ID"); with CaseID and Seq it is the row's key.
	Recipient string
	// Payload is the notification as JSON (workflows.Notification: the
	// store does not know its shape).
	Payload string
	// CreatedAt is when it was written (default: now); it is due at once
	// and its hour of retries counts from here.
	CreatedAt time.Time
}

// OutboxRow is one notification in the outbox.
type OutboxRow struct {
	ID        uint64    `gorm:"primaryKey;autoIncrement"`
	CaseID    string    `gorm:"size:40;not null;uniqueIndex:idx_outbox_key,priority:1"`
	Seq       int64     `gorm:"not null;uniqueIndex:idx_outbox_key,priority:2"`
	Recipient string    `gorm:"size:64;not null;default:'';uniqueIndex:idx_outbox_key,priority:3"`
	Payload   string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
	// Attempts counts the tries begun (a claim is one, even if its
	// worker dies before it records the outcome).
	Attempts int    `gorm:"not null;default:0"`
	State    string `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
	// NextTryAt is when a pending row is due; for a finished row, when it
	// finished (so one index serves the pick and the clean-up).
	NextTryAt time.Time `gorm:"not null;index:idx_outbox_due,priority:2"`
	// LeaseUntil is set while a dispatcher delivers the row; it also
	// identifies that claim, so a worker whose lease ran out cannot
	// record over the next one's.
	LeaseUntil *time.Time
	LastError  string `gorm:"size:500;not null;default:''"`
}

// TableName is notification_outbox.
func (OutboxRow) TableName() string { return "notification_outbox" }

// outboxTime is t as the databases keep it (PostgreSQL: microseconds, UTC),
// so a lease read back compares equal to the one written.
func outboxTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// writeOutbox adds items in tx; one already there (a retried projection,
// or a row delivered since) is left as it is.
func writeOutbox(tx *gorm.DB, items []OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	now := outboxTime(time.Now())
	rows := make([]OutboxRow, len(items))
	for i, it := range items {
		at := now
		if !it.CreatedAt.IsZero() {
			at = outboxTime(it.CreatedAt)
		}
		rows[i] = OutboxRow{CaseID: it.CaseID, Seq: it.Seq, Recipient: it.Recipient, Payload: it.Payload, CreatedAt: at, State: OutboxPending, NextTryAt: at}
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200).Error; err != nil {
		return fmt.Errorf("write notification outbox: %w", err)
	}
	return nil
}

// ClaimOutbox leases up to limit pending rows due at now (oldest due
// first) until now+lease, counts a try on each and returns them. Callers in
// other processes get other rows: PostgreSQL skips the rows another claim
// holds locked, SQLite has one writer at a time.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxRow, error) {
	now = outboxTime(now)
	until := outboxTime(now.Add(lease))
	var rows []OutboxRow
	var err error
	if s.dialect == "postgres" {
		err = s.DB.WithContext(ctx).Raw(`WITH picked AS (
	SELECT id FROM notification_outbox
	WHERE state = ? AND next_try_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
	ORDER BY next_try_at LIMIT ? FOR UPDATE SKIP LOCKED)
UPDATE notification_outbox o SET lease_until = ?, attempts = o.attempts + 1
FROM picked WHERE o.id = picked.id RETURNING o.*`, OutboxPending, now, now, limit, until).Scan(&rows).Error
	} else {
		// One statement: SQLite's single writer makes it the claim.
		err = s.DB.WithContext(ctx).Raw(`UPDATE notification_outbox SET lease_until = ?, attempts = attempts + 1
WHERE id IN (SELECT id FROM notification_outbox
	WHERE state = ? AND next_try_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
	ORDER BY next_try_at LIMIT ?)
RETURNING *`, until, OutboxPending, now, now, limit).Scan(&rows).Error
	}
	if err != nil {
		return nil, fmt.Errorf("claim notification outbox: %w", err)
	}
	return rows, nil
}

// MarkOutboxDone records that r was delivered at now. It reports false
// when the row was no longer pending (finished by another worker).
func (s *Store) MarkOutboxDone(ctx context.Context, r OutboxRow, now time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&OutboxRow{}).Where("id = ? AND state = ?", r.ID, OutboxPending).
		Updates(map[string]any{"state": OutboxDone, "next_try_at": outboxTime(now), "lease_until": nil, "last_error": ""})
	if res.Error != nil {
		return false, fmt.Errorf("mark outbox row %d (%s-%d) done: %w", r.ID, r.CaseID, r.Seq, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// MarkOutboxRetry records r's failed try (tryErr) and makes it due again
// at next. It reports false when r's claim is no longer the row's (its
// lease ran out and another worker took it): that worker records instead.
func (s *Store) MarkOutboxRetry(ctx context.Context, r OutboxRow, next time.Time, tryErr error) (bool, error) {
	return s.finishTry(ctx, r, map[string]any{"next_try_at": outboxTime(next), "lease_until": nil, "last_error": errText(tryErr)}, "retry")
}

// MarkOutboxFailed gives r up at now after its failed try (tryErr), with
// MarkOutboxRetry's report.
func (s *Store) MarkOutboxFailed(ctx context.Context, r OutboxRow, now time.Time, tryErr error) (bool, error) {
	return s.finishTry(ctx, r, map[string]any{"state": OutboxFailed, "next_try_at": outboxTime(now), "lease_until": nil, "last_error": errText(tryErr)}, "failed")
}

func (s *Store) finishTry(ctx context.Context, r OutboxRow, set map[string]any, what string) (bool, error) {
	if r.LeaseUntil == nil {
		return false, fmt.Errorf("mark outbox row %d (%s-%d) %s: the row was not claimed", r.ID, r.CaseID, r.Seq, what)
	}
	res := s.DB.WithContext(ctx).Model(&OutboxRow{}).Where("id = ? AND state = ? AND lease_until = ?", r.ID, OutboxPending, outboxTime(*r.LeaseUntil)).Updates(set)
	if res.Error != nil {
		return false, fmt.Errorf("mark outbox row %d (%s-%d) %s: %w", r.ID, r.CaseID, r.Seq, what, res.Error)
	}
	return res.RowsAffected == 1, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return clipRunes(err.Error(), 500)
}

// CleanOutbox removes the rows delivered more than OutboxKeepDone before
// now and those given up more than OutboxKeepFailed before, and returns how
// many went.
func (s *Store) CleanOutbox(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for state, keep := range map[string]time.Duration{OutboxDone: OutboxKeepDone, OutboxFailed: OutboxKeepFailed} {
		res := s.DB.WithContext(ctx).Where("state = ? AND next_try_at < ?", state, outboxTime(now.Add(-keep))).Delete(&OutboxRow{})
		if res.Error != nil {
			return n, fmt.Errorf("clean %s notification outbox rows: %w", state, res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}

// OutboxBacklog counts the rows not yet delivered nor given up.
func (s *Store) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&OutboxRow{}).Where("state = ?", OutboxPending).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count notification outbox backlog: %w", err)
	}
	return n, nil
}

// OutboxOf lists the outbox rows of a case by seq and recipient.
func (s *Store) OutboxOf(ctx context.Context, caseID string) ([]OutboxRow, error) {
	var rows []OutboxRow
	if err := s.DB.WithContext(ctx).Where("case_id = ?", caseID).Order("seq, recipient").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list notification outbox of case %s: %w", caseID, err)
	}
	return rows, nil
}
