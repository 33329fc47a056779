package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// ServiceRequestFilter narrows ServiceRequests, Open311's view of cases.
// Empty fields do not filter.
type ServiceRequestFilter struct {
	Scope Scope
	// IDs keeps these cases only.
	IDs []string
	// CatalogueItems are Open311's service_code values (any of them).
	CatalogueItems []string
	From, To       *time.Time // filed in [From, To]
	// Closed keeps closed cases (true) or the others (false).
	Closed *bool
	// Limit caps the answer (default and most: 1000, as Open311 suggests).
	Limit int
}

// ServiceRequest is a case as Open311 lists it.
type ServiceRequest struct {
	Case whistle.Case
	// Departments are the names of the departments summoned, in order.
	Departments []string
	// ExpectedAt is the latest handling deadline of the tasks still
	// active, nil when none is.
	ExpectedAt *time.Time
	// MediaURL is the media_url the request was filed with through
	// Open311, "" for none.
	MediaURL string
}

// ServiceRequests returns the cases matching f, newest first.
func (s *Store) ServiceRequests(ctx context.Context, f ServiceRequestFilter) ([]ServiceRequest, error) {
	q := f.Scope.apply(s.DB.WithContext(ctx).Model(&CaseRow{}), "org_path", "id")
	if len(f.IDs) > 0 {
		q = q.Where("id IN ?", f.IDs)
	}
	if len(f.CatalogueItems) > 0 {
		q = q.Where("catalogue_item IN ?", f.CatalogueItems)
	}
	if f.From != nil {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("created_at <= ?", f.To.UTC())
	}
	if f.Closed != nil {
		if *f.Closed {
			q = q.Where("status = ?", whistle.CaseClosed)
		} else {
			q = q.Where("status <> ?", whistle.CaseClosed)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var rows []CaseRow
	if err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list service requests: %w", err)
	}
	out := make([]ServiceRequest, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	idx := make(map[string]int, len(rows))
	for i, r := range rows {
		out[i].Case = caseFromRow(r)
		ids[i] = r.ID
		idx[r.ID] = i
	}
	var tasks []TaskRow
	if err := s.DB.WithContext(ctx).Select("case_id", "department_name", "department_id", "status", "handle_deadline").
		Where("case_id IN ?", ids).Order("summoned_at, id").Find(&tasks).Error; err != nil {
		return nil, fmt.Errorf("list tasks of service requests: %w", err)
	}
	media, err := s.open311Media(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, u := range media {
		out[idx[id]].MediaURL = u
	}
	for _, t := range tasks {
		if t.Status == string(whistle.TaskDropped) {
			continue // summoned by mistake and withdrawn: not a department on it
		}
		sr := &out[idx[t.CaseID]]
		name := t.DepartmentName
		if name == "" {
			name = t.DepartmentID
		}
		sr.Departments = append(sr.Departments, name)
		active := slices.Contains(OpenTaskStatuses, t.Status)
		if active && (sr.ExpectedAt == nil || t.HandleDeadline.After(*sr.ExpectedAt)) {
			d := t.HandleDeadline
			sr.ExpectedAt = &d
		}
	}
	return out, nil
}
