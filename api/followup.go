package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// Follow-up before a breach (issue 14): urging a task's department (催办),
// supervision orders (督办) and their answers, the caller's to-do list
// (待办), and the supervisors' views of what is due soon, of orders and of
// urges per department.

type urgeRequest struct {
	Message string `json:"message" binding:"required,max=2000"`
}

// urge answers POST /tasks/{id}/urge: the holding unit's command centre or
// secretary, or a supervisor of the case's jurisdiction, presses the
// task's department. The workflow allows one urge per task an hour (429).
func (s *Server) urge(c *gin.Context) {
	taskAction(s, c, policy.Urge, workflows.UpdateUrge, func(req urgeRequest, task whistle.Task) any {
		return workflows.UrgeInput{Actor: caller(c), TaskID: task.ID, Message: req.Message}
	})
}

type supervisionOrderRequest struct {
	DepartmentIDs []string `json:"department_ids" binding:"required,min=1,max=10,dive,required,max=40"`
	Requirement   string   `json:"requirement" binding:"required,max=2000"`
	// Due is RFC 3339; it must lie ahead.
	Due string `json:"due" binding:"required,max=40"`
}

// issueSupervisionOrder answers POST /cases/{id}/supervision-orders: a
// supervisor (or command centre) of the case's jurisdiction orders named
// departments with a task on it to answer by due. The caller's unit
// issues the order and hears the answers.
func (s *Server) issueSupervisionOrder(c *gin.Context) {
	var req supervisionOrderRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	due, err := time.Parse(time.RFC3339, strings.TrimSpace(req.Due))
	switch {
	case err != nil:
		fail(c, whistle.Errorf(whistle.EInvalid, "督办期限 due 无效：%q（应为 RFC 3339 时间，如 2026-12-03T18:00:00+08:00）",
			"due is invalid: %q (want an RFC 3339 time, e.g. 2026-12-03T18:00:00+08:00)", req.Due))
		return
	case !due.After(time.Now()):
		fail(c, whistle.Errorf(whistle.EInvalid, "督办期限 due 须晚于现在：%s", "due must be in the future: %s", req.Due))
		return
	}
	if d := duplicate(req.DepartmentIDs); d != "" {
		fail(c, whistle.Errorf(whistle.EInvalid, "部门重复：%s", "department listed twice: %s", d))
		return
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.SuperviseCase)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	depts := make([]workflows.DepartmentRef, len(req.DepartmentIDs))
	for i, id := range req.DepartmentIDs {
		d, err := s.Store.Department(ctx, id)
		if err != nil {
			fail(c, invalidRef(err, "department_ids", id))
			return
		}
		depts[i] = workflows.DepartmentRef{ID: d.ID, Name: d.Name, OrgUnitID: d.OrgUnitID, OrgPath: d.OrgPath}
	}
	u := caller(c)
	unit, err := s.Store.OrgUnit(ctx, u.OrgUnitID)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateSupervisionOrder, workflows.SupervisionOrderInput{
		Actor: u, Departments: depts, Requirement: req.Requirement, Due: due.UTC(),
		Issuer: workflows.OrgRef{ID: unit.ID, Path: unit.Path, Level: whistle.LevelOf(whistle.OrgKind(unit.Kind))},
	})
}

type orderAnswerRequest struct {
	Answer string `json:"answer" binding:"required,max=5000"`
}

// answerSupervisionOrder answers POST /supervision-orders/{id}/answer: a
// clerk of a department the order names answers it. The policy lets a
// clerk answer for their own department; the workflow checks the order
// names it. A caller who may not see the case is told the order does not
// exist.
func (s *Server) answerSupervisionOrder(c *gin.Context) {
	var req orderAnswerRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	id := c.Param("id")
	caseID, ok := workflows.OrderCaseID(id)
	if !ok {
		fail(c, orderNotFound(id))
		return
	}
	ctx := c.Request.Context()
	u := caller(c)
	kase, err := s.authorizedCase(ctx, u, caseID, policy.ReadCase)
	if err != nil {
		if whistle.ErrorCode(err) == whistle.ENotFound {
			err = orderNotFound(id)
		}
		fail(c, err)
		return
	}
	obj := policy.Object{OrgPath: kase.OrgPath, HolderOrgPath: kase.HolderOrgPath, DepartmentID: u.DepartmentID}
	if err := s.Policy.Authorize(u, policy.AnswerOrder, obj); err != nil {
		fail(c, err)
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateAnswerSupervisionOrder, workflows.AnswerSupervisionOrderInput{Actor: u, OrderID: id, Answer: req.Answer})
}

func orderNotFound(id string) error {
	return whistle.Errorf(whistle.ENotFound, "督办单不存在：%s", "supervision order not found: %s", id)
}

// --- 待办 -----------------------------------------------------------------------

// todoActions are, for each kind of the to-do list, the action whose rule
// makes it the caller's: a department's kinds are asked on the caller's
// department, the others on a case filed at and held by the caller's unit.
var todoActions = map[string]policy.Action{
	store.TodoReport: policy.ReportTask, store.TodoFeedback: policy.Feedback, store.TodoOrder: policy.AnswerOrder,
	store.TodoExtension: policy.AnswerExtension, store.TodoReturn: policy.AnswerReturn, store.TodoIntake: policy.Accept,
	store.TodoEscalation: policy.AnswerEscalation, store.TodoUnresolvable: policy.AnswerUnresolvable,
	store.TodoVerify: policy.Verify, store.TodoEvaluate: policy.Evaluate, store.TodoCallback: policy.Callback,
	store.TodoOrderOpen: policy.SuperviseCase, store.TodoOrderOverdue: policy.SuperviseCase,
}

func departmentKind(kind string) bool {
	return kind == store.TodoReport || kind == store.TodoFeedback || kind == store.TodoOrder
}

// todoView is GET /todo's answer: the count of each kind that is the
// caller's (0 included), the total and the items, the earliest deadline
// first (items without one last).
type todoView struct {
	Counts map[string]int   `json:"counts"`
	Total  int              `json:"total"`
	Items  []store.TodoItem `json:"items"`
}

// todo answers GET /api/v1/todo: everything that waits on the caller. The
// kinds are those the policy gives the caller's role (todoActions); a
// result to verify or evaluate is listed only where the caller's unit is
// on the filer's side of the case; an order, to whoever issued it.
func (s *Server) todo(c *gin.Context) {
	u := caller(c)
	ctx := c.Request.Context()
	who := store.TodoFor{DepartmentID: u.DepartmentID, OrgUnitID: u.OrgUnitID, OrgPath: string(u.OrgPath), Username: u.Username, Now: time.Now()}
	out := todoView{Counts: map[string]int{}, Items: []store.TodoItem{}}
	for _, kind := range store.TodoKinds {
		act := todoActions[kind]
		obj := policy.Object{OrgPath: string(u.OrgPath), HolderOrgPath: string(u.OrgPath)}
		if departmentKind(kind) {
			if u.DepartmentID == "" {
				continue
			}
			obj = policy.Object{DepartmentID: u.DepartmentID}
		}
		if !u.OrgPath.Valid() && !departmentKind(kind) || s.Policy.Authorize(u, act, obj) != nil {
			continue
		}
		items, err := s.Store.Todo(ctx, kind, who)
		if err != nil {
			fail(c, err)
			return
		}
		if kind == store.TodoVerify || kind == store.TodoEvaluate || kind == store.TodoCallback {
			items = slices.DeleteFunc(items, func(it store.TodoItem) bool {
				return s.Policy.Authorize(u, act, policy.Object{OrgPath: it.OrgPath, HolderOrgPath: it.HolderOrgPath}) != nil
			})
		}
		out.Counts[kind] = len(items)
		out.Items = append(out.Items, items...)
	}
	out.Total = len(out.Items)
	slices.SortStableFunc(out.Items, func(a, b store.TodoItem) int {
		switch {
		case a.Deadline == nil && b.Deadline == nil:
			return 0
		case a.Deadline == nil:
			return 1
		case b.Deadline == nil:
			return -1
		}
		return a.Deadline.Compare(*b.Deadline)
	})
	c.JSON(http.StatusOK, out)
}

// --- supervision views ------------------------------------------------------------

// listDueSoon serves GET /api/v1/supervision/due-soon: the open tasks in
// the caller's jurisdiction whose next deadline (report, else handling)
// falls within the coming hours, the earliest first or (sort=warning) red,
// then yellow, then the others.
//
// Query: hours (1–168, default 4), sort (deadline | warning), warning
// (yellow | red), department, org, page, page_size, format (csv | xlsx).
func (s *Server) listDueSoon(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.DueSoonFilter{
		Within:       time.Duration(q.int("hours", 4, 1, 168)) * time.Hour,
		Sort:         q.oneOf("sort", store.SortDeadline, store.SortWarning),
		Warning:      q.oneOf("warning", whistle.WarningYellow, whistle.WarningRed),
		DepartmentID: q.text("department", 40),
		Now:          time.Now(),
	}
	serveSupervisionList(s, c, q, func(ctx context.Context, w listWindow) ([]store.TaskView, int64, error) {
		f.Scope, f.OrgPath, f.Page, f.Limit = w.scope, w.orgPath, w.page, w.limit
		return s.Store.ListDueSoon(ctx, f)
	}, dueSoonTable)
}

// listOrders serves GET /api/v1/supervision/orders: the named departments'
// parts of supervision orders on cases in the caller's jurisdiction, the
// earliest due first.
//
// Query: status (open: not answered yet, overdue ones included | overdue:
// not answered past due | answered), department, from, to (issued),
// org, page, page_size, format (csv | xlsx).
func (s *Server) listOrders(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.OrderFilter{
		Status:       q.oneOf("status", store.OrderStatuses...),
		DepartmentID: q.text("department", 40),
		From:         q.time("from"),
		To:           q.time("to"),
		Now:          time.Now(),
	}
	serveSupervisionList(s, c, q, func(ctx context.Context, w listWindow) ([]store.OrderView, int64, error) {
		f.Scope, f.OrgPath, f.Page, f.Limit = w.scope, w.orgPath, w.page, w.limit
		return s.Store.ListOrders(ctx, f)
	}, orderTable)
}

// urgeCounts serves GET /api/v1/supervision/urges: how often each
// department was urged (催办) on cases in the caller's jurisdiction, and
// on how many tasks, the most urged first.
//
// Query: from, to (urged in [from, to)), department, org, format (csv | xlsx).
func (s *Server) urgeCounts(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.UrgeFilter{From: q.time("from"), To: q.time("to"), DepartmentID: q.text("department", 40)}
	v, format, ok := s.superviseRequest(c, q)
	if !ok {
		return
	}
	f.Scope, f.OrgPath = v.listScope(), v.narrowed
	items, err := s.Store.UrgeCounts(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	if items == nil {
		items = []store.UrgeCount{}
	}
	if isExport(format) {
		t := table{file: "urges", fileZH: "催办统计", sheet: "催办统计", total: int64(len(items)), headers: []string{"部门编号", "部门名称", "催办次数", "被催办任务数"}}
		for _, u := range items {
			t.rows = append(t.rows, []any{u.DepartmentID, u.DepartmentName, u.Urges, u.Tasks})
		}
		s.export(c, format, t)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

var (
	warningZH     = map[string]string{whistle.WarningYellow: "黄色预警", whistle.WarningRed: "红色预警"}
	orderStatusZH = map[string]string{store.OrderOpen: "待答复", store.OrderOverdue: "已逾期", store.OrderAnswered: "已答复"}
)

func dueSoonTable(items []store.TaskView, total int64) table {
	t := table{file: "due-soon", fileZH: "临期任务", sheet: "临期任务", total: total,
		headers: []string{"任务编号", "案件编号", "案件标题", "部门编号", "部门名称", "任务状态", "哨类", "预警", "下一期限", "催办次数"}}
	for _, v := range items {
		t.rows = append(t.rows, []any{v.ID, v.CaseID, v.CaseTitle, v.DepartmentID, v.DepartmentName, string(v.Status), zhOf(classZH, string(v.Class)),
			zhOf(warningZH, v.Warning), v.NextDeadline, v.Urges})
	}
	return t
}

func orderTable(items []store.OrderView, total int64) table {
	t := table{file: "supervision-orders", fileZH: "督办单", sheet: "督办单", total: total,
		headers: []string{"督办单号", "案件编号", "案件号", "案件标题", "督办要求", "期限", "督办时间", "督办人", "部门编号", "部门名称", "状态", "答复", "答复时间", "答复人", "逾期", "逾期答复"}}
	for _, o := range items {
		t.rows = append(t.rows, []any{o.OrderID, o.CaseID, o.Number, o.CaseTitle, o.Requirement, o.Due, o.IssuedAt, o.IssuedBy, o.DepartmentID, o.DepartmentName,
			zhOf(orderStatusZH, o.Status), o.Answer, o.AnsweredAt, o.AnsweredBy, o.Breached, o.Late})
	}
	return t
}
