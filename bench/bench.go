// Package bench is `shaobao bench`: it drives full joint lifecycles (or,
// with --open, many open cases) through the HTTP API with loadgen, against
// a server it starts as child processes of the shaobao binary or one
// already running, and reports throughput, latency, CPU and memory.
//
// It links the Temporal server (devserver, for --temporal-postgres), so it
// is kept out of loadgen, which the fault tests link with the SDK only.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/shaobao/shaobao/cluster"
	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/redact"
	"github.com/shaobao/shaobao/store"
)

// benchConfig is the bench subcommand's flags.
type benchConfig struct {
	DataDir, DatabaseURL               string
	TemporalAddress, TemporalNamespace string
	Cases, Concurrency                 int
	Warmup                             int
	Noop, NoopConc                     int
	HistorySample                      int
	Target                             string
	ServerPID                          int
	Keep                               bool
	TemporalPostgres                   string
	Open                               int
	OpenTimeout                        time.Duration
	Probe                              int
	Profile                            string
	ProfileSeconds                     int
	Split                              bool
	// Bare is the number of bare shapes of the bare-shape baseline.
	Bare int
	// Compare is the other build of --compare, Rounds the rounds of each.
	Compare string
	Rounds  int
	// Cluster starts the multi-service cluster (package cluster) with
	// ClusterHistory history processes on ClusterPostgres, from the
	// Temporal server in TemporalTools.
	Cluster         bool
	ClusterHistory  int
	ClusterPostgres string
	TemporalTools   string
	// exe is the shaobao binary whose dev or serve is the server under
	// test (empty: this one).
	exe string
}

// defaultDataDir is --data's default, as for the other subcommands; the
// bench never runs a server on it (see startServer).
const defaultDataDir = "./data"

// databaseURL is --database-url, or the SQLite file in --data (as the
// server it benches uses).
func (bc *benchConfig) databaseURL() string {
	if bc.DatabaseURL != "" {
		return bc.DatabaseURL
	}
	return "sqlite:" + filepath.Join(bc.DataDir, "shaobao.db")
}

const benchUsage = `shaobao bench drives full joint lifecycles through the HTTP API as the demo
users (c1-secretary files a routine whistle to s1-police and s1-citymgmt;
each clerk reports and feeds back; c1-secretary verifies, evaluates both and
reads the closed case) and measures them against a no-op workflow on the
same Temporal server and against a bare shape: a workflow of the bench's
own that takes the same Updates with payloads of the same sizes and does
nothing with them. Without --target it starts its own server as a child
process: "shaobao dev" on --data (a temporary folder by default), or, with
--temporal-postgres and a PostgreSQL --database-url, the production shape:
a Temporal server persisted on PostgreSQL in this process and "shaobao
serve" as the child. Its last line is key=value figures, starting with
lifecycles_per_s=.

With --open N it measures scale instead: it files N cases and leaves them
open (each a running workflow with armed clocks), reports the server's
memory and database size, then files --probe emergency cases on clocks of
seconds and waits for their breaches to fire; that last line starts with
open_cases=.

With --compare OTHER_BINARY it runs --rounds rounds of each build,
alternating (this one, the other, this one, ...), each round its own
"OTHER_BINARY dev" (or this binary's) on a fresh temporary folder with the
same flags, and prints the two builds' figures side by side with their
ratio; its last line starts with compare_rounds=.

With --cluster it starts a multi-service cluster on this machine instead
(package cluster: the official Temporal server, built by
.ci/temporal-tools, as separate frontend, history, matching and worker
processes on PostgreSQL, and "serve --role api" ×2 and "--role worker" ×2)
and reports the CPU of each of its processes.

`

// Command runs `shaobao bench` with args (the flags after "bench"),
// printing its report to out; progress goes to stderr. A server it starts
// is the running executable's `dev` or `serve`, so the executable must be
// the shaobao binary.
func Command(ctx context.Context, args []string, out io.Writer) error {
	var bc benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	// The same flags, defaults and environment as the server's.
	fs.StringVar(&bc.DataDir, "data", env("SHAOBAO_DATA", defaultDataDir), "data folder of the embedded default (SHAOBAO_DATA)")
	fs.StringVar(&bc.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL, or sqlite:PATH; empty: the SQLite file in --data (DATABASE_URL)")
	fs.StringVar(&bc.TemporalAddress, "temporal-address", env("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&bc.TemporalNamespace, "namespace", env("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.IntVar(&bc.Cases, "cases", 100, "lifecycles to measure")
	fs.IntVar(&bc.Concurrency, "concurrency", 8, "lifecycles in flight at once")
	fs.IntVar(&bc.Warmup, "warmup", -1, "lifecycles run before measuring, not counted (-1: as many as --concurrency)")
	fs.IntVar(&bc.Noop, "noop", 300, "no-op workflows of the engine baseline (0: skip)")
	fs.IntVar(&bc.NoopConc, "noop-concurrency", 0, "no-op workflows in flight at once (default: --concurrency)")
	fs.IntVar(&bc.HistorySample, "history-sample", 20, "closed cases whose Temporal history is counted")
	fs.StringVar(&bc.Target, "target", "", "base URL of a running server (empty: start one)")
	fs.IntVar(&bc.ServerPID, "server-pid", 0, "pid of the server whose peak memory is reported (default: the process listening on --target's port)")
	fs.BoolVar(&bc.Keep, "keep", false, "keep the temporary data folder of a started server")
	fs.StringVar(&bc.TemporalPostgres, "temporal-postgres", "", "start a Temporal server persisted on this PostgreSQL database `URL` (in this process) and \"shaobao serve\" against it; needs a postgres --database-url")
	fs.IntVar(&bc.Open, "open", 0, "instead of lifecycles: file this many cases and leave them open, then report memory and probe the clocks")
	fs.DurationVar(&bc.OpenTimeout, "open-timeout", 2*time.Hour, "with --open: stop filing after this long and report what was filed")
	fs.IntVar(&bc.Probe, "probe", 10, "with --open: emergency cases on seconds-long clocks filed last, whose breaches must fire (0: none)")
	fs.BoolVar(&bc.Split, "split", false, "with --temporal-postgres: start \"serve --role api\" and \"serve --role worker\" as two processes instead of one \"serve\"")
	fs.StringVar(&bc.Profile, "profile", "", "write CPU profiles of the measured lifecycles here: each started server process's (NAME.pprof) and this process's (bench.pprof)")
	fs.IntVar(&bc.ProfileSeconds, "profile-seconds", 20, "with --profile: seconds of the server's CPU profile, from the start of the measured lifecycles")
	fs.IntVar(&bc.Bare, "bare", -1, "bare shapes of the bare-shape baseline (-1: as many as --cases; 0: skip)")
	fs.StringVar(&bc.Compare, "compare", "", "run this other shaobao `BINARY` too, alternating rounds with this one, each its own dev server, and compare them")
	fs.IntVar(&bc.Rounds, "rounds", 2, "with --compare: rounds of each build")
	fs.BoolVar(&bc.Cluster, "cluster", false, "start a multi-service cluster and bench it: the official Temporal server's frontend, --cluster-history history, 2 matching and a worker service, \"serve --role api\" ×2 (addressed in turn) and \"--role worker\" ×2, each its own process")
	fs.IntVar(&bc.ClusterHistory, "cluster-history", 2, "with --cluster: history processes")
	fs.StringVar(&bc.ClusterPostgres, "cluster-postgres", env("SHAOBAO_TEST_POSTGRES", ""), "with --cluster: PostgreSQL `URL` whose user may create the cluster's databases (made with unique names, dropped at the end unless --keep) (SHAOBAO_TEST_POSTGRES)")
	fs.StringVar(&bc.TemporalTools, "temporal-tools", env("SHAOBAO_TEMPORAL_TOOLS", ""), "with --cluster: the `DIR` .ci/temporal-tools prints, holding temporal-server, temporal-sql-tool and the schema (SHAOBAO_TEMPORAL_TOOLS)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if bc.Cases < 1 || bc.Concurrency < 1 {
		return errors.New("bench: --cases and --concurrency must be at least 1")
	}
	if bc.Warmup < 0 {
		bc.Warmup = bc.Concurrency
	}
	if bc.NoopConc < 1 {
		bc.NoopConc = bc.Concurrency
	}
	if bc.Bare < 0 {
		bc.Bare = bc.Cases
	}
	if bc.Compare != "" {
		return runCompare(ctx, &bc, out)
	}
	_, err := bc.run(ctx, out)
	return err
}

// run is one bench run: it starts the server (unless --target), measures
// and prints the report, and returns its last line's key=value figures.
func (bc *benchConfig) run(ctx context.Context, out io.Writer) ([]string, error) {
	log := quietLogger()

	env := &benchEnv{out: out}
	defer env.close()
	if bc.Target == "" {
		if err := env.startServer(ctx, bc); err != nil {
			return nil, err
		}
	} else {
		env.target = strings.TrimRight(bc.Target, "/")
		pid := bc.ServerPID
		if pid == 0 {
			pid = listenerOf(env.target)
		}
		if pid > 0 {
			env.procs = append(env.procs, &benchProc{name: "server", pid: pid})
		}
	}

	for _, u := range []string{bc.databaseURL(), bc.TemporalPostgres} {
		if db := postgresDatabase(u); db != "" {
			env.pgDatabases = append(env.pgDatabases, db)
			if u == bc.TemporalPostgres {
				env.pgDatabases = append(env.pgDatabases, db+"_visibility")
			}
		}
	}
	env.watchPostgres = len(env.pgDatabases) > 0 && len(loadgen.ProcessesNamed("postgres", env.pgDatabases...)) > 0
	users := append(loadgen.DemoJoint.Users(), "admin")
	var tokens map[string]string
	var err error
	if bc.exe != "" && bc.Target == "" {
		// Another build's database may differ from this build's store: its
		// own token command issues them.
		tokens, err = exeTokens(ctx, bc.exe, bc.DataDir, users)
	} else {
		tokens, err = benchTokens(ctx, bc.databaseURL(), users)
	}
	if err != nil {
		return nil, err
	}
	tc, err := client.DialContext(ctx, client.Options{HostPort: bc.TemporalAddress, Namespace: bc.TemporalNamespace,
		Logger: sdklog.NewStructuredLogger(log)})
	if err != nil {
		return nil, fmt.Errorf("bench: connect to Temporal at %s: %w", bc.TemporalAddress, err)
	}
	defer tc.Close()
	api := &loadgen.Client{Base: env.target, Tokens: tokens, HTTP: loadgen.NewHTTPClient(bc.Concurrency * 2)}
	if env.balancer != nil {
		api = env.balancer.Client(tokens) // both api processes of --cluster, in turn
	}

	load1Start := loadAverage()
	env.printf("bench: target %s, temporal %s, %d cores, load average %s", env.target, bc.TemporalAddress, runtime.NumCPU(), load1Start)
	if bc.Open > 0 {
		return nil, env.runOpen(ctx, bc, api, tc)
	}
	var warmed []string
	if bc.Warmup > 0 {
		w := api.Run(ctx, loadgen.LoadConfig{Scenario: loadgen.DemoJoint, Cases: bc.Warmup, Concurrency: bc.Concurrency})
		env.printf("warm-up: %d lifecycles in %s (%d failed)", bc.Warmup, w.Elapsed.Round(time.Millisecond), w.Failed)
		if w.Failed == w.Cases {
			return nil, fmt.Errorf("bench: every warm-up lifecycle failed, first: %v", w.Errors[0])
		}
		warmed = w.CaseIDs
	}
	var bare *bareRun
	if bc.Bare > 0 {
		shape, from, err := captureShape(ctx, tc, api, loadgen.DemoJoint, warmed)
		if err != nil {
			return nil, err
		}
		bare = &bareRun{shape: shape, from: from}
		env.printf("bare shape, sized from case %s's history: %s", from, describeShape(shape))
	}

	var noop loadgen.NoopResult
	if bc.Noop > 0 {
		env.markCPU()
		noop, err = loadgen.RunNoop(ctx, tc, bc.Noop, bc.NoopConc)
		if err != nil {
			return nil, err
		}
		env.printf("no-op baseline: %d workflows, %d at once, in %s: %.1f/s (p50 %s, p99 %s, %d failed); %s",
			noop.Workflows, bc.NoopConc, noop.Elapsed.Round(time.Millisecond), noop.PerSecond(), ms(noop.Latency.P50), ms(noop.Latency.P99), noop.Failed,
			env.cpuSince(noop.Workflows-noop.Failed, "no-op workflow"))
		for _, e := range noop.Errors {
			env.printf("  no-op error: %v", e)
		}
	}
	if bare != nil {
		if err := env.runBare(ctx, tc, bc, bare); err != nil {
			return nil, err
		}
	}

	env.markCPU()
	stopProfiles := env.startProfiles(bc)
	step := max(bc.Cases/10, 1)
	res := api.Run(ctx, loadgen.LoadConfig{Scenario: loadgen.DemoJoint, Cases: bc.Cases, Concurrency: bc.Concurrency,
		Progress: func(n int) {
			if n%step == 0 {
				fmt.Fprintf(os.Stderr, "  %d/%d lifecycles\n", n, bc.Cases)
			}
		}})
	lifeCPU := env.cpuUsed()
	stopProfiles()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	load1End := loadAverage()
	env.printf("lifecycles: %d of %d closed, %d at once, in %s: %.2f/s", len(res.CaseIDs), res.Cases, bc.Concurrency, res.Elapsed.Round(time.Millisecond), res.PerSecond())
	for _, e := range res.Errors {
		env.printf("  error: %v", e)
	}
	kv := []string{fmt.Sprintf("lifecycles_per_s=%.2f", res.PerSecond())}
	ratio := 0.0
	if noop.PerSecond() > 0 {
		ratio = res.PerSecond() / noop.PerSecond()
	}
	kv = append(kv, fmt.Sprintf("noop_per_s=%.2f", noop.PerSecond()), fmt.Sprintf("ratio=%.3f", ratio),
		fmt.Sprintf("cases=%d", res.Cases), fmt.Sprintf("failed=%d", res.Failed), fmt.Sprintf("concurrency=%d", bc.Concurrency),
		fmt.Sprintf("elapsed_s=%.1f", res.Elapsed.Seconds()))

	env.printf("%-10s %6s %9s %9s %9s %9s", "action", "n", "p50", "p95", "p99", "max")
	for _, a := range loadgen.Actions {
		q := loadgen.Quantiles(res.Latencies[a])
		env.printf("%-10s %6d %9s %9s %9s %9s", a, q.N, ms(q.P50), ms(q.P95), ms(q.P99), ms(q.Max))
		kv = append(kv, fmt.Sprintf("%s_p50_ms=%.1f", a, msf(q.P50)), fmt.Sprintf("%s_p95_ms=%.1f", a, msf(q.P95)), fmt.Sprintf("%s_p99_ms=%.1f", a, msf(q.P99)))
	}

	lifeEvents := 0.0
	if sample := res.CaseIDs[:min(bc.HistorySample, len(res.CaseIDs))]; len(sample) > 0 {
		counts, err := loadgen.HistoryEvents(ctx, tc, sample)
		if err != nil {
			env.printf("history: %v", err)
		} else {
			lo, hi, sum := counts[0], counts[0], 0
			for _, n := range counts {
				lo, hi, sum = min(lo, n), max(hi, n), sum+n
			}
			mean := float64(sum) / float64(len(counts))
			env.printf("Temporal history: %.1f events per lifecycle (min %d, max %d, %d cases)", mean, lo, hi, len(counts))
			kv = append(kv, fmt.Sprintf("events_per_lifecycle=%.1f", mean))
			lifeEvents = mean
		}
	}
	if bare != nil {
		kv = append(kv, env.reportBare(ctx, tc, bc, bare, res, lifeCPU, lifeEvents)...)
	}
	if bc.Profile != "" {
		kv = append(kv, env.reportPayloads(ctx, tc, bc, res.CaseIDs)...)
	}

	kv = append(kv, env.reportProcesses(len(res.CaseIDs))...)
	kv = append(kv, "cores="+strconv.Itoa(runtime.NumCPU()), "load1_start="+load1Start, "load1_end="+load1End)
	fmt.Fprintln(env.out, strings.Join(kv, " "))
	if len(res.CaseIDs) == 0 {
		return kv, errors.New("bench: no lifecycle closed")
	}
	return kv, nil
}

// benchEnv is the server under test and what the bench started for it.
type benchEnv struct {
	out    io.Writer
	target string
	// procs are the server's processes: the ones the bench started, or the
	// one listening on --target (or --server-pid).
	procs           []*benchProc
	temporalInBench bool
	// balancer spreads the requests over the api processes of --cluster.
	balancer *cluster.Balancer
	selfCPU0 time.Duration
	// pgCPU0 is, with a PostgreSQL server on this machine in the test,
	// the CPU time of each of its processes at markCPU.
	watchPostgres bool
	pgDatabases   []string
	pgCPU0        map[int]time.Duration
	// frozen is each process's CPU time at the end of the measured
	// phase (cpuUsed); nil while one runs.
	frozen  map[int]time.Duration
	closers []func()
}

// benchProc is one watched server process.
type benchProc struct {
	name      string // server (dev or serve), api or worker
	what      string // its command line, shortened
	pid       int
	pprofAddr string // its pprof listener, with --profile
	cpu0      time.Duration
}

// serverPID is the pid of the first server process, or 0.
func (e *benchEnv) serverPID() int {
	if len(e.procs) == 0 {
		return 0
	}
	return e.procs[0].pid
}

func (e *benchEnv) printf(format string, args ...any) { fmt.Fprintf(e.out, format+"\n", args...) }

func (e *benchEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// startServer starts `shaobao dev` (or, with --temporal-postgres, a
// Temporal server on PostgreSQL here and `shaobao serve`) as a child
// process on free ports and waits until it is ready.
func (e *benchEnv) startServer(ctx context.Context, bc *benchConfig) error {
	httpPort, err := freePort()
	if err != nil {
		return err
	}
	e.target = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	addr := "127.0.0.1:" + strconv.Itoa(httpPort)

	if bc.DataDir == defaultDataDir || bc.DataDir == "" { // the flag's default: never bench the user's own data
		dir, err := os.MkdirTemp("", "shaobao-bench-")
		if err != nil {
			return err
		}
		bc.DataDir = dir
		if !bc.Keep {
			e.closers = append(e.closers, func() { _ = os.RemoveAll(dir) })
		}
	}
	if abs, err := filepath.Abs(bc.DataDir); err == nil {
		bc.DataDir = abs
	}
	if err := os.MkdirAll(bc.DataDir, 0o750); err != nil {
		return err
	}
	if bc.Cluster {
		return e.startCluster(ctx, bc)
	}
	type spawnSpec struct {
		name, what string
		args       []string
	}
	var specs []spawnSpec
	if bc.TemporalPostgres != "" {
		if !strings.HasPrefix(bc.DatabaseURL, "postgres") {
			return errors.New("bench: --temporal-postgres needs a PostgreSQL --database-url for Shaobao's own tables")
		}
		hostPort, err := e.startPostgresTemporal(ctx, bc)
		if err != nil {
			return err
		}
		bc.TemporalAddress = hostPort
		if err := seedDemo(ctx, bc.databaseURL()); err != nil {
			return err
		}
		common := []string{"--database-url", bc.DatabaseURL, "--temporal-address", hostPort, "--namespace", bc.TemporalNamespace, "--log-level", "warn"}
		if bc.Split {
			specs = append(specs,
				spawnSpec{"api", "serve --role api", append([]string{"serve", "--role", "api", "--addr", addr}, common...)},
				spawnSpec{"worker", "serve --role worker", append([]string{"serve", "--role", "worker"}, common...)})
		} else {
			specs = append(specs, spawnSpec{"server", "serve --role all", append([]string{"serve", "--role", "all", "--addr", addr}, common...)})
		}
	} else {
		temporalPort, err := freePort()
		if err != nil {
			return err
		}
		bc.TemporalAddress = "127.0.0.1:" + strconv.Itoa(temporalPort)
		bc.DatabaseURL = "" // dev's own SQLite in --data
		specs = append(specs, spawnSpec{"server", "dev", []string{"dev", "--addr", addr, "--data", bc.DataDir,
			"--temporal-port", strconv.Itoa(temporalPort), "--namespace", bc.TemporalNamespace, "--log-level", "warn"}})
	}
	exited := make(chan string, len(specs))
	for _, sp := range specs {
		p, err := e.spawn(bc, sp.name, sp.what, sp.args, exited)
		if err != nil {
			return err
		}
		e.procs = append(e.procs, p)
	}

	deadline := time.Now().Add(3 * time.Minute)
	for {
		if res, err := http.Get(e.target + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case name := <-exited:
			return fmt.Errorf("bench: %s exited before the server was ready; see its log in %s", name, bc.DataDir)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the server was not ready within 3 minutes; see the logs in %s", bc.DataDir)
		}
	}
}

// spawn starts `shaobao args...` as a child logging to DATA/bench-NAME.log,
// stopped (SIGTERM, then SIGKILL after 30 s) when the bench ends. Its
// name is sent on exited if it ends early.
func (e *benchEnv) spawn(bc *benchConfig, name, what string, args []string, exited chan<- string) (*benchProc, error) {
	exe := bc.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(bc.DataDir, "bench-"+name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &benchProc{name: name, what: what}
	if bc.Profile != "" {
		port, err := freePort()
		if err != nil {
			logFile.Close()
			return nil, err
		}
		p.pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
		args = append(args[:len(args):len(args)], "--pprof-addr", p.pprofAddr)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("bench: start %s: %w", what, err)
	}
	p.pid = cmd.Process.Pid
	done := make(chan struct{})
	var stopping atomic.Bool
	go func() {
		_ = cmd.Wait()
		if !stopping.Load() {
			exited <- name
		}
		close(done)
	}()
	e.closers = append(e.closers, func() {
		stopping.Store(true)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	e.printf("bench: started %s %s (pid %d), data %s, log %s", exe, what, p.pid, bc.DataDir, logPath)
	return p, nil
}

// seedDemo migrates the database and seeds the demo city once.
func seedDemo(ctx context.Context, dsn string) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	seeded, err := st.IsSeeded(ctx)
	if err != nil || seeded {
		return err
	}
	return st.SeedDemo(ctx)
}

// benchTokens issues an hour's token for each user from the database the
// server uses, as `shaobao token` does.
func benchTokens(ctx context.Context, dsn string, users []string) (map[string]string, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("bench: open %s for tokens: %w", redact.URL(dsn), err)
	}
	defer st.Close()
	tokens := map[string]string{}
	for _, name := range users {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("bench: user %q not in %s (the demo city is needed; give the server's --data or --database-url): %w", name, redact.URL(dsn), err)
		}
		if tokens[name], err = st.IssueToken(ctx, u.ID, "bench", time.Hour); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// exeTokens issues an hour's token for each user with exe's own `token`
// command on the data folder of the dev server it runs.
func exeTokens(ctx context.Context, exe, dataDir string, users []string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, name := range users {
		cmd := exec.CommandContext(ctx, exe, "token", name, "--data", dataDir, "--ttl", "1h")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("bench: %s token %s: %w: %s", exe, name, err, strings.TrimSpace(stderr.String()))
		}
		lines := strings.Fields(string(out))
		if len(lines) == 0 {
			return nil, fmt.Errorf("bench: %s token %s printed no token", exe, name)
		}
		tokens[name] = lines[len(lines)-1]
	}
	return tokens, nil
}

// freePort returns a port that can be listened on now, at most 32767
// (Temporal on PostgreSQL stores ports as smallint; one habit for all).
func freePort() (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(32767-20000+1)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, errors.New("bench: no free port in 20000-32767")
}

// postgresDatabase is the database named by a postgres:// URL, or "".
func postgresDatabase(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// listenerOf is the pid of the local process listening on target's port, or 0.
func listenerOf(target string) int {
	u, err := url.Parse(target)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		if u.Scheme == "https" {
			port = 443
		} else {
			port = 80
		}
	}
	return loadgen.ListenerPID(port)
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", msf(d)) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// quietLogger logs warnings and errors to stderr, as the servers the bench
// starts do (--log-level warn).
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// env is the environment variable key, or def when it is unset or empty.
func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// parse parses the flags; positional arguments, which the bench has none
// of, may stand among them and are ignored, as the other subcommands take
// theirs anywhere.
func parse(fs *flag.FlagSet, args []string) error {
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return nil
		}
		args = fs.Args()[1:]
	}
}
