package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// kindPattern is what a department kind looks like: "police", "citymgmt".
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ValidDepartmentKind reports whether k may name a kind of department.
func ValidDepartmentKind(k string) bool { return kindPattern.MatchString(k) }

// DepartmentQuery narrows FindDepartments. Empty fields do not filter.
type DepartmentQuery struct {
	// Under keeps departments of org units in this subtree (a path).
	Under     string
	OrgUnitID string
	Kind      string
	Active    *bool
	// Query matches the id or the Chinese or English name.
	Query string
	Page  Page
}

// FindDepartments returns the departments matching q, active or not, by
// org path and id, and how many match.
func (s *Store) FindDepartments(ctx context.Context, q DepartmentQuery) ([]Department, int64, error) {
	db := s.DB.WithContext(ctx).Model(&Department{})
	db = within(db, "org_path", q.Under)
	db = equal(db, "org_unit_id", q.OrgUnitID)
	db = equal(db, "kind", q.Kind)
	db = flagged(db, "active", q.Active)
	db = matching(db, q.Query, "id", "name", "name_en")
	return findCounted[Department](db, "departments", "org_path, id", q.Page.paginate)
}

// DepartmentKinds returns the kinds of department in use, sorted.
func (s *Store) DepartmentKinds(ctx context.Context) ([]string, error) {
	var kinds []string
	if err := s.DB.WithContext(ctx).Model(&Department{}).Distinct().Order("kind").Pluck("kind", &kinds).Error; err != nil {
		return nil, fmt.Errorf("list department kinds: %w", err)
	}
	return kinds, nil
}

// NewDepartment is what an admin gives to create a department.
type NewDepartment struct {
	ID, Name, NameEN, Kind string
	OrgUnitID              string
	// ParentID is the department this one is stationed from (a street's
	// police station under the district's bureau); "" for none.
	ParentID string
}

// CreateDepartment adds an active department at an org unit. It returns an
// invalid error for a bad id or kind, an unknown org unit or parent, a
// grid as org unit, or a parent that does not sit at an org unit above
// this one; a conflict error if the id is taken.
func (s *Store) CreateDepartment(ctx context.Context, n NewDepartment) (Department, error) {
	key, err := idKey(n.ID, "部门编码", "department id")
	if err != nil {
		return Department{}, err
	}
	if !ValidDepartmentKind(n.Kind) {
		return Department{}, whistle.Errorf(whistle.EInvalid, "部门类型 kind 无效：%q（小写字母开头，字母、数字、_ 或 -，至多 32 位）", "invalid department kind %q (a lower-case letter, then letters, digits, _ or -, at most 32)", n.Kind)
	}
	return insert(ctx, s.DB, key, func(tx *gorm.DB) (Department, error) {
		var unit OrgUnit
		if err := takeRef(tx, &unit, "org unit", "org_unit_id", n.OrgUnitID); err != nil {
			return Department{}, err
		}
		if unit.Kind == string(whistle.OrgGrid) {
			return Department{}, whistle.Errorf(whistle.EInvalid, "部门不能设在网格：%s", "a department cannot sit at a grid: %s", unit.ID)
		}
		var parentID *string
		if n.ParentID != "" {
			var parent Department
			if err := takeRef(tx, &parent, "department", "parent_id", n.ParentID); err != nil {
				return Department{}, err
			}
			if parent.OrgPath == unit.Path || !strings.HasPrefix(unit.Path, parent.OrgPath) {
				return Department{}, whistle.Errorf(whistle.EInvalid, "上级部门 %s 须设在 %s 的上级组织", "the parent department %s must sit at an org unit above %s", parent.ID, unit.ID)
			}
			parentID = &parent.ID
		}
		return Department{ID: n.ID, Name: n.Name, NameEN: n.NameEN, Kind: n.Kind, OrgUnitID: unit.ID, OrgPath: unit.Path, ParentID: parentID, Active: true}, nil
	})
}

// DepartmentChange is an admin's edit of a department; nil fields stay.
type DepartmentChange struct {
	Name, NameEN *string
	Active       *bool
}

// UpdateDepartment applies ch. It returns not_found for an unknown id. A
// deactivated department can no longer be summoned; its open tasks go on.
func (s *Store) UpdateDepartment(ctx context.Context, id string, ch DepartmentChange) (Department, error) {
	return updateByID(ctx, s.DB, "department", id, []string{"name", "name_en", "active", "updated_at"}, func(_ *gorm.DB, row *Department) error {
		setIf(&row.Name, ch.Name)
		setIf(&row.NameEN, ch.NameEN)
		setIf(&row.Active, ch.Active)
		return nil
	})
}
