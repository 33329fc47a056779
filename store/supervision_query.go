package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// --- breaches and escalations -------------------------------------------------

// BreachFilter narrows ListBreaches. Empty fields do not filter.
type BreachFilter struct {
	Scope        Scope
	From, To     *time.Time // breach.at in [From, To)
	Level        string     // the level holding the case when the deadline was missed
	OrgPath      string     // cases filed inside this subtree
	DepartmentID string
	Class        string
	Kind         string // report | handle
	Resolved     *bool
	Page         Page
	// Limit, when > 0, returns the first Limit rows instead of Page (exports).
	Limit int
}

// BreachView is a breach with what a supervisor reads beside it.
type BreachView struct {
	whistle.Breach
	Class          string `json:"class"`
	OrgPath        string `json:"org_path"`
	CaseTitle      string `json:"case_title"`
	CaseStatus     string `json:"case_status"`
	DepartmentName string `json:"department_name"`
}

// ListBreaches returns the breaches matching f, newest first, with the total.
func (s *Store) ListBreaches(ctx context.Context, f BreachFilter) ([]BreachView, int64, error) {
	q := f.Scope.apply(s.DB.WithContext(ctx).Table("breaches"), "breaches.org_path", "breaches.case_id")
	if f.From != nil {
		q = q.Where("breaches.at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("breaches.at < ?", f.To.UTC())
	}
	if f.Level != "" {
		q = q.Where("breaches.level = ?", f.Level)
	}
	if f.OrgPath != "" {
		q = q.Where("breaches.org_path LIKE ?", likePrefix(f.OrgPath))
	}
	if f.DepartmentID != "" {
		q = q.Where("breaches.department_id = ?", f.DepartmentID)
	}
	if f.Class != "" {
		q = q.Where("breaches.class = ?", f.Class)
	}
	if f.Kind != "" {
		q = q.Where("breaches.kind = ?", f.Kind)
	}
	if f.Resolved != nil {
		q = q.Where("breaches.resolved = ?", *f.Resolved)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count breaches: %w", err)
	}
	offset, limit := pageWindow(f.Page, f.Limit)
	var rows []struct {
		BreachRow
		CaseTitle      string
		CaseStatus     string
		DepartmentName string
	}
	err := q.Select("breaches.*, cases.title AS case_title, cases.status AS case_status, departments.name AS department_name").
		Joins("LEFT JOIN cases ON cases.id = breaches.case_id").
		Joins("LEFT JOIN departments ON departments.id = breaches.department_id").
		Order("breaches.at DESC, breaches.id DESC").Offset(offset).Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list breaches: %w", err)
	}
	out := make([]BreachView, len(rows))
	for i, r := range rows {
		out[i] = BreachView{Breach: breachFromRow(r.BreachRow), Class: r.Class, OrgPath: r.OrgPath,
			CaseTitle: r.CaseTitle, CaseStatus: r.CaseStatus, DepartmentName: r.DepartmentName}
	}
	return out, total, nil
}

// EscalationFilter narrows ListEscalations. Empty fields do not filter.
type EscalationFilter struct {
	Scope        Scope
	From, To     *time.Time // escalation.at in [From, To)
	Level        string     // the level escalated to
	FromLevel    string     // the level escalated from
	OrgPath      string     // cases filed inside this subtree
	DepartmentID string     // cases with a task for this department
	Class        string
	Kind         string // requested | handle_breach | verification
	// Open keeps escalations whose case is still open (not closed) when
	// true, of closed cases when false.
	Open  *bool
	Page  Page
	Limit int
}

// EscalationView is an escalation with its case's title and status.
type EscalationView struct {
	whistle.Escalation
	Class      string `json:"class"`
	OrgPath    string `json:"org_path"`
	CaseTitle  string `json:"case_title"`
	CaseStatus string `json:"case_status"`
}

// ListEscalations returns the escalations matching f, newest first, with the total.
func (s *Store) ListEscalations(ctx context.Context, f EscalationFilter) ([]EscalationView, int64, error) {
	q := f.Scope.apply(s.DB.WithContext(ctx).Table("escalations"), "escalations.org_path", "escalations.case_id")
	if f.From != nil {
		q = q.Where("escalations.at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("escalations.at < ?", f.To.UTC())
	}
	if f.Level != "" {
		q = q.Where("escalations.to_level = ?", f.Level)
	}
	if f.FromLevel != "" {
		q = q.Where("escalations.from_level = ?", f.FromLevel)
	}
	if f.OrgPath != "" {
		q = q.Where("escalations.org_path LIKE ?", likePrefix(f.OrgPath))
	}
	if f.DepartmentID != "" {
		q = q.Where("escalations.case_id IN (SELECT case_id FROM tasks WHERE department_id = ?)", f.DepartmentID)
	}
	if f.Class != "" {
		q = q.Where("escalations.class = ?", f.Class)
	}
	if f.Kind != "" {
		q = q.Where("escalations.kind = ?", f.Kind)
	}
	if f.Open != nil {
		op := "<>"
		if !*f.Open {
			op = "="
		}
		q = q.Where("escalations.case_id IN (SELECT id FROM cases WHERE status "+op+" ?)", string(whistle.CaseClosed))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count escalations: %w", err)
	}
	offset, limit := pageWindow(f.Page, f.Limit)
	var rows []struct {
		EscalationRow
		CaseTitle  string
		CaseStatus string
	}
	err := q.Select("escalations.*, cases.title AS case_title, cases.status AS case_status").
		Joins("LEFT JOIN cases ON cases.id = escalations.case_id").
		Order("escalations.at DESC, escalations.case_id DESC, escalations.seq DESC").Offset(offset).Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list escalations: %w", err)
	}
	out := make([]EscalationView, len(rows))
	for i, r := range rows {
		out[i] = EscalationView{Escalation: escalationFromRow(r.EscalationRow), Class: r.Class, OrgPath: r.OrgPath,
			CaseTitle: r.CaseTitle, CaseStatus: r.CaseStatus}
	}
	return out, total, nil
}

func pageWindow(p Page, limit int) (offset, n int) {
	if limit > 0 {
		return 0, limit
	}
	p = p.Normalize()
	return p.offset(), p.PageSize
}

// --- rates ----------------------------------------------------------------------

// Rate groups.
const (
	GroupDepartment = "department"
	GroupStreet     = "street"
	GroupDistrict   = "district"
)

// RollupScope is a jurisdiction as the roll-up can filter it: all, one
// district (DistrictID) or one street (AreaID).
type RollupScope struct {
	DistrictID string
	AreaID     string
}

// RollupScopeOf turns a subtree path ("/" or a unit's path) into a
// RollupScope. The roll-up is kept per street, so a subtree below a street
// has none: ok is false.
func RollupScopeOf(path string) (sc RollupScope, ok bool) {
	trimmed := strings.Trim(path, "/")
	if trimmed == "" {
		return RollupScope{}, true
	}
	ids := strings.Split(trimmed, "/")
	switch len(ids) {
	case 1:
		return RollupScope{}, true
	case 2:
		return RollupScope{DistrictID: ids[1]}, true
	case 3:
		return RollupScope{AreaID: ids[2]}, true
	}
	return RollupScope{}, false
}

func (sc RollupScope) apply(q *gorm.DB) *gorm.DB {
	if sc.AreaID != "" {
		q = q.Where("area_id = ?", sc.AreaID)
	}
	if sc.DistrictID != "" {
		q = q.Where("district_id = ?", sc.DistrictID)
	}
	return q
}

// Period is a span of whole days [From, To) in Asia/Shanghai.
type Period struct {
	From, To time.Time
}

// MonthPeriod is the calendar month YYYYMM.
func MonthPeriod(month int) Period {
	from := time.Date(month/100, time.Month(month%100), 1, 0, 0, 0, 0, worktime.Location)
	return Period{From: from, To: from.AddDate(0, 1, 0)}
}

// YearPeriod is the calendar year.
func YearPeriod(year int) Period {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, worktime.Location)
	return Period{From: from, To: from.AddDate(1, 0, 0)}
}

// Check refuses a period that is not whole days or not from < to.
func (p Period) Check() error {
	for _, t := range []time.Time{p.From, p.To} {
		l := t.In(worktime.Location)
		if l.Hour() != 0 || l.Minute() != 0 || l.Second() != 0 || l.Nanosecond() != 0 {
			return whistle.Errorf(whistle.EInvalid, "统计区间须为整日（北京时间零点）：%s", "a statistics period is whole days (midnight, China Standard Time): %s", t.Format(time.RFC3339))
		}
	}
	if !p.From.Before(p.To) {
		return whistle.Errorf(whistle.EInvalid, "统计区间的起点须早于终点", "the period must start before it ends")
	}
	if p.To.Sub(p.From) > 11*366*24*time.Hour {
		return whistle.Errorf(whistle.EInvalid, "统计区间不能超过十年", "a period is at most ten years")
	}
	return nil
}

// bucketCond is one run of buckets of a kind: start in [lo, hi).
type bucketCond struct {
	kind   string
	lo, hi int
}

// bucketConds covers p with as few buckets as it can: whole years, whole
// months, then (with weeks) whole Monday–Sunday weeks that do not cut into
// a month the range holds whole, then days.
func bucketConds(p Period, weeks bool) []bucketCond {
	var out []bucketCond
	add := func(kind string, from, next time.Time) {
		lo, hi := DayOf(from), DayOf(next)
		if n := len(out); n > 0 && out[n-1].kind == kind && out[n-1].hi == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, bucketCond{kind, lo, hi})
	}
	d := p.From.In(worktime.Location)
	end := p.To.In(worktime.Location)
	fits := func(next time.Time) bool { return !next.After(end) }
	weekFits := func(d time.Time) bool {
		if !weeks || d.Weekday() != time.Monday || !fits(d.AddDate(0, 0, 7)) {
			return false
		}
		for i := 1; i < 7; i++ { // a month held whole is cheaper as a month
			if m := d.AddDate(0, 0, i); m.Day() == 1 && fits(m.AddDate(0, 1, 0)) {
				return false
			}
		}
		return true
	}
	for d.Before(end) {
		switch {
		case d.Month() == 1 && d.Day() == 1 && fits(d.AddDate(1, 0, 0)):
			add(BucketYear, d, d.AddDate(1, 0, 0))
			d = d.AddDate(1, 0, 0)
		case d.Day() == 1 && fits(d.AddDate(0, 1, 0)):
			add(BucketMonth, d, d.AddDate(0, 1, 0))
			d = d.AddDate(0, 1, 0)
		case weekFits(d):
			add(BucketWeek, d, d.AddDate(0, 0, 7))
			d = d.AddDate(0, 0, 7)
		default:
			add(BucketDay, d, d.AddDate(0, 0, 1))
			d = d.AddDate(0, 0, 1)
		}
	}
	return out
}

// daysOnly makes bucketConds use no weeks, months or years (tests compare).
var daysOnly bool

type keyedCounts struct {
	Key  string
	Name string
	Kind string // the group's org level
	Counts
}

// RollupSource says where counts come from: the live roll-up over Period,
// or the published months Months (YYYYMM).
type RollupSource struct {
	Period Period
	Months []int
}

// groupCounts sums the counts by group key over the source and scope, with
// each group's name, in one query scanned without reflection (a city's
// 5,000 departments are read in a few milliseconds).
func (s *Store) groupCounts(ctx context.Context, src RollupSource, sc RollupScope, group string) ([]keyedCounts, error) {
	var key, join, nameCols string
	depts := false
	switch group {
	case GroupDepartment:
		key, depts = "department_id", true
		join, nameCols = "LEFT JOIN departments n ON n.id = a.key", "COALESCE(n.name, ''), COALESCE(n.org_path, '')"
	case GroupStreet, GroupDistrict:
		key = "area_id"
		if group == GroupDistrict {
			key = "district_id"
		}
		join, nameCols = "LEFT JOIN org_units n ON n.id = a.key", "COALESCE(n.name, ''), COALESCE(n.kind, '')"
	case "":
		key, nameCols = "''", "'', ''"
	default:
		return nil, whistle.Errorf(whistle.EInvalid, "分组 group 无效：%q（可选 department、street、district）", "invalid group %q (one of department, street, district)", group)
	}
	var where []string
	var args []any
	table := "supervision_rollup"
	if len(src.Months) > 0 {
		table = "supervision_published"
		where = append(where, "month IN ?")
		args = append(args, src.Months)
	} else {
		// Departments over a city or a district: the per-district buckets.
		district := depts && sc.AreaID == ""
		var parts []string
		// Weeks are kept for areas and, per district, for departments.
		conds := bucketConds(src.Period, !depts || district)
		if daysOnly {
			conds = []bucketCond{{BucketDay, DayOf(src.Period.From), DayOf(src.Period.To)}}
		}
		for _, c := range conds {
			kind := c.kind
			if district {
				kind = strings.ToUpper(kind)
			}
			parts = append(parts, "(kind = ? AND start >= ? AND start < ?)")
			args = append(args, kind, c.lo, c.hi)
		}
		where = append(where, "("+strings.Join(parts, " OR ")+")")
	}
	if depts {
		where = append(where, "department_id <> ''")
	} else {
		where = append(where, "department_id = ''")
	}
	if sc.AreaID != "" {
		where = append(where, "area_id = ?")
		args = append(args, sc.AreaID)
	}
	if sc.DistrictID != "" {
		where = append(where, "district_id = ?")
		args = append(args, sc.DistrictID)
	}
	// The 22 sums come back as one text "n,n,…": database/sql converts each
	// cell through reflection (about 10 µs a row of 22 cells, 50 ms for a
	// city's 5,000 departments), while one string per row scans directly
	// and strconv reads it in microseconds.
	var sums strings.Builder
	packed := make([]string, len(counterColumns))
	for i, c := range counterColumns {
		sums.WriteString(", CAST(SUM(" + c + ") AS BIGINT) AS " + c)
		packed[i] = "COALESCE(a." + c + ", 0)"
	}
	inner := "SELECT " + key + " AS key" + sums.String() + " FROM " + table + " WHERE " + strings.Join(where, " AND ")
	if group != "" {
		inner += " GROUP BY " + key
	}
	q := "SELECT a.key, " + nameCols + ", " + strings.Join(packed, " || ',' || ") + " FROM (" + inner + ") a " + join + " ORDER BY a.key"
	var out []keyedCounts
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			// Summing 5,000 departments over many buckets hashes them in
			// memory with room to; the default 4 MB sorts instead (4× slower).
			if err := tx.Exec("SET LOCAL work_mem = '64MB'").Error; err != nil {
				return err
			}
		}
		var err error
		out, err = scanGroups(tx, q, args, group, depts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sum supervision roll-up by %s: %w", group, err)
	}
	return out, nil
}

func scanGroups(tx *gorm.DB, q string, args []any, group string, depts bool) ([]keyedCounts, error) {
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []keyedCounts
	for rows.Next() {
		var k keyedCounts
		var key sql.NullString
		var packedCounts string
		if err := rows.Scan(&key, &k.Name, &k.Kind, &packedCounts); err != nil {
			return nil, fmt.Errorf("read supervision roll-up: %w", err)
		}
		k.Key = key.String
		if err := k.Counts.unpack(packedCounts); err != nil {
			return nil, fmt.Errorf("read supervision roll-up: %w", err)
		}
		if group == "" && k.Counts.zero() {
			continue
		}
		if depts {
			k.Kind = levelOfPath(k.Kind)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read supervision roll-up: %w", err)
	}
	return out, nil
}

// unpack reads counters packed as "n,n,…" in counterColumns order.
func (c *Counts) unpack(s string) error {
	f := c.fields()
	for i := range f {
		part, rest, _ := strings.Cut(s, ",")
		v, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return fmt.Errorf("counter %s: %q: %w", counterColumns[i], part, err)
		}
		*f[i], s = v, rest
	}
	return nil
}

// RateValue is one rate with the counts behind it. Rate is nil when the
// denominator is zero.
type RateValue struct {
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Rate        *float64 `json:"rate"`
}

func rate(n, d int64) RateValue {
	v := RateValue{Numerator: n, Denominator: d}
	if d > 0 {
		r := float64(n) / float64(d)
		v.Rate = &r
	}
	return v
}

// Rates are the six rates of DESIGN.md §2 for one group.
type Rates struct {
	Response      RateValue `json:"response_rate"`        // 响应率
	Resolution    RateValue `json:"resolution_rate"`      // 解决率
	Satisfaction  RateValue `json:"satisfaction_rate"`    // 满意率
	OnTimeClosure RateValue `json:"on_time_closure_rate"` // 按期结案率
	Rework        RateValue `json:"rework_rate"`          // 返工率
	Extension     RateValue `json:"extension_rate"`       // 延期率
}

// RatesOf computes the rates from counts (docs/supervision.md).
func RatesOf(c Counts) Rates {
	return Rates{
		Response:      rate(c.RespOnTime, c.RespDue),
		Resolution:    rate(c.ResSolved, c.ResDue),
		Satisfaction:  rate(c.Satisfied()+c.BasicallySatisfied(), c.Evaluations()),
		OnTimeClosure: rate(c.CloseOnTime, c.CloseDue),
		Rework:        rate(c.VerifsFailed, c.Verifs),
		Extension:     rate(c.ExtGranted, c.ExtTasks),
	}
}

// RatesRow is one group's rates.
type RatesRow struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"` // the department's or unit's org level
	Counts Counts `json:"counts"`
	Rates
	Satisfied          int64 `json:"satisfied"`
	BasicallySatisfied int64 `json:"basically_satisfied"`
	Dissatisfied       int64 `json:"dissatisfied"`
}

// RatesReport answers a rates query.
type RatesReport struct {
	Group string    `json:"group"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	// Month is set (YYYY-MM) for a published month; PublishedAt when it
	// came from the published copy.
	Month       string     `json:"month,omitempty"`
	Published   bool       `json:"published"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Items       []RatesRow `json:"items"`
	// Total is the whole scope counted as one area (cases counted once).
	Total RatesRow `json:"total"`
}

// RatesQuery asks for the rates of a scope over a period, or of a
// published month (Month YYYYMM, served from its frozen copy).
type RatesQuery struct {
	Scope  RollupScope
	Period Period
	Month  int
	Group  string
}

// SupervisionRates computes the rates by group. For q.Month it serves the
// published copy when the month is published, the live roll-up otherwise.
func (s *Store) SupervisionRates(ctx context.Context, q RatesQuery) (RatesReport, error) {
	rep := RatesReport{Group: q.Group, Items: []RatesRow{}}
	src := RollupSource{Period: q.Period}
	if q.Month != 0 {
		src.Period = MonthPeriod(q.Month)
		rep.Month = fmt.Sprintf("%04d-%02d", q.Month/100, q.Month%100)
		pub, err := s.Publication(ctx, q.Month)
		if err != nil && whistle.ErrorCode(err) != whistle.ENotFound {
			return rep, err
		}
		if err == nil {
			src.Months = []int{q.Month}
			rep.Published = true
			at := pub.PublishedAt
			rep.PublishedAt = &at
		}
	}
	if err := src.Period.Check(); err != nil {
		return rep, err
	}
	rep.From, rep.To = src.Period.From, src.Period.To
	rows, err := s.groupCounts(ctx, src, q.Scope, q.Group)
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		rep.Items = append(rep.Items, ratesRow(r.Key, r.Name, r.Kind, r.Counts))
	}
	total, err := s.groupCounts(ctx, src, q.Scope, "")
	if err != nil {
		return rep, err
	}
	var all Counts
	for _, t := range total {
		all.Add(t.Counts)
	}
	rep.Total = ratesRow("", "合计", "", all)
	return rep, nil
}

func ratesRow(id, name, kind string, c Counts) RatesRow {
	return RatesRow{ID: id, Name: name, Kind: kind, Counts: c, Rates: RatesOf(c),
		Satisfied: c.Satisfied(), BasicallySatisfied: c.BasicallySatisfied(), Dissatisfied: c.Dissatisfied()}
}

// levelOfPath is the org level of a unit path: city, district, street, or
// community for anything deeper.
func levelOfPath(path string) string {
	switch strings.Count(strings.Trim(path, "/"), "/") {
	case 0:
		return string(whistle.LevelCity)
	case 1:
		return string(whistle.LevelDistrict)
	case 2:
		return string(whistle.LevelStreet)
	}
	return string(whistle.LevelCommunity)
}

// --- assessment -----------------------------------------------------------------

// Assessment defaults: Beijing's one third; Kunming's floor of 30%.
const (
	DefaultStreetWeight = 1.0 / 3
	MinStreetWeight     = 0.30
	DefaultMinCases     = 10
)

// AssessmentSettingFor returns the settings in force for a year: its own
// row, else the default row (year 0), else the built-in defaults.
func (s *Store) AssessmentSettingFor(ctx context.Context, year int) (AssessmentSetting, error) {
	var rows []AssessmentSetting
	if err := s.DB.WithContext(ctx).Where("year IN ?", []int{0, year}).Order("year DESC").Find(&rows).Error; err != nil {
		return AssessmentSetting{}, fmt.Errorf("load assessment settings for %d: %w", year, err)
	}
	if len(rows) > 0 {
		return rows[0], nil
	}
	return AssessmentSetting{Year: 0, StreetWeight: DefaultStreetWeight, MinCases: DefaultMinCases}, nil
}

// PutAssessmentSetting stores the settings of a year (0: the default). It
// refuses a street weight under MinStreetWeight or over 1, and a negative
// minimum of cases.
func (s *Store) PutAssessmentSetting(ctx context.Context, a AssessmentSetting) (AssessmentSetting, error) {
	switch {
	case math.IsNaN(a.StreetWeight) || a.StreetWeight < MinStreetWeight-1e-9 || a.StreetWeight > 1:
		return a, whistle.Errorf(whistle.EInvalid, "街乡评价权重须在 0.30 到 1 之间（不低于30%%），收到 %v", "the street evaluation weight must be from 0.30 to 1 (at least 30%%), got %v", a.StreetWeight)
	case a.MinCases < 0 || a.MinCases > 1_000_000:
		return a, whistle.Errorf(whistle.EInvalid, "参与排名的最少案件数须在 0 到 1000000 之间，收到 %d", "the minimum of cases to be ranked must be from 0 to 1000000, got %d", a.MinCases)
	case a.Year != 0 && (a.Year < 2000 || a.Year > 2100):
		return a, whistle.Errorf(whistle.EInvalid, "年份无效：%d", "invalid year %d", a.Year)
	}
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "year"}},
		DoUpdates: clause.AssignmentColumns([]string{"street_weight", "min_cases", "updated_by", "updated_at"}),
	}).Create(&a).Error
	if err != nil {
		return a, fmt.Errorf("save assessment settings for %d: %w", a.Year, err)
	}
	return s.AssessmentSettingFor(ctx, a.Year)
}

// Unranked reasons.
const (
	UnrankedTooFewCases        = "too_few_cases"
	UnrankedNoStreetEvaluation = "no_street_evaluations"
)

// Scorecard is one department's annual assessment (docs/supervision.md).
type Scorecard struct {
	DepartmentID string `json:"department_id"`
	Name         string `json:"name"`
	Level        string `json:"level"`
	Counts       Counts `json:"counts"`
	Rates
	// StreetScore is the mean evaluation score given by streets and their
	// communities (街乡评价, 0–100); OtherScore by the other levels.
	StreetScore *float64 `json:"street_score"`
	OtherScore  *float64 `json:"other_score"`
	// PerformanceScore is the mean of the defined components among the
	// response, resolution and on-time closure rates, 1 − the rework rate
	// (each ×100) and OtherScore.
	PerformanceScore *float64 `json:"performance_score"`
	StreetWeight     float64  `json:"street_weight"`
	// Total = StreetWeight × StreetScore + (1 − StreetWeight) × PerformanceScore.
	Total          *float64 `json:"total"`
	Rank           *int     `json:"rank"`
	UnrankedReason string   `json:"unranked_reason,omitempty"`
	Unranked       string   `json:"unranked,omitempty"` // the reason, in Chinese
}

// AssessmentReport answers an assessment query.
type AssessmentReport struct {
	Year         int     `json:"year"`
	StreetWeight float64 `json:"street_weight"`
	MinCases     int     `json:"min_cases"`
	// AsOf is the last published month (YYYY-MM) of a published assessment.
	AsOf        string      `json:"as_of,omitempty"`
	Published   bool        `json:"published"`
	PublishedAt *time.Time  `json:"published_at,omitempty"`
	Items       []Scorecard `json:"items"`
}

// AssessmentQuery asks for a year's scorecards in a scope; AsOfMonth
// (YYYYMM) asks for the running assessment as published at that month.
type AssessmentQuery struct {
	Scope     RollupScope
	Year      int
	AsOfMonth int
	Level     string // keep departments of this org level only
}

// evalScore is the mean per-evaluation score (0–100) of n evaluations with
// Σ(timeliness+quality+attitude) = sum, sat satisfied and basic basically
// satisfied: each evaluation scores (p(T)+p(Q)+p(A)+p(S))/4 with
// p(x) = 25(x−1) and p(S) = 100, 75 or 0.
func evalScore(n, sum, sat, basic int64) *float64 {
	if n == 0 {
		return nil
	}
	v := (25*float64(sum-3*n) + 100*float64(sat) + 75*float64(basic)) / (4 * float64(n))
	return &v
}

// round2 rounds to two decimals, the precision shown and ranked on.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// scorecard computes one department's scores with weight w.
func scorecard(id string, c Counts, w float64) Scorecard {
	sc := Scorecard{DepartmentID: id, Counts: c, Rates: RatesOf(c), StreetWeight: w}
	sc.StreetScore = evalScore(c.GEvals, c.GSum, c.GSat, c.GBasic)
	sc.OtherScore = evalScore(c.OEvals, c.OSum, c.OSat, c.OBasic)
	var parts []float64
	for _, r := range []RateValue{sc.Response, sc.Resolution, sc.OnTimeClosure} {
		if r.Rate != nil {
			parts = append(parts, 100**r.Rate)
		}
	}
	if sc.Rework.Rate != nil {
		parts = append(parts, 100*(1-*sc.Rework.Rate))
	}
	if sc.OtherScore != nil {
		parts = append(parts, *sc.OtherScore)
	}
	if len(parts) > 0 {
		var sum float64
		for _, p := range parts {
			sum += p
		}
		v := sum / float64(len(parts))
		sc.PerformanceScore = &v
	}
	switch {
	case sc.StreetScore != nil && sc.PerformanceScore != nil:
		v := w**sc.StreetScore + (1-w)**sc.PerformanceScore
		sc.Total = &v
	case sc.StreetScore != nil:
		sc.Total = sc.StreetScore
	case sc.PerformanceScore != nil:
		sc.Total = sc.PerformanceScore
	}
	return sc
}

// Assessment computes the scorecards of a year and ranks them: departments
// with fewer than MinCases cases or without street evaluations are not
// ranked. Equal totals (to two decimals) share a rank (1, 2, 2, 4).
func (s *Store) Assessment(ctx context.Context, q AssessmentQuery) (AssessmentReport, error) {
	rep := AssessmentReport{Year: q.Year, Items: []Scorecard{}}
	if q.Year < 2000 || q.Year > 2100 {
		return rep, whistle.Errorf(whistle.EInvalid, "年份无效：%d", "invalid year %d", q.Year)
	}
	src := RollupSource{Period: YearPeriod(q.Year)}
	var setting AssessmentSetting
	if q.AsOfMonth != 0 {
		if q.AsOfMonth/100 != q.Year {
			return rep, whistle.Errorf(whistle.EInvalid, "截至月份须在 %d 年内", "the as-of month must be in %d", q.Year)
		}
		pub, err := s.Publication(ctx, q.AsOfMonth)
		if err != nil {
			return rep, err
		}
		var months []int
		if err := s.DB.WithContext(ctx).Model(&SupervisionPublication{}).Where("month >= ? AND month <= ?", q.Year*100+1, q.AsOfMonth).
			Order("month").Pluck("month", &months).Error; err != nil {
			return rep, fmt.Errorf("list published months: %w", err)
		}
		src.Months = months
		setting = AssessmentSetting{StreetWeight: pub.StreetWeight, MinCases: pub.MinCases}
		rep.Published, rep.AsOf = true, fmt.Sprintf("%04d-%02d", q.AsOfMonth/100, q.AsOfMonth%100)
		at := pub.PublishedAt
		rep.PublishedAt = &at
	} else {
		var err error
		if setting, err = s.AssessmentSettingFor(ctx, q.Year); err != nil {
			return rep, err
		}
	}
	rep.StreetWeight, rep.MinCases = setting.StreetWeight, setting.MinCases
	rows, err := s.groupCounts(ctx, src, q.Scope, GroupDepartment)
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		if q.Level != "" && r.Kind != q.Level {
			continue
		}
		sc := scorecard(r.Key, r.Counts, setting.StreetWeight)
		sc.Name, sc.Level = r.Name, r.Kind
		switch {
		case r.Cases < int64(setting.MinCases):
			sc.UnrankedReason = UnrankedTooFewCases
			sc.Unranked = fmt.Sprintf("案件数 %d 少于参与排名的最低要求 %d 件", r.Cases, setting.MinCases)
		case sc.StreetScore == nil:
			sc.UnrankedReason = UnrankedNoStreetEvaluation
			sc.Unranked = "没有街乡（街道及社区）评价"
		}
		rep.Items = append(rep.Items, sc)
	}
	rankScorecards(rep.Items)
	return rep, nil
}

// rankScorecards ranks the rankable cards by total (two decimals) and
// sorts: ranked first by rank then id, then the unranked by id.
func rankScorecards(cards []Scorecard) {
	sort.SliceStable(cards, func(i, j int) bool {
		a, b := cards[i], cards[j]
		ra, rb := a.UnrankedReason == "" && a.Total != nil, b.UnrankedReason == "" && b.Total != nil
		if ra != rb {
			return ra
		}
		if ra && round2(*a.Total) != round2(*b.Total) {
			return round2(*a.Total) > round2(*b.Total)
		}
		return a.DepartmentID < b.DepartmentID
	})
	for i := range cards {
		if cards[i].UnrankedReason != "" || cards[i].Total == nil {
			break
		}
		r := i + 1
		if i > 0 && round2(*cards[i].Total) == round2(*cards[i-1].Total) {
			r = *cards[i-1].Rank
		}
		cards[i].Rank = &r
	}
}

// --- publication ----------------------------------------------------------------

// Publication returns the record of a published month or a not_found error.
func (s *Store) Publication(ctx context.Context, month int) (SupervisionPublication, error) {
	var p SupervisionPublication
	err := s.DB.WithContext(ctx).Where("month = ?", month).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, whistle.Errorf(whistle.ENotFound, "%04d-%02d 月尚未发布", "month %04d-%02d is not published", month/100, month%100)
	}
	if err != nil {
		return p, fmt.Errorf("load publication %d: %w", month, err)
	}
	return p, nil
}

// PublishMonth freezes the month's roll-up buckets (YYYYMM) into
// supervision_published with the assessment settings in force, once: a
// month already published is left as it is and published is false. The
// caller refreshes the roll-up first.
func (s *Store) PublishMonth(ctx context.Context, month int, now time.Time) (pub SupervisionPublication, published bool, err error) {
	if month%100 < 1 || month%100 > 12 || month/100 < 2000 || month/100 > 2100 {
		return pub, false, whistle.Errorf(whistle.EInvalid, "月份无效：%d", "invalid month %d", month)
	}
	setting, err := s.AssessmentSettingFor(ctx, month/100)
	if err != nil {
		return pub, false, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing []SupervisionPublication
		if err := tx.Where("month = ?", month).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) > 0 {
			pub = existing[0]
			return nil
		}
		cols := strings.Join(counterColumns, ", ")
		// The per-street month buckets: every view of the month derives from them.
		res := tx.Exec(`INSERT INTO supervision_published (month, department_id, area_id, district_id, `+cols+`)
SELECT ?, department_id, area_id, district_id, `+cols+` FROM supervision_rollup WHERE kind = ? AND start = ?`,
			month, BucketMonth, month*100+1)
		if res.Error != nil {
			return res.Error
		}
		pub = SupervisionPublication{Month: month, PublishedAt: now.UTC(), StreetWeight: setting.StreetWeight, MinCases: setting.MinCases, Rows: int(res.RowsAffected)}
		if err := tx.Create(&pub).Error; err != nil {
			return err
		}
		published = true
		return nil
	})
	if err != nil {
		return pub, false, fmt.Errorf("publish month %d: %w", month, err)
	}
	return pub, published, nil
}
