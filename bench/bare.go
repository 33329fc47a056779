package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/workflows"
)

// bareRun is the bare-shape baseline of one bench run.
type bareRun struct {
	shape loadgen.BareShape
	from  string // the case whose history gave the sizes
	res   loadgen.BareResult
	cpu   cpuUse
}

// captureShape makes the bare shape of the scenario with the payload
// sizes of a real lifecycle's history: the first of closed, or, when
// there is none (no warm-up), of a lifecycle run for it.
func captureShape(ctx context.Context, tc client.Client, api *loadgen.Client, s loadgen.Scenario, closed []string) (loadgen.BareShape, string, error) {
	if len(closed) == 0 {
		r := api.Run(ctx, loadgen.LoadConfig{Scenario: s, Cases: 1, Concurrency: 1})
		if len(r.CaseIDs) == 0 {
			return loadgen.BareShape{}, "", fmt.Errorf("bench: the lifecycle that sizes the bare shape failed: %v", r.Errors)
		}
		closed = r.CaseIDs
	}
	h, err := loadgen.ReadHistory(ctx, tc, workflows.WorkflowID(closed[0]))
	if err != nil {
		return loadgen.BareShape{}, "", fmt.Errorf("bench: size the bare shape: %w", err)
	}
	shape, err := loadgen.ShapeOf(s.Shape(), h.HistoryUpdates)
	return shape, closed[0], err
}

// describeShape is one line of the shape's Updates and payload sizes.
func describeShape(b loadgen.BareShape) string {
	parts := []string{fmt.Sprintf("%d Updates; start input %d B", b.Updates(), b.StartInput)}
	for _, p := range b.Phases {
		how := ""
		if p.Count > 1 {
			how = " one after another"
			if p.Parallel {
				how = " in parallel"
			}
		}
		parts = append(parts, fmt.Sprintf("%s ×%d%s (in %s B, out %s B)", p.Update, p.Count, how, joinInts(p.Inputs), joinInts(p.Results)))
	}
	return strings.Join(parts, "; ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "/")
}

// bareComparison is a lifecycle against the bare shape of the same run.
type bareComparison struct {
	// Throughput is lifecycles/s ÷ bare shapes/s.
	Throughput float64
	// CPU per lifecycle and per bare shape (ms), over all processes and
	// on the server's side, and their ratios (lifecycle ÷ bare).
	LifeCPU, BareCPU, CPURatio                   float64
	LifeServerCPU, BareServerCPU, ServerCPURatio float64
	// BareP50, BareP95 are over all the bare shapes' Updates.
	BareP50, BareP95 time.Duration
	// ActionP95 is each action's p95 ÷ BareP95.
	ActionP95 map[string]float64
}

// compareBare works out the comparison: lifecycles closed at lifePerS
// using lifeCPU in all, bare shapes done at barePerS using bareCPU.
func compareBare(lifePerS float64, lifeDone int, lifeCPU cpuUse, lifeLat map[string][]time.Duration,
	barePerS float64, bareDone int, bareCPU cpuUse, bareAll []time.Duration) bareComparison {
	per := func(d time.Duration, n int) float64 { return msf(d) / float64(max(n, 1)) }
	c := bareComparison{
		Throughput: ratio(lifePerS, barePerS),
		LifeCPU:    per(lifeCPU.all(), lifeDone), BareCPU: per(bareCPU.all(), bareDone),
		LifeServerCPU: per(lifeCPU.serverSide(), lifeDone), BareServerCPU: per(bareCPU.serverSide(), bareDone),
		ActionP95: map[string]float64{},
	}
	c.CPURatio = ratio(c.LifeCPU, c.BareCPU)
	c.ServerCPURatio = ratio(c.LifeServerCPU, c.BareServerCPU)
	q := loadgen.Quantiles(append([]time.Duration(nil), bareAll...))
	c.BareP50, c.BareP95 = q.P50, q.P95
	for a, ds := range lifeLat {
		c.ActionP95[a] = ratio(msf(loadgen.Quantiles(append([]time.Duration(nil), ds...)).P95), msf(c.BareP95))
	}
	return c
}

// ratio is a ÷ b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// runBare runs the bare shapes, measuring the CPU they use.
func (e *benchEnv) runBare(ctx context.Context, tc client.Client, bc *benchConfig, b *bareRun) error {
	e.markCPU()
	res, err := loadgen.RunBare(ctx, tc, b.shape, bc.Bare, bc.Concurrency)
	if err != nil {
		return err
	}
	b.res, b.cpu = res, e.cpuUsed()
	q := loadgen.Quantiles(append([]time.Duration(nil), res.All...))
	done := len(res.WorkflowIDs)
	e.printf("bare shape: %d workflows, %d at once, in %s: %.2f/s (Update p50 %s, p95 %s, %d failed); CPU per bare shape: all processes %.1f ms, server side %.1f ms",
		res.Shapes, bc.Concurrency, res.Elapsed.Round(time.Millisecond), res.PerSecond(), ms(q.P50), ms(q.P95), res.Failed,
		msf(b.cpu.all())/float64(max(done, 1)), msf(b.cpu.serverSide())/float64(max(done, 1)))
	for _, err := range res.Errors {
		e.printf("  bare-shape error: %v", err)
	}
	return nil
}

// reportBare prints the lifecycles against the bare shape and returns
// the figures as key=value.
func (e *benchEnv) reportBare(ctx context.Context, tc client.Client, bc *benchConfig, b *bareRun, life loadgen.LoadResult, lifeCPU cpuUse, lifeEvents float64) []string {
	c := compareBare(life.PerSecond(), len(life.CaseIDs), lifeCPU, life.Latencies, b.res.PerSecond(), len(b.res.WorkflowIDs), b.cpu, b.res.All)
	e.printf("lifecycle ÷ bare shape (same server, same run; the bare shape's Updates go straight to Temporal: no HTTP, auth, idempotency rows or read model, no closing GET):")
	e.printf("  throughput: %.2f lifecycles/s ÷ %.2f bare shapes/s = %.3f (target ≥ 0.85)", life.PerSecond(), b.res.PerSecond(), c.Throughput)
	e.printf("  CPU, all processes: %.1f ms per lifecycle ÷ %.1f ms per bare shape = %.2f (target ≤ 1.2)", c.LifeCPU, c.BareCPU, c.CPURatio)
	side := "server processes and their PostgreSQL"
	if b.cpu.temporalInBench {
		side = "all processes: the Temporal server runs in the bench"
	}
	e.printf("  CPU, server side (%s): %.1f ms ÷ %.1f ms = %.2f", side, c.LifeServerCPU, c.BareServerCPU, c.ServerCPURatio)
	kv := []string{
		fmt.Sprintf("bare_per_s=%.2f", b.res.PerSecond()), fmt.Sprintf("bare_ratio=%.3f", c.Throughput),
		fmt.Sprintf("bare_updates=%d", b.shape.Updates()), fmt.Sprintf("bare_failed=%d", b.res.Failed),
		fmt.Sprintf("bare_cpu_ms_per_shape=%.1f", c.BareCPU), fmt.Sprintf("bare_cpu_ratio=%.2f", c.CPURatio),
		fmt.Sprintf("bare_server_cpu_ms_per_shape=%.1f", c.BareServerCPU), fmt.Sprintf("bare_server_cpu_ratio=%.2f", c.ServerCPURatio),
		fmt.Sprintf("bare_update_p50_ms=%.1f", msf(c.BareP50)), fmt.Sprintf("bare_update_p95_ms=%.1f", msf(c.BareP95)),
	}
	if sample := b.res.WorkflowIDs[:min(bc.HistorySample, len(b.res.WorkflowIDs))]; len(sample) > 0 {
		if counts, err := loadgen.HistoryEventsOf(ctx, tc, sample); err != nil {
			e.printf("  bare-shape history: %v", err)
		} else {
			mean := meanInt(counts)
			e.printf("  Temporal history: %.1f events per lifecycle, %.1f per bare shape (%d sampled)", lifeEvents, mean, len(counts))
			kv = append(kv, fmt.Sprintf("events_per_bare=%.1f", mean))
		}
	}
	e.printf("  %-10s %13s %18s %22s", "action", "lifecycle p95", "bare p95 (same)", fmt.Sprintf("÷ bare Update p95 %s", ms(c.BareP95)))
	for _, a := range loadgen.Actions {
		ds, ok := life.Latencies[a]
		if !ok {
			continue
		}
		same := "-"
		if bd, ok := b.res.Latencies[a]; ok {
			same = ms(loadgen.Quantiles(append([]time.Duration(nil), bd...)).P95)
		}
		verdict := "within 1.5×"
		if c.ActionP95[a] > 1.5 {
			verdict = "over 1.5×"
		}
		e.printf("  %-10s %13s %18s %16.2f×  %s", a, ms(loadgen.Quantiles(append([]time.Duration(nil), ds...)).P95), same, c.ActionP95[a], verdict)
		kv = append(kv, fmt.Sprintf("%s_p95_vs_bare=%.2f", a, c.ActionP95[a]))
	}
	return kv
}

func meanInt(ns []int) float64 {
	sum := 0
	for _, n := range ns {
		sum += n
	}
	return float64(sum) / float64(max(len(ns), 1))
}
