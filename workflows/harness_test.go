package workflows_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// t0 is a Monday 10:00 in Beijing, well clear of holidays.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, worktime.Location)

var discard = slog.New(slog.DiscardHandler)

// The demo command chain: community → street → district → city.
var chain = []workflows.OrgRef{
	{ID: "110101001001", Path: "/110000/110101/110101001/110101001001/", Level: whistle.LevelCommunity},
	{ID: "110101001", Path: "/110000/110101/110101001/", Level: whistle.LevelStreet},
	{ID: "110101", Path: "/110000/110101/", Level: whistle.LevelDistrict},
	{ID: "110000", Path: "/110000/", Level: whistle.LevelCity},
}

var (
	secretary = whistle.Actor{UserID: "u-c1", Username: "c1-secretary", Role: whistle.RoleCommunitySecretary,
		OrgUnitID: chain[0].ID, OrgPath: whistle.OrgPath(chain[0].Path)}
	streetSecretary = whistle.Actor{UserID: "u-s1", Username: "s1-secretary", Role: whistle.RoleStreetSecretary,
		OrgUnitID: chain[1].ID, OrgPath: whistle.OrgPath(chain[1].Path)}
)

func clerk(dept string) whistle.Actor {
	return whistle.Actor{UserID: "u-" + dept, Username: dept, Role: whistle.RoleClerk, DepartmentID: dept}
}

func dept(id string) workflows.DepartmentRef {
	return workflows.DepartmentRef{ID: id, Name: id + " name", OrgUnitID: chain[1].ID, OrgPath: chain[1].Path}
}

func input(id string, class whistle.Class, depts ...string) workflows.WhistleInput {
	in := workflows.WhistleInput{
		ID: id, Title: "占道经营 " + id, Description: "街口有流动摊贩", Category: "市容环境", CatalogueItem: "stalls",
		Source: whistle.SourceGrid, Class: class, Location: whistle.At("和平里 1 号", 39.9, 116.4),
		Filer: secretary, OrgUnitID: chain[0].ID, OrgPath: chain[0].Path, CreatedAt: t0, Chain: chain,
	}
	for _, d := range depts {
		in.Departments = append(in.Departments, dept(d))
	}
	return in
}

// harness runs one whistle workflow in the SDK's time-skipping test
// environment with the real activities on a real SQLite store.
type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	st    *store.Store
	cal   *worktime.Calendar
	notes *recorder
}

// recorder is a Notifier that keeps what it was asked to send.
type recorder struct {
	mu    sync.Mutex
	notes []workflows.Notification
	// outbox delivers what lean runs wrote to the notification outbox
	// (through this recorder) before find looks.
	outbox *activities.OutboxDispatcher
}

func (r *recorder) Notify(_ context.Context, n workflows.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	return nil
}

// find returns the notifications of one event type.
func (r *recorder) find(event string) []workflows.Notification {
	if r.outbox != nil {
		for {
			n, err := r.outbox.DispatchOnce(context.Background(), 1000)
			if err != nil {
				panic(fmt.Sprintf("deliver the outbox: %v", err))
			}
			if n == 0 {
				break
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []workflows.Notification
	for _, n := range r.notes {
		if n.Event == event {
			out = append(out, n)
		}
	}
	// The outbox delivers concurrently; the timeline's order is the seq.
	slices.SortStableFunc(out, func(a, b workflows.Notification) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	require.NoError(t, st.SeedDefaults(context.Background()))
	return newHarnessOn(t, st)
}

// newHarnessOn is newHarness on an existing store.
func newHarnessOn(t *testing.T, st *store.Store) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(discard))
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.SetTestTimeout(30 * time.Second)
	notes := &recorder{}
	notes.outbox = &activities.OutboxDispatcher{Store: st, Notifier: notes, Logger: discard}
	activities.Register(env, &activities.Activities{Store: st, Notifier: notes, Logger: discard})
	return &harness{t: t, env: env, st: st, cal: worktime.MustDefault(), notes: notes}
}

// result is what an update answered, filled in when it completes.
type result struct {
	name     string
	done     bool
	rejected bool
	c        whistle.Case
	err      error
}

// update sends an update at the given offset from the start.
func (h *harness) update(at time.Duration, name string, in any) *result {
	r := &result{name: name}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.done, r.rejected, r.err = true, true, err },
			OnComplete: func(v any, err error) {
				r.done, r.err = true, err
				switch v := v.(type) {
				case whistle.Case:
					r.c = v
				case converter.EncodedValue:
					_ = v.Get(&r.c)
				}
			},
		}, in)
	}, at)
	return r
}

// caseAt records the queried state at the given offset.
func (h *harness) caseAt(at time.Duration) *whistle.Case {
	c := new(whistle.Case)
	h.env.RegisterDelayedCallback(func() { *c = h.query() }, at)
	return c
}

func (h *harness) query() whistle.Case {
	v, err := h.env.QueryWorkflow(workflows.QueryState)
	require.NoError(h.t, err)
	var c whistle.Case
	require.NoError(h.t, v.Get(&c))
	return c
}

// stopAt cancels the workflow at the given offset (cases that never close).
func (h *harness) stopAt(at time.Duration) {
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, at)
}

// run executes the workflow and returns the final state (by query).
func (h *harness) run(in workflows.WhistleInput) whistle.Case {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.WorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	c := h.query()
	checkTimeline(h.t, c)
	return c
}

// ok asserts that the update completed without error and returns its case.
func ok(t *testing.T, r *result) whistle.Case {
	t.Helper()
	require.True(t, r.done, "%s never completed", r.name)
	require.NoError(t, r.err, "%s", r.name)
	return r.c
}

// refused asserts that the update was rejected by its validator with code.
func refused(t *testing.T, r *result, code string) {
	t.Helper()
	require.True(t, r.done, "%s never answered", r.name)
	require.True(t, r.rejected, "%s was not rejected (err %v)", r.name, r.err)
	we, isWE := workflows.AsError(r.err).(*whistle.Error)
	require.True(t, isWE, "%s: %T %v is not a coded error", r.name, r.err, r.err)
	require.Equal(t, code, we.Code, "%s: %v", r.name, we)
	require.NotEmpty(t, we.Message)
	require.NotEmpty(t, we.MessageEN)
}

// checkTimeline asserts Seq runs 1, 2, 3, ... with no gaps and ends at c.Seq.
func checkTimeline(t *testing.T, c whistle.Case) {
	t.Helper()
	for i, e := range c.Timeline {
		require.Equal(t, int64(i+1), e.Seq, "timeline entry %d (%s)", i, e.Type)
		require.NotEmpty(t, e.Actor)
	}
	require.Equal(t, int64(len(c.Timeline)), c.Seq)
}

func taskOf(t *testing.T, c whistle.Case, deptID string) whistle.Task {
	t.Helper()
	var found *whistle.Task
	for i := range c.Tasks {
		if c.Tasks[i].DepartmentID == deptID {
			found = &c.Tasks[i] // the latest task of the department
		}
	}
	require.NotNil(t, found, "no task for %s", deptID)
	return *found
}

func types(c whistle.Case) []string {
	var out []string
	for _, e := range c.Timeline {
		out = append(out, e.Type)
	}
	return out
}

// clocks returns the default policy's deadlines for a department of
// class summoned at from, computed here from worktime directly.
func (h *harness) clocks(class whistle.Class, from time.Time) whistle.Deadlines {
	h.t.Helper()
	for _, p := range store.DefaultSLAPolicies {
		if p.Class == string(class) {
			r, err := worktime.ParseSpan(p.ReportWithin)
			require.NoError(h.t, err)
			hd, err := worktime.ParseSpan(p.HandleWithin)
			require.NoError(h.t, err)
			return whistle.Deadlines{Report: h.cal.Add(from, r, class.WallClock()), Handle: h.cal.Add(from, hd, class.WallClock())}
		}
	}
	h.t.Fatalf("no default policy for %s", class)
	return whistle.Deadlines{}
}

// add is from+span on working time (or the wall clock).
func (h *harness) add(from time.Time, span string, wall bool) time.Time {
	s, err := worktime.ParseSpan(span)
	require.NoError(h.t, err)
	return h.cal.Add(from, s, wall)
}

// taskID is the id the workflow gives the n-th task (1-based) of a case.
func taskID(caseID string, n int) string { return fmt.Sprintf("%s-T%d", caseID, n) }

// spanOf is a working-time span of d.
func spanOf(d time.Duration) worktime.Span { return worktime.Span{Clock: d} }
