package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The six rates of a scope, summed from the roll-up (live) or from the
// frozen copy of a published month.

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

// RollupScopeOf is the roll-up's view of the subtree at path: the whole
// city for "/" or the city's path, one district, or one street. The
// roll-up is kept per street, so a subtree below a street has none (nor
// has an invalid path): the error is forbidden.
func RollupScopeOf(path whistle.OrgPath) (RollupScope, error) {
	if path == "/" {
		return RollupScope{}, nil
	}
	if path.Valid() {
		switch path.Depth() {
		case 1:
			return RollupScope{}, nil
		case 2:
			return RollupScope{DistrictID: path.Unit()}, nil
		case 3:
			return RollupScope{AreaID: path.Unit()}, nil
		}
	}
	return RollupScope{}, whistle.Errorf(whistle.EForbidden, "督查统计按街道汇总：社区及以下单位不能查看统计，请选择街道或更高层级",
		"supervision statistics are kept per street: choose a street or a higher unit")
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

// orThisMonth fills a zero From or To with the start of the month of now
// or of the next (China time).
func (p Period) orThisMonth(now time.Time) Period {
	now = now.In(worktime.Location)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, worktime.Location)
	if p.From.IsZero() {
		p.From = first
	}
	if p.To.IsZero() {
		p.To = first.AddDate(0, 1, 0)
	}
	return p
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

// bucketConds covers p with as few buckets as it can: days, months and
// years, and with fine also Monday–Sunday weeks and the binary runs of a
// month (BucketRun2…16). The fewest buckets is a shortest path over the
// period's days (at most ~4,000 of them), each bucket an edge from its
// first day to the day after it; a tie keeps the longer bucket.
func bucketConds(p Period, fine bool) []bucketCond {
	start := p.From.In(worktime.Location)
	start = time.Date(start.Year(), start.Month(), start.Day(), 12, 0, 0, 0, worktime.Location)
	end := DayOf(p.To)
	type step struct {
		kind string
		from int // index of the day the bucket starts on
	}
	days := []time.Time{}
	index := map[int]int{}
	for d := start; DayOf(d) < end; d = d.AddDate(0, 0, 1) {
		index[DayOf(d)] = len(days)
		days = append(days, d)
	}
	n := len(days)
	index[end] = n
	cost := make([]int, n+1)
	how := make([]step, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = -1
	}
	for i, d := range days {
		if cost[i] < 0 {
			continue
		}
		try := func(kind string, next int) {
			j, ok := index[next]
			if !ok || next > end {
				return
			}
			if cost[j] < 0 || cost[i]+1 < cost[j] || (cost[i]+1 == cost[j] && j-i > j-how[j].from) {
				cost[j], how[j] = cost[i]+1, step{kind, i}
			}
		}
		try(BucketDay, DayOf(d.AddDate(0, 0, 1)))
		if d.Day() == 1 {
			try(BucketMonth, DayOf(d.AddDate(0, 1, 0)))
			if d.Month() == time.January {
				try(BucketYear, DayOf(d.AddDate(1, 0, 0)))
			}
		}
		if !fine {
			continue
		}
		if d.Weekday() == time.Monday {
			try(BucketWeek, DayOf(d.AddDate(0, 0, 7)))
		}
		for _, r := range runKinds {
			if (d.Day()-1)%r.days == 0 {
				try(r.kind, runEnd(d, r.days))
			}
		}
	}
	var out []bucketCond
	for j := n; j > 0; {
		st := how[j]
		lo, hi := DayOf(days[st.from]), DayOf(p.To)
		if j < n {
			hi = DayOf(days[j])
		}
		// Runs of one kind side by side read as one range of starts.
		if k := len(out); k > 0 && out[k-1].kind == st.kind && out[k-1].lo == hi {
			out[k-1].lo = lo
		} else {
			out = append(out, bucketCond{st.kind, lo, hi})
		}
		j = st.from
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

type keyedCounts struct {
	Key  string
	Name string
	Kind string // the group's org level
	Counts
}

// rollupSource says where counts come from: the live roll-up over period
// (day by day with daysOnly), or the published months (YYYYMM).
type rollupSource struct {
	period   Period
	months   []int
	daysOnly bool
}

// groupCounts sums the counts by group key over the source and scope, with
// each group's name, in one query scanned without reflection (a city's
// 5,000 departments are read in a few milliseconds).
func (s *Store) groupCounts(ctx context.Context, src rollupSource, sc RollupScope, group string) ([]keyedCounts, error) {
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
	if len(src.months) > 0 {
		table = "supervision_published"
		where = append(where, "month IN ?")
		args = append(args, src.months)
	} else {
		// Departments over a city or a district: the per-district buckets.
		district := depts && sc.AreaID == ""
		var parts []string
		// Weeks are kept for areas and, per district, for departments.
		conds := bucketConds(src.period, !depts || district)
		if src.daysOnly {
			conds = []bucketCond{{BucketDay, DayOf(src.period.From), DayOf(src.period.To)}}
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
			k.Kind = string(whistle.OrgPath(k.Kind).Level())
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
// calendar month.
type RatesQuery struct {
	Scope RollupScope
	// Period is read live. A zero From or To stands for the start of the
	// current month or of the next (China time): the zero Period is the
	// current month.
	Period Period
	// Month (YYYYMM) asks for that month instead of a Period: from its
	// frozen copy once it is published, live before.
	Month int
	Group string
	// Refresh is how many queued cases a live read first folds into the
	// roll-up (0: none); see Store.fold.
	Refresh int
	// DaysOnly reads a live period day by day instead of by the coarsest
	// buckets: the same counts, slower (the tests compare the two).
	DaysOnly bool
}

// SupervisionRates computes the rates by group. A published Month is
// served from its frozen copy; anything else from the live roll-up, after
// folding up to q.Refresh queued cases into it. It returns an invalid
// error for a period that is not whole days, or for both a Month and a
// Period.
func (s *Store) SupervisionRates(ctx context.Context, q RatesQuery) (RatesReport, error) {
	rep := RatesReport{Group: q.Group, Items: []RatesRow{}}
	src := rollupSource{period: q.Period, daysOnly: q.DaysOnly}
	if q.Month != 0 {
		if !q.Period.From.IsZero() || !q.Period.To.IsZero() {
			return rep, whistle.Errorf(whistle.EInvalid, "month 与 from/to 只能选一种", "give month or from/to, not both")
		}
		src.period = MonthPeriod(q.Month)
		rep.Month = fmt.Sprintf("%04d-%02d", q.Month/100, q.Month%100)
		pub, published, err := s.published(ctx, q.Month)
		if err != nil {
			return rep, err
		}
		if published {
			src.months = []int{q.Month}
			rep.Published = true
			at := pub.PublishedAt
			rep.PublishedAt = &at
		}
	} else {
		src.period = q.Period.orThisMonth(time.Now())
	}
	if err := src.period.Check(); err != nil {
		return rep, err
	}
	if !rep.Published {
		s.fold(ctx, q.Refresh)
	}
	rep.From, rep.To = src.period.From, src.period.To
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
