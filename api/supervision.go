package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// refreshBudget is how many queued cases a live supervision read has the
// store fold into the roll-up before answering (the background refresher
// keeps the queue short).
const refreshBudget = 5000

// supervisionRoutes registers the supervisor's views (docs/supervision.md).
func (s *Server) supervisionRoutes(v1 *gin.RouterGroup) {
	g := v1.Group("/supervision")
	g.GET("/breaches", s.listBreaches)
	g.GET("/escalations", s.listEscalations)
	g.GET("/unresolvable", s.listUnresolvable) // 挂账 (twoway.go)
	g.GET("/due-soon", s.listDueSoon)          // followup.go
	g.GET("/orders", s.listOrders)
	g.GET("/urges", s.urgeCounts)
	g.GET("/rates", s.rates)
	g.GET("/rates/cases", s.rateCases)
	g.GET("/assessments", s.assessments)
	g.GET("/assessment-settings", s.assessmentSettings)
	g.PUT("/assessment-settings", s.requireAdmin(), s.putAssessmentSettings)
}

// supervised is the part of the city a supervision read covers.
type supervised struct {
	// scope is the reach of the rule that let the caller supervise.
	scope policy.Scope
	// narrowed is the path of the org unit named by ?org=, "" when the
	// read is not narrowed.
	narrowed string
}

// supervise authorizes a supervision read, narrowed to the org unit named
// by ?org= when org is given; a refusal is the policy's own.
func (s *Server) supervise(c *gin.Context, org string) (supervised, bool) {
	var obj policy.Object
	if org != "" {
		unit, err := s.Store.OrgUnit(c.Request.Context(), org)
		if err != nil {
			fail(c, invalidRef(err, "org", org))
			return supervised{}, false
		}
		obj.OrgPath = unit.Path
	}
	sc, err := s.Policy.Scope(caller(c), policy.Supervise, obj)
	if err != nil {
		fail(c, err)
		return supervised{}, false
	}
	return supervised{scope: sc, narrowed: obj.OrgPath}, true
}

// listScope is the scope of the supervision lists (the narrowing is their
// OrgPath filter).
func (v supervised) listScope() store.Scope {
	return storeScope(v.scope)
}

// rollup is the roll-up's view of the read: the narrowed unit, else the
// caller's subtree. It is forbidden below a street, where the roll-up
// keeps nothing.
func (v supervised) rollup() (store.RollupScope, error) {
	if v.narrowed != "" {
		return store.RollupScopeOf(whistle.OrgPath(v.narrowed))
	}
	return store.RollupScopeOf(v.scope.Path)
}

// superviseRequest finishes reading a supervision view's request, whose
// own parameters q has read: org and format, then authorizes. On false
// the answer is written.
func (s *Server) superviseRequest(c *gin.Context, q *queryReader) (v supervised, format string, ok bool) {
	org := q.text("org", 32)
	format = q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return supervised{}, "", false
	}
	v, ok = s.supervise(c, org)
	return v, format, ok
}

// superviseStats is superviseRequest for statistics (rates, assessments):
// it returns the roll-up scope the read covers.
func (s *Server) superviseStats(c *gin.Context, q *queryReader) (sc store.RollupScope, format string, ok bool) {
	v, format, ok := s.superviseRequest(c, q)
	if !ok {
		return sc, "", false
	}
	sc, err := v.rollup()
	if err != nil {
		fail(c, err)
		return sc, "", false
	}
	return sc, format, true
}

// listWindow is what a supervision list takes from the request besides
// its own filters: the caller's scope, the narrowed unit and which rows.
type listWindow struct {
	scope   store.Scope
	orgPath string
	page    store.Page
	limit   int // > 0: the first limit rows instead of page (an export)
}

// serveSupervisionList answers a supervision list whose own filters q has
// read: it reads the page, org and format, authorizes, lists through list
// and answers the page as JSON or the rows as a CSV or XLSX export.
func serveSupervisionList[T any](s *Server, c *gin.Context, q *queryReader,
	list func(ctx context.Context, w listWindow) ([]T, int64, error), tab func([]T, int64) table) {
	page := q.page()
	v, format, ok := s.superviseRequest(c, q)
	if !ok {
		return
	}
	w := listWindow{scope: v.listScope(), orgPath: v.narrowed, page: page}
	if isExport(format) {
		w.limit = exportLimit + 1
	}
	items, total, err := list(c.Request.Context(), w)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, tab(items, total))
		return
	}
	c.JSON(http.StatusOK, newList(items, total, page.Normalize()))
}

// listBreaches serves GET /api/v1/supervision/breaches: missed deadlines
// in the caller's jurisdiction, newest first.
//
// Query: from, to (breach time, [from, to), RFC 3339 or YYYY-MM-DD China
// time), level (the level holding the case when the deadline was missed),
// org (an org unit id: its subtree), department, class, kind (report |
// handle | accept | escalation: an escalation the level above left
// unanswered | supervision: a department that missed a supervision
// order's due; accept, escalation and supervision name no task), resolved
// (true | false), page, page_size, format (csv | xlsx).
func (s *Server) listBreaches(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.BreachFilter{
		From:         q.time("from"),
		To:           q.time("to"),
		Level:        q.oneOf("level", names(whistle.Levels)...),
		DepartmentID: q.text("department", 40),
		Class:        q.oneOf("class", names(whistle.Classes)...),
		Kind:         q.oneOf("kind", whistle.BreachReport, whistle.BreachHandle, whistle.BreachAccept, whistle.BreachEscalation, whistle.BreachSupervision),
		Resolved:     q.bool("resolved"),
	}
	serveSupervisionList(s, c, q, func(ctx context.Context, w listWindow) ([]store.BreachView, int64, error) {
		f.Scope, f.OrgPath, f.Page, f.Limit = w.scope, w.orgPath, w.page, w.limit
		return s.Store.ListBreaches(ctx, f)
	}, breachTable)
}

// listEscalations serves GET /api/v1/supervision/escalations: cases sent
// up a level, in the caller's jurisdiction, newest first.
//
// Query: from, to (escalation time), level (the level escalated to),
// from_level, org, department (cases with a task of it), class, kind
// (requested | handle_breach | verification), status (review | pending |
// accepted | returned, or awaiting: review or pending, the escalations
// waiting for an answer), open (true: the case is not closed yet; false:
// closed) or resolved (its inverse), page, page_size, format.
func (s *Server) listEscalations(c *gin.Context) {
	q := &queryReader{c: c}
	levels := names(whistle.Levels)
	f := store.EscalationFilter{
		From:         q.time("from"),
		To:           q.time("to"),
		Level:        q.oneOf("level", levels...),
		FromLevel:    q.oneOf("from_level", levels...),
		DepartmentID: q.text("department", 40),
		Class:        q.oneOf("class", names(whistle.Classes)...),
		Kind:         q.oneOf("kind", whistle.EscalationRequested, whistle.EscalationHandleBreach, whistle.EscalationVerification),
		Open:         q.bool("open"),
	}
	switch st := q.oneOf("status", "awaiting", whistle.EscalationInReview, whistle.EscalationPending, whistle.EscalationAccepted, whistle.EscalationReturned); st {
	case "":
	case "awaiting":
		f.Status = store.EscalationAwaiting
	default:
		f.Status = []string{st}
	}
	if resolved := q.bool("resolved"); resolved != nil && f.Open == nil {
		open := !*resolved
		f.Open = &open
	}
	serveSupervisionList(s, c, q, func(ctx context.Context, w listWindow) ([]store.EscalationView, int64, error) {
		f.Scope, f.OrgPath, f.Page, f.Limit = w.scope, w.orgPath, w.page, w.limit
		return s.Store.ListEscalations(ctx, f)
	}, escalationTable)
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
//	响应率 response      = #T answered (reported_at, else returned_at of an accepted return) ≤ report_deadline
//	                       / #T answered or report_breached
//	解决率 resolution    = #C verified / #C verified or overdue
//	                       (department: #T not returned with the case verified
//	                        / #T not returned with the case verified or T overdue;
//	                        a case closed as unresolvable in neither)
//	满意率 satisfaction  = #E satisfied or basically_satisfied / #E (defaulted E in neither)
//	按期结案率 on time    = #C closed and not overdue / #C closed or overdue
//	                       (department: per T not returned, T.overdue)
//	返工率 rework        = Σ verify_failures / Σ (verify_failures + [verified])
//	                       (department: Σ T.reopened / Σ (T.reopened + [case verified]))
//	延期率 extension     = #T not returned with extensions > 0 / #T not returned
//
// Dropped and released tasks count in no rate. docs/supervision.md spells
// each out with a worked example.
func (s *Server) rates(c *gin.Context) {
	q := &queryReader{c: c}
	from, to := q.time("from"), q.time("to")
	month := q.month("month")
	group := q.oneOf("group", store.GroupDepartment, store.GroupStreet, store.GroupDistrict)
	sc, format, ok := s.superviseStats(c, q)
	if !ok {
		return
	}
	if group == "" {
		group = store.GroupDepartment
	}
	// The store serves a published month from its frozen copy and folds
	// the queue into anything live; it checks the period.
	rq := store.RatesQuery{Scope: sc, Group: group, Month: month, Refresh: refreshBudget}
	if from != nil {
		rq.Period.From = *from
	}
	if to != nil {
		rq.Period.To = *to
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

// cellRates are what a drill-down's rate may name: the six rates and the
// call-back counts shown beside them.
var cellRates = append(slices.Clone(store.RateNames), store.CountNames...)

// rateCases serves GET /api/v1/supervision/rates/cases: the cases behind
// one cell of /rates, so a department contesting its rank sees exactly
// which cases made it.
//
// Query: the parameters of /rates (from, to or month; group; org), then
// the row — department (group=department) or area (a street or district
// id, as the group has it), neither for the total — rate (response |
// resolution | satisfaction | on_time_closure | rework | extension, or one
// of the call-back counts callbacks_unreached | callbacks_expired), part
// (numerator | denominator; a count's is numerator), page, page_size,
// format (csv | xlsx).
//
// Each item is one case's share in the cell, with the task or the
// evaluated department it stems from and its count (rework counts every
// failed verification); count, the sum, is the cell as the rows stand now.
func (s *Server) rateCases(c *gin.Context) {
	q := &queryReader{c: c}
	from, to := q.time("from"), q.time("to")
	cq := store.CellQuery{
		Month:      q.month("month"),
		Group:      q.oneOf("group", store.GroupDepartment, store.GroupStreet, store.GroupDistrict),
		Department: q.text("department", 40),
		Area:       q.text("area", 32),
		Rate:       q.oneOf("rate", cellRates...),
		Part:       q.oneOf("part", store.PartNumerator, store.PartDenominator),
		Page:       q.page(),
	}
	for _, name := range []string{"rate", "part"} {
		if q.err == nil && c.Query(name) == "" {
			q.err = whistle.Errorf(whistle.EInvalid, "缺少查询参数 %s", "query parameter %s is required", name)
		}
	}
	sc, format, ok := s.superviseStats(c, q)
	if !ok {
		return
	}
	if cq.Group == "" {
		cq.Group = store.GroupDepartment
	}
	cq.Scope = sc
	if from != nil {
		cq.Period.From = *from
	}
	if to != nil {
		cq.Period.To = *to
	}
	if isExport(format) {
		cq.Limit = exportLimit + 1
	}
	rep, err := s.Store.SupervisionCell(c.Request.Context(), cq)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		s.export(c, format, cellTable(rep))
		return
	}
	rep.From, rep.To = rep.From.UTC(), rep.To.UTC()
	for i := range rep.Items {
		rep.Items[i].FiledAt = rep.Items[i].FiledAt.UTC()
	}
	c.JSON(http.StatusOK, rep)
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
//	share score    G = mean s of the evaluations made below the department's level, by the
//	                   evaluator's level: streets and communities (街乡评价) for a district or
//	                   street department, districts and below for a city department
//	other score    O = mean s of the evaluations made above those
//	performance    P = mean of the defined among 100·响应率, 100·解决率, 100·按期结案率,
//	                   100·(1 − 返工率), O
//	total            = w·G + (1 − w)·P, w the street weight, or the district weight for a
//	                   city department (each default 1/3, at least 0.30)
//
// Defaulted evaluations count in no score. A department that worked no case
// (every task returned, dropped or released) has no total; one is ranked
// only with at least min_cases cases and some evaluation in its share;
// equal totals to two decimals share a rank.
func (s *Server) assessments(c *gin.Context) {
	q := &queryReader{c: c}
	year := q.int("year", time.Now().In(worktime.Location).Year(), 2000, 2100)
	asOf := q.month("as_of")
	level := q.oneOf("level", "city", "district", "street")
	sc, format, ok := s.superviseStats(c, q)
	if !ok {
		return
	}
	rep, err := s.Store.Assessment(c.Request.Context(), store.AssessmentQuery{Scope: sc, Year: year, AsOfMonth: asOf, Level: level, Refresh: refreshBudget})
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
	Year         int     `json:"year"`
	StreetWeight float64 `json:"street_weight"`
	// DistrictWeight is the share of districts' evaluations in a city
	// department's assessment (Kunming), with the same floor.
	DistrictWeight  float64 `json:"district_weight"`
	MinStreetWeight float64 `json:"min_street_weight"`
	// PeriodicWeight is the periodic evaluations' part of the share score
	// (定期评议), within its bounds.
	PeriodicWeight    float64 `json:"periodic_weight"`
	MinPeriodicWeight float64 `json:"min_periodic_weight"`
	MaxPeriodicWeight float64 `json:"max_periodic_weight"`
	MinCases          int     `json:"min_cases"`
	UpdatedBy         string  `json:"updated_by,omitempty"`
}

func settingView(a store.AssessmentSetting) assessmentSettingView {
	return assessmentSettingView{Year: a.Year, StreetWeight: a.StreetWeight, DistrictWeight: a.DistrictWeight,
		MinStreetWeight: store.MinStreetWeight, PeriodicWeight: a.PeriodicWeight, MinPeriodicWeight: store.MinPeriodicWeight,
		MaxPeriodicWeight: store.MaxPeriodicWeight, MinCases: a.MinCases, UpdatedBy: a.UpdatedBy}
}

// assessmentSettings serves GET /api/v1/supervision/assessment-settings?year=.
func (s *Server) assessmentSettings(c *gin.Context) {
	q := &queryReader{c: c}
	year := q.int("year", time.Now().In(worktime.Location).Year(), 2000, 2100)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if _, ok := s.supervise(c, ""); !ok {
		return
	}
	a, err := s.Store.AssessmentSettingFor(c.Request.Context(), year)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, settingView(a))
}

type assessmentSettingRequest struct {
	Year           int      `json:"year"`
	StreetWeight   *float64 `json:"street_weight" binding:"required"`
	DistrictWeight *float64 `json:"district_weight"`
	PeriodicWeight *float64 `json:"periodic_weight"`
	MinCases       *int     `json:"min_cases" binding:"required"`
}

// putAssessmentSettings serves PUT /api/v1/supervision/assessment-settings
// (admins): {"year": 0 for the default or a year, "street_weight" ≥ 0.30,
// "district_weight" ≥ 0.30 and "periodic_weight" 0.1–0.5 (each optional:
// the year's current one), "min_cases"}.
func (s *Server) putAssessmentSettings(c *gin.Context) {
	var req assessmentSettingRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	u := caller(c)
	put := store.AssessmentSetting{Year: req.Year, StreetWeight: *req.StreetWeight, MinCases: *req.MinCases, UpdatedBy: u.Username}
	// An omitted weight keeps the one in force for that year.
	cur, err := s.Store.AssessmentSettingFor(c.Request.Context(), req.Year)
	if err != nil {
		fail(c, err)
		return
	}
	put.DistrictWeight, put.PeriodicWeight = cur.DistrictWeight, cur.PeriodicWeight
	if req.DistrictWeight != nil {
		if *req.DistrictWeight == 0 { // the store reads 0 as "the default"
			fail(c, whistle.Errorf(whistle.EInvalid, "区对市级部门评价权重须在 0.30 到 1 之间（不低于30%%），收到 0", "the district evaluation weight of city departments must be from 0.30 to 1 (at least 30%%), got 0"))
			return
		}
		put.DistrictWeight = *req.DistrictWeight
	}
	if req.PeriodicWeight != nil {
		if *req.PeriodicWeight == 0 { // the store reads 0 as "the default"
			fail(c, store.PeriodicWeightError(0))
			return
		}
		put.PeriodicWeight = *req.PeriodicWeight
	}
	var a store.AssessmentSetting
	err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "assessment_setting", ObjectID: strconv.Itoa(put.Year)}, func(tx *store.Store) (string, error) {
		var err error
		a, err = tx.PutAssessmentSetting(c.Request.Context(), put)
		return "", err
	})
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("assessment settings changed", "year", a.Year, "street_weight", a.StreetWeight, "district_weight", a.DistrictWeight,
		"periodic_weight", a.PeriodicWeight, "min_cases", a.MinCases)
	c.JSON(http.StatusOK, settingView(a))
}
