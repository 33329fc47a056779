package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// Periodic evaluation (定期评议, issue 17; docs/supervision.md “Periodic
// evaluation”): a street rates the departments stationed at or serving it,
// a district the city's, once a quarter.

func (s *Server) periodicRoutes(v1 *gin.RouterGroup) {
	g := v1.Group("/supervision")
	g.GET("/periodic", s.listPeriodic)
	g.POST("/periodic", s.putPeriodic)
}

// ePeriodicNotServing is answered 422 (errors.go).
const ePeriodicNotServing = store.EPeriodicNotServing

type periodicScores struct {
	Work        *int `json:"work" binding:"required"`
	Cooperation *int `json:"cooperation" binding:"required"`
	Residents   *int `json:"residents" binding:"required"`
}

type periodicRequest struct {
	Period       string         `json:"period" binding:"required,max=6"`
	DepartmentID string         `json:"department_id" binding:"required,max=40"`
	Scores       periodicScores `json:"scores" binding:"required"`
	Comment      string         `json:"comment" binding:"max=8000"`
}

// putPeriodic serves POST /api/v1/supervision/periodic: the caller's unit
// (a street, or a district) rates a department for a quarter; a second
// rating of the same period and department corrects the first until the
// period's last month is published (then 409). 422 not_serving for a
// department the unit does not rate.
func (s *Server) putPeriodic(c *gin.Context) {
	var req periodicRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u := caller(c)
	if err := s.Policy.Authorize(u, policy.PeriodicEvaluate, policy.Object{OrgPath: string(u.OrgPath), HolderOrgPath: string(u.OrgPath)}); err != nil {
		fail(c, err)
		return
	}
	rater, err := s.Store.OrgUnit(ctx, u.OrgUnitID)
	if err != nil {
		fail(c, err)
		return
	}
	dept, err := s.Store.Department(ctx, req.DepartmentID)
	if err != nil {
		fail(c, invalidRef(err, "department_id", req.DepartmentID))
		return
	}
	e, err := s.Store.PutPeriodicEvaluation(ctx, store.PeriodicRequest{Period: req.Period, Rater: rater, Department: dept,
		Work: *req.Scores.Work, Cooperation: *req.Scores.Cooperation, Residents: *req.Scores.Residents, Comment: req.Comment, By: u.Username}, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("periodic evaluation", "period", e.Period, "rater", e.RaterOrgUnitID, "department", e.DepartmentID)
	c.JSON(http.StatusOK, e)
}

// listPeriodic serves GET /api/v1/supervision/periodic (period, department,
// org, page, page_size): a clerk sees its department's ratings and its
// stationed units'; a supervision reader those made in its jurisdiction.
// weight is the ratings' part of the share score that year.
func (s *Server) listPeriodic(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.PeriodicFilter{Period: q.text("period", 6), Department: q.text("department", 40), Page: q.page()}
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
	items, total, err := s.Store.ListPeriodic(ctx, f)
	if err != nil {
		fail(c, err)
		return
	}
	// The weight the ratings enter the share score with: the setting of the
	// period's year, this year's without a period.
	year := time.Now().In(worktime.Location).Year()
	if f.Period != "" {
		year, _, _ = store.ParsePeriod(f.Period) // ListPeriodic refused a bad one
	}
	setting, err := s.Store.AssessmentSettingFor(ctx, year)
	if err != nil {
		fail(c, err)
		return
	}
	pg := f.Page.Normalize()
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total, "page": pg.Page, "page_size": pg.PageSize, "weight": setting.PeriodicWeight})
}
