package faults

import (
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/whistle"
)

// TestWorkerKilledMidLifecycle runs the worker as its own process
// (`serve --role worker`) beside `dev --worker=false`, and kill -9s it four
// times during one joint lifecycle: right after the filing's projection is
// written (before the workflow task that wrote it completes), while no
// worker runs at all when a report arrives, in the middle of a feedback,
// and in the middle of the evaluation that closes the case. Each time a new
// worker starts at once. The case must close with every timeline entry
// exactly once: nothing lost, nothing doubled by the replayed workflow
// tasks and retried activities.
func TestWorkerKilledMidLifecycle(t *testing.T) {
	start := time.Now()
	dev := startDev(t, "--worker=false")
	worker := startProc(t, "worker", nil, "serve", "--role", "worker", "--temporal-address", dev.temporal,
		"--database-url", dev.dsn(), "--data", dev.dir, "--log-level", "warn")
	st := openStore(t, dev.dsn())
	api := apiClient(t, st, dev.url)
	s := loadgen.DemoJoint

	// killDuring sends step, kill -9s the worker as soon as the read model
	// moves (or the answer comes), starts a new worker and waits for the
	// answer (the request is retried with its Idempotency-Key if it failed).
	killDuring := func(step loadgen.Step, out any) {
		t.Helper()
		before := timelineRows(t, st)
		p := sendAsync(api, step, out)
		when := whenWritten(t, st, before, p)
		worker.kill()
		worker.start()
		p.wait(t)
		t.Logf("%s: worker killed %s", step.Action, when)
	}

	var kase whistle.Case
	killDuring(s.File("worker-kill"), &kase)
	if kase.ID == "" || len(kase.Tasks) != len(s.Clerks) {
		t.Fatalf("filed case: %+v", kase)
	}

	// No worker at all while the first report arrives: the request waits
	// for one.
	worker.kill()
	p := sendAsync(api, s.Report(kase, 0), nil)
	worker.start()
	p.wait(t)
	send(t, api, s.Report(kase, 1), nil)

	killDuring(s.Feedback(kase, 0), nil)
	send(t, api, s.Feedback(kase, 1), nil)
	send(t, api, s.Verify(kase), nil)
	send(t, api, s.Evaluate(kase, 0), nil)
	var last whistle.Case
	killDuring(s.Evaluate(kase, 1), &last)
	if last.Status != whistle.CaseClosed {
		t.Fatalf("after the last evaluation the case is %s, want closed", last.Status)
	}
	checkClosed(t, api, kase.ID)
	t.Logf("case %s closed through 4 worker kills in %s", kase.ID, time.Since(start).Round(time.Millisecond))
}
