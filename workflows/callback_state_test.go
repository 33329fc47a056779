package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/whistle"
)

// newCallbackMachine files case K from a resident (CallbackRequired, as the
// API sets it), with departments a and b done and the case verified at
// at; the evaluation window closes at due.
func newCallbackMachine(t *testing.T, required bool, at, due time.Time) *machine {
	t.Helper()
	in := WhistleInput{ID: "K", Title: "t", Class: whistle.ClassKey, Source: whistle.SourceResident, Filer: filer,
		OrgUnitID: "c", OrgPath: "/x/d/s/c/", CreatedAt: st0, Chain: chain, CallbackRequired: required,
		Departments: []DepartmentRef{{ID: "a", Name: "a"}, {ID: "b", Name: "b"}}}
	m, err := newMachine(in)
	require.NoError(t, err)
	su := SummonInput{Actor: filer, Departments: in.Departments}
	m.applySummon(st0, filer, su, dl)
	for _, d := range []struct{ dept, task string }{{"a", "K-T1"}, {"b", "K-T2"}} {
		require.NoError(t, report(t, m, d.dept, d.task, at))
		require.NoError(t, feedback(t, m, d.dept, d.task, at))
	}
	v := VerifyInput{Actor: filer, Passed: true}
	require.NoError(t, m.checkVerify(v))
	m.applyVerifyPassed(at, v, EvaluationWindow{Due: due, DefaultSatisfaction: whistle.BasicallySatisfied})
	m.takeOutbox()
	return m
}

func zhMessage(err error) string {
	var we *whistle.Error
	if errors.As(err, &we) {
		return we.Message
	}
	return ""
}

func callback(t *testing.T, m *machine, at time.Time, in CallbackInput) error {
	t.Helper()
	if in.Actor.Username == "" {
		in.Actor = filer
	}
	m.now = at
	return step(t, m, func() error { return m.checkCallback(in) }, func() { m.applyCallback(at, in) })
}

func evaluate(t *testing.T, m *machine, at time.Time, dept string, sat whistle.Satisfaction) error {
	t.Helper()
	in := EvaluateInput{Actor: filer, DepartmentID: dept, Timeliness: 4, Quality: 4, Attitude: 5, Satisfaction: sat}
	m.now = at
	return step(t, m, func() error { return m.checkEvaluate(in) }, func() { m.applyEvaluate(at, in) })
}

func TestState_Callback(t *testing.T) {
	at := st0.Add(time.Hour)
	due := at.Add(72 * time.Hour)

	t.Run("pending once verified; evaluation waits for it and refuses a typed satisfaction", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		require.Equal(t, whistle.CallbackPending, m.c.Callback)
		err := evaluate(t, m, at, "a", "")
		require.Equal(t, whistle.EConflict, code(err))
		require.Contains(t, zhMessage(err), "请先回访居民")
		err = evaluate(t, m, at, "a", whistle.Satisfied)
		require.Equal(t, whistle.EInvalid, code(err))
		require.Contains(t, zhMessage(err), "满意度以回访居民的结果为准")
		require.Empty(t, m.c.Evaluations)
	})

	t.Run("reached: the resident's satisfaction is every evaluation's", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		called := at.Add(2 * time.Hour)
		require.NoError(t, callback(t, m, at.Add(3*time.Hour), CallbackInput{Method: whistle.CallbackPhone, At: &called,
			Reached: true, Satisfaction: whistle.Dissatisfied, Note: "路灯又坏了"}))
		require.Equal(t, whistle.CallbackReached, m.c.Callback)
		require.Len(t, m.c.Callbacks, 1)
		a := m.c.Callbacks[0]
		require.Equal(t, called, a.At, "the time of the call as recorded")
		require.Equal(t, at.Add(3*time.Hour), a.RecordedAt)
		require.Equal(t, filer.Username, a.By)
		last := m.c.Timeline[len(m.c.Timeline)-1]
		require.Equal(t, whistle.EventCallback, last.Type)
		require.Equal(t, "phone reached dissatisfied: 路灯又坏了", last.Detail)
		require.Equal(t, whistle.EConflict, code(callback(t, m, at.Add(4*time.Hour),
			CallbackInput{Method: whistle.CallbackSMS, Reached: true, Satisfaction: whistle.Satisfied})), "a reached call-back is over")

		require.NoError(t, evaluate(t, m, at.Add(5*time.Hour), "a", ""))
		require.NoError(t, evaluate(t, m, at.Add(5*time.Hour), "b", ""))
		require.Equal(t, whistle.CaseClosed, m.c.Status)
		for _, e := range m.c.Evaluations {
			require.Equal(t, whistle.Dissatisfied, e.Satisfaction, e.DepartmentID)
			require.False(t, e.Default)
		}
		requireSeqs(t, m)
	})

	t.Run("not reached: retries up to three attempts, the third settles it", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		for i := 1; i <= whistle.CallbackMaxAttempts; i++ {
			require.Equal(t, whistle.CallbackPending, m.c.Callback, "attempt %d", i)
			require.Equal(t, whistle.EConflict, code(evaluate(t, m, at, "a", "")), "still pending before attempt %d", i)
			require.NoError(t, callback(t, m, at.Add(time.Duration(i)*time.Hour), CallbackInput{Method: whistle.CallbackPhone}))
			require.Equal(t, whistle.EventCallback, m.c.Timeline[len(m.c.Timeline)-1].Type)
		}
		require.Equal(t, whistle.CallbackUnreached, m.c.Callback)
		require.Len(t, m.c.Callbacks, 3)
		require.Equal(t, "phone unreached 3/3", m.c.Timeline[len(m.c.Timeline)-1].Detail)
		require.Equal(t, whistle.EConflict, code(callback(t, m, at.Add(5*time.Hour), CallbackInput{Method: whistle.CallbackPhone})))
		// The departments are still evaluated, without a satisfaction.
		require.NoError(t, evaluate(t, m, at.Add(6*time.Hour), "a", ""))
		require.Equal(t, whistle.Satisfaction(""), m.c.Evaluations[0].Satisfaction)
		require.Equal(t, "4/4/5 unreached", m.c.Timeline[len(m.c.Timeline)-1].Detail)
	})

	t.Run("a retry reaches the resident: the last attempt counts", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		require.NoError(t, callback(t, m, at.Add(time.Hour), CallbackInput{Method: whistle.CallbackPhone}))
		require.NoError(t, callback(t, m, at.Add(2*time.Hour), CallbackInput{Method: whistle.CallbackVisit, Reached: true, Satisfaction: whistle.BasicallySatisfied}))
		require.Equal(t, whistle.CallbackReached, m.c.Callback)
		require.Equal(t, whistle.BasicallySatisfied, m.c.CallbackSatisfaction())
	})

	t.Run("window closes pending: expired without an attempt, unreached with one; defaults as before", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		require.True(t, m.onClock(due))
		require.Equal(t, whistle.CaseClosed, m.c.Status)
		require.Equal(t, whistle.CallbackExpired, m.c.Callback)
		require.Len(t, m.c.Evaluations, 2)
		require.True(t, m.c.Evaluations[0].Default)
		var settled bool
		for _, e := range m.c.Timeline {
			settled = settled || (e.Type == whistle.EventCallbackSettled && e.Detail == whistle.CallbackExpired)
		}
		require.True(t, settled)
		requireSeqs(t, m)

		m = newCallbackMachine(t, true, at, due)
		require.NoError(t, callback(t, m, at.Add(time.Hour), CallbackInput{Method: whistle.CallbackSMS}))
		m.onClock(due)
		require.Equal(t, whistle.CallbackUnreached, m.c.Callback)
	})

	t.Run("an attempt in the verification's own minute", func(t *testing.T) {
		// A form gives the minute: 10:00 for a verification at 10:00:36.
		verified := at.Truncate(time.Minute).Add(36 * time.Second)
		m := newCallbackMachine(t, true, verified, due)
		sameMinute := verified.Truncate(time.Minute)
		require.NoError(t, callback(t, m, verified.Add(time.Second), CallbackInput{Method: whistle.CallbackPhone, At: &sameMinute}))
		earlier := sameMinute.Add(-time.Second)
		m = newCallbackMachine(t, true, verified, due)
		require.Equal(t, whistle.EInvalid, code(callback(t, m, verified.Add(time.Second), CallbackInput{Method: whistle.CallbackPhone, At: &earlier})))
	})

	t.Run("refusals", func(t *testing.T) {
		m := newCallbackMachine(t, true, at, due)
		future := at.Add(time.Hour)
		before := at.Add(-time.Minute)
		for name, in := range map[string]CallbackInput{
			"unknown method":          {Method: "fax"},
			"reached without answer":  {Method: whistle.CallbackPhone, Reached: true},
			"unreached with answer":   {Method: whistle.CallbackPhone, Satisfaction: whistle.Satisfied},
			"in the future":           {Method: whistle.CallbackPhone, At: &future},
			"before the verification": {Method: whistle.CallbackPhone, At: &before},
		} {
			require.Equal(t, whistle.EInvalid, code(callback(t, m, at, in)), name)
		}
		require.Empty(t, m.c.Callbacks)
	})

	t.Run("a case without the flag behaves as before", func(t *testing.T) {
		m := newCallbackMachine(t, false, at, due)
		require.Empty(t, m.c.Callback)
		require.Equal(t, whistle.EConflict, code(callback(t, m, at, CallbackInput{Method: whistle.CallbackPhone})))
		require.Equal(t, whistle.EInvalid, code(evaluate(t, m, at, "a", "")), "satisfaction still required")
		require.NoError(t, evaluate(t, m, at, "a", whistle.Satisfied))
		require.True(t, m.onClock(due))
		require.Empty(t, m.c.Callback)
		for _, e := range m.c.Timeline {
			require.NotEqual(t, whistle.EventCallbackSettled, e.Type)
		}
	})

	t.Run("before verification there is nothing to call back on", func(t *testing.T) {
		m := newTestMachine(t)
		m.c.CallbackRequired = true
		require.Equal(t, whistle.EConflict, code(callback(t, m, st0, CallbackInput{Method: whistle.CallbackPhone})))
	})
}
