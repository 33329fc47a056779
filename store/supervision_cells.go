package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// The drill-down of a rate: the cases behind one cell's numerator or
// denominator, or behind one of the call-back counts the rates report
// shows beside them. It lists the shares (rollup.go, caseShares) the
// roll-up sums, recomputed from the rows, so the list adds up to the cell.

// Rate names, as the drill-down takes them.
const (
	RateResponse      = "response"
	RateResolution    = "resolution"
	RateSatisfaction  = "satisfaction"
	RateOnTimeClosure = "on_time_closure"
	RateRework        = "rework"
	RateExtension     = "extension"
)

// Parts of a rate.
const (
	PartNumerator   = "numerator"
	PartDenominator = "denominator"
)

// RateNames lists the rates in the order of Rates.
var RateNames = []string{RateResponse, RateResolution, RateSatisfaction, RateOnTimeClosure, RateRework, RateExtension}

// rateCounters are the counters summed into each rate's numerator and
// denominator (RatesOf).
var rateCounters = map[string][2][]string{
	RateResponse:      {{"resp_on_time"}, {"resp_due"}},
	RateResolution:    {{"res_solved"}, {"res_due"}},
	RateSatisfaction:  {{"g_sat", "g_basic", "d_sat", "d_basic", "o_sat", "o_basic"}, {"g_evals", "d_evals", "o_evals"}},
	RateOnTimeClosure: {{"close_on_time"}, {"close_due"}},
	RateRework:        {{"verifs_failed"}, {"verifs"}},
	RateExtension:     {{"ext_granted"}, {"ext_tasks"}},
}

// Counts of the rates report a drill-down lists too: the call-back's cases
// counted apart (回访未联系上, 未回访). A count is no fraction: its one
// part is PartNumerator.
const (
	CountCallbacksUnreached = "callbacks_unreached"
	CountCallbacksExpired   = "callbacks_expired"
)

// CountNames lists the counts a drill-down takes as its rate, named as
// the report's counts name them.
var CountNames = []string{CountCallbacksUnreached, CountCallbacksExpired}

// countCounters are the counter behind each count.
var countCounters = map[string]string{CountCallbacksUnreached: "cb_unreached", CountCallbacksExpired: "cb_expired"}

// CellQuery names one cell of a rates report: the same scope, period or
// month and group, the row (Department for group=department, Area — a
// street or district id as the group has it — for the others, neither for
// the total), the rate and the part. Rate may also name a count
// (CountNames) with Part PartNumerator.
type CellQuery struct {
	Scope      RollupScope
	Period     Period
	Month      int
	Group      string
	Department string
	Area       string
	Rate       string
	Part       string
	Page       Page
	// Limit > 0 returns the first Limit items instead of Page (an export).
	Limit int
}

// CellItem is one case's share in the cell: the task (response,
// extension, and a department's resolution, closure and rework) or the
// evaluated department (satisfaction) it stems from, and how much it adds
// (rework adds every failed verification).
type CellItem struct {
	CaseID       string    `json:"case_id"`
	Number       string    `json:"number"`
	CaseTitle    string    `json:"case_title"`
	CaseStatus   string    `json:"case_status"`
	OrgPath      string    `json:"org_path"`
	FiledAt      time.Time `json:"filed_at"`
	DepartmentID string    `json:"department_id,omitempty"`
	TaskID       string    `json:"task_id,omitempty"`
	Count        int64     `json:"count"`
	// AppealID names the upheld appeal whose correction a published month
	// carries (appeals.go): a negative count, not a share of the rows.
	AppealID uint64 `json:"appeal_id,omitempty"`
}

// CellReport answers a drill-down: Count is the sum of the items' counts,
// the cell's numerator or denominator as the rows stand now.
type CellReport struct {
	Group      string    `json:"group"`
	Department string    `json:"department,omitempty"`
	Area       string    `json:"area,omitempty"`
	Rate       string    `json:"rate"`
	Part       string    `json:"part"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Month      string    `json:"month,omitempty"`
	// Published is true for a published month: its cells are frozen, the
	// list is the rows as they stand now (a case changed since publication
	// counts as it is now).
	Published bool       `json:"published"`
	Count     int64      `json:"count"`
	Items     []CellItem `json:"items"`
	Total     int64      `json:"total"`
	Page      int        `json:"page"`
	PageSize  int        `json:"page_size"`
}

// MaxCellItems bounds a drill-down: a cell of more shares is refused
// (narrow the scope or the period).
const MaxCellItems = 100_000

// SupervisionCell lists the cases behind one cell of SupervisionRates,
// from the rows as they stand (see CellReport.Published). It returns an invalid
// error for an unknown rate or part (a count's only part is the
// numerator), a bad period, a row not of the group, or a cell of more than
// MaxCellItems shares.
func (s *Store) SupervisionCell(ctx context.Context, q CellQuery) (CellReport, error) {
	rep := CellReport{Group: q.Group, Department: q.Department, Area: q.Area, Rate: q.Rate, Part: q.Part, Items: []CellItem{}}
	counters, ok := rateCounters[q.Rate]
	if c, isCount := countCounters[q.Rate]; isCount {
		counters, ok = [2][]string{{c}, nil}, true
		if q.Part == PartDenominator {
			return rep, whistle.Errorf(whistle.EInvalid, "%s 是计数，没有分母：part 须为 numerator", "%s is a count, not a rate: its part is numerator", q.Rate)
		}
	}
	if !ok {
		return rep, whistle.Errorf(whistle.EInvalid, "rate 无效：%q（可选 response、resolution、satisfaction、on_time_closure、rework、extension、callbacks_unreached、callbacks_expired）",
			"invalid rate %q (one of response, resolution, satisfaction, on_time_closure, rework, extension, callbacks_unreached, callbacks_expired)", q.Rate)
	}
	var cols []string
	switch q.Part {
	case PartNumerator:
		cols = counters[0]
	case PartDenominator:
		cols = counters[1]
	default:
		return rep, whistle.Errorf(whistle.EInvalid, "part 无效：%q（可选 numerator、denominator）", "invalid part %q (numerator or denominator)", q.Part)
	}
	switch {
	case q.Department != "" && q.Area != "":
		return rep, whistle.Errorf(whistle.EInvalid, "department 与 area 只能选一种", "give department or area, not both")
	case q.Department != "" && q.Group != GroupDepartment:
		return rep, whistle.Errorf(whistle.EInvalid, "按部门下钻须 group=department", "a department's cell needs group=department")
	case q.Area != "" && q.Group != GroupStreet && q.Group != GroupDistrict:
		return rep, whistle.Errorf(whistle.EInvalid, "按地区下钻须 group=street 或 district", "an area's cell needs group=street or district")
	}
	p := q.Period
	if q.Month != 0 {
		if !p.From.IsZero() || !p.To.IsZero() {
			return rep, whistle.Errorf(whistle.EInvalid, "month 与 from/to 只能选一种", "give month or from/to, not both")
		}
		p = MonthPeriod(q.Month)
		rep.Month = fmt.Sprintf("%04d-%02d", q.Month/100, q.Month%100)
		_, published, err := s.published(ctx, q.Month)
		if err != nil {
			return rep, err
		}
		rep.Published = published
	} else {
		p = p.orThisMonth(time.Now())
	}
	if err := p.Check(); err != nil {
		return rep, err
	}
	rep.From, rep.To = p.From, p.To
	want := map[int]bool{}
	for _, c := range cols {
		want[colOf[c]] = true
	}
	row := q.Department // the area's row is ""
	inCell := func(c CaseRow) bool {
		area, district := AreaOf(c.OrgPath)
		switch {
		case q.Scope.AreaID != "" && area != q.Scope.AreaID, q.Scope.DistrictID != "" && district != q.Scope.DistrictID:
			return false
		case q.Area != "" && q.Group == GroupStreet:
			return area == q.Area
		case q.Area != "":
			return district == q.Area
		}
		return true
	}

	db := s.DB.WithContext(ctx)
	cases := db.Model(&CaseRow{}).
		Select("id, number, title, org_path, status, outcome, overdue, verify_failures, verified_at, created_at, callback_status").
		Where("created_at >= ? AND created_at < ?", p.From.UTC(), p.To.UTC())
	for _, id := range []string{q.Scope.AreaID, q.Scope.DistrictID, q.Area} {
		if id != "" { // ids are unique in the tree: a segment names the subtree
			cases = cases.Where("org_path LIKE ?", "%/"+id+"/%")
		}
	}
	if q.Department != "" {
		cases = cases.Where("id IN (?)", db.Table("tasks").Select("case_id").Where("department_id = ?", q.Department))
	}
	var batch []CaseRow
	var tooMany bool
	err := cases.FindInBatches(&batch, 1000, func(tx *gorm.DB, _ int) error {
		var kept []CaseRow
		var ids []string
		for _, c := range batch {
			if inCell(c) {
				kept = append(kept, c)
				ids = append(ids, c.ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		tasksOf, evalsOf, err := factRows(db, ids)
		if err != nil {
			return err
		}
		for _, c := range kept {
			for _, sh := range caseShares(c, tasksOf[c.ID], evalsOf[c.ID]) {
				if sh.row != row || !want[sh.counter] {
					continue
				}
				rep.Count += sh.n
				rep.Items = append(rep.Items, CellItem{CaseID: c.ID, Number: c.Number, CaseTitle: c.Title, CaseStatus: c.Status,
					OrgPath: c.OrgPath, FiledAt: c.CreatedAt, DepartmentID: sh.DepartmentID, TaskID: sh.TaskID, Count: sh.n})
			}
		}
		if len(rep.Items) > MaxCellItems {
			tooMany = true
			return gorm.ErrInvalidData // stop reading
		}
		return nil
	}).Error
	if tooMany {
		return rep, whistle.Errorf(whistle.EInvalid, "该单元格超过 %d 条，请缩小范围或时段", "the cell holds more than %d items: narrow the scope or the period", MaxCellItems)
	}
	if err != nil {
		return rep, fmt.Errorf("drill down %s %s: %w", q.Rate, q.Part, err)
	}
	if rep.Published && q.Department != "" {
		// The corrections of upheld appeals this publication carries.
		adj, n, err := s.adjustmentItems(ctx, q.Month, q.Department, q.Scope, cols)
		if err != nil {
			return rep, err
		}
		rep.Items, rep.Count = append(rep.Items, adj...), rep.Count+n
	}
	sort.SliceStable(rep.Items, func(i, j int) bool {
		a, b := rep.Items[i], rep.Items[j]
		if !a.FiledAt.Equal(b.FiledAt) {
			return a.FiledAt.Before(b.FiledAt)
		}
		if a.CaseID != b.CaseID {
			return a.CaseID < b.CaseID
		}
		if a.DepartmentID != b.DepartmentID {
			return a.DepartmentID < b.DepartmentID
		}
		return a.TaskID < b.TaskID
	})
	rep.Total = int64(len(rep.Items))
	if q.Limit > 0 {
		rep.Items = rep.Items[:min(q.Limit, len(rep.Items))]
		return rep, nil
	}
	pg := q.Page.Normalize()
	rep.Page, rep.PageSize = pg.Page, pg.PageSize
	lo := min((pg.Page-1)*pg.PageSize, len(rep.Items))
	rep.Items = rep.Items[lo:min(lo+pg.PageSize, len(rep.Items))]
	return rep, nil
}

// factRows reads the tasks and evaluations of cases, by case, with the
// columns a contribution needs.
func factRows(db *gorm.DB, ids []string) (map[string][]factTask, map[string][]factEval, error) {
	var tasks []factTask
	if err := db.Table("tasks").Select("id, case_id, department_id, status, report_deadline, reported_at, returned_at, report_breached, overdue, reopened, extensions").
		Where("case_id IN ?", ids).Order("case_id, id").Find(&tasks).Error; err != nil {
		return nil, nil, fmt.Errorf("read tasks: %w", err)
	}
	var evals []factEval
	if err := db.Table("evaluations").Select(`case_id, department_id, timeliness, quality, attitude, satisfaction, "default", level`).
		Where("case_id IN ?", ids).Order("case_id, department_id").Find(&evals).Error; err != nil {
		return nil, nil, fmt.Errorf("read evaluations: %w", err)
	}
	tasksOf := map[string][]factTask{}
	for _, t := range tasks {
		tasksOf[t.CaseID] = append(tasksOf[t.CaseID], t)
	}
	evalsOf := map[string][]factEval{}
	for _, e := range evals {
		evalsOf[e.CaseID] = append(evalsOf[e.CaseID], e)
	}
	return tasksOf, evalsOf, nil
}
