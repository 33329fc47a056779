package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// The four levels both ways and the exceptions of a joint case (issue 13):
// dispatch down (派单) and recall, answered escalations and returns,
// dropped departments, the lead (主办) and its releases, unresolvable
// cases (挂账). The holding level's actions are authorized as any other
// on the case; an answer (recall, escalation, unresolvable) is authorized
// against the unit that must give it, which the workflow's live state
// names (answerAction).

type dispatchRequest struct {
	To     string `json:"to" binding:"required,max=40"`
	Reason string `json:"reason" binding:"max=2000"`
}

// dispatch answers POST /cases/{id}/dispatch: the holder's command centre
// hands the case down to a unit inside its jurisdiction.
func (s *Server) dispatch(c *gin.Context) {
	var req dispatchRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	s.dispatchTo(c, req.To, req.Reason)
}

// dispatchTo authorizes a dispatch of the route's case to unit and sends
// it (for POST /dispatch and for accept's dispatch_to).
func (s *Server) dispatchTo(c *gin.Context, unit, reason string) {
	kase, ok := s.caseFor(c, c.Param("id"), policy.Dispatch)
	if !ok {
		return
	}
	u := caller(c)
	to, chain, err := s.dispatchTarget(c.Request.Context(), u, unit)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateDispatch, workflows.DispatchInput{
		Actor: u, To: to, Chain: chain, Reason: reason, HolderOrgUnitID: kase.HolderOrgUnitID,
	})
}

// dispatchTarget loads the unit a case is dispatched to and its command
// chain up to the city, bottom first. The unit must be a command level
// (not a grid) strictly inside the caller's unit: an unknown unit is
// invalid, one outside is forbidden.
func (s *Server) dispatchTarget(ctx context.Context, u whistle.Actor, id string) (workflows.OrgRef, []workflows.OrgRef, error) {
	unit, err := s.Store.OrgUnit(ctx, id)
	if err != nil {
		return workflows.OrgRef{}, nil, invalidRef(err, "to", id)
	}
	path, own := whistle.OrgPath(unit.Path), whistle.OrgPath(policy.ActingUnit(u))
	if path == own || !path.Within(own) {
		return workflows.OrgRef{}, nil, whistle.Errorf(whistle.EForbidden, "只能派往本级辖区内的下级单位：%s", "you may dispatch only to a unit below yours, inside your jurisdiction: %s", id)
	}
	if unit.Kind == string(whistle.OrgGrid) {
		return workflows.OrgRef{}, nil, whistle.Errorf(whistle.EInvalid, "网格不是指挥层级，请派往其所在社区：%s", "a grid is no command level: dispatch to its community instead: %s", id)
	}
	units, err := s.Store.Chain(ctx, unit.ID)
	if err != nil {
		return workflows.OrgRef{}, nil, fmt.Errorf("dispatch to %s: %w", id, err)
	}
	chain := make([]workflows.OrgRef, len(units))
	for i, o := range units {
		chain[i] = workflows.OrgRef{ID: o.ID, Path: o.Path, Level: whistle.LevelOf(whistle.OrgKind(o.Kind))}
	}
	return chain[0], chain, nil
}

// recall answers POST /cases/{id}/recall: the unit that dispatched the
// case takes it back.
func (s *Server) recall(c *gin.Context) {
	answerAction(s, c, policy.Recall, func(live whistle.Case) (string, error) {
		if d := live.Recallable(); d != nil {
			return d.FromOrgPath, nil
		}
		return "", whistle.Errorf(whistle.EConflict, "案件不是由派单转到当前层级的，无可收回", "the case was not dispatched to its holder: nothing to recall")
	}, func(req optionalReasonRequest, u whistle.Actor, live whistle.Case) any {
		return workflows.RecallInput{Actor: u, Reason: req.Reason, ByOrgUnitID: u.OrgUnitID, HolderOrgUnitID: live.HolderOrgUnitID}
	})
}

type answerRequest struct {
	Accept  *bool  `json:"accept" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

// answerEscalation answers POST /cases/{id}/escalation/answer: the unit
// the open escalation waits on (the level above; the asking level itself
// while it reviews) accepts it or sends it back with instructions.
func (s *Server) answerEscalation(c *gin.Context) {
	answerAction(s, c, policy.AnswerEscalation, func(live whistle.Case) (string, error) {
		switch e := live.OpenEscalation(); {
		case e == nil:
		case e.Status == whistle.EscalationInReview:
			return live.HolderOrgPath, nil
		default:
			return e.ToOrgPath, nil
		}
		return "", whistle.Errorf(whistle.EConflict, "案件没有待答复的上报", "the case has no escalation awaiting an answer")
	}, func(req answerRequest, u whistle.Actor, _ whistle.Case) any {
		return workflows.AnswerEscalationInput{Actor: u, Accept: *req.Accept, Comment: req.Comment, ByOrgUnitID: u.OrgUnitID}
	})
}

type approveRequest struct {
	Approve *bool  `json:"approve" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

// answerUnresolvable answers POST /cases/{id}/unresolvable/answer: the
// level above approves or refuses the holder's application (挂账).
func (s *Server) answerUnresolvable(c *gin.Context) {
	answerAction(s, c, policy.AnswerUnresolvable, func(live whistle.Case) (string, error) {
		if u := live.Unresolvable; u != nil && u.Status == whistle.UnresolvablePending {
			return u.ApproverOrgPath, nil
		}
		return "", whistle.Errorf(whistle.EConflict, "案件没有待审批的挂账申请", "the case has no pending unresolvable application")
	}, func(req approveRequest, u whistle.Actor, _ whistle.Case) any {
		return workflows.AnswerUnresolvableInput{Actor: u, Approve: *req.Approve, Comment: req.Comment, ByOrgUnitID: u.OrgUnitID}
	})
}

// optionalReasonRequest is a body whose reason may be left out.
type optionalReasonRequest struct {
	Reason string `json:"reason" binding:"max=2000"`
}

// answerAction is caseAction for an answer given by a unit other than,
// perhaps, the holder: the caller must see the case (else the 404 of an
// unknown id), its role must have act at all (else the default refusal,
// before Temporal is asked), and act must hold against the unit that at
// finds in the workflow's live state, as the holder relation sees it. The
// read model may lag the workflow by a projection; the unit that must
// answer is the workflow's to say. at answers a conflict when there is
// nothing to answer.
func answerAction[Req any](s *Server, c *gin.Context, act policy.Action, at func(whistle.Case) (string, error),
	input func(Req, whistle.Actor, whistle.Case) any) {
	var req Req
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.ReadCase)
	if !ok {
		return
	}
	u := caller(c)
	if err := s.Policy.Authorize(u, act, policy.Object{HolderOrgPath: policy.ActingUnit(u)}); err != nil {
		fail(c, err)
		return
	}
	if kase.Status == whistle.CaseClosed {
		fail(c, caseClosed(kase.ID))
		return
	}
	live, err := s.liveCase(c.Request.Context(), kase.ID)
	if err != nil {
		fail(c, err)
		return
	}
	path, err := at(live)
	if err == nil {
		err = s.Policy.Authorize(u, act, policy.Object{OrgPath: live.OrgPath, HolderOrgPath: path})
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, updateOf(act), input(req, u, live))
}

// updateOf is the workflow update of an answer.
func updateOf(act policy.Action) string {
	switch act {
	case policy.Recall:
		return workflows.UpdateRecall
	case policy.AnswerEscalation:
		return workflows.UpdateAnswerEscalation
	case policy.AnswerUnresolvable:
		return workflows.UpdateAnswerUnresolvable
	}
	panic("api: no update for " + string(act))
}

// liveCase asks the case's workflow for its state now (the state query).
func (s *Server) liveCase(ctx context.Context, id string) (whistle.Case, error) {
	if s.Temporal == nil {
		return whistle.Case{}, fmt.Errorf("case %s: %w: no Temporal client", id, errUnavailable)
	}
	v, err := s.Temporal.QueryWorkflow(ctx, workflows.WorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return whistle.Case{}, temporalError(err, id)
	}
	var live whistle.Case
	if err := v.Get(&live); err != nil {
		return whistle.Case{}, fmt.Errorf("case %s: read its state: %w", id, err)
	}
	return live, nil
}

type answerReturnRequest struct {
	Accept  *bool  `json:"accept" binding:"required"`
	Comment string `json:"comment" binding:"max=2000"`
}

// answerReturn answers POST /cases/{id}/returns/{task_id}/answer: the
// holder accepts a department's return (then re-routes or drops it) or
// refuses it with the reason (the task goes back, its clocks running).
func (s *Server) answerReturn(c *gin.Context) {
	caseAction(s, c, policy.AnswerReturn, workflows.UpdateAnswerReturn, func(req answerReturnRequest, kase whistle.Case) any {
		return workflows.AnswerReturnInput{Actor: caller(c), TaskID: c.Param("task_id"), Accept: *req.Accept, Comment: req.Comment, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

// drop answers POST /cases/{id}/tasks/{task_id}/drop: the holder withdraws
// a wrongly summoned department without a replacement.
func (s *Server) drop(c *gin.Context) {
	caseAction(s, c, policy.Drop, workflows.UpdateDrop, func(req reasonRequest, kase whistle.Case) any {
		return workflows.DropInput{Actor: caller(c), TaskID: c.Param("task_id"), Reason: req.Reason, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

// setLead answers POST /cases/{id}/tasks/{task_id}/lead: the holder makes
// the task's department the lead (主办); the others assist. The body, if
// any, is ignored.
func (s *Server) setLead(c *gin.Context) {
	kase, ok := s.caseFor(c, c.Param("id"), policy.SetLead)
	if !ok {
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateSetLead, workflows.SetLeadInput{Actor: caller(c), TaskID: c.Param("task_id"), HolderOrgUnitID: kase.HolderOrgUnitID})
}

// release answers POST /tasks/{id}/release: the lead department releases
// an assisting one (the task of the route). The policy lets a clerk whose
// department has a task on the case; the workflow checks it is the lead.
func (s *Server) release(c *gin.Context) {
	var req reasonRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	id := c.Param("id")
	task, err := s.Store.TaskByID(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	kase, err := s.authorizedCase(ctx, caller(c), task.CaseID, policy.Release)
	if err != nil {
		if whistle.ErrorCode(err) == whistle.ENotFound {
			err = store.NotFound("task", id) // as taskFor: nothing told of a task out of reach
		}
		fail(c, err)
		return
	}
	s.respondTask(c, task, kase, workflows.UpdateRelease, workflows.ReleaseInput{Actor: caller(c), TaskID: task.ID, Reason: req.Reason})
}

// applyUnresolvable answers POST /cases/{id}/unresolvable: the holder
// applies to close the case as unresolvable for now (疑难件/挂账).
func (s *Server) applyUnresolvable(c *gin.Context) {
	caseAction(s, c, policy.ApplyUnresolvable, workflows.UpdateApplyUnresolvable, func(req reasonRequest, kase whistle.Case) any {
		return workflows.UnresolvableInput{Actor: caller(c), Reason: req.Reason, HolderOrgUnitID: kase.HolderOrgUnitID}
	})
}

// --- escalation review per level (admin) ---------------------------------------

// escalationReviewView is one level's escalation review setting.
type escalationReviewView struct {
	Level     string     `json:"level"`
	Review    bool       `json:"review"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func reviewView(row store.EscalationReview) escalationReviewView {
	v := escalationReviewView{Level: row.Level, Review: row.Review, UpdatedBy: row.UpdatedBy}
	if !row.UpdatedAt.IsZero() {
		at := row.UpdatedAt.UTC()
		v.UpdatedAt = &at
	}
	return v
}

// reviewLevel reads the route's :level.
func reviewLevel(c *gin.Context) (whistle.Level, error) {
	level := whistle.Level(c.Param("level"))
	if !level.Valid() {
		return "", whistle.Errorf(whistle.EInvalid, "层级无效：%[1]q（可选 %[2]s）", "invalid level %[1]q (one of %[3]s)",
			string(level), strings.Join(names(whistle.Levels), "、"), strings.Join(names(whistle.Levels), ", "))
	}
	return level, nil
}

// getEscalationReview answers GET /admin/escalation-review/{level}.
func (s *Server) getEscalationReview(c *gin.Context) {
	level, err := reviewLevel(c)
	if err != nil {
		fail(c, err)
		return
	}
	row, err := s.Store.EscalationReviewFor(c.Request.Context(), level)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, reviewView(row))
}

type escalationReviewRequest struct {
	Review *bool `json:"review" binding:"required"`
}

// putEscalationReview answers PUT /admin/escalation-review/{level}: whether
// escalations asked for at the level are reviewed by its own command
// centre first. It applies to escalations asked for after it.
func (s *Server) putEscalationReview(c *gin.Context) {
	level, err := reviewLevel(c)
	if err != nil {
		fail(c, err)
		return
	}
	applyBody(c, http.StatusOK, func(ctx context.Context, req *escalationReviewRequest) (escalationReviewView, error) {
		row := store.EscalationReview{Level: string(level), Review: *req.Review, UpdatedBy: caller(c).Username}
		if cur, err := s.Store.EscalationReviewFor(ctx, level); err != nil {
			return escalationReviewView{}, err
		} else if !cur.CreatedAt.IsZero() {
			row.CreatedAt = cur.CreatedAt // Save replaces the row: keep when it was first set
		}
		err := s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "escalation_review", ObjectID: row.Level}, func(tx *store.Store) (string, error) {
			var err error
			row, err = tx.PutEscalationReview(ctx, row)
			return "", err
		})
		return saved(c, row, err, reviewView, "escalation review changed", "level", level, "review", row.Review)
	})
}

// listUnresolvable serves GET /api/v1/supervision/unresolvable: the 挂账
// list of the caller's jurisdiction, the latest application first: cases
// closed as unresolvable and applications awaiting the level above.
//
// Query: status (pending | approved), from, to (application time), org,
// class, page, page_size, format (csv | xlsx).
func (s *Server) listUnresolvable(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.UnresolvableFilter{
		Status: q.oneOf("status", store.UnresolvableListed...),
		From:   q.time("from"),
		To:     q.time("to"),
		Class:  q.oneOf("class", names(whistle.Classes)...),
	}
	serveSupervisionList(s, c, q, func(ctx context.Context, w listWindow) ([]store.UnresolvableView, int64, error) {
		f.OrgPath, f.Page, f.Limit = w.orgPath, w.page, w.limit
		return s.Store.ListUnresolvable(ctx, w.scope, f)
	}, unresolvableTable)
}

var unresolvableZH = map[string]string{whistle.UnresolvablePending: "待审批", whistle.UnresolvableApproved: "已批准挂账"}

func unresolvableTable(items []store.UnresolvableView, total int64) table {
	t := table{file: "unresolvable", fileZH: "挂账案件", sheet: "挂账案件", total: total,
		headers: []string{"案件编号", "案件号", "案件标题", "案件状态", "哨类", "所在层级", "申请状态", "申请理由", "审批单位", "申请时间", "申请人", "审批时间", "审批人", "审批意见", "结案时间"}}
	for _, u := range items {
		t.rows = append(t.rows, []any{u.CaseID, u.Number, u.CaseTitle, zhOf(statusZH, u.CaseStatus), zhOf(classZH, u.Class), zhOf(levelZH, u.Level),
			zhOf(unresolvableZH, u.Status), u.Reason, u.ApproverOrgUnitID, u.RequestedAt, u.RequestedBy, u.AnsweredAt, u.AnsweredBy, u.Comment, u.ClosedAt})
	}
	return t
}
