package store

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// The 挂账 list (疑难件): cases closed as unresolvable, and those whose
// application waits for the level above, for the supervisors' monthly review.

// UnresolvableFilter narrows ListUnresolvable. Empty fields do not filter.
type UnresolvableFilter struct {
	// Status is pending (applications awaiting an answer) or approved
	// (cases closed as unresolvable); "" lists both. A refused application
	// is not on the list (the case went on).
	Status   string
	From, To *time.Time // applied for in [From, To)
	OrgPath  string     // cases filed inside this subtree
	Class    string
	Page     Page
	// Limit, when > 0, returns the first Limit rows instead of Page (exports).
	Limit int
}

// UnresolvableView is one row of the 挂账 list: the case and its
// application (status, reason, approver, requested_at/by, answered_at/by,
// comment).
type UnresolvableView struct {
	CaseID     string `json:"case_id"`
	Number     string `json:"number"`
	CaseTitle  string `json:"case_title"`
	CaseStatus string `json:"case_status"`
	Outcome    string `json:"outcome"`
	Class      string `json:"class"`
	OrgPath    string `json:"org_path"`
	// Level and HolderOrgUnitID: the level holding the case (that applied).
	Level           string     `json:"level"`
	HolderOrgUnitID string     `json:"holder_org_unit_id"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	whistle.UnresolvableRequest
}

// UnresolvableListed are the application statuses on the 挂账 list.
var UnresolvableListed = []string{whistle.UnresolvablePending, whistle.UnresolvableApproved}

// ListUnresolvable returns the 挂账 list in scope, the latest application
// first, with the total: cases closed with outcome unresolvable and cases
// whose unresolvable application awaits the level above.
func (s *Store) ListUnresolvable(ctx context.Context, scope Scope, f UnresolvableFilter) ([]UnresolvableView, int64, error) {
	q := scope.apply(s.DB.WithContext(ctx).Model(&CaseRow{}), "org_path", "id")
	statuses := UnresolvableListed
	if f.Status != "" {
		statuses = []string{f.Status}
	}
	q = q.Where("unresolvable_status IN ?", statuses)
	q = between(q, "unresolvable_at", f.From, f.To)
	q = within(q, "org_path", f.OrgPath)
	q = equal(q, "class", f.Class)
	rows, total, err := findCounted[CaseRow](q, "unresolvable cases", "unresolvable_at DESC, id DESC", func(q *gorm.DB) *gorm.DB {
		return window(f.Page, f.Limit)(q.Select("id, number, title, status, outcome, class, org_path, level, holder_org_unit_id, closed_at, unresolvable_json"))
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]UnresolvableView, len(rows))
	for i, r := range rows {
		v := UnresolvableView{CaseID: r.ID, Number: r.Number, CaseTitle: r.Title, CaseStatus: r.Status, Outcome: r.Outcome, Class: r.Class,
			OrgPath: r.OrgPath, Level: r.Level, HolderOrgUnitID: r.HolderOrgUnitID, ClosedAt: utcPtr(r.ClosedAt)}
		if err := json.Unmarshal([]byte(r.UnresolvableJSON), &v.UnresolvableRequest); err == nil {
			v.UnresolvableRequest = v.UnresolvableRequest.InUTC()
		}
		out[i] = v
	}
	return out, total, nil
}
