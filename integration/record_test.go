// Package integration runs the whistle workflow on a real, in-process
// Temporal server (temporaltest) with the real activities on SQLite. It is
// the one test package besides devserver/ that links go.temporal.io/server.
//
// TestRecordHistories runs representative cases end to end and checks
// them; with -record it also writes their histories as JSON to
// workflows/testdata, which the replay tests in workflows/ replay on every
// run to catch non-deterministic changes:
//
//	GOTOOLCHAIN=auto go test ./integration -run TestRecordHistories -record
package integration

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

var (
	record = flag.Bool("record", false, "write the recorded histories to workflows/testdata")
	// recordSuffix names histories of a new workflow shape apart from the
	// old ones, which stay: running cases still have the old shape.
	recordSuffix = flag.String("record-suffix", "", "appended to each recorded history's name (e.g. -lean)")
)

const testdata = "../workflows/testdata"

var discard = slog.New(slog.DiscardHandler)

var chain = []workflows.OrgRef{
	{ID: "110101001001", Path: "/110000/110101/110101001/110101001001/", Level: whistle.LevelCommunity},
	{ID: "110101001", Path: "/110000/110101/110101001/", Level: whistle.LevelStreet},
	{ID: "110101", Path: "/110000/110101/", Level: whistle.LevelDistrict},
	{ID: "110000", Path: "/110000/", Level: whistle.LevelCity},
}

var (
	secretary       = whistle.Actor{UserID: "u-c1", Username: "c1-secretary", Role: whistle.RoleCommunitySecretary, OrgUnitID: chain[0].ID, OrgPath: whistle.OrgPath(chain[0].Path)}
	streetSecretary = whistle.Actor{UserID: "u-s1", Username: "s1-secretary", Role: whistle.RoleStreetSecretary, OrgUnitID: chain[1].ID, OrgPath: whistle.OrgPath(chain[1].Path)}
)

func clerk(dept string) whistle.Actor {
	return whistle.Actor{UserID: "u-" + dept, Username: dept, Role: whistle.RoleClerk, DepartmentID: dept}
}

func dept(id string) workflows.DepartmentRef {
	return workflows.DepartmentRef{ID: id, Name: id, OrgUnitID: chain[1].ID, OrgPath: chain[1].Path}
}

func input(id string, class whistle.Class, depts ...string) workflows.WhistleInput {
	in := workflows.WhistleInput{ID: id, Title: "recorded " + id, Description: "d", Category: "市容环境",
		Source: whistle.SourceGrid, Class: class, Filer: secretary, OrgUnitID: chain[0].ID, OrgPath: chain[0].Path,
		CreatedAt: time.Now().UTC(), Chain: chain}
	for _, d := range depts {
		in.Departments = append(in.Departments, dept(d))
	}
	return in
}

// env is one in-process server with the binary's worker (app.App, as
// `shaobao serve` wires it) on a fresh SQLite store.
type env struct {
	t   *testing.T
	c   client.Client
	st  *store.Store
	ns  string // the namespace c works in
	app *app.App
}

// startApp wires the process as `shaobao serve --role all` does, on the
// test server's client and st, and starts its worker; the test's end
// closes it.
func startApp(t *testing.T, c client.Client, ns string, st *store.Store) *app.App {
	t.Helper()
	// DataDir only keeps the channels' secret key (the store is st).
	a := app.New(&app.Config{TemporalNamespace: ns, Role: "all", DataDir: t.TempDir()}, discard)
	a.Store, a.Temporal = st, c
	t.Cleanup(a.Close)
	require.NoError(t, a.StartWorker(t.Context()))
	return a
}

func newEnv(t *testing.T, dc dynamicconfig.StaticClient) *env {
	t.Helper()
	dc[dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()] = []dynamicconfig.ConstrainedValue{{Value: true}}
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: log.NewStructuredLogger(discard)}),
		temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(dc)))
	c := ts.GetDefaultClient()
	ctx := context.Background()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: workflows.SearchAttributes, Namespace: ts.GetDefaultNamespace()})
	require.NoError(t, err)
	st := storetest.MustOpenSQLite(t)
	require.NoError(t, st.SeedDefaults(ctx))
	// Emergency clocks of seconds so breaches happen during the test.
	_, err = st.PutSLAPolicy(ctx, store.SLAPolicy{Class: string(whistle.ClassEmergency), ReportWithin: "1s", HandleWithin: "3s",
		EvaluateWithin: "3d", DefaultSatisfaction: string(whistle.Satisfied)})
	require.NoError(t, err)
	ns := ts.GetDefaultNamespace()
	return &env{t: t, c: c, st: st, ns: ns, app: startApp(t, c, ns, st)}
}

func (e *env) start(in workflows.WhistleInput) client.WorkflowRun {
	e.t.Helper()
	run, err := e.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.WorkflowID(in.ID), TaskQueue: workflows.TaskQueue}, workflows.WorkflowName, in)
	require.NoError(e.t, err)
	return run
}

func (e *env) send(caseID, name string, in any) (whistle.Case, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.WorkflowID(caseID),
		UpdateName: name, Args: []any{in}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return whistle.Case{}, err
	}
	var c whistle.Case
	err = h.Get(ctx, &c)
	return c, workflows.AsError(err)
}

func (e *env) do(caseID, name string, in any) whistle.Case {
	e.t.Helper()
	c, err := e.send(caseID, name, in)
	require.NoError(e.t, err, "%s", name)
	return c
}

func (e *env) refused(caseID, name string, in any, code string) {
	e.t.Helper()
	_, err := e.send(caseID, name, in)
	var we *whistle.Error
	require.True(e.t, errors.As(err, &we), "%s: want a coded refusal, got %T %v", name, err, err)
	require.Equal(e.t, code, we.Code)
}

func (e *env) state(caseID string) whistle.Case {
	e.t.Helper()
	v, err := e.c.QueryWorkflow(context.Background(), workflows.WorkflowID(caseID), "", workflows.QueryState)
	require.NoError(e.t, err)
	var c whistle.Case
	require.NoError(e.t, v.Get(&c))
	return c
}

// closed waits for the run to finish and returns its result.
func (e *env) closed(run client.WorkflowRun) whistle.Case {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var c whistle.Case
	require.NoError(e.t, run.Get(ctx, &c))
	require.Equal(e.t, whistle.CaseClosed, c.Status)
	return c
}

// save writes the history of one run as JSON when recording.
func (e *env) save(name, caseID, runID string) {
	e.t.Helper()
	iter := e.c.GetWorkflowHistory(context.Background(), workflows.WorkflowID(caseID), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(e.t, err)
		hist.Events = append(hist.Events, ev)
	}
	require.NotEmpty(e.t, hist.Events)
	if !*record {
		return
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(hist)
	require.NoError(e.t, err)
	require.NoError(e.t, os.MkdirAll(testdata, 0o755))
	require.NoError(e.t, os.WriteFile(filepath.Join(testdata, name+*recordSuffix+".json"), b, 0o644))
	e.t.Logf("recorded %s: %d events", name, len(hist.Events))
}

// listed waits until a visibility query finds exactly one case.
func (e *env) listed(t *testing.T, query string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := e.c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 10*time.Second, 100*time.Millisecond, "no case for %s", query)
}

func taskID(caseID string, n int) string { return fmt.Sprintf("%s-T%d", caseID, n) }

func eval(dept string) workflows.EvaluateInput {
	return workflows.EvaluateInput{Actor: secretary, DepartmentID: dept, Timeliness: 4, Quality: 4, Attitude: 5, Satisfaction: whistle.Satisfied}
}

func TestRecordHistories(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	e := newEnv(t, dynamicconfig.StaticClient{})

	t.Run("hotline case with call-back closed", func(t *testing.T) {
		id := "REC-CALLBACK"
		in := input(id, whistle.ClassRoutine, "s1-citymgmt", "s1-market")
		in.Source, in.CallbackRequired = whistle.SourceHotline, true
		run := e.start(in)
		t1, t2 := taskID(id, 1), taskID(id, 2)
		for _, x := range []struct{ dept, task string }{{"s1-citymgmt", t1}, {"s1-market", t2}} {
			e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk(x.dept), TaskID: x.task})
			e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk(x.dept), TaskID: x.task, Result: "已处理"})
		}
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
		noSat := workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-citymgmt", Timeliness: 4, Quality: 4, Attitude: 5}
		e.refused(id, workflows.UpdateEvaluate, noSat, whistle.EConflict) // call the resident back first
		e.refused(id, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackPhone, Satisfaction: whistle.Satisfied}, whistle.EInvalid)
		c := e.do(id, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackPhone, Note: "无人接听"})
		require.Equal(t, whistle.CallbackPending, c.Callback)
		c = e.do(id, workflows.UpdateCallback, workflows.CallbackInput{Actor: secretary, Method: whistle.CallbackSMS, Reached: true, Satisfaction: whistle.Dissatisfied})
		require.Equal(t, whistle.CallbackReached, c.Callback)
		e.refused(id, workflows.UpdateEvaluate, eval("s1-citymgmt"), whistle.EInvalid) // a typed satisfaction
		e.do(id, workflows.UpdateEvaluate, noSat)
		noSat.DepartmentID = "s1-market"
		e.do(id, workflows.UpdateEvaluate, noSat)
		final := e.closed(run)
		for _, ev := range final.Evaluations {
			require.Equal(t, whistle.Dissatisfied, ev.Satisfaction, "the resident's answer")
		}
		stored, err := e.st.Case(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, whistle.CallbackReached, stored.Callback)
		require.Len(t, stored.Callbacks, 2)
		e.save("hotline-callback-closed", id, run.GetRunID())
	})

	t.Run("joint routine case closed", func(t *testing.T) {
		id := "REC-LOOP"
		run := e.start(input(id, whistle.ClassRoutine, "s1-citymgmt", "s1-market"))
		t1, t2 := taskID(id, 1), taskID(id, 2)
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
		e.refused(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1}, whistle.EConflict)
		e.refused(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t2}, whistle.EForbidden)
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理", Evidence: []string{"https://example.org/1.jpg"}})
		c := e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "已立案"})
		require.Equal(t, whistle.CaseVerifying, c.Status)
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
		e.refused(id, workflows.UpdateEvaluate, workflows.EvaluateInput{Actor: secretary, DepartmentID: "s1-market", Timeliness: 9, Quality: 4, Attitude: 4, Satisfaction: whistle.Satisfied}, whistle.EInvalid)
		e.do(id, workflows.UpdateEvaluate, eval("s1-citymgmt"))
		e.do(id, workflows.UpdateEvaluate, eval("s1-market"))
		final := e.closed(run)
		tl, err := e.st.Timeline(context.Background(), id)
		require.NoError(t, err)
		require.Len(t, tl, len(final.Timeline), "the read model holds the whole timeline")
		e.save("joint-routine-closed", id, run.GetRunID())
	})

	t.Run("return, reroute, extensions, failed verification", func(t *testing.T) {
		id := "REC-REWORK"
		run := e.start(input(id, whistle.ClassKey, "s1-police", "s1-market"))
		t1, t2, t3 := taskID(id, 1), taskID(id, 2), taskID(id, 3)
		e.do(id, workflows.UpdateReturn, workflows.ReturnInput{Actor: clerk("s1-market"), TaskID: t2, Reason: "不属于本部门职责"})
		e.do(id, workflows.UpdateAnswerReturn, workflows.AnswerReturnInput{Actor: secretary, TaskID: t2, Accept: true, Comment: "同意退回"})
		e.do(id, workflows.UpdateSummon, workflows.SummonInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}, RerouteTaskID: t2})
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t1})
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t3})
		e.do(id, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-police"), TaskID: t1, Extra: "1d", Reason: "等待检测"})
		e.do(id, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: t1, Grant: true, Comment: "同意"})
		until := time.Now().Add(10 * 24 * time.Hour) // inside the 15 working days extensions may add
		e.do(id, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-citymgmt"), TaskID: t3, Until: &until, Reason: "人手不足"})
		e.do(id, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: t3, Grant: false, Comment: "不同意"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: "ok"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t3, Result: "ok"})
		c := e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "仍有问题"})
		require.Equal(t, whistle.CaseOpen, c.Status)
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: "再处理"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t3, Result: "再处理"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
		e.do(id, workflows.UpdateEvaluate, eval("s1-police"))
		e.do(id, workflows.UpdateEvaluate, eval("s1-citymgmt"))
		e.closed(run)
		// rework-closed.json is the same case before returns were answered.
		e.save("rework-reviewed-closed", id, run.GetRunID())
	})

	t.Run("breaches escalate and the street takes over", func(t *testing.T) {
		id := "REC-BREACH"
		run := e.start(input(id, whistle.ClassEmergency, "s1-police"))
		require.Eventually(t, func() bool { return e.state(id).Level == whistle.LevelStreet }, 20*time.Second, 200*time.Millisecond)
		c := e.state(id)
		require.True(t, c.Overdue)
		require.Len(t, c.Breaches, 2)
		// The typed search attributes follow the case.
		e.listed(t, fmt.Sprintf("WorkflowId = '%s' AND ShaobaoOverdue = true AND ShaobaoLevel = 'street' AND ShaobaoOrgPath = '%s' AND ShaobaoStatus = 'open' AND ShaobaoClass = 'emergency' AND ShaobaoPendingDepartments = 's1-police'",
			workflows.WorkflowID(id), chain[1].Path))
		e.do(id, workflows.UpdateSummon, workflows.SummonInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept("d1-police")}})
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("d1-police"), TaskID: taskID(id, 2)})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("d1-police"), TaskID: taskID(id, 2), Result: "ok"})
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: taskID(id, 1)})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: taskID(id, 1), Result: "ok"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
		e.do(id, workflows.UpdateEvaluate, eval("s1-police"))
		e.do(id, workflows.UpdateEvaluate, eval("d1-police"))
		final := e.closed(run)
		require.Len(t, final.Escalations, 1)
		e.listed(t, fmt.Sprintf("WorkflowId = '%s' AND ShaobaoStatus = 'closed'", workflows.WorkflowID(id)))
		e.save("breach-escalation-closed", id, run.GetRunID())
	})

	// Updates that name the holder they were authorized against (the API
	// fills HolderOrgUnitID): a stale one is refused, the current one goes
	// through, so the replay tests cover the shape the API sends now.
	t.Run("holder checked on escalation, extension, verification", func(t *testing.T) {
		id := "REC-HOLDER"
		community, street := chain[0].ID, chain[1].ID
		run := e.start(input(id, whistle.ClassRoutine, "s1-citymgmt"))
		t1 := taskID(id, 1)
		e.do(id, workflows.UpdateEscalate, workflows.EscalateInput{Actor: secretary, Reason: "需街道协调", HolderOrgUnitID: community})
		e.refused(id, workflows.UpdateEscalate, workflows.EscalateInput{Actor: secretary, Reason: "重复上报", HolderOrgUnitID: community}, whistle.EConflict)
		e.do(id, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, Comment: "街道接收", ByOrgUnitID: street})
		e.do(id, workflows.UpdateSummon, workflows.SummonInput{Actor: streetSecretary, Departments: []workflows.DepartmentRef{dept("s1-market")}, HolderOrgUnitID: street})
		t2 := taskID(id, 2)
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-market"), TaskID: t2})
		e.do(id, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-market"), TaskID: t2, Extra: "2d", Reason: "等待配合"})
		e.refused(id, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: secretary, TaskID: t2, Grant: true, HolderOrgUnitID: community}, whistle.EConflict)
		e.do(id, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: streetSecretary, TaskID: t2, Grant: true, Comment: "同意", HolderOrgUnitID: street})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-market"), TaskID: t2, Result: "已查处"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true, HolderOrgUnitID: street})
		ev := eval("s1-citymgmt")
		ev.HolderOrgUnitID = street
		e.do(id, workflows.UpdateEvaluate, ev)
		ev = eval("s1-market")
		ev.HolderOrgUnitID = street
		e.do(id, workflows.UpdateEvaluate, ev)
		final := e.closed(run)
		require.Len(t, final.Escalations, 1, "the stale escalation moved nothing")
		require.Equal(t, whistle.LevelStreet, final.Level)
		// holder-checked-closed.json is the same case before escalations
		// were answered.
		e.save("holder-checked-answered", id, run.GetRunID())
	})

	// The acceptance queue: a case filed pending is accepted and whistled
	// (a stale holder refused first); a duplicate filed pending is merged
	// into it, whose timeline records merged_in from the signal.
	t.Run("intake accepted, a duplicate merged in", func(t *testing.T) {
		id, dup := "REC-INTAKE", "REC-INTAKE-DUP"
		community := chain[0].ID
		run := e.start(input(id, whistle.ClassRoutine))
		c := e.state(id)
		require.Equal(t, whistle.CasePending, c.Status)
		require.NotNil(t, c.AcceptDeadline)
		e.refused(id, workflows.UpdateSummon, workflows.SummonInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}}, whistle.EConflict)
		e.refused(id, workflows.UpdateAccept, workflows.AcceptInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}, HolderOrgUnitID: chain[1].ID}, whistle.EConflict)
		e.do(id, workflows.UpdateAccept, workflows.AcceptInput{Actor: secretary, Departments: []workflows.DepartmentRef{dept("s1-citymgmt")}, HolderOrgUnitID: community})
		dupRun := e.start(input(dup, whistle.ClassRoutine))
		e.refused(dup, workflows.UpdateMerge, workflows.MergeInput{Actor: secretary, Into: dup, HolderOrgUnitID: community}, whistle.EInvalid)
		e.do(dup, workflows.UpdateMerge, workflows.MergeInput{Actor: secretary, Into: id, IntoTitle: "recorded " + id, HolderOrgUnitID: community})
		merged := e.closed(dupRun)
		require.Equal(t, whistle.OutcomeMerged, merged.Outcome)
		require.Eventually(t, func() bool {
			tl := e.state(id).Timeline
			return tl[len(tl)-1].Type == whistle.EventMergedIn
		}, 10*time.Second, 100*time.Millisecond)
		t1 := taskID(id, 1)
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-citymgmt"), TaskID: t1})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true, HolderOrgUnitID: community})
		ev := eval("s1-citymgmt")
		ev.HolderOrgUnitID = community
		e.do(id, workflows.UpdateEvaluate, ev)
		final := e.closed(run)
		require.Equal(t, whistle.OutcomeResolved, final.Outcome)
		e.save("intake-accepted", id, run.GetRunID())
		e.save("intake-merged", dup, dupRun.GetRunID())
	})

	// Both directions and the exceptions of a joint case: an escalation
	// answered, a dispatch down and its recall, a reviewed escalation sent
	// back, a lead releasing an assisting department, a return refused then
	// accepted and dropped, an extension within its limits, and a failed
	// verification naming one department.
	t.Run("both ways and the exceptions", func(t *testing.T) {
		id := "REC-TWOWAY"
		community, street, district := chain[0].ID, chain[1].ID, chain[2].ID
		d1 := whistle.Actor{UserID: "u-d1", Username: "d1-commander", Role: whistle.RoleCommander, OrgUnitID: district, OrgPath: whistle.OrgPath(chain[2].Path)}
		run := e.start(input(id, whistle.ClassRoutine, "s1-citymgmt", "s1-market", "s1-police", "s1-housing"))
		t1, t2, t3, t4 := taskID(id, 1), taskID(id, 2), taskID(id, 3), taskID(id, 4)
		e.do(id, workflows.UpdateEscalate, workflows.EscalateInput{Actor: secretary, Reason: "需街道协调", HolderOrgUnitID: community})
		e.refused(id, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: secretary, Accept: true, ByOrgUnitID: community}, whistle.EForbidden)
		e.do(id, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, Comment: "街道接收", ByOrgUnitID: street})
		e.do(id, workflows.UpdateDispatch, workflows.DispatchInput{Actor: streetSecretary, To: chain[0], Chain: chain, Reason: "社区先行处置", HolderOrgUnitID: street})
		e.refused(id, workflows.UpdateRecall, workflows.RecallInput{Actor: secretary, ByOrgUnitID: community, HolderOrgUnitID: community}, whistle.EForbidden)
		e.do(id, workflows.UpdateRecall, workflows.RecallInput{Actor: streetSecretary, Reason: "街道直接处置", ByOrgUnitID: street, HolderOrgUnitID: community})
		e.do(id, workflows.UpdateEscalate, workflows.EscalateInput{Actor: streetSecretary, Reason: "需区级协调", Review: true, HolderOrgUnitID: street})
		e.do(id, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: streetSecretary, Accept: true, ByOrgUnitID: street})
		c := e.do(id, workflows.UpdateAnswerEscalation, workflows.AnswerEscalationInput{Actor: d1, Comment: "请街道先召集联席会议", ByOrgUnitID: district})
		require.Equal(t, street, c.HolderOrgUnitID)
		e.do(id, workflows.UpdateSetLead, workflows.SetLeadInput{Actor: streetSecretary, TaskID: t1, HolderOrgUnitID: street})
		e.do(id, workflows.UpdateRelease, workflows.ReleaseInput{Actor: clerk("s1-citymgmt"), TaskID: t2, Reason: "无需市场监管协办"})
		e.do(id, workflows.UpdateReturn, workflows.ReturnInput{Actor: clerk("s1-police"), TaskID: t3, Reason: "不属于公安职责"})
		e.do(id, workflows.UpdateAnswerReturn, workflows.AnswerReturnInput{Actor: streetSecretary, TaskID: t3, Comment: "涉及治安，请配合", HolderOrgUnitID: street})
		e.do(id, workflows.UpdateReturn, workflows.ReturnInput{Actor: clerk("s1-police"), TaskID: t3, Reason: "现场无治安问题"})
		e.do(id, workflows.UpdateAnswerReturn, workflows.AnswerReturnInput{Actor: streetSecretary, TaskID: t3, Accept: true, HolderOrgUnitID: street})
		e.do(id, workflows.UpdateDrop, workflows.DropInput{Actor: streetSecretary, TaskID: t3, Reason: "退回已同意，无需改派", HolderOrgUnitID: street})
		for _, x := range []struct{ dept, task string }{{"s1-citymgmt", t1}, {"s1-housing", t4}} {
			e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk(x.dept), TaskID: x.task})
		}
		e.do(id, workflows.UpdateRequestExtension, workflows.ExtensionInput{Actor: clerk("s1-housing"), TaskID: t4, Extra: "1d", Reason: "等待物业配合"})
		e.do(id, workflows.UpdateAnswerExtension, workflows.AnswerExtensionInput{Actor: streetSecretary, TaskID: t4, Grant: true, HolderOrgUnitID: street})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-housing"), TaskID: t4, Result: "已协调物业"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-citymgmt"), TaskID: t1, Result: "已清理"})
		c = e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "物业仍未整改", DepartmentIDs: []string{"s1-housing"}, HolderOrgUnitID: street})
		require.Equal(t, whistle.TaskDone, c.Tasks[0].Status)
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-housing"), TaskID: t4, Result: "物业已整改"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true, HolderOrgUnitID: street})
		for _, d := range []string{"s1-citymgmt", "s1-housing"} {
			ev := eval(d)
			ev.HolderOrgUnitID = street
			e.do(id, workflows.UpdateEvaluate, ev)
		}
		final := e.closed(run)
		require.Equal(t, whistle.OutcomeResolved, final.Outcome)
		e.save("twoway-closed", id, run.GetRunID())
	})

	// Follow-up: the emergency report clock (1 s here) warns yellow then
	// red, the department is urged (a second urge within the hour is
	// refused) and answers a supervision order.
	t.Run("warnings, urge and a supervision order", func(t *testing.T) {
		id := "REC-FOLLOWUP"
		run := e.start(input(id, whistle.ClassEmergency, "s1-police"))
		t1 := taskID(id, 1)
		require.Eventually(t, func() bool { return e.state(id).Tasks[0].WarnedReport == 2 }, 10*time.Second, 50*time.Millisecond)
		e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t1})
		e.do(id, workflows.UpdateUrge, workflows.UrgeInput{Actor: streetSecretary, TaskID: t1, Message: "请尽快处置"})
		e.refused(id, workflows.UpdateUrge, workflows.UrgeInput{Actor: streetSecretary, TaskID: t1, Message: "再催"}, whistle.ERateLimited)
		supervisor := whistle.Actor{UserID: "u-d1s", Username: "d1-supervisor", Role: whistle.RoleSupervisor, OrgUnitID: chain[2].ID, OrgPath: whistle.OrgPath(chain[2].Path)}
		e.do(id, workflows.UpdateSupervisionOrder, workflows.SupervisionOrderInput{Actor: supervisor, Departments: []workflows.DepartmentRef{dept("s1-police")},
			Requirement: "当日处置完毕", Due: time.Now().Add(time.Hour), Issuer: chain[2]})
		e.do(id, workflows.UpdateAnswerSupervisionOrder, workflows.AnswerSupervisionOrderInput{Actor: clerk("s1-police"), OrderID: id + "-S1", Answer: "已处置"})
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: "已处置"})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
		e.do(id, workflows.UpdateEvaluate, eval("s1-police"))
		final := e.closed(run)
		require.Len(t, final.SupervisionOrders, 1)
		e.save("followup-closed", id, run.GetRunID())
	})

	t.Run("unresolvable refused, then approved", func(t *testing.T) {
		id := "REC-UNRESOLVABLE"
		community, street := chain[0].ID, chain[1].ID
		run := e.start(input(id, whistle.ClassRoutine, "s1-citymgmt"))
		e.do(id, workflows.UpdateApplyUnresolvable, workflows.UnresolvableInput{Actor: secretary, Reason: "涉及产权诉讼", HolderOrgUnitID: community})
		e.refused(id, workflows.UpdateAnswerUnresolvable, workflows.AnswerUnresolvableInput{Actor: secretary, Approve: true, ByOrgUnitID: community}, whistle.EForbidden)
		e.do(id, workflows.UpdateAnswerUnresolvable, workflows.AnswerUnresolvableInput{Actor: streetSecretary, Comment: "先协调产权方", ByOrgUnitID: street})
		e.do(id, workflows.UpdateApplyUnresolvable, workflows.UnresolvableInput{Actor: secretary, Reason: "协调未果，诉讼中", HolderOrgUnitID: community})
		e.do(id, workflows.UpdateAnswerUnresolvable, workflows.AnswerUnresolvableInput{Actor: streetSecretary, Approve: true, Comment: "同意挂账", ByOrgUnitID: street})
		final := e.closed(run)
		require.Equal(t, whistle.OutcomeUnresolvable, final.Outcome)
		e.save("unresolvable-closed", id, run.GetRunID())
	})
}

// A long case continues as new when the server suggests it (the threshold
// is lowered here) and goes on in the next run from the carried state.
func TestRecordContinueAsNew(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	e := newEnv(t, dynamicconfig.StaticClient{
		dynamicconfig.HistoryCountSuggestContinueAsNew.Key(): []dynamicconfig.ConstrainedValue{{Value: 40}},
	})
	id := "REC-CAN"
	run := e.start(input(id, whistle.ClassKey, "s1-police"))
	t1 := taskID(id, 1)
	e.do(id, workflows.UpdateReport, workflows.ReportInput{Actor: clerk("s1-police"), TaskID: t1})
	for i := range 4 {
		e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: fmt.Sprintf("第 %d 次", i+1)})
		e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: false, Comment: "仍有问题"})
	}
	e.do(id, workflows.UpdateFeedback, workflows.FeedbackInput{Actor: clerk("s1-police"), TaskID: t1, Result: "完成"})
	e.do(id, workflows.UpdateVerify, workflows.VerifyInput{Actor: secretary, Passed: true})
	e.do(id, workflows.UpdateEvaluate, eval("s1-police"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	last := e.c.GetWorkflow(ctx, workflows.WorkflowID(id), "")
	var final whistle.Case
	require.NoError(t, last.Get(ctx, &final))
	require.Equal(t, whistle.CaseClosed, final.Status)
	require.NotEqual(t, run.GetRunID(), last.GetRunID(), "the case continued as new")
	for i, en := range final.Timeline {
		require.Equal(t, int64(i+1), en.Seq)
	}
	tl, err := e.st.Timeline(ctx, id)
	require.NoError(t, err)
	require.Len(t, tl, len(final.Timeline))
	e.save("continue-as-new-run1", id, run.GetRunID())
	desc, err := e.c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
	require.NoError(t, err)
	e.save("continue-as-new-last", id, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
}
