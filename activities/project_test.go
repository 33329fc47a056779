package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/workflows"
)

// TestProjectWithNUL: a case whose title holds NUL (filed before the API
// refused it) reaches the read model on both databases instead of failing
// its projection forever on PostgreSQL.
func TestProjectWithNUL(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		reg := prometheus.NewRegistry()
		a := &activities.Activities{Store: st, Logger: discard, Metrics: activities.NewMetrics(reg)}
		c, entries := sampleCase()
		c.Title, entries[0].Detail = "井盖\x00丢失", "\x00"
		require.NoError(t, a.Project(context.Background(), workflows.ProjectInput{Case: c, Entries: entries}))
		got, err := st.Case(context.Background(), c.ID)
		require.NoError(t, err)
		require.Equal(t, "井盖\uFFFD丢失", got.Title)
		require.Zero(t, projectionFailures(t, reg))
	})
}

// TestProjectFailureSurfaces: a projection that fails is counted on
// shaobao_projection_failures_total and logged at ERROR with the case id,
// so an operator sees a case the lists cannot show.
func TestProjectFailureSurfaces(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	require.NoError(t, st.Close()) // every write fails from here on
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	a := &activities.Activities{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: activities.NewMetrics(reg)}
	c, entries := sampleCase()
	for range 2 {
		require.Error(t, a.Project(context.Background(), workflows.ProjectInput{Case: c, Entries: entries}))
	}
	require.Equal(t, 2.0, projectionFailures(t, reg))
	var line map[string]any
	require.NoError(t, json.Unmarshal(bytes.SplitN(logs.Bytes(), []byte("\n"), 2)[0], &line))
	require.Equal(t, "ERROR", line["level"])
	require.Equal(t, c.ID, line["case_id"])
}

// projectionFailures reads shaobao_projection_failures_total from reg, as
// /metrics would show it.
func projectionFailures(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "shaobao_projection_failures_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("shaobao_projection_failures_total is not registered")
	return 0
}
