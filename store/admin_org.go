package store

import (
	"context"

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
	db := s.DB.WithContext(ctx).Model(&OrgUnit{})
	db = within(db, "path", f.Under)
	db = equal(db, "kind", f.Kind)
	if f.MaxDepth > 0 {
		db = db.Where("depth <= ?", f.MaxDepth)
	}
	db = matching(db, f.Query, "name", "name_en")
	window := f.Page.paginate
	if f.Page == (Page{}) {
		window = func(db *gorm.DB) *gorm.DB {
			if f.Limit > 0 {
				return db.Limit(f.Limit)
			}
			return db
		}
	}
	return findCounted[OrgUnit](db, "org units", "path", window)
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
	key, err := idKey(n.ID, "组织编码", "org unit id")
	if err != nil {
		return OrgUnit{}, err
	}
	if !ValidOrgKind(n.Kind) {
		return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "组织类型 kind 无效：%q（可选 city、district、street、community、grid）", "invalid kind %q (one of city, district, street, community, grid)", n.Kind)
	}
	return insert(ctx, s.DB, key, func(tx *gorm.DB) (OrgUnit, error) {
		path := "/" + n.ID + "/"
		var parentID *string
		if n.ParentID == "" {
			if n.Kind != whistle.OrgCity {
				return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "只有市级组织可以没有上级：请给出 parent_id", "only a city may have no parent: give parent_id")
			}
		} else {
			var parent OrgUnit
			if err := takeRef(tx, &parent, "org unit", "parent_id", n.ParentID); err != nil {
				return OrgUnit{}, err
			}
			want, ok := childKind[whistle.OrgKind(parent.Kind)]
			if !ok || want != n.Kind {
				return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "%s（%s）之下只能建 %s，不能建 %s", "a %s (%s) takes a %s below it, not a %s",
					parent.Kind, parent.ID, orNothing(string(want)), n.Kind)
			}
			path = parent.Path + n.ID + "/"
			parentID = &parent.ID
		}
		if len(path) > 255 {
			return OrgUnit{}, whistle.Errorf(whistle.EInvalid, "组织路径过长（上限 255 字符）", "the org path would be too long (limit 255 characters)")
		}
		return OrgUnit{ID: n.ID, ParentID: parentID, Kind: string(n.Kind), Name: n.Name, NameEN: n.NameEN, Path: path, Depth: pathDepth(path)}, nil
	})
}

// RenameOrgUnit sets a unit's names. It returns not_found for an unknown id.
func (s *Store) RenameOrgUnit(ctx context.Context, id, name, nameEN string) (OrgUnit, error) {
	return updateByID(ctx, s.DB, "org unit", id, []string{"name", "name_en", "updated_at"}, func(_ *gorm.DB, row *OrgUnit) error {
		row.Name, row.NameEN = name, nameEN
		return nil
	})
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

func orNothing(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
