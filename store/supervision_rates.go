package store

import (
	"context"
	"fmt"
	"time"

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

// RateValue is one rate with the counts behind it. Rate is nil when the
// denominator is zero.
type RateValue struct {
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Rate        *float64 `json:"rate"`
}

// rate is n/d, kept in *r.
func rate(n, d int64, r *float64) RateValue {
	v := RateValue{Numerator: n, Denominator: d}
	if d > 0 {
		*r = float64(n) / float64(d)
		v.Rate = r
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
func RatesOf(c Counts) Rates { return ratesOf(&c, new([6]float64)) }

// ratesOf keeps the six rates in r: a report allocates them for all its
// rows at once instead of six times a row (30,000 times for a city's
// departments).
func ratesOf(c *Counts, r *[6]float64) Rates {
	return Rates{
		Response:      rate(c.RespOnTime, c.RespDue, &r[0]),
		Resolution:    rate(c.ResSolved, c.ResDue, &r[1]),
		Satisfaction:  rate(c.Satisfied()+c.BasicallySatisfied(), c.Evaluations(), &r[2]),
		OnTimeClosure: rate(c.CloseOnTime, c.CloseDue, &r[3]),
		Rework:        rate(c.VerifsFailed, c.Verifs, &r[4]),
		Extension:     rate(c.ExtGranted, c.ExtTasks, &r[5]),
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
	// The groups and the scope as a whole, read together; the report's
	// rows are made once their number is known.
	var groups blockList[keyedCounts]
	var all Counts
	err := s.sumGroups(ctx, src, q.Scope, []string{q.Group, ""}, func(i int, k *keyedCounts) {
		if i == 1 {
			all.Add(k.Counts)
			return
		}
		*groups.next() = *k
	})
	if err != nil {
		return rep, err
	}
	rep.Items = make([]RatesRow, groups.n)
	rates := make([]float64, 6*groups.n)
	i := 0
	groups.each(func(k *keyedCounts) {
		fillRatesRow(&rep.Items[i], k.Key, k.Name, k.Kind, &k.Counts, (*[6]float64)(rates[6*i:]))
		i++
	})
	fillRatesRow(&rep.Total, "", "合计", "", &all, new([6]float64))
	return rep, nil
}

func fillRatesRow(r *RatesRow, id, name, kind string, c *Counts, rates *[6]float64) {
	*r = RatesRow{ID: id, Name: name, Kind: kind, Counts: *c, Rates: ratesOf(c, rates),
		Satisfied: c.Satisfied(), BasicallySatisfied: c.BasicallySatisfied(), Dissatisfied: c.Dissatisfied()}
}
