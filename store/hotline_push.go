package store

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Pushing a ticket's result back to the hotline: the projection pushes
// when the case closes; a push that fails there is left to the sweeper
// (activities.SweepHotlinePushes), which finds it with DueHotlinePushes
// and tries again with backoff (RecordHotlinePushFailure) until
// MarkHotlinePushed records it.

// HotlinePushDue is a ticket whose result is not pushed yet: Seq is the
// timeline seq of the close it reports (of the surviving case, for a
// ticket whose case was merged).
type HotlinePushDue struct {
	Ticket HotlineTicket
	Seq    int64
}

// DueHotlinePushes returns up to limit tickets whose result case (their
// own, or the case theirs was merged into) closed at or before
// closedBefore and whose close is not pushed (pushed_seq below the close's
// seq), once their backoff (next_push_at) has passed at now; the longest
// closed first. closedBefore leaves the projection its own push first.
func (s *Store) DueHotlinePushes(ctx context.Context, now, closedBefore time.Time, limit int) ([]HotlinePushDue, error) {
	type due struct {
		TicketNo string
		CloseSeq int64
	}
	var rows []due
	err := s.DB.WithContext(ctx).Raw(`
SELECT d.ticket_no, d.close_seq FROM (
	SELECT t.ticket_no, t.pushed_seq, r.closed_at,
		(SELECT MAX(e.seq) FROM timeline_entries e WHERE e.case_id = r.id AND e.type = 'closed') AS close_seq
	FROM hotline_tickets t
	JOIN cases c ON c.id = t.case_id
	JOIN cases r ON r.id = CASE WHEN c.outcome = 'merged' AND c.merged_into <> '' THEN c.merged_into ELSE c.id END
	WHERE r.status = 'closed' AND r.outcome <> 'merged' AND r.closed_at <= ?
		AND (t.next_push_at IS NULL OR t.next_push_at <= ?)
) d
WHERE d.close_seq > d.pushed_seq
ORDER BY d.closed_at, d.ticket_no
LIMIT ?`, closedBefore.UTC(), now.UTC(), limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find hotline results to push: %w", err)
	}
	out := make([]HotlinePushDue, 0, len(rows))
	for _, r := range rows {
		t, err := s.HotlineTicket(ctx, r.TicketNo)
		if err != nil {
			return nil, err
		}
		out = append(out, HotlinePushDue{Ticket: t, Seq: r.CloseSeq})
	}
	return out, nil
}

// RecordHotlinePushFailure counts a failed push of the result at seq and
// puts the next attempt off until next. It does nothing once a push at
// seq or later is recorded.
func (s *Store) RecordHotlinePushFailure(ctx context.Context, ticketNo string, seq int64, next time.Time, reason string) error {
	if utf8.RuneCountInString(reason) > 255 {
		reason = string([]rune(reason)[:255])
	}
	err := s.DB.WithContext(ctx).Model(&HotlineTicket{}).Where("ticket_no = ? AND pushed_seq < ?", ticketNo, seq).
		Updates(map[string]any{"push_attempts": gorm.Expr("push_attempts + 1"), "next_push_at": next.UTC(), "last_push_error": reason}).Error
	if err != nil {
		return fmt.Errorf("record failed push of hotline ticket %s: %w", ticketNo, err)
	}
	return nil
}

// migrateHotlinePush creates hotline_deliveries (the webhook's replay
// guard) and adds the push retry columns to hotline_tickets. The structs
// are this migration's own snapshot.
func migrateHotlinePush(tx *gorm.DB) error {
	type hotlineDelivery struct {
		SignatureHash string    `gorm:"primaryKey;size:64"`
		SystemID      string    `gorm:"size:40;not null"`
		ReceivedAt    time.Time `gorm:"not null;index:idx_hotline_deliveries_received_at"`
	}
	type hotlineTicket struct {
		PushAttempts  int `gorm:"not null;default:0"`
		NextPushAt    *time.Time
		LastPushError string `gorm:"size:255;not null;default:''"`
	}
	if err := tx.Table("hotline_deliveries").AutoMigrate(&hotlineDelivery{}); err != nil {
		return fmt.Errorf("create hotline_deliveries: %w", err)
	}
	// AutoMigrate only adds the columns hotline_tickets lacks.
	if err := tx.Table("hotline_tickets").AutoMigrate(&hotlineTicket{}); err != nil {
		return fmt.Errorf("add the push columns to hotline_tickets: %w", err)
	}
	return nil
}

func rollbackHotlinePush(tx *gorm.DB) error {
	for _, col := range []string{"push_attempts", "next_push_at", "last_push_error"} {
		if err := tx.Exec("ALTER TABLE hotline_tickets DROP COLUMN " + col).Error; err != nil {
			return fmt.Errorf("drop hotline_tickets.%s: %w", col, err)
		}
	}
	if err := tx.Migrator().DropTable("hotline_deliveries"); err != nil {
		return fmt.Errorf("drop hotline_deliveries: %w", err)
	}
	return nil
}
