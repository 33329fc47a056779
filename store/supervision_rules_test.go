package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// The rules of issue 17, each with cases built for it (May 2026):
//
//	R1 c1, escalated to the city and closed there: s1-police evaluated by
//	   the community (5/5/5 satisfied), city-traffic by the street (4/4/4
//	   basically): both are grassroots evaluations, not the city's.
//	R2 c1, closed, the window closed unevaluated: both evaluations defaulted.
//	R3 filed at district 1: city-traffic evaluated by the district (2/2/2
//	   dissatisfied): Kunming's district share of a city department.
//	R4 filed at the city: city-traffic evaluated by the city (5/5/5 satisfied).
//	R5 c1, closed: s1-market returned its only task in time; s1-citymgmt
//	   evaluated by the community (4/4/4 satisfied).
const pathCity = "/110000/"

func rulesCases() []whistle.Case {
	by := func(e whistle.Evaluation, unit, user string) whistle.Evaluation {
		e.OrgUnitID, e.By = unit, user
		return e
	}
	closed := func(c whistle.Case) whistle.Case {
		c.VerifiedAt, c.ClosedAt = tp(c.CreatedAt.Add(48*time.Hour)), tp(c.CreatedAt.Add(50*time.Hour))
		return c
	}
	r1 := closed(kase("R1", pathC1, at(5, 4, 10, 0), whistle.CaseClosed, whistle.LevelCity))
	r1.Seq, r1.HolderOrgUnitID, r1.HolderOrgPath = 12, "110000", pathCity
	r1.Tasks = []whistle.Task{done(task("R1", 1, "s1-police", r1.CreatedAt), at(5, 4, 10, 30)), done(task("R1", 2, "city-traffic", r1.CreatedAt), at(5, 4, 10, 40))}
	r1.Escalations = []whistle.Escalation{
		{Seq: 4, CaseID: "R1", From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001", ToOrgUnitID: "110101001", Kind: whistle.EscalationRequested, Reason: "需协调", At: at(5, 4, 11, 0), By: "c1-secretary"},
		{Seq: 6, CaseID: "R1", From: whistle.LevelStreet, To: whistle.LevelDistrict, FromOrgUnitID: "110101001", ToOrgUnitID: "110101", Kind: whistle.EscalationRequested, Reason: "需协调", At: at(5, 4, 12, 0), By: "s1-secretary"},
		{Seq: 8, CaseID: "R1", From: whistle.LevelDistrict, To: whistle.LevelCity, FromOrgUnitID: "110101", ToOrgUnitID: "110000", Kind: whistle.EscalationRequested, Reason: "需协调", At: at(5, 4, 13, 0), By: "d1-commander"},
	}
	r1.Evaluations = []whistle.Evaluation{
		by(eval("R1", "s1-police", whistle.LevelCommunity, 5, 5, 5, whistle.Satisfied, at(5, 6, 12, 0)), "110101001001", "c1-secretary"),
		by(eval("R1", "city-traffic", whistle.LevelStreet, 4, 4, 4, whistle.BasicallySatisfied, at(5, 6, 12, 0)), "110101001", "s1-secretary"),
	}

	r2 := closed(kase("R2", pathC1, at(5, 6, 9, 0), whistle.CaseClosed, whistle.LevelCommunity))
	r2.Seq = 9
	r2.Tasks = []whistle.Task{done(task("R2", 1, "s1-police", r2.CreatedAt), at(5, 6, 9, 30)), done(task("R2", 2, "city-traffic", r2.CreatedAt), at(5, 6, 9, 40))}
	def := func(dept string) whistle.Evaluation {
		e := eval("R2", dept, whistle.LevelCommunity, whistle.DefaultScore, whistle.DefaultScore, whistle.DefaultScore, whistle.Satisfied, at(5, 11, 9, 0))
		e.Default, e.By = true, "system"
		return e
	}
	r2.Evaluations = []whistle.Evaluation{def("s1-police"), def("city-traffic")}

	r3 := closed(kase("R3", pathD1, at(5, 8, 9, 0), whistle.CaseClosed, whistle.LevelDistrict))
	r3.Seq = 7
	r3.Tasks = []whistle.Task{done(task("R3", 1, "city-traffic", r3.CreatedAt), at(5, 8, 9, 30))}
	r3.Evaluations = []whistle.Evaluation{by(eval("R3", "city-traffic", whistle.LevelDistrict, 2, 2, 2, whistle.Dissatisfied, at(5, 10, 12, 0)), "110101", "d1-commander")}

	r4 := closed(kase("R4", pathCity, at(5, 12, 9, 0), whistle.CaseClosed, whistle.LevelCity))
	r4.Seq, r4.OrgUnitID, r4.HolderOrgUnitID = 7, "110000", "110000"
	r4.Tasks = []whistle.Task{done(task("R4", 1, "city-traffic", r4.CreatedAt), at(5, 12, 9, 30))}
	r4.Evaluations = []whistle.Evaluation{by(eval("R4", "city-traffic", whistle.LevelCity, 5, 5, 5, whistle.Satisfied, at(5, 14, 12, 0)), "110000", "city-commander")}

	r5 := closed(kase("R5", pathC1, at(5, 14, 9, 0), whistle.CaseClosed, whistle.LevelCommunity))
	r5.Seq = 11
	ret := task("R5", 1, "s1-market", r5.CreatedAt)
	ret.Status, ret.ReturnedAt, ret.ReturnReason, ret.Rerouted = whistle.TaskReturned, tp(at(5, 14, 9, 20)), "不归我管", true
	r5.Tasks = []whistle.Task{ret, done(task("R5", 2, "s1-citymgmt", at(5, 14, 9, 30)), at(5, 14, 10, 0))}
	r5.Evaluations = []whistle.Evaluation{by(eval("R5", "s1-citymgmt", whistle.LevelCommunity, 4, 4, 4, whistle.Satisfied, at(5, 16, 12, 0)), "110101001001", "c1-secretary")}
	return []whistle.Case{r1, r2, r3, r4, r5}
}

func TestSupervisionRules(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, rulesCases()...)
		may := store.MonthPeriod(202605)

		t.Run("EvaluatorUnitProjected", func(t *testing.T) {
			var rows []store.EvaluationRow
			if err := s.DB.Where("case_id = ?", "R1").Order("department_id").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(rows[0].DepartmentID, rows[0].Level, rows[0].OrgUnitID, " ", rows[1].DepartmentID, rows[1].Level, rows[1].OrgUnitID)
			if want := "city-trafficstreet110101001 s1-policecommunity110101001001"; got != want {
				t.Errorf("evaluations of the escalated case: %s, want %s", got, want)
			}
			c, err := s.Case(ctx, "R1")
			if err != nil || len(c.Evaluations) != 2 || c.Evaluations[0].OrgUnitID == "" {
				t.Errorf("case read back: %+v %v", c.Evaluations, err)
			}
		})

		t.Run("DefaultsOutOfSatisfaction", func(t *testing.T) {
			tests := []struct {
				name       string
				scope      store.RollupScope
				group, row string
				sat        [2]int64 // satisfaction numerator/denominator
				defaulted  int64
			}{
				{"Total", store.RollupScope{}, store.GroupDistrict, "", [2]int64{4, 5}, 2},
				{"Street1", store.RollupScope{}, store.GroupStreet, "110101001", [2]int64{3, 3}, 2},
				{"CityTraffic", store.RollupScope{}, store.GroupDepartment, "city-traffic", [2]int64{2, 3}, 1},
				{"S1Police", store.RollupScope{}, store.GroupDepartment, "s1-police", [2]int64{1, 1}, 1},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					rep, err := s.SupervisionRates(ctx, store.RatesQuery{Scope: tt.scope, Period: may, Group: tt.group})
					if err != nil {
						t.Fatal(err)
					}
					row := rep.Total
					for _, r := range rep.Items {
						if r.ID == tt.row {
							row = r
						}
					}
					if tt.row != "" && row.ID != tt.row {
						t.Fatalf("no row %s", tt.row)
					}
					if g := [2]int64{row.Satisfaction.Numerator, row.Satisfaction.Denominator}; g != tt.sat || row.Counts.EvalsDefault != tt.defaulted {
						t.Errorf("satisfaction %v, defaulted %d; want %v, %d", g, row.Counts.EvalsDefault, tt.sat, tt.defaulted)
					}
				})
			}
		})

		// Hand-computed scorecards, min_cases 1:
		//   s1-police (street department): street share R1 5/5/5 satisfied
		//     = 100 (R2's default counts nowhere); rates all 100, rework 0 → P 100.
		//   city-traffic (city department): district share R1 street 4/4/4
		//     basically = 75 and R3 district 2/2/2 dissatisfied = 18.75 →
		//     46.875; other (city) R4 = 100; P = mean(100,100,100,100,100) = 100.
		//   s1-citymgmt: street share R5 4/4/4 satisfied = 81.25; P 100.
		//   s1-market: only a returned task → no case, no total, no rank.
		tests := []struct {
			name     string
			weights  [2]float64 // street, district
			totals   map[string]float64
			ranks    map[string]int
			unranked map[string]string
		}{
			{"DefaultWeights", [2]float64{store.DefaultStreetWeight, 0},
				map[string]float64{"s1-police": 100, "city-traffic": 46.875/3 + 200.0/3, "s1-citymgmt": 81.25/3 + 200.0/3},
				map[string]int{"s1-police": 1, "s1-citymgmt": 2, "city-traffic": 3},
				map[string]string{"s1-market": store.UnrankedNoCases}},
			{"DistrictWeight40", [2]float64{0.3, 0.4},
				map[string]float64{"s1-police": 100, "city-traffic": 0.4*46.875 + 0.6*100, "s1-citymgmt": 0.3*81.25 + 0.7*100},
				map[string]int{"s1-police": 1, "s1-citymgmt": 2, "city-traffic": 3},
				map[string]string{"s1-market": store.UnrankedNoCases}},
		}
		for _, tt := range tests {
			t.Run("Assessment"+tt.name, func(t *testing.T) {
				// min_cases 0 is allowed, and still ranks nobody on nothing.
				if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: tt.weights[0], DistrictWeight: tt.weights[1], MinCases: 0}); err != nil {
					t.Fatal(err)
				}
				rep, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026})
				if err != nil {
					t.Fatal(err)
				}
				cards := map[string]store.Scorecard{}
				for _, c := range rep.Items {
					cards[c.DepartmentID] = c
				}
				for id, total := range tt.totals {
					if c := cards[id]; !approx(c.Total, total) {
						t.Errorf("%s total %v (street %v other %v performance %v), want %v", id, deref(c.Total), deref(c.StreetScore), deref(c.OtherScore), deref(c.PerformanceScore), total)
					}
				}
				for id, r := range tt.ranks {
					if c := cards[id]; c.Rank == nil || *c.Rank != r {
						t.Errorf("%s rank %v, want %d", id, c.Rank, r)
					}
				}
				for id, reason := range tt.unranked {
					if c := cards[id]; c.Rank != nil || c.Total != nil || c.UnrankedReason != reason || c.Unranked == "" {
						t.Errorf("%s: rank %v total %v reason %q, want unranked %q without a total", id, c.Rank, deref(c.Total), c.UnrankedReason, reason)
					}
				}
				ct := cards["city-traffic"]
				if ct.Share != store.ShareDistrict || ct.Level != "city" || !approx(ct.StreetScore, 46.875) || !approx(ct.OtherScore, 100) {
					t.Errorf("city-traffic share %q level %q street %v other %v", ct.Share, ct.Level, deref(ct.StreetScore), deref(ct.OtherScore))
				}
				if want := weightOr(tt.weights[1]); ct.StreetWeight != want || rep.DistrictWeight != want {
					t.Errorf("city-traffic weight %v, report %v; want %v", ct.StreetWeight, rep.DistrictWeight, want)
				}
				if sp := cards["s1-police"]; sp.Share != store.ShareStreet || !approx(sp.StreetScore, 100) || sp.Counts.EvalsDefault != 1 || sp.StreetWeight != tt.weights[0] {
					t.Errorf("s1-police share %q street %v defaulted %d weight %v", sp.Share, deref(sp.StreetScore), sp.Counts.EvalsDefault, sp.StreetWeight)
				}
				// The returned department is shown with the timeliness of its return.
				if m := cards["s1-market"]; m.Response.Numerator != 1 || m.Response.Denominator != 1 || m.Counts.Returned != 1 {
					t.Errorf("s1-market response %+v returned %d", m.Response, m.Counts.Returned)
				}
			})
		}

		t.Run("DistrictWeightFloor", func(t *testing.T) {
			for _, w := range []float64{0.29, 1.5} {
				if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: 0.3, DistrictWeight: w, MinCases: 1}); whistle.ErrorCode(err) != whistle.EInvalid {
					t.Errorf("district weight %v: %v, want invalid", w, err)
				}
			}
		})

		t.Run("PublishedKeepsTheDistrictWeight", func(t *testing.T) {
			if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: 0.3, DistrictWeight: 0.5, MinCases: 1}); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.PublishMonth(ctx, 202605, time.Now()); err != nil || !ok {
				t.Fatalf("publish: %v %v", ok, err)
			}
			if _, err := s.PutAssessmentSetting(ctx, store.AssessmentSetting{StreetWeight: 0.3, DistrictWeight: 0.3, MinCases: 1}); err != nil {
				t.Fatal(err)
			}
			rep, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202605})
			if err != nil || rep.DistrictWeight != 0.5 {
				t.Fatalf("published district weight %v (%v), want 0.5", rep.DistrictWeight, err)
			}
			for _, c := range rep.Items {
				if c.DepartmentID == "city-traffic" && !approx(c.Total, 0.5*46.875+0.5*100) {
					t.Errorf("published city-traffic total %v", deref(c.Total))
				}
			}
		})
	})
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func weightOr(w float64) float64 {
	if w == 0 {
		return store.DefaultStreetWeight
	}
	return w
}

// TestSupervisionDrillDownAddsUp: for generated cases, the drill-down of
// every cell (each rate, numerator and denominator, and the call-back
// counts, of every row and the total, for each group, scope and period)
// lists shares that add up to the cell; a call-back count lists each of
// its cases once, all in that call-back state. SHAOBAO_PROPERTY_SEED
// replays a seed.
func TestSupervisionDrillDownAddsUp(t *testing.T) {
	seeds := []int64{1, 2}
	if v := os.Getenv("SHAOBAO_PROPERTY_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seeds = []int64{n}
	}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		callback := map[string]string{} // every seed's cases stay in the database
		for _, seed := range seeds {
			generated := generatedCases(rand.New(rand.NewSource(seed)), fmt.Sprintf("G%d-", seed), 60)
			mustProject(t, s, generated...)
			for _, c := range generated {
				callback[c.ID] = c.Callback
			}
			periods := []store.Period{march(), {From: at(3, 9, 0, 0), To: at(4, 21, 0, 0)}}
			scopes := []store.RollupScope{{}, {DistrictID: "110101"}, {AreaID: "110101001"}}
			cells, countCells := 0, 0
			for _, p := range periods {
				for _, sc := range scopes {
					for _, g := range []string{store.GroupDepartment, store.GroupStreet, store.GroupDistrict} {
						rep, err := s.SupervisionRates(ctx, store.RatesQuery{Scope: sc, Period: p, Group: g})
						if err != nil {
							t.Fatal(err)
						}
						rows := append([]store.RatesRow{rep.Total}, rep.Items...)
						for i, r := range rows {
							q := store.CellQuery{Scope: sc, Period: p, Group: g, Limit: store.MaxCellItems}
							if i > 0 && g == store.GroupDepartment {
								q.Department = r.ID
							} else if i > 0 {
								q.Area = r.ID
							}
							values := []store.RateValue{r.Response, r.Resolution, r.Satisfaction, r.OnTimeClosure, r.Rework, r.Extension}
							for k, name := range store.RateNames {
								for _, part := range []string{store.PartNumerator, store.PartDenominator} {
									q.Rate, q.Part = name, part
									cell, err := s.SupervisionCell(ctx, q)
									if err != nil {
										t.Fatal(err)
									}
									want := values[k].Numerator
									if part == store.PartDenominator {
										want = values[k].Denominator
									}
									var sum int64
									for _, it := range cell.Items {
										sum += it.Count
									}
									cells++
									if cell.Count != want || sum != want || cell.Total != int64(len(cell.Items)) {
										t.Errorf("seed %d %s–%s %+v %s row %q %s %s: drill-down %d (items %d), cell %d",
											seed, p.From.Format("01-02"), p.To.Format("01-02"), sc, g, r.ID, name, part, cell.Count, sum, want)
									}
								}
							}
							counts := []struct {
								name, state string
								want        int64
							}{{store.CountCallbacksUnreached, whistle.CallbackUnreached, r.Counts.CbUnreached}, {store.CountCallbacksExpired, whistle.CallbackExpired, r.Counts.CbExpired}}
							for _, k := range counts {
								q.Rate, q.Part = k.name, store.PartNumerator
								cell, err := s.SupervisionCell(ctx, q)
								if err != nil {
									t.Fatal(err)
								}
								cells++
								seen := map[string]bool{}
								for _, it := range cell.Items {
									if it.Count != 1 || seen[it.CaseID] || callback[it.CaseID] != k.state {
										t.Errorf("seed %d %+v %s row %q %s: item %+v (call-back %q, listed before %v)", seed, sc, g, r.ID, k.name, it, callback[it.CaseID], seen[it.CaseID])
									}
									seen[it.CaseID] = true
								}
								if cell.Count != k.want || int64(len(seen)) != k.want || cell.Total != k.want {
									t.Errorf("seed %d %s–%s %+v %s row %q %s: drill-down %d (cases %d), cell %d",
										seed, p.From.Format("01-02"), p.To.Format("01-02"), sc, g, r.ID, k.name, cell.Count, len(seen), k.want)
								}
								if k.want > 0 {
									countCells++
								}
							}
						}
					}
				}
			}
			if countCells < 20 {
				t.Errorf("seed %d: only %d call-back cells with cases", seed, countCells)
			}
			if cells < 500 {
				t.Errorf("seed %d: only %d cells checked", seed, cells)
			}
		}
	})
}

// generatedCases returns n cases with random states, tasks and
// evaluations, filed in March and April 2026 in the demo city.
func generatedCases(r *rand.Rand, prefix string, n int) []whistle.Case {
	paths := []string{pathC1, pathC1, pathC3, pathC4, pathD1, pathCity}
	depts := []string{"s1-police", "s1-market", "s1-citymgmt", "s2-police", "d1-police", "d1-citymgmt", "s3-citymgmt", "city-traffic"}
	levels := []whistle.Level{whistle.LevelCommunity, whistle.LevelStreet, whistle.LevelDistrict, whistle.LevelCity}
	taskStatuses := []whistle.TaskStatus{whistle.TaskSummoned, whistle.TaskReported, whistle.TaskDone, whistle.TaskDone, whistle.TaskReturned,
		whistle.TaskReturnRequested, whistle.TaskDropped, whistle.TaskReleased}
	sats := []whistle.Satisfaction{whistle.Satisfied, whistle.BasicallySatisfied, whistle.Dissatisfied}
	var out []whistle.Case
	for i := range n {
		id := fmt.Sprintf("%s%03d", prefix, i)
		created := at(3, 1, 8, 0).Add(time.Duration(r.Intn(60*24)) * time.Hour)
		status := []whistle.CaseStatus{whistle.CasePending, whistle.CaseOpen, whistle.CaseVerifying, whistle.CaseEvaluating,
			whistle.CaseClosed, whistle.CaseClosed, whistle.CaseClosed}[r.Intn(7)]
		path := paths[r.Intn(len(paths))]
		c := kase(id, path, created, status, levels[r.Intn(len(levels))])
		if path == pathCity {
			c.OrgUnitID, c.HolderOrgUnitID = "110000", "110000"
		}
		c.Seq = int64(5 + r.Intn(20))
		c.Overdue = r.Intn(4) == 0
		c.VerifyFailures = r.Intn(3)
		if status == whistle.CaseEvaluating || status == whistle.CaseClosed {
			c.VerifiedAt = tp(created.Add(48 * time.Hour))
		}
		if status == whistle.CaseClosed {
			c.ClosedAt = tp(created.Add(50 * time.Hour))
			switch r.Intn(8) {
			case 0:
				c.Outcome = whistle.OutcomeUnresolvable
			case 1:
				c.Outcome = whistle.OutcomeRejected
			case 2:
				c.Outcome = whistle.OutcomeMerged
			default:
				c.Outcome = whistle.OutcomeResolved
			}
		}
		if status == whistle.CasePending {
			out = append(out, c)
			continue
		}
		for k := range 1 + r.Intn(3) {
			t := task(id, k+1, depts[r.Intn(len(depts))], created)
			t.Status = taskStatuses[r.Intn(len(taskStatuses))]
			answer := created.Add(time.Duration(r.Intn(120)) * time.Minute) // the deadline is an hour
			switch t.Status {
			case whistle.TaskReported, whistle.TaskDone:
				t.ReportedAt = tp(answer)
			case whistle.TaskReturned, whistle.TaskReturnRequested:
				t.ReturnedAt = tp(answer)
				if r.Intn(3) == 0 {
					t.ReportedAt = tp(answer.Add(-10 * time.Minute))
				}
			}
			t.ReportBreached = t.ReportedAt == nil && r.Intn(2) == 0 || t.ReportedAt != nil && t.ReportedAt.After(t.ReportDeadline)
			t.Overdue = r.Intn(4) == 0
			t.Reopened = r.Intn(2)
			t.Extensions = r.Intn(2)
			c.Tasks = append(c.Tasks, t)
		}
		if status == whistle.CaseEvaluating || status == whistle.CaseClosed {
			// A resident's case is called back once verified; some end
			// unreached or expired and count apart.
			if r.Intn(2) == 0 {
				c.CallbackRequired = true
				c.Callback = []string{whistle.CallbackPending, whistle.CallbackReached, whistle.CallbackUnreached, whistle.CallbackExpired}[r.Intn(4)]
			}
			seen := map[string]bool{}
			for _, t := range c.Tasks {
				// Mostly the done departments, now and then another
				// (which counts nowhere: it worked no task).
				if seen[t.DepartmentID] || t.Status != whistle.TaskDone && r.Intn(4) != 0 {
					continue
				}
				seen[t.DepartmentID] = true
				e := eval(id, t.DepartmentID, levels[r.Intn(len(levels))], 1+r.Intn(5), 1+r.Intn(5), 1+r.Intn(5), sats[r.Intn(3)], created.Add(72*time.Hour))
				e.Default = r.Intn(4) == 0
				c.Evaluations = append(c.Evaluations, e)
			}
		}
		out = append(out, c)
	}
	return out
}
