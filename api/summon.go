package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// Who may be summoned from where: the policy's Summon rules decide each
// department (maySummon); summonableNear lists the departments that can
// pass them for a case held at a unit, for the whistleable list and the
// catalogue's defaults; summonable checks the departments a caller named.

// maySummon returns nil if sub may summon d for a case held at holder, and
// the policy's refusal otherwise.
func (s *Server) maySummon(sub whistle.Actor, holder string, d store.Department) error {
	return s.Policy.Authorize(sub, policy.Summon, policy.Object{HolderOrgPath: holder, DepartmentID: d.ID, DepartmentOrgPath: d.OrgPath})
}

// summonableNear returns the active departments sub may summon for a case
// held at holder, ordered by org path and id. Only departments stationed at
// the unit directly above the holder or inside the holder's subtree (a
// command centre whistles the levels below it) are considered: no Summon
// relation reaches farther.
func (s *Server) summonableNear(ctx context.Context, sub whistle.Actor, holder whistle.OrgPath) ([]store.Department, error) {
	depts, err := s.Store.ListDepartments(ctx, store.DepartmentFilter{PathPrefix: string(holder)})
	if err != nil {
		return nil, err
	}
	if up := holder.Parent(); up != "" {
		above, err := s.Store.ListDepartments(ctx, store.DepartmentFilter{OrgUnitIDs: []string{up.Unit()}})
		if err != nil {
			return nil, err
		}
		depts = append(above, depts...) // the parent's path sorts before its subtree's
	}
	var allowed []store.Department
	for _, d := range depts {
		if s.maySummon(sub, string(holder), d) == nil {
			allowed = append(allowed, d)
		}
	}
	return allowed, nil
}

// defaultFor picks, for each department kind of a catalogue item, the
// department of that kind nearest the holding unit that sub may summon: at
// the holding unit itself, else at the unit directly above (a community's
// street squads). It returns an invalid error when no kind has such a
// department.
func (s *Server) defaultFor(ctx context.Context, sub whistle.Actor, holder whistle.OrgPath, item store.CatalogueItem) ([]string, error) {
	depts, err := s.summonableNear(ctx, sub, holder)
	if err != nil {
		return nil, err
	}
	nearestFirst := []string{holder.Unit(), holder.Parent().Unit()}
	var ids []string
	for _, kind := range strings.Split(item.DepartmentKinds, ",") {
	units:
		for _, unit := range nearestFirst {
			for _, d := range depts {
				if d.Kind == kind && d.OrgUnitID == unit {
					ids = append(ids, d.ID)
					break units
				}
			}
		}
	}
	if len(ids) == 0 {
		return nil, whistle.Errorf(whistle.EInvalid, "本级附近没有可呼叫的“%s”（%s）部门，请给出 department_ids", "no department of the kinds of %q (%s) may be summoned from your level; give department_ids",
			item.Name, item.DepartmentKinds)
	}
	return ids, nil
}

// summonable loads the departments a caller named and checks sub may
// summon each for a case held at holder: an unknown or inactive department
// is invalid, one out of reach is the policy's refusal.
func (s *Server) summonable(ctx context.Context, sub whistle.Actor, holder string, ids []string) ([]workflows.DepartmentRef, error) {
	depts, err := s.Store.Departments(ctx, ids)
	if err != nil {
		return nil, invalidRef(err, "department_ids", "")
	}
	refs := make([]workflows.DepartmentRef, len(depts))
	for i, d := range depts {
		if !d.Active {
			return nil, whistle.Errorf(whistle.EInvalid, "部门已停用：%s", "department is inactive: %s", d.ID)
		}
		if err := s.maySummon(sub, holder, d); err != nil {
			return nil, fmt.Errorf("summon %s (%s): %w", d.ID, d.Name, err)
		}
		refs[i] = workflows.DepartmentRef{ID: d.ID, Name: d.Name, OrgUnitID: d.OrgUnitID, OrgPath: d.OrgPath}
	}
	return refs, nil
}

// summonAction answers an action that summons departments to the case of
// the route's :id (whistling more, accepting a pending case): the caller
// must be allowed act on the case and to summon each of ids from its
// holder; input builds the update from the caller, the case and the
// departments.
func (s *Server) summonAction(c *gin.Context, act policy.Action, name string, ids []string,
	input func(whistle.Actor, whistle.Case, []workflows.DepartmentRef) any) {
	kase, ok := s.caseFor(c, c.Param("id"), act)
	if !ok {
		return
	}
	u := caller(c)
	depts, err := s.summonable(c.Request.Context(), u, kase.HolderOrgPath, ids)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, name, input(u, kase, depts))
}
