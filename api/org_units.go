package api

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// maxUnitsBelow caps GET /org-units: a district has a few dozen streets
// and a few hundred communities; a bigger answer must be narrowed by depth.
const maxUnitsBelow = 2000

// communityDepth is a community's depth in the org tree (a city is 1):
// the lowest unit that holds cases; grids below it do not.
const communityDepth = 4

// listUnitsBelow answers GET /api/v1/org-units: the units below the
// caller's own, down to communities (depth= limits how many levels), so a
// command centre can pick where to dispatch a case (派单). A department's
// clerk, who dispatches nothing, gets an empty list.
func (s *Server) listUnitsBelow(c *gin.Context) {
	u := caller(c)
	q := &queryReader{c: c}
	depth := q.int("depth", 0, 0, communityDepth)
	if q.failed() {
		return
	}
	if u.OrgUnitID == "" || u.DepartmentID != "" {
		answerAll(c, []store.OrgUnit{}, nil, toOrgUnitNode)
		return
	}
	ctx := c.Request.Context()
	own, err := s.Store.OrgUnit(ctx, u.OrgUnitID)
	if err != nil {
		fail(c, err)
		return
	}
	f := store.OrgUnitFilter{Under: own.Path, MaxDepth: communityDepth, Limit: maxUnitsBelow + 1}
	if depth > 0 {
		f.MaxDepth = min(own.Depth+depth, communityDepth)
	}
	rows, _, err := s.Store.OrgUnits(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	rows = slices.DeleteFunc(rows, func(o store.OrgUnit) bool { return o.ID == own.ID })
	if len(rows) > maxUnitsBelow {
		fail(c, whistle.Errorf(whistle.EInvalid, "下级单位超过 %d 个：请用 depth 缩小范围", "more than %d units below: narrow with depth", maxUnitsBelow))
		return
	}
	answerAll(c, rows, nil, toOrgUnitNode)
}
