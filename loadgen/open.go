package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// OpenConfig is a run that files cases and leaves them open, each a
// running workflow with its clocks armed.
type OpenConfig struct {
	Scenario    Scenario
	Cases       int
	Concurrency int
	// Deadline stops the filing early (the run reports how many it filed).
	Deadline time.Time
	// Progress is called after every filing with the count so far.
	Progress func(filed int)
}

// OpenResult is what an open run filed.
type OpenResult struct {
	Filed, Failed int
	Elapsed       time.Duration
	Latency       Percentiles
	Errors        []error
}

// FileOpen files cfg.Cases cases (fewer if cfg.Deadline passes), each by
// the scenario's filer, and leaves them open.
func (c *Client) FileOpen(ctx context.Context, cfg OpenConfig) OpenResult {
	prefix := "open-" + randomTag()
	var (
		res  OpenResult
		mu   sync.Mutex
		lat  []time.Duration
		done atomic.Int64
	)
	start := time.Now()
	inParallel(ctx, cfg.Cases, cfg.Concurrency, cfg.Deadline, func(i int) {
		t0 := time.Now()
		var kase whistle.Case
		err := c.Send(ctx, cfg.Scenario.File(fmt.Sprintf("%s-%d", prefix, i)), &kase)
		d := time.Since(t0)
		mu.Lock()
		if err != nil {
			keepFailure(&res.Failed, &res.Errors, err)
		} else {
			res.Filed++
			lat = append(lat, d)
		}
		mu.Unlock()
		if n := done.Add(1); cfg.Progress != nil && err == nil {
			cfg.Progress(int(n))
		}
	})
	res.Elapsed = time.Since(start)
	res.Latency = Quantiles(lat)
	return res
}

// ClockProbe checks the clocks are live: as admin it sets the emergency
// policy to reportWithin/handleWithin, files n emergency cases with the
// scenario, and waits (at most timeout) until each has a report breach
// for every department and has escalated on its handling deadline. It
// returns how late each breach fired after its deadline.
func (c *Client) ClockProbe(ctx context.Context, s Scenario, n int, reportWithin, handleWithin time.Duration, timeout time.Duration) ([]time.Duration, error) {
	body := fmt.Sprintf(`{"report_within":%q,"handle_within":%q}`, reportWithin.String(), handleWithin.String())
	if err := c.Do(ctx, "admin", "PUT", "/api/v1/admin/sla-policies/emergency", body, "", nil); err != nil {
		return nil, fmt.Errorf("shorten the emergency clocks: %w", err)
	}
	tag := randomTag()
	urgent := s.WithClass(whistle.ClassEmergency)
	ids := make([]string, 0, n)
	for i := range n {
		var kase whistle.Case
		if err := c.Send(ctx, urgent.File(fmt.Sprintf("probe-%s-%d", tag, i)), &kase); err != nil {
			return nil, err
		}
		ids = append(ids, kase.ID)
	}
	deadline := time.Now().Add(timeout)
	var late []time.Duration
	for _, id := range ids {
		for {
			var kase whistle.Case
			if err := c.Send(ctx, s.Get(id), &kase); err != nil {
				return late, err
			}
			if len(kase.Escalations) > 0 && len(kase.Breaches) >= 2*len(s.Clerks) {
				for _, br := range kase.Breaches {
					late = append(late, br.At.Sub(br.Deadline))
				}
				break
			}
			if time.Now().After(deadline) {
				return late, fmt.Errorf("case %s: %d breaches and %d escalations after %s", id, len(kase.Breaches), len(kase.Escalations), timeout)
			}
			select {
			case <-ctx.Done():
				return late, ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return late, nil
}
