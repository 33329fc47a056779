package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// orgUnitNode is an org unit as the admin routes show it; in a tree it
// carries its children.
type orgUnitNode struct {
	ID        string         `json:"id"`
	ParentID  string         `json:"parent_id,omitempty"`
	Kind      string         `json:"kind"`
	Level     string         `json:"level"`
	Name      string         `json:"name"`
	NameEN    string         `json:"name_en,omitempty"`
	Path      string         `json:"path"`
	Depth     int            `json:"depth"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Children  []*orgUnitNode `json:"children,omitempty"`
}

func toOrgUnitNode(o store.OrgUnit) *orgUnitNode {
	n := &orgUnitNode{ID: o.ID, Kind: o.Kind, Level: string(whistle.LevelOf(whistle.OrgKind(o.Kind))), Name: o.Name, NameEN: o.NameEN,
		Path: o.Path, Depth: o.Depth, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if o.ParentID != nil {
		n.ParentID = *o.ParentID
	}
	return n
}

// orgTree is GET /admin/org-units?format=tree: the top units of the view
// with their descendants nested, and how many units it holds.
type orgTree struct {
	Items []*orgUnitNode `json:"items"`
	Total int64          `json:"total"`
}

// maxTreeNodes caps a tree answer; a bigger subtree must be narrowed with
// under= or depth= (or read flat, page by page).
const maxTreeNodes = 5000

func (s *Server) listOrgUnits(c *gin.Context) {
	ctx := c.Request.Context()
	q := &queryReader{c: c}
	format := q.oneOf("format", "flat", "tree")
	depth := q.int("depth", 0, 0, 10)
	f := store.OrgUnitFilter{Kind: q.oneOf("kind", "city", "district", "street", "community", "grid"), Query: q.text("q", 100)}
	page := q.page()
	top := q.orgUnit(s.Store, "under")
	f.Under = top.Path
	if q.failed() {
		return
	}
	if depth > 0 { // levels below the top: under's unit, or the cities (depth 1)
		f.MaxDepth = max(top.Depth, 1) + depth
	}
	if format != "tree" {
		f.Page = page
		rows, total, err := s.Store.OrgUnits(ctx, f)
		answerPage(c, rows, total, page, err, toOrgUnitNode)
		return
	}
	f.Limit = maxTreeNodes
	if f.Kind != "" || f.Query != "" {
		fail(c, whistle.Errorf(whistle.EInvalid, "树形视图不能按 kind 或 q 筛选：请用 format=flat", "a tree cannot be filtered by kind or q: use format=flat"))
		return
	}
	rows, total, err := s.Store.OrgUnits(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	if total > maxTreeNodes {
		fail(c, whistle.Errorf(whistle.EInvalid, "该子树有 %d 个组织，超过树形视图上限 %d：请用 under= 或 depth= 缩小范围，或用 format=flat 分页", "the subtree holds %d units, more than a tree answers (%d): narrow it with under= or depth=, or page through format=flat",
			total, maxTreeNodes))
		return
	}
	c.JSON(http.StatusOK, orgTree{Items: buildTree(rows), Total: total})
}

// buildTree nests units sorted by path under their parents; a unit whose
// parent is not in rows is a top of the tree.
func buildTree(rows []store.OrgUnit) []*orgUnitNode {
	byID := make(map[string]*orgUnitNode, len(rows))
	top := []*orgUnitNode{}
	for _, o := range rows {
		n := toOrgUnitNode(o)
		byID[o.ID] = n
		if p, ok := byID[n.ParentID]; ok && n.ParentID != "" {
			p.Children = append(p.Children, n)
		} else {
			top = append(top, n)
		}
	}
	return top
}

type createOrgUnitRequest struct {
	ID       string `json:"id" binding:"required,max=32"`
	ParentID string `json:"parent_id" binding:"max=32"`
	Kind     string `json:"kind" binding:"required,oneof=city district street community grid"`
	Name     string `json:"name" binding:"required,max=128"`
	NameEN   string `json:"name_en" binding:"max=128"`
}

func (s *Server) createOrgUnit(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createOrgUnitRequest) (*orgUnitNode, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return nil, err
		}
		var unit store.OrgUnit
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "org_unit"}, func(tx *store.Store) (string, error) {
			var err error
			unit, err = tx.CreateOrgUnit(ctx, store.NewOrgUnit{ID: req.ID, ParentID: req.ParentID, Kind: whistle.OrgKind(req.Kind),
				Name: name, NameEN: strings.TrimSpace(req.NameEN)})
			return unit.ID, err
		})
		return saved(c, unit, err, toOrgUnitNode, "org unit created", "org_unit_id", unit.ID, "path", unit.Path)
	})
}

type renameOrgUnitRequest struct {
	Name   *string `json:"name" binding:"omitnil,max=128"`
	NameEN *string `json:"name_en" binding:"omitnil,max=128"`
}

func (s *Server) renameOrgUnit(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *renameOrgUnitRequest) (*orgUnitNode, error) {
		if req.Name == nil && req.NameEN == nil {
			return nil, nothingToChange("name, name_en")
		}
		unit, err := s.Store.OrgUnit(ctx, c.Param("id"))
		if err != nil {
			return nil, err
		}
		name, nameEN := unit.Name, unit.NameEN
		if req.Name != nil {
			if name, err = requiredText("name", *req.Name); err != nil {
				return nil, err
			}
		}
		if req.NameEN != nil {
			nameEN = strings.TrimSpace(*req.NameEN)
		}
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "org_unit", ObjectID: unit.ID}, func(tx *store.Store) (string, error) {
			var err error
			unit, err = tx.RenameOrgUnit(ctx, unit.ID, name, nameEN)
			return "", err
		})
		return saved(c, unit, err, toOrgUnitNode, "org unit renamed", "org_unit_id", unit.ID, "name", unit.Name)
	})
}

func (s *Server) deleteOrgUnit(c *gin.Context) {
	err := s.audited(c, store.Change{Action: store.ActionDelete, Kind: "org_unit", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		return "", tx.DeleteOrgUnit(c.Request.Context(), c.Param("id"))
	})
	noContent(c, err, "org unit deleted", "org_unit_id", c.Param("id"))
}

// adminDeptView is a department as the admin routes show it.
type adminDeptView struct {
	deptView
	OrgPath   string    `json:"org_path"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toAdminDeptView(d store.Department) adminDeptView {
	return adminDeptView{deptView: toDeptView(d), OrgPath: d.OrgPath, Active: d.Active, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func (s *Server) adminListDepartments(c *gin.Context) {
	ctx := c.Request.Context()
	q := &queryReader{c: c}
	f := store.DepartmentQuery{OrgUnitID: q.text("org_unit", 32), Kind: q.text("kind", 32), Active: q.bool("active"), Query: q.text("q", 100), Page: q.page()}
	f.Under = q.orgUnit(s.Store, "under").Path
	if q.failed() {
		return
	}
	rows, total, err := s.Store.FindDepartments(ctx, f)
	answerPage(c, rows, total, f.Page, err, toAdminDeptView)
}

type createDepartmentRequest struct {
	ID        string `json:"id" binding:"required,max=32"`
	Name      string `json:"name" binding:"required,max=128"`
	NameEN    string `json:"name_en" binding:"max=128"`
	Kind      string `json:"kind" binding:"required,max=32"`
	OrgUnitID string `json:"org_unit_id" binding:"required,max=32"`
	ParentID  string `json:"parent_id" binding:"max=40"`
}

func (s *Server) createDepartment(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createDepartmentRequest) (adminDeptView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return adminDeptView{}, err
		}
		var d store.Department
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "department"}, func(tx *store.Store) (string, error) {
			var err error
			d, err = tx.CreateDepartment(ctx, store.NewDepartment{ID: req.ID, Name: name, NameEN: strings.TrimSpace(req.NameEN),
				Kind: req.Kind, OrgUnitID: req.OrgUnitID, ParentID: req.ParentID})
			return d.ID, err
		})
		return saved(c, d, err, toAdminDeptView, "department created", "department_id", d.ID, "org_unit_id", d.OrgUnitID)
	})
}

type updateDepartmentRequest struct {
	Name   *string `json:"name" binding:"omitnil,max=128"`
	NameEN *string `json:"name_en" binding:"omitnil,max=128"`
	Active *bool   `json:"active"`
}

func (s *Server) updateDepartment(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *updateDepartmentRequest) (adminDeptView, error) {
		if req.Name == nil && req.NameEN == nil && req.Active == nil {
			return adminDeptView{}, nothingToChange("name, name_en, active")
		}
		name, err := editedText("name", req.Name)
		if err != nil {
			return adminDeptView{}, err
		}
		var d store.Department
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "department", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
			var err error
			d, err = tx.UpdateDepartment(ctx, c.Param("id"), store.DepartmentChange{Name: name, NameEN: trimmed(req.NameEN), Active: req.Active})
			return "", err
		})
		return saved(c, d, err, toAdminDeptView, "department updated", "department_id", d.ID, "active", d.Active)
	})
}
