package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// DomainCounts are the figures of the read model an operator watches on
// /metrics. Every count reads open cases, open tasks or the last hour
// through an index, never the whole history: a city keeps millions of
// closed cases.
type DomainCounts struct {
	// OpenCases counts the cases being worked (open, verifying,
	// evaluating) by class, level and status.
	OpenCases []LabelledCount
	// IntakePending counts the cases waiting in an acceptance queue;
	// IntakeOverdue those of them past their acceptance deadline.
	IntakePending, IntakeOverdue int64
	// OpenTasks counts the open tasks of open cases by status and class,
	// Overdue saying whether a deadline of theirs has passed.
	OpenTasks []LabelledCount
	// Breaches and Escalations of the last hour, by kind.
	Breaches, Escalations []LabelledCount
	// Deliveries counts the notification deliveries that failed and wait
	// for another try (failed) or were given up (abandoned), by channel kind.
	Deliveries []LabelledCount
}

// LabelledCount is one row of a grouped count; which labels are set
// depends on the count.
type LabelledCount struct {
	Class, Level, Status, Kind string
	Overdue                    bool
	N                          int64
}

// liveCaseStatuses are the statuses of a case being worked.
var liveCaseStatuses = []string{string(whistle.CaseOpen), string(whistle.CaseVerifying), string(whistle.CaseEvaluating)}

// DomainCounts counts what DomainCounts says at now.
func (s *Store) DomainCounts(ctx context.Context, now time.Time) (DomainCounts, error) {
	var d DomainCounts
	db := s.DB.WithContext(ctx)
	now = now.UTC()
	hourAgo := now.Add(-time.Hour)
	// status IN (...) reads the cases' status index: open cases only.
	if err := db.Raw(`SELECT class, level, status, COUNT(*) AS n FROM cases WHERE status IN ? GROUP BY class, level, status`,
		liveCaseStatuses).Scan(&d.OpenCases).Error; err != nil {
		return d, fmt.Errorf("count open cases: %w", err)
	}
	var intake struct{ Pending, Overdue int64 }
	if err := db.Raw(`SELECT COUNT(*) AS pending, COALESCE(SUM(CASE WHEN accept_deadline <= ? THEN 1 ELSE 0 END), 0) AS overdue FROM cases WHERE status = ?`,
		now, string(whistle.CasePending)).Scan(&intake).Error; err != nil {
		return d, fmt.Errorf("count pending intake: %w", err)
	}
	d.IntakePending, d.IntakeOverdue = intake.Pending, intake.Overdue
	// From the open cases to their tasks (tasks.case_id is indexed): a
	// closed case's tasks are never read.
	if err := db.Raw(`SELECT t.status AS status, t.class AS class, t.overdue AS overdue, COUNT(*) AS n
		FROM cases c JOIN tasks t ON t.case_id = c.id
		WHERE c.status IN ? AND t.status IN ? GROUP BY t.status, t.class, t.overdue`,
		liveCaseStatuses, OpenTaskStatuses).Scan(&d.OpenTasks).Error; err != nil {
		return d, fmt.Errorf("count open tasks: %w", err)
	}
	if err := db.Raw(`SELECT kind, COUNT(*) AS n FROM breaches WHERE at >= ? GROUP BY kind`, hourAgo).Scan(&d.Breaches).Error; err != nil {
		return d, fmt.Errorf("count breaches of the last hour: %w", err)
	}
	if err := db.Raw(`SELECT kind, COUNT(*) AS n FROM escalations WHERE at >= ? GROUP BY kind`, hourAgo).Scan(&d.Escalations).Error; err != nil {
		return d, fmt.Errorf("count escalations of the last hour: %w", err)
	}
	if err := db.Raw(`SELECT channel_kind AS kind, status, COUNT(*) AS n FROM notification_deliveries WHERE status IN ? GROUP BY channel_kind, status`,
		[]string{DeliveryFailed, DeliveryAbandoned}).Scan(&d.Deliveries).Error; err != nil {
		return d, fmt.Errorf("count failed deliveries: %w", err)
	}
	return d, nil
}
