package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The views leaders use (issue 17, docs/supervision.md): statistics by
// category and source, frequent problems, recurring problems (未诉先办)
// with their coordinated filing, and the case ledger (台账).

// codeNotRecurring refuses a coordinated filing whose cases no longer
// make the recurring problem it names (a 422: the request is well formed,
// the city moved on).
const codeNotRecurring = "not_recurring"

// leadersRoutes registers the leaders' views; the ledger goes beside the
// case routes (a static segment: gin matches it before :id).
func (s *Server) leadersRoutes(v1 *gin.RouterGroup) {
	v1.GET("/stats/categories", s.categoryStats)
	v1.GET("/stats/top", s.topCategories)
	v1.GET("/supervision/recurring", s.recurring)
	v1.POST("/supervision/recurring/file", s.fileRecurring)
	v1.GET("/cases/export", s.exportLedger)
	v1.GET("/stations", s.listStations)
	v1.GET("/stations/:id/tasks", s.stationTasks)
}

// statsPeriod reads from and to (default: the twelve months to the end
// of the current month, China time); at most three years.
func statsPeriod(q *queryReader) (time.Time, time.Time) {
	from, to := q.time("from"), q.time("to")
	now := time.Now().In(worktime.Location)
	end := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, worktime.Location)
	if to != nil {
		end = *to
	}
	start := end.AddDate(-1, 0, 0)
	if from != nil {
		start = *from
	}
	if q.err == nil && !start.Before(end) {
		q.err = whistle.Errorf(whistle.EInvalid, "from 须早于 to", "from must be before to")
	}
	if q.err == nil && end.Sub(start) > 3*366*24*time.Hour {
		q.err = whistle.Errorf(whistle.EInvalid, "统计区间最长三年", "a statistics period spans at most three years")
	}
	return start, end
}

// statsPath is the subtree a statistics read covers: the narrowed unit,
// else the reach of the caller's supervision rule.
func (v supervised) statsPath() string {
	if v.narrowed != "" {
		return v.narrowed
	}
	return string(v.scope.Path)
}

// categoryStats serves GET /api/v1/stats/categories: the cases filed in
// the caller's jurisdiction per month, by category and by source.
//
// Query: from, to (default the twelve months to this month's end; at most
// three years), org (narrow to a unit of the jurisdiction), format (csv |
// xlsx), lang. Rejected and merged cases count nowhere.
func (s *Server) categoryStats(c *gin.Context) {
	q := &queryReader{c: c}
	from, to := statsPeriod(q)
	v, format, ok := s.superviseRequest(c, q)
	if !ok {
		return
	}
	st, err := s.Store.CategoryStats(c.Request.Context(), store.StatsQuery{Path: v.statsPath(), From: from, To: to})
	if err != nil {
		fail(c, err)
		return
	}
	st.From, st.To = st.From.UTC(), st.To.UTC()
	if isExport(format) {
		en := lang(c) == "en"
		t := table{file: "category-stats", fileZH: "分类统计", sheet: pickLang(en, "分类统计", "By category"),
			headers: pickHeaders(en, []string{"维度", "月份", "类别或来源", "案件数"}, []string{"Dimension", "Month", "Category or source", "Cases"})}
		for _, r := range st.Categories {
			t.rows = append(t.rows, []any{pickLang(en, "类别", "category"), r.Month, r.Key, r.Count})
		}
		for _, r := range st.Sources {
			t.rows = append(t.rows, []any{pickLang(en, "来源", "source"), r.Month, sourceLabel(en, r.Key), r.Count})
		}
		t.total = int64(len(t.rows))
		s.export(c, format, t)
		return
	}
	c.JSON(http.StatusOK, st)
}

// topCategories serves GET /api/v1/stats/top: the most frequent
// categories of each street or grid (高频问题).
//
// Query: by (street | grid, default street), limit (categories per area,
// 1–20, default 5), from, to, org, format, lang.
func (s *Server) topCategories(c *gin.Context) {
	q := &queryReader{c: c}
	by := q.oneOf("by", store.TopByStreet, store.TopByGrid)
	limit := q.int("limit", 5, 1, 20)
	from, to := statsPeriod(q)
	v, format, ok := s.superviseRequest(c, q)
	if !ok {
		return
	}
	if by == "" {
		by = store.TopByStreet
	}
	rep, err := s.Store.TopCategories(c.Request.Context(), store.TopQuery{StatsQuery: store.StatsQuery{Path: v.statsPath(), From: from, To: to}, By: by, Limit: limit})
	if err != nil {
		fail(c, err)
		return
	}
	rep.From, rep.To = rep.From.UTC(), rep.To.UTC()
	if isExport(format) {
		en := lang(c) == "en"
		t := table{file: "top-" + by, fileZH: "高频问题", sheet: pickLang(en, "高频问题", "Frequent problems"),
			headers: pickHeaders(en, []string{"编号", "名称", "所属街道", "案件总数", "名次", "类别", "案件数"},
				[]string{"Code", "Name", "Street", "Total cases", "Rank", "Category", "Cases"})}
		for _, a := range rep.Items {
			name := a.Name
			if en && a.NameEN != "" {
				name = a.NameEN
			}
			for i, cc := range a.Categories {
				t.rows = append(t.rows, []any{code(a.ID), name, code(a.StreetID), a.Total, int64(i + 1), cc.Category, cc.Count})
			}
		}
		t.total = int64(len(t.rows))
		s.export(c, format, t)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// recurring serves GET /api/v1/supervision/recurring: the recurring
// problems (未诉先办) of the caller's jurisdiction, by street: the same
// category in the same grid (or community, for cases with no grid) n
// times or more in the weeks before now.
//
// Query: street (or org: narrow to a unit), n (2–50, default 3), weeks
// (1–52, default 4), until (the window's end, default now), limit
// (problems per street, default 100), format, lang.
func (s *Server) recurring(c *gin.Context) {
	q := &queryReader{c: c}
	n := q.int("n", store.RecurringN, 2, 50)
	weeks := q.int("weeks", store.RecurringWeeks, 1, 52)
	limit := q.int("limit", 100, 1, 1000)
	until := q.time("until")
	org := q.text("street", 32) // the view's own name for org
	if org == "" {
		org = q.text("org", 32)
	}
	format := q.oneOf("format", "json", "csv", "xlsx")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	v, ok := s.supervise(c, org)
	if !ok {
		return
	}
	rq := store.RecurringQuery{Path: v.statsPath(), N: n, Weeks: weeks, Limit: limit}
	if until != nil {
		rq.Until = *until
	}
	rep, err := s.Store.Recurring(c.Request.Context(), rq)
	if err != nil {
		fail(c, err)
		return
	}
	if isExport(format) {
		en := lang(c) == "en"
		t := table{file: "recurring", fileZH: "高发问题（未诉先办）", sheet: pickLang(en, "未诉先办", "Recurring"),
			headers: pickHeaders(en, []string{"街道编号", "街道", "类别", "网格或社区编号", "网格或社区", "次数", "首次", "最近", "案件号"},
				[]string{"Street code", "Street", "Category", "Grid or community code", "Grid or community", "Cases", "First", "Last", "Case numbers"})}
		for _, st := range rep.Streets {
			for _, p := range st.Problems {
				nums := make([]string, len(p.Cases))
				for i, k := range p.Cases {
					nums[i] = caseLabel(k.Number, k.ID)
				}
				t.rows = append(t.rows, []any{code(st.StreetID), st.StreetName, p.Category, code(p.GridID + p.CommunityID), p.PlaceName,
					int64(p.Count), p.First, p.Last, strings.Join(nums, "、")})
			}
		}
		t.total = int64(len(t.rows))
		s.export(c, format, t)
		return
	}
	c.JSON(http.StatusOK, rep)
}

func caseLabel(number, id string) string {
	if number != "" {
		return number
	}
	return id
}

// recurringFileRequest is the body of POST /supervision/recurring/file.
type recurringFileRequest struct {
	Category    string   `json:"category" binding:"required,max=64"`
	GridID      string   `json:"grid_id" binding:"max=32"`
	CommunityID string   `json:"community_id" binding:"max=32"`
	CaseIDs     []string `json:"case_ids" binding:"required,min=1,max=200,dive,required,max=40"`
	Title       string   `json:"title" binding:"max=200"`
	Description string   `json:"description" binding:"max=3000"`
	Departments []string `json:"departments" binding:"required,min=1,max=10,dive,required,max=40"`
	Class       string   `json:"class"`
	N           int      `json:"n" binding:"omitempty,min=2,max=50"`
	Weeks       int      `json:"weeks" binding:"omitempty,min=1,max=52"`
}

// fileRecurring serves POST /api/v1/supervision/recurring/file: one
// coordinated case for a recurring problem (每月一题, 主动治理), filed by the
// caller at their own unit through the same path as POST /cases: source
// community, class coordination unless given, its description listing the
// case numbers it coordinates. The caller must see the place's supervision
// views (the policy's supervision:read) and may file and summon as POST
// /cases allows. The named cases must still be that place's recurring
// problem, n times or more in the weeks before now: else a 422
// not_recurring, and nothing is filed.
func (s *Server) fileRecurring(c *gin.Context) {
	var req recurringFileRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if (req.GridID == "") == (req.CommunityID == "") {
		fail(c, whistle.Errorf(whistle.EInvalid, "grid_id 与 community_id 须给出且只给出其一", "give exactly one of grid_id and community_id"))
		return
	}
	if id := duplicate(req.CaseIDs); id != "" {
		fail(c, whistle.Errorf(whistle.EInvalid, "case_ids 中案件重复：%s", "case_ids lists a case twice: %s", id))
		return
	}
	place := req.GridID + req.CommunityID
	field := map[bool]string{true: "grid_id", false: "community_id"}[req.GridID != ""]
	unit, err := s.Store.OrgUnit(c.Request.Context(), place)
	if err != nil {
		fail(c, invalidRef(err, field, place))
		return
	}
	// A community_id names where cases without a grid were filed: a
	// community, or a unit above one.
	if (req.GridID != "") != (unit.Kind == "grid") {
		fail(c, whistle.Errorf(whistle.EInvalid, "%[1]s 所指单位类型不符：%[2]s", "%[1]s names the wrong kind of unit: %[2]s", field, place))
		return
	}
	if _, ok := s.supervise(c, place); !ok {
		return
	}
	n, weeks := req.N, req.Weeks
	if n == 0 {
		n = store.RecurringN
	}
	if weeks == 0 {
		weeks = store.RecurringWeeks
	}
	group, _, err := s.Store.RecurringGroup(c.Request.Context(), req.Category, req.GridID, req.CommunityID, weeks, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	numbers := map[string]string{}
	for _, k := range group.Cases {
		numbers[k.ID] = caseLabel(k.Number, k.ID)
	}
	var missing []string
	for _, id := range req.CaseIDs {
		if _, ok := numbers[id]; !ok {
			missing = append(missing, id)
		}
	}
	switch {
	case group.Count < n:
		fail(c, whistle.Errorf(codeNotRecurring, "该处「%s」近 %d 周只有 %d 件，不足 %d 件，已不构成高发问题", "%[5]s: %[2]d case(s) of %[1]q in the last %[3]d weeks, fewer than %[4]d: no longer a recurring problem",
			req.Category, group.Count, weeks, n, place))
		return
	case len(missing) > 0:
		fail(c, whistle.Errorf(codeNotRecurring, "以下案件已不属于该高发问题（类别、地点或时间窗不符，或已并案、不予受理）：%s", "these cases are no longer part of the recurring problem (category, place or window differ, or merged or rejected): %s",
			strings.Join(missing, ", ")))
		return
	case len(req.CaseIDs) < n:
		fail(c, whistle.Errorf(codeNotRecurring, "须列出至少 %d 件案件", "list at least %d cases", n))
		return
	}
	title := strings.TrimSpace(req.Title)
	if title == "" {
		title = fmt.Sprintf("%s %s高发问题（近%d周%d件）", unit.Name, req.Category, weeks, len(req.CaseIDs))
	}
	listed := make([]string, len(req.CaseIDs))
	for i, id := range req.CaseIDs {
		listed[i] = numbers[id]
	}
	desc := fmt.Sprintf("未诉先办：%s「%s」近%d周反映%d次，统筹办理以下案件：%s。", unit.Name, req.Category, weeks, len(req.CaseIDs), strings.Join(listed, "、"))
	if d := strings.TrimSpace(req.Description); d != "" {
		desc += "\n" + d
	}
	class := req.Class
	if class == "" {
		class = string(whistle.ClassCoordination)
	}
	in := fileCaseRequest{Title: title, Description: desc, Category: req.Category, Source: string(whistle.SourceCommunity), Class: class,
		DepartmentIDs: req.Departments, Location: locationRequest{Address: unit.Name, GridID: req.GridID}}
	kase, err := s.file(c.Request.Context(), caller(c), in, c.GetHeader("Idempotency-Key"), false)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("recurring problem filed", "case_id", kase.ID, "place", place, "category", req.Category, "coordinates", len(req.CaseIDs))
	c.JSON(http.StatusCreated, kase)
}

// exportLedger serves GET /api/v1/cases/export: the case ledger (台账),
// every case GET /cases would list with the same filters, as CSV or XLSX,
// streamed: the store reads it in one query row by row and each row is
// written as it comes (CSV to the response, flushed every ledgerFlushRows
// rows; XLSX to excelize's stream writer, which spills to a temporary file
// past 16 MB), so a district's year never sits in memory.
//
// Query: format (csv | xlsx, required), lang (zh | en: the headers and
// values), and GET /cases's filters: status, class, level, org,
// department, overdue, from, to, q, mine.
func (s *Server) exportLedger(c *gin.Context) {
	q := &queryReader{c: c}
	format := q.oneOf("format", "csv", "xlsx")
	if q.err == nil && format == "" {
		q.err = whistle.Errorf(whistle.EInvalid, "缺少查询参数 format（csv 或 xlsx）", "query parameter format is required (csv or xlsx)")
	}
	f := s.caseFilter(c, q)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	en := lang(c) == "en"
	l := newLedger(en)
	name := "ledger-" + time.Now().In(worktime.Location).Format("20060102")
	nameZH := "案件台账-" + time.Now().In(worktime.Location).Format("20060102")
	disposition := fmt.Sprintf(`attachment; filename="%s.%s"; filename*=UTF-8''%s`, name, format, url.PathEscape(nameZH+"."+format))
	ctx := c.Request.Context()
	rows := 0
	if format == "csv" {
		c.Header("Content-Disposition", disposition)
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Status(http.StatusOK)
		_, _ = c.Writer.WriteString("\ufeff")
		w := csv.NewWriter(c.Writer)
		_ = w.Write(l.headers)
		err := s.Store.EachLedgerRow(ctx, f, func(r store.LedgerRow) error {
			if err := w.Write(csvRecord(l.row(r))); err != nil {
				return err
			}
			rows++
			if rows%ledgerFlushRows != 0 {
				return nil
			}
			w.Flush()
			c.Writer.Flush()
			return w.Error()
		})
		if err != nil {
			// The status is sent: the file stops short, and the log says why.
			logger(c).Error("ledger export cut short", "err", err, "rows", rows)
			return
		}
		w.Flush()
		logger(c).Info("ledger exported", "format", format, "rows", rows)
		return
	}
	x, err := newXLSXStream(l.sheet, l.headers, l.widths)
	if err != nil {
		fail(c, err)
		return
	}
	defer x.close()
	err = s.Store.EachLedgerRow(ctx, f, func(r store.LedgerRow) error {
		if err := x.row(l.row(r)); err != nil {
			return err
		}
		rows++
		return nil
	})
	if err == nil {
		err = x.sw.Flush()
	}
	if err != nil {
		fail(c, fmt.Errorf("ledger xlsx: %w", err))
		return
	}
	c.Header("Content-Disposition", disposition)
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if _, err := x.f.WriteTo(c.Writer); err != nil {
		logger(c).Error("ledger export cut short", "err", err, "rows", rows)
		return
	}
	logger(c).Info("ledger exported", "format", format, "rows", rows)
}

// ledgerFlushRows is how many CSV rows go out together: the client sees
// the file grow without a write to the network per row.
const ledgerFlushRows = 500

// ledger is the ledger's columns in one language.
type ledger struct {
	en      bool
	sheet   string
	headers []string
	widths  []float64
}

func newLedger(en bool) ledger {
	l := ledger{en: en, sheet: pickLang(en, "案件台账", "Case ledger")}
	cols := []struct {
		zh, en string
		width  float64
	}{
		{"案件编号", "Case number", 16}, {"系统编号", "Case ID", 20}, {"标题", "Title", 36}, {"类别", "Category", 14}, {"来源", "Source", 12},
		{"哨类", "Class", 10}, {"层级", "Level", 8}, {"状态", "Status", 10}, {"超期", "Overdue", 8},
		{"所属单位", "Unit", 20}, {"所属单位编号", "Unit code", 16}, {"网格编号", "Grid code", 18}, {"地址", "Address", 36}, {"承办部门", "Departments", 30},
		{"立案时间", "Filed at", 18}, {"核查通过时间", "Verified at", 18}, {"办结时间", "Closed at", 18}, {"结果", "Outcome", 10},
		{"核查未通过次数", "Failed verifications", 10}, {"办理天数", "Days", 10},
	}
	for _, col := range cols {
		l.headers = append(l.headers, pickLang(en, col.zh, col.en))
		l.widths = append(l.widths, col.width)
	}
	return l
}

// row is one case's cells, typed: time.Time a date, int64 and decimal
// numbers, code an id kept as text, string text from users.
func (l ledger) row(r store.LedgerRow) []any {
	end := time.Now()
	if r.ClosedAt != nil {
		end = *r.ClosedAt
	}
	days := decimal(end.Sub(r.CreatedAt).Hours() / 24)
	return []any{code(caseLabel(r.Number, "")), code(r.ID), r.Title, r.Category, sourceLabel(l.en, r.Source),
		l.name(classZH, r.Class), l.name(levelZH, r.Level), l.name(ledgerStatusZH, r.Status), l.yesNo(r.Overdue),
		r.UnitName, code(r.OrgUnitID), code(r.GridID), r.Address, r.Departments,
		r.CreatedAt, r.VerifiedAt, r.ClosedAt, l.name(outcomeZH, r.Outcome),
		int64(r.VerifyFailures), days}
}

func (l ledger) name(zh map[string]string, v string) string {
	if l.en {
		return v
	}
	return zhOf(zh, v)
}

func (l ledger) yesNo(b bool) string {
	if l.en {
		return map[bool]string{true: "yes", false: "no"}[b]
	}
	return map[bool]string{true: "是", false: "否"}[b]
}

var (
	sourceZH = map[string]string{"grid": "网格巡查", "hotline": "12345热线", "resident": "居民反映", "community": "社区",
		"property": "物业纠纷", "escalation": "下级上报"}
	outcomeZH      = map[string]string{"resolved": "已解决", "rejected": "不予受理", "merged": "并案", "unresolvable": "挂账"}
	ledgerStatusZH = map[string]string{"pending": "待受理", "open": "办理中", "verifying": "待核查", "evaluating": "待评价", "closed": "已结案"}
)

func sourceLabel(en bool, v string) string {
	if en {
		return v
	}
	return zhOf(sourceZH, v)
}

func pickLang(en bool, zh, eng string) string {
	if en {
		return eng
	}
	return zh
}

func pickHeaders(en bool, zh, eng []string) []string {
	if en {
		return eng
	}
	return zh
}

// caseFilter reads GET /cases's filters (listCases and the ledger share it) into a store filter scoped to the
// caller; the errors stay in q.
func (s *Server) caseFilter(c *gin.Context, q *queryReader) store.CaseFilter {
	f := store.CaseFilter{
		Scope:        s.scope(caller(c)),
		Status:       q.oneOf("status", "pending", "open", "verifying", "evaluating", "closed"),
		Class:        q.oneOf("class", names(whistle.Classes)...),
		Level:        q.oneOf("level", names(whistle.Levels)...),
		DepartmentID: q.text("department", 40),
		Overdue:      q.bool("overdue"),
		Callback:     q.oneOf("callback", whistle.CallbackStates...),
		From:         q.time("from"),
		To:           q.time("to"),
		Query:        q.text("q", 100),
		Page:         q.page(),
	}
	f.OrgPath = q.orgUnit(s.Store, "org").Path
	// mine=true: only the cases the caller filed (我发起的), inside the scope.
	if mine := q.bool("mine"); mine != nil && *mine {
		f.FiledBy = caller(c).UserID
	}
	return f
}

// code is an identifier cell (an org unit's or a case's code): text in
// XLSX, and in CSV, when it is all digits, written as ="…" so a
// spreadsheet keeps it as text (Excel shows a 12-digit org id as
// 1.10101E+11 otherwise). Codes come from the system, never from users,
// so the formula form carries no injection.
type code string

// csvCode is a code cell in CSV.
func csvCode(v code) string {
	s := string(v)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return `="` + s + `"`
	}
	return csvSafe(s)
}

// decimal is a number with two decimals (days, scores): a number cell
// in XLSX.
type decimal float64

// percent is a fraction shown as a percentage: a number cell with a
// percentage format in XLSX, "50.00%" in CSV; nil when undefined.
type percent *float64

// csvRecord renders one row for CSV: a string cell is user text and goes
// through csvSafe; a code as csvCode; the rest as cellText renders them.
func csvRecord(r []any) []string {
	rec := make([]string, len(r))
	for i, v := range r {
		switch x := v.(type) {
		case string:
			rec[i] = csvSafe(x)
		case code:
			rec[i] = csvCode(x)
		default:
			rec[i] = cellText(v)
		}
	}
	return rec
}

// xlsxStream is an XLSX sheet written row by row with typed cells: the
// header bold and frozen, widths set, times as dates, numbers as numbers,
// percentages with a percentage format.
type xlsxStream struct {
	f                   *excelize.File
	sw                  *excelize.StreamWriter
	next                int
	date, pct, dec, hdr int
}

func newXLSXStream(sheet string, headers []string, widths []float64) (*xlsxStream, error) {
	f := excelize.NewFile()
	x := &xlsxStream{f: f, next: 2}
	fail := func(what string, err error) (*xlsxStream, error) {
		f.Close()
		return nil, fmt.Errorf("xlsx %s: %w", what, err)
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail("sheet", err)
	}
	dateFmt, pctFmt, decFmt := "yyyy-mm-dd hh:mm:ss", "0.00%", "0.00"
	var err error
	if x.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail("style", err)
	}
	if x.pct, err = f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt}); err != nil {
		return fail("style", err)
	}
	if x.dec, err = f.NewStyle(&excelize.Style{CustomNumFmt: &decFmt}); err != nil {
		return fail("style", err)
	}
	if x.hdr, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fail("style", err)
	}
	if x.sw, err = f.NewStreamWriter(sheet); err != nil {
		return fail("stream", err)
	}
	// Panes and widths go before the first row (excelize's stream order).
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail("panes", err)
	}
	for i, w := range widths {
		if err := x.sw.SetColWidth(i+1, i+1, w); err != nil {
			return fail("width", err)
		}
	}
	head := make([]any, len(headers))
	for i, h := range headers {
		head[i] = excelize.Cell{StyleID: x.hdr, Value: h}
	}
	if err := x.sw.SetRow("A1", head); err != nil {
		return fail("header", err)
	}
	return x, nil
}

// row appends one row of typed cells.
func (x *xlsxStream) row(r []any) error {
	out := make([]any, len(r))
	for i, v := range r {
		out[i] = x.cell(v)
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.next)
	x.next++
	return x.sw.SetRow(cell, out)
}

func (x *xlsxStream) cell(v any) any {
	switch t := v.(type) {
	case nil:
		return nil
	case time.Time:
		if t.IsZero() {
			return nil
		}
		// Excel has no zone: the cell holds China time's wall clock.
		return excelize.Cell{StyleID: x.date, Value: t.In(worktime.Location)}
	case *time.Time:
		if t == nil {
			return nil
		}
		return x.cell(*t)
	case int64, int:
		return t
	case decimal:
		return excelize.Cell{StyleID: x.dec, Value: float64(t)}
	case percent:
		if t == nil {
			return nil
		}
		return excelize.Cell{StyleID: x.pct, Value: *t}
	case code:
		return string(t)
	case figure:
		return string(t)
	case string:
		return t
	}
	return cellText(v)
}

func (x *xlsxStream) close() { _ = x.f.Close() }

// stationView is a stationed unit with its open work and, when its
// bureau's area keeps a roll-up, its rates for the period.
type stationView struct {
	store.Station
	Rates *store.RatesRow `json:"rates,omitempty"`
}

// listStations serves GET /api/v1/stations: the units stationed under the
// caller's department (条块结合: a district bureau's street stations), each
// with its open, overdue and red-warning tasks and its six rates over the
// period (from, to: whole days; default this month), as GET
// /supervision/rates?group=department computes them over the bureau's
// area. Each station is listed as the policy lets the caller read its
// inbox (rule task:stationed_unit); a department with none gets an empty
// list, a caller with no department a 403.
func (s *Server) listStations(c *gin.Context) {
	q := &queryReader{c: c}
	from, to := q.time("from"), q.time("to")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	sub := caller(c)
	if err := s.Policy.Authorize(sub, policy.ReadInbox, policy.Object{DepartmentID: sub.DepartmentID}); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	bureau, err := s.Store.Department(ctx, sub.DepartmentID)
	if err != nil {
		fail(c, err)
		return
	}
	stations, err := s.Store.Stations(ctx, bureau.ID)
	if err != nil {
		fail(c, err)
		return
	}
	out := []stationView{}
	for _, st := range stations {
		if s.Policy.Authorize(sub, policy.ReadInbox, policy.Object{DepartmentID: st.ID, DepartmentParentID: bureau.ID}) == nil {
			out = append(out, stationView{Station: st})
		}
	}
	if len(out) > 0 {
		if sc, err := store.RollupScopeOf(whistle.OrgPath(bureau.OrgPath)); err == nil {
			rq := store.RatesQuery{Scope: sc, Group: store.GroupDepartment, Refresh: refreshBudget}
			if from != nil {
				rq.Period.From = *from
			}
			if to != nil {
				rq.Period.To = *to
			}
			rep, err := s.Store.SupervisionRates(ctx, rq)
			if err != nil {
				fail(c, err)
				return
			}
			for i := range out {
				for j := range rep.Items {
					if rep.Items[j].ID == out[i].ID {
						out[i].Rates = &rep.Items[j]
					}
				}
			}
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// stationTasks serves GET /api/v1/stations/{id}/tasks: a stationed unit's
// inbox as its bureau sees it (status active | all | a task status,
// overdue, warning, page, page_size), most urgent first; 403 for a unit
// not stationed under the caller's department.
func (s *Server) stationTasks(c *gin.Context) {
	q := &queryReader{c: c}
	status := q.oneOf("status", append([]string{"active", "all"}, store.TaskStatuses...)...)
	f := store.TaskFilter{Overdue: q.bool("overdue"), Warning: q.oneOf("warning", whistle.WarningYellow, whistle.WarningRed), Page: q.page()}
	if q.err != nil {
		fail(c, q.err)
		return
	}
	dept, err := s.Store.Department(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	obj := policy.Object{DepartmentID: dept.ID}
	if dept.ParentID != nil {
		obj.DepartmentParentID = *dept.ParentID
	}
	if err := s.Policy.Authorize(caller(c), policy.ReadInbox, obj); err != nil {
		fail(c, err)
		return
	}
	f.DepartmentID = dept.ID
	switch status {
	case "", "active":
	case "all":
		f.Status = store.AllTaskStatuses
	default:
		f.Status = []string{status}
	}
	items, total, err := s.Store.ListTasks(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, total, f.Page.Normalize()))
}
