package store

import (
	"context"
	"fmt"

	"github.com/shaobao/shaobao/whistle"
)

// OrgUnit returns an org unit by id or a not_found error.
func (s *Store) OrgUnit(ctx context.Context, id string) (OrgUnit, error) {
	var o OrgUnit
	return o, take(s.DB.WithContext(ctx).Where("id = ?", id), &o, "org unit", id)
}

// Department returns a department by id or a not_found error.
func (s *Store) Department(ctx context.Context, id string) (Department, error) {
	var d Department
	return d, take(s.DB.WithContext(ctx).Where("id = ?", id), &d, "department", id)
}

// Departments returns the departments with the given ids, in that order; an
// unknown id is a not_found error naming it.
func (s *Store) Departments(ctx context.Context, ids []string) ([]Department, error) {
	var rows []Department
	if err := s.DB.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load departments: %w", err)
	}
	byID := make(map[string]Department, len(rows))
	for _, d := range rows {
		byID[d.ID] = d
	}
	out := make([]Department, 0, len(ids))
	for _, id := range ids {
		d, ok := byID[id]
		if !ok {
			return nil, &whistle.Error{Code: whistle.ENotFound, Message: "部门不存在：" + id, MessageEN: "department not found: " + id}
		}
		out = append(out, d)
	}
	return out, nil
}

// DepartmentFilter narrows ListDepartments.
type DepartmentFilter struct {
	// OrgUnitIDs keeps departments of these org units (empty: all).
	OrgUnitIDs []string
	// PathPrefix keeps departments inside this subtree.
	PathPrefix string
	Kind       string
}

// ListDepartments returns active departments, ordered by org path and id.
func (s *Store) ListDepartments(ctx context.Context, f DepartmentFilter) ([]Department, error) {
	q := s.DB.WithContext(ctx).Where("active = ?", true)
	if len(f.OrgUnitIDs) > 0 {
		q = q.Where("org_unit_id IN ?", f.OrgUnitIDs)
	}
	if f.PathPrefix != "" {
		q = q.Where("org_path LIKE ?", likePrefix(f.PathPrefix))
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	var rows []Department
	if err := q.Order("org_path, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return rows, nil
}

// Chain returns the command chain from the level holding cases filed at
// unit id up to the city: a grid files at its community, so the chain of a
// grid starts at its parent. Each element is the org unit of one level.
func (s *Store) Chain(ctx context.Context, id string) ([]OrgUnit, error) {
	unit, err := s.OrgUnit(ctx, id)
	if err != nil {
		return nil, err
	}
	ids := whistle.OrgPath(unit.Path).Units()
	if len(ids) == 0 {
		return nil, fmt.Errorf("chain of %s: no org path", id)
	}
	var rows []OrgUnit
	if err := s.DB.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load chain of %s: %w", id, err)
	}
	byID := make(map[string]OrgUnit, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	var chain []OrgUnit
	for i := len(ids) - 1; i >= 0; i-- {
		o, ok := byID[ids[i]]
		if !ok {
			return nil, fmt.Errorf("chain of %s: missing org unit %s", id, ids[i])
		}
		if o.Kind == string(whistle.OrgGrid) {
			continue
		}
		chain = append(chain, o)
	}
	return chain, nil
}

// ListOrgUnits returns the org units inside a subtree ("" = all), by path.
func (s *Store) ListOrgUnits(ctx context.Context, pathPrefix string) ([]OrgUnit, error) {
	q := s.DB.WithContext(ctx)
	if pathPrefix != "" {
		q = q.Where("path LIKE ?", likePrefix(pathPrefix))
	}
	var rows []OrgUnit
	if err := q.Order("path").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list org units: %w", err)
	}
	return rows, nil
}

// likePrefix turns a path into a LIKE pattern matching its subtree. Org
// unit ids are checked to hold only letters, digits and '-' (ValidOrgID),
// so a path never carries a LIKE wildcard.
func likePrefix(prefix string) string { return prefix + "%" }

// ValidOrgID reports whether id may name an org unit or a department.
func ValidOrgID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
