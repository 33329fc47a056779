package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// childKind is the kind of unit directly under each kind of the org tree:
// city → district → street → community → grid.
var childKind = map[whistle.OrgKind]whistle.OrgKind{
	whistle.OrgCity:      whistle.OrgDistrict,
	whistle.OrgDistrict:  whistle.OrgStreet,
	whistle.OrgStreet:    whistle.OrgCommunity,
	whistle.OrgCommunity: whistle.OrgGrid,
}

// ChildKind returns the kind of unit that may sit directly under a unit of
// kind k, and false for a grid (the leaf) or an unknown kind.
func ChildKind(k whistle.OrgKind) (whistle.OrgKind, bool) {
	c, ok := childKind[k]
	return c, ok
}

// ValidOrgKind reports whether k is a kind of the org tree.
func ValidOrgKind(k whistle.OrgKind) bool {
	_, parent := childKind[k]
	return parent || k == whistle.OrgGrid
}

// OrgUnitFilter narrows OrgUnits. Empty fields do not filter.
type OrgUnitFilter struct {
	// Under keeps the units of this subtree (a path, the root included).
	Under string
	Kind  string
	// MaxDepth keeps units at most this deep (a city is depth 1; 0 = any).
	MaxDepth int
	// Query matches the Chinese or English name.
	Query string
	// Page pages the result. With the zero Page, Limit caps the rows
	// (0: every row).
	Page  Page
	Limit int
}

// OrgUnits returns the org units matching f by path, and how many match.
func (s *Store) OrgUnits(ctx context.Context, f OrgUnitFilter) ([]OrgUnit, int64, error) {
	q := s.DB.WithContext(ctx).Model(&OrgUnit{})
	if f.Under != "" {
		q = q.Where("path LIKE ?", likePrefix(f.Under))
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.MaxDepth > 0 {
		q = q.Where("depth <= ?", f.MaxDepth)
	}
	if f.Query != "" {
		like := containsPattern(f.Query)
		q = q.Where("(name LIKE ? OR name_en LIKE ?)", like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count org units: %w", err)
	}
	q = q.Order("path")
	if f.Page != (Page{}) {
		p := f.Page.Normalize()
		q = q.Offset(p.offset()).Limit(p.PageSize)
	} else if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []OrgUnit
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list org units: %w", err)
	}
	return rows, total, nil
}

// NewOrgUnit is what an admin gives to create an org unit.
type NewOrgUnit struct {
	ID       string
	ParentID string // "" only for a city, the root of a tree
	Kind     whistle.OrgKind
	Name     string
	NameEN   string
}

// CreateOrgUnit adds a unit under its parent. It returns an invalid error
// for an id ValidOrgID refuses, an unknown parent, or a kind that does not
// sit directly under the parent's (city → district → street → community
// → grid; a unit without parent must be a city), and a conflict error if
// the id is taken.
func (s *Store) CreateOrgUnit(ctx context.Context, n NewOrgUnit) (OrgUnit, error) {
	if !ValidOrgID(n.ID) {
		return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "组织编码 id 无效：%q（1–32 位字母、数字或 -）", "invalid org unit id %q (1–32 letters, digits or -)", n.ID)
	}
	if !ValidOrgKind(n.Kind) {
		return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "组织类型 kind 无效：%q（可选 city、district、street、community、grid）", "invalid kind %q (one of city, district, street, community, grid)", n.Kind)
	}
	var row OrgUnit
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := unused(tx, &OrgUnit{}, "id", n.ID, "组织编码", "org unit id"); err != nil {
			return err
		}
		path := "/" + n.ID + "/"
		var parentID *string
		if n.ParentID == "" {
			if n.Kind != whistle.OrgCity {
				return whistle.Errorf(whistle.EInvalid, "只有市级组织可以没有上级：请给出 parent_id", "only a city may have no parent: give parent_id")
			}
		} else {
			var parent OrgUnit
			if err := take(tx.Where("id = ?", n.ParentID), &parent, "org unit", n.ParentID); err != nil {
				return asInvalidRef(err, "parent_id", n.ParentID)
			}
			want, ok := childKind[whistle.OrgKind(parent.Kind)]
			if !ok || want != n.Kind {
				return whistle.Errorf(whistle.EInvalid, "%s（%s）之下只能建 %s，不能建 %s", "a %s (%s) takes a %s below it, not a %s",
					parent.Kind, parent.ID, orNothing(string(want)), n.Kind)
			}
			path = parent.Path + n.ID + "/"
			parentID = &parent.ID
		}
		if len(path) > 255 {
			return whistle.Errorf(whistle.EInvalid, "组织路径过长（上限 255 字符）", "the org path would be too long (limit 255 characters)")
		}
		row = OrgUnit{ID: n.ID, ParentID: parentID, Kind: string(n.Kind), Name: n.Name, NameEN: n.NameEN, Path: path, Depth: pathDepth(path)}
		return tx.Create(&row).Error
	})
	if err != nil {
		return OrgUnit{}, wrapWrite(err, "create org unit "+n.ID)
	}
	return row, nil
}

// RenameOrgUnit sets a unit's names. It returns not_found for an unknown id.
func (s *Store) RenameOrgUnit(ctx context.Context, id, name, nameEN string) (OrgUnit, error) {
	var row OrgUnit
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := take(tx.Where("id = ?", id), &row, "org unit", id); err != nil {
			return err
		}
		row.Name, row.NameEN = name, nameEN
		return tx.Model(&row).Select("name", "name_en", "updated_at").Updates(&row).Error
	})
	if err != nil {
		return OrgUnit{}, wrapWrite(err, "rename org unit "+id)
	}
	return row, nil
}

// DeleteOrgUnit removes an empty unit. It returns not_found for an unknown
// id and a conflict error naming what is still there when the unit has
// child units, departments, users or cases (filed or held there).
func (s *Store) DeleteOrgUnit(ctx context.Context, id string) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row OrgUnit
		if err := take(tx.Where("id = ?", id), &row, "org unit", id); err != nil {
			return err
		}
		for _, dep := range []struct {
			model  any
			where  string
			args   []any
			zh, en string
		}{
			{&OrgUnit{}, "parent_id = ?", []any{id}, "下级组织", "child units"},
			{&Department{}, "org_unit_id = ?", []any{id}, "部门", "departments"},
			{&User{}, "org_unit_id = ?", []any{id}, "用户", "users"},
			{&CaseRow{}, "org_unit_id = ? OR holder_org_unit_id = ?", []any{id, id}, "案件", "cases"},
		} {
			var n int64
			if err := tx.Model(dep.model).Where(dep.where, dep.args...).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return whistle.Errorf(whistle.EConflict, "组织 %[1]s 下仍有 %[2]d 个%[3]s，不能删除", "org unit %[1]s still has %[2]d %[4]s and cannot be deleted", id, n, dep.zh, dep.en)
			}
		}
		return tx.Delete(&row).Error
	})
	return wrapWrite(err, "delete org unit "+id)
}

// unused returns a conflict error if a row of model has value in column:
// an id or name already taken.
func unused(tx *gorm.DB, model any, column, value, zh, en string) error {
	var n int64
	if err := tx.Model(model).Where(column+" = ?", value).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return whistle.Errorf(whistle.EConflict, "%[1]s已被占用：%[3]s", "%[2]s already taken: %[3]s", zh, en, value)
	}
	return nil
}

// asInvalidRef turns "the row a field names does not exist" into an
// invalid error naming the field: the request is wrong, not the route.
func asInvalidRef(err error, field, value string) error {
	var we *whistle.Error
	if errors.As(err, &we) && we.Code == whistle.ENotFound {
		return whistle.Errorf(whistle.EInvalid, "%s 引用的对象不存在：%s", "%s refers to something that does not exist: %s", field, value)
	}
	return err
}

// wrapWrite adds context to a database failure; coded errors pass as they are.
func wrapWrite(err error, what string) error {
	if err == nil {
		return nil
	}
	var we *whistle.Error
	if errors.As(err, &we) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

func orNothing(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// containsPattern is a LIKE pattern matching text anywhere, with the
// caller's wildcards taken out.
func containsPattern(text string) string {
	return "%" + strings.NewReplacer("%", "", "_", "", "\\", "").Replace(text) + "%"
}
