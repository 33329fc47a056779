package activities

import "github.com/prometheus/client_golang/prometheus"

// Metrics are what an operator must see of the activities on /metrics.
type Metrics struct {
	// ProjectionFailures counts failed writes of a case into the read
	// model. Each failure is retried; a counter that keeps rising means a
	// case the read model cannot show (the log names it at ERROR).
	ProjectionFailures prometheus.Counter
	// HotlinePushFailures counts failed pushes of a ticket's result back
	// to the hotline (each tried again by the sweep, with backoff).
	HotlinePushFailures prometheus.Counter
}

// NewMetrics makes the activities' metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ProjectionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shaobao_projection_failures_total",
			Help: "Failed writes of a case into the read model (each retried; a rising count is a case the lists cannot show).",
		}),
		HotlinePushFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shaobao_hotline_push_failures_total",
			Help: "Failed pushes of a 12345 ticket's result back to the hotline (each tried again by the sweep, with backoff).",
		}),
	}
	reg.MustRegister(m.ProjectionFailures, m.HotlinePushFailures)
	return m
}
