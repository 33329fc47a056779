package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// Periodic evaluation (定期评议, issue 17): once a quarter a street rates
// each department stationed or serving in it, and a district each city
// department, on three items of 0–100 — work, cooperation and the
// residents' representatives' score. It enters the share score G of the
// assessment (docs/supervision.md, “Periodic evaluation”) with the year's
// periodic weight (AssessmentSetting.PeriodicWeight, DefaultPeriodicWeight
// unless set).

// EPeriodicNotServing refuses (422) a rating of a department that neither
// sits at the rater's unit nor serves it from the level above.
const EPeriodicNotServing = "not_serving"

// PeriodicEvaluation is one rater unit's rating of one department for one
// period; correctable until the period's last month is published.
type PeriodicEvaluation struct {
	ID             uint64    `gorm:"primaryKey;autoIncrement" json:"id"`
	Period         string    `gorm:"size:6;not null;uniqueIndex:idx_periodic_once,priority:1" json:"period"` // 2026Q4
	Year           int       `gorm:"not null;index:idx_periodic_dept_year,priority:2" json:"year"`
	Quarter        int       `gorm:"not null" json:"quarter"`
	RaterOrgUnitID string    `gorm:"size:32;not null;uniqueIndex:idx_periodic_once,priority:2" json:"rater_org_unit_id"`
	RaterOrgPath   string    `gorm:"size:255;not null;index:idx_periodic_rater_path" json:"rater_org_path"`
	RaterLevel     string    `gorm:"size:16;not null" json:"rater_level"`
	DepartmentID   string    `gorm:"size:40;not null;uniqueIndex:idx_periodic_once,priority:3;index:idx_periodic_dept_year,priority:1" json:"department_id"`
	Work           int       `gorm:"not null" json:"work"`
	Cooperation    int       `gorm:"not null" json:"cooperation"`
	Residents      int       `gorm:"not null" json:"residents"`
	Comment        string    `gorm:"type:text" json:"comment,omitempty"`
	By             string    `gorm:"size:64;not null" json:"by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// DepartmentName and RaterName are filled by lists.
	DepartmentName string `gorm:"-" json:"department_name,omitempty"`
	RaterName      string `gorm:"-" json:"rater_name,omitempty"`
}

// TableName names the periodic evaluations table.
func (PeriodicEvaluation) TableName() string { return "periodic_evaluations" }

// Score is the evaluation's mean of its three items (0–100).
func (p PeriodicEvaluation) Score() float64 {
	return float64(p.Work+p.Cooperation+p.Residents) / 3
}

var periodPattern = regexp.MustCompile(`^(20[0-9]{2}|2100)Q([1-4])$`)

// ParsePeriod reads a quarter "2026Q4" as year and quarter.
func ParsePeriod(s string) (year, quarter int, err error) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, whistle.Errorf(whistle.EInvalid, "period 应为季度，如 2026Q4，收到 %q", "period: want a quarter such as 2026Q4, got %q", s)
	}
	year, _ = strconv.Atoi(m[1])
	quarter, _ = strconv.Atoi(m[2])
	return year, quarter, nil
}

// periodLastMonth is the last month (YYYYMM) of a quarter: its publication
// freezes the period.
func periodLastMonth(year, quarter int) int { return year*100 + quarter*3 }

// PeriodicRequest is a rater's rating.
type PeriodicRequest struct {
	Period                       string
	Rater                        OrgUnit
	Department                   Department
	Work, Cooperation, Residents int
	Comment                      string
	By                           string
}

// PutPeriodicEvaluation records or corrects the rating of a department by
// a rater unit for a period. It refuses (invalid) a bad period, a period
// not begun or a score outside 0–100; (EPeriodicNotServing) a department
// not at the rater's street or its district (a street rater) or not at the
// city (a district rater), and any other rater level; (conflict) a period
// whose last month is published.
func (s *Store) PutPeriodicEvaluation(ctx context.Context, r PeriodicRequest, now time.Time) (PeriodicEvaluation, error) {
	var e PeriodicEvaluation
	year, quarter, err := ParsePeriod(r.Period)
	if err != nil {
		return e, err
	}
	for _, v := range []struct {
		name string
		v    int
	}{{"work", r.Work}, {"cooperation", r.Cooperation}, {"residents", r.Residents}} {
		if v.v < 0 || v.v > 100 {
			return e, whistle.Errorf(whistle.EInvalid, "评分 %s 须在 0 到 100 之间", "score %s must be from 0 to 100", v.name)
		}
	}
	r.Comment = strings.TrimSpace(r.Comment)
	if len([]rune(r.Comment)) > 2000 {
		return e, whistle.Errorf(whistle.EInvalid, "评议意见不能超过 2000 字", "the comment must be at most 2000 characters")
	}
	start := time.Date(year, time.Month(quarter*3-2), 1, 0, 0, 0, 0, worktime.Location)
	if now.Before(start) {
		return e, &whistle.Error{Code: whistle.EInvalid,
			Message:   fmt.Sprintf("%d年第%d季度尚未开始", year, quarter),
			MessageEN: fmt.Sprintf("%s has not begun", r.Period)}
	}
	last := periodLastMonth(year, quarter)
	if _, published, err := s.published(ctx, last); err != nil {
		return e, err
	} else if published {
		return e, &whistle.Error{Code: whistle.EConflict,
			Message:   fmt.Sprintf("%d年第%d季度已随%d年%d月发布，评议不能再修改", year, quarter, last/100, last%100),
			MessageEN: fmt.Sprintf("%s was published with %04d-%02d: its evaluations can no longer change", r.Period, last/100, last%100)}
	}
	rater := whistle.OrgPath(r.Rater.Path)
	dept := whistle.OrgPath(r.Department.OrgPath)
	var serving bool
	switch rater.Level() {
	case whistle.LevelStreet: // stationed at the street, or a district department serving it
		serving = dept == rater || dept == rater.Parent()
	case whistle.LevelDistrict: // a city department (Kunming: 区对市级部门)
		serving = dept == rater.Parent()
	}
	if !serving {
		return e, &whistle.Error{Code: EPeriodicNotServing,
			Message:   fmt.Sprintf("定期评议由街道评议驻街及服务本街道的部门、由区评议市级部门；%s 不在 %s 的评议范围内", r.Department.Name, r.Rater.Name),
			MessageEN: fmt.Sprintf("a street rates the departments stationed at or serving it, a district the city's; %s is not one %s rates", r.Department.ID, r.Rater.ID)}
	}
	e = PeriodicEvaluation{Period: r.Period, Year: year, Quarter: quarter, RaterOrgUnitID: r.Rater.ID, RaterOrgPath: r.Rater.Path,
		RaterLevel: string(rater.Level()), DepartmentID: r.Department.ID, Work: r.Work, Cooperation: r.Cooperation, Residents: r.Residents,
		Comment: r.Comment, By: r.By, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	err = s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "period"}, {Name: "rater_org_unit_id"}, {Name: "department_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"work", "cooperation", "residents", "comment", "by", "updated_at"}),
	}).Create(&e).Error
	if err != nil {
		return e, fmt.Errorf("save periodic evaluation: %w", err)
	}
	// Read back: on a correction the id and creation time are the first rating's.
	if err := s.DB.WithContext(ctx).Where("period = ? AND rater_org_unit_id = ? AND department_id = ?", r.Period, r.Rater.ID, r.Department.ID).Take(&e).Error; err != nil {
		return e, fmt.Errorf("read periodic evaluation: %w", err)
	}
	e.DepartmentName, e.RaterName = r.Department.Name, r.Rater.Name
	return e, nil
}

// PeriodicFilter narrows ListPeriodic: Departments keeps those departments'
// ratings (a clerk's), PathPrefix the raters in a subtree.
type PeriodicFilter struct {
	Period      string
	Department  string
	Departments []string
	PathPrefix  string
	Page        Page
}

// ListPeriodic lists periodic evaluations, the latest period first.
func (s *Store) ListPeriodic(ctx context.Context, f PeriodicFilter) ([]PeriodicEvaluation, int64, error) {
	q := s.DB.WithContext(ctx).Model(&PeriodicEvaluation{})
	if f.Period != "" {
		if _, _, err := ParsePeriod(f.Period); err != nil {
			return nil, 0, err
		}
		q = q.Where("period = ?", f.Period)
	}
	if f.Department != "" {
		q = q.Where("department_id = ?", f.Department)
	}
	if f.Departments != nil {
		q = q.Where("department_id IN ?", f.Departments)
	}
	if f.PathPrefix != "" && f.PathPrefix != "/" {
		q = q.Where("rater_org_path LIKE ?", f.PathPrefix+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count periodic evaluations: %w", err)
	}
	pg := f.Page.Normalize()
	var out []PeriodicEvaluation
	if err := q.Order("period DESC, rater_org_unit_id, department_id").Offset((pg.Page - 1) * pg.PageSize).Limit(pg.PageSize).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list periodic evaluations: %w", err)
	}
	ids := make([]string, 0, len(out))
	for _, e := range out {
		ids = append(ids, e.DepartmentID)
	}
	names, err := s.departmentNames(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	units := map[string]string{}
	for i := range out {
		out[i].DepartmentName = names[out[i].DepartmentID]
		if _, ok := units[out[i].RaterOrgUnitID]; !ok {
			if u, err := s.OrgUnit(ctx, out[i].RaterOrgUnitID); err == nil {
				units[u.ID] = u.Name
			}
		}
		out[i].RaterName = units[out[i].RaterOrgUnitID]
	}
	return out, total, nil
}

// periodicScores returns, per department, the sum of the periodic
// evaluations' scores and their number over the year's quarters ending in
// or before month (YYYYMM; all four for 0).
func (s *Store) periodicScores(ctx context.Context, year, month int) (map[string][2]float64, error) {
	q := s.DB.WithContext(ctx).Model(&PeriodicEvaluation{}).Where("year = ?", year)
	if month != 0 {
		q = q.Where("quarter * 3 <= ?", month%100)
	}
	var rows []PeriodicEvaluation
	if err := q.Select("department_id, work, cooperation, residents").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read periodic evaluations of %d: %w", year, err)
	}
	out := map[string][2]float64{}
	for _, r := range rows {
		v := out[r.DepartmentID]
		v[0] += r.Score()
		v[1]++
		out[r.DepartmentID] = v
	}
	return out, nil
}

// applyPeriodic folds a department's periodic evaluations (sum of scores,
// count) into its scorecard with the weight w: G becomes (1 − w)·G_case +
// w·G_periodic (either alone when the other is undefined), and the total
// is recomputed with it. A department that worked no case keeps no total.
func applyPeriodic(sc *Scorecard, p [2]float64, w float64) {
	if p[1] == 0 || sc.Counts.Cases == 0 {
		return
	}
	per := p[0] / p[1]
	sc.PeriodicScore, sc.PeriodicEvaluations = &per, int64(p[1])
	sc.CaseShareScore = sc.StreetScore
	g := per
	if sc.StreetScore != nil {
		g = (1-w)**sc.StreetScore + w*per
	}
	sc.StreetScore = &g
	switch {
	case sc.PerformanceScore != nil:
		v := sc.StreetWeight*g + (1-sc.StreetWeight)**sc.PerformanceScore
		sc.Total = &v
	default:
		sc.Total = sc.StreetScore
	}
}
