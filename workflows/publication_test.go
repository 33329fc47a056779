package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// marchCase is a closed case of community 1 filed in March 2026.
func marchCase(id string, reportedLate bool) whistle.Case {
	created := time.Date(2026, 3, 16, 9, 0, 0, 0, worktime.Location)
	reported := created.Add(20 * time.Minute)
	if reportedLate {
		reported = created.Add(3 * time.Hour)
	}
	p := func(t time.Time) *time.Time { return &t }
	return whistle.Case{ID: id, Title: "占道经营 " + id, Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseClosed,
		OrgUnitID: chain[0].ID, OrgPath: chain[0].Path, Level: whistle.LevelCommunity, HolderOrgUnitID: chain[0].ID, HolderOrgPath: chain[0].Path,
		FiledBy: "c1-secretary", FiledByUserID: "u-c1", Seq: 9, CreatedAt: created, UpdatedAt: created, VerifiedAt: p(created.Add(48 * time.Hour)), ClosedAt: p(created.Add(49 * time.Hour)),
		Tasks: []whistle.Task{{ID: id + "-T1", CaseID: id, DepartmentID: "s1-citymgmt", Status: whistle.TaskDone, SummonedAt: created,
			ReportDeadline: created.Add(time.Hour), HandleDeadline: created.Add(72 * time.Hour), ReportedAt: &reported, DoneAt: p(created.Add(24 * time.Hour)),
			ReportBreached: reportedLate}},
		Evaluations: []whistle.Evaluation{{CaseID: id, DepartmentID: "s1-citymgmt", Timeliness: 4, Quality: 4, Attitude: 5,
			Satisfaction: whistle.Satisfied, Level: whistle.LevelCommunity, At: created.Add(49 * time.Hour)}},
	}
}

// publishEnv runs PublishSupervision at start on st, with the real activity.
func publishEnv(t *testing.T, st *store.Store, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(discard))
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(30 * time.Second)
	activities.RegisterSupervision(env, &activities.Supervision{Store: st, Logger: discard, Now: func() time.Time { return start }})
	return env
}

func marchResponse(t *testing.T, st *store.Store, month int) store.RateValue {
	t.Helper()
	rep, err := st.SupervisionRates(context.Background(), store.RatesQuery{Month: month, Group: store.GroupStreet})
	require.NoError(t, err)
	return rep.Total.Response
}

func TestPublishSupervisionFreezesTheMonthOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	require.NoError(t, st.ApplyCase(ctx, marchCase("M1", false), nil))
	require.NoError(t, st.ApplyCase(ctx, marchCase("M2", true), nil))
	// The schedule fires at 02:00 on 1 April, China time: it publishes March.
	april1 := time.Date(2026, 4, 1, 2, 0, 0, 0, worktime.Location)

	env := publishEnv(t, st, april1)
	env.ExecuteWorkflow(workflows.PublishWorkflowName, workflows.PublishInput{})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.PublishResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "2026-03", res.Month)
	require.True(t, res.Published)
	require.Greater(t, res.Rows, 0)
	require.True(t, res.PublishedAt.Equal(april1))

	frozen := marchResponse(t, st, 202603)
	require.Equal(t, store.RateValue{Numerator: 1, Denominator: 2, Rate: frozen.Rate}, frozen)

	// A third March case arrives late (a projection after the publication).
	late := marchCase("M3", false)
	require.NoError(t, st.ApplyCase(ctx, late, nil))

	// The next run (a retry, a manual trigger, a catch-up) changes nothing.
	env = publishEnv(t, st, april1.Add(time.Hour))
	env.ExecuteWorkflow(workflows.PublishWorkflowName, workflows.PublishInput{Month: "2026-03"})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, env.GetWorkflowResult(&res))
	require.False(t, res.Published)
	require.Equal(t, frozen, marchResponse(t, st, 202603), "a published month changed")

	// Live, March now has the third case.
	_, err := st.RefreshSupervision(ctx, 0, 0, true)
	require.NoError(t, err)
	live, err := st.SupervisionRates(ctx, store.RatesQuery{Period: store.MonthPeriod(202603), Group: store.GroupStreet})
	require.NoError(t, err)
	require.Equal(t, int64(3), live.Total.Response.Denominator)

	// The running assessment as published at March is served from the frozen month.
	a, err := st.Assessment(ctx, store.AssessmentQuery{Year: 2026, AsOfMonth: 202603})
	require.NoError(t, err)
	require.Len(t, a.Items, 1)
	require.Equal(t, int64(2), a.Items[0].Counts.Cases)
}

func TestPublishSupervisionRefusesAMonthNotOver(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	env := publishEnv(t, st, time.Date(2026, 4, 15, 2, 0, 0, 0, worktime.Location))
	env.ExecuteWorkflow(workflows.PublishWorkflowName, workflows.PublishInput{Month: "2026-04"})
	require.True(t, env.IsWorkflowCompleted())
	we, ok := workflows.AsError(env.GetWorkflowError()).(*whistle.Error)
	require.True(t, ok, "%v", env.GetWorkflowError())
	require.Equal(t, whistle.EInvalid, we.Code)
	_, err := st.Publication(context.Background(), 202604)
	require.Equal(t, whistle.ENotFound, whistle.ErrorCode(err))
}

func TestMonthlyPublicationSchedule(t *testing.T) {
	o := workflows.MonthlyPublication()
	require.Equal(t, "Asia/Shanghai", o.Spec.TimeZoneName)
	require.Len(t, o.Spec.Calendars, 1)
	c := o.Spec.Calendars[0]
	require.Equal(t, 2, c.Hour[0].Start)
	require.Equal(t, 1, c.DayOfMonth[0].Start)
	require.Equal(t, 0, c.Minute[0].Start)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, o.Overlap)
	a, ok := o.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, workflows.TaskQueue, a.TaskQueue)
	require.Equal(t, workflows.PublishWorkflowName, a.Workflow)
}

// A demo case run through the whole loop by the real workflow shows in its
// district's rates, not in the other district's; and once the month is
// published, it stays as published.
func TestClosedWhistleShowsInItsDistrictsRates(t *testing.T) {
	h := newHarness(t)
	in := input("R1", whistle.ClassRoutine, "s1-citymgmt")
	t1 := taskID("R1", 1)
	h.update(1*time.Hour, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
	h.update(3*time.Hour, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
	h.update(5*time.Hour, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	h.update(6*time.Hour, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 5, Attitude: 4, Satisfaction: whistle.BasicallySatisfied})
	c := h.run(in)
	require.Equal(t, whistle.CaseClosed, c.Status)

	ctx := context.Background()
	_, err := h.st.RefreshSupervision(ctx, 0, 0, true)
	require.NoError(t, err)
	march := store.MonthPeriod(202603)
	d1, err := h.st.SupervisionRates(ctx, store.RatesQuery{Scope: store.RollupScope{DistrictID: "110101"}, Period: march, Group: store.GroupDepartment})
	require.NoError(t, err)
	require.Len(t, d1.Items, 1)
	r := d1.Items[0]
	require.Equal(t, "s1-citymgmt", r.ID)
	require.Equal(t, store.RateValue{Numerator: 1, Denominator: 1, Rate: r.Response.Rate}, r.Response)
	require.Equal(t, int64(1), r.OnTimeClosure.Numerator)
	require.Equal(t, int64(1), r.Satisfaction.Numerator, "basically satisfied counts as satisfied")

	d2, err := h.st.SupervisionRates(ctx, store.RatesQuery{Scope: store.RollupScope{DistrictID: "110102"}, Period: march, Group: store.GroupDepartment})
	require.NoError(t, err)
	require.Empty(t, d2.Items)
	require.Equal(t, int64(0), d2.Total.Counts.Cases)
}
