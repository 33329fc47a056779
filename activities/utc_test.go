package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// TestDeadlineActivitiesAnswerUTC: the deadline activities return UTC
// times, on the wall clock and on working time, so the workflow's state
// (and the answer of a filing) writes them as the read model does: "Z".
func TestDeadlineActivitiesAnswerUTC(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	ctx := context.Background()
	require.NoError(t, st.SeedDefaults(ctx))
	a := &activities.Activities{Store: st, Logger: discard}

	got := map[string]time.Time{}
	for _, class := range []whistle.Class{whistle.ClassKey, whistle.ClassEmergency} {
		dl, err := a.Deadlines(ctx, workflows.DeadlinesInput{Class: class, Level: whistle.LevelStreet, From: t0})
		require.NoError(t, err)
		got["Deadlines.Report "+string(class)], got["Deadlines.Handle "+string(class)] = dl.Report, dl.Handle
		w, err := a.EvaluationWindow(ctx, workflows.DeadlinesInput{Class: class, Level: whistle.LevelStreet, From: t0})
		require.NoError(t, err)
		got["EvaluationWindow.Due "+string(class)] = w.Due
	}
	for _, wall := range []bool{false, true} {
		end, err := a.AddSpan(ctx, workflows.AddSpanInput{From: t0, Span: "1d", WallClock: wall})
		require.NoError(t, err)
		got[fmt.Sprint("AddSpan wall=", wall)] = end
	}
	for name, at := range got {
		require.Same(t, time.UTC, at.Location(), "%s = %s, want UTC", name, at)
		require.Equal(t, "Z", at.Format("Z07:00"), "%s", name)
	}
	require.Equal(t, "2026-03-03T02:00:00Z", got["AddSpan wall=true"].Format(time.RFC3339), "the same instant, written in UTC")
}
