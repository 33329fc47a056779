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

// catalogueItemView is a whistle catalogue item as the admin routes show it.
type catalogueItemView struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	NameEN          string    `json:"name_en"`
	Category        string    `json:"category"`
	DefaultClass    string    `json:"default_class"`
	DepartmentKinds []string  `json:"department_kinds"`
	Levels          []string  `json:"levels"`
	Active          bool      `json:"active"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func toCatalogueItemView(it store.CatalogueItem) catalogueItemView {
	return catalogueItemView{ID: it.ID, Name: it.Name, NameEN: it.NameEN, Category: it.Category, DefaultClass: it.DefaultClass,
		DepartmentKinds: splitList(it.DepartmentKinds), Levels: splitList(it.Levels), Active: it.Active, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
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
	if q.err != nil {
		fail(c, q.err)
		return
	}
	rows, err := s.Store.CatalogueItems(c.Request.Context(), active)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]catalogueItemView, len(rows))
	for i, it := range rows {
		items[i] = toCatalogueItemView(it)
	}
	c.JSON(http.StatusOK, newList(items, int64(len(items)), store.Page{Page: 1, PageSize: len(items)}))
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
	var req createCatalogueItemRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	name, err := requiredText("name", req.Name)
	if err != nil {
		fail(c, err)
		return
	}
	category, err := requiredText("category", req.Category)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.checkCatalogueLists(ctx, req.DepartmentKinds, req.Levels); err != nil {
		fail(c, err)
		return
	}
	it, err := s.Store.CreateCatalogueItem(ctx, store.CatalogueItem{ID: req.ID, Name: name, NameEN: strings.TrimSpace(req.NameEN), Category: category,
		DefaultClass: req.DefaultClass, DepartmentKinds: strings.Join(req.DepartmentKinds, ","), Levels: strings.Join(req.Levels, ",")})
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("catalogue item created", "item", it.ID)
	c.JSON(http.StatusCreated, toCatalogueItemView(it))
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
	var req updateCatalogueItemRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	ch := store.CatalogueChange{DefaultClass: req.DefaultClass, DepartmentKinds: req.DepartmentKinds, Levels: req.Levels, Active: req.Active}
	for _, f := range []struct {
		name     string
		in       *string
		out      **string
		required bool
	}{{"name", req.Name, &ch.Name, true}, {"name_en", req.NameEN, &ch.NameEN, false}, {"category", req.Category, &ch.Category, true}} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		if f.required && v == "" {
			fail(c, whistle.Errorf(whistle.EInvalid, "%s 不能为空", "%s must not be blank", f.name))
			return
		}
		*f.out = &v
	}
	if ch.Name == nil && ch.NameEN == nil && ch.Category == nil && ch.DefaultClass == nil && ch.DepartmentKinds == nil && ch.Levels == nil && ch.Active == nil {
		fail(c, nothingToChange("name, name_en, category, default_class, department_kinds, levels, active"))
		return
	}
	if err := s.checkCatalogueLists(ctx, req.DepartmentKinds, req.Levels); err != nil {
		fail(c, err)
		return
	}
	it, err := s.Store.UpdateCatalogueItem(ctx, c.Param("id"), ch)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("catalogue item updated", "item", it.ID, "active", it.Active)
	c.JSON(http.StatusOK, toCatalogueItemView(it))
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
