package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// Appeals on the supervision fixture (March 2026, published): s1-police
// contests case A. Upheld, the correction leaves March's frozen copy as it
// was and enters April's publication and the running assessment.
func TestAppeals(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, fixtureCases()...)
		inWindow := at(4, 5, 9, 0)
		req := func(month int, caseID, dept, rate string) store.AppealRequest {
			return store.AppealRequest{Month: month, CaseID: caseID, DepartmentID: dept, Rate: rate, Reason: "该案不属本所职责", By: "s1-police-clerk"}
		}
		if _, err := s.FileAppeal(ctx, req(202603, "A", "s1-police", store.RateResponse), inWindow); whistle.ErrorCode(err) != store.EAppealWindow {
			t.Fatalf("appeal on an unpublished month: %v, want %s", err, store.EAppealWindow)
		}
		if _, _, err := s.PublishMonth(ctx, 202603, at(4, 1, 2, 0)); err != nil {
			t.Fatal(err)
		}
		frozen, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202603, Group: store.GroupDepartment})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("Refusals", func(t *testing.T) {
			tests := []struct {
				name string
				r    store.AppealRequest
				now  time.Time
				code string
			}{
				{"WindowClosed", req(202603, "A", "s1-police", store.RateResponse), at(4, 11, 0, 0), store.EAppealWindow},
				{"NotTheDepartmentsCase", req(202603, "A", "d1-police", store.RateResponse), inWindow, store.EAppealNotInCell},
				{"CaseOfAnotherMonth", req(202603, "E", "s1-police", store.RateResponse), inWindow, store.EAppealNotInCell},
				{"ReturnedTaskNotInResolution", req(202603, "B", "s1-market", store.RateResolution), inWindow, store.EAppealNotInCell},
				{"NoSuchRate", req(202603, "A", "s1-police", "speed"), inWindow, whistle.EInvalid},
				{"NoReason", store.AppealRequest{Month: 202603, CaseID: "A", DepartmentID: "s1-police", Rate: store.RateResponse}, inWindow, whistle.EInvalid},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := s.FileAppeal(ctx, tt.r, tt.now); whistle.ErrorCode(err) != tt.code {
						t.Errorf("got %v, want %s", err, tt.code)
					}
				})
			}
			var n int64
			s.DB.Model(&store.SupervisionAppeal{}).Count(&n)
			if n != 0 {
				t.Errorf("%d appeals recorded by refusals", n)
			}
		})

		t.Run("WindowSetting", func(t *testing.T) {
			if _, err := s.PutAppealDays(ctx, 0, "admin", inWindow); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("0 days: %v", err)
			}
			if _, err := s.PutAppealDays(ctx, 15, "admin", inWindow); err != nil {
				t.Fatal(err)
			}
			// Day 11 is inside a 15-day window; a returned task is in the response cells.
			a, err := s.FileAppeal(ctx, req(202603, "B", "s1-market", store.RateResponse), at(4, 11, 0, 0))
			if err != nil || a.Status != store.AppealOpen || a.AreaID != "110101001" {
				t.Fatalf("appeal in a 15-day window: %+v %v", a, err)
			}
			if _, err := s.PutAppealDays(ctx, store.DefaultAppealDays, "admin", inWindow); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AnswerAppeal(ctx, a.ID, false, "", "d1-supervisor", inWindow); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("rejection without a comment: %v", err)
			}
			r, err := s.AnswerAppeal(ctx, a.ID, false, "退回已计为响应，无需更正", "d1-supervisor", inWindow)
			if err != nil || r.Status != store.AppealRejected || r.AnsweredBy != "d1-supervisor" || r.AnsweredAt == nil {
				t.Fatalf("reject: %+v %v", r, err)
			}
			// A rejected appeal may be filed again (with new grounds); an answered one is not answered twice.
			if _, err := s.AnswerAppeal(ctx, a.ID, true, "", "d1-supervisor", inWindow); whistle.ErrorCode(err) != whistle.EConflict {
				t.Errorf("answered twice: %v", err)
			}
		})

		var appeal store.SupervisionAppeal
		t.Run("Duplicate", func(t *testing.T) {
			var err error
			if appeal, err = s.FileAppeal(ctx, req(202603, "A", "s1-police", store.RateResponse), inWindow); err != nil {
				t.Fatal(err)
			}
			if appeal.MonthText != "2026-03" || appeal.CaseID != "A" || appeal.FiledBy != "s1-police-clerk" {
				t.Errorf("appeal: %+v", appeal)
			}
			if _, err := s.FileAppeal(ctx, req(202603, "A", "s1-police", store.RateSatisfaction), inWindow); whistle.ErrorCode(err) != whistle.EConflict {
				t.Errorf("second open appeal: %v", err)
			}
		})

		t.Run("UpheldAppliesToTheNextPublication", func(t *testing.T) {
			before := deptCounts(t, s, store.RatesQuery{Month: 202604, Group: store.GroupDepartment}, "s1-police") // April, live
			up, err := s.AnswerAppeal(ctx, appeal.ID, true, "经核实，该案应由城管办理", "d1-supervisor", at(4, 6, 9, 0))
			if err != nil || up.Status != store.AppealUpheld {
				t.Fatalf("uphold: %+v %v", up, err)
			}
			if _, err := s.FileAppeal(ctx, req(202603, "A", "s1-police", store.RateResponse), inWindow); whistle.ErrorCode(err) != whistle.EConflict {
				t.Errorf("appeal after an upheld one: %v", err)
			}
			// The frozen month is the same.
			again, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202603, Group: store.GroupDepartment})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := rowOf(frozen.Items, "s1-police").Counts, rowOf(again.Items, "s1-police").Counts; a != b || a.Cases == 0 {
				t.Errorf("published March changed by the appeal:\n%+v\n%+v", a, b)
			}
			// April's publication carries the correction: April's own counts minus A's share.
			if _, err := s.RefreshSupervision(ctx, 0, 100, true); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.PublishMonth(ctx, 202604, at(5, 1, 2, 0)); err != nil {
				t.Fatal(err)
			}
			april := deptCounts(t, s, store.RatesQuery{Month: 202604, Group: store.GroupDepartment}, "s1-police")
			want := before
			want.Cases, want.Tasks, want.RespDue, want.RespOnTime = want.Cases-1, want.Tasks-1, want.RespDue-1, want.RespOnTime-1
			want.ResDue, want.ResSolved, want.CloseDue, want.CloseOnTime = want.ResDue-1, want.ResSolved-1, want.CloseDue-1, want.CloseOnTime-1
			want.Verifs, want.VerifsFailed, want.ExtTasks = want.Verifs-2, want.VerifsFailed-1, want.ExtTasks-1
			want.GEvals, want.GSum, want.GSat = want.GEvals-1, want.GSum-14, want.GSat-1
			if april != want {
				t.Errorf("published April of s1-police:\n got %+v\nwant %+v", april, want)
			}
			// The running assessment as of April: March + April, A no longer s1-police's.
			as, err := s.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202604})
			if err != nil {
				t.Fatal(err)
			}
			var card store.Scorecard
			for _, c := range as.Items {
				if c.DepartmentID == "s1-police" {
					card = c
				}
			}
			march := rowOf(frozen.Items, "s1-police").Counts
			if card.Counts.Cases != march.Cases+want.Cases || card.Counts.GEvals != march.GEvals+want.GEvals {
				t.Errorf("running assessment: %+v", card.Counts)
			}
			// The drill-down of April's cell lists the correction with the appeal's id.
			cell, err := s.SupervisionCell(ctx, store.CellQuery{Month: 202604, Group: store.GroupDepartment, Department: "s1-police",
				Rate: store.RateResponse, Part: store.PartDenominator})
			if err != nil {
				t.Fatal(err)
			}
			var adj *store.CellItem
			for i := range cell.Items {
				if cell.Items[i].AppealID == appeal.ID {
					adj = &cell.Items[i]
				}
			}
			if adj == nil || adj.Count != -1 || adj.CaseID != "A" || cell.Count != april.RespDue {
				t.Errorf("April's drill-down: count %d (cell %d), items %+v", cell.Count, april.RespDue, cell.Items)
			}
			got, err := s.Appeal(ctx, appeal.ID)
			if err != nil || got.AppliedText != "2026-04" {
				t.Errorf("applied month: %+v %v", got, err)
			}
			// A later publication does not apply it twice.
			if _, _, err := s.PublishMonth(ctx, 202605, at(6, 1, 2, 0)); err != nil {
				t.Fatal(err)
			}
			if may := deptCounts(t, s, store.RatesQuery{Month: 202605, Group: store.GroupDepartment}, "s1-police"); may.Cases != 0 {
				t.Errorf("May carries the correction again: %+v", may)
			}
		})

		t.Run("List", func(t *testing.T) {
			items, total, err := s.ListAppeals(ctx, store.AppealFilter{Month: 202603, Departments: []string{"s1-police"}})
			if err != nil || total != 1 || items[0].ID != appeal.ID || items[0].Status != store.AppealUpheld {
				t.Errorf("department's list: %d %+v %v", total, items, err)
			}
			if _, total, _ := s.ListAppeals(ctx, store.AppealFilter{PathPrefix: pathD1}); total != 2 {
				t.Errorf("district 1 sees %d appeals, want 2", total)
			}
			if _, total, _ := s.ListAppeals(ctx, store.AppealFilter{PathPrefix: "/110000/110102/"}); total != 0 {
				t.Errorf("district 2 sees %d appeals, want 0", total)
			}
			if _, total, _ := s.ListAppeals(ctx, store.AppealFilter{Status: store.AppealRejected}); total != 1 {
				t.Errorf("rejected: %d", total)
			}
			if _, _, err := s.ListAppeals(ctx, store.AppealFilter{Status: "lost"}); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("bad status: %v", err)
			}
		})
	})
}

func rowOf(rows []store.RatesRow, id string) store.RatesRow {
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	return store.RatesRow{}
}

func deptCounts(t *testing.T, s *store.Store, q store.RatesQuery, id string) store.Counts {
	t.Helper()
	rep, err := s.SupervisionRates(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rowOf(rep.Items, id).Counts
}
