package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/cluster"
	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// binary is the shaobao binary under test: $SHAOBAO_BIN, or built once by
// TestMain from ./cmd/shaobao (without -race: the race build of the
// embedded Temporal server alone takes many minutes on two cores).
var binary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	binary = os.Getenv("SHAOBAO_BIN")
	if binary == "" {
		dir, err := os.MkdirTemp("", "shaobao-faults-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "shaobao")
		build := exec.Command("go", "build", "-o", binary, "./cmd/shaobao")
		build.Dir = ".."
		build.Env = append(os.Environ(), "GOFLAGS=") // no -race or test flags leak into the build
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build shaobao: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// proc is one shaobao process the test starts, kills and restarts
// (cluster.Proc); its output, across restarts, goes to one log file shown
// when the test fails.
type proc struct {
	*cluster.Proc
	t *testing.T
}

// startProc starts `shaobao args...` with extra environment env.
func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{Proc: cluster.NewProc(name, binary, filepath.Join(t.TempDir(), name+".log"), args, env), t: t}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			p.dumpLog(80)
		}
	})
	return p
}

func (p *proc) start() {
	p.t.Helper()
	if err := p.Start(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *proc) running() bool { return p.Running() }

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *proc) kill() {
	if err := p.Kill(); err != nil {
		p.t.Error(err)
	}
}

// stop sends SIGTERM and waits (at most 30 s, then SIGKILL and an error).
func (p *proc) stop() {
	if err := p.Stop(30 * time.Second); err != nil {
		p.t.Error(err)
	}
}

// logCount counts the lines of the process's log (all its runs) that
// contain s.
func (p *proc) logCount(s string) int {
	raw, err := os.ReadFile(p.LogPath)
	if err != nil {
		return 0
	}
	return strings.Count(string(raw), s)
}

func (p *proc) dumpLog(lines int) {
	p.t.Logf("----- last %d lines of %s (%s):\n%s", lines, p.Name, p.LogPath, p.LogTail(lines))
}

// freePort returns a port free now, at most 32767 (Temporal on
// PostgreSQL stores ports as smallint; one habit for all).
func freePort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(32767-20000+1)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port in 20000-32767")
	return 0
}

// devServer is `shaobao dev` on a data folder of the test, on fixed ports
// so that a restart comes back where clients look for it.
type devServer struct {
	*proc
	dir      string
	url      string // the API
	temporal string // the embedded Temporal frontend
}

func startDev(t *testing.T, extra ...string) *devServer {
	t.Helper()
	d := &devServer{dir: t.TempDir()}
	httpPort, temporalPort := freePort(t), freePort(t)
	d.url = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	d.temporal = "127.0.0.1:" + strconv.Itoa(temporalPort)
	args := append([]string{"dev", "--data", d.dir, "--addr", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--temporal-port", strconv.Itoa(temporalPort), "--log-level", "warn"}, extra...)
	d.proc = startProc(t, "dev", nil, args...)
	waitReady(t, d.proc, d.url)
	return d
}

// dsn is the SQLite database of the dev server.
func (d *devServer) dsn() string { return "sqlite:" + filepath.Join(d.dir, "shaobao.db") }

// waitReady polls url's /readyz until it answers 200, failing the test if
// p exits first or two minutes pass.
func waitReady(t *testing.T, p *proc, url string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if !p.running() {
			t.Fatalf("%s exited before it was ready", p.Name)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not ready within 2 minutes (last: %v)", p.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openStore opens the database a server uses, for tokens and to watch the
// read model.
func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// apiClient returns a client holding tokens, from st, for every user of
// the demo joint lifecycle and for admin.
func apiClient(t *testing.T, st *store.Store, url string) *loadgen.Client {
	t.Helper()
	tokens := map[string]string{}
	for _, name := range append(loadgen.DemoJoint.Users(), "admin") {
		u, err := st.UserByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if tokens[name], err = st.IssueToken(context.Background(), u.ID, "faults", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	return &loadgen.Client{Base: url, Tokens: tokens, HTTP: loadgen.NewHTTPClient(4)}
}

// send sends step until it succeeds, retrying (same Idempotency-Key) while
// the answer is a 5xx or the connection fails, for at most two minutes.
// A 4xx fails the test at once.
func send(t *testing.T, api *loadgen.Client, step loadgen.Step, out any) {
	t.Helper()
	if err := sendErr(api, step, out); err != nil {
		t.Fatal(err)
	}
}

func sendErr(api *loadgen.Client, step loadgen.Step, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := api.Send(ctx, step, out)
		if err == nil {
			return nil
		}
		if !loadgen.Retryable(err) || ctx.Err() != nil {
			return fmt.Errorf("%s %s as %s (attempt %d): %w", step.Method, step.Path, step.User, attempt, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pending is a request sent in the background.
type pending struct {
	done chan struct{}
	err  error
}

// sendAsync sends step (with send's retries) in the background.
func sendAsync(api *loadgen.Client, step loadgen.Step, out any) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = sendErr(api, step, out)
	}()
	return p
}

func (p *pending) wait(t *testing.T) {
	t.Helper()
	<-p.done
	if p.err != nil {
		t.Fatal(p.err)
	}
}

func (p *pending) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// timelineRows counts the read model's timeline entries of every case.
func timelineRows(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.TimelineRow{}).Count(&n).Error; err != nil {
		t.Logf("count timeline rows: %v", err)
		return -1
	}
	return n
}

// whenWritten waits until the read model holds more than before timeline
// entries or p has its answer, whichever comes first (at most a minute),
// and reports which. It is how a test lands a fault right after a
// projection was written, before the workflow task that wrote it is
// complete.
func whenWritten(t *testing.T, st *store.Store, before int64, p *pending) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if p.finished() {
			return "after the answer"
		}
		if timelineRows(t, st) > before {
			return "after the projection, before the answer"
		}
		time.Sleep(2 * time.Millisecond)
	}
	return "after a minute without progress"
}

// eventually polls cond every 250 ms until it holds or timeout passes;
// cond returns whether it holds and what it saw, for the failure message.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var seen string
	for {
		var ok bool
		if ok, seen = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last seen: %s)", what, timeout, seen)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// getCase reads the case as the filer, retrying while the server is away.
func getCase(t *testing.T, api *loadgen.Client, id string) whistle.Case {
	t.Helper()
	var c whistle.Case
	send(t, api, loadgen.DemoJoint.Get(id), &c)
	return c
}

// checkClosed checks the case is closed with the joint lifecycle's
// timeline, every entry once.
func checkClosed(t *testing.T, api *loadgen.Client, id string) whistle.Case {
	t.Helper()
	c := getCase(t, api, id)
	if c.Status != whistle.CaseClosed {
		t.Fatalf("case %s is %s, want closed", id, c.Status)
	}
	if err := loadgen.CheckTimeline(c, loadgen.ExpectedTimeline(len(loadgen.DemoJoint.Clerks))); err != nil {
		t.Fatal(err)
	}
	return c
}

func itoa(i int) string { return strconv.Itoa(i) }
