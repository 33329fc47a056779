package faults

import (
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/whistle"
)

// TestDevRestartMidCase stops `shaobao dev` (SIGTERM) in the middle of a
// joint lifecycle and starts it again on the same data folder, then kill
// -9s it while a feedback is in flight and starts it again. The routine
// case goes on to closed with every timeline entry once, and an emergency
// case filed before the first stop, on clocks an admin shortened to
// seconds, still breaches and escalates: its timers ran across both
// restarts.
func TestDevRestartMidCase(t *testing.T) {
	start := time.Now()
	dev := startDev(t)
	st := openStore(t, dev.dsn())
	api := apiClient(t, st, dev.url)
	s := loadgen.DemoJoint

	send(t, api, loadgen.Step{Action: "sla", User: "admin", Method: "PUT", Path: "/api/v1/admin/sla-policies/emergency",
		Body: `{"report_within":"6s","handle_within":"10s"}`}, nil)
	var urgent whistle.Case
	send(t, api, s.WithClass(whistle.ClassEmergency).File("restart-emergency"), &urgent)

	var kase whistle.Case
	send(t, api, s.File("restart-routine"), &kase)
	send(t, api, s.Report(kase, 0), nil)
	send(t, api, s.Report(kase, 1), nil)

	dev.stop()
	t.Logf("dev stopped (SIGTERM) after the reports, %s in", time.Since(start).Round(time.Millisecond))
	dev.start()
	waitReady(t, dev.proc, dev.url)

	send(t, api, s.Feedback(kase, 0), nil)
	// kill -9 while the second feedback is in flight; the client retries
	// with the same Idempotency-Key once the server is back.
	before := timelineRows(t, st)
	p := sendAsync(api, s.Feedback(kase, 1), nil)
	when := whenWritten(t, st, before, p)
	dev.kill()
	t.Logf("dev killed (-9) %s", when)
	dev.start()
	waitReady(t, dev.proc, dev.url)
	p.wait(t)

	send(t, api, s.Verify(kase), nil)
	send(t, api, s.Evaluate(kase, 0), nil)
	send(t, api, s.Evaluate(kase, 1), nil)
	checkClosed(t, api, kase.ID)

	// The emergency clocks ran across the restarts: both departments
	// missed both deadlines and the case went up to the street.
	eventually(t, time.Minute, "the emergency case breaches and escalates", func() (bool, string) {
		c := getCase(t, api, urgent.ID)
		kinds := map[string]int{}
		for _, b := range c.Breaches {
			kinds[b.Kind]++
		}
		seen := fmt.Sprintf("level %s, overdue %v, breaches %v, escalations %d", c.Level, c.Overdue, kinds, len(c.Escalations))
		return c.Level == whistle.LevelStreet && c.Overdue && kinds[whistle.BreachReport] == 2 &&
			kinds[whistle.BreachHandle] == 2 && len(c.Escalations) == 1, seen
	})
	c := getCase(t, api, urgent.ID)
	for i, e := range c.Timeline {
		if e.Seq != int64(i+1) {
			t.Fatalf("emergency case timeline entry %d has seq %d", i+1, e.Seq)
		}
	}
	t.Logf("case %s closed and case %s escalated across a stop and a kill -9 of dev, in %s", kase.ID, urgent.ID, time.Since(start).Round(time.Millisecond))
}
