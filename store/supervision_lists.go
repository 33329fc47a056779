package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// The supervisor's lists: missed deadlines and escalations, in the
// caller's scope.

// BreachFilter narrows ListBreaches. Empty fields do not filter.
type BreachFilter struct {
	Scope        Scope
	From, To     *time.Time // breach.at in [From, To)
	Level        string     // the level holding the case when the deadline was missed
	OrgPath      string     // cases filed inside this subtree
	DepartmentID string
	Class        string
	Kind         string // report | handle
	Resolved     *bool
	Page         Page
	// Limit, when > 0, returns the first Limit rows instead of Page (exports).
	Limit int
}

// BreachView is a breach with what a supervisor reads beside it.
type BreachView struct {
	whistle.Breach
	Class          string `json:"class"`
	OrgPath        string `json:"org_path"`
	CaseTitle      string `json:"case_title"`
	CaseStatus     string `json:"case_status"`
	DepartmentName string `json:"department_name"`
}

// ListBreaches returns the breaches matching f, newest first, with the total.
func (s *Store) ListBreaches(ctx context.Context, f BreachFilter) ([]BreachView, int64, error) {
	q := f.Scope.apply(s.DB.WithContext(ctx).Table("breaches"), "breaches.org_path", "breaches.case_id")
	q = between(q, "breaches.at", f.From, f.To)
	q = equal(q, "breaches.level", f.Level)
	q = within(q, "breaches.org_path", f.OrgPath)
	q = equal(q, "breaches.department_id", f.DepartmentID)
	q = equal(q, "breaches.class", f.Class)
	q = equal(q, "breaches.kind", f.Kind)
	q = flagged(q, "breaches.resolved", f.Resolved)
	type row struct {
		BreachRow
		CaseTitle      string
		CaseStatus     string
		DepartmentName string
	}
	rows, total, err := findCounted[row](q, "breaches", "breaches.at DESC, breaches.id DESC", func(q *gorm.DB) *gorm.DB {
		return window(f.Page, f.Limit)(q.Select("breaches.*, cases.title AS case_title, cases.status AS case_status, departments.name AS department_name").
			Joins("LEFT JOIN cases ON cases.id = breaches.case_id").
			Joins("LEFT JOIN departments ON departments.id = breaches.department_id"))
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]BreachView, len(rows))
	for i, r := range rows {
		out[i] = BreachView{Breach: breachFromRow(r.BreachRow), Class: r.Class, OrgPath: r.OrgPath,
			CaseTitle: r.CaseTitle, CaseStatus: r.CaseStatus, DepartmentName: r.DepartmentName}
	}
	return out, total, nil
}

// EscalationFilter narrows ListEscalations. Empty fields do not filter.
type EscalationFilter struct {
	Scope        Scope
	From, To     *time.Time // escalation.at in [From, To)
	Level        string     // the level escalated to
	FromLevel    string     // the level escalated from
	OrgPath      string     // cases filed inside this subtree
	DepartmentID string     // cases with a task for this department
	Class        string
	Kind         string // requested | handle_breach | verification
	// Status keeps the escalations in these answer statuses (see
	// EscalationAwaiting); "" in it keeps those that moved at once.
	Status []string
	// Open keeps escalations whose case is still open (not closed) when
	// true, of closed cases when false.
	Open  *bool
	Page  Page
	Limit int
}

// EscalationAwaiting are the statuses of an escalation waiting for an
// answer: its own level's review, or the level above.
var EscalationAwaiting = []string{whistle.EscalationInReview, whistle.EscalationPending}

// EscalationView is an escalation with its case's title and status.
type EscalationView struct {
	whistle.Escalation
	Class      string `json:"class"`
	OrgPath    string `json:"org_path"`
	CaseTitle  string `json:"case_title"`
	CaseStatus string `json:"case_status"`
}

// ListEscalations returns the escalations matching f, newest first, with the total.
func (s *Store) ListEscalations(ctx context.Context, f EscalationFilter) ([]EscalationView, int64, error) {
	q := f.Scope.apply(s.DB.WithContext(ctx).Table("escalations"), "escalations.org_path", "escalations.case_id")
	q = between(q, "escalations.at", f.From, f.To)
	q = equal(q, "escalations.to_level", f.Level)
	q = equal(q, "escalations.from_level", f.FromLevel)
	q = within(q, "escalations.org_path", f.OrgPath)
	q = withTask(q, "escalations.case_id", f.DepartmentID)
	q = equal(q, "escalations.class", f.Class)
	q = equal(q, "escalations.kind", f.Kind)
	if len(f.Status) > 0 {
		q = q.Where("escalations.status IN ?", f.Status)
	}
	if f.Open != nil {
		op := "<>"
		if !*f.Open {
			op = "="
		}
		q = q.Where("escalations.case_id IN (SELECT id FROM cases WHERE status "+op+" ?)", string(whistle.CaseClosed))
	}
	type row struct {
		EscalationRow
		CaseTitle  string
		CaseStatus string
	}
	rows, total, err := findCounted[row](q, "escalations", "escalations.at DESC, escalations.case_id DESC, escalations.seq DESC", func(q *gorm.DB) *gorm.DB {
		return window(f.Page, f.Limit)(q.Select("escalations.*, cases.title AS case_title, cases.status AS case_status").
			Joins("LEFT JOIN cases ON cases.id = escalations.case_id"))
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]EscalationView, len(rows))
	for i, r := range rows {
		out[i] = EscalationView{Escalation: escalationFromRow(r.EscalationRow), Class: r.Class, OrgPath: r.OrgPath,
			CaseTitle: r.CaseTitle, CaseStatus: r.CaseStatus}
	}
	return out, total, nil
}

// window keeps page p of a list, or with limit > 0 its first limit rows
// (an export).
func window(p Page, limit int) func(*gorm.DB) *gorm.DB {
	if limit > 0 {
		return func(q *gorm.DB) *gorm.DB { return q.Limit(limit) }
	}
	return p.paginate
}
