package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

var (
	st0   = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	chain = []OrgRef{
		{ID: "c", Path: "/x/d/s/c/", Level: whistle.LevelCommunity},
		{ID: "s", Path: "/x/d/s/", Level: whistle.LevelStreet},
		{ID: "d", Path: "/x/d/", Level: whistle.LevelDistrict},
		{ID: "x", Path: "/x/", Level: whistle.LevelCity},
	}
	filer = whistle.Actor{Username: "c1-secretary", OrgUnitID: "c"}
	dl    = whistle.Deadlines{Report: st0.Add(2 * time.Hour), Handle: st0.Add(72 * time.Hour)}
)

func clerkOf(dept string) whistle.Actor {
	return whistle.Actor{Username: dept, Role: whistle.RoleClerk, DepartmentID: dept}
}

// newTestMachine files case K with departments a and b summoned at st0.
func newTestMachine(t *testing.T, depts ...string) *machine {
	t.Helper()
	if len(depts) == 0 {
		depts = []string{"a", "b"}
	}
	in := WhistleInput{ID: "K", Title: "t", Class: whistle.ClassKey, Filer: filer, OrgUnitID: "c", OrgPath: "/x/d/s/c/", CreatedAt: st0, Chain: chain}
	for _, d := range depts {
		in.Departments = append(in.Departments, DepartmentRef{ID: d, Name: d})
	}
	m, err := newMachine(in)
	require.NoError(t, err)
	su := SummonInput{Actor: filer, Departments: in.Departments}
	require.NoError(t, m.checkSummon(su))
	m.applySummon(st0, filer, su, dl)
	m.takeOutbox()
	return m
}

func code(err error) string { return whistle.ErrorCode(err) }

// step runs check and, when it passes, apply; it asserts that a check
// never changes the case.
func step(t *testing.T, m *machine, check func() error, apply func()) error {
	t.Helper()
	before := m.copyCase()
	err := check()
	require.Equal(t, before, m.copyCase(), "a check changed the case")
	if err == nil {
		apply()
		m.advance(m.c.UpdatedAt)
	}
	return err
}

func report(t *testing.T, m *machine, who, task string, at time.Time) error {
	in := ReportInput{Actor: clerkOf(who), TaskID: task}
	return step(t, m, func() error { return m.checkReport(in) }, func() { m.applyReport(at, in) })
}

func feedback(t *testing.T, m *machine, who, task string, at time.Time) error {
	in := FeedbackInput{Actor: clerkOf(who), TaskID: task, Result: "done"}
	return step(t, m, func() error { return m.checkFeedback(in) }, func() { m.applyFeedback(at, in) })
}

func TestState_DepartmentActions(t *testing.T) {
	at := st0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		prep func(*testing.T, *machine)
		act  func(*testing.T, *machine) error
		code string
		want func(*testing.T, *machine)
	}{
		{name: "report", act: func(t *testing.T, m *machine) error { return report(t, m, "a", "K-T1", at) },
			want: func(t *testing.T, m *machine) {
				require.Equal(t, whistle.TaskReported, m.c.Tasks[0].Status)
				require.Equal(t, at, *m.c.Tasks[0].ReportedAt)
			}},
		{name: "ErrReportTwice", prep: func(t *testing.T, m *machine) { require.NoError(t, report(t, m, "a", "K-T1", at)) },
			act: func(t *testing.T, m *machine) error { return report(t, m, "a", "K-T1", at) }, code: whistle.EConflict},
		{name: "ErrReportOthersTask", act: func(t *testing.T, m *machine) error { return report(t, m, "b", "K-T1", at) }, code: whistle.EForbidden},
		{name: "ErrReportNoDepartment", act: func(t *testing.T, m *machine) error { return report(t, m, "", "K-T1", at) }, code: whistle.EForbidden},
		{name: "ErrReportUnknownTask", act: func(t *testing.T, m *machine) error { return report(t, m, "a", "K-T9", at) }, code: whistle.ENotFound},
		{name: "ErrFeedbackBeforeReport", act: func(t *testing.T, m *machine) error { return feedback(t, m, "a", "K-T1", at) }, code: whistle.EConflict},
		{name: "feedback resolves breaches", prep: func(t *testing.T, m *machine) {
			require.NoError(t, report(t, m, "a", "K-T1", at))
			m.onClock(dl.Handle)
		}, act: func(t *testing.T, m *machine) error { return feedback(t, m, "a", "K-T1", dl.Handle.Add(time.Hour)) },
			want: func(t *testing.T, m *machine) {
				require.Equal(t, whistle.TaskDone, m.c.Tasks[0].Status)
				for _, b := range m.c.Breaches {
					if b.TaskID == "K-T1" {
						require.True(t, b.Resolved, b.Kind)
					}
				}
			}},
		{name: "ErrReturnNoReason", act: func(t *testing.T, m *machine) error {
			in := ReturnInput{Actor: clerkOf("a"), TaskID: "K-T1", Reason: " "}
			return step(t, m, func() error { return m.checkReturn(in) }, func() { m.applyReturn(at, in) })
		}, code: whistle.EInvalid},
		{name: "return", act: func(t *testing.T, m *machine) error {
			in := ReturnInput{Actor: clerkOf("a"), TaskID: "K-T1", Reason: "not ours"}
			return step(t, m, func() error { return m.checkReturn(in) }, func() { m.applyReturn(at, in) })
		}, want: func(t *testing.T, m *machine) {
			require.Equal(t, whistle.TaskReturned, m.c.Tasks[0].Status)
			require.Len(t, m.takeOutbox(), 1, "the holder is told to re-route")
		}},
		{name: "ErrExtensionBothForms", act: func(t *testing.T, m *machine) error {
			u := dl.Handle.Add(time.Hour)
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &u, Extra: "1d", Reason: "r"})
		}, code: whistle.EInvalid},
		{name: "ErrExtensionZeroSpan", act: func(t *testing.T, m *machine) error {
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Extra: "0h", Reason: "r"})
		}, code: whistle.EInvalid},
		{name: "ErrExtensionUntilBeyondCap", act: func(t *testing.T, m *machine) error {
			u := dl.Handle.Add((worktime.MaxSpanDays*24 + 1) * time.Hour)
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &u, Reason: "r"})
		}, code: whistle.EInvalid},
		{name: "ErrExtensionUntilYear9999", act: func(t *testing.T, m *machine) error {
			u := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &u, Reason: "r"})
		}, code: whistle.EInvalid},
		{name: "ErrExtensionExtraBeyondCap", act: func(t *testing.T, m *machine) error {
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Extra: "366d", Reason: "r"})
		}, code: whistle.EInvalid},
		{name: "extension until at the cap", act: func(t *testing.T, m *machine) error {
			u := dl.Handle.Add(worktime.MaxSpanDays * 24 * time.Hour)
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &u, Reason: "r"})
		}},
		{name: "extension extra at the cap", act: func(t *testing.T, m *machine) error {
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Extra: "365d", Reason: "r"})
		}},
		{name: "ErrExtensionOnDoneTask", prep: func(t *testing.T, m *machine) {
			require.NoError(t, report(t, m, "a", "K-T1", at))
			require.NoError(t, feedback(t, m, "a", "K-T1", at))
		}, act: func(t *testing.T, m *machine) error {
			return m.checkRequestExtension(ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Extra: "1d", Reason: "r"})
		}, code: whistle.EConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestMachine(t)
			if tc.prep != nil {
				tc.prep(t, m)
			}
			m.takeOutbox()
			err := tc.act(t, m)
			require.Equal(t, tc.code, code(err), "%v", err)
			if tc.want != nil {
				tc.want(t, m)
			}
			requireSeqs(t, m)
		})
	}
}

func requireSeqs(t *testing.T, m *machine) {
	t.Helper()
	for i, e := range m.c.Timeline {
		require.Equal(t, int64(i+1), e.Seq)
	}
	require.Equal(t, int64(len(m.c.Timeline)), m.c.Seq)
}

func TestState_Progress(t *testing.T) {
	at := st0.Add(time.Hour)
	t.Run("verifying only when every department is done", func(t *testing.T) {
		m := newTestMachine(t)
		require.NoError(t, report(t, m, "a", "K-T1", at))
		require.NoError(t, feedback(t, m, "a", "K-T1", at))
		require.Equal(t, whistle.CaseOpen, m.c.Status)
		require.NoError(t, report(t, m, "b", "K-T2", at))
		require.NoError(t, feedback(t, m, "b", "K-T2", at))
		require.Equal(t, whistle.CaseVerifying, m.c.Status)
		require.Equal(t, whistle.EventAwaitingVerification, m.c.Timeline[len(m.c.Timeline)-1].Type)
	})
	t.Run("a return waits for its re-route", func(t *testing.T) {
		m := newTestMachine(t)
		ret := ReturnInput{Actor: clerkOf("b"), TaskID: "K-T2", Reason: "r"}
		require.NoError(t, step(t, m, func() error { return m.checkReturn(ret) }, func() { m.applyReturn(at, ret) }))
		require.NoError(t, report(t, m, "a", "K-T1", at))
		require.NoError(t, feedback(t, m, "a", "K-T1", at))
		require.Equal(t, whistle.CaseOpen, m.c.Status)
		su := SummonInput{Actor: filer, Departments: []DepartmentRef{{ID: "c"}}, RerouteTaskID: "K-T2"}
		require.NoError(t, step(t, m, func() error { return m.checkSummon(su) }, func() { m.applySummon(at, filer, su, dl) }))
		require.True(t, m.c.Tasks[1].Rerouted)
		require.Equal(t, code(m.checkSummon(su)), whistle.EConflict, "a return is re-routed once")
		require.NoError(t, report(t, m, "c", "K-T3", at))
		require.NoError(t, feedback(t, m, "c", "K-T3", at))
		require.Equal(t, whistle.CaseVerifying, m.c.Status)
	})
	t.Run("verify failed reopens with fresh clocks; every third escalates", func(t *testing.T) {
		m := newTestMachine(t, "a")
		fresh := st0.Add(500 * time.Hour)
		for i := 1; i <= 3; i++ {
			require.NoError(t, report(t, m, "a", "K-T1", at))
			require.NoError(t, feedback(t, m, "a", "K-T1", at))
			require.Equal(t, []whistle.Level{whistle.LevelCommunity}, m.reopenLevels(nil))
			in := VerifyInput{Actor: filer, Passed: false}
			require.NoError(t, step(t, m, func() error { return m.checkVerify(in) }, func() {
				m.applyVerifyFailed(at, in, map[whistle.Level]whistle.Deadlines{whistle.LevelCommunity: {Handle: fresh}})
			}))
			require.Equal(t, whistle.TaskReported, m.c.Tasks[0].Status)
			require.Equal(t, fresh, m.c.Tasks[0].HandleDeadline)
			require.Equal(t, i, m.c.Tasks[0].Reopened)
			require.Equal(t, i/3, len(m.c.Escalations))
			// report is refused on a reopened (reported) task
			require.Equal(t, whistle.EConflict, code(m.checkReport(ReportInput{Actor: clerkOf("a"), TaskID: "K-T1"})))
			m.c.Tasks[0].Status = whistle.TaskSummoned // let the loop report again
		}
	})
	t.Run("evaluations close; defaults fill the rest", func(t *testing.T) {
		m := newTestMachine(t)
		for _, d := range []struct{ dept, task string }{{"a", "K-T1"}, {"b", "K-T2"}} {
			require.NoError(t, report(t, m, d.dept, d.task, at))
			require.NoError(t, feedback(t, m, d.dept, d.task, at))
		}
		due := at.Add(72 * time.Hour)
		m.applyVerifyPassed(at, VerifyInput{Actor: filer, Passed: true}, EvaluationWindow{Due: due, DefaultSatisfaction: whistle.BasicallySatisfied})
		next, ok := m.nextDeadline()
		require.True(t, ok)
		require.Equal(t, due, next)
		ev := EvaluateInput{Actor: filer, DepartmentID: "a", Timeliness: 5, Quality: 5, Attitude: 5, Satisfaction: whistle.Satisfied}
		require.NoError(t, step(t, m, func() error { return m.checkEvaluate(ev) }, func() { m.applyEvaluate(at, ev) }))
		require.Equal(t, whistle.EConflict, code(m.checkEvaluate(ev)), "evaluated once")
		require.False(t, m.onClock(due.Add(-time.Second)))
		require.True(t, m.onClock(due))
		require.Equal(t, whistle.CaseClosed, m.c.Status)
		require.Len(t, m.c.Evaluations, 2)
		require.True(t, m.c.Evaluations[1].Default)
		require.Equal(t, whistle.BasicallySatisfied, m.c.Evaluations[1].Satisfaction)
		requireSeqs(t, m)
	})
}

func TestState_Clocks(t *testing.T) {
	t.Run("next deadline is the earliest armed clock", func(t *testing.T) {
		m := newTestMachine(t)
		next, ok := m.nextDeadline()
		require.True(t, ok)
		require.Equal(t, dl.Report, next)
		m.onClock(dl.Report)
		next, _ = m.nextDeadline()
		require.Equal(t, dl.Handle, next, "report clocks fire once")
		require.Len(t, m.c.Breaches, 2)
		out := m.takeOutbox()
		require.Len(t, out, 2)
		require.Equal(t, "s", out[0].OrgUnitID, "the level above is alerted")
	})
	t.Run("a joint handle breach escalates one level, not two", func(t *testing.T) {
		m := newTestMachine(t)
		require.True(t, m.onClock(dl.Handle))
		require.Len(t, m.c.Escalations, 1)
		require.Equal(t, whistle.LevelStreet, m.c.Level)
		require.True(t, m.c.Tasks[0].Overdue && m.c.Tasks[1].Overdue && m.c.Overdue)
		_, ok := m.nextDeadline()
		require.False(t, ok, "every clock has fired")
		require.False(t, m.onClock(dl.Handle.Add(time.Hour)))
	})
	t.Run("nothing above the city", func(t *testing.T) {
		m := newTestMachine(t)
		m.c.Level, m.c.HolderOrgUnitID, m.c.HolderOrgPath = whistle.LevelCity, "x", "/x/"
		require.Equal(t, whistle.EConflict, code(m.checkEscalate(EscalateInput{Actor: filer, Reason: "r"})))
		require.True(t, m.onClock(dl.Handle))
		require.Empty(t, m.c.Escalations)
		require.Equal(t, whistle.LevelCity, m.c.Level)
	})
	t.Run("granted extension re-arms the handling clock", func(t *testing.T) {
		m := newTestMachine(t, "a")
		m.onClock(dl.Handle)
		require.True(t, m.c.Tasks[0].HandleBreached)
		until := dl.Handle.Add(48 * time.Hour)
		req := ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &until, Reason: "r"}
		require.NoError(t, step(t, m, func() error { return m.checkRequestExtension(req) }, func() { m.applyRequestExtension(dl.Handle, req, until) }))
		ans := AnswerExtensionInput{Actor: filer, TaskID: "K-T1", Grant: true}
		require.NoError(t, step(t, m, func() error { return m.checkAnswerExtension(ans) }, func() { m.applyAnswerExtension(dl.Handle, ans) }))
		next, ok := m.nextDeadline()
		require.True(t, ok)
		require.Equal(t, until, next)
	})
}

// TestState_HolderMoved: an action the API authorized while another level
// held the case is refused as a conflict by the check its validator and
// handler share; two escalations sent at once move the case one level.
func TestState_HolderMoved(t *testing.T) {
	at := st0.Add(time.Hour)
	const stale, holds = "c", "s" // authorized at the community; the street holds it now
	escalated := func(t *testing.T, m *machine) {
		in := EscalateInput{Actor: filer, Reason: "r", HolderOrgUnitID: "c"}
		require.NoError(t, step(t, m, func() error { return m.checkEscalate(in) }, func() { m.applyEscalate(at, in) }))
	}
	done := func(t *testing.T, m *machine) {
		for _, d := range []struct{ dept, task string }{{"a", "K-T1"}, {"b", "K-T2"}} {
			require.NoError(t, report(t, m, d.dept, d.task, at))
			require.NoError(t, feedback(t, m, d.dept, d.task, at))
		}
	}
	for _, tc := range []struct {
		name  string
		prep  func(*testing.T, *machine)
		check func(m *machine, holder string) error
	}{
		{name: "escalate", prep: escalated, check: func(m *machine, h string) error {
			return m.checkEscalate(EscalateInput{Actor: filer, Reason: "r", HolderOrgUnitID: h})
		}},
		{name: "summon", prep: escalated, check: func(m *machine, h string) error {
			return m.checkSummon(SummonInput{Actor: filer, Departments: []DepartmentRef{{ID: "z"}}, HolderOrgUnitID: h})
		}},
		{name: "answer extension", prep: func(t *testing.T, m *machine) {
			until := dl.Handle.Add(24 * time.Hour)
			req := ExtensionInput{Actor: clerkOf("a"), TaskID: "K-T1", Until: &until, Reason: "r"}
			require.NoError(t, step(t, m, func() error { return m.checkRequestExtension(req) }, func() { m.applyRequestExtension(at, req, until) }))
			escalated(t, m)
		}, check: func(m *machine, h string) error {
			return m.checkAnswerExtension(AnswerExtensionInput{Actor: filer, TaskID: "K-T1", Grant: true, HolderOrgUnitID: h})
		}},
		{name: "verify", prep: func(t *testing.T, m *machine) {
			escalated(t, m)
			done(t, m)
		}, check: func(m *machine, h string) error {
			return m.checkVerify(VerifyInput{Actor: filer, Passed: true, HolderOrgUnitID: h})
		}},
		{name: "evaluate", prep: func(t *testing.T, m *machine) {
			escalated(t, m)
			done(t, m)
			m.applyVerifyPassed(at, VerifyInput{Actor: filer, Passed: true}, EvaluationWindow{Due: at.Add(72 * time.Hour)})
		}, check: func(m *machine, h string) error {
			return m.checkEvaluate(EvaluateInput{Actor: filer, DepartmentID: "a", Timeliness: 5, Quality: 5, Attitude: 5,
				Satisfaction: whistle.Satisfied, HolderOrgUnitID: h})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestMachine(t)
			tc.prep(t, m)
			require.Equal(t, holds, m.c.HolderOrgUnitID)
			before := m.copyCase()
			err := tc.check(m, stale)
			require.Equal(t, whistle.EConflict, code(err), "%v", err)
			var we *whistle.Error
			require.ErrorAs(t, err, &we)
			require.Contains(t, we.MessageEN, "reload")
			require.Contains(t, we.Message, "刷新")
			require.Equal(t, before, m.copyCase(), "a refused check changed the case")
			require.NoError(t, tc.check(m, holds), "authorized at the current holder")
			require.NoError(t, tc.check(m, ""), "recorded before the holder was sent: no check")
		})
	}
	t.Run("two escalations at once move one level", func(t *testing.T) {
		m := newTestMachine(t)
		in := EscalateInput{Actor: filer, Reason: "r", HolderOrgUnitID: "c"}
		// Both validators ran before either handler: both passed.
		require.NoError(t, m.checkEscalate(in))
		require.NoError(t, m.checkEscalate(in))
		// The handlers re-check in turn.
		require.NoError(t, step(t, m, func() error { return m.checkEscalate(in) }, func() { m.applyEscalate(at, in) }))
		require.Equal(t, whistle.EConflict, code(step(t, m, func() error { return m.checkEscalate(in) }, func() { m.applyEscalate(at, in) })))
		require.Equal(t, whistle.LevelStreet, m.c.Level)
		require.Len(t, m.c.Escalations, 1)
	})
}

func TestState_Input(t *testing.T) {
	base := WhistleInput{ID: "K", Class: whistle.ClassKey, Chain: chain, Departments: []DepartmentRef{{ID: "a"}}}
	for _, tc := range []struct {
		name string
		mod  func(*WhistleInput)
	}{
		{"ErrNoID", func(in *WhistleInput) { in.ID = "" }},
		{"ErrBadClass", func(in *WhistleInput) { in.Class = "urgent" }},
		{"ErrNoChain", func(in *WhistleInput) { in.Chain = nil }},
		{"ErrBadLevel", func(in *WhistleInput) { in.Chain = []OrgRef{{ID: "q", Level: "province"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.mod(&in)
			_, err := newMachine(in)
			require.Equal(t, whistle.EInvalid, code(err))
		})
	}
}

func TestAsError(t *testing.T) {
	we := whistle.Errorf(whistle.EConflict, "中文", "english")
	got := AsError(toApplicationError(we))
	require.Equal(t, we, got)
	other := toApplicationError(errTest("plain"))
	require.Equal(t, other, AsError(other), "errors without a code pass through")
	require.Nil(t, AsError(nil))
}

type errTest string

func (e errTest) Error() string { return string(e) }

// TestCheckFiling: the API asks the workflow's own check before it starts
// a case, and gets the refusals the start would give.
func TestCheckFiling(t *testing.T) {
	good := WhistleInput{ID: "K", Title: "t", Class: whistle.ClassKey, Filer: filer, OrgUnitID: "c", OrgPath: "/x/d/s/c/", CreatedAt: st0, Chain: chain,
		Departments: []DepartmentRef{{ID: "a"}, {ID: "b"}}}
	tests := []struct {
		name     string
		mut      func(*WhistleInput)
		mentions string
	}{
		{"Good", func(*WhistleInput) {}, ""},
		{"NoDepartmentsFilesPending", func(in *WhistleInput) { in.Departments = nil }, ""},
		{"DepartmentTwice", func(in *WhistleInput) { in.Departments = append(in.Departments, DepartmentRef{ID: "a"}) }, `department "a" is listed twice`},
		{"UnnamedDepartment", func(in *WhistleInput) { in.Departments[1].ID = "" }, "department id is required"},
		{"BadClass", func(in *WhistleInput) { in.Class = "urgent" }, "unknown class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.Departments = append([]DepartmentRef(nil), good.Departments...)
			tt.mut(&in)
			err := CheckFiling(in)
			if tt.mentions == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, whistle.EInvalid, code(err))
			require.Contains(t, whistle.ErrorMessage(err, "en"), tt.mentions)
		})
	}
}
