package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// CatalogueItems returns the catalogue by category and id: every item, or
// with active set only the active (or inactive) ones.
func (s *Store) CatalogueItems(ctx context.Context, active *bool) ([]CatalogueItem, error) {
	q := s.DB.WithContext(ctx)
	if active != nil {
		q = q.Where("active = ?", *active)
	}
	var rows []CatalogueItem
	if err := q.Order("category, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list catalogue: %w", err)
	}
	return rows, nil
}

// CreateCatalogueItem adds an active item. The caller validates its
// fields; it returns an invalid error for an id ValidOrgID refuses and a
// conflict error if the id is taken.
func (s *Store) CreateCatalogueItem(ctx context.Context, it CatalogueItem) (CatalogueItem, error) {
	key, err := idKey(it.ID, "事项编码", "catalogue item id")
	if err != nil {
		return CatalogueItem{}, err
	}
	return insert(ctx, s.DB, key, func(*gorm.DB) (CatalogueItem, error) {
		it.Active = true
		return it, nil
	})
}

// CatalogueChange is an admin's edit of a catalogue item; nil fields stay.
type CatalogueChange struct {
	Name, NameEN, Category, DefaultClass *string
	DepartmentKinds, Levels              []string // nil: unchanged
	Active                               *bool
}

// UpdateCatalogueItem applies ch. It returns not_found for an unknown id.
// A deactivated item is no longer offered nor accepted for new cases.
func (s *Store) UpdateCatalogueItem(ctx context.Context, id string, ch CatalogueChange) (CatalogueItem, error) {
	columns := []string{"name", "name_en", "category", "default_class", "department_kinds", "levels", "active", "updated_at"}
	return updateByID(ctx, s.DB, "catalogue item", id, columns, func(_ *gorm.DB, row *CatalogueItem) error {
		setIf(&row.Name, ch.Name)
		setIf(&row.NameEN, ch.NameEN)
		setIf(&row.Category, ch.Category)
		setIf(&row.DefaultClass, ch.DefaultClass)
		if ch.DepartmentKinds != nil {
			row.DepartmentKinds = strings.Join(ch.DepartmentKinds, ",")
		}
		if ch.Levels != nil {
			row.Levels = strings.Join(ch.Levels, ",")
		}
		setIf(&row.Active, ch.Active)
		return nil
	})
}

// DeleteSLAPolicy removes the policy row of class at one level, so the
// class's every-level row applies there again. It returns an invalid error
// for level "" (the every-level row is the default and stays) and
// not_found if no such row exists.
func (s *Store) DeleteSLAPolicy(ctx context.Context, class whistle.Class, level whistle.Level) error {
	if level == "" {
		return whistle.Errorf(whistle.EInvalid, "只能删除某一层级的时限策略：请给出 level", "only a level's own SLA policy can be deleted: give a level")
	}
	res := s.DB.WithContext(ctx).Where("class = ? AND level = ?", string(class), string(level)).Delete(&SLAPolicy{})
	if res.Error != nil {
		return fmt.Errorf("delete SLA policy %s/%s: %w", class, level, res.Error)
	}
	if res.RowsAffected == 0 {
		return whistle.Errorf(whistle.ENotFound, "%s 层级没有单独的 %s 时限策略", "no SLA policy of its own for %[2]s at level %[1]s", level, class)
	}
	return nil
}
