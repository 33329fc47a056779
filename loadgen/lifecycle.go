package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// Lifecycle carries one case from filing to closed, as the scenario's
// users would, following its Shape: file; every clerk reports (in
// parallel, as separate people do); every clerk feeds back (in parallel);
// the filer verifies, evaluates each department and reads the closed case.
// observe, when not nil, gets the latency of each request. It returns the
// closed case.
func (c *Client) Lifecycle(ctx context.Context, s Scenario, key string, observe func(action string, d time.Duration)) (whistle.Case, error) {
	send := func(st Step, out any) error {
		start := time.Now()
		err := c.Send(ctx, st, out)
		if err == nil && observe != nil {
			observe(st.Action, time.Since(start))
		}
		return err
	}
	var kase, last whistle.Case
	for _, p := range s.Shape() {
		outs := make([]whistle.Case, p.Count)
		errs := make([]error, p.Count)
		do := func(k int) {
			switch p.Action {
			case ActFile:
				errs[k] = send(s.File(key), &outs[k])
			case ActReport:
				errs[k] = send(s.Report(kase, k), nil)
			case ActFeedback:
				errs[k] = send(s.Feedback(kase, k), nil)
			case ActVerify:
				errs[k] = send(s.Verify(kase), nil)
			case ActEvaluate:
				errs[k] = send(s.Evaluate(kase, k), &outs[k])
			default:
				errs[k] = fmt.Errorf("lifecycle: no step for action %q", p.Action)
			}
		}
		if p.Parallel {
			var wg sync.WaitGroup
			for k := range p.Count {
				wg.Go(func() { do(k) })
			}
			wg.Wait()
		} else {
			for k := range p.Count {
				if do(k); errs[k] != nil {
					break
				}
			}
		}
		for _, err := range errs {
			if err != nil {
				return kase, err
			}
		}
		switch p.Action {
		case ActFile:
			kase = outs[0]
		case ActEvaluate:
			last = outs[p.Count-1]
		}
	}
	if last.Status != whistle.CaseClosed {
		return last, fmt.Errorf("case %s: %s after the last evaluation, want closed", kase.ID, last.Status)
	}
	var got whistle.Case
	if err := send(s.Get(kase.ID), &got); err != nil {
		return last, err
	}
	if got.Status != whistle.CaseClosed {
		return got, fmt.Errorf("case %s: the read model shows %s, want closed", kase.ID, got.Status)
	}
	return got, CheckTimeline(got, ExpectedTimeline(len(s.Clerks)))
}

// LoadConfig is one run of many lifecycles.
type LoadConfig struct {
	Scenario    Scenario
	Cases       int
	Concurrency int
	// KeyPrefix makes the filing keys of this run unique (random when empty).
	KeyPrefix string
	// Progress, when not nil, is called after each lifecycle with the
	// number done so far.
	Progress func(done int)
}

// LoadResult is what a run measured.
type LoadResult struct {
	Cases, Failed int
	Elapsed       time.Duration
	// Latencies holds every successful request's latency by action.
	Latencies map[string][]time.Duration
	// CaseIDs are the cases that closed.
	CaseIDs []string
	// Errors are the first few failures.
	Errors []error
}

// PerSecond is closed lifecycles per second of wall time.
func (r LoadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.CaseIDs)) / r.Elapsed.Seconds()
}

// Run drives cfg.Cases lifecycles with cfg.Concurrency of them in flight.
// A failed lifecycle is counted and recorded, and the run goes on.
func (c *Client) Run(ctx context.Context, cfg LoadConfig) LoadResult {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "bench-" + randomTag()
	}
	res := LoadResult{Cases: cfg.Cases, Latencies: map[string][]time.Duration{}}
	var mu sync.Mutex
	observe := func(action string, d time.Duration) {
		mu.Lock()
		res.Latencies[action] = append(res.Latencies[action], d)
		mu.Unlock()
	}
	var done atomic.Int64
	start := time.Now()
	inParallel(ctx, cfg.Cases, cfg.Concurrency, time.Time{}, func(i int) {
		kase, err := c.Lifecycle(ctx, cfg.Scenario, fmt.Sprintf("%s-%d", cfg.KeyPrefix, i), observe)
		mu.Lock()
		if err != nil {
			keepFailure(&res.Failed, &res.Errors, err)
		} else {
			res.CaseIDs = append(res.CaseIDs, kase.ID)
		}
		mu.Unlock()
		if n := done.Add(1); cfg.Progress != nil {
			cfg.Progress(int(n))
		}
	})
	res.Elapsed = time.Since(start)
	return res
}
