package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// catalogueEntryView is a catalogue item as a filer picks it; the admin
// routes show its state as well (catalogueItemView).
type catalogueEntryView struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	NameEN          string   `json:"name_en"`
	Category        string   `json:"category"`
	DefaultClass    string   `json:"default_class"`
	DepartmentKinds []string `json:"department_kinds"`
	Levels          []string `json:"levels"`
}

func toCatalogueEntryView(it store.CatalogueItem) catalogueEntryView {
	return catalogueEntryView{ID: it.ID, Name: it.Name, NameEN: it.NameEN, Category: it.Category, DefaultClass: it.DefaultClass,
		DepartmentKinds: splitList(it.DepartmentKinds), Levels: splitList(it.Levels)}
}

// catalogueItemView is a whistle catalogue item as the admin routes show it.
type catalogueItemView struct {
	catalogueEntryView
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toCatalogueItemView(it store.CatalogueItem) catalogueItemView {
	return catalogueItemView{catalogueEntryView: toCatalogueEntryView(it), Active: it.Active, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func (s *Server) adminListCatalogue(c *gin.Context) {
	q := &queryReader{c: c}
	active := q.bool("active")
	if q.failed() {
		return
	}
	rows, err := s.Store.CatalogueItems(c.Request.Context(), active)
	answerAll(c, rows, err, toCatalogueItemView)
}

type createCatalogueItemRequest struct {
	ID              string   `json:"id" binding:"required,max=32"`
	Name            string   `json:"name" binding:"required,max=128"`
	NameEN          string   `json:"name_en" binding:"max=128"`
	Category        string   `json:"category" binding:"required,max=64"`
	DefaultClass    string   `json:"default_class" binding:"required,oneof=emergency key routine coordination"`
	DepartmentKinds []string `json:"department_kinds" binding:"required,min=1,max=10,dive,required,max=32"`
	Levels          []string `json:"levels" binding:"required,min=1,max=4,dive,oneof=community street district city"`
}

func (s *Server) createCatalogueItem(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createCatalogueItemRequest) (catalogueItemView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return catalogueItemView{}, err
		}
		category, err := requiredText("category", req.Category)
		if err != nil {
			return catalogueItemView{}, err
		}
		if err := s.checkCatalogueLists(ctx, req.DepartmentKinds, req.Levels); err != nil {
			return catalogueItemView{}, err
		}
		var it store.CatalogueItem
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "catalogue_item"}, func(tx *store.Store) (string, error) {
			var err error
			it, err = tx.CreateCatalogueItem(ctx, store.CatalogueItem{ID: req.ID, Name: name, NameEN: strings.TrimSpace(req.NameEN), Category: category,
				DefaultClass: req.DefaultClass, DepartmentKinds: strings.Join(req.DepartmentKinds, ","), Levels: strings.Join(req.Levels, ",")})
			return it.ID, err
		})
		return saved(c, it, err, toCatalogueItemView, "catalogue item created", "item", it.ID)
	})
}

type updateCatalogueItemRequest struct {
	Name            *string  `json:"name" binding:"omitnil,max=128"`
	NameEN          *string  `json:"name_en" binding:"omitnil,max=128"`
	Category        *string  `json:"category" binding:"omitnil,max=64"`
	DefaultClass    *string  `json:"default_class" binding:"omitnil,oneof=emergency key routine coordination"`
	DepartmentKinds []string `json:"department_kinds" binding:"omitnil,min=1,max=10,dive,required,max=32"`
	Levels          []string `json:"levels" binding:"omitnil,min=1,max=4,dive,oneof=community street district city"`
	Active          *bool    `json:"active"`
}

// updateCatalogueItem edits an item; {"active": false} deactivates it, so
// it is neither offered nor accepted for new cases (cases filed under it
// keep it).
func (s *Server) updateCatalogueItem(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *updateCatalogueItemRequest) (catalogueItemView, error) {
		name, err := editedText("name", req.Name)
		if err != nil {
			return catalogueItemView{}, err
		}
		category, err := editedText("category", req.Category)
		if err != nil {
			return catalogueItemView{}, err
		}
		ch := store.CatalogueChange{Name: name, NameEN: trimmed(req.NameEN), Category: category, DefaultClass: req.DefaultClass,
			DepartmentKinds: req.DepartmentKinds, Levels: req.Levels, Active: req.Active}
		if ch.Name == nil && ch.NameEN == nil && ch.Category == nil && ch.DefaultClass == nil && ch.DepartmentKinds == nil && ch.Levels == nil && ch.Active == nil {
			return catalogueItemView{}, nothingToChange("name, name_en, category, default_class, department_kinds, levels, active")
		}
		if err := s.checkCatalogueLists(ctx, req.DepartmentKinds, req.Levels); err != nil {
			return catalogueItemView{}, err
		}
		var it store.CatalogueItem
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "catalogue_item", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
			var err error
			it, err = tx.UpdateCatalogueItem(ctx, c.Param("id"), ch)
			return "", err
		})
		return saved(c, it, err, toCatalogueItemView, "catalogue item updated", "item", it.ID, "active", it.Active)
	})
}

// checkCatalogueLists refuses duplicates, and department kinds no
// department has (most likely a typo: such an item could never summon).
func (s *Server) checkCatalogueLists(ctx context.Context, kinds, levels []string) error {
	if d := duplicate(kinds); d != "" {
		return whistle.Errorf(whistle.EInvalid, "department_kinds 重复：%s", "department_kinds lists %s twice", d)
	}
	if d := duplicate(levels); d != "" {
		return whistle.Errorf(whistle.EInvalid, "levels 重复：%s", "levels lists %s twice", d)
	}
	if len(kinds) == 0 {
		return nil
	}
	known, err := s.Store.DepartmentKinds(ctx)
	if err != nil {
		return err
	}
	for _, k := range kinds {
		if !slices.Contains(known, k) {
			return whistle.Errorf(whistle.EInvalid, "没有这一类部门：%q（现有：%s）", "no department is of kind %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}
