package activities_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

var (
	discard = slog.New(slog.DiscardHandler)
	t0      = time.Date(2026, 3, 2, 10, 0, 0, 0, worktime.Location)
)

func sampleCase() (whistle.Case, []whistle.TimelineEntry) {
	c := whistle.Case{ID: "P1", Title: "t", Source: whistle.SourceGrid, Class: whistle.ClassKey, Status: whistle.CaseOpen,
		OrgUnitID: "c", OrgPath: "/x/c/", Level: whistle.LevelCommunity, HolderOrgUnitID: "c", HolderOrgPath: "/x/c/",
		FiledBy: "c1-secretary", FiledByUserID: "u1", CreatedAt: t0, UpdatedAt: t0, Seq: 2,
		Tasks: []whistle.Task{{ID: "P1-T1", CaseID: "P1", DepartmentID: "a", Status: whistle.TaskSummoned, SummonedAt: t0,
			ReportDeadline: t0.Add(2 * time.Hour), HandleDeadline: t0.Add(72 * time.Hour)}}}
	entries := []whistle.TimelineEntry{
		{Seq: 1, At: t0, Type: whistle.EventFiled, Actor: "c1-secretary"},
		{Seq: 2, At: t0, Type: whistle.EventSummoned, Actor: "c1-secretary", TaskID: "P1-T1", DepartmentID: "a"},
	}
	return c, entries
}

// Project twice with the same input leaves one timeline row per seq.
func TestProject_Idempotent(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{
		"sqlite":   storetest.MustOpenSQLite,
		"postgres": storetest.MustOpenPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			a := &activities.Activities{Store: st, Logger: discard}
			ctx := context.Background()
			c, entries := sampleCase()
			in := workflows.ProjectInput{Case: c, Entries: entries}
			require.NoError(t, a.Project(ctx, in))
			require.NoError(t, a.Project(ctx, in))
			tl, err := st.Timeline(ctx, "P1")
			require.NoError(t, err)
			require.Len(t, tl, 2)
			require.Equal(t, []int64{1, 2}, []int64{tl[0].Seq, tl[1].Seq})

			// A newer write adds its entry; replaying the old one changes nothing.
			c3 := c
			c3.Seq, c3.Status = 3, whistle.CaseOpen
			c3.Tasks = []whistle.Task{c.Tasks[0]}
			c3.Tasks[0].Status = whistle.TaskReported
			e3 := whistle.TimelineEntry{Seq: 3, At: t0.Add(time.Hour), Type: whistle.EventReported, Actor: "a", TaskID: "P1-T1"}
			require.NoError(t, a.Project(ctx, workflows.ProjectInput{Case: c3, Entries: []whistle.TimelineEntry{e3}}))
			require.NoError(t, a.Project(ctx, in))
			tl, err = st.Timeline(ctx, "P1")
			require.NoError(t, err)
			require.Len(t, tl, 3)
			var row store.TaskRow
			require.NoError(t, st.DB.Where("id = ?", "P1-T1").Take(&row).Error)
			require.Equal(t, string(whistle.TaskReported), row.Status, "an older seq never overwrites a newer case")
		})
	}
}

// Deadlines read the policy in force and the calendar: working time for
// key, wall clock for emergency; a per-level policy wins over the default.
func TestDeadlines(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	ctx := context.Background()
	require.NoError(t, st.SeedDefaults(ctx))
	a := &activities.Activities{Store: st, Logger: discard}
	cal := worktime.MustDefault()

	dl, err := a.Deadlines(ctx, workflows.DeadlinesInput{Class: whistle.ClassKey, Level: whistle.LevelCommunity, From: t0})
	require.NoError(t, err)
	require.True(t, time.Date(2026, 3, 2, 12, 0, 0, 0, worktime.Location).Equal(dl.Report))
	require.True(t, time.Date(2026, 3, 5, 10, 0, 0, 0, worktime.Location).Equal(dl.Handle))

	friday := time.Date(2026, 3, 6, 23, 0, 0, 0, worktime.Location)
	dl, err = a.Deadlines(ctx, workflows.DeadlinesInput{Class: whistle.ClassEmergency, Level: whistle.LevelStreet, From: friday})
	require.NoError(t, err)
	require.True(t, friday.Add(30*time.Minute).Equal(dl.Report), "emergency runs on the wall clock, weekend or not")
	require.True(t, friday.Add(24*time.Hour).Equal(dl.Handle))

	_, err = st.PutSLAPolicy(ctx, store.SLAPolicy{Class: "key", Level: "street", ReportWithin: "1h", HandleWithin: "1d", EvaluateWithin: "5d", DefaultSatisfaction: "basically_satisfied"})
	require.NoError(t, err)
	dl, err = a.Deadlines(ctx, workflows.DeadlinesInput{Class: whistle.ClassKey, Level: whistle.LevelStreet, From: t0})
	require.NoError(t, err)
	require.True(t, t0.Add(time.Hour).Equal(dl.Report))
	require.True(t, t0.Add(24*time.Hour).Equal(dl.Handle))

	w, err := a.EvaluationWindow(ctx, workflows.DeadlinesInput{Class: whistle.ClassKey, Level: whistle.LevelStreet, From: t0})
	require.NoError(t, err)
	require.Equal(t, whistle.BasicallySatisfied, w.DefaultSatisfaction)
	require.True(t, cal.Add(t0, worktime.Span{Days: 5}, false).Equal(w.Due))

	end, err := a.AddSpan(ctx, workflows.AddSpanInput{From: friday, Span: "1d", WallClock: false})
	require.NoError(t, err)
	require.True(t, time.Date(2026, 3, 10, 9, 0, 0, 0, worktime.Location).Equal(end), "Friday night + 1 working day = Tuesday 09:00")
	_, err = a.AddSpan(ctx, workflows.AddSpanInput{From: friday, Span: "soon"})
	require.Error(t, err)
}
