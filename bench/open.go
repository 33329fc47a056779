package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/workflows"
)

// runOpen files bc.Open cases and leaves them open, reporting as it goes
// the filing rate and the server's memory, then checks the clocks of the
// loaded server still fire.
func (e *benchEnv) runOpen(ctx context.Context, bc *benchConfig, api *loadgen.Client, tc client.Client) error {
	before, _ := loadgen.ReadMemory(e.serverPID())
	start := time.Now()
	step := max(bc.Open/20, 1)
	last, lastAt := 0, start
	res := api.FileOpen(ctx, loadgen.OpenConfig{
		Scenario: loadgen.DemoJoint, Cases: bc.Open, Concurrency: bc.Concurrency, Deadline: start.Add(bc.OpenTimeout),
		Progress: func(n int) {
			if n%step != 0 {
				return
			}
			now := time.Now()
			m, _ := loadgen.ReadMemory(e.serverPID())
			e.printf("  %7d open  %6.1f filed/s  server RSS %s (peak %s)  data %s  load %s",
				n, float64(n-last)/now.Sub(lastAt).Seconds(), mib(m.Now), mib(m.Peak), mib(dirSize(bc.DataDir)), loadAverage())
			last, lastAt = n, now
		},
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e.printf("filed %d cases (%d failed) in %s: %.1f/s; filing p50 %s p95 %s p99 %s",
		res.Filed, res.Failed, res.Elapsed.Round(time.Second), float64(res.Filed)/res.Elapsed.Seconds(), ms(res.Latency.P50), ms(res.Latency.P95), ms(res.Latency.P99))
	for _, err := range res.Errors {
		e.printf("  error: %v", err)
	}
	kv := []string{fmt.Sprintf("open_cases=%d", res.Filed), fmt.Sprintf("failed=%d", res.Failed),
		fmt.Sprintf("filed_per_s=%.1f", float64(res.Filed)/res.Elapsed.Seconds()), fmt.Sprintf("elapsed_s=%.0f", res.Elapsed.Seconds()),
		fmt.Sprintf("file_p50_ms=%.1f", msf(res.Latency.P50)), fmt.Sprintf("file_p99_ms=%.1f", msf(res.Latency.P99))}

	count := func(query string) int64 {
		r, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			e.printf("count %q: %v", query, err)
			return -1
		}
		return r.GetCount()
	}
	// Visibility is written asynchronously: let it settle (at most a minute).
	var running, armed int64
	for settle := time.Now().Add(time.Minute); ; {
		running = count(fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.WorkflowName))
		armed = count(fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s IS NOT NULL", workflows.WorkflowName, workflows.AttrNextDue.GetName()))
		if (running >= int64(res.Filed) && armed == running) || time.Now().After(settle) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	e.printf("Temporal visibility: %d whistle workflows running, %d with a next deadline armed", running, armed)
	kv = append(kv, fmt.Sprintf("running_workflows=%d", running), fmt.Sprintf("armed_clocks=%d", armed))

	runtime.GC()
	after, err := loadgen.ReadMemory(e.serverPID())
	if err == nil && e.serverPID() > 0 {
		perCase := float64(after.Now-before.Now) / float64(max(res.Filed, 1))
		e.printf("server (pid %d): RSS %s before, %s after (peak %s): %.1f KiB per open case",
			e.serverPID(), mib(before.Now), mib(after.Now), mib(after.Peak), perCase/1024)
		kv = append(kv, fmt.Sprintf("server_rss_before_mb=%.0f", float64(before.Now)/(1<<20)), fmt.Sprintf("server_rss_mb=%.0f", float64(after.Now)/(1<<20)),
			fmt.Sprintf("server_peak_rss_mb=%.0f", float64(after.Peak)/(1<<20)), fmt.Sprintf("rss_per_open_case_kb=%.1f", perCase/1024))
	}
	if bc.DataDir != "" && bc.Target == "" && bc.TemporalPostgres == "" {
		tdb := fileSize(filepath.Join(bc.DataDir, "temporal", "temporal.db")) + fileSize(filepath.Join(bc.DataDir, "temporal", "temporal.db-wal"))
		sdb := fileSize(filepath.Join(bc.DataDir, "shaobao.db")) + fileSize(filepath.Join(bc.DataDir, "shaobao.db-wal"))
		e.printf("data: Temporal SQLite %s, Shaobao SQLite %s", mib(tdb), mib(sdb))
		kv = append(kv, fmt.Sprintf("temporal_db_mb=%.0f", float64(tdb)/(1<<20)), fmt.Sprintf("shaobao_db_mb=%.0f", float64(sdb)/(1<<20)))
	}

	if bc.Probe > 0 {
		t0 := time.Now()
		late, err := api.ClockProbe(ctx, loadgen.DemoJoint, bc.Probe, 20*time.Second, 40*time.Second, 5*time.Minute)
		if err != nil {
			e.printf("clock probe: %v", err)
			kv = append(kv, "clock_probe=failed")
		} else {
			q := loadgen.Quantiles(late)
			e.printf("clock probe: %d emergency cases on 20 s / 40 s clocks with %d open: %d breaches fired, late by p50 %s, p99 %s, max %s (%s)",
				bc.Probe, res.Filed, q.N, ms(q.P50), ms(q.P99), ms(q.Max), time.Since(t0).Round(time.Second))
			kv = append(kv, fmt.Sprintf("breaches_fired=%d", q.N), fmt.Sprintf("breach_late_p50_ms=%.0f", msf(q.P50)), fmt.Sprintf("breach_late_max_ms=%.0f", msf(q.Max)))
		}
	}
	kv = append(kv, "cores="+fmt.Sprint(runtime.NumCPU()), "load1_end="+loadAverage())
	fmt.Fprintln(e.out, strings.Join(kv, " "))
	if res.Filed == 0 {
		return fmt.Errorf("bench: no case filed")
	}
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// dirSize is the total size of the files under dir (0 if unreadable).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
