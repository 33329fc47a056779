package store

import (
	"context"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// IntakeFilter narrows ListIntake: the pending cases held at one unit,
// with the filters of GET /cases.
type IntakeFilter struct {
	CaseFilter
	// HolderOrgPath is the unit whose command centre must handle them.
	HolderOrgPath string
	// Now is the instant Overdue is judged at: a case is overdue once its
	// acceptance deadline is not after Now.
	Now time.Time
}

// ListIntake returns the pending cases held at f.HolderOrgPath inside
// f.Scope, oldest first (the queue's order), with the total. Holder ""
// lists nothing.
func (s *Store) ListIntake(ctx context.Context, f IntakeFilter) ([]whistle.Case, int64, error) {
	q := f.Scope.applyCases(s.DB.WithContext(ctx).Model(&CaseRow{}))
	if f.HolderOrgPath == "" {
		q = q.Where("1 = 0")
	}
	q = q.Where("status = ? AND holder_org_path = ?", string(whistle.CasePending), f.HolderOrgPath)
	q = equal(q, "class", f.Class)
	q = equal(q, "level", f.Level)
	q = within(q, "org_path", f.OrgPath)
	if f.Overdue != nil && *f.Overdue {
		q = q.Where("accept_deadline <= ?", f.Now.UTC())
	} else if f.Overdue != nil {
		q = q.Where("(accept_deadline IS NULL OR accept_deadline > ?)", f.Now.UTC())
	}
	q = between(q, "created_at", f.From, f.To)
	q = matching(q, f.Query, "title", "description", "address")
	rows, total, err := findCounted[CaseRow](q, "cases", "created_at, id", f.Page.paginate)
	if err != nil {
		return nil, 0, err
	}
	out := make([]whistle.Case, len(rows))
	for i, r := range rows {
		out[i] = caseFromRow(r)
	}
	return out, total, nil
}
