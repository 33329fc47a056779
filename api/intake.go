package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// The acceptance queue (受理): pending cases filed without departments
// wait at their level's command centre, which accepts and whistles them,
// rejects them (不予受理) or merges them into another case (并案).

// intakeItem is a pending case as the queue shows it: the case and
// whether its acceptance deadline has passed.
type intakeItem struct {
	whistle.Case
	AcceptOverdue bool `json:"accept_overdue"`
}

// listIntake answers GET /api/v1/intake: the pending cases held at the
// caller's acting unit (policy.ActingUnit), oldest first, with the filters
// of GET /cases. Only a role that may accept there may list them.
func (s *Server) listIntake(c *gin.Context) {
	sub := caller(c)
	q := &queryReader{c: c}
	f := store.IntakeFilter{CaseFilter: store.CaseFilter{
		Scope:   s.scope(sub),
		Class:   q.oneOf("class", names(whistle.Classes)...),
		Level:   q.oneOf("level", names(whistle.Levels)...),
		Overdue: q.bool("overdue"),
		From:    q.time("from"),
		To:      q.time("to"),
		Query:   q.text("q", 100),
		Page:    q.page(),
	}, HolderOrgPath: policy.ActingUnit(sub), Now: time.Now()}
	f.OrgPath = q.orgUnit(s.Store, "org").Path
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if err := s.Policy.Authorize(sub, policy.Accept, policy.Object{HolderOrgPath: f.HolderOrgPath}); err != nil {
		fail(c, err)
		return
	}
	cases, total, err := s.Store.ListIntake(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]intakeItem, len(cases))
	for i, k := range cases {
		items[i] = intakeItem{Case: k, AcceptOverdue: k.AcceptDeadline != nil && !k.AcceptDeadline.After(f.Now)}
	}
	c.JSON(http.StatusOK, newList(items, total, f.Page.Normalize()))
}

// acceptRequest is the body of POST /cases/{id}/accept: the departments
// to whistle, or the unit to hand the case down to (dispatch_to); exactly
// one.
type acceptRequest struct {
	DepartmentIDs []string `json:"department_ids" binding:"max=10,dive,required,max=40"`
	DispatchTo    string   `json:"dispatch_to" binding:"max=40"`
	Reason        string   `json:"reason" binding:"max=2000"`
}

// accept answers POST /cases/{id}/accept: the holder accepts the pending
// case and whistles the departments, each checked as a summons is, or
// dispatches it down (派单) as POST /dispatch does.
func (s *Server) accept(c *gin.Context) {
	var req acceptRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if (len(req.DepartmentIDs) == 0) == (req.DispatchTo == "") {
		fail(c, whistle.Errorf(whistle.EInvalid, "请给出 department_ids 或 dispatch_to 之一", "give exactly one of department_ids and dispatch_to"))
		return
	}
	if req.DispatchTo != "" {
		s.dispatchTo(c, req.DispatchTo, req.Reason)
		return
	}
	s.summonAction(c, policy.Accept, workflows.UpdateAccept, req.DepartmentIDs, func(u whistle.Actor, kase whistle.Case, depts []workflows.DepartmentRef) any {
		return workflows.AcceptInput{Actor: u, Departments: depts, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

// reject answers POST /cases/{id}/reject: 不予受理, with the reason.
func (s *Server) reject(c *gin.Context) {
	caseAction(s, c, policy.Reject, workflows.UpdateReject, func(req reasonRequest, kase whistle.Case) any {
		return workflows.RejectInput{Actor: caller(c), Reason: req.Reason, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

type mergeRequest struct {
	Into string `json:"into" binding:"required,max=40"`
}

// merge answers POST /cases/{id}/merge: the holder closes the pending case
// into the case Into, which must be another case, not closed, inside the
// caller's jurisdiction (one the caller may read; any other answers as an
// unknown case, so the refusal tells nothing of cases outside it).
func (s *Server) merge(c *gin.Context) {
	var req mergeRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Merge)
	if !ok {
		return
	}
	if req.Into == kase.ID {
		fail(c, whistle.Errorf(whistle.EInvalid, "案件不能并入自身", "a case cannot be merged into itself"))
		return
	}
	u := caller(c)
	into, err := s.authorizedCase(c.Request.Context(), u, req.Into, policy.ReadCase)
	if err == nil {
		// Reading is not enough: the filer of a case merged into another
		// may read the survivor wherever it lies (authorizedCase), but a
		// merge stays inside the caller's jurisdiction.
		err = s.Policy.Authorize(u, policy.ReadCase, policy.Object{OrgPath: into.OrgPath, HolderOrgPath: into.HolderOrgPath})
		if err != nil {
			err = store.NotFound("case", req.Into)
		}
	}
	if err != nil {
		fail(c, invalidRef(err, "into", req.Into))
		return
	}
	if into.Status == whistle.CaseClosed {
		fail(c, whistle.Errorf(whistle.EConflict, "不能并入已结案的案件：%s", "cannot merge into a closed case: %s", into.ID))
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateMerge, workflows.MergeInput{Actor: u, Into: into.ID, IntoTitle: into.Title, HolderOrgUnitID: kase.HolderOrgUnitID})
}
