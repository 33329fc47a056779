package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// TestCluster runs Shaobao on the multi-service cluster (frontend,
// history ×2, matching ×2, Temporal worker; serve --role api ×2 and
// --role worker ×2, each its own process) under a steady load of joint
// lifecycles sent round-robin to both api processes, and kill -9s, one
// after the other, a history process, a matching process, a Shaobao
// worker and an api process, each started again after a while. Every
// case must close with its timeline seq 1..n, no gap and no double, and
// no request may end in a 5xx: a 5xx (or a refused connection) is only
// allowed when the same request, with its Idempotency-Key, was retried to
// success.
//
// Opt-in (minutes, and it builds the Temporal server once):
//
//	SHAOBAO_TEST_CLUSTER=1 SHAOBAO_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./cluster -run TestCluster -v -timeout 30m
func TestCluster(t *testing.T) {
	if os.Getenv("SHAOBAO_TEST_CLUSTER") == "" {
		t.Skip("the multi-service cluster test is opt-in: SHAOBAO_TEST_CLUSTER=1 (and SHAOBAO_TEST_POSTGRES)")
	}
	pgURL := os.Getenv("SHAOBAO_TEST_POSTGRES")
	if pgURL == "" {
		t.Fatal("SHAOBAO_TEST_CLUSTER needs SHAOBAO_TEST_POSTGRES, a PostgreSQL URL whose user may create databases")
	}
	ctx := context.Background()
	begin := time.Now()
	c, err := Start(ctx, Options{Tools: temporalTools(t), Shaobao: shaobaoBinary(t), Postgres: pgURL, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.Procs {
				t.Logf("----- last lines of %s (%s):\n%s", p.Name, p.LogPath, p.LogTail(25))
			}
		}
	})

	st, err := store.Open(ctx, c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens := map[string]string{}
	for _, name := range loadgen.DemoJoint.Users() {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if tokens[name], err = st.IssueToken(ctx, u.ID, "cluster-test", 2*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	const concurrency = 4
	bal, err := NewBalancer(c.APIs, concurrency)
	if err != nil {
		t.Fatal(err)
	}
	api := bal.Client(tokens)

	// The steady load: concurrency lifecycles in flight, a new one as
	// soon as one ends, until the kills are done.
	load := &steadyLoad{api: api, tag: randomHex(4)}
	load.start(ctx, concurrency)
	waitClosed := func(n int64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for load.closed.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d lifecycles closed, want %d within %s; failures: %v", load.closed.Load(), n, within, load.firstErrors())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	waitClosed(2*concurrency, 3*time.Minute)
	t.Logf("load steady: %d lifecycles closed, %s", load.closed.Load(), bal.Stats())

	const down = 15 * time.Second
	for _, name := range []string{"temporal-history-1", "temporal-matching-1", "shaobao-worker-1", "shaobao-api-1"} {
		p := c.Proc(name)
		pid := p.PID()
		before := load.closed.Load()
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		killedAt := time.Now()
		time.Sleep(down)
		during := load.closed.Load() - before
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitReady(ctx, p); err != nil {
			t.Fatal(err)
		}
		back := time.Since(killedAt)
		// The load goes on with the process back: some more lifecycles
		// close before the next kill.
		waitClosed(load.closed.Load()+concurrency, 3*time.Minute)
		t.Logf("%s (pid %d) killed -9, started again (pid %d) after %s, ready %s after the kill: %d lifecycles closed while it was away, %d since; %s",
			name, pid, p.PID(), down, back.Round(time.Millisecond), during, load.closed.Load()-before-during, bal.Stats())
	}
	elapsed := load.stop()

	stats := bal.Stats()
	if errs := load.firstErrors(); len(errs) > 0 {
		t.Errorf("%d of %d lifecycles failed; first: %v", load.failed.Load(), load.closed.Load()+load.failed.Load(), errs)
	}
	if stats.Final5xx > 0 || stats.Lost > 0 {
		t.Errorf("requests that reached the caller as a 5xx or without an answer after retries: %s", stats)
	}

	// Every case filed is closed, read back through the api, with its
	// timeline whole; the read model holds no other case.
	ids := load.caseIDs()
	want := loadgen.ExpectedTimeline(len(loadgen.DemoJoint.Clerks))
	for _, id := range ids {
		var kase whistle.Case
		if err := api.Send(ctx, loadgen.DemoJoint.Get(id), &kase); err != nil {
			t.Errorf("read case %s: %v", id, err)
			continue
		}
		if kase.Status != whistle.CaseClosed {
			t.Errorf("case %s is %s, want closed", id, kase.Status)
		}
		if err := loadgen.CheckTimeline(kase, want); err != nil {
			t.Error(err)
		}
	}
	var all, open int64
	if err := st.DB.Model(&store.CaseRow{}).Count(&all).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Model(&store.CaseRow{}).Where("status <> ?", string(whistle.CaseClosed)).Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	if open > 0 || all != int64(len(ids)) {
		t.Errorf("the read model holds %d cases, %d of them not closed; the load closed %d", all, open, len(ids))
	}
	t.Logf("cluster test: %d lifecycles closed in %s (%.2f/s) through 4 kill -9s, %d concurrent; %s; load average %s; whole test %s",
		len(ids), elapsed.Round(time.Second), float64(len(ids))/elapsed.Seconds(), concurrency, stats, loadAverage(), time.Since(begin).Round(time.Second))
}

// steadyLoad runs joint lifecycles, n at a time, until stopped.
type steadyLoad struct {
	api *loadgen.Client
	tag string

	stopping       atomic.Bool
	wg             sync.WaitGroup
	started        time.Time
	next           atomic.Int64
	closed, failed atomic.Int64
	mu             sync.Mutex
	ids            []string
	errs           []error
}

func (l *steadyLoad) start(ctx context.Context, n int) {
	l.started = time.Now()
	for range n {
		l.wg.Go(func() {
			for !l.stopping.Load() {
				key := fmt.Sprintf("cluster-%s-%d", l.tag, l.next.Add(1))
				lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
				kase, err := l.api.Lifecycle(lctx, loadgen.DemoJoint, key, nil)
				cancel()
				l.mu.Lock()
				if err != nil {
					l.failed.Add(1)
					if len(l.errs) < 5 {
						l.errs = append(l.errs, fmt.Errorf("lifecycle %s: %w", key, err))
					}
				} else {
					l.closed.Add(1)
					l.ids = append(l.ids, kase.ID)
				}
				l.mu.Unlock()
			}
		})
	}
}

// stop lets the lifecycles in flight finish and returns how long the load
// ran.
func (l *steadyLoad) stop() time.Duration {
	l.stopping.Store(true)
	l.wg.Wait()
	return time.Since(l.started)
}

func (l *steadyLoad) caseIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

func (l *steadyLoad) firstErrors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// temporalTools is $SHAOBAO_TEMPORAL_TOOLS, or what .ci/temporal-tools
// prints (building the server once into the tools cache).
func temporalTools(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("SHAOBAO_TEMPORAL_TOOLS"); dir != "" {
		return dir
	}
	cmd := exec.Command("../.ci/temporal-tools")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/temporal-tools: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// shaobaoBinary is $SHAOBAO_BIN, or ./cmd/shaobao built for the test.
func shaobaoBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SHAOBAO_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "shaobao")
	build := exec.Command("go", "build", "-o", bin, "./cmd/shaobao")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build shaobao: %v\n%s", err, out)
	}
	return bin
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}
