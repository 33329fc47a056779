package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// refreshBudget is how many queued cases a supervision read folds into the
// roll-up before answering (the background refresher keeps the queue short).
const refreshBudget = 5000

// supervisionRoutes registers the supervisor's views (docs/supervision.md).
func (s *Server) supervisionRoutes(v1 *gin.RouterGroup) {
	g := v1.Group("/supervision")
	g.GET("/breaches", s.listBreaches)
	g.GET("/escalations", s.listEscalations)
	g.GET("/rates", s.rates)
	g.GET("/assessments", s.assessments)
	g.GET("/assessment-settings", s.assessmentSettings)
	g.PUT("/assessment-settings", s.requireAdmin(), s.putAssessmentSettings)
}

// supervise authorizes a supervision read, optionally narrowed to the org
// unit named by ?org=, and returns the caller's subtree and the narrowed
// path ("" when not narrowed).
func (s *Server) supervise(c *gin.Context, org string) (prefix, narrowed string, ok bool) {
	sub := s.subject(currentUser(c))
	obj := policy.Object{}
	if org != "" {
		unit, err := s.Store.OrgUnit(c.Request.Context(), org)
		if err != nil {
			fail(c, invalidRef(err, "org", org))
			return "", "", false
		}
		obj.OrgPath = unit.Path
	}
	if err := s.Policy.Authorize(sub, policy.Supervise, obj); err != nil {
		fail(c, err)
		return "", "", false
	}
	prefix = policy.ScopePrefix(sub)
	if prefix == "" {
		fail(c, whistle.Errorf(whistle.EForbidden, "只能督查本辖区（规则 supervision:jurisdiction）", "supervision covers only one's own jurisdiction (rule supervision:jurisdiction)"))
		return "", "", false
	}
	return prefix, obj.OrgPath, true
}

// rollupScope is the roll-up's view of the caller's subtree narrowed to path.
func rollupScope(prefix, narrowed string) (store.RollupScope, error) {
	path := prefix
	if narrowed != "" {
		path = narrowed
	}
	sc, ok := store.RollupScopeOf(path)
	if !ok {
		return sc, whistle.Errorf(whistle.EForbidden, "督查统计按街道汇总：社区及以下单位不能查看统计，请选择街道或更高层级",
			"supervision statistics are kept per street: choose a street or a higher unit")
	}
	return sc, nil
}

// listBreaches serves GET /api/v1/supervision/breaches: missed deadlines
// in the caller's jurisdiction, newest first.
//
// Query: from, to (breach time, [from, to), RFC 3339 or YYYY-MM-DD China
// time), level (the level holding the case when the deadline was missed),
// org (an org unit id: its subtree), department, class, kind (report |
// handle), resolved (true | false), page, page_size, format (csv | xlsx).
func (s *Server) listBreaches(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.BreachFilter{
		From:         q.time("from"),
		To:           q.time("to"),
		Level:        q.oneOf("level", "community", "street", "district", "city"),
		DepartmentID: q.text("department", 40),
		Class:        q.oneOf("class", "emergency", "key", "routine", "coordination"),
		Kind:         q.oneOf("kind", whistle.BreachReport, whistle.BreachHandle),
		Resolved:     q.bool("resolved"),
		Page:         q.page(),
	}
	org := q.text("org", 32)
	format := q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	prefix, narrowed, ok := s.supervise(c, org)
	if !ok {
		return
	}
	f.Scope, f.OrgPath = store.Scope{PathPrefix: prefix}, narrowed
	if isExport(format) {
		f.Limit = exportLimit + 1
	}
	items, total, err := s.Store.ListBreaches(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, breachTable(items, total))
		return
	}
	c.JSON(http.StatusOK, newList(items, total, f.Page.Normalize()))
}

// listEscalations serves GET /api/v1/supervision/escalations: cases sent
// up a level, in the caller's jurisdiction, newest first.
//
// Query: from, to (escalation time), level (the level escalated to),
// from_level, org, department (cases with a task of it), class, kind
// (requested | handle_breach | verification), open (true: the case is not
// closed yet; false: closed) or resolved (its inverse), page, page_size,
// format.
func (s *Server) listEscalations(c *gin.Context) {
	q := &queryReader{c: c}
	levels := []string{"community", "street", "district", "city"}
	f := store.EscalationFilter{
		From:         q.time("from"),
		To:           q.time("to"),
		Level:        q.oneOf("level", levels...),
		FromLevel:    q.oneOf("from_level", levels...),
		DepartmentID: q.text("department", 40),
		Class:        q.oneOf("class", "emergency", "key", "routine", "coordination"),
		Kind:         q.oneOf("kind", whistle.EscalationRequested, whistle.EscalationHandleBreach, whistle.EscalationVerification),
		Open:         q.bool("open"),
		Page:         q.page(),
	}
	if resolved := q.bool("resolved"); resolved != nil && f.Open == nil {
		open := !*resolved
		f.Open = &open
	}
	org := q.text("org", 32)
	format := q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	prefix, narrowed, ok := s.supervise(c, org)
	if !ok {
		return
	}
	f.Scope, f.OrgPath = store.Scope{PathPrefix: prefix}, narrowed
	if isExport(format) {
		f.Limit = exportLimit + 1
	}
	items, total, err := s.Store.ListEscalations(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, escalationTable(items, total))
		return
	}
	c.JSON(http.StatusOK, newList(items, total, f.Page.Normalize()))
}

// month reads a YYYY-MM parameter as YYYYMM.
func (q *queryReader) month(name string) int {
	v := q.c.Query(name)
	if v == "" {
		return 0
	}
	t, err := time.Parse("2006-01", v)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		q.fail(name, v, "应为 YYYY-MM 月份", "want a YYYY-MM month")
		return 0
	}
	return t.Year()*100 + int(t.Month())
}

// refreshRollup folds the queued projection changes in before a read; a
// failure is logged and the read goes on (a little stale, never wrong by
// more than the queue).
func (s *Server) refreshRollup(c *gin.Context) {
	if _, err := s.Store.RefreshSupervision(c.Request.Context(), refreshBudget, 1000, false); err != nil {
		logger(c).Warn("supervision refresh before read failed", "err", err)
	}
}

// rates serves GET /api/v1/supervision/rates: the six rates of each group
// in the caller's jurisdiction, with the counts behind each.
//
// Query: from, to (whole days, [from, to), China time; default the current
// month) or month=YYYY-MM (a published month is served from its frozen
// copy); group = department (default) | street | district; org (narrow to
// a district or street); format (csv | xlsx).
//
// Every count is over the cases filed in the period (cases.created_at) and
// their tasks and evaluations, as their rows stand now (a published month:
// as they stood when it was published). With T a task, C a case, E an
// evaluation of those cases (for group=department: the department's tasks
// and evaluations, and resolution, closure and rework per task):
//
//	响应率 response      = #T answered (reported_at, else returned_at) ≤ report_deadline
//	                       / #T answered or report_breached
//	解决率 resolution    = #C verified / #C verified or overdue
//	                       (department: #T not returned with the case verified
//	                        / #T not returned with the case verified or T overdue)
//	满意率 satisfaction  = #E satisfied or basically_satisfied / #E
//	按期结案率 on time    = #C closed and not overdue / #C closed or overdue
//	                       (department: per T not returned, T.overdue)
//	返工率 rework        = Σ verify_failures / Σ (verify_failures + [verified])
//	                       (department: Σ T.reopened / Σ (T.reopened + [case verified]))
//	延期率 extension     = #T not returned with extensions > 0 / #T not returned
//
// docs/supervision.md spells each out with a worked example.
func (s *Server) rates(c *gin.Context) {
	q := &queryReader{c: c}
	from, to := q.time("from"), q.time("to")
	month := q.month("month")
	group := q.oneOf("group", store.GroupDepartment, store.GroupStreet, store.GroupDistrict)
	org := q.text("org", 32)
	format := q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if group == "" {
		group = store.GroupDepartment
	}
	prefix, narrowed, ok := s.supervise(c, org)
	if !ok {
		return
	}
	sc, err := rollupScope(prefix, narrowed)
	if err != nil {
		fail(c, err)
		return
	}
	rq := store.RatesQuery{Scope: sc, Group: group, Month: month}
	if month == 0 {
		now := time.Now().In(worktime.Location)
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, worktime.Location)
		rq.Period = store.Period{From: first, To: first.AddDate(0, 1, 0)}
		if from != nil {
			rq.Period.From = *from
		}
		if to != nil {
			rq.Period.To = *to
		}
		if err := rq.Period.Check(); err != nil {
			fail(c, err)
			return
		}
	} else if from != nil || to != nil {
		fail(c, whistle.Errorf(whistle.EInvalid, "month 与 from/to 只能选一种", "give month or from/to, not both"))
		return
	}
	if month == 0 || !s.published(c, month) {
		s.refreshRollup(c)
	}
	rep, err := s.Store.SupervisionRates(c.Request.Context(), rq)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, ratesTable(rep))
		return
	}
	// The period was built in Beijing time; answers write every time in UTC.
	rep.From, rep.To = rep.From.UTC(), rep.To.UTC()
	if rep.PublishedAt != nil {
		at := rep.PublishedAt.UTC()
		rep.PublishedAt = &at
	}
	c.JSON(http.StatusOK, rep)
}

func (s *Server) published(c *gin.Context, month int) bool {
	_, err := s.Store.Publication(c.Request.Context(), month)
	return err == nil
}

// assessments serves GET /api/v1/supervision/assessments: each
// department's annual scorecard and the ranking, in the caller's
// jurisdiction.
//
// Query: year (default this year); as_of=YYYY-MM (the running assessment as
// published at that month, from the frozen months, with the settings of that
// publication); level (city | district | street: rank peers only); org;
// format (csv | xlsx).
//
// For each department, over the cases filed in the year:
//
//	per evaluation   s = (p(timeliness) + p(quality) + p(attitude) + p(satisfaction)) / 4
//	                 p(x) = 25·(x − 1) for scores 1–5; satisfied 100, basically 75, dissatisfied 0
//	street score   G = mean s of the evaluations made at street or community level (街乡评价)
//	other score    O = mean s of the evaluations made by the district or city
//	performance    P = mean of the defined among 100·响应率, 100·解决率, 100·按期结案率,
//	                   100·(1 − 返工率), O
//	total            = w·G + (1 − w)·P, w the street weight (default 1/3, at least 0.30)
//
// A department is ranked only with at least min_cases cases and some street
// evaluation; equal totals to two decimals share a rank.
func (s *Server) assessments(c *gin.Context) {
	q := &queryReader{c: c}
	year := q.int("year", time.Now().In(worktime.Location).Year(), 2000, 2100)
	asOf := q.month("as_of")
	level := q.oneOf("level", "city", "district", "street")
	org := q.text("org", 32)
	format := q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	prefix, narrowed, ok := s.supervise(c, org)
	if !ok {
		return
	}
	sc, err := rollupScope(prefix, narrowed)
	if err != nil {
		fail(c, err)
		return
	}
	if asOf == 0 {
		s.refreshRollup(c)
	}
	rep, err := s.Store.Assessment(c.Request.Context(), store.AssessmentQuery{Scope: sc, Year: year, AsOfMonth: asOf, Level: level})
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, assessmentTable(rep))
		return
	}
	c.JSON(http.StatusOK, rep)
}

// assessmentSettingView is the wire shape of the assessment settings.
type assessmentSettingView struct {
	Year            int     `json:"year"`
	StreetWeight    float64 `json:"street_weight"`
	MinStreetWeight float64 `json:"min_street_weight"`
	MinCases        int     `json:"min_cases"`
	UpdatedBy       string  `json:"updated_by,omitempty"`
}

// assessmentSettings serves GET /api/v1/supervision/assessment-settings?year=.
func (s *Server) assessmentSettings(c *gin.Context) {
	q := &queryReader{c: c}
	year := q.int("year", time.Now().In(worktime.Location).Year(), 2000, 2100)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if _, _, ok := s.supervise(c, ""); !ok {
		return
	}
	a, err := s.Store.AssessmentSettingFor(c.Request.Context(), year)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, assessmentSettingView{Year: a.Year, StreetWeight: a.StreetWeight, MinStreetWeight: store.MinStreetWeight, MinCases: a.MinCases, UpdatedBy: a.UpdatedBy})
}

type assessmentSettingRequest struct {
	Year         int      `json:"year"`
	StreetWeight *float64 `json:"street_weight" binding:"required"`
	MinCases     *int     `json:"min_cases" binding:"required"`
}

// putAssessmentSettings serves PUT /api/v1/supervision/assessment-settings
// (admins): {"year": 0 for the default or a year, "street_weight" ≥ 0.30,
// "min_cases"}.
func (s *Server) putAssessmentSettings(c *gin.Context) {
	var req assessmentSettingRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	u := currentUser(c)
	a, err := s.Store.PutAssessmentSetting(c.Request.Context(), store.AssessmentSetting{Year: req.Year, StreetWeight: *req.StreetWeight, MinCases: *req.MinCases, UpdatedBy: u.Username})
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("assessment settings changed", "year", a.Year, "street_weight", a.StreetWeight, "min_cases", a.MinCases)
	c.JSON(http.StatusOK, assessmentSettingView{Year: a.Year, StreetWeight: a.StreetWeight, MinStreetWeight: store.MinStreetWeight, MinCases: a.MinCases, UpdatedBy: a.UpdatedBy})
}

func pct(v store.RateValue) string {
	if v.Rate == nil {
		return ""
	}
	return strconv.FormatFloat(100**v.Rate, 'f', 2, 64) + "%"
}

func score(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("%.2f", *v)
}
