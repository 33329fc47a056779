package app

import (
	"time"

	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// sdkReportEvery is how often tally hands the SDK's counters and gauges to
// the Prometheus registry (timers are recorded at once).
const sdkReportEvery = time.Second

// domainMetricsTTL is how long the read model's figures answer scrapes
// before they are counted again.
const domainMetricsTTL = 15 * time.Second

// sdkMetrics is the Temporal SDK's metrics handler writing to the
// process's registry through tally's Prometheus reporter, as the SDK's
// documentation and samples do: workflow and activity task latencies,
// schedule-to-start, poll and request failures appear on /metrics as
// temporal_*. Close stops its reporting loop.
func (a *App) sdkMetrics() client.MetricsHandler {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       a.registry(),
		DefaultTimerType: tallyprom.HistogramTimerType,
		// Buckets for task latencies from a millisecond to a minute (the
		// default's top of 10s hides a stuck workflow task's 10s timeout).
		DefaultHistogramBuckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		// The SDK may use one name with two tag sets; the second is
		// dropped rather than the process stopped.
		OnRegisterError: func(err error) { a.Log.Debug("temporal sdk metric not registered", "err", err) },
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		// tally's own cardinality gauges say nothing to an operator (and
		// promtool's lint refuses their names).
		OmitCardinalityMetrics: true,
	}, sdkReportEvery)
	a.OnClose(func() { _ = closer.Close() })
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
}
