package faults

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestPostgresOutage runs the production shape on PostgreSQL: `serve
// --role api` and `serve --role worker` against the embedded Temporal of
// `dev --worker=false`, on a fresh schema of the test PostgreSQL. The
// worker reaches PostgreSQL only through a proxy of the test, which cuts
// every connection and refuses new ones while a feedback is being applied,
// until the worker has failed to reconnect a few times (its projection
// activity retrying), then lets it through again. The feedback completes,
// and the case goes on to closed with every timeline entry once. The
// machine's PostgreSQL server itself is never stopped.
func TestPostgresOutage(t *testing.T) { postgresOutage(t, false) }

// TestPostgresLongOutage (set SHAOBAO_FAULTS_LONG=1; 35 s to two minutes)
// keeps PostgreSQL cut longer than the projection activity's 30 s budget:
// the feedback is applied by the workflow and answered without its
// projection, and once PostgreSQL is back the workflow's re-projection
// (at most a minute later) writes every missing entry, once.
func TestPostgresLongOutage(t *testing.T) {
	if os.Getenv("SHAOBAO_FAULTS_LONG") == "" {
		t.Skip("set SHAOBAO_FAULTS_LONG=1 to cut PostgreSQL for longer than the projection's 30 s retry budget (35 s to two minutes)")
	}
	postgresOutage(t, true)
}

func postgresOutage(t *testing.T, long bool) {
	start := time.Now()
	dsn := storetest.PostgresSchemaURL(t)
	st := openStore(t, dsn)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := NewProxy(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	viaProxy := *u
	viaProxy.Host = proxy.Addr()

	temporal := startDev(t, "--worker=false") // only its embedded Temporal is used
	apiPort := freePort(t)
	apiURL := "http://127.0.0.1:" + itoa(apiPort)
	api := startProc(t, "api", nil, "serve", "--role", "api", "--addr", "127.0.0.1:"+itoa(apiPort),
		"--temporal-address", temporal.temporal, "--database-url", dsn, "--log-level", "warn")
	worker := startProc(t, "worker", nil, "serve", "--role", "worker",
		"--temporal-address", temporal.temporal, "--database-url", viaProxy.String(), "--log-level", "warn")
	waitReady(t, api, apiURL)
	client := apiClient(t, st, apiURL)
	s := loadgen.DemoJoint

	var kase whistle.Case
	send(t, client, s.File("pg-outage"), &kase)
	send(t, client, s.Report(kase, 0), nil)
	send(t, client, s.Report(kase, 1), nil)

	proxy.Cut()
	cutAt := time.Now()
	p := sendAsync(client, s.Feedback(kase, 0), nil)
	// The outage lasts until the projection activity has failed three
	// times in the worker (each failed attempt is a line of its log) and
	// the worker has been refused reconnecting: the activity is retrying.
	eventually(t, time.Minute, "the projection activity retries against the cut database", func() (bool, string) {
		failed := worker.logCount(`msg="projection failed"`)
		return failed >= 3 && proxy.Refused() > 0, fmt.Sprintf("%d failed projection attempts, %d connections refused", failed, proxy.Refused())
	})
	if long {
		// Past the projection's budget the update is answered from the
		// workflow's state while the read model still lacks it.
		// The API reads PostgreSQL directly, the worker only through the cut
		// proxy: filed, summoned×2, reported×2 and no feedback yet.
		p.wait(t)
		c := getCase(t, client, kase.ID)
		if err := loadgen.CheckTimeline(c, loadgen.ExpectedTimeline(2)[:5]); err != nil {
			t.Fatalf("the feedback was answered during the outage, but the read model does not lack it: %v", err)
		}
	}
	answered := p.finished()
	proxy.Restore()
	t.Logf("PostgreSQL cut for %s (%d failed projection attempts, %d connections refused; feedback answered during the outage: %v)",
		time.Since(cutAt).Round(time.Millisecond), worker.logCount(`msg="projection failed"`), proxy.Refused(), answered)
	p.wait(t)
	if !worker.running() {
		t.Fatal("the worker exited during the outage")
	}

	if long {
		eventually(t, 2*time.Minute, "the workflow re-projects the feedback once PostgreSQL is back", func() (bool, string) {
			c := getCase(t, client, kase.ID)
			return len(c.Timeline) == 6, fmt.Sprintf("%d timeline entries", len(c.Timeline))
		})
	}
	send(t, client, s.Feedback(kase, 1), nil)
	send(t, client, s.Verify(kase), nil)
	send(t, client, s.Evaluate(kase, 0), nil)
	send(t, client, s.Evaluate(kase, 1), nil)
	checkClosed(t, client, kase.ID)
	t.Logf("case %s closed across a PostgreSQL outage in %s", kase.ID, time.Since(start).Round(time.Millisecond))
}
