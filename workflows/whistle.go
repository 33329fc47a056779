package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/whistle"
)

// Activity options. Reads of policy and calendar and the projection write
// are local activities: they are short, and running them inside the
// workflow task means an update returns only once the read model shows it
// (and a freshly started case's first task already holds its summoned
// departments). Notifications go out as ordinary activities, retried for
// up to an hour, so a slow webhook never holds up a case.
var (
	localOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
		},
	}
	notifyOptions = workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
		},
	}
	// reprojectEvery is how long the workflow waits before retrying a
	// projection that failed (the database was down): the case goes on, and
	// the read model catches up with every entry once the write succeeds.
	reprojectEvery = time.Minute
)

// Whistle is the workflow of one case, registered as "Whistle" with the
// workflow id WorkflowID(case id). It files the case, summons in.Departments
// with both clocks from the SLA policy in force, then runs the closed loop of
// DESIGN.md §2 until the case is closed and returns the closed case:
//
//   - human actions arrive as the Update* updates, each validated before
//     anything is written (a refusal is a coded whistle.Error, see AsError)
//     and returning the new case once the read model shows it;
//   - the clocks (report and handling deadlines, the evaluation window)
//     fire from one timer loop: report breaches alert the level above,
//     handling breaches mark the task and case overdue and escalate one
//     level up in.Chain;
//   - QueryState answers the full case with its timeline;
//   - the typed search attributes of SearchAttributes follow the case.
//
// Long cases continue as new when the server suggests it, carrying the
// state in WhistleInput.State.
//
// Versioning: a change to this workflow that alters the commands a running
// case would issue on replay goes behind workflow.GetVersion(ctx,
// "<change-id>", workflow.DefaultVersion, 1) so cases started before it keep
// their old path; the replay tests over testdata/*.json fail CI when a
// change breaks a recorded history without such a patch. Record new
// histories (see integration/) when the workflow changes shape.
func Whistle(ctx workflow.Context, in WhistleInput) (whistle.Case, error) {
	r, err := newRun(ctx, in)
	if err != nil {
		return whistle.Case{}, toApplicationError(err)
	}
	// Runs recorded before versionLean replay without its marker and keep
	// their path: a timer per change, an activity per notification.
	r.lean = workflow.GetVersion(ctx, versionLean, workflow.DefaultVersion, 1) >= 1
	// Hold the mutex before any handler exists: an update that came with
	// the first workflow task runs as soon as its handler is registered,
	// and must wait until the case is filed and summoned (start or resume
	// releases it).
	if err := r.mu.Lock(ctx); err != nil {
		return whistle.Case{}, err
	}
	if err := r.registerHandlers(ctx); err != nil {
		return whistle.Case{}, err
	}
	if err := r.registerFiled(ctx); err != nil {
		return whistle.Case{}, err
	}
	if in.State == nil && len(in.Departments) == 0 {
		// Filed pending; histories recorded before the acceptance queue
		// always name departments and take the path below unchanged.
		if err := r.startPending(ctx); err != nil {
			return whistle.Case{}, err
		}
	} else if in.State == nil {
		if err := r.start(ctx); err != nil {
			return whistle.Case{}, err
		}
	} else if err := r.resume(ctx); err != nil {
		return whistle.Case{}, err
	}
	return r.loop(ctx)
}

// run is one workflow run's memory.
type run struct {
	in  WhistleInput
	m   *machine
	mu  workflow.Mutex
	log log.Logger
	// version counts changes, so the timer loop wakes on any of them.
	version int
	// projectedSeq is the last timeline Seq the read model holds.
	projectedSeq int64
	// notifying counts notifications still being sent.
	notifying int
	root      workflow.Context
	sa        *searchAttrs // last upserted
	// ready is false until the departments named at filing are summoned.
	// An update can arrive with the very first workflow task, before the
	// summons' deadlines are known; until then validators accept and leave
	// the check to the handler, which runs after the summons (it waits on
	// the mutex that start holds).
	ready bool

	// lean is versionLean's path: one timer, notifications through the
	// projection's outbox, search attributes once per workflow task.
	lean bool
	// clock is a lean run's one armed timer; alarms counts its fires.
	clock    armedTimer
	clockGen int
	alarms   int
	// notes are a lean run's notifications that no successful projection
	// has carried to the outbox yet.
	notes []Notification
}

// armedTimer is the pending timer of a lean run and how to cancel it.
type armedTimer struct {
	at     time.Time
	cancel workflow.CancelFunc
}

func newRun(ctx workflow.Context, in WhistleInput) (*run, error) {
	r := &run{in: in, mu: workflow.NewMutex(ctx), root: ctx,
		log: log.With(workflow.GetLogger(ctx), "case_id", in.ID)}
	if in.State != nil {
		if err := checkInput(in); err != nil {
			return nil, err
		}
		chain := in.Chain
		if len(in.HolderChain) > 0 {
			chain = in.HolderChain
		}
		r.m = &machine{c: *in.State, chain: chain, filedAt: in.Chain[0], defaultSat: in.DefaultSatisfaction}
		r.projectedSeq = in.ProjectedSeq
		r.notes = in.PendingNotifications
		return r, nil
	}
	m, err := newMachine(in)
	if err != nil {
		return nil, err
	}
	r.m = m
	return r, nil
}

// start summons the departments named at filing, with the mutex held. The policy read is retried
// until it succeeds: a case once started must not be lost to a database
// outage.
func (r *run) start(ctx workflow.Context) error {
	defer r.mu.Unlock() // locked by Whistle
	in := SummonInput{Actor: r.in.Filer, Departments: r.in.Departments}
	if err := r.m.checkSummon(in); err != nil {
		return toApplicationError(err)
	}
	defer func() { r.ready = true }()
	now := workflow.Now(ctx)
	for {
		dl, err := r.deadlines(ctx, r.m.c.Level, now)
		if err == nil {
			r.m.applySummon(now, r.in.Filer, in, dl)
			break
		}
		r.log.Error("initial summons: deadlines unavailable, retrying", "error", err)
		if err := workflow.Sleep(ctx, reprojectEvery); err != nil {
			return err
		}
	}
	r.changed(ctx)
	return nil
}

// resume starts a continued run, with the mutex held: it upserts every search attribute and
// projects whatever the last run could not.
func (r *run) resume(ctx workflow.Context) error {
	defer r.mu.Unlock() // locked by Whistle
	r.ready = true
	r.publish(ctx)
	return nil
}

// registerHandlers installs the query and the updates. Each update's
// validator and handler share the machine's check; the handler runs under
// the run's mutex and re-checks, because another update may have changed
// the case between validation and its turn.
func (r *run) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (whistle.Case, error) {
		return r.m.copyCase(), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryState, err)
	}
	m := r.m
	errs := []error{
		handle(ctx, r, UpdateSummon, m.checkSummon, func(ctx workflow.Context, now time.Time, in SummonInput) error {
			dl, err := r.deadlines(ctx, m.c.Level, now)
			if err != nil {
				return err
			}
			m.applySummon(now, in.Actor, in, dl)
			return nil
		}),
		handle(ctx, r, UpdateReport, m.checkReport, func(_ workflow.Context, now time.Time, in ReportInput) error {
			m.applyReport(now, in)
			return nil
		}),
		handle(ctx, r, UpdateFeedback, m.checkFeedback, func(_ workflow.Context, now time.Time, in FeedbackInput) error {
			m.applyFeedback(now, in)
			return nil
		}),
		handle(ctx, r, UpdateReturn, m.checkReturn, func(ctx workflow.Context, now time.Time, in ReturnInput) error {
			if workflow.GetVersion(ctx, versionReturnReview, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				m.applyReturn(now, in)
				return nil
			}
			m.applyRequestReturn(now, in)
			return nil
		}),
		handle(ctx, r, UpdateRequestExtension, m.checkRequestExtension, func(ctx workflow.Context, now time.Time, in ExtensionInput) error {
			var until time.Time
			if in.Until != nil {
				until = *in.Until
			} else {
				t, _ := m.task(in.TaskID)
				var err error
				if until, err = r.addSpan(ctx, t.HandleDeadline, in.Extra); err != nil {
					return err
				}
				if err := m.checkExtensionLimits(t, &until); err != nil {
					return err
				}
			}
			m.applyRequestExtension(now, in, until)
			return nil
		}),
		handle(ctx, r, UpdateAnswerExtension, m.checkAnswerExtension, func(ctx workflow.Context, now time.Time, in AnswerExtensionInput) error {
			t, _ := m.task(in.TaskID)
			var warn []time.Time
			if in.Grant && len(t.WarnAt.Handle) > 0 {
				// The extended clock warns afresh, from now to its new end
				// (tasks summoned before warnings have none).
				var err error
				if warn, err = r.warnings(ctx, t.SummonedLevel, now, t.Extension.Until); err != nil {
					return err
				}
			}
			m.applyAnswerExtension(now, in)
			if warn != nil {
				t.WarnAt.Handle, t.WarnedHandle = warn, passed(warn, now)
			}
			return nil
		}),
		handle(ctx, r, UpdateVerify, m.checkVerify, func(ctx workflow.Context, now time.Time, in VerifyInput) error {
			if in.Passed {
				w, err := r.evaluationWindow(ctx, now)
				if err != nil {
					return err
				}
				m.applyVerifyPassed(now, in, w)
				return nil
			}
			fresh := map[whistle.Level]whistle.Deadlines{}
			for _, lvl := range m.reopenLevels(in.DepartmentIDs) {
				dl, err := r.deadlines(ctx, lvl, now)
				if err != nil {
					return err
				}
				fresh[lvl] = dl
			}
			m.applyVerifyFailed(now, in, fresh)
			return nil
		}),
		handle(ctx, r, UpdateEvaluate, m.checkEvaluate, func(_ workflow.Context, now time.Time, in EvaluateInput) error {
			m.applyEvaluate(now, in)
			return nil
		}),
		handle(ctx, r, UpdateEscalate, m.checkEscalate, func(ctx workflow.Context, now time.Time, in EscalateInput) error {
			if workflow.GetVersion(ctx, versionEscalationAnswer, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				m.applyEscalate(now, in)
				return nil
			}
			if in.Review {
				m.requestEscalation(now, in, nil)
				return nil
			}
			to, _ := m.above()
			dl, err := r.deadlines(ctx, to.Level, now)
			if err != nil {
				return err
			}
			m.requestEscalation(now, in, &dl.Report)
			return nil
		}),
	}
	errs = append(errs, r.intakeHandlers(ctx)...)
	errs = append(errs, r.twowayHandlers(ctx)...)
	errs = append(errs, r.followupHandlers(ctx)...)
	errs = append(errs, r.callbackHandlers(ctx)...)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// handle registers one update: check as the validator; under the mutex,
// check again, act (activities first, then the machine's apply), then
// publish the change before returning the new case.
func handle[I any](ctx workflow.Context, r *run, name string, check func(I) error,
	act func(workflow.Context, time.Time, I) error) error {
	handler := func(ctx workflow.Context, in I) (whistle.Case, error) {
		if err := r.mu.Lock(ctx); err != nil {
			return whistle.Case{}, err
		}
		defer r.mu.Unlock()
		r.m.now = workflow.Now(ctx)
		if err := check(in); err != nil {
			return whistle.Case{}, toApplicationError(err)
		}
		if err := act(ctx, workflow.Now(ctx), in); err != nil {
			r.log.Error("update failed", "update", name, "error", err)
			return whistle.Case{}, toApplicationError(err)
		}
		r.changed(ctx)
		return r.m.copyCase(), nil
	}
	validator := func(ctx workflow.Context, in I) error {
		if !r.ready {
			return nil // the handler checks once the case is filed
		}
		r.m.now = workflow.Now(ctx)
		return toApplicationError(check(in))
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, name, handler,
		workflow.UpdateHandlerOptions{Validator: validator}); err != nil {
		return fmt.Errorf("register update %s: %w", name, err)
	}
	return nil
}

// loop is the one timer loop: wait until the earliest armed deadline or a
// change, fire what is due, continue as new when suggested, and finish once
// the case is closed.
func (r *run) loop(ctx workflow.Context) (whistle.Case, error) {
	for r.m.c.Status != whistle.CaseClosed {
		var err error
		if r.lean {
			err = r.awaitLean(ctx)
		} else {
			err = r.await(ctx)
		}
		if err != nil {
			return r.m.copyCase(), err
		}
		if err := r.tick(ctx); err != nil {
			return r.m.copyCase(), err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && r.m.c.Status != whistle.CaseClosed {
			if err := r.drain(ctx); err != nil {
				return r.m.copyCase(), err
			}
			if r.m.c.Status != whistle.CaseClosed {
				return whistle.Case{}, r.continueAsNew(ctx)
			}
		}
	}
	if err := r.drain(ctx); err != nil {
		return r.m.copyCase(), err
	}
	if r.lean {
		r.upsertSearchAttributes(ctx) // the loop upserts before it waits, not after the last change
	}
	// The read model must show the closed case before the workflow ends.
	for r.projectedSeq < r.m.c.Seq || len(r.notes) > 0 {
		if r.project(ctx); r.projectedSeq < r.m.c.Seq || len(r.notes) > 0 {
			if err := workflow.Sleep(ctx, reprojectEvery); err != nil {
				return r.m.copyCase(), err
			}
		}
	}
	r.log.Info("case closed", "seq", r.m.c.Seq)
	return r.m.copyCase(), nil
}

// await waits, on the path before versionLean, until the earliest
// deadline or a change. Each call arms a timer of its own, and a timer a
// change overtook is never cancelled: it fires later, for nothing.
func (r *run) await(ctx workflow.Context) error {
	seen := r.version
	wake := func() bool {
		return r.version != seen || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}
	wait := time.Duration(-1) // forever
	if next, ok := r.m.nextDeadline(); ok {
		wait = max(next.Sub(workflow.Now(ctx)), 0)
	}
	if r.projectedSeq < r.m.c.Seq && (wait < 0 || wait > reprojectEvery) {
		wait = reprojectEvery
	}
	var err error
	switch {
	case wait < 0:
		err = workflow.Await(ctx, wake)
	case wait > 0:
		_, err = workflow.AwaitWithTimeout(ctx, wait, wake)
	}
	return err
}

// awaitLean is the wait of versionLean: the search attributes of this
// workflow task's changes are upserted once, the one timer is armed for
// the next instant anything is due (left alone when that instant did not
// change), and the loop sleeps until a change or the timer.
func (r *run) awaitLean(ctx workflow.Context) error {
	r.upsertSearchAttributes(ctx)
	now := workflow.Now(ctx)
	next, ok := r.m.nextDeadline()
	if r.projectedSeq < r.m.c.Seq || len(r.notes) > 0 {
		if retry := now.Add(reprojectEvery); !ok || retry.Before(next) {
			next, ok = retry, true
		}
	}
	if ok && !next.After(now) {
		return nil // due already: tick now
	}
	r.arm(ctx, next)
	seen, alarm := r.version, r.alarms
	return workflow.Await(ctx, func() bool {
		return r.version != seen || r.alarms != alarm || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	})
}

// arm makes the run's one timer fire at at (zero: none). A timer already
// armed for that instant is kept; one armed for another instant is
// cancelled (in the workflow task that armed it, it never reaches the
// history).
func (r *run) arm(ctx workflow.Context, at time.Time) {
	if r.clock.cancel != nil {
		if r.clock.at.Equal(at) {
			return
		}
		r.clock.cancel()
		r.clock = armedTimer{}
	}
	if at.IsZero() {
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	fired := workflow.NewTimer(tctx, at.Sub(workflow.Now(ctx)))
	r.clockGen++
	gen := r.clockGen
	r.clock = armedTimer{at: at, cancel: cancel}
	workflow.Go(ctx, func(gctx workflow.Context) {
		err := fired.Get(gctx, nil)
		if gen != r.clockGen {
			return // cancelled for another instant
		}
		r.clock = armedTimer{}
		if err == nil {
			r.alarms++
		}
	})
}

// tick fires the clocks due now and retries a failed projection.
func (r *run) tick(ctx workflow.Context) error {
	if err := r.mu.Lock(ctx); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if r.m.onClock(workflow.Now(ctx)) {
		r.changed(ctx)
	} else if r.projectedSeq < r.m.c.Seq || len(r.notes) > 0 {
		r.project(ctx)
	}
	return nil
}

// drain waits for running update handlers and notifications to finish.
func (r *run) drain(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && r.notifying == 0 })
}

func (r *run) continueAsNew(ctx workflow.Context) error {
	next := r.in
	state := r.m.copyCase()
	next.State, next.ProjectedSeq, next.DefaultSatisfaction = &state, r.projectedSeq, r.m.defaultSat
	next.PendingNotifications = r.notes
	if !slices.Equal(r.m.chain, r.in.Chain) {
		next.HolderChain = slices.Clone(r.m.chain)
	}
	r.log.Info("continuing as new", "seq", state.Seq, "timeline", len(state.Timeline))
	return workflow.NewContinueAsNewError(ctx, WorkflowName, next)
}

// changed publishes a change: move the case on if its tasks allow, send
// the queued notifications, project, upsert the search attributes and wake
// the timer loop. A lean run hands the notifications to the projection
// (the outbox) and leaves the search attributes to the loop.
func (r *run) changed(ctx workflow.Context) {
	r.m.advance(workflow.Now(ctx))
	if r.lean {
		r.notes = append(r.notes, r.m.takeOutbox()...)
		r.project(ctx)
	} else {
		for _, n := range r.m.takeOutbox() {
			r.notify(n)
		}
		r.publish(ctx)
	}
	r.version++
}

// publish projects unprojected entries and upserts changed search attributes.
func (r *run) publish(ctx workflow.Context) {
	r.project(ctx)
	r.upsertSearchAttributes(ctx)
}

// project writes the case and its unprojected timeline entries to the read
// model. On failure it logs and leaves projectedSeq, so the next change (or
// the timer loop, within reprojectEvery) writes them again.
func (r *run) project(ctx workflow.Context) {
	if r.projectedSeq >= r.m.c.Seq && len(r.notes) == 0 {
		return
	}
	c := r.m.copyCase()
	i, _ := slices.BinarySearchFunc(c.Timeline, r.projectedSeq+1, func(e whistle.TimelineEntry, seq int64) int {
		return int(e.Seq - seq)
	})
	in := ProjectInput{Case: c, Entries: c.Timeline[i:], Notifications: r.notes}
	in.Case.Timeline = nil
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if err := workflow.ExecuteLocalActivity(lctx, ActivityProject, in).Get(lctx, nil); err != nil {
		r.log.Error("projection failed; will retry", "seq", c.Seq, "error", err)
		return
	}
	r.projectedSeq = c.Seq
	r.notes = nil
}

// notify sends n in the background; the run waits for it before it ends.
func (r *run) notify(n Notification) {
	r.notifying++
	workflow.Go(r.root, func(ctx workflow.Context) {
		defer func() { r.notifying-- }()
		actx := workflow.WithActivityOptions(ctx, notifyOptions)
		if err := workflow.ExecuteActivity(actx, ActivityNotify, n).Get(actx, nil); err != nil {
			r.log.Error("notification not delivered", "seq", n.Seq, "task_id", n.TaskID, "event", n.Event, "error", err)
		}
	})
}

func (r *run) deadlines(ctx workflow.Context, level whistle.Level, from time.Time) (whistle.Deadlines, error) {
	var dl whistle.Deadlines
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, ActivityDeadlines, DeadlinesInput{Class: r.m.c.Class, Level: level, From: from}).Get(lctx, &dl)
	if err != nil {
		return dl, whistle.Errorf(whistle.EInternal, "计算时限失败，请稍后重试", "compute deadlines: %v", err)
	}
	return dl, nil
}

func (r *run) addSpan(ctx workflow.Context, from time.Time, span string) (time.Time, error) {
	var t time.Time
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, ActivityAddSpan, AddSpanInput{From: from, Span: span, WallClock: r.m.c.Class.WallClock()}).Get(lctx, &t)
	if err != nil {
		return t, whistle.Errorf(whistle.EInternal, "计算延期时间失败，请稍后重试", "add span %s: %v", span, err)
	}
	return t, nil
}

func (r *run) evaluationWindow(ctx workflow.Context, from time.Time) (EvaluationWindow, error) {
	var w EvaluationWindow
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, ActivityEvaluationWindow, DeadlinesInput{Class: r.m.c.Class, Level: r.m.c.Level, From: from}).Get(lctx, &w)
	if err != nil {
		return w, whistle.Errorf(whistle.EInternal, "计算评价期限失败，请稍后重试", "evaluation window: %v", err)
	}
	return w, nil
}

// searchAttrs is what the case shows in Temporal's visibility.
type searchAttrs struct {
	class, status, level, orgPath string
	overdue                       bool
	next                          time.Time
	pending                       []string
}

func (r *run) currentSearchAttrs() *searchAttrs {
	c := &r.m.c
	s := &searchAttrs{class: string(c.Class), status: string(c.Status), level: string(c.Level),
		orgPath: c.HolderOrgPath, overdue: c.Overdue, pending: r.m.pendingDepartments()}
	if next, ok := r.m.nextDeadline(); ok {
		s.next = next
	}
	return s
}

func (s *searchAttrs) equal(o *searchAttrs) bool {
	return o != nil && s.class == o.class && s.status == o.status && s.level == o.level &&
		s.orgPath == o.orgPath && s.overdue == o.overdue && s.next.Equal(o.next) && slices.Equal(s.pending, o.pending)
}

// upsertSearchAttributes upserts the typed search attributes when any of
// them changed since the last upsert of this run (a new run upserts all).
func (r *run) upsertSearchAttributes(ctx workflow.Context) {
	s := r.currentSearchAttrs()
	if s.equal(r.sa) {
		return
	}
	u := []temporal.SearchAttributeUpdate{
		AttrClass.ValueSet(s.class), AttrStatus.ValueSet(s.status), AttrLevel.ValueSet(s.level),
		AttrOrgPath.ValueSet(s.orgPath), AttrOverdue.ValueSet(s.overdue),
	}
	if s.next.IsZero() {
		u = append(u, AttrNextDue.ValueUnset())
	} else {
		u = append(u, AttrNextDue.ValueSet(s.next))
	}
	if len(s.pending) == 0 {
		u = append(u, AttrPendingDept.ValueUnset())
	} else {
		u = append(u, AttrPendingDept.ValueSet(s.pending))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, u...); err != nil {
		r.log.Error("upsert search attributes", "error", err)
		return
	}
	r.sa = s
}
