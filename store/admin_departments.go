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
	if q.Under != "" {
		db = db.Where("org_path LIKE ?", likePrefix(q.Under))
	}
	if q.OrgUnitID != "" {
		db = db.Where("org_unit_id = ?", q.OrgUnitID)
	}
	if q.Kind != "" {
		db = db.Where("kind = ?", q.Kind)
	}
	if q.Active != nil {
		db = db.Where("active = ?", *q.Active)
	}
	if q.Query != "" {
		like := containsPattern(q.Query)
		db = db.Where("(id LIKE ? OR name LIKE ? OR name_en LIKE ?)", like, like, like)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count departments: %w", err)
	}
	p := q.Page.Normalize()
	var rows []Department
	if err := db.Order("org_path, id").Offset(p.offset()).Limit(p.PageSize).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list departments: %w", err)
	}
	return rows, total, nil
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
	if !ValidOrgID(n.ID) {
		return Department{}, whistle.Errorf(whistle.EInvalid, "部门编码 id 无效：%q（1–32 位字母、数字或 -）", "invalid department id %q (1–32 letters, digits or -)", n.ID)
	}
	if !ValidDepartmentKind(n.Kind) {
		return Department{}, whistle.Errorf(whistle.EInvalid, "部门类型 kind 无效：%q（小写字母开头，字母、数字、_ 或 -，至多 32 位）", "invalid department kind %q (a lower-case letter, then letters, digits, _ or -, at most 32)", n.Kind)
	}
	var row Department
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := unused(tx, &Department{}, "id", n.ID, "部门编码", "department id"); err != nil {
			return err
		}
		var unit OrgUnit
		if err := take(tx.Where("id = ?", n.OrgUnitID), &unit, "org unit", n.OrgUnitID); err != nil {
			return asInvalidRef(err, "org_unit_id", n.OrgUnitID)
		}
		if unit.Kind == string(whistle.OrgGrid) {
			return whistle.Errorf(whistle.EInvalid, "部门不能设在网格：%s", "a department cannot sit at a grid: %s", unit.ID)
		}
		var parentID *string
		if n.ParentID != "" {
			var parent Department
			if err := take(tx.Where("id = ?", n.ParentID), &parent, "department", n.ParentID); err != nil {
				return asInvalidRef(err, "parent_id", n.ParentID)
			}
			if parent.OrgPath == unit.Path || !strings.HasPrefix(unit.Path, parent.OrgPath) {
				return whistle.Errorf(whistle.EInvalid, "上级部门 %s 须设在 %s 的上级组织", "the parent department %s must sit at an org unit above %s", parent.ID, unit.ID)
			}
			parentID = &parent.ID
		}
		row = Department{ID: n.ID, Name: n.Name, NameEN: n.NameEN, Kind: n.Kind, OrgUnitID: unit.ID, OrgPath: unit.Path, ParentID: parentID, Active: true}
		return tx.Create(&row).Error
	})
	if err != nil {
		return Department{}, wrapWrite(err, "create department "+n.ID)
	}
	return row, nil
}

// DepartmentChange is an admin's edit of a department; nil fields stay.
type DepartmentChange struct {
	Name, NameEN *string
	Active       *bool
}

// UpdateDepartment applies ch. It returns not_found for an unknown id. A
// deactivated department can no longer be summoned; its open tasks go on.
func (s *Store) UpdateDepartment(ctx context.Context, id string, ch DepartmentChange) (Department, error) {
	var row Department
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := take(tx.Where("id = ?", id), &row, "department", id); err != nil {
			return err
		}
		if ch.Name != nil {
			row.Name = *ch.Name
		}
		if ch.NameEN != nil {
			row.NameEN = *ch.NameEN
		}
		if ch.Active != nil {
			row.Active = *ch.Active
		}
		return tx.Model(&row).Select("name", "name_en", "active", "updated_at").Updates(&row).Error
	})
	if err != nil {
		return Department{}, wrapWrite(err, "update department "+id)
	}
	return row, nil
}
