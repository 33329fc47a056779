package activities

import "github.com/prometheus/client_golang/prometheus"

// Metrics are what an operator must see of the activities on /metrics.
type Metrics struct {
	// ProjectionFailures counts failed writes of a case into the read
	// model. Each failure is retried; a counter that keeps rising means a
	// case the read model cannot show (the log names it at ERROR).
	ProjectionFailures prometheus.Counter
}

// NewMetrics makes the activities' metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ProjectionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shaobao_projection_failures_total",
			Help: "Failed writes of a case into the read model (each retried; a rising count is a case the lists cannot show).",
		}),
	}
	reg.MustRegister(m.ProjectionFailures)
	return m
}
