package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Appeals against a case's attribution in a published month (申诉, issue
// 17; docs/supervision.md “Appeals”): a department's clerk, or its
// bureau's, files one within the window; a supervisor of the case's
// jurisdiction answers; an upheld one is applied by the next publication.

// The appeal refusals answered 422 (errors.go).
const (
	eAppealWindow    = store.EAppealWindow
	eAppealNotInCell = store.EAppealNotInCell
)

func (s *Server) appealRoutes(v1 *gin.RouterGroup) {
	g := v1.Group("/supervision")
	g.GET("/appeals", s.listAppeals)
	g.GET("/appeals/cells", s.appealCells)
	g.POST("/appeals", s.fileAppeal)
	g.POST("/appeals/:id/answer", s.answerAppeal)
	g.GET("/appeal-settings", s.appealSettings)
	g.PUT("/appeal-settings", s.requireAdmin(), s.putAppealSettings)
	s.periodicRoutes(v1) // periodic.go
}

type appealRequest struct {
	Month        string `json:"month" binding:"required,max=7"`
	CaseID       string `json:"case_id" binding:"required,max=40"`
	DepartmentID string `json:"department_id" binding:"required,max=40"`
	Rate         string `json:"rate" binding:"required,max=20"`
	Reason       string `json:"reason" binding:"required,max=8000"`
}

// appealView is an appeal as the API answers it, with the window's end.
type appealView struct {
	store.SupervisionAppeal
	WindowClosesAt time.Time `json:"window_closes_at"`
}

func (s *Server) appealView(c *gin.Context, a store.SupervisionAppeal) (appealView, error) {
	days, err := s.Store.AppealDays(c.Request.Context())
	if err != nil {
		return appealView{}, err
	}
	return appealView{SupervisionAppeal: a, WindowClosesAt: store.AppealWindowEnd(a.Month, days).UTC()}, nil
}

// appealMonth reads a YYYY-MM month of a body as YYYYMM.
func appealMonth(v string) (int, error) {
	t, err := time.Parse("2006-01", v)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return 0, whistle.Errorf(whistle.EInvalid, "month 应为 YYYY-MM 月份，收到 %q", "month: want a YYYY-MM month, got %q", v)
	}
	return t.Year()*100 + int(t.Month()), nil
}

// fileAppeal serves POST /api/v1/supervision/appeals: 201 with the appeal;
// 422 appeal_window_closed (month not published or window over) or
// not_in_cell (the case is not in the department's cells of the month),
// 409 for an open or upheld appeal of the same case, month and department.
func (s *Server) fileAppeal(c *gin.Context) {
	var req appealRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	month, err := appealMonth(req.Month)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	dept, err := s.Store.Department(ctx, req.DepartmentID)
	if err != nil {
		fail(c, invalidRef(err, "department_id", req.DepartmentID))
		return
	}
	obj := policy.Object{DepartmentID: dept.ID}
	if dept.ParentID != nil {
		obj.DepartmentParentID = *dept.ParentID
	}
	u := caller(c)
	if err := s.Policy.Authorize(u, policy.Appeal, obj); err != nil {
		fail(c, err)
		return
	}
	a, err := s.Store.FileAppeal(ctx, store.AppealRequest{Month: month, CaseID: req.CaseID, DepartmentID: dept.ID, Rate: req.Rate, Reason: req.Reason, By: u.Username}, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	a.DepartmentName = dept.Name
	logger(c).Info("appeal filed", "appeal", a.ID, "case_id", a.CaseID, "department", a.DepartmentID, "month", a.MonthText)
	v, err := s.appealView(c, a)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

type appealAnswerRequest struct {
	Uphold  *bool  `json:"uphold" binding:"required"`
	Comment string `json:"comment" binding:"max=8000"`
}

// answerAppeal serves POST /api/v1/supervision/appeals/{id}/answer: a
// supervisor of the case's filing unit (or an admin) upholds or rejects
// (a rejection needs a comment); 409 when answered already.
func (s *Server) answerAppeal(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, whistle.Errorf(whistle.ENotFound, "申诉不存在：%s", "appeal not found: %s", c.Param("id")))
		return
	}
	var req appealAnswerRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	a, err := s.Store.Appeal(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	u := caller(c)
	// The appeal is about the numbers of the case's filing area: its supervisors answer.
	if err := s.Policy.Authorize(u, policy.AnswerAppeal, policy.Object{OrgPath: a.OrgPath, HolderOrgPath: a.OrgPath}); err != nil {
		fail(c, err)
		return
	}
	a, err = s.Store.AnswerAppeal(ctx, id, *req.Uphold, req.Comment, u.Username, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("appeal answered", "appeal", a.ID, "case_id", a.CaseID, "department", a.DepartmentID, "status", a.Status)
	v, err := s.appealView(c, a)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// reachOf is what a list of appeals or periodic ratings shows the caller:
// a clerk its department and the units stationed under it (departments),
// a supervision reader the cases of its jurisdiction or of org inside it
// (pathPrefix). ok is false after failing the request.
func (s *Server) reachOf(c *gin.Context, org string) (departments []string, pathPrefix string, ok bool) {
	u := caller(c)
	if u.DepartmentID != "" {
		under, err := s.Store.StationedUnder(c.Request.Context(), u.DepartmentID)
		if err != nil {
			fail(c, err)
			return nil, "", false
		}
		return append([]string{u.DepartmentID}, under...), "", true
	}
	v, ok := s.supervise(c, org)
	if !ok {
		return nil, "", false
	}
	if v.narrowed != "" {
		return nil, v.narrowed, true
	}
	return nil, string(v.scope.Path), true
}

// listAppeals serves GET /api/v1/supervision/appeals (month=YYYY-MM,
// status, department, org, page, page_size): a clerk sees its
// department's appeals and its stationed units'; a supervision reader
// (supervisors, command centres, street secretaries, admins) those of
// cases filed in its jurisdiction.
func (s *Server) listAppeals(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.AppealFilter{Month: q.month("month"), Status: q.oneOf("status", store.AppealOpen, store.AppealUpheld, store.AppealRejected),
		Department: q.text("department", 40), Page: q.page()}
	org := q.text("org", 32)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	ctx := c.Request.Context()
	var ok bool
	if f.Departments, f.PathPrefix, ok = s.reachOf(c, org); !ok {
		return
	}
	items, total, err := s.Store.ListAppeals(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	days, err := s.Store.AppealDays(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	views := make([]appealView, len(items))
	for i, a := range items {
		views[i] = appealView{SupervisionAppeal: a, WindowClosesAt: store.AppealWindowEnd(a.Month, days).UTC()}
	}
	pg := f.Page.Normalize()
	c.JSON(http.StatusOK, gin.H{"items": views, "total": total, "page": pg.Page, "page_size": pg.PageSize})
}

// appealSettings serves GET /api/v1/supervision/appeal-settings: the
// window, in days after a month ends (anyone signed in: it is the rule).
func (s *Server) appealSettings(c *gin.Context) {
	days, err := s.Store.AppealDays(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"days": days, "default_days": store.DefaultAppealDays, "max_days": store.MaxAppealDays})
}

type appealSettingsRequest struct {
	Days *int `json:"days" binding:"required"`
}

// putAppealSettings serves PUT /api/v1/supervision/appeal-settings (admins): {"days": 1–90}.
func (s *Server) putAppealSettings(c *gin.Context) {
	var req appealSettingsRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	u := caller(c)
	a, err := s.Store.PutAppealDays(c.Request.Context(), *req.Days, u.Username, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("appeal window changed", "days", a.Days)
	c.JSON(http.StatusOK, gin.H{"days": a.Days, "default_days": store.DefaultAppealDays, "max_days": store.MaxAppealDays})
}

// appealCells serves GET /api/v1/supervision/appeals/cells (month,
// department, rate, part, page, page_size): a department's own drill-down
// of one rate in a month, the cases it may appeal, for its clerk or its
// bureau's (supervision:appeal), who see no other supervision view.
func (s *Server) appealCells(c *gin.Context) {
	q := &queryReader{c: c}
	month := q.month("month")
	deptID := q.text("department", 40)
	rate := q.oneOf("rate", store.RateNames...)
	part := q.oneOf("part", store.PartNumerator, store.PartDenominator)
	pg := q.page()
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if month == 0 || deptID == "" || rate == "" {
		fail(c, whistle.Errorf(whistle.EInvalid, "须给出 month、department 和 rate", "month, department and rate are required"))
		return
	}
	if part == "" {
		part = store.PartDenominator
	}
	ctx := c.Request.Context()
	dept, err := s.Store.Department(ctx, deptID)
	if err != nil {
		fail(c, invalidRef(err, "department", deptID))
		return
	}
	obj := policy.Object{DepartmentID: dept.ID}
	if dept.ParentID != nil {
		obj.DepartmentParentID = *dept.ParentID
	}
	if err := s.Policy.Authorize(caller(c), policy.Appeal, obj); err != nil {
		fail(c, err)
		return
	}
	rep, err := s.Store.SupervisionCell(ctx, store.CellQuery{Month: month, Group: store.GroupDepartment, Department: dept.ID, Rate: rate, Part: part, Page: pg})
	if err != nil {
		fail(c, err)
		return
	}
	rep.From, rep.To = rep.From.UTC(), rep.To.UTC() // the wire's times are UTC
	for i := range rep.Items {
		rep.Items[i].FiledAt = rep.Items[i].FiledAt.UTC()
	}
	c.JSON(http.StatusOK, rep)
}
