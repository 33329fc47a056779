package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// The departments' annual assessment: settings, scorecards and ranking.

// Assessment defaults: Beijing's one third; Kunming's floor of 30%.
const (
	DefaultStreetWeight = 1.0 / 3
	MinStreetWeight     = 0.30
	DefaultMinCases     = 10
)

// The periodic evaluations' part of the share score G (定期评议): 0.3 unless
// a year's settings say otherwise, never under 0.1 (the ratings must
// count) nor over 0.5 (the per-case evaluations stay the larger part).
const (
	DefaultPeriodicWeight = 0.3
	MinPeriodicWeight     = 0.1
	MaxPeriodicWeight     = 0.5
)

// AssessmentSettingFor returns the settings in force for a year: its own
// row, else the default row (year 0), else the built-in defaults.
func (s *Store) AssessmentSettingFor(ctx context.Context, year int) (AssessmentSetting, error) {
	var rows []AssessmentSetting
	if err := s.DB.WithContext(ctx).Where("year IN ?", []int{0, year}).Order("year DESC").Find(&rows).Error; err != nil {
		return AssessmentSetting{}, fmt.Errorf("load assessment settings for %d: %w", year, err)
	}
	if len(rows) > 0 {
		a := rows[0]
		a.DistrictWeight = weightOrDefault(a.DistrictWeight)
		a.PeriodicWeight = periodicWeightOrDefault(a.PeriodicWeight)
		return a, nil
	}
	return AssessmentSetting{Year: 0, StreetWeight: DefaultStreetWeight, DistrictWeight: DefaultStreetWeight,
		PeriodicWeight: DefaultPeriodicWeight, MinCases: DefaultMinCases}, nil
}

// weightOrDefault reads 0 (a row stored before the weight existed) as
// the default one third.
func weightOrDefault(w float64) float64 {
	if w == 0 {
		return DefaultStreetWeight
	}
	return w
}

// periodicWeightOrDefault reads 0 (a row or publication stored before the
// periodic weight was a setting) as DefaultPeriodicWeight.
func periodicWeightOrDefault(w float64) float64 {
	if w == 0 {
		return DefaultPeriodicWeight
	}
	return w
}

// PutAssessmentSetting stores the settings of a year (0: the default). It
// refuses a street or district weight under MinStreetWeight or over 1, a
// periodic weight outside MinPeriodicWeight–MaxPeriodicWeight, and a
// negative minimum of cases. A DistrictWeight of 0 stands for the default
// one third, a PeriodicWeight of 0 for DefaultPeriodicWeight.
func (s *Store) PutAssessmentSetting(ctx context.Context, a AssessmentSetting) (AssessmentSetting, error) {
	a.DistrictWeight = weightOrDefault(a.DistrictWeight)
	a.PeriodicWeight = periodicWeightOrDefault(a.PeriodicWeight)
	switch {
	case math.IsNaN(a.StreetWeight) || a.StreetWeight < MinStreetWeight-1e-9 || a.StreetWeight > 1:
		return a, whistle.Errorf(whistle.EInvalid, "街乡评价权重须在 0.30 到 1 之间（不低于30%%），收到 %v", "the street evaluation weight must be from 0.30 to 1 (at least 30%%), got %v", a.StreetWeight)
	case math.IsNaN(a.DistrictWeight) || a.DistrictWeight < MinStreetWeight-1e-9 || a.DistrictWeight > 1:
		return a, whistle.Errorf(whistle.EInvalid, "区对市级部门评价权重须在 0.30 到 1 之间（不低于30%%），收到 %v", "the district evaluation weight of city departments must be from 0.30 to 1 (at least 30%%), got %v", a.DistrictWeight)
	case math.IsNaN(a.PeriodicWeight) || a.PeriodicWeight < MinPeriodicWeight-1e-9 || a.PeriodicWeight > MaxPeriodicWeight+1e-9:
		return a, PeriodicWeightError(a.PeriodicWeight)
	case a.MinCases < 0 || a.MinCases > 1_000_000:
		return a, whistle.Errorf(whistle.EInvalid, "参与排名的最少案件数须在 0 到 1000000 之间，收到 %d", "the minimum of cases to be ranked must be from 0 to 1000000, got %d", a.MinCases)
	case a.Year != 0 && (a.Year < 2000 || a.Year > 2100):
		return a, whistle.Errorf(whistle.EInvalid, "年份无效：%d", "invalid year %d", a.Year)
	}
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "year"}},
		DoUpdates: clause.AssignmentColumns([]string{"street_weight", "district_weight", "periodic_weight", "min_cases", "updated_by", "updated_at"}),
	}).Create(&a).Error
	if err != nil {
		return a, fmt.Errorf("save assessment settings for %d: %w", a.Year, err)
	}
	return s.AssessmentSettingFor(ctx, a.Year)
}

// PeriodicWeightError refuses (invalid) a periodic weight outside
// MinPeriodicWeight–MaxPeriodicWeight.
func PeriodicWeightError(w float64) error {
	return whistle.Errorf(whistle.EInvalid, "定期评议在街乡评价得分中的权重须在 0.1 到 0.5 之间，收到 %v",
		"the weight of the periodic evaluations in the share score must be from 0.1 to 0.5, got %v", w)
}

// Unranked reasons.
const (
	// UnrankedNoCases: the department worked no case (every task of it was
	// returned, dropped or released); it has no total.
	UnrankedNoCases            = "no_cases"
	UnrankedTooFewCases        = "too_few_cases"
	UnrankedNoStreetEvaluation = "no_street_evaluations"
	// UnrankedNoDistrictEvaluation: a city department no district (nor
	// anything below one) evaluated.
	UnrankedNoDistrictEvaluation = "no_district_evaluations"
)

// Shares: whose evaluations carry a department's weighted share.
const (
	ShareStreet   = "street"   // streets and their communities (district and street departments)
	ShareDistrict = "district" // districts and everything below (city departments)
)

// Scorecard is one department's annual assessment (docs/supervision.md).
type Scorecard struct {
	DepartmentID string `json:"department_id"`
	Name         string `json:"name"`
	Level        string `json:"level"`
	Counts       Counts `json:"counts"`
	Rates
	// Share says whose evaluations make StreetScore: ShareStreet (streets
	// and their communities, 街乡评价) for a district or street department,
	// ShareDistrict (districts and below, 区对市级部门) for a city one.
	Share string `json:"share"`
	// StreetScore is the mean score of the share's evaluations (0–100);
	// OtherScore of the evaluations made above them.
	StreetScore *float64 `json:"street_score"`
	OtherScore  *float64 `json:"other_score"`
	// ShareEvaluations and OtherEvaluations count the evaluations behind
	// StreetScore and OtherScore (defaulted ones are in neither:
	// Counts.EvalsDefault).
	ShareEvaluations int64 `json:"share_evaluations"`
	OtherEvaluations int64 `json:"other_evaluations"`
	// PeriodicScore is the mean of the department's periodic evaluations
	// (定期评议, periodic.go) and PeriodicEvaluations their number; with
	// them, StreetScore is (1 − p)·CaseShareScore + p·PeriodicScore,
	// CaseShareScore the per-case share and p the report's PeriodicWeight.
	PeriodicScore       *float64 `json:"periodic_score,omitempty"`
	PeriodicEvaluations int64    `json:"periodic_evaluations"`
	CaseShareScore      *float64 `json:"case_share_score,omitempty"`
	// PerformanceScore is the mean of the defined components among the
	// response, resolution and on-time closure rates, 1 − the rework rate
	// (each ×100) and OtherScore.
	PerformanceScore *float64 `json:"performance_score"`
	// StreetWeight is the weight of the share: the street weight, or the
	// district weight for a city department.
	StreetWeight float64 `json:"street_weight"`
	// Total = StreetWeight × StreetScore + (1 − StreetWeight) × PerformanceScore.
	Total          *float64 `json:"total"`
	Rank           *int     `json:"rank"`
	UnrankedReason string   `json:"unranked_reason,omitempty"`
	Unranked       string   `json:"unranked,omitempty"` // the reason, in Chinese
}

// AssessmentReport answers an assessment query.
type AssessmentReport struct {
	Year           int     `json:"year"`
	StreetWeight   float64 `json:"street_weight"`
	DistrictWeight float64 `json:"district_weight"`
	// PeriodicWeight is the periodic evaluations' part of the share score
	// (the year's setting, or the one a published month froze).
	PeriodicWeight float64 `json:"periodic_weight"`
	MinCases       int     `json:"min_cases"`
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
	// Refresh is how many queued cases a live assessment (no AsOfMonth)
	// first folds into the roll-up (0: none); see Store.fold.
	Refresh int
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

// scorecard computes the scores of a department of level with the
// settings' weights. The share is the evaluations of the levels below the
// department's own: a city department's districts (and their streets and
// communities, on their side), a district or street department's streets
// and communities; the other score is the evaluations made above them.
// A department that worked no case gets no total: its returns are answers
// (the response rate shows them), not a score.
func scorecard(id, level string, c Counts, a AssessmentSetting) Scorecard {
	sc := Scorecard{DepartmentID: id, Level: level, Counts: c, Rates: RatesOf(c), Share: ShareStreet, StreetWeight: a.StreetWeight}
	if level == string(whistle.LevelCity) {
		sc.Share, sc.StreetWeight = ShareDistrict, a.DistrictWeight
		sc.StreetScore = evalScore(c.GEvals+c.DEvals, c.GSum+c.DSum, c.GSat+c.DSat, c.GBasic+c.DBasic)
		sc.OtherScore = evalScore(c.OEvals, c.OSum, c.OSat, c.OBasic)
		sc.ShareEvaluations, sc.OtherEvaluations = c.GEvals+c.DEvals, c.OEvals
	} else {
		sc.StreetScore = evalScore(c.GEvals, c.GSum, c.GSat, c.GBasic)
		sc.OtherScore = evalScore(c.DEvals+c.OEvals, c.DSum+c.OSum, c.DSat+c.OSat, c.DBasic+c.OBasic)
		sc.ShareEvaluations, sc.OtherEvaluations = c.GEvals, c.DEvals+c.OEvals
	}
	if c.Cases == 0 {
		sc.StreetScore, sc.OtherScore = nil, nil
		return sc
	}
	w := sc.StreetWeight
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
// ranked. Equal totals (to two decimals) share a rank (1, 2, 2, 4). With
// AsOfMonth it reads the year's published months up to it, with the
// settings of that publication (not_found if it is not published);
// otherwise the live roll-up with the settings in force, after folding up
// to q.Refresh queued cases into it.
func (s *Store) Assessment(ctx context.Context, q AssessmentQuery) (AssessmentReport, error) {
	rep := AssessmentReport{Year: q.Year, Items: []Scorecard{}}
	if q.Year < 2000 || q.Year > 2100 {
		return rep, whistle.Errorf(whistle.EInvalid, "年份无效：%d", "invalid year %d", q.Year)
	}
	src := rollupSource{period: YearPeriod(q.Year)}
	var setting AssessmentSetting
	if q.AsOfMonth != 0 {
		if q.AsOfMonth/100 != q.Year {
			return rep, whistle.Errorf(whistle.EInvalid, "截至月份须在 %d 年内", "the as-of month must be in %d", q.Year)
		}
		pub, err := s.Publication(ctx, q.AsOfMonth)
		if err != nil {
			return rep, err
		}
		if src.months, err = s.publishedMonths(ctx, q.Year*100+1, q.AsOfMonth); err != nil {
			return rep, err
		}
		setting = AssessmentSetting{StreetWeight: pub.StreetWeight, DistrictWeight: weightOrDefault(pub.DistrictWeight),
			PeriodicWeight: periodicWeightOrDefault(pub.PeriodicWeight), MinCases: pub.MinCases}
		rep.Published, rep.AsOf = true, fmt.Sprintf("%04d-%02d", q.AsOfMonth/100, q.AsOfMonth%100)
		at := pub.PublishedAt
		rep.PublishedAt = &at
	} else {
		var err error
		if setting, err = s.AssessmentSettingFor(ctx, q.Year); err != nil {
			return rep, err
		}
		s.fold(ctx, q.Refresh)
	}
	rep.StreetWeight, rep.DistrictWeight, rep.PeriodicWeight, rep.MinCases = setting.StreetWeight, setting.DistrictWeight, setting.PeriodicWeight, setting.MinCases
	rows, err := s.groupCounts(ctx, src, q.Scope, GroupDepartment)
	if err != nil {
		return rep, err
	}
	periodic, err := s.periodicScores(ctx, q.Year, q.AsOfMonth)
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		if q.Level != "" && r.Kind != q.Level {
			continue
		}
		sc := scorecard(r.Key, r.Kind, r.Counts, setting)
		applyPeriodic(&sc, periodic[r.Key], setting.PeriodicWeight)
		sc.Name = r.Name
		switch {
		case r.Cases == 0:
			sc.UnrankedReason = UnrankedNoCases
			sc.Unranked = "没有本部门办理的案件（任务均已退回、撤回或解除），不参与评分和排名"
		case r.Cases < int64(setting.MinCases):
			sc.UnrankedReason = UnrankedTooFewCases
			sc.Unranked = fmt.Sprintf("案件数 %d 少于参与排名的最低要求 %d 件", r.Cases, setting.MinCases)
		case sc.StreetScore == nil && sc.Share == ShareDistrict:
			sc.UnrankedReason = UnrankedNoDistrictEvaluation
			sc.Unranked = "没有区级（及以下）对市级部门的评价"
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
